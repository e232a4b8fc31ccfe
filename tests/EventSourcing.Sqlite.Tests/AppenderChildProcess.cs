using System.Diagnostics;
using System.Globalization;
using EventSourcing.Testing;

namespace EventSourcing.Sqlite.Tests;

/// <summary>
/// A second OS process appending to the same database file: it opens its store, prints <c>ready</c>,
/// waits for a line on standard input, then appends <c>count</c> single events with <see cref="ExpectedVersion.Any"/>,
/// alternating between its own stream and a stream both processes share, and prints one line per
/// acknowledged append: <c>ack &lt;event id&gt; &lt;stream&gt; &lt;version&gt; &lt;position&gt;</c>.
/// </summary>
internal static class AppenderChildProcess
{
    public const string Verb = "--sqlite-appender-child";

    /// <summary>Starts the child: this assembly's app host, or <c>dotnet exec</c> on the assembly.</summary>
    public static Process Start(string filePath, string ownStream, string sharedStream, int count)
    {
        var assembly = typeof(AppenderChildProcess).Assembly.Location;
        var appHost = Path.ChangeExtension(assembly, OperatingSystem.IsWindows() ? ".exe" : null);
        var start = File.Exists(appHost)
            ? new ProcessStartInfo(appHost)
            : new ProcessStartInfo("dotnet") { ArgumentList = { "exec", assembly } };
        start.ArgumentList.Add(Verb);
        start.ArgumentList.Add(filePath);
        start.ArgumentList.Add(ownStream);
        start.ArgumentList.Add(sharedStream);
        start.ArgumentList.Add(count.ToString(CultureInfo.InvariantCulture));
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var (filePath, own, shared, count) = (args[1], new StreamId(args[2]), new StreamId(args[3]), int.Parse(args[4], CultureInfo.InvariantCulture));
        await using var store = new SqliteEventStore(new SqliteOptions { FilePath = filePath }, TestData.NewRegistry());
        await store.GetStreamVersionAsync(own); // opens a connection: the child is ready to append
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        if (Console.In.ReadLine() is null)
        {
            return 2;
        }

        for (var i = 0; i < count; i++)
        {
            var stream = i % 2 == 0 ? own : shared;
            var e = new EventData(new Incremented(i + 1));
            var result = await store.AppendAsync(stream, ExpectedVersion.Any, [e]);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ack {e.EventId} {stream.Value} {result.NextExpectedVersion} {result.Position}"));
        }

        Console.Out.Flush();
        return 0;
    }
}
