using BankAccount;
using Spectre.Console;

return await Tour.RunAsync(AnsiConsole.Console);
