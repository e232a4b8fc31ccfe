// The README's first projection, compiled and run here so it cannot rot. Keep the two in sync (the README test compiles the README's copy).
#pragma warning disable xUnit1051 // the README code reads as an application would write it
using EventSourcing.Aggregates;
using EventSourcing.Documents;
using EventSourcing.Projections;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EventSourcing.Core.Tests.ProjectionsReadme;

// The README's example types (the README test's prelude declares the same ones).
public sealed record Deposited(decimal Amount);
public sealed record Withdrawn(decimal Amount);

public sealed class Account : AggregateRoot
{
    public decimal Balance { get; private set; }

    public void Deposit(decimal amount) => Raise(new Deposited(amount));

    public void Withdraw(decimal amount) => Raise(new Withdrawn(amount));

    protected override void Apply(object e) => Balance += e switch
    {
        Deposited d => d.Amount,
        Withdrawn w => -w.Amount,
        _ => 0m,
    };
}

// --- README projections: begin ---
public sealed class WalletSummary
{
    public decimal Balance { get; set; }
    public int Movements { get; set; }
}

public sealed class WalletSummaries : View<WalletSummary>
{
    public WalletSummaries() : base("wallet-summaries")
    {
        On<Deposited>((w, e) => { w.Balance += e.Amount; w.Movements++; });
        On<Withdrawn>((w, e) => { w.Balance -= e.Amount; w.Movements++; });
    }
}
// --- README projections: end ---

public sealed class ProjectionsReadmeTests
{
    [Fact]
    public async Task The_readme_view_runs_inline_and_its_documents_are_read_by_id_and_by_page()
    {
        // --- README projections (program): begin ---
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .AddEvent<Deposited>("deposited").AddEvent<Withdrawn>("withdrawn")
            .AddProjection<WalletSummaries>(ProjectionMode.Inline));
        await using var provider = services.BuildServiceProvider();
        var accounts = provider.GetRequiredService<AggregateRepository<Account>>();
        await accounts.ExecuteAsync(StreamId.From("wallet-1"), a => a.Deposit(100m));

        var documents = provider.GetRequiredService<DocumentReader>();
        var summary = await documents.LoadAsync<WalletSummary>("wallet-1");   // Balance 100, Movements 1
        var page = await documents.ListAsync<WalletSummary>(after: null, limit: 50);
        // --- README projections (program): end ---

        await accounts.ExecuteAsync(StreamId.From("wallet-1"), a => a.Withdraw(30m));
        var after = await documents.LoadAsync<WalletSummary>("wallet-1");

        Assert.Equal((100m, 1), (summary!.Balance, summary.Movements));
        Assert.Equal("wallet-1", Assert.Single(page.Items).Key);
        Assert.Null(page.Next);
        Assert.Equal((70m, 2), (after!.Balance, after.Movements));
    }

    [Fact]
    public async Task The_readme_view_rebuilds_through_the_daemon_when_it_runs_async()
    {
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .AddEvent<Deposited>("deposited").AddEvent<Withdrawn>("withdrawn")
            .AddProjection<WalletSummaries>(ProjectionMode.Async));
        await using var provider = services.BuildServiceProvider();
        var daemon = provider.GetRequiredService<ProjectionDaemon>();
        await daemon.StartAsync(TestContext.Current.CancellationToken);
        var wallets = provider.GetRequiredService<AggregateRepository<Account>>();
        await wallets.ExecuteAsync(StreamId.From("wallet-2"), w => w.Deposit(5m));
        await wallets.ExecuteAsync(StreamId.From("wallet-2"), w => w.Deposit(7m));
        var head = await provider.GetRequiredService<IEventStore>().GetHeadPositionAsync(TestContext.Current.CancellationToken);

        var rebuilt = await daemon.RebuildAsync("wallet-summaries", cancellationToken: TestContext.Current.CancellationToken);
        await daemon.WaitForPositionAsync("wallet-summaries", head, TestContext.Current.CancellationToken);

        Assert.Equal(2, rebuilt);
        var summary = await provider.GetRequiredService<DocumentReader>().LoadAsync<WalletSummary>("wallet-2");
        Assert.Equal((12m, 2), (summary!.Balance, summary.Movements));
        await daemon.StopAsync(CancellationToken.None);
    }
}
