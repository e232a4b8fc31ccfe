using EventSourcing.Serialization;

namespace EventSourcing.Projections;

/// <summary>
/// A projection written as handlers per CLR event type, whose handlers get the backend's context type
/// <typeparamref name="TContext"/> (e.g. <c>PostgresProjectionContext</c>). The event type names come
/// from the <see cref="EventTypeRegistry"/> when the projection is registered
/// (<c>es.AddProjection&lt;T&gt;(mode)</c>): a handler for an unregistered type, or a
/// <typeparamref name="TContext"/> the configured backend does not hand out, fails at start-up.
/// </summary>
/// <typeparam name="TContext">The context the backend hands projections, or <see cref="ProjectionContext"/> for any backend.</typeparam>
public abstract class Projection<TContext> : IProjection, ITypedProjection
    where TContext : ProjectionContext
{
    private readonly Dictionary<Type, Func<EventEnvelope, TContext, CancellationToken, ValueTask>> _byType = [];
    private readonly Lock _gate = new();
    private Dictionary<string, Func<EventEnvelope, TContext, CancellationToken, ValueTask>>? _byName;
    private string[]? _names;
    private EventTypeRegistry? _registry;

    /// <summary>Creates the projection; register its handlers in the derived constructor.</summary>
    /// <param name="name">The projection's stable name; it keys its checkpoint.</param>
    /// <exception cref="ArgumentException">The name is null or blank.</exception>
    protected Projection(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The projection was not registered with <c>AddProjection</c>, which resolves the names.</exception>
    public IReadOnlyCollection<string> EventTypes => Volatile.Read(ref _names)
        ?? throw new InvalidOperationException($"Projection '{Name}' has no event type names yet: register it with es.AddProjection (the names of its handlers' event types come from the EventTypeRegistry at start-up).");

    Type ITypedProjection.ContextType => typeof(TContext);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The context is not a <typeparamref name="TContext"/>, or the event is not of its handler's type (e.g. an unreadable event).</exception>
    public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (context is not TContext typed)
        {
            throw new InvalidOperationException($"Projection '{Name}' needs a {typeof(TContext).Name}, but the backend handed it a {context?.GetType().Name ?? "null"}: derive it from Projection (any backend) or from Projection<{context?.GetType().Name}>.");
        }

        var handlers = Volatile.Read(ref _byName);
        if (handlers is null || !handlers.TryGetValue(envelope.EventType, out var handler))
        {
            throw new InvalidOperationException($"Projection '{Name}' has no handler for event type '{envelope.EventType}'.");
        }

        return handler(envelope, typed, cancellationToken);
    }

    /// <summary>Handles events of <typeparamref name="TEvent"/>.</summary>
    /// <typeparam name="TEvent">A registered event type.</typeparam>
    /// <param name="handler">Gets the event.</param>
    protected void On<TEvent>(Action<TEvent> handler)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add<TEvent>((envelope, _, _) =>
        {
            handler(EventOf<TEvent>(envelope));
            return default;
        });
    }

    /// <summary>Handles events of <typeparamref name="TEvent"/>, with their envelope (stream, version, position, metadata).</summary>
    /// <typeparam name="TEvent">A registered event type.</typeparam>
    /// <param name="handler">Gets the event and its envelope.</param>
    protected void On<TEvent>(Action<TEvent, EventEnvelope> handler)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add<TEvent>((envelope, _, _) =>
        {
            handler(EventOf<TEvent>(envelope), envelope);
            return default;
        });
    }

    /// <summary>Handles events of <typeparamref name="TEvent"/> asynchronously, in the backend's unit of work.</summary>
    /// <typeparam name="TEvent">A registered event type.</typeparam>
    /// <param name="handler">Gets the event, the context and the cancellation token.</param>
    protected void On<TEvent>(Func<TEvent, TContext, CancellationToken, ValueTask> handler)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add<TEvent>((envelope, context, ct) => handler(EventOf<TEvent>(envelope), context, ct));
    }

    /// <summary>Handles events of <typeparamref name="TEvent"/> asynchronously, with their envelope, in the backend's unit of work.</summary>
    /// <typeparam name="TEvent">A registered event type.</typeparam>
    /// <param name="handler">Gets the event, its envelope, the context and the cancellation token.</param>
    protected void On<TEvent>(Func<TEvent, EventEnvelope, TContext, CancellationToken, ValueTask> handler)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add<TEvent>((envelope, context, ct) => handler(EventOf<TEvent>(envelope), envelope, context, ct));
    }

    /// <summary>Called once the registry is known (views take their JSON options from it).</summary>
    /// <param name="registry">The registry the names came from.</param>
    private protected virtual void OnBound(EventTypeRegistry registry)
    {
    }

    void ITypedProjection.Bind(EventTypeRegistry registry)
    {
        lock (_gate)
        {
            if (_registry is not null)
            {
                if (!ReferenceEquals(_registry, registry))
                {
                    throw new InvalidOperationException($"Projection '{Name}' is already registered with another EventTypeRegistry (another container?); create one instance per container.");
                }

                return;
            }

            if (_byType.Count == 0)
            {
                throw new InvalidOperationException($"Projection '{Name}' handles no event type: register handlers with On<TEvent>(...) in its constructor.");
            }

            var byName = new Dictionary<string, Func<EventEnvelope, TContext, CancellationToken, ValueTask>>(StringComparer.Ordinal);
            foreach (var (type, handler) in _byType)
            {
                string name;
                try
                {
                    name = registry.GetName(type);
                }
                catch (UnknownEventTypeException)
                {
                    throw new InvalidOperationException($"Projection '{Name}' handles {type.FullName}, which is not a registered event type: register it (es.AddEvent<{type.Name}>(\"name\")) or remove the handler.");
                }

                byName.Add(name, handler);
            }

            OnBound(registry);
            _registry = registry;
            Volatile.Write(ref _byName, byName);
            Volatile.Write(ref _names, [.. byName.Keys]);
        }
    }

    private void Add<TEvent>(Func<EventEnvelope, TContext, CancellationToken, ValueTask> handler)
    {
        lock (_gate)
        {
            if (_registry is not null)
            {
                throw new InvalidOperationException($"Projection '{Name}' is already running: register its handlers in its constructor.");
            }

            if (!_byType.TryAdd(typeof(TEvent), handler))
            {
                throw new ArgumentException($"Projection '{Name}' already has a handler for {typeof(TEvent).Name}.", nameof(handler));
            }
        }
    }

    private TEvent EventOf<TEvent>(EventEnvelope envelope)
        where TEvent : class =>
        envelope.Event as TEvent ?? throw new InvalidOperationException($"Projection '{Name}' got event {envelope.EventId} of type '{envelope.EventType}' as {envelope.Event?.GetType().Name ?? "null"}, not {typeof(TEvent).Name} (an unreadable event?).");
}
