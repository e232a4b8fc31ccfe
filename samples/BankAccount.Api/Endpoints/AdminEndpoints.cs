using BankAccount.Api.Contracts;
using BankAccount.Api.Http;
using BankAccount.Api.OpenApi;
using BankAccount.Api.Rebuilds;
using BankAccount.Domain.ReadModels;
using EventSourcing.Projections;

namespace BankAccount.Api.Endpoints;

/// <summary>Maps /admin/projections: projection states, and rebuilds with progress.</summary>
internal static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/projections").WithTags("Admin");

        admin.MapGet("/", ListAsync)
            .WithName("ListProjections").WithSummary("Each read model's projection: mode, state, checkpoint, lag.")
            .Produces<IReadOnlyList<ProjectionResponse>>();

        admin.MapPost("/{name}/rebuild", StartRebuild)
            .WithName("RebuildProjection")
            .WithSummary("Rebuilds an async read model from the start of the log into a shadow copy, then swaps it in; 202 with Location of the status.")
            .Produces<RebuildStatusResponse>(StatusCodes.Status202Accepted)
            .ResponseHeader(StatusCodes.Status202Accepted, ApiDocs.Location, "The rebuild's status URL; poll it.", "/admin/projections/analytics/rebuilds/01a2364bc3eb7c949dec0857e3b22d61")
            .Problem(StatusCodes.Status404NotFound, "There is no such projection.", "projection_not_found")
            .Problem(StatusCodes.Status409Conflict, "The projection is inline (nothing to rebuild), or a rebuild of it is running.", "projection_not_rebuildable", "rebuild_running");

        admin.MapGet("/{name}/rebuilds/{rebuildId}", (string name, string rebuildId, RebuildTracker rebuilds) =>
                rebuilds.Find(name, rebuildId) is { } job
                    ? ApiResponse.Json(StatusCodes.Status200OK, job.ToResponse())
                    : Problems.Status(StatusCodes.Status404NotFound, $"There is no rebuild '{rebuildId}' of projection '{name}'.", "rebuild_not_found"))
            .WithName("GetRebuild").WithSummary("A rebuild's progress: state, events done of total, rate, ETA.")
            .Produces<RebuildStatusResponse>()
            .Problem(StatusCodes.Status404NotFound, "There is no such rebuild of the projection.", "rebuild_not_found");
        return app;
    }

    private static async Task<IResult> ListAsync(ProjectionDaemon daemon, CancellationToken ct)
    {
        var list = new List<ProjectionResponse> { new(BankReadModels.CurrentState, "inline", null, null, null, 0, null) };
        foreach (var name in daemon.Projections.Order(StringComparer.Ordinal))
        {
            var status = daemon.GetStatus(name);
            var lag = await daemon.GetLagAsync(name, 10_000, ct);
            list.Add(new ProjectionResponse(name, "async", status.State.ToString(), status.Checkpoint?.ToString(), status.EventsProjected, lag, status.Error?.Message));
        }

        return ApiResponse.Json(StatusCodes.Status200OK, list);
    }

    private static IResult StartRebuild(string name, RebuildTracker rebuilds)
    {
        if (name == BankReadModels.CurrentState)
        {
            // The daemon rebuilds only the projections it runs; an inline one is written inside each append.
            return Problems.Status(StatusCodes.Status409Conflict, $"'{name}' is an inline projection, kept up to date inside every append; only async projections can be rebuilt.", "projection_not_rebuildable");
        }

        if (!rebuilds.IsAsync(name))
        {
            return Problems.Status(StatusCodes.Status404NotFound, $"There is no projection '{name}'.", "projection_not_found");
        }

        var job = rebuilds.TryStart(name, out var running);
        if (job is null)
        {
            var problem = Problems.Status(StatusCodes.Status409Conflict, $"A rebuild of '{name}' is already running: {running!.StatusUrl}.", "rebuild_running");
            return problem;
        }

        return ApiResponse.Json(StatusCodes.Status202Accepted, job.ToResponse(), ("Location", job.StatusUrl));
    }
}
