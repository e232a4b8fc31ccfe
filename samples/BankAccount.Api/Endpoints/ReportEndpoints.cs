using System.Globalization;
using BankAccount.Api.Contracts;
using BankAccount.Api.Http;
using BankAccount.Api.OpenApi;
using BankAccount.Domain.ReadModels;

namespace BankAccount.Api.Endpoints;

/// <summary>Maps /reports: the analytics read model (fed asynchronously, so a moment behind the commands).</summary>
internal static class ReportEndpoints
{
    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var reports = app.MapGroup("/reports").WithTags("Reports");

        reports.MapGet("/totals", async (IAnalyticsQueries analytics, CancellationToken ct) =>
                ApiResponse.Json(StatusCodes.Status200OK, (await analytics.GetTotalsAsync(ct)).Select(CurrencyTotalsResponse.From).ToList()))
            .WithName("GetTotals").WithSummary("Totals deposited and withdrawn, transactions and accounts, per currency.")
            .Produces<IReadOnlyList<CurrencyTotalsResponse>>();

        reports.MapGet("/daily-volume", DailyVolumeAsync)
            .WithName("GetDailyVolume").WithSummary("Deposits, withdrawals and transactions per day (UTC) and currency; ?from=yyyy-MM-dd&to=yyyy-MM-dd.")
            .Query("from", "The first day (UTC), yyyy-MM-dd; unbounded when absent.", "2025-01-01", format: "date")
            .Query("to", "The last day (UTC), yyyy-MM-dd, not before from; unbounded when absent.", "2025-01-31", format: "date")
            .Produces<IReadOnlyList<DailyVolumeResponse>>()
            .Problem(StatusCodes.Status400BadRequest, "from or to is not a day, or to is before from.", Problems.ValidationFailed);

        reports.MapGet("/accounts/{id}", AccountTotalsAsync)
            .WithName("GetAccountTotals").WithSummary("One account's totals deposited and withdrawn and its transaction count.")
            .Produces<AccountTotalsResponse>()
            .Problem(StatusCodes.Status400BadRequest, "The id is malformed.", Problems.ValidationFailed)
            .Problem(StatusCodes.Status404NotFound, "There is no such account.", "account_not_found");
        return app;
    }

    private static async Task<IResult> DailyVolumeAsync(HttpContext http, IAnalyticsQueries analytics)
    {
        var query = http.Request.Query;
        DateOnly? from = null, to = null;
        foreach (var (name, set) in new (string, Action<DateOnly>)[] { ("from", d => from = d), ("to", d => to = d) })
        {
            if (query.TryGetValue(name, out var text))
            {
                if (!DateOnly.TryParseExact(text.ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    return Problems.Validation(name, "Give a day as yyyy-MM-dd.");
                }

                set(day);
            }
        }

        if (from > to)
        {
            return Problems.Validation("to", "The last day is before the first.");
        }

        var days = await analytics.GetDailyVolumeAsync(from, to, http.RequestAborted);
        return ApiResponse.Json(StatusCodes.Status200OK, days.Select(DailyVolumeResponse.From).ToList());
    }

    private static async Task<IResult> AccountTotalsAsync(string id, IAccountQueries accounts, IAnalyticsQueries analytics, CancellationToken ct)
    {
        if (!AccountIds.IsValid(id))
        {
            return AccountIds.Invalid();
        }

        var account = await accounts.GetAccountAsync(id, ct);
        if (account is null)
        {
            return Problems.NotFound($"There is no account '{id}'.");
        }

        // The analytics may not have seen a brand-new account yet: it has no transactions so far.
        var totals = await analytics.GetAccountTotalsAsync(id, ct) ?? new AccountTotals(id, account.Currency, 0m, 0m, 0);
        return ApiResponse.Json(StatusCodes.Status200OK, AccountTotalsResponse.From(totals));
    }
}
