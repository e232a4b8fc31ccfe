namespace EventSourcing.Benchmarks.Domain;

// Bench-local bank-account events: about 100 bytes of JSON each. Public because Marten's generated
// code must reach them.

/// <summary>An account was opened.</summary>
public sealed record AccountOpened(string AccountId, string Owner, string Currency, DateTimeOffset At);

/// <summary>Money came in.</summary>
public sealed record MoneyDeposited(string AccountId, decimal Amount, string Reference, DateTimeOffset At);

/// <summary>Money went out.</summary>
public sealed record MoneyWithdrawn(string AccountId, decimal Amount, string Reference, DateTimeOffset At);

/// <summary>The snapshot of <see cref="Account"/>.</summary>
public sealed record AccountState(string AccountId, decimal Balance, long Transactions);
