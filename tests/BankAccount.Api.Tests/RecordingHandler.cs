using System.Collections.Concurrent;

namespace BankAccount.Api.Tests;

/// <summary>One request a test sent and the response it got: what the OpenAPI coverage test compares with the document.</summary>
/// <param name="Method">The request method.</param>
/// <param name="Path">The request path, e.g. /accounts/01a2.../deposits.</param>
/// <param name="QueryNames">The names of the query parameters sent.</param>
/// <param name="RequestHeaders">The names of the request headers sent.</param>
/// <param name="Status">The response status.</param>
/// <param name="ResponseHeaders">The names of the response headers received.</param>
public sealed record RecordedExchange(string Method, string Path, IReadOnlySet<string> QueryNames, IReadOnlySet<string> RequestHeaders, int Status, IReadOnlySet<string> ResponseHeaders);

/// <summary>Records every exchange of the clients of an <see cref="ApiHost"/>.</summary>
internal sealed class RecordingHandler(ConcurrentQueue<RecordedExchange> log) : DelegatingHandler(new SocketsHttpHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var requestHeaders = Names(request.Headers.Select(h => h.Key).Concat(request.Content?.Headers.Select(h => h.Key) ?? []));
        var response = await base.SendAsync(request, cancellationToken);
        var uri = request.RequestUri!;
        var query = Names(uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => Uri.UnescapeDataString(p.Split('=')[0])));
        var responseHeaders = Names(response.Headers.Select(h => h.Key).Concat(response.Content.Headers.Select(h => h.Key)));
        log.Enqueue(new RecordedExchange(request.Method.Method, uri.AbsolutePath, query, requestHeaders, (int)response.StatusCode, responseHeaders));
        return response;
    }

    private static HashSet<string> Names(IEnumerable<string> names) => new(names, StringComparer.OrdinalIgnoreCase);
}
