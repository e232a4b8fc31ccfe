using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace BankAccount.Api.Tests;

public abstract partial class BankApiSuite
{
    [Theory]
    [InlineData("accounts", """{"currency":"EUR"}""", "owner")]
    [InlineData("accounts", """{"owner":"  ","currency":"EUR"}""", "owner")]
    [InlineData("accounts", """{"owner":"Al","currency":"eur"}""", "currency")]
    [InlineData("accounts", """{"owner":"Al"}""", "currency")]
    [InlineData("accounts", """{"owner":42,"currency":"EUR"}""", "owner")]
    [InlineData("accounts/{id}/deposits", """{}""", "amount")]
    [InlineData("accounts/{id}/deposits", """{"amount":-5}""", "amount")]
    [InlineData("accounts/{id}/deposits", """{"amount":0}""", "amount")]
    [InlineData("accounts/{id}/deposits", """{"amount":null}""", "amount")]
    [InlineData("accounts/{id}/deposits", """{"amount":10,"memo":"rent"}""", "memo")]
    [InlineData("accounts", """{"owner":"Al","currency":"EUR","overdraft":100}""", "overdraft")]
    [InlineData("accounts/{id}/close", """{"reason":"moving","when":"now"}""", "when")]
    [InlineData("accounts/{id}/deposits", """{"amount":"10"}""", "amount")]
    [InlineData("accounts/{id}/deposits", """{"amount":10,"currency":"euro"}""", "currency")]
    [InlineData("accounts/{id}/withdrawals", """{"amount":10,"currency":"EUR"}""", "currency")]
    [InlineData("accounts/{id}/withdrawals", """{"amount":1e30}""", "amount")]
    [InlineData("accounts/{id}/close", """{"reason":""}""", "reason")]
    [InlineData("accounts/not%20valid/deposits", """{"amount":10}""", "id")]
    public async Task Validation_errors_are_400_problems_naming_the_field(string path, string json, string field)
    {
        var id = await OpenWithAsync(100m);
        using var response = await PostAsync(path.Replace("{id}", id, StringComparison.Ordinal), json);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"The problem does not name '{field}': {problem}");
        Assert.Equal("validation_failed", Code(problem));
        Assert.Equal(2, Version(await GetAccountAsync(id)));
    }

    [Theory]
    [InlineData("X-User", "")]
    [InlineData("If-Match", "3")]
    [InlineData("If-Match", "W/3")]
    [InlineData("Idempotency-Key", "")]
    [InlineData("X-Correlation-Id", "")]
    public async Task Bad_headers_are_400_problems_naming_the_header(string header, string value)
    {
        var id = await OpenAsync();

        // An empty X-User / X-Correlation-Id means "not given"; a value over the limit is what is refused.
        var sent = value.Length == 0 && header != "Idempotency-Key" ? new string('x', 300) : value;
        using var response = await PostAsync($"accounts/{id}/deposits", AmountJson(1m), (header, sent));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(header, out _), problem.ToString());
    }

    [Theory]
    [InlineData("asOf=yesterday", "asOf")]
    [InlineData("asOf=", "asOf")]
    [InlineData("asOf=-1", "asOf")]
    public async Task Bad_query_values_are_400_problems_naming_the_parameter(string query, string field)
    {
        var id = await OpenAsync();
        using var response = await GetAsync($"accounts/{id}?{query}");
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("accounts/{id}/events?limit=0", "limit")]
    [InlineData("accounts/{id}/events?limit=101", "limit")]
    [InlineData("accounts/{id}/events?after=x", "after")]
    [InlineData("reports/daily-volume?from=2025-13-01", "from")]
    [InlineData("reports/daily-volume?from=2025-01-02&to=2025-01-01", "to")]
    [InlineData("accounts/a.b", "id")]
    [InlineData("reports/accounts/a.b", "id")]
    public async Task Bad_query_and_path_values_are_400_problems(string path, string field)
    {
        var id = await OpenAsync();
        using var response = await GetAsync(path.Replace("{id}", id, StringComparison.Ordinal));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("""{"amount":10""")]
    [InlineData("""{"amount":10}}""")]
    [InlineData("amount=10")]
    [InlineData("""[{"amount":10}]""")]
    [InlineData("null")]
    [InlineData("")]
    public async Task Malformed_or_missing_JSON_is_400_never_500(string json)
    {
        var id = await OpenAsync();
        using var response = await PostAsync($"accounts/{id}/deposits", json);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("body", out _), problem.ToString());
        Assert.Equal(1, Version(await GetAccountAsync(id)));
    }

    [Theory]
    [InlineData("accounts")]
    [InlineData("accounts/{id}/deposits")]
    [InlineData("accounts/{id}/withdrawals")]
    [InlineData("accounts/{id}/close")]
    public async Task An_oversized_body_is_413_whether_its_length_is_announced_or_chunked(string command)
    {
        // The server answers 413 and closes the connection without reading the rest, so the client sends
        // "Expect: 100-continue" (as curl does for large bodies) and never writes into a closed socket.
        var path = command.Replace("{id}", await OpenAsync(), StringComparison.Ordinal);
        var huge = $$"""{"owner":"{{new string('x', 20_000)}}","currency":"EUR"}""";
        using var announced = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(huge, Encoding.UTF8, "application/json") };
        announced.Headers.ExpectContinue = true;
        using var refused = await Host.Client.SendAsync(announced, Ct);
        Assert.Equal("body_too_large", Code(await ProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge)));

        using var chunked = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))),
        };
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        chunked.Headers.ExpectContinue = true;
        using var streamed = await Host.Client.SendAsync(chunked, Ct);
        Assert.Equal("body_too_large", Code(await ProblemAsync(streamed, HttpStatusCode.RequestEntityTooLarge)));
    }

    [Theory]
    [InlineData("accounts")]
    [InlineData("accounts/{id}/deposits")]
    [InlineData("accounts/{id}/withdrawals")]
    [InlineData("accounts/{id}/close")]
    public async Task A_body_that_is_not_JSON_is_415(string command)
    {
        var id = await OpenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, command.Replace("{id}", id, StringComparison.Ordinal)) { Content = new StringContent("amount=10", Encoding.UTF8, "application/x-www-form-urlencoded") };
        using var response = await Host.Client.SendAsync(request, Ct);
        Assert.Equal("unsupported_media_type", Code(await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType)));
        Assert.Equal(1, Version(await GetAccountAsync(id)));
    }

    [Theory]
    [InlineData("GET", "accounts/nobody")]
    [InlineData("GET", "accounts/nobody?asOf=1")]
    [InlineData("GET", "accounts/nobody/events")]
    [InlineData("GET", "reports/accounts/nobody")]
    [InlineData("POST", "accounts/nobody/deposits")]
    [InlineData("POST", "accounts/nobody/withdrawals")]
    [InlineData("POST", "accounts/nobody/close")]
    public async Task An_unknown_account_is_404(string method, string path)
    {
        using var response = method == "GET" ? await GetAsync(path) : await PostAsync(path, path.EndsWith("close", StringComparison.Ordinal) ? null : AmountJson(1m));
        Assert.Equal("account_not_found", Code(await ProblemAsync(response, HttpStatusCode.NotFound)));
    }

    [Fact]
    public async Task An_If_Match_on_an_unknown_account_is_404_too()
    {
        using var response = await PostAsync("accounts/nobody/deposits", AmountJson(1m), ("If-Match", "\"1\""));
        await ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("withdrawals", """{"amount":100.01}""", "insufficient_funds")]
    [InlineData("deposits", """{"amount":10,"currency":"USD"}""", "currency_mismatch")]
    public async Task Rule_violations_are_422_problems_with_a_stable_code(string command, string json, string code)
    {
        var id = await OpenWithAsync(100m);
        using var response = await PostAsync($"accounts/{id}/{command}", json);
        var problem = await ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(code, Code(problem));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.Equal(2, Version(await GetAccountAsync(id)));
    }

    [Fact]
    public async Task Closing_twice_is_422_account_closed()
    {
        var id = await OpenAsync();
        using var first = await PostAsync($"accounts/{id}/close", json: null, ("If-Match", "\"1\""));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await PostAsync($"accounts/{id}/close", json: null, ("If-Match", "\"2\""));
        Assert.Equal("account_closed", Code(await ProblemAsync(second, HttpStatusCode.UnprocessableEntity)));
    }

    [Fact]
    public async Task Unknown_routes_and_methods_get_problems_of_the_same_shape_not_500()
    {
        // Made by the framework (routing, then the status code pages), completed by the problem details service.
        using var route = await GetAsync("no/such/route");
        Assert.Equal("not_found", Code(await ProblemAsync(route, HttpStatusCode.NotFound)));
        using var method = await Host.SendAsync(HttpMethod.Delete, "accounts/abc");
        Assert.Equal("method_not_allowed", Code(await ProblemAsync(method, HttpStatusCode.MethodNotAllowed)));
        Assert.Equal(["GET"], method.Content.Headers.Allow);
    }
}
