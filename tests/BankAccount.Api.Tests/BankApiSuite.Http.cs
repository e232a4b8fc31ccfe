using System.Globalization;
using System.Net;
using EventSourcing;

namespace BankAccount.Api.Tests;

/// <summary>The HTTP RFC points: preconditions (RFC 9110, RFC 6585), problem details (RFC 9457), request and response bodies.</summary>
public abstract partial class BankApiSuite
{
    [Theory]
    [InlineData("deposits", """{"amount":5}""")]
    [InlineData("withdrawals", """{"amount":5}""")]
    [InlineData("close", null)]
    public async Task A_stale_If_Match_is_412_on_every_command_and_writes_nothing(string command, string? json)
    {
        var id = await OpenWithAsync(100m);
        using var response = await PostAsync($"accounts/{id}/{command}", json, ("If-Match", "\"1\""));
        var problem = await ProblemAsync(response, HttpStatusCode.PreconditionFailed);
        Assert.Equal(("version_mismatch", 2L), (Code(problem), problem.GetProperty("currentVersion").GetInt64()));
        var account = await GetAccountAsync(id);
        Assert.Equal((100m, 2L, "open"), (Balance(account), Version(account), account.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task A_weak_ETag_in_If_Match_never_matches_so_it_is_412()
    {
        // If-Match compares strongly (RFC 9110 §13.1.1): W/"2" does not match the account at version 2.
        var id = await OpenWithAsync(100m);
        using var weak = await PostAsync($"accounts/{id}/withdrawals", AmountJson(5m), ("If-Match", "W/\"2\""));
        Assert.Equal("version_mismatch", Code(await ProblemAsync(weak, HttpStatusCode.PreconditionFailed)));
        using var mixed = await PostAsync($"accounts/{id}/withdrawals", AmountJson(5m), ("If-Match", "W/\"2\", \"2\""));
        Assert.Equal(HttpStatusCode.OK, mixed.StatusCode);
        Assert.Equal((95m, 3L), (Balance(await GetAccountAsync(id)), Version(await GetAccountAsync(id))));
    }

    [Fact]
    public async Task An_If_Match_that_another_request_makes_stale_before_the_save_is_412()
    {
        var id = await OpenWithAsync(100m);
        Host.ConflictOnEveryAppend(id);

        // The account is at version 2 when the If-Match is checked; another writer appends before the save.
        using var response = await PostAsync($"accounts/{id}/withdrawals", AmountJson(30m), ("If-Match", "\"2\""));
        var problem = await ProblemAsync(response, HttpStatusCode.PreconditionFailed);
        Assert.Equal(("version_mismatch", 3L), (Code(problem), problem.GetProperty("currentVersion").GetInt64()));
        var account = await GetAccountAsync(id);
        Assert.Equal((101m, 3L), (Balance(account), Version(account)));
    }

    [Theory]
    [InlineData("deposits", """{"amount":5}""", null)]
    [InlineData("withdrawals", """{"amount":5}""", null)]
    [InlineData("close", null, "*")]
    public async Task Without_a_version_in_If_Match_a_race_lost_on_every_retry_is_409(string command, string? json, string? ifMatch)
    {
        var id = await OpenWithAsync(100m);
        Host.ConflictOnEveryAppend(id);

        using var response = ifMatch is null
            ? await PostAsync($"accounts/{id}/{command}", json)
            : await PostAsync($"accounts/{id}/{command}", json, ("If-Match", ifMatch));
        var problem = await ProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal("concurrency_conflict", Code(problem));

        // Only the other writer's deposits of 1 are in: the command itself wrote nothing.
        var account = await GetAccountAsync(id);
        var others = Version(account) - 2;
        Assert.True(others >= 2, $"Expected the command to be retried, the account is at version {Version(account)}.");
        Assert.Equal((100m + others, "open"), (Balance(account), account.GetProperty("status").GetString()));
        Assert.Equal(Version(account), problem.GetProperty("currentVersion").GetInt64());
    }

    [Fact]
    public async Task Closing_without_If_Match_is_428_and_writes_nothing()
    {
        var id = await OpenWithAsync(10m);
        using var refused = await PostAsync($"accounts/{id}/close", """{"reason":"done"}""");
        var problem = await ProblemAsync(refused, HttpStatusCode.PreconditionRequired);
        Assert.Equal(("precondition_required", 2L), (Code(problem), problem.GetProperty("currentVersion").GetInt64()));
        Assert.Equal("open", (await GetAccountAsync(id)).GetProperty("status").GetString());

        using var closed = await PostAsync($"accounts/{id}/close", """{"reason":"done"}""", ("If-Match", "*"));
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        Assert.Equal(("closed", 3L), ((await JsonAsync(closed)).GetProperty("status").GetString(), Version(await JsonAsync(closed))));
        Assert.Equal("\"3\"", closed.Headers.ETag?.Tag);
    }

    [Theory]
    [InlineData("accounts", """{"owner":"Hugo","currency":"EUR"}""")]
    [InlineData("accounts/{id}/deposits", """{"amount":5}""")]
    [InlineData("accounts/{id}/withdrawals", """{"amount":5}""")]
    [InlineData("accounts/{id}/close", """{"reason":"done"}""")]
    public async Task Every_command_reads_who_the_correlation_id_and_the_Idempotency_Key(string command, string json)
    {
        var existing = await OpenWithAsync(50m);
        var path = command.Replace("{id}", existing, StringComparison.Ordinal);
        var key = Guid.NewGuid().ToString();
        (string, string)[] headers = [("X-User", "hugo"), ("X-Correlation-Id", "corr-" + key), ("Idempotency-Key", key), ("If-Match", "*")];

        using var first = await PostAsync(path, json, headers);
        Assert.True(first.IsSuccessStatusCode, $"{(int)first.StatusCode}: {await first.Content.ReadAsStringAsync(Ct)}");
        using var retry = await PostAsync(path, json, headers);
        Assert.Equal((first.StatusCode, await first.Content.ReadAsStringAsync(Ct)), (retry.StatusCode, await retry.Content.ReadAsStringAsync(Ct)));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal("corr-" + key, first.Headers.GetValues("X-Correlation-Id").Single());
        Assert.Equal(first.Headers.ETag, retry.Headers.ETag);

        var account = await JsonAsync(first);
        var id = account.GetProperty("id").GetString()!;
        var version = Version(account);
        var last = (await AuditTrailAsync(id, (int)version)).GetProperty("entries").EnumerateArray().Last();
        Assert.Equal((version, "hugo", "corr-" + key), (last.GetProperty("version").GetInt64(), last.GetProperty("user").GetString(), last.GetProperty("correlationId").GetString()));
        Assert.Equal(version, Version(await GetAccountAsync(id)));
    }

    [Fact]
    public async Task An_Idempotency_Key_reused_to_open_another_account_is_422()
    {
        var key = Guid.NewGuid().ToString();
        using var first = await PostAsync("accounts", """{"owner":"Kim","currency":"EUR"}""", ("Idempotency-Key", key));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var other = await PostAsync("accounts", """{"owner":"Lee","currency":"EUR"}""", ("Idempotency-Key", key));
        Assert.Equal("idempotency_key_reused", Code(await ProblemAsync(other, HttpStatusCode.UnprocessableEntity)));
    }

    [Fact]
    public async Task An_asOf_beyond_the_account_history_is_400_not_the_current_state()
    {
        var id = await OpenWithAsync(100m);
        await PostAsync($"accounts/{id}/deposits", AmountJson(1m));

        using var last = await GetAsync($"accounts/{id}?asOf=3");
        Assert.Equal((101m, 3L), (Balance(await JsonAsync(last)), Version(await JsonAsync(last))));

        using var beyond = await GetAsync($"accounts/{id}?asOf=999");
        var problem = await ProblemAsync(beyond, HttpStatusCode.BadRequest);
        Assert.Contains("version 3", problem.GetProperty("errors").GetProperty("asOf")[0].GetString(), StringComparison.Ordinal);

        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        using var future = await GetAsync($"accounts/{id}?asOf={tomorrow}");
        Assert.True((await ProblemAsync(future, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("asOf", out _));
    }

    [Theory]
    [InlineData("""{"amount":1e30}""", "out of range")]
    [InlineData("""{"amount":1000000000.01}""", "up to 1000000000")]
    [InlineData("""{"amount":"12.50"}""", "JSON number is required, not a string")]
    [InlineData("""{"amount":12.5,"currncy":"EUR"}""", "no member 'currncy'")]
    public async Task Amounts_out_of_range_of_the_wrong_type_or_with_unknown_members_are_400_saying_why(string json, string why)
    {
        var id = await OpenAsync();
        using var response = await PostAsync($"accounts/{id}/deposits", json);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(why, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, Version(await GetAccountAsync(id)));
    }

    [Theory]
    [InlineData("EUR", "10", "10.00", "0.00", "1.005")]
    [InlineData("JPY", "1000", "1000", "0", "1.5")]
    [InlineData("KWD", "1.5", "1.500", "0.000", "0.0001")]
    public async Task Money_is_sent_with_its_currency_decimals_and_finer_amounts_are_refused(string currency, string amount, string shown, string zero, string tooFine)
    {
        var id = await OpenAsync("Mona", currency);
        Assert.Equal(zero, Raw(await GetAccountAsync(id), "balance"));
        using var deposit = await PostAsync($"accounts/{id}/deposits", $$"""{"amount":{{amount}}}""");
        Assert.Equal(HttpStatusCode.OK, deposit.StatusCode);
        Assert.Equal(shown, Raw(await JsonAsync(deposit), "balance"));
        Assert.Equal(shown, Raw(await GetAccountAsync(id), "balance"));

        using var refused = await PostAsync($"accounts/{id}/deposits", $$"""{"amount":{{tooFine}}}""");
        Assert.Equal("invalid_amount", Code(await ProblemAsync(refused, HttpStatusCode.UnprocessableEntity)));

        // The audit trail and the reports too.
        Assert.Equal(shown, Raw((await AuditTrailAsync(id, 2)).GetProperty("entries")[1], "amount"));
        var totals = await EventuallyAsync(
            async () =>
            {
                using var response = await GetAsync($"reports/accounts/{id}");
                return await JsonAsync(response);
            },
            t => t.GetProperty("transactionCount").GetInt64() == 1);
        Assert.Equal((shown, zero), (Raw(totals, "deposited"), Raw(totals, "withdrawn")));
        using var all = await GetAsync("reports/totals");
        var bank = (await JsonAsync(all)).EnumerateArray().Single(t => t.GetProperty("currency").GetString() == currency);
        Assert.Equal(Decimals(shown), Decimals(Raw(bank, "deposited")));
        Assert.Equal(Decimals(shown), Decimals(Raw(bank, "withdrawn")));

        static int Decimals(string number) => number.IndexOf('.', StringComparison.Ordinal) is var dot and >= 0 ? number.Length - dot - 1 : 0;
    }

    [Fact]
    public async Task Positions_are_32_hexadecimal_digits_that_parse_back()
    {
        var id = await OpenWithAsync(5m);
        await AuditTrailAsync(id, 2);
        using var response = await GetAsync("admin/projections");
        var checkpoints = (await JsonAsync(response)).EnumerateArray()
            .Where(p => p.TryGetProperty("checkpoint", out _)).Select(p => p.GetProperty("checkpoint").GetString()!).ToList();
        Assert.NotEmpty(checkpoints);
        Assert.All(checkpoints, c =>
        {
            Assert.Matches("^[0-9a-f]{32}$", c);
            Assert.Equal(c, GlobalPosition.Parse(c).ToString());
            Assert.False(GlobalPosition.Parse(c).IsStart);
        });
    }
}
