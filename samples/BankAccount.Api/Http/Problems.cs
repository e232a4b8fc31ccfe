using System.Diagnostics;
using BankAccount.Domain;
using Microsoft.AspNetCore.Mvc;

namespace BankAccount.Api.Http;

/// <summary>
/// RFC 9457 problem details, one shape for every error, the app's and the framework's alike:
/// <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>, <c>instance</c> (the request path),
/// a stable <c>code</c> and the <c>traceId</c> of the request (W3C trace context, as in the logs and
/// traces). Validation problems also name the offending field or header in <c>errors</c>.
/// </summary>
internal static class Problems
{
    public const string ValidationFailed = "validation_failed";
    public const string VersionMismatch = "version_mismatch";
    public const string PreconditionRequired = "precondition_required";
    public const string ConcurrencyConflict = "concurrency_conflict";
    public const string IdempotencyKeyReused = "idempotency_key_reused";

    public static ApiResponse Validation(string field, string message)
    {
        var problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = Title(StatusCodes.Status400BadRequest),
            Detail = $"{field}: {message}",
            Type = Type(StatusCodes.Status400BadRequest),
        };
        problem.Extensions["code"] = ValidationFailed;
        return ApiResponse.ProblemJson(StatusCodes.Status400BadRequest, problem);
    }

    public static ApiResponse NotFound(string detail) =>
        Status(StatusCodes.Status404NotFound, detail, AccountErrorCodes.NotFound);

    public static ApiResponse Rule(AccountRuleException error) =>
        error.Code == AccountErrorCodes.NotFound
            ? NotFound(error.Message)
            : Status(StatusCodes.Status422UnprocessableEntity, error.Message, error.Code);

    /// <summary>A 409, 412 or 428 that tells the client the account's current version (when known).</summary>
    public static ApiResponse WithVersion(int status, string code, string detail, long? currentVersion)
    {
        var problem = Create(status, detail, code);
        if (currentVersion is { } version)
        {
            problem.Extensions["currentVersion"] = version;
        }

        return ApiResponse.ProblemJson(status, problem);
    }

    public static ApiResponse Status(int status, string detail, string code) =>
        ApiResponse.ProblemJson(status, Create(status, detail, code));

    /// <summary>
    /// Gives a problem the shared shape: the type and title of its status, a detail, the instance and
    /// the trace id, and a code (one derived from the status when the problem has none, as the
    /// framework's own 404, 405 and 415 have none).
    /// </summary>
    public static void Complete(ProblemDetails problem, HttpContext http)
    {
        var status = problem.Status ?? http.Response.StatusCode;
        problem.Status = status;
        problem.Type = Type(status);
        problem.Title = Title(status);
        problem.Detail ??= DefaultDetail(status, http);
        problem.Instance ??= InstanceOf(http);
        problem.Extensions.TryAdd("code", CodeOf(status));
        problem.Extensions["traceId"] = TraceIdOf(http);
    }

    /// <summary>The request's path, the problem's <c>instance</c>.</summary>
    public static string InstanceOf(HttpContext http) => (http.Request.PathBase + http.Request.Path).ToString();

    /// <summary>The W3C trace context id of the request (what ASP.NET Core's own problems carry).</summary>
    public static string TraceIdOf(HttpContext http) => Activity.Current?.Id ?? http.TraceIdentifier;

    private static ProblemDetails Create(int status, string detail, string code)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = Title(status),
            Detail = detail,
            Type = Type(status),
        };
        problem.Extensions["code"] = code;
        return problem;
    }

    private static string DefaultDetail(int status, HttpContext http) => status switch
    {
        StatusCodes.Status404NotFound => $"Nothing here answers {http.Request.Method} {InstanceOf(http)}.",
        StatusCodes.Status405MethodNotAllowed => $"{InstanceOf(http)} does not take {http.Request.Method}; it takes {http.Response.Headers.Allow}.",
        StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json.",
        StatusCodes.Status500InternalServerError => "An unexpected error occurred; it has been logged.",
        _ => "The request could not be served.",
    };

    private static string CodeOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "bad_request",
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
        StatusCodes.Status413PayloadTooLarge => "body_too_large",
        StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
        StatusCodes.Status500InternalServerError => "internal_error",
        _ => "http_" + status,
    };

    public static string Title(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request is invalid.",
        StatusCodes.Status404NotFound => "Not found.",
        StatusCodes.Status405MethodNotAllowed => "Method not allowed.",
        StatusCodes.Status409Conflict => "Conflict.",
        StatusCodes.Status412PreconditionFailed => "Precondition failed.",
        StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type.",
        StatusCodes.Status422UnprocessableEntity => "The command breaks an account rule.",
        StatusCodes.Status428PreconditionRequired => "Precondition required.",
        StatusCodes.Status500InternalServerError => "Internal server error.",
        _ => "The request failed.",
    };

    public static string Type(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        StatusCodes.Status404NotFound => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        StatusCodes.Status405MethodNotAllowed => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
        StatusCodes.Status409Conflict => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        StatusCodes.Status412PreconditionFailed => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.13",
        StatusCodes.Status413PayloadTooLarge => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        StatusCodes.Status415UnsupportedMediaType => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
        StatusCodes.Status422UnprocessableEntity => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.21",
        StatusCodes.Status428PreconditionRequired => "https://www.rfc-editor.org/rfc/rfc6585#section-3",
        StatusCodes.Status500InternalServerError => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.1",
        _ => "about:blank",
    };
}
