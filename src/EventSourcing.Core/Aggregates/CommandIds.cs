using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace EventSourcing.Aggregates;

/// <summary>
/// Deterministic identities for commands and the events they raise, so that re-running a command after
/// a lost reply (the append committed, the caller saw an exception) is recognised instead of stored twice.
/// </summary>
/// <remarks>
/// <para>
/// Both functions make name-based UUIDs as RFC 9562 describes for version 8 with SHA-256 (its appendix
/// B.2): the first 16 bytes of SHA-256(namespace || name), with the version nibble set to 8 and the
/// variant bits to <c>10</c>. Namespaces and UUIDs are taken in their RFC (big-endian) byte order.
/// </para>
/// <para>
/// <see cref="FromKey"/>: namespace <c>1bfadb6c-2b11-4bc0-a9c5-ce7cfe31829e</c>, name = the key in UTF-8.
/// </para>
/// <para>
/// <see cref="EventId"/>: namespace <c>9d869422-fe10-4e01-a08f-0740bbf96bdb</c>, name = the command id
/// (16 bytes) || the index (4 bytes, big-endian) || the stream id in UTF-8. The fixed-length fields come
/// first, so no two (command, index, stream) triples share a name.
/// </para>
/// <para>
/// The scheme is part of the stored data's contract: it never changes, so ids derived today are
/// recognised by every later version.
/// </para>
/// </remarks>
public static class CommandIds
{
    private static readonly Guid KeyNamespace = new("1bfadb6c-2b11-4bc0-a9c5-ce7cfe31829e");
    private static readonly Guid EventNamespace = new("9d869422-fe10-4e01-a08f-0740bbf96bdb");

    // Throws on lone surrogates instead of silently turning them into U+FFFD (which would make two keys one).
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Maps an idempotency key (e.g. an HTTP Idempotency-Key, scoped by the caller as needed) onto a
    /// command id: the same key always gives the same id.
    /// </summary>
    /// <param name="key">The key; any non-empty string of well-formed UTF-16.</param>
    /// <returns>The command id (a version 8 UUID).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty or holds a lone surrogate.</exception>
    public static Guid FromKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return NameBased(KeyNamespace, Encode(key, nameof(key)));
    }

    /// <summary>
    /// The id of the event a command raises at <paramref name="index"/> (0 for its first event) in a
    /// stream. A command id used on two streams gives different event ids on each.
    /// </summary>
    /// <param name="commandId">The command id.</param>
    /// <param name="streamId">The stream the events are appended to.</param>
    /// <param name="index">The event's index among the events the command raised, from 0.</param>
    /// <returns>The event id (a version 8 UUID).</returns>
    /// <exception cref="ArgumentException"><paramref name="commandId"/> is <see cref="Guid.Empty"/>, or <paramref name="streamId"/> is default or holds a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public static Guid EventId(Guid commandId, StreamId streamId, int index)
    {
        if (commandId == Guid.Empty)
        {
            throw new ArgumentException("A command id must not be Guid.Empty.", nameof(commandId));
        }

        streamId.EnsureValid();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var stream = Encode(streamId.Value, nameof(streamId));
        var name = new byte[16 + 4 + stream.Length];
        commandId.TryWriteBytes(name, bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(name.AsSpan(16), index);
        stream.CopyTo(name, 20);
        return NameBased(EventNamespace, name);
    }

    private static byte[] Encode(string value, string parameter)
    {
        try
        {
            return StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("The value holds a lone UTF-16 surrogate.", parameter, ex);
        }
    }

    private static Guid NameBased(Guid ns, byte[] name)
    {
        var input = new byte[16 + name.Length];
        ns.TryWriteBytes(input, bigEndian: true, out _);
        name.CopyTo(input, 16);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // variant 10
        return new Guid(hash[..16], bigEndian: true);
    }
}
