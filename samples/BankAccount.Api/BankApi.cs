using BankAccount.Api.Endpoints;
using BankAccount.Api.Http;
using BankAccount.Api.OpenApi;
using BankAccount.Api.Rebuilds;
using EventSourcing.Aggregates;

namespace BankAccount.Api;

/// <summary>
/// The bank-account HTTP API: accounts, the three read models, temporal queries and projection rebuilds
/// over EventSourcing. <see cref="Create"/> builds the application, so tests can start it in process on
/// a free port exactly as <c>dotnet run</c> does.
/// </summary>
public static class BankApi
{
    /// <summary>The largest request body accepted (16 KiB); larger ones get 413.</summary>
    public const long MaxRequestBodyBytes = 16 * 1024;

    /// <summary>Builds the application: services, middleware and endpoints. Start it with <c>RunAsync</c> or <c>StartAsync</c>.</summary>
    /// <param name="args">Command-line arguments, e.g. <c>--urls http://127.0.0.1:0</c>.</param>
    /// <param name="configure">Changes the builder before it is built, e.g. to replace the <see cref="TimeProvider"/>.</param>
    /// <returns>The application.</returns>
    /// <exception cref="NotSupportedException">The configuration asks for a storage the sample cannot serve yet.</exception>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        builder.Services.AddEventSourcing(es => es.AddBankStorage(builder.Configuration).UseSnapshots(SnapshotPolicy.Every(50)));
        builder.Services.AddSingleton<IdempotencyStore>();
        builder.Services.AddSingleton<RebuildTracker>();
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        // The framework's own problems (404 for an unknown route, 405, 415, ...) get the app's shape.
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c => Problems.Complete(c.ProblemDetails, c.HttpContext));
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.AddBankOpenApi();
        builder.AddBankTelemetry();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapAccountEndpoints();
        app.MapReportEndpoints();
        app.MapAdminEndpoints();
        app.MapBankHealth();
        return app;
    }
}
