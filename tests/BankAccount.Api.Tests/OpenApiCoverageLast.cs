using Xunit.Sdk;
using Xunit.v3;

namespace BankAccount.Api.Tests;

/// <summary>
/// Runs a class's test methods in xunit's default order, but <see cref="BankApiSuite.The_OpenAPI_document_matches_the_responses_the_tests_got"/>
/// last: it checks the responses every other test of its class recorded. Each class that derives the suite names it.
/// </summary>
public sealed class OpenApiCoverageLast : ITestMethodOrderer
{
    /// <inheritdoc />
    public IReadOnlyCollection<TTestMethod?> OrderTestMethods<TTestMethod>(IReadOnlyCollection<TTestMethod?> testMethods)
        where TTestMethod : notnull, ITestMethod
    {
        var ordered = DefaultTestMethodOrderer.Instance.OrderTestMethods(testMethods);
        return [.. ordered.Where(m => !IsCoverage(m)), .. ordered.Where(m => IsCoverage(m))];
    }

    private static bool IsCoverage(ITestMethod? testMethod) =>
        testMethod?.MethodName == nameof(BankApiSuite.The_OpenAPI_document_matches_the_responses_the_tests_got);
}
