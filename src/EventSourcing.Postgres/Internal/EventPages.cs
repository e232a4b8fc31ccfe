using System.Data;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Npgsql;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// The one paging loop of every read that can be long (a stream, forwards or backwards, and the global
/// log): keyset pages, one query each, each event handed out as soon as its row is read.
/// </summary>
/// <remarks>
/// A page's query holds one pooled connection (and its snapshot) while its events are handed out; the
/// connection goes back to the pool at the end of each page and when the enumeration ends or is
/// disposed. The first page has <see cref="PageSize"/> rows; later ones grow for a consumer fast
/// enough to get through them in about <see cref="PageTime"/>.
/// </remarks>
internal static class EventPages
{
    /// <summary>Rows of the first page of a read, and the fewest of any page (see <see cref="NextPageSize"/>).</summary>
    public const int PageSize = 5000;

    /// <summary>The most rows of one page.</summary>
    public const int MaxPageSize = 50_000;

    /// <summary>How long one page (its query and the consumer's handling of its events) should take at most, roughly.</summary>
    public static readonly TimeSpan PageTime = TimeSpan.FromMilliseconds(250);

    /// <summary>Reads <paramref name="query"/> page after page, at most <paramref name="maxCount"/> events in all.</summary>
    public static async IAsyncEnumerable<T> ReadAsync<T>(PostgresBackend backend, Query<T> query, long maxCount, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffers = new RowBuffers();
        try
        {
            var remaining = maxCount;
            var pageSize = PageSize;
            while (remaining > 0)
            {
                var started = Stopwatch.GetTimestamp();
                var limit = PageLimit(remaining, pageSize, out var take);
                var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var connectionScope = connection.ConfigureAwait(false);
                using var command = backend.Command(query.Sql, connection);
                query.AddParameters(command.Parameters, limit);
                await backend.PrepareAsync(command, cancellationToken).ConfigureAwait(false);

                var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                var read = 0;
                while (read < take && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var item = query.Read(reader, buffers);
                    read++;
                    yield return item;
                }

                if (read < take || limit == take || !await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }

                remaining -= read;
                pageSize = NextPageSize(read, Stopwatch.GetElapsedTime(started));
            }
        }
        finally
        {
            buffers.Return();
        }
    }

    /// <summary>
    /// The size of the next page: as many rows as this consumer got through in about
    /// <see cref="PageTime"/>, between <see cref="PageSize"/> and <see cref="MaxPageSize"/>. A page holds
    /// a connection and a snapshot while its events are handed out, so a slow consumer keeps small
    /// pages; one that replays an aggregate or catches up on the log gets large ones, and few queries.
    /// </summary>
    public static int NextPageSize(int rows, TimeSpan elapsed)
    {
        var fitting = elapsed <= TimeSpan.Zero ? MaxPageSize : rows * (PageTime / elapsed);
        return (int)Math.Clamp(fitting, PageSize, MaxPageSize);
    }

    /// <summary>
    /// Rows to ask for: <paramref name="take"/> (the page, or what remains of the read if less), plus one
    /// when more remains. That extra row is never read, only seen: it says whether another page
    /// follows, so the last page is never an empty query.
    /// </summary>
    private static int PageLimit(long remaining, int pageSize, out int take)
    {
        take = (int)Math.Min(remaining, pageSize);
        return remaining > take ? take + 1 : take;
    }

    /// <summary>A keyset-paged read of envelopes.</summary>
    public abstract class Query : Query<EventEnvelope>;

    /// <summary>
    /// One keyset-paged read: the statement of a page that starts where the previous one ended, and what
    /// a row reads as (an envelope, or a replay's part of it), which moves the read past it. One instance per enumeration.
    /// </summary>
    /// <typeparam name="T">What a row reads as.</typeparam>
    public abstract class Query<T>
    {
        /// <summary>The statement of a page; its rows in the order of the read, <c>limit</c> as a parameter.</summary>
        public abstract string Sql { get; }

        /// <summary>Adds the parameters of the next page, from where the read stands, asking for <paramref name="limit"/> rows.</summary>
        public abstract void AddParameters(NpgsqlParameterCollection parameters, int limit);

        /// <summary>Reads the current row (columns front to back, once each) and moves past it.</summary>
        public abstract T Read(NpgsqlDataReader reader, RowBuffers buffers);
    }
}
