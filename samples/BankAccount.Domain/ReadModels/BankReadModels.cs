using EventSourcing;
using EventSourcing.Documents;
using EventSourcing.Projections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BankAccount.Domain.ReadModels;

/// <summary>The bank's three read models (the article's current state, analytics and audit log) and their registration.</summary>
public static class BankReadModels
{
    /// <summary>The current-state projection's name.</summary>
    public const string CurrentState = "current-state";

    /// <summary>The analytics projection's name.</summary>
    public const string Analytics = "analytics";

    /// <summary>The audit-log projection's name.</summary>
    public const string AuditLog = "audit-log";

    /// <summary>
    /// Adds the read models: current state inline as documents in the configured backend (never behind
    /// its stream; <see cref="CurrentStateView"/>), analytics and the in-memory
    /// audit log asynchronously in the projection daemon; and <see cref="IAccountQueries"/>,
    /// <see cref="IAnalyticsQueries"/> and <see cref="IAuditLogQueries"/> over them. Call after
    /// <see cref="BankEvents.AddBankEvents"/>.
    /// </summary>
    /// <param name="builder">The EventSourcing builder.</param>
    /// <returns>The builder.</returns>
    public static EventSourcingBuilder AddBankReadModels(this EventSourcingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddProjection<CurrentStateView>(ProjectionMode.Inline)
            .AddProjection<AnalyticsProjection>(ProjectionMode.Async)
            .AddProjection<AuditLogProjection>(ProjectionMode.Async);
        builder.Services.TryAddSingleton<IAccountQueries>(sp => new DocumentAccountQueries(sp.GetRequiredService<DocumentReader>()));
        builder.Services.TryAddSingleton<IAnalyticsQueries>(sp => sp.GetRequiredService<AnalyticsProjection>());
        builder.Services.TryAddSingleton<IAuditLogQueries>(sp => sp.GetRequiredService<AuditLogProjection>());
        return builder;
    }

    /// <summary>The key the read models file an account under: its stream id, when the account id is a valid one.</summary>
    internal static bool TryGetStreamKey(string accountId, out string key)
    {
        key = string.Empty;
        if (string.IsNullOrEmpty(accountId) || accountId.Length > StreamId.MaxLength - 8)
        {
            return false;
        }

        foreach (var c in accountId)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        key = Account.StreamFor(accountId).Value;
        return true;
    }
}
