namespace EventSourcing;

/// <summary>The outcome of a successful append.</summary>
/// <param name="StreamId">The stream appended to.</param>
/// <param name="NextExpectedVersion">The stream's version after the append: the version of its last event.</param>
/// <param name="Position">The global position of the last event appended.</param>
/// <param name="AlreadyAppended">
/// True when the same events (by id) were already stored at these versions, so nothing was written.
/// </param>
public sealed record AppendResult(StreamId StreamId, long NextExpectedVersion, GlobalPosition Position, bool AlreadyAppended);
