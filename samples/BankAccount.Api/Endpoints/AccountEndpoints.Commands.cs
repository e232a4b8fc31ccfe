using System.Globalization;
using BankAccount.Api.Contracts;
using BankAccount.Api.Http;
using BankAccount.Domain;
using EventSourcing;
using EventSourcing.Aggregates;
using EventSourcing.Storage;

namespace BankAccount.Api.Endpoints;

internal static partial class AccountEndpoints
{
    private static Task<IResult> OpenAsync(HttpContext http) =>
        RunCommandAsync(http, accountId: null, ifMatchRequired: false, (body, newId) =>
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
        RunCommandAsync(http, id, ifMatchRequired: false, (body, _) =>
        {
            var (amount, currency, error) = ParseAmount(body, allowCurrency: true);
            return error is not null ? (null, error) : (a => a.Deposit(amount, currency), null);
        });

    private static Task<IResult> WithdrawAsync(string id, HttpContext http) =>
        RunCommandAsync(http, id, ifMatchRequired: false, (body, _) =>
        {
            var (amount, _, error) = ParseAmount(body, allowCurrency: false);
            return error is not null ? (null, error) : (a => a.Withdraw(amount), null);
        });

    /// <summary>
    /// Closing is final and a decision about the state the client saw, so it must say which state: it
    /// requires If-Match (428 without it; "*" states that any version will do).
    /// </summary>
    private static Task<IResult> CloseAsync(string id, HttpContext http) =>
        RunCommandAsync(http, id, ifMatchRequired: true, (body, _) =>
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
    private static async Task<IResult> RunCommandAsync(HttpContext http, string? accountId, bool ifMatchRequired, Func<byte[], string, (Action<Account>? Command, ApiResponse? Error)> plan)
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
                : ExecuteAsync(services, id, creating: accountId is null, ifMatchRequired, headers, call, command!);
        }

        if (headers.IdempotencyKey is null)
        {
            return await Execute(call: null);
        }

        var store = services.GetRequiredService<IdempotencyStore>();
        return await store.RunAsync(headers.User, headers.IdempotencyKey, IdempotencyStore.RequestOf(http.Request), body, Execute, http.RequestAborted);
    }

    /// <summary>
    /// Runs a command against the account's stream. With If-Match (RFC 9110 §13.1.1), the account must be
    /// at one of the versions given and the save expects exactly the version it was at: 412 otherwise,
    /// also when another request changes the account between the check and the save. Where If-Match is
    /// required (<paramref name="ifMatchRequired"/>) and missing, 428 (RFC 6585). Without it, or with
    /// "If-Match: *" (any version), a lost race is retried by the repository and is a 409 only when every
    /// retry lost. An unknown account is a 404 whatever the preconditions (RFC 9110 §13.2.1: they apply
    /// only where the request would otherwise succeed). Under an Idempotency-Key (<paramref name="call"/>)
    /// the events' ids derive from the key, and a command whose events are already stored is not run
    /// again: the answer is the account's current state, marked as a replay. Runs to the end even if the
    /// client goes away, so a stored response always matches what was written.
    /// </summary>
    private static async Task<ApiResponse> ExecuteAsync(IServiceProvider services, string accountId, bool creating, bool ifMatchRequired, RequestHeaders headers, IdempotentCall? call, Action<Account> command)
    {
        var repository = services.GetRequiredService<AggregateRepository<Account>>();
        var stream = Account.StreamFor(accountId);
        var metadata = headers.ToMetadata(call?.Fingerprint);

        try
        {
            Account account;
            var applied = false;
            if (!creating && (headers.IfMatch is { Any: false } || (headers.IfMatch is null && ifMatchRequired)))
            {
                account = await repository.LoadAsync(stream, CancellationToken.None);
                applied = call is not null && await IsAppliedAsync(services, stream, call);
                if (!applied)
                {
                    if (!account.IsOpened)
                    {
                        return Problems.NotFound($"There is no account '{accountId}'.");
                    }

                    if (headers.IfMatch is not { } expected)
                    {
                        return Problems.WithVersion(StatusCodes.Status428PreconditionRequired, Problems.PreconditionRequired, $"This command needs If-Match with the ETag of the account state it was decided on (account '{accountId}' is at version {account.Version}, ETag \"{account.Version}\"), or If-Match: *.", account.Version);
                    }

                    if (!expected.Matches(account.Version))
                    {
                        return VersionMismatch(accountId, expected, account.Version);
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
        catch (WrongExpectedVersionException ex) when (headers.IfMatch is { Any: false } expected && !creating)
        {
            // Another request changed the account after the If-Match check: the precondition no longer holds.
            return VersionMismatch(accountId, expected, ex.ActualVersion);
        }
        catch (WrongExpectedVersionException ex)
        {
            return Problems.WithVersion(StatusCodes.Status409Conflict, Problems.ConcurrencyConflict, $"Account '{accountId}' was changed by another request at the same time (now at version {ex.ActualVersion}). Retry the command.", ex.ActualVersion);
        }
    }

    private static ApiResponse VersionMismatch(string accountId, IfMatchCondition expected, long? current) =>
        Problems.WithVersion(StatusCodes.Status412PreconditionFailed, Problems.VersionMismatch, $"{expected.Describe()}, but account '{accountId}' is at version {current?.ToString(CultureInfo.InvariantCulture) ?? "another"}. GET it again and decide again.", current);

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

        // A missing amount reads as 0, refused below like any amount that is not positive.
        var amount = request!.Amount;
        if (amount <= 0 || amount > Amounts.Max)
        {
            return (0, null, Problems.Validation(Amounts.Field, Amounts.Rule));
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
