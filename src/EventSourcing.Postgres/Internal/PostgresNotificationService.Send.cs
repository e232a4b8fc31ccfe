using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

internal sealed partial class PostgresNotificationService
{
    /// <summary>
    /// Waits for local commits, then sends one notification and rests for the interval: commits during
    /// the send or the rest are announced by the next one. Each notification is its own transaction,
    /// started after the commits it announces, so it can never be inside (or ahead of) an append.
    /// </summary>
    private async Task SendLoopAsync(CancellationToken stopping)
    {
        var failures = 0;
        try
        {
            while (await _commits.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                _commits.Reader.TryRead(out _);
                try
                {
                    await SendAsync(stopping).ConfigureAwait(false);
                    failures = 0;
                    await Task.Delay(_options.NotificationInterval, _time, stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    // Not fatal: other processes poll. The commits stay unannounced, so try again.
                    LogSendFailed(_logger, ex, ChannelName);
                    _commits.Writer.TryWrite(true);
                    await Task.Delay(Backoff(++failures), _time, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    /// <summary>
    /// <c>pg_notify(channel, '&lt;instance&gt;:&lt;xmax&gt;')</c>: the instance lets this process's listener skip its own
    /// notifications, and the snapshot's xmax (above every transaction that had committed) tells other
    /// listeners when global-log readers can see the commits announced.
    /// </summary>
    private async Task SendAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(_sql.Notify, connection) { CommandTimeout = _options.CommandTimeoutSeconds };
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = ChannelName });
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = _payloadPrefix });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
