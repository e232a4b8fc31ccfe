namespace BankAccount.Api.Tests;

/// <summary>The API suite on the in-memory store.</summary>
[TestMethodOrderer(typeof(OpenApiCoverageLast))]
public sealed class InMemoryBankApiTests(InMemoryApiHost host) : BankApiSuite(host), IClassFixture<InMemoryApiHost>;
