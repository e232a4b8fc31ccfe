namespace EventSourcing.Core.Tests.Architecture.LayeringSamples.Low;

// Each type uses one type of the High namespace in one way, always by qualified name (no using), so
// the reader must find it in the compiled code. Clean uses nothing of High.

internal static class InMethodBody
{
    public static int Run() => High.Target.Create();
}

internal static class InTypeof
{
    public static Type Run() => typeof(High.Target);
}

internal static class InLambda
{
    public static Func<int> Run() => () => High.Target.Create();
}

internal static class InAsyncMethod
{
    public static async Task<int> RunAsync()
    {
        await Task.Yield();
        return High.Target.Create();
    }
}

internal sealed class InFieldOfGenericType
{
    internal readonly List<High.Target> Items = [];
}

internal static class InConstraint
{
    public static T Echo<T>(T value)
        where T : High.Target => value;
}

internal static class InGenericMethodCall
{
    public static int Run() => Array.Empty<High.Target>().Length;
}

internal static class InLocal
{
    public static int Run()
    {
        var value = default(High.Value);
        value.N = 2;
        return value.N;
    }
}

internal class InBaseType : High.Base;

internal sealed class InInterface : High.IContract;

[High.Marker]
internal sealed class InAttribute;

internal static class InNestedClass
{
    public static int Run() => Helper.Run();

    private static class Helper
    {
        public static int Run() => High.Target.Create();
    }
}

internal static class Clean
{
    public static int Run() => InMethodBody.Run() + InLocal.Run();
}
