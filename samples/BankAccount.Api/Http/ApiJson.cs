using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BankAccount.Api.Http;

/// <summary>
/// The JSON settings of requests and responses, also given to ASP.NET Core (so the OpenAPI document and
/// the framework's own problems follow them): web defaults, but numbers must be JSON numbers, a member the
/// request type does not have is refused, nulls are left out, and text is not HTML-escaped (bodies are
/// application/json, never embedded in HTML).
/// </summary>
internal static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.NumberHandling = JsonNumberHandling.Strict;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        return options;
    }
}
