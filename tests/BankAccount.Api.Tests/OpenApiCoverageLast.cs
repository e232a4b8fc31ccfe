using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCaseOrderer(typeof(BankAccount.Api.Tests.OpenApiCoverageLast))]

namespace BankAccount.Api.Tests;

/// <summary>
/// Runs a class's tests in xunit's default order, but <see cref="BankApiSuite.The_OpenAPI_document_matches_the_responses_the_tests_got"/>
/// last: it checks the responses every other test of its class recorded.
/// </summary>
public sealed class OpenApiCoverageLast : ITestCaseOrderer
{
    /// <inheritdoc />
    public IReadOnlyCollection<TTestCase> OrderTestCases<TTestCase>(IReadOnlyCollection<TTestCase> testCases)
        where TTestCase : notnull, ITestCase
    {
        var ordered = DefaultTestCaseOrderer.Instance.OrderTestCases(testCases);
        return [.. ordered.Where(t => !IsCoverage(t)), .. ordered.Where(IsCoverage)];
    }

    private static bool IsCoverage<TTestCase>(TTestCase testCase)
        where TTestCase : notnull, ITestCase =>
        testCase.TestMethodName == nameof(BankApiSuite.The_OpenAPI_document_matches_the_responses_the_tests_got);
}
