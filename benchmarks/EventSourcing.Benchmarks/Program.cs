using System.Diagnostics;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Testing.Postgres;
using Npgsql;

namespace EventSourcing.Benchmarks;

/// <summary>
/// The benchmark runner. <c>--quick</c> (every scenario in under 10 minutes), <c>--smoke</c> (every
/// benchmark once over tiny data; CI) or <c>--full</c> (the default); <c>--alternate</c>, <c>--scaling</c> and
/// <c>--latency</c> (commit → applied in an async projection, ours vs Marten) run their own loops instead of
/// BenchmarkDotNet; any other argument goes to BenchmarkDotNet (e.g. <c>--filter *Append*</c>; a filtered run
/// does not touch results/). It starts one throwaway PostgreSQL server (or uses
/// EVENTSOURCING_TEST_POSTGRES), runs the benchmarks against it, stops it, and — except in smoke
/// mode — copies the reports to benchmarks/results/ and regenerates summary.md with report.py.
/// </summary>
public static class Program
{
    /// <summary>Runs the benchmarks.</summary>
    /// <param name="args">The mode flag and BenchmarkDotNet arguments.</param>
    /// <returns>0 when every benchmark ran, 1 otherwise.</returns>
    public static async Task<int> Main(string[] args)
    {
        var mode = BenchMode.Full;
        var alternate = false;
        var scaling = false;
        var latency = false;
        string? only = null;
        int? rounds = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--only" && i + 1 < args.Length)
            {
                // --alternate: only the scenarios whose name contains this.
                only = args[++i];
                continue;
            }

            if (arg == "--rounds" && i + 1 < args.Length)
            {
                // --alternate / --scaling: rounds per scenario instead of the mode's default (longer runs, e.g. under a profiler).
                rounds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                continue;
            }

            switch (arg)
            {
                case "--quick": mode = BenchMode.Quick; break;
                case "--smoke": mode = BenchMode.Smoke; break;
                case "--full": mode = BenchMode.Full; break;
                case "--alternate": alternate = true; break;
                case "--scaling": scaling = true; break;
                case "--latency": latency = true; break;
                default: rest.Add(arg); break;
            }
        }

        // A run of everything publishes to results/; a filtered run leaves its reports in the artifacts.
        var complete = !rest.Contains("--filter") && !rest.Contains("-f") && !rest.Contains("--list");
        if (complete)
        {
            rest.AddRange(["--filter", "*"]);
        }

        var repoRoot = FindRepoRoot();
        var benchmarks = Path.Combine(repoRoot, "benchmarks");
        var artifacts = Path.Combine(benchmarks, "BenchmarkDotNet.Artifacts", mode.ToString().ToLowerInvariant());
        var side = Path.Combine(artifacts, "side");
        if (Directory.Exists(artifacts))
        {
            Directory.Delete(artifacts, recursive: true);
        }

        Directory.CreateDirectory(side);
        Environment.SetEnvironmentVariable(BenchSettings.ModeVariable, mode.ToString());
        Environment.SetEnvironmentVariable(BenchSettings.OutputVariable, side);

        Console.WriteLine($"// EventSourcing benchmarks, {mode} mode: starting PostgreSQL…");
        Summary[] summaries;
        var clock = Stopwatch.StartNew();
        System.Text.StringBuilder environment;
        await using (var server = await PostgresServer.StartAsync())
        {
            Console.WriteLine($"// {server}");
            Environment.SetEnvironmentVariable(BenchSettings.ServerVariable, server.ConnectionString);
            var warning = await ServerSetup.PrepareAsync(server);
            environment = await EnvironmentReport.StartAsync(server, mode, warning, repoRoot);
            if (scaling)
            {
                // The scaling curves (see Scaling); writes results/scaling-<UTC time>.csv and runs report.py.
                var results = Path.Combine(benchmarks, "results");
                Directory.CreateDirectory(results);
                var smoke = mode == BenchMode.Smoke;
                await Scaling.RunAsync(
                    smoke ? Path.Combine(side, "scaling.csv") : Path.Combine(results, $"scaling-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv"),
                    mode,
                    rounds ?? (smoke ? 1 : 3));
                EnvironmentReport.Finish(environment, clock.Elapsed, Path.Combine(smoke ? side : results, "environment-scaling.md"));
                NpgsqlConnection.ClearAllPools();
                if (!smoke)
                {
                    RunReport(benchmarks);
                }

                return 0;
            }

            if (alternate)
            {
                // Ours, raw and Marten in turns (see Alternating); writes results/alternating-<UTC time>.csv.
                var results = Path.Combine(benchmarks, "results");
                Directory.CreateDirectory(results);
                var smoke = mode == BenchMode.Smoke;
                await Alternating.RunAsync(
                    Path.Combine(results, smoke ? Path.Combine(side, "alternating.csv") : $"alternating-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv"),
                    rounds: rounds ?? (smoke ? 1 : 6),
                    slice: TimeSpan.FromMilliseconds(smoke ? 10 : 1_000),
                    writeWarmup: TimeSpan.FromSeconds(smoke ? 0.05 : 5),
                    only);
                EnvironmentReport.Finish(environment, clock.Elapsed, Path.Combine(results, smoke ? Path.Combine(side, "environment-alternating.md") : "environment-alternating.md"));
                NpgsqlConnection.ClearAllPools();
                return 0;
            }

            if (latency)
            {
                // Commit → applied in an async projection, ours vs Marten (see Latency); writes results/latency-<UTC time>.csv.
                var results = Path.Combine(benchmarks, "results");
                Directory.CreateDirectory(results);
                await RunLatencyAsync(mode, Path.Combine(results, $"latency-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv"), side);
                EnvironmentReport.Finish(environment, clock.Elapsed, Path.Combine(results, mode == BenchMode.Smoke ? Path.Combine(side, "environment-latency.md") : "environment-latency.md"));
                NpgsqlConnection.ClearAllPools();
                return 0;
            }

            try
            {
                if (mode == BenchMode.Smoke && complete)
                {
                    // CI's smoke run covers the scaling mode too, over tiny data (its CSV stays in the artifacts).
                    await Scaling.RunAsync(Path.Combine(side, "scaling.csv"), mode, rounds: 1);
                }

                summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], BenchConfig.Create(mode, artifacts)).ToArray();
            }
            finally
            {
                // Let the server stop cleanly: close this process's pooled connections first.
                NpgsqlConnection.ClearAllPools();
            }

            if (mode == BenchMode.Smoke)
            {
                // CI's smoke run covers the latency mode too, in a tiny form (its CSV stays in the artifacts).
                await RunLatencyAsync(mode, Path.Combine(side, "latency.csv"), side);
                NpgsqlConnection.ClearAllPools();
            }
        }

        EnvironmentReport.Finish(environment, clock.Elapsed, Path.Combine(artifacts, "environment.md"));
        var failed = Failures(summaries);
        foreach (var failure in failed)
        {
            Console.Error.WriteLine($"// FAILED: {failure}");
        }

        if (mode != BenchMode.Smoke && complete && summaries.Length > 0)
        {
            Publish(artifacts, Path.Combine(benchmarks, "results"), benchmarks);
        }
        else
        {
            Console.WriteLine($"// reports in {Path.Combine(artifacts, "results")} (results/ is written only by complete quick or full runs)");
        }

        Console.WriteLine($"// {summaries.Sum(s => s.Reports.Length)} benchmarks in {clock.Elapsed.TotalMinutes:F1} min, {failed.Count} failed");
        return failed.Count == 0 && summaries.Length > 0 ? 0 : 1;
    }

    /// <summary>The latency run: 200/s then 1,000/s for 20 s each after a 5 s warm-up per system (smoke: a fraction of a second at 40/s).</summary>
    private static Task RunLatencyAsync(BenchMode mode, string path, string side)
    {
        var smoke = mode == BenchMode.Smoke;
        return Latency.RunAsync(
            smoke ? Path.Combine(side, "latency.csv") : path,
            rates: smoke ? [40] : [200, 1_000],
            warmup: TimeSpan.FromSeconds(smoke ? 0.2 : 5),
            duration: TimeSpan.FromSeconds(smoke ? 0.5 : 20));
    }

    private static List<string> Failures(Summary[] summaries)
    {
        var failed = new List<string>();
        foreach (var summary in summaries)
        {
            if (summary.HasCriticalValidationErrors)
            {
                failed.Add($"{summary.Title}: validation errors: {string.Join("; ", summary.ValidationErrors.Select(e => e.Message))}");
            }

            foreach (var benchmark in summary.BenchmarksCases)
            {
                var report = summary[benchmark];
                if (report is null || !report.Success || report.ResultStatistics is null)
                {
                    failed.Add(benchmark.DisplayInfo);
                }
            }
        }

        return failed;
    }

    /// <summary>Copies the reports to results/ (replacing the previous run's) and runs report.py.</summary>
    private static void Publish(string artifacts, string results, string benchmarks)
    {
        Directory.CreateDirectory(results);
        foreach (var old in Directory.GetFiles(results, "*-report*").Concat(Directory.GetFiles(results, "contention-conflicts.csv")))
        {
            File.Delete(old);
        }

        foreach (var file in Directory.GetFiles(Path.Combine(artifacts, "results")))
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith("-report.csv", StringComparison.Ordinal) || name.EndsWith("-report-github.md", StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(results, name.Replace("EventSourcing.Benchmarks.Scenarios.", string.Empty, StringComparison.Ordinal)), overwrite: true);
            }
        }

        foreach (var file in Directory.GetFiles(Path.Combine(artifacts, "side")))
        {
            File.Copy(file, Path.Combine(results, Path.GetFileName(file)), overwrite: true);
        }

        File.Copy(Path.Combine(artifacts, "environment.md"), Path.Combine(results, "environment.md"), overwrite: true);
        RunReport(benchmarks);
    }

    /// <summary>Runs report.py (summary.md, the charts and the README section).</summary>
    private static void RunReport(string benchmarks)
    {
        try
        {
            using var python = Process.Start(new ProcessStartInfo("python3", $"\"{Path.Combine(benchmarks, "report.py")}\"") { UseShellExecute = false });
            python?.WaitForExit();
            Console.WriteLine(python?.ExitCode == 0 ? "// results/summary.md and the charts regenerated" : "// report.py failed; run it by hand: python3 benchmarks/report.py");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.WriteLine("// python3 not found; run python3 benchmarks/report.py");
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventSourcing.Core.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
