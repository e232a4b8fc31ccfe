// The README's quick start, compiled and run here so it cannot rot. Keep the two in sync.
#pragma warning disable xUnit1051 // the README code reads as an application would write it
using EventSourcing.Aggregates;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EventSourcing.Core.Tests.QuickStart;

// --- README quick start: begin ---
public sealed record Deposited(decimal Amount);
public sealed record Withdrawn(decimal Amount);

public sealed class Wallet : AggregateRoot
{
    public decimal Balance { get; private set; }

    public void Deposit(decimal amount) => Raise(new Deposited(amount));

    public void Withdraw(decimal amount)
    {
        if (amount > Balance) throw new InvalidOperationException("Insufficient funds");
        Raise(new Withdrawn(amount));
    }

    protected override void Apply(object e) => Balance += e switch
    {
        Deposited d => d.Amount,
        Withdrawn w => -w.Amount,
        _ => 0m,
    };
}
// --- README quick start: end ---

public sealed class QuickStartTests
{
    [Fact]
    public async Task The_readme_quick_start_runs()
    {
        // --- README quick start (program): begin ---
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.AddEvent<Deposited>("deposited").AddEvent<Withdrawn>("withdrawn"));
        await using var provider = services.BuildServiceProvider();
        var wallets = provider.GetRequiredService<AggregateRepository<Wallet>>();

        var wallet = StreamId.From("wallet-1"); // validated: not empty, at most 200 characters, no control characters
        await wallets.ExecuteAsync(wallet, w => w.Deposit(100m));
        await wallets.ExecuteAsync(wallet, w => w.Withdraw(30m));
        var balance = (await wallets.LoadAsync(wallet)).Balance; // 70
        // --- README quick start (program): end ---

        Assert.Equal(70m, balance);
        await Assert.ThrowsAsync<InvalidOperationException>(() => wallets.ExecuteAsync(wallet, w => w.Withdraw(71m)));
    }
}
