using BankAccount.Api.Contracts;

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
            .Produces<AccountResponse>(StatusCodes.Status201Created)
            .CommandProblems();

        accounts.MapPost("/{id}/deposits", DepositAsync)
            .WithName("Deposit").WithSummary("Pays money in.")
            .Accepts<AmountRequest>("application/json")
            .Produces<AccountResponse>()
            .CommandProblems();

        accounts.MapPost("/{id}/withdrawals", WithdrawAsync)
            .WithName("Withdraw").WithSummary("Takes money out; never below zero (422 insufficient_funds).")
            .Accepts<AmountRequest>("application/json")
            .Produces<AccountResponse>()
            .CommandProblems();

        accounts.MapPost("/{id}/close", CloseAsync)
            .WithName("CloseAccount").WithSummary("Closes the account; the body with a reason is optional.")
            .Accepts<CloseAccountRequest>("application/json")
            .Produces<AccountResponse>()
            .CommandProblems();

        accounts.MapGet("/{id}", GetAsync)
            .WithName("GetAccount")
            .WithSummary("The account from the current-state read model, with ETag = version; ?asOf=<ISO time | version> replays it as it was then.")
            .Produces<AccountResponse>()
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        accounts.MapGet("/{id}/events", GetEventsAsync)
            .WithName("GetAccountEvents")
            .WithSummary("The audit trail (who, what, when), oldest first, paged with ?after=<version>&limit=<1..100>.")
            .Produces<AuditPageResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static RouteHandlerBuilder CommandProblems(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .WithDescription("Headers: X-User (who, for the audit log), X-Correlation-Id or traceparent (into event metadata), " +
            "If-Match (the ETag the command expects; 409 when stale), Idempotency-Key (a retry with the same key gets the same response and writes nothing).");
}
