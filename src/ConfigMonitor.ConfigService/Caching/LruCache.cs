using System.Diagnostics.CodeAnalysis;

namespace ConfigMonitor.ConfigService.Caching;

/// <summary>A fixed-capacity least-recently-used cache with O(1) get and put, counting hits and misses; not thread-safe.</summary>
public sealed class LruCache<TKey, TValue> where TKey : notnull
{
    // Most recently used entry at the front, eviction candidate at the back.
    private readonly LinkedList<KeyValuePair<TKey, TValue>> _recency = new();
    private readonly Dictionary<TKey, LinkedListNode<KeyValuePair<TKey, TValue>>> _entries;

    /// <summary>Creates an empty cache holding at most <paramref name="capacity"/> entries.</summary>
    public LruCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _entries = new Dictionary<TKey, LinkedListNode<KeyValuePair<TKey, TValue>>>(capacity);
    }

    /// <summary>The most entries the cache holds before evicting.</summary>
    public int Capacity { get; }

    /// <summary>The number of entries held now.</summary>
    public int Count => _entries.Count;

    /// <summary>Lookups that found their key since creation or the last <see cref="ResetStatistics"/>.</summary>
    public long Hits { get; private set; }

    /// <summary>Lookups that did not find their key since creation or the last <see cref="ResetStatistics"/>.</summary>
    public long Misses { get; private set; }

    /// <summary>Looks a key up, counting a hit or a miss; a hit makes the entry the most recently used.</summary>
    public bool TryGet(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_entries.TryGetValue(key, out var node))
        {
            MoveToFront(node);
            Hits++;
            value = node.Value.Value;
            return true;
        }

        Misses++;
        value = default;
        return false;
    }

    /// <summary>Whether the key is cached, without counting a lookup or changing recency.</summary>
    public bool ContainsKey(TKey key) => _entries.ContainsKey(key);

    /// <summary>Adds or replaces an entry as the most recently used; returns true when another entry was evicted to make room.</summary>
    public bool Put(TKey key, TValue value)
    {
        if (_entries.TryGetValue(key, out var existing))
        {
            existing.Value = new KeyValuePair<TKey, TValue>(key, value);
            MoveToFront(existing);
            return false;
        }

        var evicted = false;
        if (_entries.Count >= Capacity)
        {
            var oldest = _recency.Last!;
            _recency.RemoveLast();
            _entries.Remove(oldest.Value.Key);
            evicted = true;
        }

        _entries[key] = _recency.AddFirst(new KeyValuePair<TKey, TValue>(key, value));
        return evicted;
    }

    /// <summary>Removes a key; returns whether it was cached.</summary>
    public bool Remove(TKey key)
    {
        if (!_entries.Remove(key, out var node))
            return false;
        _recency.Remove(node);
        return true;
    }

    /// <summary>Removes every entry; the hit and miss counters are kept.</summary>
    public void Clear()
    {
        _entries.Clear();
        _recency.Clear();
    }

    /// <summary>Sets the hit and miss counters back to zero.</summary>
    public void ResetStatistics()
    {
        Hits = 0;
        Misses = 0;
    }

    private void MoveToFront(LinkedListNode<KeyValuePair<TKey, TValue>> node)
    {
        if (node == _recency.First)
            return;
        _recency.Remove(node);
        _recency.AddFirst(node);
    }
}
