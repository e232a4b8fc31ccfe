namespace EventSourcing.Storage;

/// <summary>
/// The rule every backend applies when some of an append's event ids are already stored in the stream
/// (an event id is stored at most once per stream): the whole batch, in its order, at consecutive
/// versions, is a repeat of an append that committed (nothing to write, whatever the expectation);
/// anything else is a duplicate id.
/// </summary>
public static class StoredBatch
{
    /// <summary>Applies the rule.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="ids">The batch's event ids, in order.</param>
    /// <param name="storedVersions">For each id, the version at which the stream holds it, or 0 when it does not.</param>
    /// <returns>The version of the batch's last event when the stream holds the whole batch; null when it holds none of the ids.</returns>
    /// <exception cref="DuplicateEventIdException">The stream holds some of the ids, or all of them in another shape; it names the first stored id in the batch's order.</exception>
    public static long? RepeatEnd(StreamId streamId, ReadOnlySpan<Guid> ids, ReadOnlySpan<long> storedVersions)
    {
        var firstStored = storedVersions.IndexOfAnyExcept(0L);
        if (firstStored < 0)
        {
            return null;
        }

        for (var i = 0; i < storedVersions.Length; i++)
        {
            if (storedVersions[i] == 0 || storedVersions[i] != storedVersions[0] + i)
            {
                throw new DuplicateEventIdException(streamId, ids[firstStored], storedVersions[firstStored]);
            }
        }

        return storedVersions[^1];
    }
}
