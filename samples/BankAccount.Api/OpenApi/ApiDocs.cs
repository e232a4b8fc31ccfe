using System.Globalization;

namespace BankAccount.Api.OpenApi;

/// <summary>A request header an operation reads, for the OpenAPI document.</summary>
internal sealed record DocumentedRequestHeader(string Name, string Description, string Example, bool Required = false);

/// <summary>A query parameter an operation reads (parsed by the handler, so the problem names it), for the OpenAPI document.</summary>
internal sealed record DocumentedQuery(string Name, string Description, string Example, string Type = "string", string? Format = null);

/// <summary>A header a response carries.</summary>
internal sealed record DocumentedResponseHeader(int Status, string Name, string Description, string Example);

/// <summary>A problem response: when it happens and its stable codes.</summary>
internal sealed record DocumentedProblem(int Status, string When, IReadOnlyList<string> Codes);

/// <summary>The request body's example, and whether a body is required.</summary>
internal sealed record DocumentedBody(string Example, bool Required = true);

/// <summary>
/// What ASP.NET Core cannot see in a handler that reads headers, query and body by hand: the endpoint
/// states it here, next to its mapping, and <see cref="BankOpenApi"/> writes it into the document.
/// </summary>
internal static class ApiDocs
{
    public const string IfMatch = "If-Match";
    public const string ETag = "ETag";
    public const string Location = "Location";

    public static RouteHandlerBuilder RequestHeader(this RouteHandlerBuilder endpoint, string name, string description, string example, bool required = false) =>
        endpoint.WithMetadata(new DocumentedRequestHeader(name, description, example, required));

    public static RouteHandlerBuilder Query(this RouteHandlerBuilder endpoint, string name, string description, string example, string type = "string", string? format = null) =>
        endpoint.WithMetadata(new DocumentedQuery(name, description, example, type, format));

    public static RouteHandlerBuilder ResponseHeader(this RouteHandlerBuilder endpoint, int status, string name, string description, string example) =>
        endpoint.WithMetadata(new DocumentedResponseHeader(status, name, description, example));

    public static RouteHandlerBuilder Body(this RouteHandlerBuilder endpoint, string example, bool required = true) =>
        endpoint.WithMetadata(new DocumentedBody(example, required));

    /// <summary>Documents a problem response: application/problem+json with its codes and an example.</summary>
    public static RouteHandlerBuilder Problem(this RouteHandlerBuilder endpoint, int status, string when, params string[] codes) =>
        (status == StatusCodes.Status400BadRequest ? endpoint.ProducesValidationProblem() : endpoint.ProducesProblem(status))
            .WithMetadata(new DocumentedProblem(status, when, codes));

    /// <summary>The headers every command reads and answers; <paramref name="ifMatch"/> says whether If-Match is read, and required.</summary>
    public static RouteHandlerBuilder CommandHeaders(this RouteHandlerBuilder endpoint, int success, IfMatchUse ifMatch)
    {
        endpoint
            .RequestHeader("X-User", "Who sends the command, 1 to 64 printable ASCII characters; written into the events' metadata and shown by the audit trail. \"anonymous\" when absent.", "alice")
            .RequestHeader("X-Correlation-Id", "Correlates the command's events with the caller's work, 1 to 128 printable ASCII characters. When absent: the trace id of a W3C traceparent header, else a new id. Echoed in the response.", "atm-42")
            .RequestHeader("Idempotency-Key", "Makes retries safe, 1 to 255 printable ASCII characters (e.g. a UUID), scoped by X-User: a retry with the same key, method, path and body gets the first response again (with Idempotent-Replayed: true) and writes nothing; the key with another request is a 422 idempotency_key_reused. Responses are kept 24 hours.", "3f1c0a52-6e0b-4d7e-9a55-1b0d2a8c7e10")
            .ResponseHeader(success, "X-Correlation-Id", "The correlation id the command's events carry.", "atm-42")
            .ResponseHeader(success, "Idempotent-Replayed", "\"true\" on a response sent again for a retried Idempotency-Key; absent otherwise.", "true")
            .ResponseHeader(success, ETag, "The account's new version, as a strong entity tag.", "\"3\"");
        return ifMatch switch
        {
            IfMatchUse.Optional => endpoint.RequestHeader(IfMatch, "Optional: the ETag(s) of the account state the command was decided on, e.g. \"3\" (the quotes belong to it), compared strongly (a weak W/ tag never matches). 412 when the account is at another version; \"*\" for any version.", "\"3\""),
            IfMatchUse.Required => endpoint.RequestHeader(IfMatch, "Required: the ETag(s) of the account state the command was decided on, e.g. \"3\" (the quotes belong to it), compared strongly (a weak W/ tag never matches), or \"*\" for any version. 428 when absent, 412 when the account is at another version.", "\"3\"", required: true),
            _ => endpoint,
        };
    }

    /// <summary>The problem example of a status: the shape every error has (a 400 names the field in errors).</summary>
    public static string ProblemExample(int status, string code, string path) => status == StatusCodes.Status400BadRequest
        ? string.Create(CultureInfo.InvariantCulture, $$"""
            {"type":"{{Http.Problems.Type(status)}}","title":"{{Http.Problems.Title(status)}}","status":400,"detail":"amount: The number is out of range.","errors":{"amount":["The number is out of range."]},"instance":"{{path}}","code":"{{code}}","traceId":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
            """)
        : string.Create(CultureInfo.InvariantCulture, $$"""
            {"type":"{{Http.Problems.Type(status)}}","title":"{{Http.Problems.Title(status)}}","status":{{status}},"detail":"What went wrong, for a person.","instance":"{{path}}","code":"{{code}}","traceId":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
            """);
}

/// <summary>Whether a command reads If-Match.</summary>
internal enum IfMatchUse
{
    None,
    Optional,
    Required,
}
