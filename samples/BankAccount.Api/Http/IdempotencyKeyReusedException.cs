namespace BankAccount.Api.Http;

/// <summary>
/// The command of an Idempotency-Key was already applied (its events are stored) for a different request
/// (another body or path). Thrown by the command path; <see cref="IdempotencyStore"/> answers 422 and keeps
/// nothing, so a retry of the original request still gets its own answer.
/// </summary>
internal sealed class IdempotencyKeyReusedException : Exception
{
    public IdempotencyKeyReusedException()
        : base("The Idempotency-Key was already used for a different request.")
    {
    }

    public IdempotencyKeyReusedException(string message)
        : base(message)
    {
    }

    public IdempotencyKeyReusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
