using System.Text.Json;
using System.Text.Json.Nodes;

namespace BankAccount.Api.Http;

/// <summary>
/// A response held as bytes (status, a few headers, body), so the idempotency store can keep it and send
/// exactly the same response again for a retried request. A problem gets the <c>instance</c> and
/// <c>traceId</c> of the request that it answers when it is sent (see <see cref="Problems"/>), so a
/// replayed problem carries the retry's trace id, the one the logs show for it.
/// </summary>
internal sealed class ApiResponse : IResult
{
    /// <summary>The header set on a response sent again for a retried Idempotency-Key.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    private const string ProblemContentType = "application/problem+json; charset=utf-8";

    private ApiResponse(int statusCode, byte[] body, string? contentType, (string Name, string Value)[] headers, bool replayed)
    {
        StatusCode = statusCode;
        Body = body;
        ContentType = contentType;
        Headers = headers;
        Replayed = replayed;
    }

    public int StatusCode { get; }

    public byte[] Body { get; }

    public string? ContentType { get; }

    public IReadOnlyList<(string Name, string Value)> Headers { get; }

    public bool Replayed { get; }

    public static ApiResponse Json<T>(int statusCode, T value, params (string Name, string Value)[] headers) =>
        new(statusCode, JsonSerializer.SerializeToUtf8Bytes(value, ApiJson.Options), "application/json; charset=utf-8", headers, replayed: false);

    public static ApiResponse ProblemJson<T>(int statusCode, T problem) =>
        new(statusCode, JsonSerializer.SerializeToUtf8Bytes(problem, ApiJson.Options), ProblemContentType, [], replayed: false);

    public static ApiResponse Empty(int statusCode, params (string Name, string Value)[] headers) =>
        new(statusCode, [], null, headers, replayed: false);

    /// <summary>A response read back from where it was kept (see <see cref="IIdempotencyRecords"/>).</summary>
    public static ApiResponse Restore(int statusCode, byte[] body, string? contentType, (string Name, string Value)[] headers) =>
        new(statusCode, body, contentType, headers, replayed: false);

    public ApiResponse AsReplay() => new(StatusCode, Body, ContentType, [.. Headers], replayed: true);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        if (Replayed)
        {
            response.Headers[ReplayedHeader] = "true";
        }

        if (ContentType is not null)
        {
            var body = ContentType.StartsWith("application/problem+json", StringComparison.Ordinal) ? Stamp(Body, httpContext) : Body;
            response.ContentType = ContentType;
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, httpContext.RequestAborted);
        }
    }

    private static byte[] Stamp(byte[] problem, HttpContext httpContext)
    {
        var json = JsonNode.Parse(problem)!.AsObject();
        json["instance"] ??= Problems.InstanceOf(httpContext);
        json["traceId"] = Problems.TraceIdOf(httpContext);
        return JsonSerializer.SerializeToUtf8Bytes(json, ApiJson.Options);
    }
}
