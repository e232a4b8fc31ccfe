using BankAccount.Domain;
using Microsoft.AspNetCore.Mvc;

namespace BankAccount.Api.Http;

/// <summary>
/// RFC 9457 problem details for every client error. Each carries a stable <c>code</c>; validation
/// problems name the offending field in <c>errors</c>.
/// </summary>
internal static class Problems
{
    public const string ValidationFailed = "validation_failed";
    public const string VersionMismatch = "version_mismatch";
    public const string ConcurrencyConflict = "concurrency_conflict";
    public const string IdempotencyKeyReused = "idempotency_key_reused";

    public static ApiResponse Validation(string field, string message)
    {
        var problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid.",
            Detail = $"{field}: {message}",
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
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

    public static ApiResponse Conflict(string code, string detail, long? currentVersion = null)
    {
        var problem = Create(StatusCodes.Status409Conflict, detail, code);
        if (currentVersion is { } version)
        {
            problem.Extensions["currentVersion"] = version;
        }

        return ApiResponse.ProblemJson(StatusCodes.Status409Conflict, problem);
    }

    public static ApiResponse Status(int status, string detail, string code) =>
        ApiResponse.ProblemJson(status, Create(status, detail, code));

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

    private static string Title(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request is invalid.",
        StatusCodes.Status404NotFound => "Not found.",
        StatusCodes.Status409Conflict => "Conflict.",
        StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type.",
        StatusCodes.Status422UnprocessableEntity => "The command breaks an account rule.",
        _ => "The request failed.",
    };

    private static string Type(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        StatusCodes.Status404NotFound => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        StatusCodes.Status409Conflict => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        StatusCodes.Status413PayloadTooLarge => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        StatusCodes.Status415UnsupportedMediaType => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        StatusCodes.Status422UnprocessableEntity => "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        _ => "about:blank",
    };
}
