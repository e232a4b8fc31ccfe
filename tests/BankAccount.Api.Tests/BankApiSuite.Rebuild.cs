using System.Net;
using System.Text.Json;

namespace BankAccount.Api.Tests;

public abstract partial class BankApiSuite
{
    [Theory]
    [InlineData("analytics")]
    [InlineData("audit-log")]
    public async Task A_rebuild_is_accepted_reports_progress_and_leaves_the_read_model_as_it_was(string projection)
    {
        var id = await OpenWithAsync(75m);
        await PostAsync($"accounts/{id}/withdrawals", AmountJson(25m));
        await AuditTrailAsync(id, 3);
        await EventuallyAsync(ProjectionsAsync, list => list.All(p => p.GetProperty("lag").GetInt64() == 0));
        var before = await ReadModelsAsync(id);

        using var accepted = await PostAsync($"admin/projections/{projection}/rebuild", json: null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var statusUrl = accepted.Headers.Location!.OriginalString;
        Assert.StartsWith($"/admin/projections/{projection}/rebuilds/", statusUrl, StringComparison.Ordinal);
        Assert.Equal(statusUrl, (await JsonAsync(accepted)).GetProperty("statusUrl").GetString());

        var status = await EventuallyAsync(
            async () =>
            {
                using var response = await GetAsync(statusUrl.TrimStart('/'));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return await JsonAsync(response);
            },
            s => s.GetProperty("state").GetString() != "running");
        Assert.Equal("succeeded", status.GetProperty("state").GetString());
        Assert.Equal(100, status.GetProperty("percent").GetDouble());
        Assert.True(status.GetProperty("eventsDone").GetInt64() >= 3);
        Assert.Equal(status.GetProperty("eventsDone").GetInt64(), status.GetProperty("eventsTotal").GetInt64());

        Assert.Equal(before, await ReadModelsAsync(id));
        var states = await ProjectionsAsync();
        Assert.All(states.Where(p => p.GetProperty("mode").GetString() == "async"), p => Assert.Equal("Live", p.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Rebuild_requests_for_what_cannot_be_rebuilt_are_refused()
    {
        using var unknown = await PostAsync("admin/projections/no-such/rebuild", json: null);
        Assert.Equal("projection_not_found", Code(await ProblemAsync(unknown, HttpStatusCode.NotFound)));

        using var inline = await PostAsync("admin/projections/current-state/rebuild", json: null);
        Assert.Equal("projection_not_rebuildable", Code(await ProblemAsync(inline, HttpStatusCode.Conflict)));

        using var noSuchRun = await GetAsync("admin/projections/analytics/rebuilds/nope");
        await ProblemAsync(noSuchRun, HttpStatusCode.NotFound);
    }

    private async Task<List<JsonElement>> ProjectionsAsync()
    {
        using var response = await GetAsync("admin/projections");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await JsonAsync(response)).EnumerateArray().ToList();
    }

    /// <summary>What the three read models say, as text: totals, daily volume, one account and its trail.</summary>
    private async Task<string> ReadModelsAsync(string id)
    {
        var parts = new List<string>();
        foreach (var path in new[] { "reports/totals", "reports/daily-volume", $"reports/accounts/{id}", $"accounts/{id}", $"accounts/{id}/events?limit=100" })
        {
            using var response = await GetAsync(path);
            parts.Add(await response.Content.ReadAsStringAsync(Ct));
        }

        return string.Join("\n", parts);
    }
}
