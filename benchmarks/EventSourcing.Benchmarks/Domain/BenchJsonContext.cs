using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventSourcing.Benchmarks.Domain;

/// <summary>Source-generated metadata for every type the benchmarks serialize (camelCase, web defaults).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AccountOpened))]
[JsonSerializable(typeof(MoneyDeposited))]
[JsonSerializable(typeof(MoneyWithdrawn))]
[JsonSerializable(typeof(AccountState))]
[JsonSerializable(typeof(AccountBalance))]
public sealed partial class BenchJsonContext : JsonSerializerContext;
