namespace EventSourcing.Serialization;

public sealed partial class EventTypeRegistry
{
    /// <summary>
    /// Why a projection could never see events under this name — unknown, an alias, or upcast to
    /// another type on read — or null when it is a registered, current name.
    /// </summary>
    internal string? CheckCurrentName(string name)
    {
        if (string.IsNullOrEmpty(name) || !TryResolve(name, out var entry))
        {
            return "is not a registered event type name (a typo?)";
        }

        if (entry.Name != name)
        {
            return $"is an older name of '{entry.Name}' (events are read under their current name): handle '{entry.Name}'";
        }

        if (entry.UpcastTarget is { } target)
        {
            while (target.UpcastTarget is { } next)
            {
                target = next;
            }

            return $"is upcast to '{target.Name}' on read: handle '{target.Name}'";
        }

        return null;
    }
}
