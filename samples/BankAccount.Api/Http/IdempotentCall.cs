using EventSourcing.Aggregates;

namespace BankAccount.Api.Http;

/// <summary>
/// What a command run under an Idempotency-Key carries: the command id the key maps to (so the events it
/// writes prove it ran, see <see cref="CommandIds"/>) and the request's fingerprint (written on the events
/// as the <see cref="FingerprintHeader"/> header, so a key reused for another request is recognised even
/// when the key's record was never written).
/// </summary>
/// <param name="CommandId">The command id: <see cref="CommandIds.FromKey"/> of the user-scoped key.</param>
/// <param name="Fingerprint">The request's fingerprint.</param>
internal sealed record IdempotentCall(Guid CommandId, string Fingerprint)
{
    /// <summary>The event metadata header holding the fingerprint of the request that wrote the event.</summary>
    public const string FingerprintHeader = "request-fingerprint";
}
