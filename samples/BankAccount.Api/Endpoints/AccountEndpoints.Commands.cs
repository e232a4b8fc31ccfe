using BankAccount.Api.Contracts;
using BankAccount.Api.Http;
using BankAccount.Domain;
using EventSourcing;
using EventSourcing.Aggregates;
using EventSourcing.Storage;

namespace BankAccount.Api.Endpoints;

internal static partial class AccountEndpoints
{
    private const decimal MaxAmount = 1_000_000_000m;

    private static Task<IResult> OpenAsync(HttpContext http) =>
        RunCommandAsync(http, accountId: null, (body, newId) =>
        {
            var (request, error) = RequestBody.Parse<OpenAccountRequest>(body);
            if (error is not null)
            {
                return (null, error);
            }

            var owner = request!.Owner?.Trim();
            if (string.IsNullOrEmpty(owner) || owner.Length > 100 || owner.Any(char.IsControl))
            {
                return (null, Problems.Validation("owner", "Give the account holder's name, 1 to 100 characters."));
            }

            if (!IsCurrency(request.Currency))
            {
                return (null, Problems.Validation("currency", "Give a three-letter upper-case ISO currency code, e.g. EUR."));
            }

            return (a => a.Open(newId, owner, request.Currency!), null);
        });

    private static Task<IResult> DepositAsync(string id, HttpContext http) =>
        RunCommandAsync(http, id, (body, _) =>
        {
            var (amount, currency, error) = ParseAmount(body, allowCurrency: true);
            return error is not null ? (null, error) : (a => a.Deposit(amount, currency), null);
        });

    private static Task<IResult> WithdrawAsync(string id, HttpContext http) =>
        RunCommandAsync(http, id, (body, _) =>
        {
            var (amount, _, error) = ParseAmount(body, allowCurrency: false);
            return error is not null ? (null, error) : (a => a.Withdraw(amount), null);
        });

    private static Task<IResult> CloseAsync(string id, HttpContext http) =>
        RunCommandAsync(http, id, (body, _) =>
        {
            var reason = "closed by the customer";
            if (body.Length > 0)
            {
                var (request, error) = RequestBody.Parse<CloseAccountRequest>(body);
                if (error is not null)
                {
                    return (null, error);
                }

                if (request!.Reason is { } given)
                {
                    if (string.IsNullOrWhiteSpace(given) || given.Length > 200 || given.Any(char.IsControl))
                    {
                        return (null, Problems.Validation("reason", "Give a reason of 1 to 200 characters, or none."));
                    }

                    reason = given.Trim();
                }
            }

            return (a => a.Close(reason), null);
        });

    /// <summary>
    /// The shared path of every command: check the id and headers, read the body, then run the command
    /// once per Idempotency-Key. <paramref name="plan"/> parses and validates the body into a command for
    /// an account id (for POST /accounts a new one, or, under an Idempotency-Key, one derived from the key,
    /// so a retry opens the same account even when this process no longer remembers the first attempt).
    /// </summary>
    private static async Task<IResult> RunCommandAsync(HttpContext http, string? accountId, Func<byte[], string, (Action<Account>? Command, ApiResponse? Error)> plan)
    {
        if (accountId is not null && !AccountIds.IsValid(accountId))
        {
            return AccountIds.Invalid();
        }

        var (headers, headerError) = RequestHeaders.Read(http);
        if (headerError is not null)
        {
            return headerError;
        }

        http.Response.Headers[RequestHeaders.CorrelationHeader] = headers!.CorrelationId;
        var (body, bodyError) = await RequestBody.ReadAsync(http.Request, http.RequestAborted);
        if (bodyError is not null)
        {
            return bodyError;
        }

        var services = http.RequestServices;
        Task<ApiResponse> Execute(IdempotentCall? call)
        {
            var id = accountId ?? (call is null ? AccountIds.New() : call.CommandId.ToString("N"));
            var (command, error) = plan(body, id);
            return error is not null
                ? Task.FromResult(error)
                : ExecuteAsync(services, id, creating: accountId is null, headers, call, command!);
        }

        if (headers.IdempotencyKey is null)
        {
            return await Execute(call: null);
        }

        var store = services.GetRequiredService<IdempotencyStore>();
        return await store.RunAsync(headers.User, headers.IdempotencyKey, IdempotencyStore.RequestOf(http.Request), body, Execute, http.RequestAborted);
    }

    /// <summary>
    /// Runs a command against the account's stream. With If-Match, the account must be at one of the
    /// versions given and the save expects exactly that version (409 otherwise); without it, a lost race
    /// is retried by the repository and is a 409 only when every retry lost. Under an Idempotency-Key
    /// (<paramref name="call"/>) the events' ids derive from the key, and a command whose events are
    /// already stored is not run again: the answer is the account's current state, marked as a replay.
    /// Runs to the end even if the client goes away, so a stored response always matches what was written.
    /// </summary>
    private static async Task<ApiResponse> ExecuteAsync(IServiceProvider services, string accountId, bool creating, RequestHeaders headers, IdempotentCall? call, Action<Account> command)
    {
        var repository = services.GetRequiredService<AggregateRepository<Account>>();
        var stream = Account.StreamFor(accountId);
        var metadata = headers.ToMetadata(call?.Fingerprint);

        try
        {
            Account account;
            var applied = false;
            if (headers.IfMatch is { } expected && !creating)
            {
                account = await repository.LoadAsync(stream, CancellationToken.None);
                applied = call is not null && await IsAppliedAsync(services, stream, call);
                if (!applied)
                {
                    if (!account.IsOpened)
                    {
                        return Problems.NotFound($"There is no account '{accountId}'.");
                    }

                    if (!expected.Contains(account.Version))
                    {
                        return Problems.Conflict(Problems.VersionMismatch, $"If-Match expects version {string.Join(" or ", expected)}, but account '{accountId}' is at version {account.Version}. GET it again and retry.", account.Version);
                    }

                    command(account);
                    var saved = call is null
                        ? await repository.SaveAsync(stream, account, metadata, CancellationToken.None)
                        : await repository.SaveAsync(stream, account, call.CommandId, metadata, CancellationToken.None);
                    if (saved is { AlreadyAppended: true })
                    {
                        applied = true;
                        account = await repository.LoadAsync(stream, CancellationToken.None);
                    }
                }
            }
            else if (call is null)
            {
                account = await repository.ExecuteAsync(stream, command, metadata, CancellationToken.None);
            }
            else
            {
                var result = await repository.ExecuteAsync(stream, call.CommandId, command, metadata, CancellationToken.None);
                (account, applied) = (result.Aggregate, result.AlreadyApplied);
            }

            if (applied)
            {
                await EnsureSameRequestAsync(services, stream, call!);
            }

            var etag = ("ETag", ETags.For(account.Version));
            var response = creating
                ? ApiResponse.Json(StatusCodes.Status201Created, AccountResponse.From(account), etag, ("Location", "/accounts/" + accountId))
                : ApiResponse.Json(StatusCodes.Status200OK, AccountResponse.From(account), etag);
            return applied ? response.AsReplay() : response;
        }
        catch (AccountRuleException ex)
        {
            return Problems.Rule(ex);
        }
        catch (WrongExpectedVersionException ex)
        {
            return Problems.Conflict(Problems.ConcurrencyConflict, $"Account '{accountId}' was changed by another request at the same time (now at version {ex.ActualVersion}). Retry the command.", ex.ActualVersion);
        }
    }

    private static async Task<bool> IsAppliedAsync(IServiceProvider services, StreamId stream, IdempotentCall call) =>
        await services.GetRequiredService<IEventStore>().ReadEventAsync(stream, CommandIds.EventId(call.CommandId, stream, 0), CancellationToken.None) is not null;

    /// <summary>
    /// The key's command was applied before: by this request's earlier attempt (same fingerprint on its
    /// first event), or by another request that used the same key, which is refused.
    /// </summary>
    private static async Task EnsureSameRequestAsync(IServiceProvider services, StreamId stream, IdempotentCall call)
    {
        var first = await services.GetRequiredService<IEventStore>().ReadEventAsync(stream, CommandIds.EventId(call.CommandId, stream, 0), CancellationToken.None);
        if (first is not null && first.Metadata.Headers.GetValueOrDefault(IdempotentCall.FingerprintHeader) is { } fingerprint && fingerprint != call.Fingerprint)
        {
            throw new IdempotencyKeyReusedException();
        }
    }

    private static (decimal Amount, string? Currency, ApiResponse? Error) ParseAmount(byte[] body, bool allowCurrency)
    {
        var (request, error) = RequestBody.Parse<AmountRequest>(body);
        if (error is not null)
        {
            return (0, null, error);
        }

        if (request!.Amount is not { } amount)
        {
            return (0, null, Problems.Validation("amount", "The amount is required."));
        }

        if (amount <= 0 || amount > MaxAmount || decimal.Round(amount, 2) != amount)
        {
            return (0, null, Problems.Validation("amount", $"Give a positive amount with at most two decimals, up to {MaxAmount:0}."));
        }

        if (request.Currency is not null && (!allowCurrency || !IsCurrency(request.Currency)))
        {
            return (0, null, Problems.Validation("currency", allowCurrency
                ? "Give a three-letter upper-case ISO currency code, e.g. EUR, or leave it out."
                : "A withdrawal is always in the account's currency; leave the currency out."));
        }

        return (amount, request.Currency, null);
    }

    private static bool IsCurrency(string? code) => code is { Length: 3 } && code.All(char.IsAsciiLetterUpper);
}
