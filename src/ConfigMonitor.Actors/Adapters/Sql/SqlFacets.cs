using System.Globalization;
using ConfigMonitor.Actors.Targets;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Adapters.Sql;

/// <summary>
/// The clients of the 'sql' kind: PostgreSQL through Npgsql (config, database, events by LISTEN/NOTIFY) and a SQLite file through
/// Microsoft.Data.Sqlite (config, database). Config and database probes run read-only; only the event probe writes, and only
/// a NOTIFY on its own channel.
/// </summary>
public static class SqlFacets
{
    /// <summary>The client of <paramref name="context"/>'s facet (cheap: no I/O; the pool opens connections on first use).</summary>
    public static object Create(FacetContext context)
    {
        var settings = context.Facet.Settings;
        return SqlProviders.Is(settings.Provider, SqlProviders.Sqlite)
            ? new SqliteFacet(context)
            : new PostgresFacet(context);
    }
}

/// <summary>The queries a sql facet runs unless its section names its own.</summary>
public static class SqlQueries
{
    /// <summary>The config facet's default read: the reference schema's value column.</summary>
    public const string DefaultConfig = "SELECT value FROM system_configurations WHERE key = @key";

    /// <summary>The read with metadata used when the config Query is the default.</summary>
    public const string DefaultMetadata = "SELECT value, description, updated_at, version FROM system_configurations WHERE key = @key";

    /// <summary>The database facet's default row count.</summary>
    public const string DefaultRowCount = "SELECT COUNT(*) FROM system_configurations";

    /// <summary>The PostgreSQL channel the event probe listens on and notifies by default.</summary>
    public const string DefaultChannel = "configmonitor_probe";

    /// <summary>The config Query of <paramref name="settings"/>, or the default.</summary>
    public static string ConfigQuery(FacetSettings settings) => string.IsNullOrWhiteSpace(settings.Query) ? DefaultConfig : settings.Query.Trim().TrimEnd(';');

    /// <summary>True when the config Query is the default one (so the metadata columns of the reference schema can be read).</summary>
    public static bool IsDefaultConfig(FacetSettings settings) => ConfigQuery(settings) == DefaultConfig;

    /// <summary>The database facet's row count query.</summary>
    public static string RowCountQuery(FacetSettings settings) =>
        string.IsNullOrWhiteSpace(settings.Query) ? DefaultRowCount : settings.Query.Trim().TrimEnd(';');

    /// <summary>The metadata read for <paramref name="settings"/>: the default's columns, or the custom Query (value only).</summary>
    public static string MetadataQuery(FacetSettings settings) => IsDefaultConfig(settings) ? DefaultMetadata : ConfigQuery(settings);

    /// <summary>A column value as text (the value column may be text, a number, json…); null for SQL NULL.</summary>
    public static string? AsText(object? value) => value switch
    {
        null or DBNull => null,
        string s => s,
        byte[] bytes => Convert.ToBase64String(bytes),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>The updated_at column (timestamptz, or SQLite text) as an instant; null when absent or unreadable.</summary>
    public static DateTimeOffset? AsInstant(object? value) => value switch
    {
        DateTimeOffset o => o,
        DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d.ToUniversalTime()),
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
        _ => null,
    };

    /// <summary>The version column as a number; 0 when absent.</summary>
    public static long AsVersion(object? value) => value switch
    {
        null or DBNull => 0,
        long l => l,
        int i => i,
        short s => s,
        decimal m => (long)m,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => 0,
    };

    /// <summary>A row of the metadata query as a <see cref="ConfigEntry"/> (only the value when the query is custom).</summary>
    public static ConfigEntry Entry(string key, object?[]? row, bool withMetadata) => row is null
        ? new ConfigEntry(key, null, false, null, null, 0, false)
        : new ConfigEntry(key, AsText(row[0]), true,
            withMetadata && row.Length > 1 ? AsText(row[1]) : null,
            withMetadata && row.Length > 2 ? AsInstant(row[2]) : null,
            withMetadata && row.Length > 3 ? AsVersion(row[3]) : 0, false);

    /// <summary>The probe timeout rounded up to whole seconds (at least 1): the unit of the drivers' own timeouts, a backstop.</summary>
    public static int Seconds(TimeSpan timeout) => Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
}

/// <summary>Runs one database call under the probe timeout and turns what went wrong into a probe failure with its reason.</summary>
internal static class SqlDeadline
{
    /// <summary>
    /// Runs <paramref name="work"/> with a token cancelled at <paramref name="timeout"/>, and returns (or throws
    /// <see cref="ProbeTimeoutException"/>) at that deadline even if the driver is still winding the call down: the driver got the
    /// same token (Npgsql sends PostgreSQL a cancel request; SQLite is interrupted) and finishes in the background.
    /// </summary>
    public static async Task<T> Run<T>(string operation, TimeSpan timeout, Func<CancellationToken, Task<T>> work, Func<string, Exception, Exception> failure)
    {
        using var deadline = new CancellationTokenSource(timeout);
        Task<T> task;
        try
        {
            task = work(deadline.Token);
        }
        catch (Exception e)
        {
            throw Translate(operation, timeout, e, deadline.IsCancellationRequested, failure);
        }
        try
        {
            return await task.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (!task.IsCompleted)
                _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw Translate(operation, timeout, e, deadline.IsCancellationRequested, failure);
        }
    }

    private static Exception Translate(string operation, TimeSpan timeout, Exception e, bool deadlinePassed, Func<string, Exception, Exception> failure)
    {
        if (e is ProbeTimeoutException or ConfigServiceException) return e;
        // Past the deadline, whatever the driver says (a cancelled query, a connection attempt cut short) is the timeout.
        if (deadlinePassed || e is OperationCanceledException || Find<TimeoutException>(e) is not null) return new ProbeTimeoutException(operation, timeout);
        if (Find<SecretUnavailableException>(e) is { } secret) return new ConfigServiceException(operation, secret.Message);
        return failure(operation, e);
    }

    /// <summary>The first exception of type <typeparamref name="T"/> in <paramref name="e"/>'s inner chain.</summary>
    public static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }
}
