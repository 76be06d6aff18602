using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>
/// The shape an http facet expects: its preset and each field with the preset's default filled in. The reference shape's
/// extras (the <c>/metadata</c> route, the row count at <c>/database/rows</c>, the <c>: subscribed</c> handshake) apply when
/// the facet uses the reference's own path; a custom <c>Path</c> is read as a plain JSON API of that shape. <see cref="Actuator"/>:
/// the facet reads Spring Boot Actuator's endpoints (env, cache metrics, health components).
/// </summary>
public sealed record HttpShape(string Preset, string Path, string? Pointer, string HitsPointer, string MissesPointer, string SizePointer,
    string? MaxSizePointer, string NotifyPath, bool ReferenceRoute, bool Actuator)
{
    /// <summary>The reference service's routes.</summary>
    public const string ConfigPath = "/config/{key}", CachePath = "/cache/stats", HealthPath = "/health", EventsPath = "/events?key={key}",
        NotifyEventsPath = "/events/notify";

    /// <summary>Spring: the default application and profile (spring.application.name and the profile when none is set).</summary>
    public const string SpringCloudConfigPath = "/application/default";

    /// <summary>Spring Boot Actuator's endpoints under the default base path.</summary>
    public const string ActuatorEnvPath = "/actuator/env/{key}", ActuatorMetricsPath = "/actuator/metrics", ActuatorHealthPath = "/actuator/health";

    /// <summary>Where a metrics endpoint reply holds the figure.</summary>
    public const string ActuatorMeasurement = "/measurements/0/value";

    /// <summary>The shape of <paramref name="facet"/> with <paramref name="settings"/>' fields over the preset's defaults.</summary>
    public static HttpShape Of(string facet, FacetSettings settings)
    {
        var preset = settings.Preset?.Trim().ToLowerInvariant() is { Length: > 0 } named ? named : HttpPresetNames.Reference;
        // Spring Cloud Config Server is a Spring Boot application: its cache and health are Actuator's.
        var spring = preset is HttpPresetNames.SpringBootActuator || (preset is HttpPresetNames.SpringCloudConfig && facet != FacetNames.Config);
        var defaultPath = (facet, preset, spring) switch
        {
            (FacetNames.Config, HttpPresetNames.SpringCloudConfig, _) => SpringCloudConfigPath,
            (FacetNames.Config, _, true) => ActuatorEnvPath,
            (FacetNames.Config, _, _) => ConfigPath,
            (FacetNames.Cache, _, true) => ActuatorMetricsPath,
            (FacetNames.Cache, _, _) => CachePath,
            (FacetNames.Database, _, true) => ActuatorHealthPath,
            (FacetNames.Database, _, _) => HealthPath,
            _ => EventsPath,
        };
        var path = settings.Path ?? defaultPath;
        var referenceRoute = preset == HttpPresetNames.Reference && path == defaultPath;
        var pointer = settings.Pointer ?? (facet, spring) switch
        {
            (FacetNames.Config, true) => "/property/value",
            (FacetNames.Config, false) => "/value",
            (FacetNames.Database, true) => "/components/db/status",
            (FacetNames.Database, false) when referenceRoute => "/database/rows",
            _ => null,
        };
        return spring
            ? new HttpShape(preset, path, pointer, settings.HitsPointer ?? ActuatorMeasurement, settings.MissesPointer ?? ActuatorMeasurement,
                settings.SizePointer ?? ActuatorMeasurement, settings.MaxSizePointer, settings.NotifyPath ?? NotifyEventsPath, referenceRoute, spring)
            : new HttpShape(preset, path, pointer, settings.HitsPointer ?? "/hits", settings.MissesPointer ?? "/misses",
                settings.SizePointer ?? "/size", settings.MaxSizePointer ?? "/maxSize", settings.NotifyPath ?? NotifyEventsPath, referenceRoute, spring);
    }
}
