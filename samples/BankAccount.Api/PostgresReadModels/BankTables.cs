using EventSourcing.Postgres;
using EventSourcing.Projections;
using Npgsql;

namespace BankAccount.Api.PostgresReadModels;

/// <summary>
/// The bank's read-model tables on PostgreSQL, in their own schema (<c>bank</c>): names, the DDL, and the
/// shadow-and-swap a rebuild uses (a <c>_shadow</c> copy of each table, renamed over the live one in the
/// rebuild's final transaction, so readers see the old model until that commit and the new one after).
/// </summary>
internal sealed class BankTables(string schema)
{
    public const string DefaultSchema = "bank";

    public string Schema { get; } = schema;

    public string Accounts(bool shadow = false) => Name("accounts", shadow);

    public string AccountTotals(bool shadow = false) => Name("account_totals", shadow);

    public string CurrencyTotals(bool shadow = false) => Name("currency_totals", shadow);

    public string DailyVolume(bool shadow = false) => Name("daily_volume", shadow);

    public string AuditLog(bool shadow = false) => Name("audit_log", shadow);

    /// <summary>The decided response of each Idempotency-Key (not a read model: never rebuilt).</summary>
    public string IdempotencyKeys => $"{Schema}.idempotency_keys";

    public string CreateSql => $"""
        CREATE SCHEMA IF NOT EXISTS {Schema};
        CREATE TABLE IF NOT EXISTS {Accounts()} (
            stream_id text PRIMARY KEY, account_id text NOT NULL, owner text NOT NULL, currency text NOT NULL,
            balance numeric NOT NULL, status text NOT NULL, version bigint NOT NULL,
            opened_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS {AccountTotals()} (
            stream_id text PRIMARY KEY, account_id text NOT NULL, currency text NOT NULL,
            deposited numeric NOT NULL, withdrawn numeric NOT NULL, transaction_count bigint NOT NULL, version bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS {CurrencyTotals()} (
            currency text PRIMARY KEY, deposited numeric NOT NULL, withdrawn numeric NOT NULL,
            transaction_count bigint NOT NULL, accounts bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS {DailyVolume()} (
            day date NOT NULL, currency text NOT NULL, deposited numeric NOT NULL, withdrawn numeric NOT NULL,
            transaction_count bigint NOT NULL, PRIMARY KEY (day, currency));
        CREATE TABLE IF NOT EXISTS {AuditLog()} (
            stream_id text NOT NULL, version bigint NOT NULL, account_id text NOT NULL, event_type text NOT NULL,
            description text NOT NULL, amount numeric NULL, currency text NOT NULL, user_name text NOT NULL,
            correlation_id text NULL, recorded_at timestamptz NOT NULL, event_id uuid NOT NULL,
            PRIMARY KEY (stream_id, version));
        CREATE TABLE IF NOT EXISTS {IdempotencyKeys} (
            id text PRIMARY KEY, fingerprint text NOT NULL, status integer NOT NULL, content_type text NULL,
            header_names text[] NOT NULL, header_values text[] NOT NULL, body bytea NOT NULL, created_at timestamptz NOT NULL);
        """;

    /// <summary>The unit of work's connection and transaction: read models are written only through them.</summary>
    public static PostgresProjectionContext Unit(ProjectionContext context) =>
        context as PostgresProjectionContext
            ?? throw new InvalidOperationException($"The PostgreSQL read models run on the PostgreSQL store; got a {context.GetType().Name}.");

    /// <summary>Replaces the shadow copies of <paramref name="tables"/> with empty ones.</summary>
    public async ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken, params string[] tables)
    {
        foreach (var table in tables)
        {
            await ExecuteAsync(context, $"DROP TABLE IF EXISTS {Name(table, true)}; CREATE TABLE {Name(table, true)} (LIKE {Name(table, false)} INCLUDING ALL);", cancellationToken);
        }
    }

    /// <summary>Makes the shadow copies of <paramref name="tables"/> live, in the rebuild's last transaction.</summary>
    public async ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken, params string[] tables)
    {
        foreach (var table in tables)
        {
            await ExecuteAsync(context, $"DROP TABLE {Name(table, false)}; ALTER TABLE {Name(table, true)} RENAME TO {table};", cancellationToken);
        }
    }

    public static async ValueTask ExecuteAsync(ProjectionContext context, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        var unit = Unit(context);
        await using var command = new NpgsqlCommand(sql, unit.Connection, unit.Transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private string Name(string table, bool shadow) => $"{Schema}.{table}{(shadow ? "_shadow" : string.Empty)}";
}
