using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace BankAccount.Api.Http;

/// <summary>
/// The last line: a request the framework itself refuses (bad framing, a body over the limit) gets its
/// own 4xx problem, never a 500. Anything else is a server error, logged by the middleware, answered
/// with a 500 problem that reveals nothing.
/// </summary>
internal sealed class ApiExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var response = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                Problems.Status(StatusCodes.Status413PayloadTooLarge, $"The body must be at most {BankApi.MaxRequestBodyBytes} bytes.", "body_too_large"),
            BadHttpRequestException bad => Problems.Status(bad.StatusCode, bad.Message, "bad_request"),
            JsonException => Problems.Validation(RequestBody.Field, "The body is not valid JSON."),
            _ => Problems.Status(StatusCodes.Status500InternalServerError, "An unexpected error occurred; it has been logged.", "internal_error"),
        };
        await response.ExecuteAsync(httpContext);
        return true;
    }
}
