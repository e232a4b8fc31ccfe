using System.Globalization;
using BankAccount.Api.Contracts;
using BankAccount.Api.Http;
using BankAccount.Domain;
using BankAccount.Domain.ReadModels;
using EventSourcing.Aggregates;
using Microsoft.Extensions.Primitives;

namespace BankAccount.Api.Endpoints;

internal static partial class AccountEndpoints
{
    private const int MaxPageSize = 100;
    private const int DefaultPageSize = 20;

    private static async Task<IResult> GetAsync(string id, HttpContext http, IAccountQueries accounts, AggregateRepository<Account> repository)
    {
        if (!AccountIds.IsValid(id))
        {
            return AccountIds.Invalid();
        }

        var ct = http.RequestAborted;
        if (http.Request.Query.TryGetValue("asOf", out var asOf))
        {
            return await GetAsOfAsync(id, asOf, repository, http.RequestServices.GetRequiredService<TimeProvider>(), ct);
        }

        var view = await accounts.GetAccountAsync(id, ct);
        if (view is null)
        {
            return Problems.NotFound($"There is no account '{id}'.");
        }

        var etag = ETags.For(view.Version);
        // If-None-Match compares weakly (RFC 9110 §13.1.2): W/"3" matches "3", and "*" any current state.
        var ifNoneMatch = http.Request.Headers.IfNoneMatch.ToString().Trim();
        if (ifNoneMatch == "*" || (ETags.ParseList(ifNoneMatch) is { } known && known.Any(t => t.Version == view.Version)))
        {
            return ApiResponse.Empty(StatusCodes.Status304NotModified, ("ETag", etag));
        }

        return ApiResponse.Json(StatusCodes.Status200OK, AccountResponse.From(view), ("ETag", etag));
    }

    /// <summary>
    /// A temporal query, answered by the repository (snapshot + replay), not the read model: a whole
    /// number is a stream version, anything else must be an ISO 8601 time (UTC unless it has an offset).
    /// A version the account has not reached, or a time still to come, is a 400: the state then is not
    /// known yet, and answering with today's state would pass it off as the state then.
    /// </summary>
    private static async Task<IResult> GetAsOfAsync(string id, StringValues asOf, AggregateRepository<Account> repository, TimeProvider time, CancellationToken ct)
    {
        var text = asOf.ToString().Trim();
        Account account;
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                return Problems.Validation("asOf", "The version is too large.");
            }

            account = await repository.LoadAtVersionAsync(Account.StreamFor(id), version, ct);
            if (account.IsOpened && account.Version < version)
            {
                return Problems.Validation("asOf", $"Account '{id}' is at version {account.Version}: give a version from 1 to {account.Version}, or a time.");
            }
        }
        else if (TryParseTime(text, out var pointInTime))
        {
            var now = time.GetUtcNow();
            if (pointInTime > now)
            {
                return Problems.Validation("asOf", $"{pointInTime.ToString("O", CultureInfo.InvariantCulture)} is still to come (it is {now.ToString("O", CultureInfo.InvariantCulture)} now); give a past time, or leave asOf out for the current state.");
            }

            account = await repository.LoadAsOfAsync(Account.StreamFor(id), pointInTime, ct);
            text = pointInTime.ToString("O", CultureInfo.InvariantCulture);
        }
        else
        {
            return Problems.Validation("asOf", "Give a stream version (e.g. 3) or an ISO 8601 time (e.g. 2025-01-06T10:00:00Z).");
        }

        return account.IsOpened
            ? ApiResponse.Json(StatusCodes.Status200OK, AccountResponse.From(account, text))
            : Problems.NotFound($"Account '{id}' did not exist as of {text}.");
    }

    private static bool TryParseTime(string text, out DateTimeOffset pointInTime)
    {
        // A '+' in an unencoded query string arrives as a space: "10:00:00 01:00" meant "10:00:00+01:00".
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out pointInTime)
            || (text.Contains(' ', StringComparison.Ordinal)
                && DateTimeOffset.TryParse(text.Replace(' ', '+'), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out pointInTime));
    }

    private static async Task<IResult> GetEventsAsync(string id, HttpContext http, IAccountQueries accounts, IAuditLogQueries auditLog)
    {
        if (!AccountIds.IsValid(id))
        {
            return AccountIds.Invalid();
        }

        var query = http.Request.Query;
        long after = 0;
        if (query.TryGetValue("after", out var afterText)
            && !long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            return Problems.Validation("after", "Give the stream version to read after: a whole number, 0 or more.");
        }

        var limit = DefaultPageSize;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPageSize))
        {
            return Problems.Validation("limit", $"Give a page size from 1 to {MaxPageSize}.");
        }

        var ct = http.RequestAborted;
        if (await accounts.GetAccountAsync(id, ct) is null)
        {
            return Problems.NotFound($"There is no account '{id}'.");
        }

        var page = await auditLog.GetPageAsync(id, after, limit, ct);
        var next = page.NextAfterVersion is { } v
            ? string.Create(CultureInfo.InvariantCulture, $"/accounts/{id}/events?after={v}&limit={limit}")
            : null;
        var body = new AuditPageResponse(id, page.Total, page.Entries.Select(AuditEntryResponse.From).ToList(), next);
        return next is null
            ? ApiResponse.Json(StatusCodes.Status200OK, body)
            : ApiResponse.Json(StatusCodes.Status200OK, body, ("Link", $"<{next}>; rel=\"next\""));
    }
}
