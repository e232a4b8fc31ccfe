namespace BankAccount.Domain.ReadModels;

/// <summary>A page of an account's audit log, oldest first.</summary>
/// <param name="AccountId">The account's id.</param>
/// <param name="Entries">The entries after the requested version, at most the requested number.</param>
/// <param name="Total">The entries the log holds for the account.</param>
/// <param name="NextAfterVersion">The version to ask for the next page after, or null on the last page.</param>
public sealed record AuditPage(string AccountId, IReadOnlyList<AuditEntry> Entries, long Total, long? NextAfterVersion);
