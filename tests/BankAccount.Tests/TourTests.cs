using System.Diagnostics;
using Spectre.Console;

namespace BankAccount.Tests;

public sealed class TourTests
{
    [Fact]
    public async Task The_tour_runs_to_the_end_and_shows_every_feature()
    {
        // As when the output is redirected: no ANSI codes, 80 columns.
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });

        var exitCode = await Tour.RunAsync(console);
        var output = writer.ToString();

        Assert.True(exitCode == 0, "The tour failed:\n" + output);
        Assert.Equal(["alice", "Alice", "2", "1,000.00 EUR", "open"], Row(output, "alice", occurrence: 0));
        Assert.Equal(["bob", "Bob", "4", "410.00 EUR", "open"], Row(output, "bob", occurrence: 1));
        Assert.Contains("insufficient_funds", output, StringComparison.Ordinal);
        Assert.Contains("account_closed", output, StringComparison.Ordinal);
        Assert.Contains("Events written by refused commands: 0.", output, StringComparison.Ordinal);
        Assert.Contains("stream account-bob, expected v4, actual v5.", output, StringComparison.Ordinal);
        Assert.Contains("the command ran 2 times", output, StringComparison.Ordinal);
        Assert.Contains("version 10, type 'account', schema v1, taken at 10:45.", output, StringComparison.Ordinal);
        Assert.Equal(["snapshot + tail", "2", "12", "467.76 EUR"], Row(output, "snapshot + tail"));
        Assert.Equal(["full replay", "12", "12", "467.76 EUR"], Row(output, "full replay"));
        Assert.Equal(["as of 09:00", "0", "not opened yet", "2"], Row(output, "as of 09:00"));
        Assert.Equal(["as of 10:00", "3", "750.00 EUR", "5"], Row(output, "as of 10:00"));
        Assert.Equal(["as of version 10", "10", "597.75 EUR", "0"], Row(output, "as of version 10"));
        Assert.Contains("Read back today as money-deposited: 75.00 EUR", output, StringComparison.Ordinal);
        Assert.Equal(["7", "money-withdrawn", "-30.00 EUR", "10:10", "req-014", "bob"], Row(output, "-30.00 EUR"));
        Assert.Equal(["2", "money-deposited", "+75.00 EUR", "11:00", "req-025", "release-1"], Row(output, "+75.00 EUR"));

        // 9. The three read models: current state (inline), analytics and audit log (async, caught up).
        Assert.Contains("lag: analytics 0, audit log 0 events.", output, StringComparison.Ordinal);
        Assert.Equal(["alice", "Alice", "13", "2,467.76 EUR", "open"], Row(output, "2,467.76 EUR"));
        Assert.Equal(["bob", "Bob", "8", "345.00 EUR", "open"], Row(output, "345.00 EUR"));
        Assert.Equal(["carol", "Carol", "4", "0.00 USD", "closed"], Row(output, "0.00 USD"));
        Assert.Equal(["EUR", "3", "3,575.00 EUR", "662.24 EUR", "21"], Row(output, "3,575.00 EUR"));
        Assert.Equal(["USD", "1", "50.00 USD", "50.00 USD", "2"], Row(output, "USD", occurrence: 0));
        Assert.Equal(["2025-01-06", "EUR", "1,575.00 EUR", "602.24 EUR", "19"], Row(output, "2025-01-06"));
        Assert.Equal(["2025-01-07", "EUR", "2,000.00 EUR", "60.00 EUR", "2"], Row(output, "2025-01-07"));
        Assert.Contains("Audit log of bob: 5 of 8 entries", output, StringComparison.Ordinal);
        Assert.Equal(["3", "Mon 09:25", "alice", "deposit of 250.00 EUR", "req-004"], Row(output, "deposit of 250.00 EUR"));
        Assert.Equal(["5", "Mon 10:05", "teller", "deposit of 20.00 EUR", "req-012"], Row(output, "deposit of 20.00 EUR"));
        Assert.Contains("The next page starts after v5", output, StringComparison.Ordinal);

        // 10. The rebuild reports progress per batch of 10 (plain lines when not interactive) and changes nothing.
        Assert.Contains("  rebuilding analytics: 10/27 events\n  rebuilding analytics: 20/27 events\n  rebuilding analytics: 27/27 events\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("Rebuilt from the 27 events it handles; status Live.", output, StringComparison.Ordinal);
        Assert.Contains("The rebuilt read model equals the one it replaced.", output, StringComparison.Ordinal);
        Assert.Contains("Tour complete", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_an_interactive_console_the_rebuild_shows_a_progress_bar()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
        });

        var exitCode = await Tour.RunAsync(console);
        var output = writer.ToString();

        Assert.True(exitCode == 0, "The tour failed:\n" + output);
        Assert.DoesNotContain("rebuilding analytics:", output, StringComparison.Ordinal);
        Assert.Contains("analytics: 27/27 events", output, StringComparison.Ordinal);
        Assert.Contains("100%", output, StringComparison.Ordinal);
        Assert.Contains("The rebuilt read model equals the one it replaced.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_program_exits_with_0_and_writes_plain_text_when_redirected()
    {
        var ct = TestContext.Current.CancellationToken;
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "BankAccount.exe" : "BankAccount"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);

        Assert.True(process.ExitCode == 0, $"Exit code {process.ExitCode}:\n{await output}\n{await errors}");
        Assert.Equal(string.Empty, await errors);
        Assert.DoesNotContain("\u001b[", await output, StringComparison.Ordinal);
        Assert.Contains("Tour complete", (await output).TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
    }

    /// <summary>The cells of the n-th table row whose first cells include <paramref name="key"/>.</summary>
    private static string[] Row(string output, string key, int occurrence = 0)
    {
        var rows = output.Split('\n')
            .Select(line => line.Split(['│', '|'], StringSplitOptions.TrimEntries))
            .Where(cells => cells.Length > 2 && cells.Contains(key))
            .ToList();
        Assert.True(rows.Count > occurrence, $"No table row with '{key}' in:\n{output}");
        return rows[occurrence][1..^1];
    }
}
