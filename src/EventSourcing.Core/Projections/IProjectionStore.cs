namespace EventSourcing.Projections;

/// <summary>
/// Everything the projection daemon runs on, one seam per concern: units of work
/// (<see cref="IProjectionUnitOfWork"/>), leases (<see cref="IProjectionLeases"/>), dead letters
/// (<see cref="IDeadLetterStore"/>) and event counting (<see cref="IEventCounter"/>). A backend
/// implements this one interface; callers that need one concern take the smaller interface.
/// </summary>
public interface IProjectionStore : IProjectionUnitOfWork, IProjectionLeases, IDeadLetterStore, IEventCounter
{
}
