using System.Text.Json;
using EventSourcing.Serialization;

namespace EventSourcing.Benchmarks.Domain;

/// <summary>Deterministic bank-account events, their names and payloads.</summary>
public static class EventFactory
{
    /// <summary>The first event's timestamp.</summary>
    public static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The stored names.</summary>
    public const string OpenedName = "AccountOpened";

    /// <summary>The stored names.</summary>
    public const string DepositedName = "MoneyDeposited";

    /// <summary>The stored names.</summary>
    public const string WithdrawnName = "MoneyWithdrawn";

    /// <summary>A registry with the three events, using the source-generated context.</summary>
    /// <returns>The registry.</returns>
    public static EventTypeRegistry CreateRegistry() => new EventTypeRegistry(BenchJsonContext.Default.Options)
        .Register<AccountOpened>(OpenedName)
        .Register<MoneyDeposited>(DepositedName)
        .Register<MoneyWithdrawn>(WithdrawnName);

    /// <summary>Event number <paramref name="version"/> (1-based) of an account's stream: an opening, then deposits and withdrawals.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="version">The 1-based version.</param>
    /// <returns>The event.</returns>
    public static object Create(string accountId, long version)
    {
        var at = Epoch.AddSeconds(version);
        if (version == 1)
        {
            return new AccountOpened(accountId, "Ada Lovelace", "EUR", at);
        }

        var amount = 10m + (version % 97) + ((version % 100) / 100m);
        var reference = "ref-" + version.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
        return version % 4 == 0 ? new MoneyWithdrawn(accountId, amount / 2, reference, at) : new MoneyDeposited(accountId, amount, reference, at);
    }

    /// <summary>The stored name of an event.</summary>
    /// <param name="event">The event.</param>
    /// <returns>The name.</returns>
    public static string NameOf(object @event) => @event switch
    {
        MoneyDeposited => DepositedName,
        MoneyWithdrawn => WithdrawnName,
        AccountOpened => OpenedName,
        _ => throw new ArgumentException("Not a bank event.", nameof(@event)),
    };

    /// <summary>The UTF-8 JSON payload of an event.</summary>
    /// <param name="event">The event.</param>
    /// <returns>The payload.</returns>
    public static byte[] Serialize(object @event) => @event switch
    {
        MoneyDeposited d => JsonSerializer.SerializeToUtf8Bytes(d, BenchJsonContext.Default.MoneyDeposited),
        MoneyWithdrawn w => JsonSerializer.SerializeToUtf8Bytes(w, BenchJsonContext.Default.MoneyWithdrawn),
        AccountOpened o => JsonSerializer.SerializeToUtf8Bytes(o, BenchJsonContext.Default.AccountOpened),
        _ => throw new ArgumentException("Not a bank event.", nameof(@event)),
    };

    /// <summary>Deserializes a payload by stored name: what raw Npgsql does per row.</summary>
    /// <param name="name">The stored name.</param>
    /// <param name="utf8">The payload.</param>
    /// <returns>The event.</returns>
    public static object Deserialize(string name, ReadOnlySpan<byte> utf8) => name switch
    {
        DepositedName => JsonSerializer.Deserialize(utf8, BenchJsonContext.Default.MoneyDeposited)!,
        WithdrawnName => JsonSerializer.Deserialize(utf8, BenchJsonContext.Default.MoneyWithdrawn)!,
        OpenedName => JsonSerializer.Deserialize(utf8, BenchJsonContext.Default.AccountOpened)!,
        _ => throw new JsonException($"Unknown event type '{name}'."),
    };
}
