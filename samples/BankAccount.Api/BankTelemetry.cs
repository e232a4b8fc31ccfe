using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace BankAccount.Api;

/// <summary>
/// Traces, metrics and health endpoints. Traces and metrics from EventSourcing, Npgsql and ASP.NET Core go
/// to the console when <c>Telemetry:Console=true</c> and over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is
/// set; otherwise nothing is exported. <c>/health/live</c> answers while the process serves requests;
/// <c>/health/ready</c> also checks the event store, the PostgreSQL schema (on PostgreSQL) and the async projections.
/// </summary>
internal static class BankTelemetry
{
    /// <summary>The ActivitySources and Meters of the EventSourcing libraries.</summary>
    public static readonly string[] EventSourcingSources = ["EventSourcing", "EventSourcing.Postgres", "EventSourcing.Sqlite"];

    public static void AddBankTelemetry(this WebApplicationBuilder builder)
    {
        var console = builder.Configuration.GetValue<bool>("Telemetry:Console");
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (console || otlp)
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService("BankAccount.Api"))
                .WithTracing(tracing =>
                {
                    tracing.AddSource(EventSourcingSources).AddAspNetCoreInstrumentation().AddNpgsql();
                    if (console)
                    {
                        tracing.AddConsoleExporter();
                    }

                    if (otlp)
                    {
                        tracing.AddOtlpExporter();
                    }
                })
                .WithMetrics(metrics =>
                {
                    metrics.AddMeter(EventSourcingSources).AddAspNetCoreInstrumentation().AddNpgsqlInstrumentation();
                    if (console)
                    {
                        metrics.AddConsoleExporter();
                    }

                    if (otlp)
                    {
                        metrics.AddOtlpExporter();
                    }
                });
        }

        var health = builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddEventSourcing(o =>
            {
                o.DegradedLag = 1_000;
                o.UnhealthyLag = 100_000;
            });
        if (BankStorage.UsesPostgres(builder.Configuration))
        {
            health.AddEventSourcingPostgresSchema();
        }
    }

    public static void MapBankHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live"), ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = WriteAsync });
    }

    /// <summary>Writes <c>{"status": "...", "checks": {"name": {"status", "description"}}}</c>.</summary>
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(context.Response.Body);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("status", report.Status.ToString());
            writer.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                writer.WriteStartObject(name);
                writer.WriteString("status", entry.Status.ToString());
                writer.WriteString("description", entry.Description);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
    }
}
