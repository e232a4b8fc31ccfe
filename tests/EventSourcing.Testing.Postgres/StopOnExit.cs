using System.Runtime.InteropServices;

namespace EventSourcing.Testing.Postgres;

/// <summary>
/// Runs a stop action for a process a test started (a cluster, a pooler) when the test process exits, or is
/// terminated by a signal (ProcessExit does not run then): the action runs first, then the signal takes its
/// default course. Disposing unregisters.
/// </summary>
internal sealed class StopOnExit : IDisposable
{
    /// <summary>The OS user servers run as when the tests run as root (PostgreSQL refuses root).</summary>
    public const string OsUser = "postgres";

    private readonly EventHandler _onExit;
    private readonly PosixSignalRegistration[] _onSignal;

    public StopOnExit(Action stop)
    {
        _onExit = (_, _) => stop();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
        _onSignal = OperatingSystem.IsWindows()
            ? []
            : [.. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }.Select(signal => PosixSignalRegistration.Create(signal, _ => stop()))];
    }

    /// <summary>True when the tests run as root (servers are then started as <see cref="OsUser"/>).</summary>
    public static bool IsRoot => Environment.UserName == "root" || GetEuid() == 0;

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        foreach (var registration in _onSignal)
        {
            registration.Dispose();
        }
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
