namespace BankAccount.Domain.ReadModels;

/// <summary>Whether an account takes transactions.</summary>
public enum AccountStatus
{
    /// <summary>Open: deposits and withdrawals are accepted.</summary>
    Open,

    /// <summary>Closed: nothing more happens on it.</summary>
    Closed,
}
