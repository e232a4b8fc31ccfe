using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using EventSourcing.Aggregates;

namespace BankAccount.Api.Http;

/// <summary>
/// Makes command retries safe: the first request with an Idempotency-Key runs the command and its
/// response is kept (<see cref="IIdempotencyRecords"/>: in PostgreSQL on PostgreSQL); a retry with the same
/// key (and the same method, path and body) gets that response again and runs nothing. A duplicate that
/// arrives while the first is still running in this process waits for it rather than running the command
/// a second time. Responses are kept for <see cref="Retention"/>.
/// </summary>
/// <remarks>
/// <para>
/// The record is written after the command's events commit, so a crash in between loses it. That cannot
/// make a retry deposit twice: the key maps to a command id (<see cref="CommandIds.FromKey"/>) from which
/// the events' ids derive, so the repository finds the command's events and does not run it again, and
/// the retry gets an equivalent response (the account's current state). The events carry the request's
/// fingerprint, so a key reused for a different request is still refused then.
/// </para>
/// <para>
/// Only decided outcomes are kept: 2xx, 404 and 422. A 400 (nothing was tried), a 409 (a lost race that a
/// retry may win), a 412 or 428 (a precondition, which the retry may send anew) or a server error is not; a
/// retry runs the command (and finds its events if it had committed).
/// </para>
/// </remarks>
internal sealed class IdempotencyStore(IIdempotencyRecords records, TimeProvider time)
{
    /// <summary>How long a key's response is kept.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    // Only requests in flight in this process: the decided outcomes live in the records.
    private readonly ConcurrentDictionary<string, TaskCompletionSource<IdempotencyRecord?>> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="execute"/> once per key, or returns the response kept for the key.</summary>
    /// <param name="scope">Who the key belongs to (keys of different users never collide).</param>
    /// <param name="key">The Idempotency-Key.</param>
    /// <param name="request">The request's method and path.</param>
    /// <param name="body">The request's body.</param>
    /// <param name="execute">Runs the command under the key's identity; it must not be cancelled half-way by the client going away.</param>
    /// <param name="cancellationToken">Cancels waiting for a duplicate in flight and looking up the record.</param>
    /// <returns>The response to send.</returns>
    public async Task<ApiResponse> RunAsync(string scope, string key, string request, byte[] body, Func<IdempotentCall, Task<ApiResponse>> execute, CancellationToken cancellationToken)
    {
        var id = scope + "\n" + key; // a user name holds no line break, so this is unambiguous
        var call = new IdempotentCall(CommandIds.FromKey(id), Fingerprint(request, body));
        while (true)
        {
            var mine = new TaskCompletionSource<IdempotencyRecord?>(TaskCreationOptions.RunContinuationsAsynchronously);
            var running = _inFlight.GetOrAdd(id, mine);
            if (!ReferenceEquals(running, mine))
            {
                var outcome = await running.Task.WaitAsync(cancellationToken);
                if (outcome is not null)
                {
                    return Answer(outcome, call, key);
                }

                continue; // the first attempt kept nothing: try to become the one that runs it
            }

            IdempotencyRecord? kept = null;
            try
            {
                var stored = await records.FindAsync(id, cancellationToken);
                if (stored is not null && IsLive(stored, time.GetUtcNow()))
                {
                    kept = stored;
                    return Answer(stored, call, key);
                }

                ApiResponse response;
                try
                {
                    response = await execute(call);
                }
                catch (IdempotencyKeyReusedException)
                {
                    return KeyReused(key);
                }

                if (IsDecided(response.StatusCode))
                {
                    var record = new IdempotencyRecord(id, call.Fingerprint, response, time.GetUtcNow());
                    await records.SaveAsync(record, CancellationToken.None);
                    kept = record;
                }

                return response;
            }
            finally
            {
                _inFlight.TryRemove(new KeyValuePair<string, TaskCompletionSource<IdempotencyRecord?>>(id, mine));
                mine.SetResult(kept);
            }
        }
    }

    /// <summary>True while a record is within <see cref="Retention"/>.</summary>
    public static bool IsLive(IdempotencyRecord record, DateTimeOffset now) => now - record.Created < Retention;

    /// <summary>The request part of a fingerprint: method and path.</summary>
    public static string RequestOf(HttpRequest request) => new StringBuilder(request.Method).Append(' ').Append(request.Path.Value).ToString();

    private static ApiResponse Answer(IdempotencyRecord record, IdempotentCall call, string key) =>
        record.Fingerprint == call.Fingerprint ? record.Response.AsReplay() : KeyReused(key);

    private static ApiResponse KeyReused(string key) =>
        Problems.Status(StatusCodes.Status422UnprocessableEntity, $"The Idempotency-Key '{key}' was already used for a different request.", Problems.IdempotencyKeyReused);

    private static bool IsDecided(int status) =>
        status is >= 200 and < 300 or StatusCodes.Status404NotFound or StatusCodes.Status422UnprocessableEntity;

    private static string Fingerprint(string request, byte[] body)
    {
        var requestBytes = Encoding.UTF8.GetBytes(request + "\n");
        var input = new byte[requestBytes.Length + body.Length];
        requestBytes.CopyTo(input, 0);
        body.CopyTo(input, requestBytes.Length);
        return Convert.ToHexString(SHA256.HashData(input));
    }
}
