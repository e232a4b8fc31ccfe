using Npgsql;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// Holds the one data source the backend's services share: the user's (not owned), or one built from
/// the connection string on first use (owned: disposed with the container).
/// </summary>
internal sealed class PostgresDataSourceProvider(PostgresOptions options) : IAsyncDisposable, IDisposable
{
    private readonly Lock _gate = new();
    private NpgsqlDataSource? _owned;

    public NpgsqlDataSource DataSource
    {
        get
        {
            if (options.DataSource is { } given)
            {
                return given;
            }

            lock (_gate)
            {
                if (_owned is null)
                {
                    options.Validate();
                    _owned = Build(options);
                }

                return _owned;
            }
        }
    }

    /// <summary>
    /// Behind a transaction-mode pooler, Npgsql's reset on close (<c>DISCARD ALL</c>, sent with the next
    /// use) would run on whichever server connection that use lands on, another client's session: it is
    /// skipped. Automatic preparation stays off (<see cref="PostgresOptions.Validate"/> refuses it).
    /// </summary>
    private static NpgsqlDataSource Build(PostgresOptions options)
    {
        if (!options.TransactionPooling)
        {
            return NpgsqlDataSource.Create(options.ConnectionString!);
        }

        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned is { } owned)
        {
            await owned.DisposeAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => _owned?.Dispose();
}
