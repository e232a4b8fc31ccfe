using System.Net;
using EventSourcing.Aggregates;

namespace BankAccount.Api.Tests;

/// <summary>
/// A server that dies after a command's events committed but before the Idempotency-Key's record was
/// written: the client saw an error and retries with the same key, against a restarted server when the
/// storage outlives the process (PostgreSQL), or the same one (in-memory, whose events are its storage).
/// </summary>
public abstract partial class BankApiSuite
{
    [Fact]
    public async Task A_retry_after_a_crash_between_the_commit_and_the_key_record_deposits_once()
    {
        var id = await OpenWithAsync(100m);
        var key = Guid.NewGuid().ToString();
        Host.CrashBeforeNextIdempotencyRecord();
        using (var lost = await PostAsync($"accounts/{id}/deposits", AmountJson(25m), ("Idempotency-Key", key)))
        {
            Assert.Equal("internal_error", Code(await ProblemAsync(lost, HttpStatusCode.InternalServerError)));
        }

        var committed = await GetAccountAsync(id);
        Assert.Equal((125m, 3L), (Balance(committed), Version(committed)));

        await using var restarted = Host.InstancesShareStorage ? await Host.StartAnotherInstanceAsync() : null;
        var client = restarted?.Client ?? Host.Client;

        // The key with another body is still refused, though the key's record was never written ...
        using (var other = await ApiHost.SendAsync(client, HttpMethod.Post, $"accounts/{id}/deposits", AmountJson(40m), ("Idempotency-Key", key)))
        {
            Assert.Equal("idempotency_key_reused", Code(await ProblemAsync(other, HttpStatusCode.UnprocessableEntity)));
        }

        // ... and the retry of the original request gets a success with the balance it made, depositing nothing.
        using var retry = await ApiHost.SendAsync(client, HttpMethod.Post, $"accounts/{id}/deposits", AmountJson(25m), ("Idempotency-Key", key));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var answer = await JsonAsync(retry);
        Assert.Equal((125m, 3L), (Balance(answer), Version(answer)));
        Assert.Equal("\"3\"", retry.Headers.ETag?.Tag);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());

        // The answer is now kept for the key: a further retry gets the same response.
        using var again = await ApiHost.SendAsync(client, HttpMethod.Post, $"accounts/{id}/deposits", AmountJson(25m), ("Idempotency-Key", key));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(await retry.Content.ReadAsStringAsync(Ct), await again.Content.ReadAsStringAsync(Ct));

        var account = await GetAccountAsync(id);
        Assert.Equal((125m, 3L), (Balance(account), Version(account)));
    }

    [Fact]
    public async Task A_retried_open_after_a_crash_returns_the_account_the_first_attempt_opened()
    {
        var key = Guid.NewGuid().ToString();
        const string Body = """{"owner":"Crash","currency":"EUR"}""";
        Host.CrashBeforeNextIdempotencyRecord();
        using (var lost = await PostAsync("accounts", Body, ("Idempotency-Key", key)))
        {
            Assert.Equal("internal_error", Code(await ProblemAsync(lost, HttpStatusCode.InternalServerError)));
        }

        // Under a key, the new account's id derives from the (user-scoped) key, so the retry finds it.
        var opened = CommandIds.FromKey("anonymous\n" + key).ToString("N");
        Assert.Equal(1L, Version(await GetAccountAsync(opened)));

        await using var restarted = Host.InstancesShareStorage ? await Host.StartAnotherInstanceAsync() : null;
        using var retry = await ApiHost.SendAsync(restarted?.Client ?? Host.Client, HttpMethod.Post, "accounts", Body, ("Idempotency-Key", key));

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("/accounts/" + opened, retry.Headers.Location?.OriginalString);
        Assert.Equal(1L, Version(await JsonAsync(retry)));
        Assert.Equal(1L, Version(await GetAccountAsync(opened)));
    }

    [Fact]
    public async Task A_retry_with_If_Match_after_a_crash_is_recognised_not_a_version_conflict()
    {
        var id = await OpenWithAsync(100m);
        var key = Guid.NewGuid().ToString();
        Host.CrashBeforeNextIdempotencyRecord();
        using (var lost = await PostAsync($"accounts/{id}/withdrawals", AmountJson(100m), ("Idempotency-Key", key), ("If-Match", "\"2\"")))
        {
            Assert.Equal("internal_error", Code(await ProblemAsync(lost, HttpStatusCode.InternalServerError)));
        }

        // The account is at version 3 now, so If-Match "2" is stale, and the whole balance is gone: only
        // recognising the command's events answers the retry with a success instead of a 409 or a 422.
        await using var restarted = Host.InstancesShareStorage ? await Host.StartAnotherInstanceAsync() : null;
        using var retry = await ApiHost.SendAsync(restarted?.Client ?? Host.Client, HttpMethod.Post, $"accounts/{id}/withdrawals", AmountJson(100m), ("Idempotency-Key", key), ("If-Match", "\"2\""));

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var answer = await JsonAsync(retry);
        Assert.Equal((0m, 3L), (Balance(answer), Version(answer)));
        var account = await GetAccountAsync(id);
        Assert.Equal((0m, 3L), (Balance(account), Version(account)));
    }
}
