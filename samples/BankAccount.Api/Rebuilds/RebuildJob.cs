using BankAccount.Api.Contracts;
using EventSourcing.Projections;

namespace BankAccount.Api.Rebuilds;

/// <summary>One rebuild started through the API; its progress is updated by the daemon as it goes.</summary>
internal sealed class RebuildJob(string id, string projection, DateTimeOffset startedAt) : IProgress<RebuildProgress>
{
    private readonly Lock _gate = new();
    private RebuildProgress? _progress;
    private RebuildState _state = RebuildState.Running;
    private DateTimeOffset? _finishedAt;
    private string? _error;

    public string Id { get; } = id;

    public string Projection { get; } = projection;

    public string StatusUrl => $"/admin/projections/{Projection}/rebuilds/{Id}";

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _state == RebuildState.Running;
            }
        }
    }

    public void Report(RebuildProgress value)
    {
        lock (_gate)
        {
            _progress = value;
        }
    }

    public void Finish(DateTimeOffset at, long eventsRead, Exception? error)
    {
        lock (_gate)
        {
            _state = error is null ? RebuildState.Succeeded : RebuildState.Failed;
            _finishedAt = at;
            _error = error?.Message;
            if (error is null && _progress is { } last)
            {
                _progress = last with { EventsDone = eventsRead, EventsTotal = Math.Max(last.EventsTotal, eventsRead), EstimatedRemaining = TimeSpan.Zero };
            }
        }
    }

    public RebuildStatusResponse ToResponse()
    {
        lock (_gate)
        {
            var done = _progress?.EventsDone ?? 0;
            var total = _progress?.EventsTotal ?? 0;
            var percent = _state == RebuildState.Succeeded ? 100 : total > 0 ? Math.Round(100.0 * done / total, 1) : 0;
            return new RebuildStatusResponse(
                Id,
                Projection,
                _state.ToString().ToLowerInvariant(),
                done,
                total,
                percent,
                Math.Round(_progress?.EventsPerSecond ?? 0, 1),
                _progress?.EstimatedRemaining?.TotalSeconds,
                startedAt,
                _finishedAt,
                _error,
                StatusUrl);
        }
    }

    private enum RebuildState
    {
        Running,
        Succeeded,
        Failed,
    }
}
