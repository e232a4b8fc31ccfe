using System.Buffers;
using System.Text;
using Npgsql;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// The pooled buffers one read reuses for every row, so that reading a row allocates no string and no
/// array: the raw bytes of the json columns, and the UTF-8 bytes of the text columns (the protocol's
/// client encoding is always UTF-8), compared as bytes with the stream id and type names already met. Grown on demand; not
/// thread-safe; give them back with <see cref="Return"/>.
/// </summary>
/// <remarks>
/// Text columns are read with <see cref="NpgsqlDataReader.GetBytes"/> rather than
/// <see cref="NpgsqlDataReader.GetChars"/>: measured with Npgsql 10, <c>GetChars</c> into a caller's
/// buffer allocates about as much per call as <c>GetString</c>, while <c>GetBytes</c> allocates nothing.
/// </remarks>
internal sealed class RowBuffers
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[] _text = ArrayPool<byte>.Shared.Rent(256);
    private byte[] _lastStreamId = ArrayPool<byte>.Shared.Rent(256);
    private int _lastStreamIdLength = -1;

    /// <summary>The distinct event-type names this read met, with their UTF-8 bytes (see <see cref="ReadTypeName"/>).</summary>
    private readonly List<(byte[] Utf8, string Name)> _names = [];
    private int _lastName;

    /// <summary>Distinct type names <see cref="ReadTypeName"/> keeps per read.</summary>
    public const int MaxCachedNames = 64;

    /// <summary>The bytes of the last json column read by <see cref="ReadBytes"/>.</summary>
    public byte[] Bytes { get; private set; } = ArrayPool<byte>.Shared.Rent(4096);

    /// <summary>Copies a json (or bytea) column's raw bytes into <see cref="Bytes"/>; returns the length.</summary>
    public int ReadBytes(NpgsqlDataReader reader, int ordinal)
    {
        var length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
        if (Bytes.Length < length)
        {
            Bytes = Grow(Bytes, length);
        }

        reader.GetBytes(ordinal, 0, Bytes, 0, length);
        return length;
    }

    /// <summary>
    /// Reads an event-type column: the name as a string, decoded once per distinct name of the read and
    /// found again by its UTF-8 bytes (a read meets few types, so a row costs a byte comparison, not a
    /// decode and an allocation). Past <see cref="MaxCachedNames"/> distinct names, the others are decoded per row.
    /// </summary>
    public string ReadTypeName(NpgsqlDataReader reader, int ordinal)
    {
        var length = ReadText(reader, ordinal);
        var bytes = _text.AsSpan(0, length);

        // Most rows repeat the type of the row before or one of the few others: try the last hit first.
        if (_lastName < _names.Count && bytes.SequenceEqual(_names[_lastName].Utf8))
        {
            return _names[_lastName].Name;
        }

        for (var i = 0; i < _names.Count; i++)
        {
            if (bytes.SequenceEqual(_names[i].Utf8))
            {
                _lastName = i;
                return _names[i].Name;
            }
        }

        var name = Utf8.GetString(bytes);
        if (_names.Count < MaxCachedNames)
        {
            _lastName = _names.Count;
            _names.Add((bytes.ToArray(), name));
        }

        return name;
    }

    /// <summary>
    /// Reads a stream-id column: <paramref name="current"/> again when the row holds the same id as the
    /// previous call (compared as bytes, nothing allocated), otherwise a new, validated id.
    /// </summary>
    public StreamId ReadStreamId(NpgsqlDataReader reader, int ordinal, StreamId current)
    {
        var length = ReadText(reader, ordinal);
        var bytes = _text.AsSpan(0, length);
        if (!current.IsDefault && length == _lastStreamIdLength && bytes.SequenceEqual(_lastStreamId.AsSpan(0, length)))
        {
            return current;
        }

        var id = new StreamId(Utf8.GetString(bytes));
        if (_lastStreamId.Length < length)
        {
            ArrayPool<byte>.Shared.Return(_lastStreamId);
            _lastStreamId = ArrayPool<byte>.Shared.Rent(length);
        }

        bytes.CopyTo(_lastStreamId);
        _lastStreamIdLength = length;
        return id;
    }

    /// <summary>Gives the buffers back to the pool; the instance must not be used afterwards.</summary>
    public void Return()
    {
        Give(Bytes);
        Give(_text);
        Give(_lastStreamId);
        Bytes = _text = _lastStreamId = [];
        _names.Clear();

        static void Give(byte[] buffer)
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Copies a text column's UTF-8 bytes into the text buffer; returns the length.</summary>
    private int ReadText(NpgsqlDataReader reader, int ordinal)
    {
        var length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
        if (_text.Length < length)
        {
            _text = Grow(_text, length);
        }

        reader.GetBytes(ordinal, 0, _text, 0, length);
        return length;
    }

    private static byte[] Grow(byte[] buffer, int length)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        return ArrayPool<byte>.Shared.Rent(length);
    }
}
