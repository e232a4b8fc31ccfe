using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace EventSourcing.InMemory;

/// <summary>
/// Decides, once per type, whether its instances are deeply immutable: every instance field, its own
/// and inherited, is readonly and of a deeply immutable type (primitives, strings, enums, the common
/// value types, and sealed classes or structs that pass the same test). An object of such a type, read
/// back from its stored bytes once, can be handed to every reader: nobody can change it, so it is as
/// good as a fresh one, and replay need not deserialize again. Anything else (arrays, lists,
/// dictionaries, settable properties, unsealed classes) is read back afresh on every read.
/// </summary>
internal static class ImmutableTypes
{
    private static readonly ConcurrentDictionary<Type, bool> Known = new();

    private static readonly HashSet<Type> Leaves =
    [
        typeof(string), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan),
        typeof(DateOnly), typeof(TimeOnly), typeof(Guid), typeof(Half), typeof(Int128), typeof(UInt128),
    ];

    /// <summary>True when instances of <paramref name="type"/> cannot be changed after construction.</summary>
    public static bool IsDeeplyImmutable(Type type) =>
        // Native AOT may strip field metadata, and a type whose fields cannot be seen must not pass.
        RuntimeFeature.IsDynamicCodeSupported && Known.GetOrAdd(type, static t => !t.IsAbstract && Check(t, [], exactType: true));

    /// <param name="type">The type.</param>
    /// <param name="inProgress">The types being checked further up (recursive types).</param>
    /// <param name="exactType">True for the runtime type of an object; false for a field's declared type,
    /// which must be sealed unless it is a value type, since a subclass could add mutable state.</param>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Runs only where dynamic code is supported (not native AOT); a field the trimmer removed is referenced by no code, so it cannot be changed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "As above, for base types.")]
    private static bool Check(Type type, HashSet<Type> inProgress, bool exactType = false)
    {
        if (type.IsPrimitive || type.IsEnum || Leaves.Contains(type))
        {
            return true;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Check(underlying, inProgress);
        }

        if (type.IsArray || type.IsPointer || type.IsByRef || (type.IsClass && !type.IsSealed && !exactType) || type.IsInterface || type.ContainsGenericParameters)
        {
            return false;
        }

        if (Known.TryGetValue(type, out var known))
        {
            return known;
        }

        if (!inProgress.Add(type))
        {
            return true; // a recursive type: decided by the fields being checked
        }

        for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!field.IsInitOnly || !Check(field.FieldType, inProgress))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
