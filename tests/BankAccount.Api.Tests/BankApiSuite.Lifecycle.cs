using System.Net;

namespace BankAccount.Api.Tests;

public abstract partial class BankApiSuite
{
    [Fact]
    public async Task An_account_lives_its_whole_life_over_HTTP()
    {
        // Open: 201, Location, ETag = version 1.
        using var opened = await PostAsync("accounts", """{"owner":"Alice","currency":"EUR"}""", ("X-User", "alice"), ("X-Correlation-Id", "open-1"));
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var account = await JsonAsync(opened);
        var id = account.GetProperty("id").GetString()!;
        Assert.Equal($"/accounts/{id}", opened.Headers.Location?.OriginalString);
        Assert.Equal("\"1\"", opened.Headers.ETag?.Tag);
        Assert.Equal("open-1", opened.Headers.GetValues("X-Correlation-Id").Single());
        Assert.Equal(("Alice", "EUR", 0m, "open", 1L), (account.GetProperty("owner").GetString(), account.GetProperty("currency").GetString(), Balance(account), account.GetProperty("status").GetString(), Version(account)));

        // The Location answers from the current-state read model, with the same ETag.
        using var fetched = await GetAsync(opened.Headers.Location!.OriginalString.TrimStart('/'));
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal("\"1\"", fetched.Headers.ETag?.Tag);

        // Deposit, withdraw, close.
        using var deposit = await PostAsync($"accounts/{id}/deposits", """{"amount":250.50,"currency":"EUR"}""", ("X-User", "alice"));
        Assert.Equal(HttpStatusCode.OK, deposit.StatusCode);
        Assert.Equal((250.50m, 2L), (Balance(await JsonAsync(deposit)), Version(await JsonAsync(deposit))));
        Assert.Equal("\"2\"", deposit.Headers.ETag?.Tag);

        using var withdrawal = await PostAsync($"accounts/{id}/withdrawals", AmountJson(100m), ("X-User", "teller"), ("If-Match", "\"2\""));
        Assert.Equal(HttpStatusCode.OK, withdrawal.StatusCode);
        Assert.Equal(150.50m, Balance(await JsonAsync(withdrawal)));

        using var closed = await PostAsync($"accounts/{id}/close", """{"reason":"moving abroad"}""", ("X-User", "alice"), ("If-Match", "\"3\""));
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);

        var final = await GetAccountAsync(id);
        Assert.Equal(("closed", 150.50m, 4L), (final.GetProperty("status").GetString(), Balance(final), Version(final)));

        // Nothing more happens on a closed account.
        using var late = await PostAsync($"accounts/{id}/deposits", AmountJson(10m));
        Assert.Equal("account_closed", Code(await ProblemAsync(late, HttpStatusCode.UnprocessableEntity)));

        // The audit trail: who, what, when, in order, with the correlation ids.
        var trail = await AuditTrailAsync(id, 4);
        var entries = trail.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["account-opened", "money-deposited", "money-withdrawn", "account-closed"], entries.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(["alice", "alice", "teller", "alice"], entries.Select(e => e.GetProperty("user").GetString()));
        Assert.Equal("open-1", entries[0].GetProperty("correlationId").GetString());
        Assert.Equal([1L, 2L, 3L, 4L], entries.Select(e => e.GetProperty("version").GetInt64()));
        Assert.Equal(100m, entries[2].GetProperty("amount").GetDecimal());
        Assert.Contains("moving abroad", entries[3].GetProperty("description").GetString(), StringComparison.Ordinal);

        // The analytics: this account's totals.
        var totals = await EventuallyAsync(
            async () =>
            {
                using var response = await GetAsync($"reports/accounts/{id}");
                return await JsonAsync(response);
            },
            t => t.GetProperty("transactionCount").GetInt64() == 2);
        Assert.Equal((250.50m, 100m), (totals.GetProperty("deposited").GetDecimal(), totals.GetProperty("withdrawn").GetDecimal()));
    }

    [Fact]
    public async Task The_correlation_id_comes_from_traceparent_when_there_is_no_X_Correlation_Id()
    {
        const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var id = await OpenAsync("Tracy", "EUR", ("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01"));
        using var deposit = await PostAsync($"accounts/{id}/deposits", AmountJson(5m));
        var generated = deposit.Headers.GetValues("X-Correlation-Id").Single();

        var entries = (await AuditTrailAsync(id, 2)).GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(TraceId, entries[0].GetProperty("correlationId").GetString());
        Assert.Equal(generated, entries[1].GetProperty("correlationId").GetString());
        Assert.NotEqual(TraceId, generated);
        Assert.Equal("anonymous", entries[1].GetProperty("user").GetString());
    }

    [Fact]
    public async Task The_reports_show_totals_per_currency_and_the_daily_volume()
    {
        using var before = await GetAsync("reports/totals");
        var usdBefore = Usd(await JsonAsync(before));
        var id = await OpenAsync("Ursula", "USD");
        await PostAsync($"accounts/{id}/deposits", AmountJson(40m));
        await PostAsync($"accounts/{id}/withdrawals", AmountJson(15m));

        // Both transactions reach the (async) analytics.
        await EventuallyAsync(
            async () =>
            {
                using var response = await GetAsync("reports/totals");
                return Usd(await JsonAsync(response));
            },
            usd => usd == (usdBefore.Deposited + 40m, usdBefore.Withdrawn + 15m));

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using var daily = await GetAsync($"reports/daily-volume?from={today}&to={today}");
        Assert.Equal(HttpStatusCode.OK, daily.StatusCode);
        var usdToday = (await JsonAsync(daily)).EnumerateArray().Single(d => d.GetProperty("currency").GetString() == "USD");
        Assert.Equal(today, usdToday.GetProperty("day").GetString());
        Assert.True(usdToday.GetProperty("withdrawn").GetDecimal() >= 15m);
        Assert.True(usdToday.GetProperty("transactionCount").GetInt64() >= 2);

        static (decimal Deposited, decimal Withdrawn) Usd(System.Text.Json.JsonElement totals) =>
            totals.EnumerateArray().Where(t => t.GetProperty("currency").GetString() == "USD")
                .Select(t => (t.GetProperty("deposited").GetDecimal(), t.GetProperty("withdrawn").GetDecimal())).SingleOrDefault();
    }
}
