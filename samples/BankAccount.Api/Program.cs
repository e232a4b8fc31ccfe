using BankAccount.Api;

try
{
    await BankApi.Create(args).RunAsync();
    return 0;
}
catch (NotSupportedException ex)
{
    // A configuration the sample cannot serve yet (see BankStorage): say why, without a stack trace.
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}
