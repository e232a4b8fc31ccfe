using System.Text.Encodings.Web;

namespace EventSourcing.Serialization;

/// <summary>
/// Wraps the configured encoder and throws on a lone surrogate instead of letting it become U+FFFD.
/// The serializer asks the encoder about every string it writes (values, property names, dictionary keys).
/// </summary>
internal sealed class SurrogateGuardEncoder(JavaScriptEncoder inner) : JavaScriptEncoder
{
    public override int MaxOutputCharactersPerInputCharacter => inner.MaxOutputCharactersPerInputCharacter;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        var span = new ReadOnlySpan<char>(text, textLength);
        if (LoneSurrogates.IndexOf(span) is var i and >= 0)
        {
            throw LoneSurrogates.Error("A string of the event", span[i], i, "events");
        }

        return inner.FindFirstCharacterToEncode(text, textLength);
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text) => inner.FindFirstCharacterToEncodeUtf8(utf8Text);

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten) =>
        inner.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);

    public override bool WillEncode(int unicodeScalar) => inner.WillEncode(unicodeScalar);
}
