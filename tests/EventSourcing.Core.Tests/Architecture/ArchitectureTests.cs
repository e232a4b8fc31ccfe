using System.Text.RegularExpressions;
using Xunit;

namespace EventSourcing.Core.Tests.Architecture;

/// <summary>
/// The layering of EventSourcing.Core, checked on the compiled assembly: Model → Storage/Serialization →
/// Aggregates/Projections/InMemory → DependencyInjection. A lower layer never uses a type of a higher one.
/// </summary>
public sealed class ArchitectureTests
{
    // Folder of src/EventSourcing.Core → namespace, bottom layer first.
    private static readonly (string Layer, (string Folder, string Namespace)[] Parts)[] CoreLayers =
    [
        ("Model", [("Model", "EventSourcing")]),
        ("Storage/Serialization", [("Storage", "EventSourcing.Storage"), ("Serialization", "EventSourcing.Serialization")]),
        ("Aggregates/Projections/InMemory", [("Aggregates", "EventSourcing.Aggregates"), ("Projections", "EventSourcing.Projections"), ("Documents", "EventSourcing.Documents"), ("InMemory", "EventSourcing.InMemory")]),
        ("DependencyInjection", [("DependencyInjection", "Microsoft.Extensions.DependencyInjection")]),
    ];

    private static readonly Layering Core = new([.. CoreLayers.Select(l => (l.Layer, l.Parts.Select(p => p.Namespace).ToArray()))]);

    private static string CoreAssembly => typeof(StreamId).Assembly.Location;

    [Fact]
    public void No_folder_of_core_uses_a_type_of_a_layer_above_it()
    {
        var violations = Core.Violations(TypeDependencies.Read(CoreAssembly));

        Assert.True(violations.Count == 0, "Layering violations:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Every_core_type_belongs_to_a_layer()
    {
        var types = TypeDependencies.TopLevelTypes(CoreAssembly);

        Assert.Empty(Core.Unlayered(types, "EventSourcing"));
        Assert.Contains(types, t => Core.LayerOf(t.Namespace) == 3); // the DI extensions are found too
    }

    [Fact]
    public void Every_core_folder_declares_its_layers_namespace()
    {
        var src = Path.Combine(RepositoryRoot(), "src", "EventSourcing.Core");
        var known = CoreLayers.SelectMany(l => l.Parts).ToDictionary(p => p.Folder, p => p.Namespace);
        var folders = Directory.GetDirectories(src).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToList();
        Assert.Equal(known.Keys.Order(), folders.Order());
        Assert.Empty(Directory.GetFiles(src, "*.cs")); // no source outside a layer's folder

        var wrong = new List<string>();
        foreach (var (folder, ns) in known)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(src, folder), "*.cs", SearchOption.AllDirectories))
            {
                var declared = Regex.Matches(File.ReadAllText(file), @"^namespace\s+([\w.]+)\s*[;{]", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
                if (declared.Count == 0 || declared.Any(d => d != ns))
                {
                    wrong.Add($"{Path.GetRelativePath(src, file)} declares [{string.Join(", ", declared)}], its folder's namespace is {ns}");
                }
            }
        }

        Assert.Empty(wrong);
    }

    // The checks above can fail: the reader finds every kind of use, and the checker flags the upward ones.

    [Fact]
    public void The_reader_finds_uses_in_signatures_bodies_lambdas_async_methods_and_attributes()
    {
        var found = TypeDependencies.Read(typeof(ArchitectureTests).Assembly.Location)
            .Where(d => d.FromNamespace == typeof(LayeringSamples.Low.InMethodBody).Namespace && d.ToNamespace == typeof(LayeringSamples.High.Target).Namespace)
            .Select(d => d.From[(d.From.LastIndexOf('.') + 1)..] + " -> " + d.To[(d.To.LastIndexOf('.') + 1)..])
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            [
                "InAsyncMethod -> Target",
                "InAttribute -> MarkerAttribute",
                "InBaseType -> Base",
                "InConstraint -> Target",
                "InFieldOfGenericType -> Target",
                "InGenericMethodCall -> Target",
                "InInterface -> IContract",
                "InLambda -> Target",
                "InLocal -> Value",
                "InMethodBody -> Target",
                "InNestedClass -> Target", // only through its nested (private) class
                "InTypeof -> Target",
            ],
            found);
    }

    [Fact]
    public void The_checker_flags_a_use_of_a_higher_layer_and_allows_the_same_layer_and_lower()
    {
        var layering = new Layering(("Bottom", ["A"]), ("Middle", ["B", "C"]), ("Top", ["D"]));
        TypeDependency Use(string from, string to) => new(from + ".X", from, to + ".Y", to);

        var violations = layering.Violations([Use("A", "B"), Use("B", "C"), Use("C", "A"), Use("D", "A"), Use("B", "D"), Use("Other", "D"), Use("A", "Other")]);

        Assert.Equal(["A.X (Bottom) uses B.Y (Middle)", "B.X (Middle) uses D.Y (Top)"], violations);
        Assert.Equal(["N.T"], layering.Unlayered([("N.T", "N"), ("A.T", "A"), ("Other.T", "Other")], "N"));
    }

    [Fact]
    public void The_core_check_fails_for_a_model_type_that_uses_the_in_memory_store()
    {
        var real = TypeDependencies.Read(CoreAssembly);
        var broken = real.Append(new TypeDependency("EventSourcing.StreamId", "EventSourcing", "EventSourcing.InMemory.InMemoryEventStore", "EventSourcing.InMemory"));

        Assert.Equal(["EventSourcing.StreamId (Model) uses EventSourcing.InMemory.InMemoryEventStore (Aggregates/Projections/InMemory)"], Core.Violations(broken));
        Assert.Contains(real, d => d.From == "EventSourcing.InMemory.InMemoryEventStore" && d.To == "EventSourcing.StreamId");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventSourcing.Core.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("EventSourcing.Core.sln not found above " + AppContext.BaseDirectory);
    }
}
