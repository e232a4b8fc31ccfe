using System.Globalization;
using System.Text.Json.Nodes;
using BankAccount.Api.Contracts;
using BankAccount.Api.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace BankAccount.Api.OpenApi;

/// <summary>
/// Makes /openapi/v1.json say what the API does: the headers and query parameters each operation reads
/// (the handlers parse them by hand, so ASP.NET Core cannot see them), the headers each response carries,
/// the problem codes of each status with the shared problem shape, and body examples. Schemas follow the
/// JSON settings (<see cref="ApiJson"/>): numbers are JSON numbers, a member that can be absent is not
/// required, no member is ever null (nulls are left out), and request bodies take no other members.
/// </summary>
internal static class BankOpenApi
{
    public static IServiceCollection AddBankOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddSchemaTransformer(TransformSchema);
            options.AddOperationTransformer(TransformOperation);
        });

    private static Task TransformSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (context.JsonPropertyInfo is not null || schema.Properties is not { } properties)
        {
            return Task.CompletedTask;
        }

        if (type == typeof(ProblemDetails) || type == typeof(HttpValidationProblemDetails))
        {
            properties["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A stable code clients match on, e.g. version_mismatch or insufficient_funds." };
            properties["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's W3C trace context id, as in the logs and traces." };
            properties["currentVersion"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "409, 412 and 428: the account's version now." };
            schema.Required = new HashSet<string>(StringComparer.Ordinal) { "type", "title", "status", "detail", "instance", "code", "traceId" };
            foreach (var property in properties.Values.OfType<OpenApiSchema>())
            {
                DropNull(property);
            }

            return Task.CompletedTask;
        }

        if (type.Namespace != typeof(AccountResponse).Namespace)
        {
            return Task.CompletedTask;
        }

        // Required = declared non-nullable; a nullable member is left out when null, so it is never null.
        schema.Required = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in context.JsonTypeInfo.Properties)
        {
            if (!member.IsGetNullable && !member.IsSetNullable)
            {
                schema.Required.Add(member.Name);
            }

            if (properties.TryGetValue(member.Name, out var property) && property is OpenApiSchema concrete)
            {
                DropNull(concrete);
            }
        }

        if (type == typeof(AccountResponse))
        {
            schema.Examples = [JsonNode.Parse("""{"id":"01a2364bc3eb7c949dec0857e3b22d61","owner":"Alice","currency":"EUR","balance":70.00,"status":"open","version":3}""")!];
        }

        if (type == typeof(AmountRequest) && properties.TryGetValue(Amounts.Field, out var amount) && amount is OpenApiSchema amountSchema)
        {
            amountSchema.ExclusiveMinimum = "0";
            amountSchema.Maximum = Amounts.Max.ToString(CultureInfo.InvariantCulture);
            amountSchema.Format = null;
        }

        return Task.CompletedTask;
    }

    private static void DropNull(OpenApiSchema schema)
    {
        if (schema.Type is { } kind && kind != JsonSchemaType.Null)
        {
            schema.Type = kind & ~JsonSchemaType.Null;
        }
    }

    private static Task TransformOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var path = "/" + context.Description.RelativePath?.Split('?')[0];
        foreach (var header in metadata.OfType<DocumentedRequestHeader>())
        {
            (operation.Parameters ??= []).Add(new OpenApiParameter
            {
                Name = header.Name,
                In = ParameterLocation.Header,
                Description = header.Description,
                Required = header.Required,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                Example = JsonValue.Create(header.Example),
            });
        }

        foreach (var query in metadata.OfType<DocumentedQuery>())
        {
            (operation.Parameters ??= []).Add(new OpenApiParameter
            {
                Name = query.Name,
                In = ParameterLocation.Query,
                Description = query.Description,
                Schema = new OpenApiSchema { Type = query.Type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String, Format = query.Format },
                Example = JsonValue.Create(query.Example),
            });
        }

        foreach (var header in metadata.OfType<DocumentedResponseHeader>())
        {
            if (Response(operation, header.Status) is { } response)
            {
                (response.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal))[header.Name] = new OpenApiHeader
                {
                    Description = header.Description,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    Example = JsonValue.Create(header.Example),
                };
            }
        }

        foreach (var problem in metadata.OfType<DocumentedProblem>())
        {
            if (Response(operation, problem.Status) is { } response)
            {
                response.Description = $"{Problems.Title(problem.Status)} {problem.When} (type {Problems.Type(problem.Status)}; code {string.Join(" or ", problem.Codes)})";
                if (response.Content?.TryGetValue("application/problem+json", out var media) == true)
                {
                    media.Example = JsonNode.Parse(ApiDocs.ProblemExample(problem.Status, problem.Codes[0], path));
                }
            }
        }

        if (metadata.OfType<DocumentedBody>().LastOrDefault() is { } body && operation.RequestBody is OpenApiRequestBody requestBody)
        {
            requestBody.Required = body.Required;
            if (requestBody.Content?.TryGetValue("application/json", out var media) == true)
            {
                media.Example = JsonNode.Parse(body.Example);
            }
        }

        return Task.CompletedTask;
    }

    private static OpenApiResponse? Response(OpenApiOperation operation, int status) =>
        operation.Responses?.TryGetValue(status.ToString(CultureInfo.InvariantCulture), out var response) == true ? response as OpenApiResponse : null;
}
