using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// Tests that hold a write transaction open on purpose to hold back the cluster-wide log horizon (the
/// gap-safe read only returns events of transactions older than the oldest one still running, in any
/// database of the server). Run alone, after the parallel tests: while they hold it, every other test's
/// global-log reads on the shared server would stop short of its own fresh appends.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HorizonCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Holds the log horizon";
}
