namespace BankAccount.Api.Tests;

/// <summary>The API suite on the in-memory store.</summary>
public sealed class InMemoryBankApiTests(InMemoryApiHost host) : BankApiSuite(host), IClassFixture<InMemoryApiHost>;
