using System.Globalization;
using Npgsql;

namespace EventSourcing.Postgres.Internal;

internal sealed partial class PostgresNotificationService
{
    /// <summary>An idle listener runs a trivial query this often, so a silently dead connection is noticed.</summary>
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan FirstHorizonRetry = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LastHorizonRetry = TimeSpan.FromSeconds(1);

    // Touched only by the listener loop and by Npgsql's Notification event, which Npgsql raises while that
    // loop awaits a call on the listener's connection: never concurrently.
    private ulong _pendingHorizon;
    private bool _wakeNow;

    /// <summary>Opens the dedicated connection and LISTENs; then wakes local readers for whatever was missed meanwhile.</summary>
    private async Task<NpgsqlConnection> ListenAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            connection.Notification += OnNotification;
            using var command = new NpgsqlCommand(_sql.Listen, connection) { CommandTimeout = _options.CommandTimeoutSeconds };
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CloseAsync(connection).ConfigureAwait(false);
            throw;
        }

        LogListening(_logger, ChannelName);

        // Other processes' commits while nobody listened (before the start, or while reconnecting) went
        // unannounced here: one read finds them.
        _notifier.NotifyLocalOnly();
        return connection;
    }

    /// <summary>Receives until stopped; reconnects with a back-off when the connection fails (e.g. the server restarted).</summary>
    private async Task ListenLoopAsync(NpgsqlConnection? connection, CancellationToken stopping)
    {
        var failures = connection is null ? 1 : 0;
        while (true)
        {
            if (connection is null && failures > 0)
            {
                try
                {
                    await Task.Delay(Backoff(failures), _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            try
            {
                connection ??= await ListenAsync(stopping).ConfigureAwait(false);
                failures = 0;
                await ReceiveAsync(connection, stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                failures++;
                LogListenFailed(_logger, ex, ChannelName);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                // Stopped.
            }

            if (connection is not null)
            {
                if (stopping.IsCancellationRequested)
                {
                    await UnlistenAsync(connection).ConfigureAwait(false);
                }

                await CloseAsync(connection).ConfigureAwait(false);
                connection = null;
            }

            if (stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Waits for notifications (Npgsql raises <see cref="OnNotification"/> inside the wait). One that
    /// announces commits wakes local readers once the global log's horizon has passed them: a reader
    /// woken earlier would find nothing and sleep a whole poll interval while an older transaction
    /// elsewhere in the cluster still hid them.
    /// </summary>
    private async Task ReceiveAsync(NpgsqlConnection connection, CancellationToken stopping)
    {
        var retry = FirstHorizonRetry;
        while (true)
        {
            var received = await connection.WaitAsync(_pendingHorizon == 0 ? KeepAliveInterval : retry, stopping).ConfigureAwait(false);
            if (_wakeNow)
            {
                _wakeNow = false;
                _notifier.NotifyLocalOnly();
            }

            if (_pendingHorizon != 0)
            {
                var xmin = await HorizonAsync(connection, stopping).ConfigureAwait(false);
                if (xmin >= _pendingHorizon)
                {
                    _pendingHorizon = 0;
                    retry = FirstHorizonRetry;
                    _notifier.NotifyLocalOnly();
                }
                else
                {
                    retry = retry * 2 > LastHorizonRetry ? LastHorizonRetry : retry * 2;
                }
            }
            else if (!received)
            {
                using var keepAlive = new NpgsqlCommand(_sql.ListenerKeepAlive, connection) { CommandTimeout = _options.CommandTimeoutSeconds };
                await keepAlive.ExecuteNonQueryAsync(stopping).ConfigureAwait(false);
            }
        }
    }

    private async Task<ulong> HorizonAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(_sql.ListenerHorizon, connection) { CommandTimeout = _options.CommandTimeoutSeconds };
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetFieldValue<ulong>(0) : 0UL;
    }

    /// <summary>
    /// Our own notifications are ignored (local readers were woken at the commit). Another process's
    /// carries the horizon its commits are below; anything else on the channel (a hand-sent NOTIFY, an
    /// older format) just wakes local readers.
    /// </summary>
    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var payload = e.Payload;
        if (payload.StartsWith(_payloadPrefix, StringComparison.Ordinal))
        {
            return;
        }

        var separator = payload.LastIndexOf(':');
        if (separator > 0 && ulong.TryParse(payload.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var horizon) && horizon > 0)
        {
            _pendingHorizon = Math.Max(_pendingHorizon, horizon);
        }
        else
        {
            _wakeNow = true;
        }
    }

    /// <summary>A cancelled wait leaves the connection usable: stop listening before it goes back to the pool.</summary>
    private async ValueTask UnlistenAsync(NpgsqlConnection connection)
    {
        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            using var command = new NpgsqlCommand(PostgresSql.Unlisten, connection) { CommandTimeout = _options.CommandTimeoutSeconds };
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
        {
            // Broken after all: closing discards it.
        }
    }

    private async ValueTask CloseAsync(NpgsqlConnection connection)
    {
        connection.Notification -= OnNotification;
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
        {
            // Broken already; nothing to release.
        }
    }
}
