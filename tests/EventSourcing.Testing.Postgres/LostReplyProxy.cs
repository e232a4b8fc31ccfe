using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace EventSourcing.Testing.Postgres;

/// <summary>
/// A TCP proxy on 127.0.0.1 between Npgsql and a PostgreSQL server that can lose replies on purpose:
/// once armed, it forwards client-to-server bytes as they come but holds back what the server sends
/// until a ReadyForQuery ('Z') ends the exchange. When a CommandComplete ('C') came before that 'Z' —
/// the statement ran and, outside an explicit transaction, the server has committed it when it sends
/// 'Z' — the held reply is thrown away and both sockets are closed: the commit happened, the client
/// never hears of it (inside an explicit transaction block, 'Z' reports 'T' and nothing is lost
/// yet: the proxy waits for the 'Z' that reports idle). An exchange without 'C' (a prepare, an error) is delivered whole and the proxy
/// stays armed. The server-to-client stream is parsed by its framing (type byte, big-endian int32
/// length), so connections must not negotiate SSL or GSS encryption: use <see cref="ConnectionString"/>.
/// </summary>
public sealed class LostReplyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly List<Socket> _sockets = [];
    private readonly Task _accepting;
    private int _armed;
    private int _dropped;
    private int _exchanges;

    /// <summary>Starts a proxy in front of the server of <paramref name="upstreamConnectionString"/>.</summary>
    /// <param name="upstreamConnectionString">The server's connection string (host and port are read from it).</param>
    public LostReplyProxy(string upstreamConnectionString)
    {
        var upstream = new NpgsqlConnectionStringBuilder(upstreamConnectionString);
        _upstreamHost = upstream.Host ?? "127.0.0.1";
        _upstreamPort = upstream.Port;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        upstream.Host = "127.0.0.1";
        upstream.Port = Port;
        upstream.SslMode = SslMode.Disable;
        upstream.GssEncryptionMode = GssEncryptionMode.Disable;
        ConnectionString = upstream.ConnectionString;
        _accepting = AcceptAsync();
    }

    /// <summary>The loopback port the proxy listens on.</summary>
    public int Port { get; }

    /// <summary>The upstream connection string pointed at the proxy, with SSL and GSS encryption disabled.</summary>
    public string ConnectionString { get; }

    /// <summary>How many replies were thrown away (and their connections closed) so far.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>
    /// How many exchanges the server ended so far on every proxied connection: its ReadyForQuery messages
    /// after each connection's start-up, one per round trip (a statement, a prepare, a pipelined batch).
    /// Unarmed, the proxy only forwards and counts: e.g. how many round trips an operation costs.
    /// </summary>
    public int Exchanges => Volatile.Read(ref _exchanges);

    /// <summary>How many more replies to throw away.</summary>
    public int Armed => Volatile.Read(ref _armed);

    /// <summary>
    /// Throws away the replies of the next <paramref name="count"/> completed statements (on any proxied
    /// connection), closing each of those connections once the server said it was ready again (committed).
    /// </summary>
    /// <param name="count">How many replies to lose.</param>
    public void ArmDropAfterCommit(int count = 1) => Interlocked.Add(ref _armed, count);

    /// <summary>Stops losing replies.</summary>
    public void Disarm() => Interlocked.Exchange(ref _armed, 0);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(_upstreamHost == "localhost" ? "127.0.0.1" : _upstreamHost, _upstreamPort, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            lock (_tasks)
            {
                _sockets.Add(client);
                _sockets.Add(server);
                _tasks.Add(PumpClientToServerAsync(client, server));
                _tasks.Add(PumpServerToClientAsync(server, client));
            }
        }
    }

    private async Task PumpClientToServerAsync(Socket client, Socket server)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await SendAllAsync(server, buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Either side went away (or the proxy stops): close both below.
        }

        Close(client, server);
    }

    private async Task PumpServerToClientAsync(Socket server, Socket client)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        var held = new MemoryStream();
        var holding = false;
        var completed = false;
        // Until the connection's first ReadyForQuery the exchange is the start-up (authentication needs the
        // client's answers): holding it would deadlock the new connection until its connect timeout.
        var started = false;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await server.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
                var forwardFrom = 0;
                var offset = 0;
                while (filled - offset >= 5)
                {
                    var length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(offset + 1, 4));
                    var size = 1 + length;
                    if (filled - offset < size)
                    {
                        break;
                    }

                    var type = (char)buffer[offset];
                    if (!holding && started && Volatile.Read(ref _armed) > 0)
                    {
                        // Armed: from here the exchange is held until its ReadyForQuery.
                        await SendAllAsync(client, buffer.AsMemory(forwardFrom, offset - forwardFrom)).ConfigureAwait(false);
                        forwardFrom = offset;
                        holding = true;
                        completed = false;
                    }

                    if (holding)
                    {
                        held.Write(buffer, offset, size);
                        forwardFrom = offset + size;
                        completed |= type == 'C';
                        if (type == 'Z')
                        {
                            // Status 'I': outside a transaction block, so what completed is committed.
                            if (completed && buffer[offset + 5] == (byte)'I' && TryClaim())
                            {
                                // The statement completed and the server is ready again (committed): lose the reply.
                                Interlocked.Increment(ref _dropped);
                                Close(client, server);
                                return;
                            }

                            await SendAllAsync(client, held.GetBuffer().AsMemory(0, (int)held.Length)).ConfigureAwait(false);
                            held.SetLength(0);
                            holding = false;
                        }
                    }

                    if (type == 'Z' && started)
                    {
                        Interlocked.Increment(ref _exchanges);
                    }

                    started |= type == 'Z';
                    offset += size;
                }

                await SendAllAsync(client, buffer.AsMemory(forwardFrom, offset - forwardFrom)).ConfigureAwait(false);
                Buffer.BlockCopy(buffer, offset, buffer, 0, filled - offset);
                filled -= offset;
            }
        }
        catch (Exception)
        {
            // Either side went away (or the proxy stops): close both below.
        }

        Close(client, server);
    }

    private bool TryClaim()
    {
        while (true)
        {
            var armed = Volatile.Read(ref _armed);
            if (armed <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _armed, armed - 1, armed) == armed)
            {
                return true;
            }
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private static void Close(Socket a, Socket b)
    {
        a.Dispose();
        b.Dispose();
    }

    /// <summary>Stops listening and closes every proxied connection.</summary>
    /// <returns>A task that completes when the proxy's loops ended.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Task[] tasks;
        lock (_tasks)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            tasks = [.. _tasks, _accepting];
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loops end by exceptions when their sockets close.
        }

        _stop.Dispose();
    }
}
