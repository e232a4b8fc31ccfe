namespace EventSourcing;

/// <summary>A checkpoint was not where its writer expected: another instance moved it. The writer must stop and reload.</summary>
public sealed class CheckpointConflictException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="name">The checkpoint's name.</param>
    /// <param name="expected">Where the writer expected it; null for "not yet created".</param>
    public CheckpointConflictException(string name, GlobalPosition? expected)
        : base($"Checkpoint '{name}' is no longer at {expected?.ToString() ?? "(none)"}: another instance moved it.")
    {
        Name = name;
        Expected = expected;
    }

    /// <summary>The checkpoint's name.</summary>
    public string Name { get; }

    /// <summary>Where the writer expected it; null for "not yet created".</summary>
    public GlobalPosition? Expected { get; }
}
