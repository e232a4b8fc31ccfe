using System.Security.Cryptography;
using System.Text;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// Every statement the backend runs, built once per schema. The schema name is validated and quoted;
/// every value is a positional parameter.
/// </summary>
internal sealed class PostgresSql
{
    public PostgresSql(string schema)
    {
        PostgresOptions.ValidateIdentifier(schema, nameof(PostgresOptions.Schema));
        Schema = schema;
        var s = Quoted = Quote(schema);

        FastPath = new FastPathSql(s);
        Append = $"select out_version, out_tx_id, out_position, out_already from {s}.append($1, $2, $3, $4, $5, $6, $7)";

        // Every event query returns the event columns in one order (EventRows reads them); a log page
        // puts the stream id first.
        var events = $"select {EventColumns} from {s}.events";
        ReadStream = $"{events} where stream_id = $1 and version >= $2 order by version limit $3";
        ReadStreamBackwards = $"{events} where stream_id = $1 and version <= $2 order by version desc limit $3";
        ReadEvent = $"{events} where stream_id = $1 and event_id = $2";

        // A replay's read: only the columns EventRows.ReadReplay reads.
        ReplayStream = $"select {ReplayColumns} from {s}.events where stream_id = $1 and version >= $2 order by version limit $3";

        // Gap-safe: only transactions below the oldest one still running (same statement, same snapshot).
        var log = $"select stream_id, {EventColumns} from {s}.events where (tx_id, global_position) > ($1, $2) and tx_id < {s}.log_horizon()";
        ReadAll = $"{log} order by tx_id, global_position limit $3";
        ReadAllOfTypes = $"{log} and event_type = any($4) order by tx_id, global_position limit $3";

        StoredOfBatch = $"select version, event_id, tx_id, global_position from {s}.events where stream_id = $1 and event_id = any($2)";
        AlignLog = $"select {s}.align_log()";
        LogMisaligned = $"""
            select e.tx_id::text::numeric >= pg_snapshot_xmax(pg_current_snapshot())::text::numeric + {s}.log_offset()
            from {s}.events as e order by e.tx_id desc limit 1
            """;
        StreamVersion = $"select version from {s}.streams where stream_id = $1";
        HeadPosition = $"""
            select tx_id, global_position from {s}.events
            where tx_id < {s}.log_horizon()
            order by tx_id desc, global_position desc
            limit 1
            """;

        LoadSnapshot = $"select version, state_type, schema_version, created_at, data from {s}.snapshots where stream_id = $1";

        // The snapshot (columns 0-4, at most one row) and the events after it (columns 5-8, a replay's
        // columns, in version order) in one statement, so both come from one MVCC snapshot: a snapshot saved
        // meanwhile cannot move the tail's start past events the returned snapshot lacks. Rows tell apart by column 0.
        SnapshotTail = $"""
            with snap as materialized (
                select version, state_type, schema_version, created_at, data from {s}.snapshots
                where stream_id = $1 and version <= $2)
            select version, state_type, schema_version, created_at, data, null, null, null, null from snap
            union all
            (select null, null, null, null, null, {ReplayColumns} from {s}.events
             where stream_id = $1 and version > coalesce((select version from snap), 0) and version <= $2
             order by version limit $3)
            """;

        // Same rule as SnapshotGuard.Replaces: newer (or equal) version, or another schema version/state type.
        SaveSnapshot = $"""
            insert into {s}.snapshots as x (stream_id, version, state_type, schema_version, data, created_at)
            values ($1, $2, $3, $4, $5, $6)
            on conflict (stream_id) do update
            set version = excluded.version, state_type = excluded.state_type, schema_version = excluded.schema_version,
                data = excluded.data, created_at = excluded.created_at
            where x.schema_version <> excluded.schema_version
               or x.state_type <> excluded.state_type
               or excluded.version >= x.version
            """;
        DeleteSnapshot = $"delete from {s}.snapshots where stream_id = $1";
        DeleteSnapshotsOfType = $"delete from {s}.snapshots where state_type = $1";

        AppendedPositions = $"select version, global_position, created_at from {s}.events where stream_id = $1 and version > $2 and version <= $3 order by version";
        AddDeadLetter = $"insert into {s}.dead_letters (projection, event_id, stream_id, version, tx_id, position, error, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";
        DeadLetters = $"select event_id, stream_id, version, tx_id, position, error, created_at from {s}.dead_letters where projection = $1 order by id";

        // Exact below a million rows (cheap there), the planner's estimate above.
        CountEvents = $"""
            select case when c.reltuples >= 1000000 then c.reltuples::bigint else (select count(*) from {s}.events) end
            from pg_class c where c.oid = '{s}.events'::regclass
            """;
        CountEventsOfTypes = $"select count(*) from {s}.events where event_type = any($1)";
        LoadCheckpoint = $"select tx_id, position from {s}.checkpoints where name = $1";
        CreateCheckpoint = $"insert into {s}.checkpoints (name, tx_id, position, updated_at) values ($1, $2, $3, now()) on conflict (name) do nothing";
        MoveCheckpoint = $"update {s}.checkpoints set tx_id = $2, position = $3, updated_at = now() where name = $1 and tx_id = $4 and position = $5";

        // Live wake-up. The payload ends with the sender's snapshot xmax: every transaction that had
        // committed before the notification is below it, so a listener knows when readers can see them.
        NotificationChannel = ChannelFor(schema);
        Notify = "select pg_notify($1, $2 || pg_snapshot_xmax(pg_current_snapshot())::text)";
        Listen = $"{ListenerTag} listen {Quote(NotificationChannel)}";
        ListenerHorizon = $"{ListenerTag} select pg_snapshot_xmin(pg_current_snapshot())";
        ListenerKeepAlive = $"{ListenerTag} select 1";
    }

    /// <summary>Marks the listener's statements, so its connection is recognisable in <c>pg_stat_activity</c>.</summary>
    public const string ListenerTag = "/* eventsourcing listener */";

    public const string Unlisten = "unlisten *";

    /// <summary>The columns of an event, in the order <see cref="EventRows"/> reads them.</summary>
    public const string EventColumns = "version, event_id, event_type, created_at, tx_id, global_position, metadata, data";

    /// <summary>The columns of a replay's read, in the order <see cref="EventRows.ReadReplay"/> reads them.</summary>
    public const string ReplayColumns = "version, event_id, event_type, data";

    public string Schema { get; }

    public string Quoted { get; }

    /// <summary>The single-statement appends for an exact expected version.</summary>
    public FastPathSql FastPath { get; }

    public string Append { get; }

    public string ReadStream { get; }

    public string ReadStreamBackwards { get; }

    public string ReadEvent { get; }

    public string ReplayStream { get; }

    public string ReadAll { get; }

    public string ReadAllOfTypes { get; }

    public string HeadPosition { get; }

    public string CountEventsOfTypes { get; }

    public string StreamVersion { get; }

    /// <summary>The stored events of a stream among a batch's ids ($2).</summary>
    public string StoredOfBatch { get; }

    /// <summary>Raises the log offset when the log is ahead of the server's transaction counter (after a restore).</summary>
    public string AlignLog { get; }

    /// <summary>True when the newest stored log id is not below the next one the server assigns (see <see cref="AlignLog"/>).</summary>
    public string LogMisaligned { get; }

    public string LoadSnapshot { get; }

    public string SaveSnapshot { get; }

    /// <summary>The snapshot at or before a version and the events after it, in one statement (see the constructor).</summary>
    public string SnapshotTail { get; }

    public string DeleteSnapshot { get; }

    public string DeleteSnapshotsOfType { get; }

    public string AppendedPositions { get; }

    public string AddDeadLetter { get; }

    public string DeadLetters { get; }

    public string CountEvents { get; }

    public string LoadCheckpoint { get; }

    public string CreateCheckpoint { get; }

    public string MoveCheckpoint { get; }

    /// <summary>The NOTIFY channel of the schema: <c>es_&lt;schema&gt;</c>, shortened with a hash when that exceeds 63 bytes.</summary>
    public string NotificationChannel { get; }

    public string Notify { get; }

    public string Listen { get; }

    public string ListenerHorizon { get; }

    public string ListenerKeepAlive { get; }

    /// <summary>
    /// Channel names are identifiers (at most 63 bytes). A validated schema name is plain ASCII, so only
    /// the longest ones need shortening; the hash keeps them apart (and a collision only wakes readers
    /// needlessly).
    /// </summary>
    internal static string ChannelFor(string schema)
    {
        var channel = "es_" + schema;
        if (channel.Length <= 63)
        {
            return channel;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(schema)), 0, 4);
        return $"es_{schema[..51]}_{hash}";
    }

    /// <summary>Quotes an identifier that <see cref="PostgresOptions.ValidateIdentifier"/> accepted.</summary>
    public static string Quote(string identifier) => "\"" + identifier + "\"";
}
