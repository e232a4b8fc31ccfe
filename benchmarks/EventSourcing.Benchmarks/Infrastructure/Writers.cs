namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>Runs the same writer loop on <see cref="BenchSettings.Writers"/> concurrent tasks.</summary>
public static class Writers
{
    /// <summary>Starts the writers on the thread pool and waits for all of them.</summary>
    /// <param name="writer">One writer's work.</param>
    /// <returns>A task that completes when every writer is done.</returns>
    public static Task RunAsync(Func<Task> writer) => RunAsync(writer, BenchSettings.Writers);

    /// <summary>Starts <paramref name="count"/> writers on the thread pool and waits for all of them.</summary>
    /// <param name="writer">One writer's work.</param>
    /// <param name="count">How many writers.</param>
    /// <returns>A task that completes when every writer is done.</returns>
    public static Task RunAsync(Func<Task> writer, int count)
    {
        var tasks = new Task[count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(writer);
        }

        return Task.WhenAll(tasks);
    }
}
