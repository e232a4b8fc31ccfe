using BankAccount.Domain;
using EventSourcing;

namespace BankAccount.Api.Http;

/// <summary>
/// What a command request says about itself in headers: who (X-User), under which correlation id
/// (X-Correlation-Id, else the trace id of a W3C traceparent, else a new one), the version it expects
/// (If-Match: null when absent) and its Idempotency-Key. Each is checked; a bad one is a
/// 400 naming the header.
/// </summary>
internal sealed record RequestHeaders(string User, string CorrelationId, string CausationId, IfMatchCondition? IfMatch, string? IdempotencyKey)
{
    public const string UserHeader = "X-User";
    public const string CorrelationHeader = "X-Correlation-Id";
    public const string TraceParentHeader = "traceparent";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string Anonymous = "anonymous";

    /// <summary>
    /// The metadata of the events a command raises: correlation, causation (this request), the user and,
    /// under an Idempotency-Key, the request's fingerprint (see <see cref="IdempotentCall"/>).
    /// </summary>
    public EventMetadata ToMetadata(string? fingerprint = null)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal) { [BankMetadata.UserHeader] = User };
        if (fingerprint is not null)
        {
            headers[IdempotentCall.FingerprintHeader] = fingerprint;
        }

        return new() { CorrelationId = CorrelationId, CausationId = CausationId, Headers = headers };
    }

    public static (RequestHeaders? Headers, ApiResponse? Error) Read(HttpContext http)
    {
        var headers = http.Request.Headers;
        var user = headers[UserHeader].ToString();
        if (user.Length == 0)
        {
            user = Anonymous;
        }
        else if (!IsPrintable(user, 64))
        {
            return (null, Problems.Validation(UserHeader, "Give a user name of 1 to 64 printable characters."));
        }

        string correlationId;
        var given = headers[CorrelationHeader].ToString();
        if (given.Length > 0)
        {
            if (!IsPrintable(given, 128))
            {
                return (null, Problems.Validation(CorrelationHeader, "Give a correlation id of 1 to 128 printable ASCII characters."));
            }

            correlationId = given;
        }
        else
        {
            correlationId = TraceIdOf(headers[TraceParentHeader].ToString()) ?? Guid.CreateVersion7().ToString("N");
        }

        IfMatchCondition? ifMatch = null;
        var ifMatchText = headers.IfMatch.ToString().Trim();
        if (ifMatchText == "*")
        {
            ifMatch = new IfMatchCondition(Any: true, []);
        }
        else if (headers.ContainsKey("If-Match"))
        {
            if (ETags.ParseList(ifMatchText) is not { } tags)
            {
                return (null, Problems.Validation("If-Match", "Give the ETag of a GET /accounts/{id} response, e.g. \"3\" with the quotes, or *."));
            }

            ifMatch = new IfMatchCondition(Any: false, [.. tags.Where(t => !t.Weak).Select(t => t.Version)]);
        }

        string? key = null;
        var keyText = headers[IdempotencyKeyHeader].ToString();
        if (headers.ContainsKey(IdempotencyKeyHeader))
        {
            if (!IsPrintable(keyText, 255))
            {
                return (null, Problems.Validation(IdempotencyKeyHeader, "Give a key of 1 to 255 printable ASCII characters, e.g. a UUID."));
            }

            key = keyText;
        }

        return (new RequestHeaders(user, correlationId, http.TraceIdentifier, ifMatch, key), null);
    }

    /// <summary>The trace id of a W3C traceparent header ("00-{32 hex}-{16 hex}-{2 hex}"), or null.</summary>
    internal static string? TraceIdOf(string traceParent)
    {
        var parts = traceParent.Trim().Split('-');
        if (parts.Length < 4 || parts[0].Length != 2 || parts[1].Length != 32 || parts[2].Length != 16
            || !parts[1].All(char.IsAsciiHexDigitLower) || parts[1].All(c => c == '0'))
        {
            return null;
        }

        return parts[1];
    }

    private static bool IsPrintable(string value, int maxLength)
    {
        if (value.Length == 0 || value.Length > maxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c < ' ' || c > '~')
            {
                return false;
            }
        }

        return true;
    }
}
