using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace EventSourcing.Serialization;

/// <summary>
/// Maps event CLR types to stable stored names (with aliases for renamed types) and serializes events
/// with System.Text.Json. Upcasters turn stored payloads of old event versions into current events.
/// Configure it at startup; it freezes on first use, after which registering throws.
/// </summary>
/// <remarks>
/// For trimming and native AOT, give it options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/>
/// is a source-generated <see cref="System.Text.Json.Serialization.JsonSerializerContext"/> that
/// knows every registered type.
/// </remarks>
public sealed partial class EventTypeRegistry
{
    /// <summary>The longest type name accepted.</summary>
    public const int MaxNameLength = 200;

    private readonly Dictionary<string, EventTypeEntry> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, EventTypeEntry> _byType = [];
    private readonly Lock _gate = new();
    private JsonSerializerOptions _options;
    private JsonSerializerOptions? _guardedOptions;
    private volatile bool _frozen;

    /// <summary>Creates an empty registry.</summary>
    /// <param name="jsonOptions">
    /// The serializer options; a source-generated context's <c>Options</c> for trimming and AOT. When
    /// null, web defaults (camelCase) with reflection-based metadata, which AOT builds reject at first use.
    /// </param>
    public EventTypeRegistry(JsonSerializerOptions? jsonOptions = null)
    {
        _options = jsonOptions ?? DefaultOptions();
    }

    /// <summary>The serializer options used for events and snapshots.</summary>
    /// <exception cref="InvalidOperationException">Set after the registry was first used.</exception>
    public JsonSerializerOptions JsonOptions
    {
        get => _options;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_gate)
            {
                ThrowIfFrozen();
                _options = value;
            }
        }
    }

    /// <summary>
    /// What a reader does with a stored event it cannot read (unknown type or malformed payload).
    /// <see cref="UnreadableEventPolicy.Throw"/> by default.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set after the registry was first used.</exception>
    public UnreadableEventPolicy UnreadableEvents
    {
        get;
        set
        {
            lock (_gate)
            {
                ThrowIfFrozen();
                field = value;
            }
        }
    }

    /// <summary>Registers an event type under a stable name, with optional aliases it was stored under before.</summary>
    /// <typeparam name="TEvent">The event's CLR type.</typeparam>
    /// <param name="name">The name stored with each event; never change it once events are stored.</param>
    /// <param name="aliases">Older names that read as this type.</param>
    /// <returns>This registry.</returns>
    /// <exception cref="ArgumentException">A name is invalid or already taken, or the type is already registered.</exception>
    /// <exception cref="InvalidOperationException">The registry was already used.</exception>
    public EventTypeRegistry Register<TEvent>(string name, params string[] aliases)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(aliases);
        lock (_gate)
        {
            ThrowIfFrozen();
            ValidateName(name);
            if (_byType.ContainsKey(typeof(TEvent)))
            {
                throw new ArgumentException($"Type {typeof(TEvent).FullName} is already registered as '{_byType[typeof(TEvent)].Name}'.", nameof(TEvent));
            }

            var entry = new EventTypeEntry(name, typeof(TEvent));
            AddName(name, entry);
            foreach (var alias in aliases)
            {
                ValidateName(alias);
                AddName(alias, entry);
            }

            _byType.Add(typeof(TEvent), entry);
        }

        return this;
    }

    /// <summary>
    /// Adds a typed upcaster: stored events of the registered type <typeparamref name="TOld"/> are read
    /// as <typeparamref name="TNew"/>. Upcasters chain (v1 → v2 → v3).
    /// </summary>
    /// <typeparam name="TOld">The old event type, registered under its stored name.</typeparam>
    /// <typeparam name="TNew">The current event type, registered.</typeparam>
    /// <param name="upcast">Turns an old event into the current one.</param>
    /// <returns>This registry.</returns>
    /// <exception cref="ArgumentException">A type is not registered, or <typeparamref name="TOld"/> already has an upcaster.</exception>
    /// <exception cref="InvalidOperationException">The registry was already used.</exception>
    public EventTypeRegistry AddUpcaster<TOld, TNew>(Func<TOld, TNew> upcast)
        where TOld : class
        where TNew : class
    {
        ArgumentNullException.ThrowIfNull(upcast);
        lock (_gate)
        {
            ThrowIfFrozen();
            var from = RegisteredEntry(typeof(TOld));
            var to = RegisteredEntry(typeof(TNew));
            if (from.HasUpcaster)
            {
                throw new ArgumentException($"'{from.Name}' already has an upcaster.", nameof(TOld));
            }

            from.TypedUpcast = old => upcast((TOld)old);
            from.UpcastTarget = to;
        }

        return this;
    }

    /// <summary>
    /// Adds a JSON-level upcaster for a stored type name that no longer has a CLR type: its payload is
    /// transformed and then read as <paramref name="targetName"/> (which may itself be upcast).
    /// </summary>
    /// <param name="storedName">The stored type name, not registered to a CLR type.</param>
    /// <param name="targetName">The registered name the transformed payload is read as.</param>
    /// <param name="transform">Turns the old JSON object into the target's shape.</param>
    /// <returns>This registry.</returns>
    /// <exception cref="ArgumentException">A name is invalid, <paramref name="storedName"/> is taken, or <paramref name="targetName"/> is unknown.</exception>
    /// <exception cref="InvalidOperationException">The registry was already used.</exception>
    public EventTypeRegistry AddJsonUpcaster(string storedName, string targetName, Func<JsonObject, JsonObject> transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        lock (_gate)
        {
            ThrowIfFrozen();
            ValidateName(storedName);
            if (!_byName.TryGetValue(targetName, out var target))
            {
                throw new ArgumentException($"Target type name '{targetName}' is not registered.", nameof(targetName));
            }

            var entry = new EventTypeEntry(storedName, clrType: null) { JsonUpcast = transform, UpcastTarget = target };
            AddName(storedName, entry);
        }

        return this;
    }

    /// <summary>Gets the stored name of a registered event type.</summary>
    /// <param name="eventType">The CLR type.</param>
    /// <returns>The name.</returns>
    /// <exception cref="UnknownEventTypeException">The type is not registered.</exception>
    public string GetName(Type eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        return Resolve(eventType).Name;
    }

    /// <summary>
    /// Gets every stored name whose events read as the given registered name: the name, its aliases,
    /// and the names upcast into it. Stores use it to filter the global log before deserializing.
    /// </summary>
    /// <param name="name">A registered name.</param>
    /// <returns>The stored names.</returns>
    public IReadOnlyCollection<string> GetStoredNames(string name)
    {
        Freeze();
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (!_byName.TryGetValue(name, out var target))
        {
            return result;
        }

        foreach (var (stored, entry) in _byName)
        {
            for (var e = entry; e is not null; e = e.UpcastTarget)
            {
                if (ReferenceEquals(e, target))
                {
                    result.Add(stored);
                    break;
                }
            }
        }

        return result;
    }

    internal EventTypeEntry Resolve(Type clrType)
    {
        Freeze();
        return _byType.TryGetValue(clrType, out var entry) ? entry : throw new UnknownEventTypeException(clrType);
    }

    internal bool TryResolve(string storedName, out EventTypeEntry entry)
    {
        Freeze();
        return _byName.TryGetValue(storedName, out entry!);
    }

    internal bool TryResolve(ReadOnlySpan<char> storedName, out EventTypeEntry entry)
    {
        Freeze();
        return _byName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(storedName, out entry!);
    }

    /// <summary>How many CLR event types are registered.</summary>
    internal int RegisteredTypeCount => _byType.Count;

    internal JsonTypeInfo TypeInfo(EventTypeEntry entry) => entry.TypeInfo ??= _options.GetTypeInfo(entry.ClrType!);

    /// <summary>
    /// Checks that the configured <see cref="JsonOptions"/> can write and read every registered event type,
    /// before the first event is stored: each type's JSON metadata is built as appends and reads build it
    /// (so a type the serializer cannot handle, or that a source-generated context lacks, fails here, not in
    /// production on its first append). <c>AddEventSourcing</c> runs it when the container first hands out the
    /// registry: at host start, or at the first use without a host. Freezes the registry.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// Some types cannot be serialized; the message names each (stored name and CLR type) and the fix, e.g. for a
    /// trimmed or native AOT app: <c>[JsonSerializable(typeof(T))]</c> on the context passed with
    /// <c>es.UseJsonOptions(MyContext.Default.Options)</c>.
    /// </exception>
    public void ValidateSerialization()
    {
        Freeze();
        var failures = new List<string>();
        foreach (var entry in _byType.Values)
        {
            try
            {
                _ = TypeInfo(entry);
                _ = GuardedTypeInfo(entry);
            }
            catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException)
            {
                failures.Add(DescribeFailure(entry, ex));
            }
        }

        if (failures.Count > 0)
        {
            throw new InvalidOperationException(
                $"EventSourcing cannot serialize {failures.Count} registered event type(s) with the configured JSON options:\n - {string.Join("\n - ", failures)}");
        }
    }

    private string DescribeFailure(EventTypeEntry entry, Exception error)
    {
        var type = entry.ClrType!.FullName ?? entry.ClrType.Name;
        if (_options.TypeInfoResolver is null)
        {
            return $"'{entry.Name}' ({type}): reflection-based serialization is off (a trimmed or native AOT app) and no JSON type resolver is configured. " +
                $"Declare a source-generated context with [JsonSerializable(typeof({entry.ClrType.Name}))] for every event type and pass it with es.UseJsonOptions(MyContext.Default.Options).";
        }

        if (error is NotSupportedException)
        {
            return $"'{entry.Name}' ({type}): the JSON type resolver ({_options.TypeInfoResolver.GetType().Name}) has no metadata for it. " +
                $"Add [JsonSerializable(typeof({entry.ClrType.Name}))] to that JsonSerializerContext and pass it with es.UseJsonOptions(MyContext.Default.Options).";
        }

        return $"'{entry.Name}' ({type}): {error.Message}";
    }

    /// <summary>
    /// Web defaults with reflection-based metadata where the application allows reflection; where it
    /// does not (trimmed/AOT apps switch it off), no resolver, so first use says to pass a
    /// source-generated context.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Used only when JsonSerializer.IsReflectionEnabledByDefault, which trimmed and AOT apps turn off.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Used only when JsonSerializer.IsReflectionEnabledByDefault, which AOT apps turn off.")]
    private static JsonSerializerOptions DefaultOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        if (JsonSerializer.IsReflectionEnabledByDefault)
        {
            options.TypeInfoResolver = new DefaultJsonTypeInfoResolver();
        }

        return options;
    }

    private void Freeze()
    {
        if (!_frozen)
        {
            lock (_gate)
            {
                _frozen = true;
            }
        }
    }

    private void ThrowIfFrozen()
    {
        if (_frozen)
        {
            throw new InvalidOperationException("The event type registry is already in use; register every type at startup, before the first append or read.");
        }
    }

    private EventTypeEntry RegisteredEntry(Type type) =>
        _byType.TryGetValue(type, out var entry) ? entry : throw new ArgumentException($"Type {type.FullName} is not registered.", nameof(type));

    private void AddName(string name, EventTypeEntry entry)
    {
        if (!_byName.TryAdd(name, entry))
        {
            throw new ArgumentException($"The event type name '{name}' is already taken.", nameof(name));
        }
    }

    private static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength)
        {
            throw new ArgumentException($"An event type name must be non-blank and at most {MaxNameLength} characters.", nameof(name));
        }

        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException("An event type name must not contain control characters.", nameof(name));
            }
        }
    }
}
