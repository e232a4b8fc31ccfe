using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace BankAccount.Api.Http;

/// <summary>
/// Makes command retries safe: the first request with an Idempotency-Key runs the command and its
/// response is kept; a retry with the same key (and the same method, path and body) gets that response
/// again and runs nothing. A duplicate that arrives while the first is still running waits for it rather
/// than running the command a second time. Kept in memory for <see cref="Retention"/>.
/// </summary>
/// <remarks>
/// Only decided outcomes are kept: 2xx, 404 and 422. A 400 (nothing was tried), a 409 (a lost race that a
/// retry may win) or a server error is not; the key is released, and a retry runs the command.
/// </remarks>
internal sealed class IdempotencyStore(TimeProvider time)
{
    /// <summary>How long a key's response is kept.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>Past this many keys, expired ones are dropped.</summary>
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="execute"/> once per key, or returns the response kept for the key.</summary>
    /// <param name="scope">Who the key belongs to (keys of different users never collide).</param>
    /// <param name="key">The Idempotency-Key.</param>
    /// <param name="request">The request's method and path.</param>
    /// <param name="body">The request's body.</param>
    /// <param name="execute">Runs the command; it must not be cancelled half-way by the client going away.</param>
    /// <param name="cancellationToken">Cancels waiting for a duplicate in flight.</param>
    /// <returns>The response to send.</returns>
    public async Task<ApiResponse> RunAsync(string scope, string key, string request, byte[] body, Func<Task<ApiResponse>> execute, CancellationToken cancellationToken)
    {
        var id = scope + "\n" + key;
        var fingerprint = Fingerprint(request, body);
        while (true)
        {
            var mine = new Entry(fingerprint, time.GetUtcNow());
            var entry = _entries.GetOrAdd(id, mine);
            if (!ReferenceEquals(entry, mine))
            {
                if (entry.Fingerprint != fingerprint)
                {
                    return Problems.Status(StatusCodes.Status422UnprocessableEntity, $"The Idempotency-Key '{key}' was already used for a different request.", Problems.IdempotencyKeyReused);
                }

                var kept = await entry.Outcome.Task.WaitAsync(cancellationToken);
                if (kept is not null && time.GetUtcNow() - entry.Created < Retention)
                {
                    return kept.AsReplay();
                }

                // The first attempt kept nothing (or expired): try to become the one that runs it.
                _entries.TryRemove(new KeyValuePair<string, Entry>(id, entry));
                continue;
            }

            Prune();
            ApiResponse response;
            try
            {
                response = await execute();
            }
            catch
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(id, mine));
                mine.Outcome.SetResult(null);
                throw;
            }

            if (IsDecided(response.StatusCode))
            {
                mine.Outcome.SetResult(response);
            }
            else
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(id, mine));
                mine.Outcome.SetResult(null);
            }

            return response;
        }
    }

    private static bool IsDecided(int status) =>
        status is >= 200 and < 300 or StatusCodes.Status404NotFound or StatusCodes.Status422UnprocessableEntity;

    private static string Fingerprint(string request, byte[] body)
    {
        var hash = SHA256.HashData(body);
        return request + "\n" + Convert.ToHexString(hash);
    }

    private void Prune()
    {
        if (_entries.Count <= PruneAbove)
        {
            return;
        }

        var now = time.GetUtcNow();
        foreach (var pair in _entries)
        {
            if (now - pair.Value.Created >= Retention && pair.Value.Outcome.Task.IsCompleted)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    private sealed class Entry(string fingerprint, DateTimeOffset created)
    {
        public string Fingerprint { get; } = fingerprint;

        public DateTimeOffset Created { get; } = created;

        public TaskCompletionSource<ApiResponse?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The request part of a fingerprint: method and path.</summary>
    public static string RequestOf(HttpRequest request) => new StringBuilder(request.Method).Append(' ').Append(request.Path.Value).ToString();
}
