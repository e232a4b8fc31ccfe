using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Npgsql;

namespace EventSourcing.Testing.Postgres;

/// <summary>
/// A throwaway PgBouncer process in TRANSACTION pooling mode in front of a PostgreSQL server, for tests
/// that must pass through a real transaction-mode pooler: its own ini and userlist in a temp directory,
/// a free loopback port, the server's user and password (SCRAM on both sides), few server connections
/// per database and user (<c>default_pool_size</c>) so clients share them. Run as the <c>postgres</c> OS
/// user when the process is root (PgBouncer refuses to run as root); stopped by its PID on dispose or
/// at process exit, and its directory deleted.
/// </summary>
public sealed class PgBouncer : IAsyncDisposable
{
    /// <summary>The environment variable naming the pgbouncer binary; /usr/sbin/pgbouncer (Debian's package) or the PATH otherwise.</summary>
    public const string BinaryVariable = "EVENTSOURCING_TEST_PGBOUNCER";

    private readonly string _root;
    private readonly int _pid;
    private readonly StopOnExit _stopOnExit;
    private int _stopped;

    private PgBouncer(string root, int pid, string connectionString, int port)
    {
        _root = root;
        _pid = pid;
        ConnectionString = connectionString;
        Port = port;
        _stopOnExit = new StopOnExit(Stop);
    }

    /// <summary>The connection string through the pooler: the server's database, user and password, the pooler's port.</summary>
    public string ConnectionString { get; }

    /// <summary>The loopback port PgBouncer listens on.</summary>
    public int Port { get; }

    /// <summary>The pgbouncer binary, or null when none is installed.</summary>
    public static string? FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable(BinaryVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }

        foreach (var candidate in new[] { "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "pgbouncer"))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Starts PgBouncer in transaction pooling mode in front of the server of <paramref name="serverConnectionString"/>.</summary>
    /// <param name="serverConnectionString">A connection string to the server (host, port, user and password are used; the database passes through).</param>
    /// <param name="poolSize">Server connections per database and user: 1 or 2 force clients to share them.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running pooler; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">No pgbouncer binary was found, or it did not start; the message says why.</exception>
    public static async Task<PgBouncer> StartAsync(string serverConnectionString, int poolSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(poolSize, 1);
        var binary = FindBinary() ?? throw new InvalidOperationException(
            $"No pgbouncer binary (/usr/sbin/pgbouncer, the PATH, or {BinaryVariable}); install it with `apt-get install -y pgbouncer` (and stop the service it starts).");
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString);
        var version = await VersionAsync(binary, cancellationToken).ConfigureAwait(false);
        var root = Path.Combine(StopOnExit.IsRoot ? "/tmp" : Path.GetTempPath(), "eventsourcing-pgbouncer-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        try
        {
            var user = server.Username ?? StopOnExit.OsUser;
            await File.WriteAllTextAsync(Path.Combine(root, "userlist.txt"), $"\"{user}\" \"{server.Password}\"\n", cancellationToken).ConfigureAwait(false);
            for (var attempt = 1; ; attempt++)
            {
                var port = Loopback.FreePort();
                var ini = Path.Combine(root, "pgbouncer.ini");
                await File.WriteAllTextAsync(ini, string.Join('\n', [
                    "[databases]",
                    $"* = host={server.Host ?? "127.0.0.1"} port={server.Port}",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    $"listen_port = {port}",
                    "unix_socket_dir =",
                    "auth_type = scram-sha-256",
                    $"auth_file = {Path.Combine(root, "userlist.txt")}",
                    "pool_mode = transaction",
                    $"default_pool_size = {poolSize}",
                    "min_pool_size = 0",
                    "reserve_pool_size = 0",
                    "max_client_conn = 1000",
                    "server_reset_query =",
                    "ignore_startup_parameters = extra_float_digits",
                    // PgBouncer 1.21+ can track protocol-level prepared statements; off here, as in 1.18 and
                    // before: the backend must not depend on it (older versions refuse the setting).
                    version >= new Version(1, 21) ? "max_prepared_statements = 0" : string.Empty,
                    $"logfile = {Path.Combine(root, "pgbouncer.log")}",
                    "",
                ]), cancellationToken).ConfigureAwait(false);
                if (StopOnExit.IsRoot)
                {
                    await RunAsync("chown", ["-R", $"{StopOnExit.OsUser}:{StopOnExit.OsUser}", root], cancellationToken).ConfigureAwait(false);
                }

                try
                {
                    // In the foreground (-q: logging to its log file only), so this process's child is pgbouncer
                    // itself and its PID is known; -u drops root.
                    var pid = await LaunchAsync(binary, StopOnExit.IsRoot ? ["-q", "-u", StopOnExit.OsUser, ini] : ["-q", ini], port, Path.Combine(root, "pgbouncer.log"), cancellationToken).ConfigureAwait(false);
                    var client = new NpgsqlConnectionStringBuilder(serverConnectionString) { Host = "127.0.0.1", Port = port };
                    return new PgBouncer(root, pid, client.ConnectionString, port);
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    // The port was taken between probing and binding: another one.
                }
            }
        }
        catch
        {
            TryDelete(root);
            throw;
        }
    }

    /// <summary>Stops the pooler by its PID (closing every client and server connection) and deletes its directory.</summary>
    /// <returns>A task that completes when the process is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        _stopOnExit.Dispose();

        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        Kill(_pid);
        for (var i = 0; i < 500 && IsAlive(_pid); i++)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        TryDelete(_root);
    }

    /// <summary>The tail of PgBouncer's log, for failure messages.</summary>
    public string LogTail()
    {
        var log = Path.Combine(_root, "pgbouncer.log");
        return File.Exists(log) ? string.Join(" | ", File.ReadAllLines(log).TakeLast(10)) : string.Empty;
    }

    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            Kill(_pid);
            TryDelete(_root);
        }
    }

    private static void Kill(int pid)
    {
        // SIGTERM: immediate shutdown. Only the pid of the process this instance started.
        if (IsAlive(pid))
        {
            _ = SendSignal(pid, 15);
        }
    }

    /// <summary>Starts pgbouncer and waits until it accepts connections on its port; throws (with its log) when it exits instead.</summary>
    private static async Task<int> LaunchAsync(string binary, string[] arguments, int port, string log, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {binary}.");
        var pid = process.Id;
        for (var i = 0; i < 1000; i++)
        {
            if (process.HasExited)
            {
                var tail = File.Exists(log) ? string.Join(" | ", File.ReadAllLines(log).TakeLast(5)) : string.Empty;
                throw new InvalidOperationException($"pgbouncer {string.Join(' ', arguments)} exited with {process.ExitCode}: {tail}");
            }

            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                return pid;
            }
            catch (SocketException)
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }

        Kill(pid);
        throw new InvalidOperationException($"pgbouncer did not listen on port {port} within 10 s.");
    }

    /// <summary>The version <c>pgbouncer --version</c> prints ("PgBouncer 1.18.0").</summary>
    private static async Task<Version> VersionAsync(string binary, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--version");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {binary}.");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var first = output.Split('\n', 2)[0].Trim();
        return first.StartsWith("PgBouncer ", StringComparison.Ordinal) && Version.TryParse(first["PgBouncer ".Length..], out var version)
            ? version
            : throw new InvalidOperationException($"Could not read the version of {binary}: '{output.Trim()}'.");
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

    private static void TryDelete(string root)
    {
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

    private static async Task RunAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Trim()}");
        }
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);
}
