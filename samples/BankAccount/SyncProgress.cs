namespace BankAccount;

/// <summary>
/// Reports progress on the reporting thread, in order. <see cref="Progress{T}"/> posts each report to the
/// thread pool instead, so reports could arrive late or out of order and the tour's output would vary.
/// </summary>
/// <typeparam name="T">The progress value.</typeparam>
/// <param name="handler">Called for each report.</param>
internal sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => handler(value);
}
