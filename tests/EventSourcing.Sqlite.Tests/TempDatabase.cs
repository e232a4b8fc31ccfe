using Microsoft.Data.Sqlite;

using Xunit;

namespace EventSourcing.Sqlite.Tests;

/// <summary>A fresh database file in a temporary directory of its own, with the schema applied; the directory is deleted on dispose.</summary>
internal sealed class TempDatabase : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    public TempDatabase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "es-sqlite-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        FilePath = Path.Combine(Directory, "events.db");
    }

    public string Directory { get; }

    public string FilePath { get; }

    public SqliteOptions Options(TimeSpan? busyTimeout = null) => new() { FilePath = FilePath, BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(30) };

    public static async Task<TempDatabase> CreateAsync()
    {
        var database = new TempDatabase();
        await new SqliteSchemaInitializer(database.Options()).ApplyAsync(TestContext.Current.CancellationToken);
        return database;
    }

    /// <summary>Disposed (before the directory is deleted) when the database is.</summary>
    public T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = FilePath }.ConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A connection still open somewhere (e.g. a test's own); the OS temp directory cleans up.
        }
    }
}
