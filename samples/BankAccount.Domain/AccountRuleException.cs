namespace BankAccount.Domain;

/// <summary>A command broke one of the account's rules; nothing was raised. <see cref="Code"/> says which rule.</summary>
public sealed class AccountRuleException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">One of <see cref="AccountErrorCodes"/>.</param>
    /// <param name="message">What was refused and why, for people.</param>
    public AccountRuleException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>The stable error code, one of <see cref="AccountErrorCodes"/>.</summary>
    public string Code { get; }
}
