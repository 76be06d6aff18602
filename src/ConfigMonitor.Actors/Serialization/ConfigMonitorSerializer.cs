using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Serialization;

/// <summary>
/// The explicit, stable serializer of every ConfigMonitor message, event and snapshot: System.Text.Json bodies with
/// short manifests, except the two bulk metric formats (MSB sample batches, MRS rollup snapshots), which are compact
/// binary layouts. A manifest, once released, keeps its meaning: rename a type freely, never reuse a manifest.
/// </summary>
public sealed class ConfigMonitorSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer id (outside Akka's reserved 0-100).</summary>
    public const int SerializerId = 4711;

    /// <summary>Type → manifest; the storage format's table of contents.</summary>
    public static readonly IReadOnlyDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        // config-service protocol
        [typeof(GetConfig)] = "cg", [typeof(ConfigValue)] = "cv", [typeof(GetConfigWithMetadata)] = "cgm", [typeof(ConfigEntry)] = "ce",
        [typeof(GetCacheStats)] = "cgs", [typeof(CacheStats)] = "cs", [typeof(ProbeDatabase)] = "dbp", [typeof(DatabaseProbeResult)] = "dbr",
        [typeof(Subscribe)] = "sub", [typeof(Subscribed)] = "subd", [typeof(NotifyChange)] = "nc", [typeof(ChangeNotified)] = "ncd",
        [typeof(ConfigChanged)] = "cch", [typeof(Unsubscribe)] = "uns", [typeof(Unsubscribed)] = "unsd", [typeof(ConfigServiceError)] = "cse",
        // targets
        [typeof(TargetDefinition)] = "td",
        [typeof(TargetRegistryCommands.RegisterTarget)] = "tr", [typeof(TargetRegistryCommands.TargetRegistered)] = "trd",
        [typeof(TargetRegistryCommands.TargetRejected)] = "trj", [typeof(TargetRegistryCommands.UnregisterTarget)] = "tu",
        [typeof(TargetRegistryCommands.TargetUnregistered)] = "tud", [typeof(TargetRegistryCommands.GetTargets)] = "tg", [typeof(TargetRegistryCommands.GetTarget)] = "tg1",
        [typeof(TargetRegistryCommands.TargetList)] = "tl", [typeof(TargetRegistryCommands.TargetConflict)] = "tc",
        [typeof(TargetRegistryEvents.RuntimeTargetAdded)] = "TA", [typeof(TargetRegistryEvents.RuntimeTargetRemoved)] = "TR",
        [typeof(TargetRegistryEvents.TargetRegistrySnapshot)] = "TS", [typeof(TargetDirectoryEntry)] = "tde",
        // monitoring
        [typeof(TargetMonitorCommands.MonitorTarget)] = "mt", [typeof(TargetMonitorCommands.StopMonitoringTarget)] = "smt",
        [typeof(TargetMonitorQueries.GetTargetStatus)] = "gts", [typeof(TargetMonitorQueries.TargetStatus)] = "ts",
        [typeof(TargetMonitorQueries.LoopStatus)] = "ls", [typeof(FacetStatus)] = "fs",
        [typeof(TargetMonitorCommands.EventProbeReported)] = "epx",
        [typeof(TargetMonitorQueries.GetTargetHealth)] = "gth", [typeof(TargetMonitorQueries.TargetHealthReport)] = "thr",
        // status board (the overview)
        [typeof(Overview.StatusBoardQueries.GetStatusPage)] = "sbq", [typeof(Overview.StatusBoardQueries.StatusPage)] = "sbp",
        [typeof(Overview.TargetSummary)] = "sbt", [typeof(Overview.StateCounts)] = "sbc",
        // metrics
        [typeof(MetricsCommands.RecordSamples)] = "mr", [typeof(MetricsCommands.PruneMetrics)] = "mp",
        [typeof(MetricsCommands.MetricsPruned)] = "mpd", [typeof(MetricsCommands.FlushMetrics)] = "mf",
        [typeof(MetricsCommands.MetricsFlushed)] = "mfd", [typeof(HandOffTarget)] = "mst",
        [typeof(MetricsQueries.GetLatestMetrics)] = "ml", [typeof(MetricsQueries.LatestMetrics)] = "mld",
        [typeof(MetricsQueries.GetMetricSummary)] = "mq", [typeof(MetricsQueries.MetricSummary)] = "msm",
        [typeof(MetricsQueries.GetRecentSamples)] = "mrq", [typeof(MetricsQueries.RecentSamples)] = "mra",
        [typeof(MetricsQueries.GetMetricsOverview)] = "moq", [typeof(MetricsQueries.MetricsOverview)] = "mov",
        [typeof(MetricsQueries.GetMetricSeries)] = "mser", [typeof(MetricsQueries.MetricSeriesAnswer)] = "mserd",
        [typeof(MetricsEvents.SamplesRecorded)] = "MSR", [typeof(MetricsEvents.MetricsSnapshot)] = "MSS",
        [typeof(MetricsEvents.SampleBatchRecorded)] = "MSB", [typeof(MetricsEvents.RollupSnapshot)] = "MRS",
        // alerts
        [typeof(Observation)] = "ob", [typeof(Alert)] = "al", [typeof(AlertChanged)] = "ach",
        [typeof(AlertCommands.AcknowledgeAlert)] = "aa", [typeof(AlertCommands.AlertAcknowledged)] = "aad",
        [typeof(AlertCommands.AlertNotFound)] = "anf", [typeof(AlertCommands.PruneAlerts)] = "ap", [typeof(AlertCommands.AlertsPruned)] = "apd",
        [typeof(AlertCommands.SubscribeToAlerts)] = "as", [typeof(AlertCommands.SubscribedToAlerts)] = "asd",
        [typeof(AlertCommands.UnsubscribeFromAlerts)] = "au",
        [typeof(AlertQueries.GetActiveAlerts)] = "aqa", [typeof(AlertQueries.GetAllAlerts)] = "aql", [typeof(AlertQueries.GetAlert)] = "ag",
        [typeof(AlertQueries.GetTargetAlerts)] = "aqt",
        [typeof(AlertQueries.AlertList)] = "alst", [typeof(AlertQueries.AlertFound)] = "af",
        [typeof(AlertEvents.AlertRaised)] = "AR", [typeof(AlertEvents.AlertSeverityChanged)] = "AS", [typeof(AlertEvents.AlertResolved)] = "AV",
        [typeof(AlertEvents.AlertWasAcknowledged)] = "AK", [typeof(AlertEvents.AlertsDropped)] = "AD", [typeof(AlertEvents.AlertBookSnapshot)] = "AB",
        [typeof(AlertEvents.AlertFired)] = "AF", [typeof(AlertEvents.AlertCancelled)] = "AC", [typeof(AlertEvents.AlertWasUnacknowledged)] = "AU",
        [typeof(AlertEvents.AlertNotified)] = "AN", [typeof(AlertEvents.SilenceAdded)] = "SA", [typeof(AlertEvents.SilenceEnded)] = "SE",
        [typeof(AlertEvents.MaintenanceWindowAdded)] = "WA", [typeof(AlertEvents.MaintenanceWindowRemoved)] = "WR", [typeof(AlertEvents.MutesDropped)] = "MD",
        [typeof(AlertCommands.UnacknowledgeAlert)] = "ua", [typeof(AlertCommands.AlertUnacknowledged)] = "uad",
        [typeof(AlertCommands.CreateSilence)] = "scr", [typeof(AlertCommands.SilenceCreated)] = "scd", [typeof(AlertCommands.SilenceRejected)] = "srj",
        [typeof(AlertCommands.ExpireSilence)] = "sex", [typeof(AlertCommands.SilenceExpired)] = "sexd", [typeof(AlertCommands.SilenceNotFound)] = "snf",
        [typeof(AlertCommands.CreateMaintenanceWindow)] = "mwc", [typeof(AlertCommands.MaintenanceWindowCreated)] = "mwcd",
        [typeof(AlertCommands.MaintenanceWindowRejected)] = "mwrj", [typeof(AlertCommands.DeleteMaintenanceWindow)] = "mwd",
        [typeof(AlertCommands.MaintenanceWindowDeleted)] = "mwdd", [typeof(AlertCommands.MaintenanceWindowNotFound)] = "mwnf",
        [typeof(AlertCommands.UpdateTargetGroups)] = "utg", [typeof(AlertCommands.TargetRemoved)] = "atr",
        [typeof(AlertEvents.TargetRetired)] = "AT",
        [typeof(TargetAlertReport)] = "tar", [typeof(TargetAlertReportReceived)] = "tarr",
        [typeof(ForgetTargetAlerts)] = "fta",
        [typeof(TargetAlertEvents.RuleRecorded)] = "TRR", [typeof(TargetAlertEvents.RulesCleared)] = "TRC",
        [typeof(TargetAlertEvents.TargetAlertsSnapshot)] = "TRS",
        [typeof(AlertQueries.GetSilences)] = "sq", [typeof(AlertQueries.SilenceList)] = "sl",
        [typeof(AlertQueries.GetMaintenanceWindows)] = "mwq", [typeof(AlertQueries.MaintenanceWindowList)] = "mwl",
        [typeof(Notifications.Notification)] = "ntf",
        [typeof(Notifications.OutboxCommands.RefreshFiring)] = "orf", [typeof(Notifications.OutboxCommands.GetOutboxStatus)] = "oq",
        [typeof(Notifications.OutboxCommands.OutboxStatus)] = "os",
        [typeof(Notifications.OutboxEvents.NotificationQueued)] = "NQ", [typeof(Notifications.OutboxEvents.NotificationDelivered)] = "ND",
        [typeof(Notifications.OutboxEvents.NotificationAbandoned)] = "NX", [typeof(Notifications.OutboxEvents.OutboxSnapshot)] = "NS",
        // maintenance and health
        [typeof(EventProbeResult)] = "epr", [typeof(MaintenanceCommands.RunRetention)] = "rr",
        [typeof(MaintenanceCommands.RetentionCompleted)] = "rc", [typeof(MaintenanceCommands.RunEventProbes)] = "rep",
        [typeof(HealthQueries.GetHealthReport)] = "hq", [typeof(HealthCheckResult)] = "hcr", [typeof(HealthReport)] = "hr",
    };

    private static readonly IReadOnlyDictionary<string, Type> TypesByManifest = Manifests.ToDictionary(kv => kv.Value, kv => kv.Key);

    private readonly JsonSerializerOptions _options;

    /// <summary>Creates the serializer for <paramref name="system"/> (actor references resolve through it).</summary>
    public ConfigMonitorSerializer(ExtendedActorSystem system) : base(system)
    {
        _options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            IgnoreReadOnlyProperties = true,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new ActorRefConverter(system) },
        };
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().FullName} has no manifest in ConfigMonitorSerializer.Manifests; add one");

    /// <summary>
    /// The largest payload written: 3 MiB, below the cluster's 4 MiB frame (akka.hocon's maximum-frame-size) with room for the
    /// envelope. A larger one throws, so an oversize event is refused by the journal (the persist fails, the actor keeps its
    /// state) and an oversize message is dropped by remoting, instead of a frame no node can read.
    /// </summary>
    public const int MaxPayloadBytes = 3 * 1024 * 1024;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var bytes = obj switch
        {
            MetricsEvents.SampleBatchRecorded batch => MetricSampleBatchFormat.Write(batch.Samples),
            MetricsEvents.RollupSnapshot snapshot => snapshot.Rollups,
            _ => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options),
        };
        if (bytes.Length > MaxPayloadBytes)
            throw new SerializationException(
                $"{obj.GetType().Name} ({Manifest(obj)}) is {bytes.Length} bytes, more than the {MaxPayloadBytes} bytes a ConfigMonitor message may have " +
                "(the cluster's frame is 4 MiB); it is neither stored nor sent");
        return bytes;
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypesByManifest.TryGetValue(manifest, out var type))
            throw new SerializationException($"Unknown ConfigMonitor manifest '{manifest}': written by a newer version of ConfigMonitor?");
        if (type == typeof(MetricsEvents.SampleBatchRecorded)) return new MetricsEvents.SampleBatchRecorded(MetricSampleBatchFormat.Read(bytes));
        if (type == typeof(MetricsEvents.RollupSnapshot)) return new MetricsEvents.RollupSnapshot(bytes);
        return JsonSerializer.Deserialize(bytes, type, _options)
               ?? throw new SerializationException($"ConfigMonitor manifest '{manifest}' decoded to null");
    }

    /// <summary>Writes an actor reference as its serialized path and resolves it on read.</summary>
    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override bool CanConvert(Type typeToConvert) => typeof(IActorRef).IsAssignableFrom(typeToConvert);

        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var path = reader.GetString();
            return string.IsNullOrEmpty(path) ? ActorRefs.Nobody : system.Provider.ResolveActorRef(path);
        }

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}

/// <summary>Registers <see cref="ConfigMonitorSerializer"/> for every <see cref="IConfigMonitorMessage"/>.</summary>
public static class ConfigMonitorSerializerExtensions
{
    /// <summary>Binds every ConfigMonitor message, event and snapshot to the ConfigMonitor serializer.</summary>
    public static AkkaConfigurationBuilder AddConfigMonitorSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("configmonitor", [typeof(IConfigMonitorMessage)], system => new ConfigMonitorSerializer(system));
}
