using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EventSourcing.Testing.Postgres;

/// <summary>Asks a Docker engine for <c>/_ping</c> with a short timeout, so a missing engine never hangs a run.</summary>
internal static class DockerProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        EndPoint? endPoint = Environment.GetEnvironmentVariable("DOCKER_HOST") switch
        {
            { Length: > 0 } host when host.StartsWith("unix://", StringComparison.Ordinal) => new UnixDomainSocketEndPoint(host["unix://".Length..]),
            { Length: > 0 } host when host.StartsWith("tcp://", StringComparison.Ordinal) && Uri.TryCreate(host, UriKind.Absolute, out var uri) => new DnsEndPoint(uri.Host, uri.Port),
            { Length: > 0 } => null,
            _ => File.Exists("/var/run/docker.sock") ? new UnixDomainSocketEndPoint("/var/run/docker.sock") : null,
        };
        if (endPoint is null)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var socket = endPoint is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"u8.ToArray(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var status = Encoding.ASCII.GetString(buffer, 0, read);
            return status.StartsWith("HTTP/1.", StringComparison.Ordinal) && status.Contains(" 200", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }
}
