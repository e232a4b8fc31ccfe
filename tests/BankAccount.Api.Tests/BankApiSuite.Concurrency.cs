using System.Net;

namespace BankAccount.Api.Tests;

public abstract partial class BankApiSuite
{
    [Fact]
    public async Task Thirty_two_concurrent_withdrawals_never_overdraw_the_account()
    {
        const decimal OpeningBalance = 100m;
        const decimal Each = 7m;
        var id = await OpenWithAsync(OpeningBalance);

        using var start = new SemaphoreSlim(0);
        var racers = Enumerable.Range(0, 32).Select(async i =>
        {
            await start.WaitAsync(Ct);
            using var response = await PostAsync($"accounts/{id}/withdrawals", AmountJson(Each), ("X-User", $"racer-{i}"));
            var body = await response.Content.ReadAsStringAsync(Ct);
            return (response.StatusCode, body);
        }).ToList();
        start.Release(racers.Count);
        var results = await Task.WhenAll(racers);

        var unexpected = results.Where(r => r.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)).ToList();
        Assert.True(unexpected.Count == 0, "Unexpected responses: " + string.Join("\n", unexpected));
        var accepted = results.Count(r => r.StatusCode == HttpStatusCode.OK);
        Assert.True(accepted * Each <= OpeningBalance, $"{accepted} withdrawals of {Each} accepted from {OpeningBalance}.");
        Assert.True(accepted >= 1, "No withdrawal got through.");
        Assert.All(results.Where(r => r.StatusCode == HttpStatusCode.UnprocessableEntity), r => Assert.Contains("insufficient_funds", r.body, StringComparison.Ordinal));

        var account = await GetAccountAsync(id);
        Assert.Equal(OpeningBalance - (accepted * Each), Balance(account));
        Assert.Equal(2 + accepted, Version(account));
        Assert.True(Balance(account) >= 0);
        var trail = await AuditTrailAsync(id, 2 + accepted);
        Assert.Equal(2 + accepted, trail.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_stale_If_Match_is_412_and_writes_nothing()
    {
        var id = await OpenWithAsync(100m);
        using var fresh = await GetAsync($"accounts/{id}");
        var etag = fresh.Headers.ETag!.Tag;
        Assert.Equal("\"2\"", etag);

        using var first = await PostAsync($"accounts/{id}/withdrawals", AmountJson(10m), ("If-Match", etag));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("\"3\"", first.Headers.ETag?.Tag);

        using var stale = await PostAsync($"accounts/{id}/withdrawals", AmountJson(10m), ("If-Match", etag));
        var problem = await ProblemAsync(stale, HttpStatusCode.PreconditionFailed);
        Assert.Equal("version_mismatch", Code(problem));
        Assert.Equal(3, problem.GetProperty("currentVersion").GetInt64());

        var account = await GetAccountAsync(id);
        Assert.Equal((90m, 3L), (Balance(account), Version(account)));
    }

    [Fact]
    public async Task Concurrent_commands_with_the_same_If_Match_let_exactly_one_through()
    {
        var id = await OpenWithAsync(100m);
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await PostAsync($"accounts/{id}/deposits", AmountJson(1m), ("If-Match", "\"2\""));
            return response.StatusCode;
        }));

        Assert.Equal(1, attempts.Count(s => s == HttpStatusCode.OK));
        Assert.All(attempts.Where(s => s != HttpStatusCode.OK), s => Assert.Equal(HttpStatusCode.PreconditionFailed, s));
        Assert.Equal((101m, 3L), (Balance(await GetAccountAsync(id)), Version(await GetAccountAsync(id))));
    }

    [Fact]
    public async Task A_current_ETag_in_If_None_Match_gets_304()
    {
        var id = await OpenAsync();
        using var first = await GetAsync($"accounts/{id}");
        using var again = await GetAsync($"accounts/{id}", ("If-None-Match", first.Headers.ETag!.Tag));
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        await PostAsync($"accounts/{id}/deposits", AmountJson(1m));
        using var changed = await GetAsync($"accounts/{id}", ("If-None-Match", first.Headers.ETag!.Tag));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        using var weak = await GetAsync($"accounts/{id}", ("If-None-Match", "W/\"2\""));
        Assert.Equal(HttpStatusCode.NotModified, weak.StatusCode); // If-None-Match compares weakly
        using var any = await GetAsync($"accounts/{id}", ("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.NotModified, any.StatusCode);
    }
}
