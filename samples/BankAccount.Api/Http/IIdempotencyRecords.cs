namespace BankAccount.Api.Http;

/// <summary>
/// Where the decided response of each Idempotency-Key is kept: in PostgreSQL when the API runs on
/// PostgreSQL (so it survives a restart and is shared by every instance), in memory otherwise.
/// </summary>
internal interface IIdempotencyRecords
{
    /// <summary>The record kept for <paramref name="id"/>, or null (expired records may be returned; the caller checks).</summary>
    ValueTask<IdempotencyRecord?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>Keeps <paramref name="record"/> unless a live record of the same id is kept already (the first one wins).</summary>
    ValueTask SaveAsync(IdempotencyRecord record, CancellationToken cancellationToken);
}

/// <summary>A key's decided outcome: the request it was used for (a fingerprint) and the response sent.</summary>
/// <param name="Id">The key, scoped by user.</param>
/// <param name="Fingerprint">The request's method, path and body, hashed.</param>
/// <param name="Response">The response sent.</param>
/// <param name="Created">When it was kept.</param>
internal sealed record IdempotencyRecord(string Id, string Fingerprint, ApiResponse Response, DateTimeOffset Created);
