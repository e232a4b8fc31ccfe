namespace EventSourcing.Projections;

/// <summary>
/// The projections a store runs inside each append, indexed by the event types they handle. Part of the
/// backend SPI: every backend uses it, so validation and dispatch are written once. A backend gets the
/// container's set with <c>IServiceProvider.GetInlineProjections()</c>, creates one
/// <see cref="ProjectionContext"/> per projection around its unit of work (<see cref="CreateContexts"/>)
/// and calls <see cref="RunAsync"/> before it commits.
/// </summary>
public sealed class InlineProjectionSet
{
    private readonly (IProjection Projection, HashSet<string> Types)[] _items;

    /// <summary>Validates and indexes projections.</summary>
    /// <param name="projections">The projections, in the order they run.</param>
    /// <exception cref="ArgumentException">A projection is null, unnamed, handles no event type, or two share a name.</exception>
    public InlineProjectionSet(IEnumerable<IProjection> projections)
        : this(projections, nameof(projections))
    {
    }

    internal InlineProjectionSet(IEnumerable<IProjection> projections, string paramName) => _items = Index(projections, paramName);

    /// <summary>The empty set.</summary>
    public static InlineProjectionSet None { get; } = new([], "projections");

    /// <summary>True when there is no projection to run.</summary>
    public bool IsEmpty => _items.Length == 0;

    /// <summary>
    /// Validates projections (not null, named, handling at least one event type, unique names) and
    /// pairs each with the set of its event types.
    /// </summary>
    internal static (IProjection Projection, HashSet<string> Types)[] Index(IEnumerable<IProjection> projections, string paramName)
    {
        ArgumentNullException.ThrowIfNull(projections, paramName);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var items = new List<(IProjection, HashSet<string>)>();
        foreach (var projection in projections)
        {
            if (projection is null)
            {
                throw new ArgumentException("A projection is null.", paramName);
            }

            ArgumentException.ThrowIfNullOrWhiteSpace(projection.Name, paramName);
            if (projection.EventTypes is not { Count: > 0 })
            {
                throw new ArgumentException($"Projection '{projection.Name}' handles no event types.", paramName);
            }

            if (!names.Add(projection.Name))
            {
                throw new ArgumentException($"Two projections are named '{projection.Name}'.", paramName);
            }

            items.Add((projection, new HashSet<string>(projection.EventTypes, StringComparer.Ordinal)));
        }

        return [.. items];
    }

    /// <summary>Hands each envelope, in order, to every projection that handles its type.</summary>
    /// <param name="envelopes">The events just appended, not yet visible or committed.</param>
    /// <param name="contexts">One context per projection, in registration order (see <see cref="CreateContexts"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when every projection ran.</returns>
    public async ValueTask RunAsync(IReadOnlyList<EventEnvelope> envelopes, ProjectionContext[] contexts, CancellationToken cancellationToken)
    {
        foreach (var envelope in envelopes)
        {
            for (var i = 0; i < _items.Length; i++)
            {
                if (_items[i].Types.Contains(envelope.EventType))
                {
                    await _items[i].Projection.ProjectAsync(envelope, contexts[i], cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>One context per projection, made by the backend (e.g. around its transaction).</summary>
    /// <param name="create">Makes the context of the projection with the given name.</param>
    /// <returns>The contexts, in the order <see cref="RunAsync"/> expects.</returns>
    public ProjectionContext[] CreateContexts(Func<string, ProjectionContext> create)
    {
        var contexts = new ProjectionContext[_items.Length];
        for (var i = 0; i < contexts.Length; i++)
        {
            contexts[i] = create(_items[i].Projection.Name);
        }

        return contexts;
    }
}
