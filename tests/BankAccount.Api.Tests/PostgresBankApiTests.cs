namespace BankAccount.Api.Tests;

/// <summary>The API suite on PostgreSQL: events, snapshots, checkpoints and the read-model tables.</summary>
public sealed class PostgresBankApiTests(PostgresApiHost host) : BankApiSuite(host), IClassFixture<PostgresApiHost>;
