using Npgsql;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>
/// Seeds a data set once per database: a marker row records it, so benchmark classes (and
/// BenchmarkDotNet's child processes) that share a data set seed it only the first time.
/// </summary>
public static class Seeds
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>Runs <paramref name="seed"/> unless <paramref name="name"/> was already seeded in this database.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="name">The data set's name.</param>
    /// <param name="seed">Writes the data set.</param>
    /// <returns>A task that completes when the data set exists.</returns>
    public static async Task OnceAsync(NpgsqlDataSource dataSource, string name, Func<Task> seed)
    {
        await Gate.WaitAsync();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using (var create = new NpgsqlCommand("create table if not exists public.bench_seeded (name text primary key, seeded_at timestamptz not null default now())", connection))
            {
                await create.ExecuteNonQueryAsync();
            }

            await using (var check = new NpgsqlCommand("select count(*) from public.bench_seeded where name = $1", connection))
            {
                check.Parameters.Add(new NpgsqlParameter { Value = name });
                if ((long)(await check.ExecuteScalarAsync())! > 0)
                {
                    return;
                }
            }

            var started = System.Diagnostics.Stopwatch.StartNew();
            await seed();
            await using (var mark = new NpgsqlCommand("insert into public.bench_seeded (name) values ($1)", connection))
            {
                mark.Parameters.Add(new NpgsqlParameter { Value = name });
                await mark.ExecuteNonQueryAsync();
            }

            // Vacuum and fresh statistics, so no autovacuum or hint-bit writes land inside a measurement.
            await using (var analyze = new NpgsqlCommand("vacuum (analyze)", connection))
            {
                await analyze.ExecuteNonQueryAsync();
            }

            Console.WriteLine($"// seeded {connection.Database}/{name} in {started.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            Gate.Release();
        }
    }
}
