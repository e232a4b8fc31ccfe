namespace BankAccount.Domain.ReadModels;

/// <summary>One line of an account's audit log: who did what, when, and under which request.</summary>
/// <param name="AccountId">The account's id.</param>
/// <param name="StreamVersion">The event's version in the account's stream.</param>
/// <param name="EventType">The event's stored type name.</param>
/// <param name="Description">What happened, for people.</param>
/// <param name="Amount">The amount moved, or null for events that move no money.</param>
/// <param name="Currency">The account's currency.</param>
/// <param name="User">The user from the event's metadata (<see cref="BankMetadata.UserHeader"/>).</param>
/// <param name="CorrelationId">The correlation id from the event's metadata.</param>
/// <param name="Timestamp">When the event was appended.</param>
/// <param name="EventId">The event's id.</param>
public sealed record AuditEntry(string AccountId, long StreamVersion, string EventType, string Description, decimal? Amount, string Currency, string User, string? CorrelationId, DateTimeOffset Timestamp, Guid EventId);
