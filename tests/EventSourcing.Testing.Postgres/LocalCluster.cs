using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace EventSourcing.Testing.Postgres;

/// <summary>
/// A throwaway PostgreSQL cluster from local binaries: initdb into a temp directory, pg_ctl start on a
/// free loopback port (listening on 127.0.0.1 only, fsync on), run as the <c>postgres</c> OS user when
/// the process is root. Stopped and deleted on dispose, on process exit or a terminating signal, and —
/// for runs that were killed outright (SIGKILL) — by the next start, which removes clusters whose
/// owning process is gone.
/// </summary>
internal sealed partial class LocalCluster : IAsyncDisposable
{
    private const string DirectoryPrefix = "eventsourcing-pg-";
    private readonly string _bin;
    private readonly string _root;
    private readonly string _serverOptions;
    private readonly StopOnExit _stopOnExit;
    private int _stopped;

    private LocalCluster(string bin, string root, string serverOptions, string connectionString)
    {
        _bin = bin;
        _root = root;
        _serverOptions = serverOptions;
        ConnectionString = connectionString;
        _stopOnExit = new StopOnExit(Stop);
    }

    public string ConnectionString { get; }

    private string DataDirectory => Path.Combine(_root, "data");

    /// <summary>The bin directory of the highest installed PostgreSQL, or null.</summary>
    public static string? FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("EVENTSOURCING_TEST_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return HasTools(configured) ? configured : null;
        }

        var candidates = new List<(int Version, string Bin)>();
        foreach (var (parent, pattern) in new[] { ("/usr/lib/postgresql", "*"), ("/usr", "pgsql-*") })
        {
            if (!Directory.Exists(parent))
            {
                continue;
            }

            foreach (var dir in Directory.GetDirectories(parent, pattern))
            {
                var name = Path.GetFileName(dir).Replace("pgsql-", string.Empty, StringComparison.Ordinal);
                var bin = Path.Combine(dir, "bin");
                if (int.TryParse(name.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var version) && HasTools(bin))
                {
                    candidates.Add((version, bin));
                }
            }
        }

        return candidates.Count == 0 ? null : candidates.MaxBy(c => c.Version).Bin;
    }

    /// <summary>Creates and starts a cluster.</summary>
    /// <param name="bin">The PostgreSQL bin directory.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="transactionEpoch">
    /// When not 0, the epoch of the transaction counter is set to it (pg_resetwal -e) before the first
    /// start, so 64-bit transaction ids (xid8) begin at epoch &lt;&lt; 32: a cluster whose counter is far
    /// ahead of a fresh one's.
    /// </param>
    public static async Task<LocalCluster> StartAsync(string bin, CancellationToken cancellationToken, uint transactionEpoch = 0)
    {
        var tempRoot = StopOnExit.IsRoot ? "/tmp" : Path.GetTempPath();
        await RemoveAbandonedAsync(bin, tempRoot).ConfigureAwait(false);

        var root = Path.Combine(tempRoot, DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var passwordFile = Path.Combine(root, "pwfile");
            await File.WriteAllTextAsync(passwordFile, password + "\n", cancellationToken).ConfigureAwait(false);
            if (StopOnExit.IsRoot)
            {
                await RunAsync("chown", ["-R", $"{StopOnExit.OsUser}:{StopOnExit.OsUser}", root], asPostgres: false, cancellationToken).ConfigureAwait(false);
            }

            var data = Path.Combine(root, "data");
            await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--no-locale", "--no-sync"], StopOnExit.IsRoot, cancellationToken).ConfigureAwait(false);
            if (transactionEpoch != 0)
            {
                await RunAsync(Path.Combine(bin, "pg_resetwal"), ["-e", transactionEpoch.ToString(CultureInfo.InvariantCulture), "-D", data], StopOnExit.IsRoot, cancellationToken).ConfigureAwait(false);
            }

            // A free port can be taken between probing and binding; try a few.
            for (var attempt = 1; ; attempt++)
            {
                var port = Loopback.FreePort();
                var options = string.Join(' ', [
                    $"-c port={port}", "-c listen_addresses=127.0.0.1", $"-c unix_socket_directories={root}",
                    "-c fsync=on", "-c max_connections=300", "-c shared_buffers=128MB"]);
                try
                {
                    await RunAsync(Path.Combine(bin, "pg_ctl"), StartArguments(root, options), StopOnExit.IsRoot, cancellationToken).ConfigureAwait(false);
                    var connectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database=postgres";
                    return new LocalCluster(bin, root, options, connectionString);
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    // Retried on another port below; the log says why it failed.
                }
            }
        }
        catch
        {
            await StopAndDeleteAsync(bin, root).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Stops the server (fast shutdown: sessions are terminated, as in a real restart), waits, and
    /// starts it again on the same port with the same data.
    /// </summary>
    public async Task RestartAsync(TimeSpan downtime, CancellationToken cancellationToken)
    {
        await StopServerAsync(cancellationToken).ConfigureAwait(false);
        if (downtime > TimeSpan.Zero)
        {
            await Task.Delay(downtime, cancellationToken).ConfigureAwait(false);
        }

        await StartServerAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the server (fast shutdown), keeping its data for <see cref="StartServerAsync"/>.</summary>
    public Task StopServerAsync(CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], StopOnExit.IsRoot, cancellationToken);

    /// <summary>Starts the server stopped by <see cref="StopServerAsync"/> on the same port with the same data.</summary>
    public Task StartServerAsync(CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(_bin, "pg_ctl"), StartArguments(_root, _serverOptions), StopOnExit.IsRoot, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _stopOnExit.Dispose();

        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await StopAndDeleteAsync(_bin, _root).ConfigureAwait(false);
        }
    }

    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            StopAndDeleteAsync(_bin, _root).GetAwaiter().GetResult();
        }
    }

    private static async Task StopAndDeleteAsync(string bin, string root)
    {
        var data = Path.Combine(root, "data");
        if (File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            try
            {
                await RunAsync(Path.Combine(bin, "pg_ctl"), ["stop", "-D", data, "-m", "fast", "-w", "-t", "60"], StopOnExit.IsRoot, CancellationToken.None).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Not running (or already stopping); deleting the directory is what is left to do.
            }
        }

        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task RemoveAbandonedAsync(string bin, string tempRoot)
    {
        foreach (var dir in Directory.GetDirectories(tempRoot, DirectoryPrefix + "*"))
        {
            if (ReadOwner(Path.Combine(dir, "owner.pid")) is { } owner && !IsAlive(owner))
            {
                await StopAndDeleteAsync(bin, dir).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The pid in a cluster's owner file, or null (also when another start removed it meanwhile).</summary>
    private static int? ReadOwner(string ownerFile)
    {
        try
        {
            return int.TryParse(File.ReadAllText(ownerFile), NumberStyles.None, CultureInfo.InvariantCulture, out var owner) ? owner : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>pg_ctl start, logging to a file: a server writing to pg_ctl's inherited stdout would keep it open.</summary>
    private static string[] StartArguments(string root, string serverOptions) =>
        ["start", "-D", Path.Combine(root, "data"), "-w", "-t", "60", "-l", Path.Combine(root, "server.log"), "-o", serverOptions];

    private static bool HasTools(string bin) =>
        File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl"));

    private static async Task RunAsync(string file, string[] arguments, bool asPostgres, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        if (asPostgres)
        {
            start.FileName = File.Exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "runuser";
            foreach (var a in (string[])["-u", StopOnExit.OsUser, "--", file])
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.FileName = file;
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            var log = arguments.Length > 0 && arguments[0] == "start" ? ReadLogTail(arguments) : string.Empty;
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Trim()} {log}".Trim());
        }
    }

    private static string ReadLogTail(string[] arguments)
    {
        var index = Array.IndexOf(arguments, "-l");
        if (index < 0 || !File.Exists(arguments[index + 1]))
        {
            return string.Empty;
        }

        var lines = File.ReadAllLines(arguments[index + 1]);
        return string.Join(" | ", lines.TakeLast(5));
    }
}
