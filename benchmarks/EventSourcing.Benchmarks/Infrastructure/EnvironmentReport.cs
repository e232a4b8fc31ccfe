using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using EventSourcing.Testing.Postgres;
using Npgsql;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>Writes <c>environment.md</c>: the machine, runtime, driver and server a run measured.</summary>
public static class EnvironmentReport
{
    private static readonly string[] Settings =
    [
        "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "shared_buffers", "work_mem",
        "max_connections", "wal_level", "max_wal_size", "checkpoint_timeout", "jit",
    ];

    /// <summary>Reads what describes the run.</summary>
    /// <param name="server">The server.</param>
    /// <param name="mode">The run mode.</param>
    /// <param name="warning">A durability warning, if any.</param>
    /// <param name="repoRoot">The repository, for the commit id.</param>
    /// <returns>The report's lines, to be completed by <see cref="Finish"/>.</returns>
    public static async Task<StringBuilder> StartAsync(PostgresServer server, BenchMode mode, string? warning, string repoRoot)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmark environment").AppendLine();
        md.AppendLine("Written by the benchmark runner (`benchmarks/EventSourcing.Benchmarks`); do not edit.").AppendLine();
        md.AppendLine("| what | value |").AppendLine("|---|---|");
        Row(md, "mode", $"{mode} (`dotnet run -c Release --project benchmarks/EventSourcing.Benchmarks -- --{mode.ToString().ToLowerInvariant()}`)");
        Row(md, "started (UTC)", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        Row(md, "git commit", Git(repoRoot, "rev-parse --short HEAD") + (string.IsNullOrWhiteSpace(Git(repoRoot, "status --porcelain")) ? string.Empty : " (with uncommitted changes)"));
        Row(md, "CPU", CpuModel());
        Row(md, "logical cores", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        Row(md, "memory", MemoryTotal());
        Row(md, "OS", RuntimeInformation.OSDescription);
        Row(md, ".NET", RuntimeInformation.FrameworkDescription);
        Row(md, "BenchmarkDotNet", Version(typeof(BenchmarkDotNet.Running.BenchmarkSwitcher).Assembly));
        Row(md, "Npgsql", Version(typeof(NpgsqlConnection).Assembly));
        Row(md, "Marten", Version(typeof(Marten.DocumentStore).Assembly));
        Row(md, "PostgreSQL server", $"{server.Source}; same machine, same 2 cores as the client");

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using (var version = new NpgsqlCommand("select version()", connection))
        {
            Row(md, "PostgreSQL", (string)(await version.ExecuteScalarAsync())!);
        }

        await using (var settings = new NpgsqlCommand("select name, setting, coalesce(unit, '') from pg_settings where name = any($1) order by name", connection))
        {
            settings.Parameters.Add(new NpgsqlParameter { Value = Settings });
            await using var reader = await settings.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Row(md, "pg: " + reader.GetString(0), (reader.GetString(1) + " " + reader.GetString(2)).Trim());
            }
        }

        Row(md, "load average at start", LoadAverage());
        if (warning is not null)
        {
            md.AppendLine().Append("**Warning:** ").AppendLine(warning);
        }

        return md;
    }

    /// <summary>Completes the report with the run's duration and writes it.</summary>
    /// <param name="md">The report from <see cref="StartAsync"/>.</param>
    /// <param name="elapsed">How long the benchmarks ran.</param>
    /// <param name="path">The file to write.</param>
    public static void Finish(StringBuilder md, TimeSpan elapsed, string path)
    {
        md.AppendLine();
        md.AppendLine("| end of run | value |").AppendLine("|---|---|");
        Row(md, "benchmarks ran for", $"{elapsed.TotalMinutes:F1} min (seeding included)");
        Row(md, "load average at end", LoadAverage());
        md.AppendLine();
        md.AppendLine("Noise: client, server and other engineers' builds share the same 2 cores, so absolute figures move by ±30% between runs;");
        md.AppendLine("ratios measured in the same run are steadier, and are what the summary reports.");
        File.WriteAllText(path, md.ToString());
    }

    private static void Row(StringBuilder md, string what, string value) => md.Append("| ").Append(what).Append(" | ").Append(value.Replace("|", "\\|", StringComparison.Ordinal)).AppendLine(" |");

    private static string Version(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "?";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? informational[..plus] : informational;
    }

    private static string CpuModel() => ReadLine("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();

    private static string MemoryTotal()
    {
        var line = ReadLine("/proc/meminfo", "MemTotal");
        return line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture, out var kb)
            ? $"{kb / 1024.0 / 1024.0:F1} GiB"
            : "?";
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) + " (1/5/15 min)" : "?";

    private static string? ReadLine(string file, string key)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        foreach (var line in File.ReadLines(file))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            }
        }

        return null;
    }

    private static string Git(string repoRoot, string arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git", $"-C \"{repoRoot}\" {arguments}") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : "?";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }
}
