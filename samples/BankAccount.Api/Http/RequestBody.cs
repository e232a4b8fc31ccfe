using System.Text.Json;

namespace BankAccount.Api.Http;

/// <summary>
/// Reads and parses JSON request bodies by hand, so every failure is a problem response with the right
/// status: 415 for another media type, 413 past <see cref="BankApi.MaxRequestBodyBytes"/>, 400 naming
/// the field for malformed JSON, a value of the wrong type or out of range, or a member the request does
/// not have.
/// </summary>
internal static class RequestBody
{
    public const string Field = "body";

    public static async Task<(byte[] Bytes, ApiResponse? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.TransferEncoding.Any(v => v is not null && v.Contains("chunked", StringComparison.OrdinalIgnoreCase))))
        {
            return ([], null);
        }

        if (request.ContentLength > BankApi.MaxRequestBodyBytes)
        {
            return ([], TooLarge());
        }

        if (!request.HasJsonContentType())
        {
            return ([], Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Send the body as application/json.", "unsupported_media_type"));
        }

        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            return (buffer.ToArray(), null);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel enforces the size limit while streaming (e.g. a chunked body): 413; anything else it refuses: 400.
            return ([], ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? TooLarge()
                : Problems.Validation(Field, "The request body could not be read: " + ex.Message));
        }
    }

    public static (T? Value, ApiResponse? Error) Parse<T>(byte[] bytes)
        where T : class
    {
        if (bytes.Length == 0)
        {
            return (null, Problems.Validation(Field, "A JSON object is required."));
        }

        // Syntax first, so a broken document is blamed on the body and a well-formed one with a value of
        // the wrong type on that value's field.
        try
        {
            var reader = new Utf8JsonReader(bytes);
            while (reader.Read())
            {
            }
        }
        catch (JsonException ex)
        {
            return (null, Problems.Validation(Field, $"The body is not valid JSON{Where(ex)}."));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(bytes, ApiJson.Options);
            return value is null ? (null, Problems.Validation(Field, "A JSON object is required, not null.")) : (value, null);
        }
        catch (JsonException ex)
        {
            var field = FieldOf(ex.Path);
            return (null, Problems.Validation(field, field == Field ? $"The body must be a JSON object{Where(ex)}." : Explain<T>(bytes, field)));
        }
    }

    /// <summary>
    /// Why a well-formed body failed on one member: a member the request does not have (refused, so a
    /// typo is never silently ignored), a number too large for an amount, or a value of the wrong JSON type.
    /// </summary>
    private static string Explain<T>(byte[] bytes, string field)
    {
        var members = ApiJson.Options.GetTypeInfo(typeof(T)).Properties;
        var member = members.FirstOrDefault(p => string.Equals(p.Name, field, StringComparison.OrdinalIgnoreCase));
        if (member is null)
        {
            return $"This request has no member '{field}'; it takes {string.Join(", ", members.Select(p => p.Name))}.";
        }

        using var document = JsonDocument.Parse(bytes);
        var given = document.RootElement.EnumerateObject()
            .LastOrDefault(p => string.Equals(p.Name, field, StringComparison.OrdinalIgnoreCase)).Value.ValueKind;
        var number = Nullable.GetUnderlyingType(member.PropertyType) ?? member.PropertyType;
        if (number == typeof(decimal))
        {
            return given == JsonValueKind.Number
                ? "The number is out of range. " + Amounts.Rule
                : $"A JSON number is required, not {Describe(given)}. " + Amounts.Rule;
        }

        return $"A JSON string is required, not {Describe(given)}.";
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Where(JsonException ex) =>
        ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : string.Empty;

    private static ApiResponse TooLarge() =>
        Problems.Status(StatusCodes.Status413PayloadTooLarge, $"The body must be at most {BankApi.MaxRequestBodyBytes} bytes.", "body_too_large");

    private static string FieldOf(string? path)
    {
        // "$.amount" -> "amount"; "$" or nothing -> the body as a whole.
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return Field;
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
    }
}
