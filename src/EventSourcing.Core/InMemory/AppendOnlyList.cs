namespace EventSourcing.InMemory;

/// <summary>
/// A list one writer appends to (under the store's lock) while readers read without locks: an item is
/// published by the count, and a grown array is published before the count that needs it.
/// </summary>
internal sealed class AppendOnlyList<T>
    where T : class
{
    private T[] _items;
    private int _count;

    public AppendOnlyList(int capacity = 4) => _items = new T[capacity];

    public int Count => Volatile.Read(ref _count);

    /// <summary>A consistent view for readers: the first <c>count</c> items of <c>items</c>.</summary>
    public (T[] Items, int Count) View()
    {
        var count = Volatile.Read(ref _count);
        return (Volatile.Read(ref _items), count);
    }

    /// <summary>Writer only (under the store's lock). Items become visible to readers on <see cref="Publish"/>.</summary>
    public void Stage(int offset, T item)
    {
        var index = _count + offset;
        if (index >= _items.Length)
        {
            var grown = new T[Math.Max(_items.Length * 2, index + 1)];
            Array.Copy(_items, grown, index); // committed and already staged items
            Volatile.Write(ref _items, grown);
        }

        _items[index] = item;
    }

    public void Publish(int added) => Volatile.Write(ref _count, _count + added);

    public T this[int index] => _items[index];
}
