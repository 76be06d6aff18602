using Akka.Actor;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.ConfigService;
using static ConfigMonitor.ConfigService.ConfigServiceFaults;

namespace ConfigMonitor.Actors.Tests.Support;

/// <summary>Real reference config services (SQLite file, LRU cache) for the monitor to probe.</summary>
public static class ReferenceServices
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static IActorRef Start(ActorSystem system, TempDirectory data, string name) =>
        system.ActorOf(ConfigServiceActor.Props(new ConfigServiceSettings(data.File($"{name}.db"), name)), name);

    /// <summary>A target on <paramref name="service"/> whose loops all probe once at start, then hourly, with short timeouts.</summary>
    public static TargetDefinition Target(string id, IActorRef service, TimeSpan? interval = null, TimeSpan? probeTimeout = null)
    {
        var every = interval ?? TimeSpan.FromHours(1);
        var defaults = TargetDefinition.WithDefaults(id, service.Path.ToStringWithoutAddress());
        return defaults with
        {
            ProbeKey = "app.name",
            ProbeTimeout = probeTimeout ?? TimeSpan.FromMilliseconds(500),
            Performance = defaults.Performance with { Interval = every },
            Health = defaults.Health with { Interval = every },
            Cache = defaults.Cache with { Interval = every },
            Database = defaults.Database with { Interval = every },
            EventProbe = defaults.EventProbe with { Timeout = TimeSpan.FromMilliseconds(500) },
        };
    }

    public static Task Fault(IActorRef service, IConfigServiceFault fault) => service.Ask<FaultApplied>(fault, Timeout);
}
