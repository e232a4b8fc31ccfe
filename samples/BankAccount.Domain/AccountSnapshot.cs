namespace BankAccount.Domain;

/// <summary>
/// The state of an <see cref="Account"/> at one version (snapshot schema version 1). Changing its shape
/// means raising <c>Account.SnapshotSchemaVersion</c>, so older snapshots are ignored, not mis-read.
/// </summary>
/// <param name="AccountId">The account's id.</param>
/// <param name="Owner">The account holder.</param>
/// <param name="Currency">The account's currency.</param>
/// <param name="Balance">The balance.</param>
/// <param name="IsClosed">Whether the account is closed.</param>
public sealed record AccountSnapshot(string AccountId, string Owner, string Currency, decimal Balance, bool IsClosed);
