using EventSourcing.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// Every read of the global log. Gap-safe: each statement takes only events of transactions older than
/// the oldest one still running in the cluster (the log's horizon), decided in the same statement, in
/// (transaction id, sequence) order; an open write transaction holds readers back until it ends, which
/// delays, but never loses, events.
/// </summary>
internal sealed class PostgresLogReader(PostgresBackend backend, EventTypeRegistry registry)
{
    /// <summary>
    /// The events after <paramref name="after"/>, at most <paramref name="maxCount"/>, of the given
    /// registered types (with their aliases and upcast sources) or of every type when null.
    /// </summary>
    public IAsyncEnumerable<EventEnvelope> ReadAsync(GlobalPosition after, long maxCount, IReadOnlyCollection<string>? eventTypes, CancellationToken cancellationToken) =>
        EventPages.ReadAsync(backend, new Page(backend.Sql, registry, after, eventTypes is null ? null : StoredNames(eventTypes)), maxCount, cancellationToken);

    /// <summary>The position of the last event below the horizon; <see cref="GlobalPosition.Start"/> when none.</summary>
    public async ValueTask<GlobalPosition> HeadAsync(CancellationToken cancellationToken)
    {
        var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = backend.Command(backend.Sql.HeadPosition, connection);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? Positions.Read(reader, 0)
            : GlobalPosition.Start;
    }

    /// <summary>How many events the log holds (of the given types; every type when null).</summary>
    /// <remarks>Exact up to a million events; above that, for all types, the planner's estimate (no full scan).</remarks>
    public async ValueTask<long> CountAsync(IReadOnlyCollection<string>? eventTypes, CancellationToken cancellationToken)
    {
        var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = backend.Command(eventTypes is null ? backend.Sql.CountEvents : backend.Sql.CountEventsOfTypes, connection);
        if (eventTypes is not null)
        {
            command.Parameters.Add(StoredNamesParameter(StoredNames(eventTypes)));
        }

        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long count ? count : 0L;
    }

    /// <summary>Every stored name whose events read as one of these registered names (aliases and upcast sources included).</summary>
    private string[] StoredNames(IReadOnlyCollection<string> eventTypes)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in eventTypes)
        {
            names.UnionWith(registry.GetStoredNames(type));
        }

        return [.. names];
    }

    private static NpgsqlParameter<string[]> StoredNamesParameter(string[] storedNames) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = storedNames };

    /// <summary>A page of the log after the position of the last event read, of some stored type names or all.</summary>
    private sealed class Page(PostgresSql sql, EventTypeRegistry registry, GlobalPosition after, string[]? storedTypes) : EventPages.Query
    {
        private GlobalPosition _position = after;
        private StreamId _streamId;

        public override string Sql => storedTypes is null ? sql.ReadAll : sql.ReadAllOfTypes;

        public override void AddParameters(NpgsqlParameterCollection parameters, int limit)
        {
            Positions.Add(parameters, _position);
            parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = limit });
            if (storedTypes is not null)
            {
                parameters.Add(StoredNamesParameter(storedTypes));
            }
        }

        public override EventEnvelope Read(NpgsqlDataReader reader, RowBuffers buffers)
        {
            // Consecutive events of one stream (a batch) share one validated id: the bytes are compared
            // first, and a string is made only for a new stream.
            _streamId = buffers.ReadStreamId(reader, 0, _streamId);
            var envelope = EventRows.Read(reader, 1, buffers, registry, _streamId);
            _position = envelope.Position;
            return envelope;
        }
    }
}
