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
                    _owned = NpgsqlDataSource.Create(options.ConnectionString!);
                }

                return _owned;
            }
        }
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
