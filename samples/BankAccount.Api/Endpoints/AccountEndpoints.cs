using BankAccount.Api.Contracts;
using BankAccount.Api.Http;
using BankAccount.Api.OpenApi;

namespace BankAccount.Api.Endpoints;

/// <summary>Maps /accounts: the commands (open, deposit, withdraw, close) and the queries (state, as of, audit trail).</summary>
internal static partial class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var accounts = app.MapGroup("/accounts").WithTags("Accounts");

        accounts.MapPost("/", (Func<HttpContext, Task<IResult>>)OpenAsync)
            .WithName("OpenAccount").WithSummary("Opens an account; 201 with Location and ETag.")
            .Accepts<OpenAccountRequest>("application/json")
            .Body("""{"owner":"Alice","currency":"EUR"}""")
            .Produces<AccountResponse>(StatusCodes.Status201Created)
            .CommandHeaders(StatusCodes.Status201Created, IfMatchUse.None)
            .ResponseHeader(StatusCodes.Status201Created, ApiDocs.Location, "The new account's URL.", "/accounts/01a2364bc3eb7c949dec0857e3b22d61")
            .BodyProblems()
            .Problem(StatusCodes.Status422UnprocessableEntity, "The Idempotency-Key was used for another request.", Problems.IdempotencyKeyReused);

        accounts.MapPost("/{id}/deposits", DepositAsync)
            .WithName("Deposit").WithSummary("Pays money in; the currency may be left out (it must be the account's).")
            .Accepts<AmountRequest>("application/json")
            .Body("""{"amount":100.00,"currency":"EUR"}""")
            .Produces<AccountResponse>()
            .CommandHeaders(StatusCodes.Status200OK, IfMatchUse.Optional)
            .AccountCommandProblems()
            .Problem(StatusCodes.Status422UnprocessableEntity, "The deposit breaks an account rule, or the Idempotency-Key was used for another request.", "currency_mismatch", "account_closed", "invalid_amount", Problems.IdempotencyKeyReused);

        accounts.MapPost("/{id}/withdrawals", WithdrawAsync)
            .WithName("Withdraw").WithSummary("Takes money out; never below zero (422 insufficient_funds).")
            .Accepts<AmountRequest>("application/json")
            .Body("""{"amount":30.00}""")
            .Produces<AccountResponse>()
            .CommandHeaders(StatusCodes.Status200OK, IfMatchUse.Optional)
            .AccountCommandProblems()
            .Problem(StatusCodes.Status422UnprocessableEntity, "The withdrawal breaks an account rule, or the Idempotency-Key was used for another request.", "insufficient_funds", "account_closed", "invalid_amount", Problems.IdempotencyKeyReused);

        accounts.MapPost("/{id}/close", CloseAsync)
            .WithName("CloseAccount").WithSummary("Closes the account; requires If-Match. The body with a reason is optional.")
            .Accepts<CloseAccountRequest>("application/json")
            .Body("""{"reason":"moving abroad"}""", required: false)
            .Produces<AccountResponse>()
            .CommandHeaders(StatusCodes.Status200OK, IfMatchUse.Required)
            .AccountCommandProblems()
            .Problem(StatusCodes.Status422UnprocessableEntity, "The account is closed already, or the Idempotency-Key was used for another request.", "account_closed", Problems.IdempotencyKeyReused)
            .Problem(StatusCodes.Status428PreconditionRequired, "If-Match is missing: closing is final, so say which state it was decided on.", Problems.PreconditionRequired);

        accounts.MapGet("/{id}", GetAsync)
            .WithName("GetAccount")
            .WithSummary("The account from the current-state read model, with ETag = version; ?asOf=<version | ISO time> replays it as it was then.")
            .Query("asOf", "A stream version (1 up to the account's version) or an ISO 8601 time in the past (UTC unless it has an offset): the account as it was then, replayed from its events (no ETag). A version the account has not reached or a time to come is a 400.", "3")
            .RequestHeader("If-None-Match", "ETag(s) the client has; 304 when the account is still at one of them.", "\"3\"")
            .Produces<AccountResponse>()
            .ResponseHeader(StatusCodes.Status200OK, ApiDocs.ETag, "The account's version (absent for ?asOf).", "\"3\"")
            .Produces(StatusCodes.Status304NotModified)
            .ResponseHeader(StatusCodes.Status304NotModified, ApiDocs.ETag, "The account's version.", "\"3\"")
            .Problem(StatusCodes.Status400BadRequest, "The id or asOf is malformed, or asOf is beyond the account's history.", Problems.ValidationFailed)
            .Problem(StatusCodes.Status404NotFound, "There is no such account (or it did not exist yet as of asOf).", "account_not_found");

        accounts.MapGet("/{id}/events", GetEventsAsync)
            .WithName("GetAccountEvents")
            .WithSummary("The audit trail (who, what, when), oldest first, paged with ?after=<version>&limit=<1..100>.")
            .Query("after", "Entries after this stream version; 0 (the default) from the start.", "0", "integer", "int64")
            .Query("limit", "Entries per page, 1 to 100; 20 by default.", "20", "integer", "int32")
            .Produces<AuditPageResponse>()
            .ResponseHeader(StatusCodes.Status200OK, "Link", "The next page (RFC 8288, rel=\"next\"); absent on the last page.", "</accounts/01a2364bc3eb7c949dec0857e3b22d61/events?after=20&limit=20>; rel=\"next\"")
            .Problem(StatusCodes.Status400BadRequest, "The id, after or limit is malformed.", Problems.ValidationFailed)
            .Problem(StatusCodes.Status404NotFound, "There is no such account.", "account_not_found");
        return app;
    }

    /// <summary>The problems of any command with a JSON body.</summary>
    private static RouteHandlerBuilder BodyProblems(this RouteHandlerBuilder endpoint) => endpoint
        .Problem(StatusCodes.Status400BadRequest, "A header, the id or the body is malformed, a member is missing, of the wrong type, out of range or unknown; errors names it.", Problems.ValidationFailed)
        .Problem(StatusCodes.Status413PayloadTooLarge, $"The body is over {BankApi.MaxRequestBodyBytes} bytes.", "body_too_large")
        .Problem(StatusCodes.Status415UnsupportedMediaType, "The body is not application/json.", "unsupported_media_type");

    /// <summary>The problems of a command on an existing account.</summary>
    private static RouteHandlerBuilder AccountCommandProblems(this RouteHandlerBuilder endpoint) => endpoint
        .BodyProblems()
        .Problem(StatusCodes.Status404NotFound, "There is no such account.", "account_not_found")
        .Problem(StatusCodes.Status409Conflict, "Without a version in If-Match (none, or *): other requests changed the account during every retry; send it again.", Problems.ConcurrencyConflict)
        .Problem(StatusCodes.Status412PreconditionFailed, "If-Match names a version the account is no longer at (also when another request changed it meanwhile); currentVersion says where it is.", Problems.VersionMismatch);
}
