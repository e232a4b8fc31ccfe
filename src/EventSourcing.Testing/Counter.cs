using EventSourcing.Aggregates;

namespace EventSourcing.Testing;

/// <summary>The suite's aggregate: a running total of increments, with the last note seen.</summary>
public class Counter : AggregateRoot<CounterSnapshot>
{
    /// <summary>The sum of all increments.</summary>
    public int Total { get; private set; }

    /// <summary>How many events were applied.</summary>
    public int Count { get; private set; }

    /// <summary>The text of the last note.</summary>
    public string? LastNote { get; private set; }

    /// <inheritdoc />
    protected override string SnapshotName => "counter";

    /// <summary>Adds to the total; refuses non-positive amounts.</summary>
    public void Increment(int by)
    {
        if (by <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(by), "Increments must be positive.");
        }

        Raise(new Incremented(by));
    }

    /// <summary>Records a note.</summary>
    public void Note(string text) => Raise(new Noted(text));

    /// <inheritdoc />
    protected override void Apply(object @event)
    {
        switch (@event)
        {
            case Incremented e:
                Total += e.By;
                break;
            case Noted n:
                LastNote = n.Text;
                break;
        }

        Count++;
    }

    /// <inheritdoc />
    protected override CounterSnapshot ToSnapshot() => new(Total, Count, LastNote);

    /// <inheritdoc />
    protected override void FromSnapshot(CounterSnapshot snapshot)
    {
        Total = snapshot.Total;
        Count = snapshot.Count;
        LastNote = snapshot.LastNote;
    }
}

/// <summary>The same aggregate after a release that changed its snapshot schema.</summary>
public sealed class CounterSchemaV2 : Counter
{
    /// <inheritdoc />
    protected override int SnapshotSchemaVersion => 2;
}
