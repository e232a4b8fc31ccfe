using System.Text.Json;
using System.Text.Json.Serialization;
using BankAccount.Domain.Events;

namespace BankAccount.Domain;

/// <summary>Source-generated JSON metadata for every bank event, the snapshot and the current-state document: no reflection, AOT-friendly.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AccountOpened))]
[JsonSerializable(typeof(MoneyDeposited))]
[JsonSerializable(typeof(MoneyDepositedV1))]
[JsonSerializable(typeof(MoneyWithdrawn))]
[JsonSerializable(typeof(AccountClosed))]
[JsonSerializable(typeof(AccountSnapshot))]
[JsonSerializable(typeof(ReadModels.AccountDocument))]
public sealed partial class BankJsonContext : JsonSerializerContext;
