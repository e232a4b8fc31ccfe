using System.Net;

namespace BankAccount.Api.Tests;

public abstract partial class BankApiSuite
{
    /// <summary>The checks /health/ready runs on this backend.</summary>
    protected virtual string[] ReadinessChecks => ["eventsourcing-store", "eventsourcing-projections"];

    [Fact]
    public async Task Liveness_answers_healthy_without_touching_the_store()
    {
        using var response = await GetAsync("health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal(["self"], body.GetProperty("checks").EnumerateObject().Select(c => c.Name));
    }

    [Fact]
    public async Task Readiness_checks_the_store_and_the_projections_and_answers_healthy()
    {
        var id = await OpenWithAsync(10m);
        await AuditTrailAsync(id, 2); // the async projections have seen this account

        using var response = await GetAsync("health/ready");

        var body = await JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var checks = body.GetProperty("checks");
        Assert.Equal(ReadinessChecks.Order(StringComparer.Ordinal), checks.EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.All(checks.EnumerateObject(), c => Assert.Equal("Healthy", c.Value.GetProperty("status").GetString()));
    }
}
