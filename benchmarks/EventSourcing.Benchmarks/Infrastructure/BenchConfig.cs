using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using Perfolizer.Metrology;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>The BenchmarkDotNet configuration of each run mode.</summary>
public static class BenchConfig
{
    /// <summary>The CSV that report.py reads: invariant culture, times in ns, sizes in bytes, no units in cells.</summary>
    public static readonly CsvExporter MachineCsv = new(
        CsvSeparator.Comma,
        new SummaryStyle(CultureInfo.InvariantCulture, printUnitsInHeader: true, sizeUnit: SizeUnit.B, timeUnit: TimeUnit.Nanosecond, printUnitsInContent: false));

    /// <summary>Builds the configuration.</summary>
    /// <param name="mode">The run mode.</param>
    /// <param name="artifacts">Where BenchmarkDotNet writes its artifacts.</param>
    /// <returns>The configuration.</returns>
    public static IConfig Create(BenchMode mode, string artifacts)
    {
        var config = ManualConfig.CreateEmpty()
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(StatisticColumn.Median, StatisticColumn.OperationsPerSecond)
            .AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default)
            .AddExporter(MarkdownExporter.GitHub, MachineCsv)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(artifacts)
            .WithOption(ConfigOptions.JoinSummary, false)
            .WithOption(ConfigOptions.DisableLogFile, false)
            .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));

        return config.AddJob(mode switch
        {
            // In process: no per-benchmark project build, one PostgreSQL connection pool and one Marten
            // code generation per run. Short: 1 warmup + 3 measured iterations of at least 200 ms.
            BenchMode.Quick => Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1)
                .WithWarmupCount(1)
                .WithIterationCount(3)
                .WithIterationTime(TimeInterval.FromMilliseconds(200))
                .WithId("Quick"),

            // Every benchmark once (BenchmarkDotNet's Dry job), in process, over tiny data.
            BenchMode.Smoke => Job.Dry
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithId("Smoke"),

            // BenchmarkDotNet's defaults: a process per benchmark, pilot, warmup and measured
            // iterations until the statistics settle.
            _ => Job.Default.WithId("Full"),
        });
    }
}
