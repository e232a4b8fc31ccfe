namespace EventSourcing.Core.Tests.Architecture;

/// <summary>
/// Layers ordered from the bottom: a type may use types of its own layer and of the layers below it,
/// never of a layer above. A namespace missing from the map has no layer (compiler-generated helpers,
/// types of other assemblies); <see cref="Unlayered"/> lists the ones that should have one.
/// </summary>
internal sealed class Layering
{
    private readonly IReadOnlyList<(string Name, string[] Namespaces)> _layers;

    public Layering(params (string Name, string[] Namespaces)[] layers)
    {
        _layers = layers;
    }

    /// <summary>The layer index of a namespace (0 = bottom), or -1 when it has none.</summary>
    public int LayerOf(string ns)
    {
        for (var i = 0; i < _layers.Count; i++)
        {
            if (Array.IndexOf(_layers[i].Namespaces, ns) >= 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Every use of a type of a higher layer, one line each, sorted.</summary>
    public IReadOnlyList<string> Violations(IEnumerable<TypeDependency> dependencies)
    {
        var violations = new List<string>();
        foreach (var d in dependencies)
        {
            var from = LayerOf(d.FromNamespace);
            var to = LayerOf(d.ToNamespace);
            if (from >= 0 && to > from)
            {
                violations.Add($"{d.From} ({_layers[from].Name}) uses {d.To} ({_layers[to].Name})");
            }
        }

        violations.Sort(StringComparer.Ordinal);
        return violations;
    }

    /// <summary>Types in a namespace under <paramref name="root"/> that no layer names.</summary>
    public IReadOnlyList<string> Unlayered(IEnumerable<(string Name, string Namespace)> types, string root) =>
        [.. types
            .Where(t => (t.Namespace == root || t.Namespace.StartsWith(root + ".", StringComparison.Ordinal)) && LayerOf(t.Namespace) < 0)
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal)];
}
