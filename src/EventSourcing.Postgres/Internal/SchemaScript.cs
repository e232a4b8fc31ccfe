using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace EventSourcing.Postgres.Internal;

/// <summary>One embedded, numbered schema script (<c>Scripts/NNN_name.sql</c>).</summary>
internal sealed class SchemaScript
{
    public const string SchemaPlaceholder = "{schema}";
    private const string ResourcePrefix = "EventSourcing.Postgres.Scripts.";

    private SchemaScript(int version, string name, string text)
    {
        Version = version;
        Name = name;
        Text = text;

        // Over the text with the placeholder, so the checksum does not depend on the schema name.
        Checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Every script, in version order.</summary>
    public static IReadOnlyList<SchemaScript> All { get; } = Load();

    /// <summary>The highest version the scripts reach.</summary>
    public static int LatestVersion => All[^1].Version;

    public int Version { get; }

    public string Name { get; }

    public string Text { get; }

    public string Checksum { get; }

    public string Render(string quotedSchema) => Text.Replace(SchemaPlaceholder, quotedSchema, StringComparison.Ordinal);

    private static SchemaScript[] Load()
    {
        var assembly = typeof(SchemaScript).Assembly;
        var scripts = new List<SchemaScript>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..^".sql".Length];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name.AsSpan(0, underscore), System.Globalization.CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Embedded schema script '{resource}' is not named NNN_name.sql.");
            }

            scripts.Add(new SchemaScript(version, name, Read(assembly, resource)));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < scripts.Count; i++)
        {
            if (scripts[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Schema scripts must be numbered 1, 2, 3…; script '{scripts[i].Name}' is out of sequence.");
            }
        }

        return [.. scripts];
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);

        // Line endings normalised, so a checkout with CRLF gives the same checksum.
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
