using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BankAccount.Api.Tests;

public abstract partial class BankApiSuite
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [Fact]
    public async Task The_OpenAPI_document_describes_every_endpoint()
    {
        var paths = (await OpenApiAsync()).GetProperty("paths");
        foreach (var path in new[] { "/accounts", "/accounts/{id}", "/accounts/{id}/deposits", "/accounts/{id}/withdrawals", "/accounts/{id}/close", "/accounts/{id}/events", "/reports/totals", "/reports/daily-volume", "/reports/accounts/{id}", "/admin/projections", "/admin/projections/{name}/rebuild", "/admin/projections/{name}/rebuilds/{rebuildId}" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"The OpenAPI document lacks {path}.");
        }
    }

    [Fact]
    public async Task The_OpenAPI_document_says_what_the_bodies_are()
    {
        var schemas = (await OpenApiAsync()).GetProperty("components").GetProperty("schemas");

        // An amount is a JSON number (never a string or null) and required; the currency is an optional string.
        var amountRequest = schemas.GetProperty("AmountRequest");
        Assert.Equal(["amount"], amountRequest.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("number", amountRequest.GetProperty("properties").GetProperty("amount").GetProperty("type").GetString());
        Assert.Equal("string", amountRequest.GetProperty("properties").GetProperty("currency").GetProperty("type").GetString());
        Assert.False(amountRequest.GetProperty("additionalProperties").GetBoolean());

        // Every problem has the same members.
        var problem = schemas.GetProperty("ProblemDetails");
        Assert.Equal(["code", "detail", "instance", "status", "title", "traceId", "type"], problem.GetProperty("required").EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Walks the OpenAPI document: every status and response header of every operation was produced by
    /// some request of this class's tests, and every header and query parameter it reads was sent by one.
    /// Runs last in its class (see <see cref="OpenApiCoverageLast"/>), over what the others recorded.
    /// </summary>
    [Fact]
    public async Task The_OpenAPI_document_matches_the_responses_the_tests_got()
    {
        var document = await OpenApiAsync();
        var recorded = Host.Recorded.ToList();
        var missing = new List<string>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            var template = new Regex("^" + Regex.Replace(Regex.Escape(path.Name), @"\\\{[^/]+?\}", "[^/]+") + "$", RegexOptions.None, TimeSpan.FromSeconds(1));
            foreach (var operation in path.Value.EnumerateObject().Where(o => Methods.Contains(o.Name)))
            {
                var name = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                var exchanges = recorded.Where(r => r.Method.Equals(operation.Name, StringComparison.OrdinalIgnoreCase) && template.IsMatch(r.Path)).ToList();
                foreach (var response in operation.Value.GetProperty("responses").EnumerateObject())
                {
                    var status = int.Parse(response.Name, System.Globalization.CultureInfo.InvariantCulture);
                    var answered = exchanges.Where(e => e.Status == status).ToList();
                    if (answered.Count == 0)
                    {
                        missing.Add($"{name}: no test got {status}");
                        continue;
                    }

                    if (response.Value.TryGetProperty("headers", out var headers))
                    {
                        missing.AddRange(headers.EnumerateObject()
                            .Where(h => !answered.Any(e => e.ResponseHeaders.Contains(h.Name)))
                            .Select(h => $"{name}: no {status} carried {h.Name}"));
                    }
                }

                if (operation.Value.TryGetProperty("parameters", out var parameters))
                {
                    foreach (var parameter in parameters.EnumerateArray())
                    {
                        var (parameterName, location) = (parameter.GetProperty("name").GetString()!, parameter.GetProperty("in").GetString());
                        var sent = location switch
                        {
                            "header" => exchanges.Any(e => e.RequestHeaders.Contains(parameterName)),
                            "query" => exchanges.Any(e => e.QueryNames.Contains(parameterName)),
                            _ => true,
                        };
                        if (!sent)
                        {
                            missing.Add($"{name}: no test sent the {location} parameter {parameterName}");
                        }
                    }
                }
            }
        }

        Assert.True(missing.Count == 0, "The OpenAPI document promises what no test saw:\n" + string.Join("\n", missing));
    }

    private async Task<JsonElement> OpenApiAsync()
    {
        using var response = await GetAsync("openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }
}
