namespace EventSourcing.Sqlite.Internal;

/// <summary>The backend's SQL, in one place. Parameters are named <c>$name</c>.</summary>
internal static class SqliteSql
{
    /// <summary>The schema version this code writes (<c>PRAGMA user_version</c>).</summary>
    public const int SchemaVersion = 2;

    /// <summary>
    /// Version 2 (version 1 without <c>documents</c>; every statement is idempotent, so upgrading runs them all again). <c>events.position</c> is the rowid (INTEGER PRIMARY KEY, no AUTOINCREMENT): SQLite
    /// assigns max + 1 inside the write transaction, and since one writer at a time holds the lock from
    /// <c>BEGIN IMMEDIATE</c> to its commit, positions commit in order and without gaps; events are never
    /// updated or deleted (triggers), so none is reused. Timestamps are microseconds since the Unix epoch
    /// (UTC); payloads and metadata are UTF-8 JSON stored as BLOBs (<c>json(CAST(data AS TEXT))</c> reads them).
    /// </summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS streams (
            stream_id  TEXT    NOT NULL PRIMARY KEY,
            version    INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS events (
            position   INTEGER NOT NULL PRIMARY KEY,
            stream_id  TEXT    NOT NULL,
            version    INTEGER NOT NULL,
            event_id   BLOB    NOT NULL,
            event_type TEXT    NOT NULL,
            data       BLOB    NOT NULL,
            metadata   BLOB,
            created_at INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS events_stream_version ON events (stream_id, version);
        CREATE UNIQUE INDEX IF NOT EXISTS events_stream_event_id ON events (stream_id, event_id);
        CREATE TRIGGER IF NOT EXISTS events_immutable_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
        CREATE TRIGGER IF NOT EXISTS events_immutable_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;

        CREATE TABLE IF NOT EXISTS snapshots (
            stream_id      TEXT    NOT NULL PRIMARY KEY,
            version        INTEGER NOT NULL,
            state_type     TEXT    NOT NULL,
            schema_version INTEGER NOT NULL,
            state          BLOB    NOT NULL,
            created_at     INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS snapshots_state_type ON snapshots (state_type);

        CREATE TABLE IF NOT EXISTS checkpoints (
            name  TEXT    NOT NULL PRIMARY KEY,
            major INTEGER NOT NULL,
            minor INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS dead_letters (
            id             INTEGER NOT NULL PRIMARY KEY,
            projection     TEXT    NOT NULL,
            event_id       BLOB    NOT NULL,
            stream_id      TEXT    NOT NULL,
            stream_version INTEGER NOT NULL,
            major          INTEGER NOT NULL,
            minor          INTEGER NOT NULL,
            error          TEXT    NOT NULL,
            created_at     INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS dead_letters_projection ON dead_letters (projection, id);

        CREATE TABLE IF NOT EXISTS documents (
            collection TEXT NOT NULL,
            id         TEXT NOT NULL,
            data       TEXT NOT NULL,
            PRIMARY KEY (collection, id)
        ) WITHOUT ROWID;
        """;

    public const string SelectStream = "SELECT version, updated_at FROM streams WHERE stream_id = $stream";

    public const string StreamVersion = "SELECT version FROM streams WHERE stream_id = $stream";

    public const string InsertEvent = """
        INSERT INTO events (stream_id, version, event_id, event_type, data, metadata, created_at)
        VALUES ($stream, $version, $id, $type, $data, $metadata, $at)
        RETURNING position
        """;

    public const string UpsertStream = """
        INSERT INTO streams (stream_id, version, updated_at) VALUES ($stream, $version, $at)
        ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
        """;

    /// <summary>The start of the stored-ids query; the caller appends <c>($i0, $i1, …)</c>.</summary>
    public const string StoredIdsPrefix = "SELECT event_id, version, position FROM events WHERE stream_id = $stream AND event_id IN ";

    public const string HeadPosition = "SELECT max(position) FROM events";

    /// <summary>Columns 0-6: version, event_id, event_type, created_at, position, metadata, data.</summary>
    public const string ReadStream = """
        SELECT version, event_id, event_type, created_at, position, metadata, data FROM events
        WHERE stream_id = $stream AND version >= $from ORDER BY version LIMIT $limit
        """;

    /// <summary>As <see cref="ReadStream"/>, newest first.</summary>
    public const string ReadStreamBackwards = """
        SELECT version, event_id, event_type, created_at, position, metadata, data FROM events
        WHERE stream_id = $stream AND version <= $from ORDER BY version DESC LIMIT $limit
        """;

    /// <summary>As <see cref="ReadStream"/>, one event by id.</summary>
    public const string ReadEvent = """
        SELECT version, event_id, event_type, created_at, position, metadata, data FROM events
        WHERE stream_id = $stream AND event_id = $id
        """;

    /// <summary>Columns 0-7: stream_id, then those of <see cref="ReadStream"/>.</summary>
    public const string ReadAll = """
        SELECT stream_id, version, event_id, event_type, created_at, position, metadata, data FROM events
        WHERE position > $after ORDER BY position LIMIT $limit
        """;

    /// <summary>As <see cref="ReadAll"/>, filtered by stored type names; the caller appends <c>($t0, …)</c> and the tail.</summary>
    public const string ReadAllOfTypesPrefix = """
        SELECT stream_id, version, event_id, event_type, created_at, position, metadata, data FROM events
        WHERE position > $after AND event_type IN 
        """;

    public const string ReadAllOfTypesSuffix = " ORDER BY position LIMIT $limit";

    public const string CountEvents = "SELECT count(*) FROM events";

    public const string CountEventsOfTypesPrefix = "SELECT count(*) FROM events WHERE event_type IN ";

    /// <summary>As <see cref="LoadSnapshot"/>, only at or below a version.</summary>
    public const string LoadSnapshotUpTo = "SELECT version, state_type, schema_version, created_at, state FROM snapshots WHERE stream_id = $stream AND version <= $to";

    public const string LoadSnapshot = "SELECT version, state_type, schema_version, created_at, state FROM snapshots WHERE stream_id = $stream";

    /// <summary>The upsert keeps the stored snapshot unless <c>SnapshotGuard.Replaces</c> holds (same rule, in SQL).</summary>
    public const string SaveSnapshot = """
        INSERT INTO snapshots (stream_id, version, state_type, schema_version, state, created_at)
        VALUES ($stream, $version, $type, $schema, $state, $at)
        ON CONFLICT (stream_id) DO UPDATE SET
            version = excluded.version, state_type = excluded.state_type, schema_version = excluded.schema_version,
            state = excluded.state, created_at = excluded.created_at
        WHERE snapshots.schema_version <> excluded.schema_version OR snapshots.state_type <> excluded.state_type
            OR excluded.version >= snapshots.version
        """;

    public const string DeleteSnapshot = "DELETE FROM snapshots WHERE stream_id = $stream";

    public const string DeleteSnapshotsOfType = "DELETE FROM snapshots WHERE state_type = $type";

    public const string LoadCheckpoint = "SELECT major, minor FROM checkpoints WHERE name = $name";

    public const string CreateCheckpoint = "INSERT INTO checkpoints (name, major, minor) VALUES ($name, $major, $minor) ON CONFLICT (name) DO NOTHING";

    public const string MoveCheckpoint = "UPDATE checkpoints SET major = $major, minor = $minor WHERE name = $name AND major = $fromMajor AND minor = $fromMinor";

    public const string AddDeadLetter = """
        INSERT INTO dead_letters (projection, event_id, stream_id, stream_version, major, minor, error, created_at)
        VALUES ($projection, $id, $stream, $version, $major, $minor, $error, $at)
        """;

    public const string DeadLetters = "SELECT event_id, stream_id, stream_version, major, minor, error, created_at FROM dead_letters WHERE projection = $projection ORDER BY id";
}
