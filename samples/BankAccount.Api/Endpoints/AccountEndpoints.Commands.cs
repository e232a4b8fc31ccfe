using BankAccount.Api.Contracts;
using BankAccount.Api.Http;
using BankAccount.Domain;
using EventSourcing;
using EventSourcing.Aggregates;

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
    /// an account id (a new one for POST /accounts, made inside the once-per-key part so a retry gets the same).
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

        var repository = http.RequestServices.GetRequiredService<AggregateRepository<Account>>();
        Task<ApiResponse> Execute()
        {
            var id = accountId ?? AccountIds.New();
            var (command, error) = plan(body, id);
            return error is not null
                ? Task.FromResult(error)
                : ExecuteAsync(repository, id, creating: accountId is null, headers, command!);
        }

        if (headers.IdempotencyKey is null)
        {
            return await Execute();
        }

        var store = http.RequestServices.GetRequiredService<IdempotencyStore>();
        return await store.RunAsync(headers.User, headers.IdempotencyKey, IdempotencyStore.RequestOf(http.Request), body, Execute, http.RequestAborted);
    }

    /// <summary>
    /// Runs a command against the account's stream. With If-Match, the account must be at one of the
    /// versions given and the save expects exactly that version (409 otherwise); without it, a lost race
    /// is retried by the repository and is a 409 only when every retry lost. Runs to the end even if the
    /// client goes away, so a stored response always matches what was written.
    /// </summary>
    private static async Task<ApiResponse> ExecuteAsync(AggregateRepository<Account> repository, string accountId, bool creating, RequestHeaders headers, Action<Account> command)
    {
        var stream = Account.StreamFor(accountId);
        var metadata = headers.ToMetadata();
        try
        {
            Account account;
            if (headers.IfMatch is { } expected && !creating)
            {
                account = await repository.LoadAsync(stream, CancellationToken.None);
                if (!account.IsOpened)
                {
                    return Problems.NotFound($"There is no account '{accountId}'.");
                }

                if (!expected.Contains(account.Version))
                {
                    return Problems.Conflict(Problems.VersionMismatch, $"If-Match expects version {string.Join(" or ", expected)}, but account '{accountId}' is at version {account.Version}. GET it again and retry.", account.Version);
                }

                command(account);
                await repository.SaveAsync(stream, account, metadata, CancellationToken.None);
            }
            else
            {
                account = await repository.ExecuteAsync(stream, command, metadata, CancellationToken.None);
            }

            var etag = ("ETag", ETags.For(account.Version));
            return creating
                ? ApiResponse.Json(StatusCodes.Status201Created, AccountResponse.From(account), etag, ("Location", "/accounts/" + accountId))
                : ApiResponse.Json(StatusCodes.Status200OK, AccountResponse.From(account), etag);
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
