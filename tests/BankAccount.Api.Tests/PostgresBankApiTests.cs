using System.Net;

namespace BankAccount.Api.Tests;

/// <summary>The API suite on PostgreSQL: events, snapshots, checkpoints and the read-model tables.</summary>
[TestMethodOrderer(typeof(OpenApiCoverageLast))]
public sealed class PostgresBankApiTests(PostgresApiHost host) : BankApiSuite(host), IClassFixture<PostgresApiHost>
{
    /// <inheritdoc />
    protected override string[] ReadinessChecks => [.. base.ReadinessChecks, "eventsourcing-postgres-schema"];

    [Fact]
    public async Task An_Idempotency_Key_record_outlives_the_process_that_wrote_it()
    {
        var id = await OpenWithAsync(100m);
        var key = Guid.NewGuid().ToString();
        using var first = await PostAsync($"accounts/{id}/withdrawals", AmountJson(30m), ("Idempotency-Key", key));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // The account moves on, so only a kept record can answer with the first response (70, version 3).
        using (var later = await PostAsync($"accounts/{id}/deposits", AmountJson(5m)))
        {
            Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        }

        await using var restarted = await Host.StartAnotherInstanceAsync();
        using var retry = await ApiHost.SendAsync(restarted.Client, HttpMethod.Post, $"accounts/{id}/withdrawals", AmountJson(30m), ("Idempotency-Key", key));
        using var other = await ApiHost.SendAsync(restarted.Client, HttpMethod.Post, $"accounts/{id}/withdrawals", AmountJson(20m), ("Idempotency-Key", key));

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await retry.Content.ReadAsStringAsync(Ct));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal("idempotency_key_reused", Code(await ProblemAsync(other, HttpStatusCode.UnprocessableEntity)));
        Assert.Equal((75m, 4L), (Balance(await GetAccountAsync(id)), Version(await GetAccountAsync(id))));
    }
}
