namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>How much measuring a run does.</summary>
public enum BenchMode
{
    /// <summary>BenchmarkDotNet's default job, out of process: the numbers to publish.</summary>
    Full,

    /// <summary>A short in-process job over the full data sizes: every scenario in under 10 minutes on 2 cores.</summary>
    Quick,

    /// <summary>Every benchmark once, in process, over tiny data: proves the suite still runs (CI).</summary>
    Smoke,
}
