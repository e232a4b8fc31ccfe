namespace BankAccount.Domain;

/// <summary>The metadata headers the bank writes on its events (the audit log reads them back).</summary>
public static class BankMetadata
{
    /// <summary>The header naming the user who issued the command.</summary>
    public const string UserHeader = "user";

    /// <summary>What the audit log shows when an event names no user.</summary>
    public const string UnknownUser = "unknown";
}
