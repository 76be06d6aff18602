using ConfigMonitor.ConfigService.Caching;

namespace ConfigMonitor.ConfigService.Tests;

public class LruCacheSpecs
{
    [Fact]
    public void Should_return_a_stored_value_and_count_a_hit()
    {
        var cache = new LruCache<string, int>(2);
        cache.Put("a", 1);

        Assert.True(cache.TryGet("a", out var value));
        Assert.Equal(1, value);
        Assert.Equal(1, cache.Hits);
        Assert.Equal(0, cache.Misses);
    }

    [Fact]
    public void Should_count_a_miss_for_an_absent_key()
    {
        var cache = new LruCache<string, int>(2);

        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(0, cache.Hits);
        Assert.Equal(1, cache.Misses);
    }

    [Fact]
    public void Should_evict_the_least_recently_used_entry_when_full()
    {
        var cache = new LruCache<string, int>(2);
        cache.Put("a", 1);
        cache.Put("b", 2);

        var evicted = cache.Put("c", 3);

        Assert.True(evicted);
        Assert.Equal(2, cache.Count);
        Assert.False(cache.ContainsKey("a"));
        Assert.True(cache.ContainsKey("b"));
        Assert.True(cache.ContainsKey("c"));
    }

    [Fact]
    public void Should_keep_a_recently_read_entry_over_an_older_unread_one()
    {
        var cache = new LruCache<string, int>(2);
        cache.Put("a", 1);
        cache.Put("b", 2);
        cache.TryGet("a", out _);

        cache.Put("c", 3);

        Assert.True(cache.ContainsKey("a"));
        Assert.False(cache.ContainsKey("b"));
    }

    [Fact]
    public void Should_replace_the_value_of_an_existing_key_without_growing_or_evicting()
    {
        var cache = new LruCache<string, int>(2);
        cache.Put("a", 1);
        cache.Put("b", 2);

        var evicted = cache.Put("a", 10);

        Assert.False(evicted);
        Assert.Equal(2, cache.Count);
        Assert.True(cache.TryGet("a", out var value));
        Assert.Equal(10, value);
        cache.Put("c", 3);
        Assert.False(cache.ContainsKey("b"));
    }

    [Fact]
    public void Should_forget_a_removed_key_and_report_whether_it_was_there()
    {
        var cache = new LruCache<string, int>(2);
        cache.Put("a", 1);

        Assert.True(cache.Remove("a"));
        Assert.False(cache.Remove("a"));
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet("a", out _));
    }

    [Fact]
    public void Should_empty_on_clear_and_zero_its_counters_only_on_reset_statistics()
    {
        var cache = new LruCache<string, int>(3);
        cache.Put("a", 1);
        cache.TryGet("a", out _);
        cache.TryGet("b", out _);

        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.Equal(3, cache.Capacity);
        Assert.Equal(1, cache.Hits);
        Assert.Equal(1, cache.Misses);

        cache.ResetStatistics();
        Assert.Equal(0, cache.Hits);
        Assert.Equal(0, cache.Misses);
    }

    [Fact]
    public void Should_stay_within_capacity_under_many_puts()
    {
        var cache = new LruCache<int, int>(10);
        for (var i = 0; i < 1000; i++)
            cache.Put(i, i);

        Assert.Equal(10, cache.Count);
        for (var i = 990; i < 1000; i++)
            Assert.True(cache.ContainsKey(i));
    }

    [Fact]
    public void Should_refuse_a_capacity_below_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LruCache<string, int>(0));
    }
}
