namespace EventSourcing.Core.Tests.Architecture.LayeringSamples.High;

// The "higher layer" the Low samples use; ArchitectureTests checks that the reader sees every use.

internal class Target
{
    public static int Create() => 1;
}

internal class Base;

internal interface IContract;

[AttributeUsage(AttributeTargets.All)]
internal sealed class MarkerAttribute : Attribute;

internal struct Value
{
    public int N;
}
