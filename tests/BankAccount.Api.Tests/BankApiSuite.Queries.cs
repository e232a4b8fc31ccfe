using System.Globalization;
using System.Net;

namespace BankAccount.Api.Tests;

public abstract partial class BankApiSuite
{
    [Fact]
    public async Task A_temporal_query_answers_as_of_a_version_or_a_time()
    {
        var id = await OpenWithAsync(100m);
        await PostAsync($"accounts/{id}/withdrawals", AmountJson(40m));
        await PostAsync($"accounts/{id}/deposits", AmountJson(5m));

        using var atVersion = await GetAsync($"accounts/{id}?asOf=2");
        Assert.Equal(HttpStatusCode.OK, atVersion.StatusCode);
        var v2 = await JsonAsync(atVersion);
        Assert.Equal((100m, 2L, "2"), (Balance(v2), Version(v2), v2.GetProperty("asOf").GetString()));

        // Times come from the audit trail: as of the withdrawal's timestamp, the withdrawal is in, the deposit after it is not.
        var entries = (await AuditTrailAsync(id, 4)).GetProperty("entries").EnumerateArray().ToList();
        var withdrawnAt = entries[2].GetProperty("timestamp").GetDateTimeOffset();
        using var atTime = await GetAsync($"accounts/{id}?asOf={Uri.EscapeDataString(withdrawnAt.ToString("O", CultureInfo.InvariantCulture))}");
        Assert.Equal(HttpStatusCode.OK, atTime.StatusCode);
        var then = await JsonAsync(atTime);
        Assert.Equal((60m, 3L), (Balance(then), Version(then)));

        // Now, for comparison, and before the account existed.
        Assert.Equal((65m, 4L), (Balance(await GetAccountAsync(id)), Version(await GetAccountAsync(id))));
        var before = entries[0].GetProperty("timestamp").GetDateTimeOffset().AddSeconds(-1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
        using var tooEarly = await GetAsync($"accounts/{id}?asOf={before}");
        Assert.Equal("account_not_found", Code(await ProblemAsync(tooEarly, HttpStatusCode.NotFound)));
    }

    [Fact]
    public async Task The_audit_trail_pages_by_stream_version()
    {
        var id = await OpenAsync("Paige", "EUR", ("X-User", "clerk"));
        for (var i = 1; i <= 4; i++)
        {
            await PostAsync($"accounts/{id}/deposits", AmountJson(i), ("X-User", $"user-{i}"), ("X-Correlation-Id", $"batch-{i}"));
        }

        await AuditTrailAsync(id, 5);
        using var first = await GetAsync($"accounts/{id}/events?limit=2");
        var page1 = await JsonAsync(first);
        Assert.Equal([1L, 2L], page1.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("version").GetInt64()));
        Assert.Equal(5, page1.GetProperty("total").GetInt64());
        var next = page1.GetProperty("next").GetString()!;
        Assert.Equal($"/accounts/{id}/events?after=2&limit=2", next);
        Assert.Contains("rel=\"next\"", first.Headers.GetValues("Link").Single(), StringComparison.Ordinal);

        using var second = await GetAsync(next.TrimStart('/'));
        var page2 = await JsonAsync(second);
        Assert.Equal(["user-2", "user-3"], page2.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("user").GetString()));
        Assert.Equal(["batch-2", "batch-3"], page2.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("correlationId").GetString()));

        using var last = await GetAsync($"accounts/{id}/events?after=4&limit=2");
        var page3 = await JsonAsync(last);
        Assert.Single(page3.GetProperty("entries").EnumerateArray());
        Assert.False(page3.TryGetProperty("next", out _));
        Assert.False(last.Headers.Contains("Link"));
    }
}
