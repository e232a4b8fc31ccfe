using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BankAccount.Api.Http;

/// <summary>
/// The JSON settings of requests and responses: web defaults, but numbers must be JSON numbers, nulls are
/// left out, and text is not HTML-escaped (bodies are application/json, never embedded in HTML).
/// </summary>
internal static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
