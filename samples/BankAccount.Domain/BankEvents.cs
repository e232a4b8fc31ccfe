using BankAccount.Domain.Events;
using EventSourcing.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace BankAccount.Domain;

/// <summary>Registers the bank's events, their stable names and upcasters, and their JSON metadata.</summary>
public static class BankEvents
{
    /// <summary>The currency of v1 deposits: the first release only knew euros.</summary>
    public const string LegacyCurrency = "EUR";

    /// <summary>Registers the bank events on an EventSourcing builder: <c>AddEventSourcing(b => b.AddBankEvents())</c>.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static EventSourcingBuilder AddBankEvents(this EventSourcingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        Register(builder.Events);
        return builder;
    }

    /// <summary>
    /// Registers the bank events on a registry and makes it use <see cref="BankJsonContext"/>. The names
    /// are what the store keeps; they never change, whatever the CLR types are renamed to.
    /// </summary>
    /// <param name="registry">The registry, not yet in use.</param>
    /// <returns>The registry.</returns>
    public static EventTypeRegistry Register(EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.JsonOptions = BankJsonContext.Default.Options;
        return registry
            .Register<AccountOpened>(BankEventNames.AccountOpened)
            .Register<MoneyDeposited>(BankEventNames.MoneyDeposited)
            .Register<MoneyDepositedV1>("money-deposited.v1")
            .Register<MoneyWithdrawn>(BankEventNames.MoneyWithdrawn)
            .Register<AccountClosed>(BankEventNames.AccountClosed)
            .AddUpcaster<MoneyDepositedV1, MoneyDeposited>(Upcast);
    }

    /// <summary>Reads a v1 deposit as the current event: v1 deposits were all in <see cref="LegacyCurrency"/>.</summary>
    /// <param name="old">The stored v1 event.</param>
    /// <returns>The current event.</returns>
    public static MoneyDeposited Upcast(MoneyDepositedV1 old)
    {
        ArgumentNullException.ThrowIfNull(old);
        return new MoneyDeposited(old.Amount, LegacyCurrency);
    }
}
