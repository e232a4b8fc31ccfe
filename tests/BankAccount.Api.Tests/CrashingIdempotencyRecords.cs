using BankAccount.Api.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BankAccount.Api.Tests;

/// <summary>
/// Wraps the API's idempotency records so a test can make the process "crash" right after a command's
/// events committed: the next save of a record throws instead of writing it, so the client gets a 500
/// (its reply is lost) and the key's record never exists, exactly as if the server had died in between.
/// </summary>
internal sealed class CrashingIdempotencyRecords(IIdempotencyRecords inner) : IIdempotencyRecords
{
    private int _armed;

    /// <summary>Makes the next record save fail without writing anything.</summary>
    public void CrashBeforeNextRecord() => Volatile.Write(ref _armed, 1);

    public ValueTask<IdempotencyRecord?> FindAsync(string id, CancellationToken cancellationToken) => inner.FindAsync(id, cancellationToken);

    public ValueTask SaveAsync(IdempotencyRecord record, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            throw new InvalidOperationException("Simulated crash: the events committed, the idempotency record was never written.");
        }

        return inner.SaveAsync(record, cancellationToken);
    }

    /// <summary>Puts the wrapper around whatever records the API registered.</summary>
    public static void Install(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var original = services.Last(d => d.ServiceType == typeof(IIdempotencyRecords));
        services.Remove(original);
        services.AddSingleton(sp => new CrashingIdempotencyRecords(original.ImplementationInstance as IIdempotencyRecords
            ?? (IIdempotencyRecords?)original.ImplementationFactory?.Invoke(sp)
            ?? (IIdempotencyRecords)ActivatorUtilities.CreateInstance(sp, original.ImplementationType!)));
        services.AddSingleton<IIdempotencyRecords>(sp => sp.GetRequiredService<CrashingIdempotencyRecords>());
    }
}
