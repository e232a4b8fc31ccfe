using System.Globalization;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>
/// Run-wide settings, passed from the host process to BenchmarkDotNet's child processes through
/// environment variables (children inherit the host's environment).
/// </summary>
public static class BenchSettings
{
    /// <summary>The run mode (<see cref="BenchMode"/>).</summary>
    public const string ModeVariable = "EVENTSOURCING_BENCH_MODE";

    /// <summary>The maintenance-database connection string of the server the host started.</summary>
    public const string ServerVariable = "EVENTSOURCING_BENCH_SERVER";

    /// <summary>Where benchmarks write side results (e.g. conflict counts).</summary>
    public const string OutputVariable = "EVENTSOURCING_BENCH_OUT";

    /// <summary>The concurrent writers of the 8-writer scenarios.</summary>
    public const int Writers = 8;

    /// <summary>Events per call in the batch scenario.</summary>
    public const int BatchSize = 1_000;

    /// <summary>Events after the snapshot in the snapshot + tail scenario.</summary>
    public const int SnapshotTail = 50;

    /// <summary>The snapshot interval of the load-vs-length curve.</summary>
    public const int SnapshotEvery = 100;

    /// <summary>The run mode.</summary>
    public static BenchMode Mode => Enum.TryParse<BenchMode>(Environment.GetEnvironmentVariable(ModeVariable), ignoreCase: true, out var mode) ? mode : BenchMode.Full;

    /// <summary>True in the CI smoke run, which shrinks every data size.</summary>
    public static bool IsSmoke => Mode == BenchMode.Smoke;

    /// <summary>Events in the global log (read and rebuild scenarios).</summary>
    public static int GlobalLogEvents => IsSmoke ? 2_000 : 200_000;

    /// <summary>Accounts (streams) the global log's events are spread over.</summary>
    public static int GlobalLogAccounts => IsSmoke ? 20 : 1_000;

    /// <summary>Appends per writer per invocation in the 8-writer append scenario.</summary>
    public static int AppendsPerWriter => IsSmoke ? 2 : 16;

    /// <summary>Successful appends per writer per invocation in the contention scenario.</summary>
    public static int ContendedAppendsPerWriter => IsSmoke ? 2 : 8;

    /// <summary>Events appended (in batches of 100) per invocation of the in-memory append target.</summary>
    public static int InMemoryAppendEvents => IsSmoke ? 10_000 : 100_000;

    /// <summary>Events replayed per invocation of the in-memory replay target.</summary>
    public static int InMemoryReplayEvents => IsSmoke ? 10_000 : 100_000;

    /// <summary>The stream length of the snapshot + tail scenario.</summary>
    public static int SnapshotStreamLength => IsSmoke ? 1_000 : 10_000;

    /// <summary>Stream lengths of the aggregate-load scenario.</summary>
    public static IEnumerable<int> LoadLengths => IsSmoke ? [1_000] : [10_000, 100_000];

    /// <summary>Stream lengths of the load-vs-length curve.</summary>
    public static IEnumerable<int> CurveLengths => IsSmoke ? [10, 100, 1_000] : [10, 100, 1_000, 10_000, 100_000];

    /// <summary>The server connection string the host put in the environment.</summary>
    /// <exception cref="InvalidOperationException">Not set: the benchmarks were started without Program's host.</exception>
    public static string ServerConnectionString => Environment.GetEnvironmentVariable(ServerVariable)
        ?? throw new InvalidOperationException($"{ServerVariable} is not set; run the benchmarks through Program (dotnet run -c Release --project benchmarks/EventSourcing.Benchmarks -- --quick).");

    /// <summary>The directory for side results.</summary>
    public static string OutputDirectory => Environment.GetEnvironmentVariable(OutputVariable) ?? Path.GetTempPath();

    /// <summary>Appends a line to a side-result CSV in <see cref="OutputDirectory"/>, writing the header first if the file is new.</summary>
    /// <param name="file">The file name.</param>
    /// <param name="header">The header line.</param>
    /// <param name="fields">The values.</param>
    public static void AppendSideResult(string file, string header, params object[] fields)
    {
        var path = Path.Combine(OutputDirectory, file);
        var line = string.Join(',', fields.Select(f => Convert.ToString(f, CultureInfo.InvariantCulture)));
        lock (typeof(BenchSettings))
        {
            if (!File.Exists(path))
            {
                File.WriteAllText(path, header + "\n");
            }

            File.AppendAllText(path, line + "\n");
        }
    }
}
