using System.Net;

namespace BankAccount.Api.Tests;

public abstract partial class BankApiSuite
{
    [Fact]
    public async Task A_retry_with_the_same_Idempotency_Key_gets_the_same_response_and_writes_nothing()
    {
        var id = await OpenWithAsync(100m);
        var key = Guid.NewGuid().ToString();

        using var first = await PostAsync($"accounts/{id}/withdrawals", AmountJson(30m), ("Idempotency-Key", key));
        using var retry = await PostAsync($"accounts/{id}/withdrawals", AmountJson(30m), ("Idempotency-Key", key));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(first.StatusCode, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await retry.Content.ReadAsStringAsync(Ct));
        Assert.Equal(first.Headers.ETag, retry.Headers.ETag);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());

        var account = await GetAccountAsync(id);
        Assert.Equal((70m, 3L), (Balance(account), Version(account)));
    }

    [Fact]
    public async Task A_retried_open_returns_the_same_new_account()
    {
        var key = Guid.NewGuid().ToString();
        using var first = await PostAsync("accounts", """{"owner":"Idem","currency":"EUR"}""", ("Idempotency-Key", key));
        using var retry = await PostAsync("accounts", """{"owner":"Idem","currency":"EUR"}""", ("Idempotency-Key", key));
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await retry.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Concurrent_duplicates_with_one_Idempotency_Key_run_the_command_once()
    {
        var id = await OpenWithAsync(100m);
        var key = Guid.NewGuid().ToString();
        using var start = new SemaphoreSlim(0);
        var duplicates = Enumerable.Range(0, 16).Select(async _ =>
        {
            await start.WaitAsync(Ct);
            using var response = await PostAsync($"accounts/{id}/deposits", AmountJson(5m), ("Idempotency-Key", key));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
        }).ToList();
        start.Release(duplicates.Count);
        var results = await Task.WhenAll(duplicates);

        Assert.All(results, r => Assert.Equal((HttpStatusCode.OK, results[0].Body), (r.StatusCode, r.Body)));
        var account = await GetAccountAsync(id);
        Assert.Equal((105m, 3L), (Balance(account), Version(account)));
    }

    [Fact]
    public async Task A_refusal_is_kept_for_its_key_too_but_a_key_reused_for_another_request_is_422()
    {
        var id = await OpenWithAsync(10m);
        var key = Guid.NewGuid().ToString();
        using var refused = await PostAsync($"accounts/{id}/withdrawals", AmountJson(50m), ("Idempotency-Key", key));
        Assert.Equal("insufficient_funds", Code(await ProblemAsync(refused, HttpStatusCode.UnprocessableEntity)));

        // Money arrives; the retry of the same request still gets the refusal it got, not a new decision.
        await PostAsync($"accounts/{id}/deposits", AmountJson(100m));
        using var retry = await PostAsync($"accounts/{id}/withdrawals", AmountJson(50m), ("Idempotency-Key", key));
        Assert.Equal("insufficient_funds", Code(await ProblemAsync(retry, HttpStatusCode.UnprocessableEntity)));

        using var other = await PostAsync($"accounts/{id}/withdrawals", AmountJson(20m), ("Idempotency-Key", key));
        Assert.Equal("idempotency_key_reused", Code(await ProblemAsync(other, HttpStatusCode.UnprocessableEntity)));
        Assert.Equal(110m, Balance(await GetAccountAsync(id)));
    }

    [Fact]
    public async Task A_validation_error_does_not_use_up_the_key()
    {
        var id = await OpenAsync();
        var key = Guid.NewGuid().ToString();
        using var bad = await PostAsync($"accounts/{id}/deposits", """{"amount":-1}""", ("Idempotency-Key", key));
        await ProblemAsync(bad, HttpStatusCode.BadRequest);
        using var good = await PostAsync($"accounts/{id}/deposits", """{"amount":1}""", ("Idempotency-Key", key));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }
}
