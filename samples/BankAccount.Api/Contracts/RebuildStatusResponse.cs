namespace BankAccount.Api.Contracts;

/// <summary>A rebuild's status: the body of 202 and of GET /admin/projections/{name}/rebuilds/{id}.</summary>
/// <param name="Id">The rebuild's id.</param>
/// <param name="Projection">The projection.</param>
/// <param name="State">"running", "succeeded" or "failed".</param>
/// <param name="EventsDone">Events read so far.</param>
/// <param name="EventsTotal">Events in the log when it started (the log may grow meanwhile).</param>
/// <param name="Percent">Done, in percent.</param>
/// <param name="EventsPerSecond">The rate so far.</param>
/// <param name="EtaSeconds">The estimated time left, when known.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="StatusUrl">Where to poll.</param>
public sealed record RebuildStatusResponse(string Id, string Projection, string State, long EventsDone, long EventsTotal, double Percent, double EventsPerSecond, double? EtaSeconds, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Error, string StatusUrl);
