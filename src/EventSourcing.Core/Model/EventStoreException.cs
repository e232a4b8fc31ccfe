namespace EventSourcing;

/// <summary>The root of the exceptions this library throws for store-level failures.</summary>
public class EventStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventStoreException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public EventStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public EventStoreException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
