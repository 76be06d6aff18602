using ConfigMonitor.Actors.Time;

namespace ConfigMonitor.ConfigService;

/// <summary>How a reference configuration service is set up: its SQLite file, cache size, seed data, name and clock.</summary>
public sealed record ConfigServiceSettings(string DatabasePath, string ServiceName)
{
    /// <summary>The most configuration entries kept in the LRU cache.</summary>
    public int CacheCapacity { get; init; } = 100;

    /// <summary>Whether an empty table is filled with realistic sample rows at start.</summary>
    public bool SeedSampleRows { get; init; } = true;

    /// <summary>How long a database call waits for a lock held by another connection before failing.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The source of "now" for <c>updated_at</c> and change events.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;
}
