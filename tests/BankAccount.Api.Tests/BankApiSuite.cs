using System.Globalization;
using System.Net;
using System.Text.Json;

namespace BankAccount.Api.Tests;

/// <summary>
/// The API's behaviour, written once over HTTP. Each store runs it by deriving one class that gets its
/// <see cref="ApiHost"/> as a class fixture (see <see cref="InMemoryBankApiTests"/>). Tests share the
/// running app, so each works on accounts of its own.
/// </summary>
public abstract partial class BankApiSuite(ApiHost host)
{
    protected ApiHost Host { get; } = host;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected Task<HttpResponseMessage> PostAsync(string path, string? json, params (string Name, string Value)[] headers) =>
        Host.SendAsync(HttpMethod.Post, path, json, headers);

    protected Task<HttpResponseMessage> GetAsync(string path, params (string Name, string Value)[] headers) =>
        Host.SendAsync(HttpMethod.Get, path, json: null, headers);

    /// <summary>Opens an account and returns its id.</summary>
    protected async Task<string> OpenAsync(string owner = "Alice", string currency = "EUR", params (string Name, string Value)[] headers)
    {
        using var response = await PostAsync("accounts", $$"""{"owner":"{{owner}}","currency":"{{currency}}"}""", headers);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await JsonAsync(response)).GetProperty("id").GetString()!;
    }

    /// <summary>Opens an account with a first deposit and returns its id.</summary>
    protected async Task<string> OpenWithAsync(decimal deposit, string owner = "Alice")
    {
        var id = await OpenAsync(owner);
        using var response = await PostAsync($"accounts/{id}/deposits", AmountJson(deposit));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return id;
    }

    protected static string AmountJson(decimal amount) => string.Create(CultureInfo.InvariantCulture, $$"""{"amount":{{amount}}}""");

    protected static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(text.Length > 0, $"{(int)response.StatusCode}: empty body");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>
    /// Asserts a problem-details response with this status, in the one shape every error has (the app's
    /// and the framework's): type, title, status, detail, instance (the request path), code and traceId.
    /// Returns its body.
    /// </summary>
    protected static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        foreach (var member in new[] { "type", "title", "detail", "instance", "code", "traceId" })
        {
            Assert.True(problem.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0, $"The problem lacks '{member}': {text}");
        }

        Assert.StartsWith("https://www.rfc-editor.org/rfc/", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(Uri.UnescapeDataString(response.RequestMessage!.RequestUri!.AbsolutePath), Uri.UnescapeDataString(problem.GetProperty("instance").GetString()!));
        return problem;
    }

    /// <summary>The raw JSON text of a member, e.g. "10.00" for a balance, to see the decimals as sent.</summary>
    protected static string Raw(JsonElement element, string member) => element.GetProperty(member).GetRawText();

    protected static string? Code(JsonElement problem) =>
        problem.TryGetProperty("code", out var code) ? code.GetString() : null;

    protected static decimal Balance(JsonElement account) => account.GetProperty("balance").GetDecimal();

    protected static long Version(JsonElement account) => account.GetProperty("version").GetInt64();

    protected async Task<JsonElement> GetAccountAsync(string id)
    {
        using var response = await GetAsync($"accounts/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    /// <summary>Reads the audit trail until it holds <paramref name="entries"/> entries (the audit log is fed asynchronously).</summary>
    protected async Task<JsonElement> AuditTrailAsync(string id, int entries, string query = "limit=100")
    {
        return await EventuallyAsync(
            async () =>
            {
                using var response = await GetAsync($"accounts/{id}/events?{query}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return await JsonAsync(response);
            },
            page => page.GetProperty("total").GetInt64() >= entries);
    }

    /// <summary>Polls until <paramref name="done"/> holds (async read models are a moment behind), at most 10 s.</summary>
    protected static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Still not there after 10 s: {value}");
            await Task.Delay(20, Ct);
        }
    }
}
