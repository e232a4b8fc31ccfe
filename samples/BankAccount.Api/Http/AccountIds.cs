namespace BankAccount.Api.Http;

/// <summary>Account ids in URLs: 1 to 64 letters, digits, '-' or '_'. The API creates them as 32 hex digits.</summary>
internal static class AccountIds
{
    public const string Field = "id";

    public static string New() => Guid.CreateVersion7().ToString("N");

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    public static ApiResponse Invalid() => Problems.Validation(Field, "An account id is 1 to 64 letters, digits, '-' or '_'.");
}
