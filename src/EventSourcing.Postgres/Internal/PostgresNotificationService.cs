using System.Threading.Channels;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// Live wake-up across processes. NOTIFY inside an append would take PostgreSQL's cluster-wide notify
/// lock at every commit, so instead, after local commits (<see cref="CommitNotifier.Notified"/>), a
/// background loop sends one coalesced <c>pg_notify</c> from its own short transaction, at most every
/// <see cref="PostgresOptions.NotificationInterval"/>. When this process runs async projections, a
/// listener on a dedicated connection wakes them (<see cref="CommitNotifier.NotifyLocalOnly"/>) when
/// another process's notification arrives. Notifications are hints: a lost one costs a poll interval,
/// a spurious one a read.
/// </summary>
internal sealed partial class PostgresNotificationService : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastBackoff = TimeSpan.FromSeconds(5);

    private readonly PostgresOptions _options;
    private readonly PostgresDataSourceProvider _dataSource;
    private readonly CommitNotifier _notifier;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private PostgresSql _sql = null!;

    /// <summary>Starts every payload this process sends, so its listener can ignore its own notifications.</summary>
    private readonly string _payloadPrefix = Guid.NewGuid().ToString("N") + ":";

    /// <summary>At most one pending "commits happened" mark: whatever arrives while one waits is announced with it.</summary>
    private readonly Channel<bool> _commits = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Action _onCommit;
    private CancellationTokenSource? _stopping;
    private Task _sending = Task.CompletedTask;
    private Task _listening = Task.CompletedTask;

    /// <summary>Created by the container; resolves the data source provider first, so it is disposed after this.</summary>
    public PostgresNotificationService(PostgresOptions options, PostgresDataSourceProvider dataSource, CommitNotifier notifier, IServiceProvider services)
    {
        _options = options;
        _dataSource = dataSource;
        _notifier = notifier;
        _services = services;
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _logger = (ILogger?)services.GetService<ILogger<PostgresNotificationService>>() ?? NullLogger.Instance;
        _onCommit = () => _commits.Writer.TryWrite(true);
    }

    /// <summary>The schema's channel (once started).</summary>
    public string ChannelName => _sql.NotificationChannel;

    /// <summary>
    /// Starts sending after local commits, and — when async projections run here — listening. The first
    /// LISTEN completes before this returns, so no notification sent after the host started is missed
    /// (if it fails, the listener keeps retrying in the background and polling covers the gap).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("The notification service is already started.");
        }

        if (!_options.EnableNotifications)
        {
            return;
        }

        // Taken here, not in the constructor: the schema service validates the options first, with its message.
        _sql = _services.GetRequiredService<PostgresBackend>().Sql;
        var stopping = new CancellationTokenSource();
        _stopping = stopping;
        _notifier.Notified += _onCommit;
        _sending = Task.Run(() => SendLoopAsync(stopping.Token), CancellationToken.None);
        if (!_services.HasAsyncProjections())
        {
            return;
        }

        if (_options.TransactionPooling)
        {
            // LISTEN belongs to a session; through a transaction-mode pooler it would be registered on
            // whichever server connection the statement ran on, and heard by nobody.
            LogNotListening(_logger, ChannelName);
            return;
        }

        Npgsql.NpgsqlConnection? first = null;
        try
        {
            first = await ListenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            LogListenFailed(_logger, ex, ChannelName);
        }

        _listening = Task.Run(() => ListenLoopAsync(first, stopping.Token), CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var stopping = Interlocked.Exchange(ref _stopping, null);
        if (stopping is null)
        {
            return;
        }

        _notifier.Notified -= _onCommit;
        await stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_sending, _listening).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stopping.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>100 ms, doubling per consecutive failure, at most 5 s.</summary>
    private static TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(FirstBackoff.Ticks << Math.Clamp(failures - 1, 0, 10), LastBackoff.Ticks));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not notify other processes on channel {Channel}; they poll meanwhile. Retrying.")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening on channel {Channel} failed; async projections poll until it is back. Reconnecting.")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, string channel);

    [LoggerMessage(Level = LogLevel.Information, Message = "Not listening on channel {Channel}: PostgresOptions.TransactionPooling is set and LISTEN needs a session, which a transaction-mode pooler does not keep. Async projections poll (ProjectionOptions.PollInterval); this process still notifies others.")]
    private static partial void LogNotListening(ILogger logger, string channel);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening on channel {Channel}.")]
    private static partial void LogListening(ILogger logger, string channel);
}
