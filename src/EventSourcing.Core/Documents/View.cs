using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EventSourcing.Projections;
using EventSourcing.Serialization;

namespace EventSourcing.Documents;

/// <summary>
/// A read model kept as documents, with no SQL: each event folds into one <typeparamref name="TDocument"/>
/// through the view's <c>On</c> handlers. By default the document of an event is its stream's (one
/// document per stream, keyed by the stream id); <see cref="Identity{TEvent}"/> keys an event type's
/// documents by a function of the event instead (a multi-stream view). Documents are JSON (the registry's
/// <see cref="EventTypeRegistry.JsonOptions"/>) in the backend's document store, written in the unit of
/// work of the checkpoint (async) or of the append (inline); read them with <see cref="DocumentReader"/>.
/// An async view is rebuilt by <see cref="ProjectionDaemon.RebuildAsync"/> into a shadow collection that
/// replaces the live one in one unit of work.
/// </summary>
/// <typeparam name="TDocument">The document type: a class with a parameterless constructor, serializable with the registry's JSON options.</typeparam>
public abstract class View<TDocument> : Projection, IRebuildableProjection, IBatchProjection, IDocumentView
    where TDocument : class, new()
{
    private readonly Dictionary<Type, Func<TDocument, EventEnvelope, TDocument?>> _folds = [];
    private readonly Dictionary<Type, Func<EventEnvelope, string>> _keys = [];
    private JsonTypeInfo<TDocument>? _json;

    /// <summary>Creates the view; register its handlers in the derived constructor.</summary>
    /// <param name="name">The view's stable name: it keys its checkpoint and names its document collection.</param>
    /// <exception cref="ArgumentException">The name is null or blank.</exception>
    protected View(string name)
        : base(name)
    {
        DocumentGuard.Validate(name);
    }

    Type IDocumentView.DocumentType => typeof(TDocument);

    /// <summary>Folds events of <typeparamref name="TEvent"/> into their document (a new <typeparamref name="TDocument"/> when there is none yet).</summary>
    /// <typeparam name="TEvent">A registered event type.</typeparam>
    /// <param name="apply">Changes the document.</param>
    protected void On<TEvent>(Action<TDocument, TEvent> apply)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(apply);
        Fold<TEvent>((document, envelope) =>
        {
            apply(document, (TEvent)envelope.Event);
            return document;
        });
    }

    /// <summary>Folds events of <typeparamref name="TEvent"/> into their document, with the event's envelope (stream, version, timestamp, metadata).</summary>
    /// <typeparam name="TEvent">A registered event type.</typeparam>
    /// <param name="apply">Changes the document.</param>
    protected void On<TEvent>(Action<TDocument, TEvent, EventEnvelope> apply)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(apply);
        Fold<TEvent>((document, envelope) =>
        {
            apply(document, (TEvent)envelope.Event, envelope);
            return document;
        });
    }

    /// <summary>Folds events of <typeparamref name="TEvent"/> by returning the new document; returning null deletes it.</summary>
    /// <typeparam name="TEvent">A registered event type.</typeparam>
    /// <param name="apply">Returns the new document, or null to delete it.</param>
    protected void On<TEvent>(Func<TDocument, TEvent, TDocument?> apply)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(apply);
        Fold<TEvent>((document, envelope) => apply(document, (TEvent)envelope.Event));
    }

    /// <summary>Keys the documents of <typeparamref name="TEvent"/> by a function of the event rather than by its stream.</summary>
    /// <typeparam name="TEvent">An event type the view handles.</typeparam>
    /// <param name="key">The id of the document the event folds into.</param>
    protected void Identity<TEvent>(Func<TEvent, string> key)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_keys.TryAdd(typeof(TEvent), envelope => key((TEvent)envelope.Event)))
        {
            throw new ArgumentException($"View '{Name}' already has an identity for {typeof(TEvent).Name}.", nameof(key));
        }
    }

    /// <inheritdoc />
    public ValueTask ProjectBatchAsync(IReadOnlyList<EventEnvelope> batch, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Type? handled = null;
        foreach (var envelope in batch)
        {
            var type = envelope.Event?.GetType();
            if (type is null || (type != handled && !_folds.ContainsKey(type)))
            {
                return ProjectEachAsync(batch, context, cancellationToken);
            }

            handled = type;
        }

        return FoldAsync(batch, context, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        SessionOf(context).DeleteAllAsync(ShadowCollection, cancellationToken);

    /// <inheritdoc />
    public ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        SessionOf(context).ReplaceAllAsync(ShadowCollection, Name, cancellationToken);

    private protected override void OnBound(EventTypeRegistry registry)
    {
        foreach (var type in _keys.Keys)
        {
            if (!_folds.ContainsKey(type))
            {
                throw new InvalidOperationException($"View '{Name}' has an identity for {type.Name} but no On<{type.Name}> handler.");
            }
        }

        try
        {
            _json = (JsonTypeInfo<TDocument>)registry.JsonOptions.GetTypeInfo(typeof(TDocument));
        }
        catch (NotSupportedException ex)
        {
            throw new InvalidOperationException($"View '{Name}': the registry's JSON options cannot serialize {typeof(TDocument).Name} (with a source-generated JsonSerializerContext, add [JsonSerializable(typeof({typeof(TDocument).Name}))]).", ex);
        }
    }

    private string ShadowCollection => Name + ":rebuild";

    private void Fold<TEvent>(Func<TDocument, EventEnvelope, TDocument?> apply)
        where TEvent : class
    {
        On<TEvent>((_, envelope, context, ct) => FoldAsync([envelope], context, ct));
        _folds.Add(typeof(TEvent), apply);
    }

    private async ValueTask ProjectEachAsync(IReadOnlyList<EventEnvelope> batch, ProjectionContext context, CancellationToken cancellationToken)
    {
        foreach (var envelope in batch)
        {
            await ProjectAsync(envelope, context, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Folds events into their documents: the documents the events touch are loaded in one call, folded
    /// in memory in the events' order, and written back in one call (deleted ones one by one), in the
    /// order the events first touched them. Consecutive events of one type share its handler lookup, and
    /// consecutive events of one document (a stream's events, as a log read returns them) its id's.
    /// </summary>
    private async ValueTask FoldAsync(IReadOnlyList<EventEnvelope> events, ProjectionContext context, CancellationToken cancellationToken)
    {
        var session = SessionOf(context);
        var json = _json ?? throw new InvalidOperationException($"View '{Name}' is not registered: add it with es.AddProjection.");
        var collection = context.IsRebuild ? ShadowCollection : Name;
        var folds = new Func<TDocument, EventEnvelope, TDocument?>[events.Count];
        var slots = new int[events.Count];
        var ids = new List<string>();
        var slotOf = new Dictionary<string, int>(StringComparer.Ordinal);
        Type? type = null;
        Func<TDocument, EventEnvelope, TDocument?>? fold = null;
        Func<EventEnvelope, string>? key = null;
        string? id = null;
        var slot = -1;
        for (var i = 0; i < events.Count; i++)
        {
            var envelope = events[i];
            if (envelope.Event.GetType() != type)
            {
                type = envelope.Event.GetType();
                if (!_folds.TryGetValue(type, out fold))
                {
                    throw new InvalidOperationException($"View '{Name}' got event {envelope.EventId} of type '{envelope.EventType}' as {type.Name}, which it has no handler for (an unreadable event?).");
                }

                key = _keys.GetValueOrDefault(type);
            }

            folds[i] = fold!;
            var next = key is null ? envelope.StreamId.Value : key(envelope);
            if (slot < 0 || !string.Equals(next, id, StringComparison.Ordinal))
            {
                DocumentGuard.Validate(collection, next);
                if (!slotOf.TryGetValue(next, out slot))
                {
                    slot = ids.Count;
                    slotOf.Add(next, slot);
                    ids.Add(next);
                }

                id = next;
            }

            slots[i] = slot;
        }

        var stored = await session.LoadManyAsync(collection, ids, cancellationToken).ConfigureAwait(false);
        var documents = new TDocument?[ids.Count];
        var touched = new bool[ids.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var s = slots[i];
            if (!touched[s])
            {
                touched[s] = true;
                documents[s] = stored.TryGetValue(ids[s], out var bytes) ? JsonSerializer.Deserialize(bytes, json) : null;
            }

            documents[s] = folds[i](documents[s] ?? new TDocument(), events[i]);
        }

        var writes = new List<KeyValuePair<string, byte[]>>(ids.Count);
        for (var s = 0; s < ids.Count; s++)
        {
            if (documents[s] is not { } document)
            {
                await session.DeleteAsync(collection, ids[s], cancellationToken).ConfigureAwait(false);
            }
            else
            {
                writes.Add(new(ids[s], JsonSerializer.SerializeToUtf8Bytes(document, json)));
            }
        }

        if (writes.Count > 0)
        {
            await session.StoreManyAsync(collection, writes, cancellationToken).ConfigureAwait(false);
        }
    }

    private IDocumentSession SessionOf(ProjectionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Documents ?? throw new InvalidOperationException($"View '{Name}' stores documents, but the backend handed it a {context.GetType().Name} without a document session.");
    }
}
