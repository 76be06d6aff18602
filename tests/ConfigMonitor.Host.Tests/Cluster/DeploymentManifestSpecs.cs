using System.Text;
using System.Text.RegularExpressions;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Host.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using YamlDotNet.RepresentationModel;

namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>
/// No Docker engine or Kubernetes runs here, so the deployment files are read and checked against the node itself: every
/// ConfigMonitor__ variable goes through the node's real settings readers (unknown keys stop a node), ports equal the settings,
/// probes name the node's real health routes, seeds name the StatefulSet's pods through the headless service (pod 0 first,
/// and pod 0's own address), secrets are referenced, never inlined, and every supervisor restarts exit 3 (systemd not exit 2).
/// </summary>
public sealed class DeploymentManifestSpecs
{
    private static readonly string Deploy = Path.Combine(LocalCluster.RepositoryRoot, "deploy");
    private const string Namespace = "monitoring";
    private static readonly Dictionary<string, string> SecretPlaceholders = new()
    {
        ["ConfigMonitor:ConnectionString"] = "Host=postgres;Database=configmonitor;Username=configmonitor;Password=placeholder",
        ["ConfigMonitor:Api:Token"] = "placeholder-token",
    };

    // --- YAML helpers ------------------------------------------------------------------------------------------------

    private static List<YamlMappingNode> Documents(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode)).ToList();
    }

    private static YamlNode? At(YamlNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out node)) return null;
        }
        return node;
    }

    private static string? Text(YamlNode? node, params string[] path) => (At(node, path) as YamlScalarNode)?.Value;

    private static IEnumerable<YamlNode> Items(YamlNode? node) => node is YamlSequenceNode list ? list.Children : [];

    private static List<YamlMappingNode> Kubernetes() =>
        Directory.GetFiles(Path.Combine(Deploy, "kubernetes"), "*.yaml").Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(Documents).ToList();

    private static YamlMappingNode Kind(IEnumerable<YamlMappingNode> documents, string kind, Func<YamlMappingNode, bool>? where = null) =>
        Assert.Single(documents, d => Text(d, "kind") == kind && (where?.Invoke(d) ?? true));

    // --- the node's own rules ----------------------------------------------------------------------------------------

    /// <summary>The settings a node reads from these variables (and appsettings.json), through its real readers; throws what the node would refuse.</summary>
    private static (ConfigMonitorOptions Options, ApiSettings Api, IReadOnlyList<TargetDefinition> Targets) NodeSettings(
        IReadOnlyDictionary<string, string> environment, string? appsettingsJson = null)
    {
        var builder = new ConfigurationBuilder();
        if (appsettingsJson is not null) builder.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(appsettingsJson)));
        // As the environment provider maps them: '__' is ':', names are case-insensitive.
        builder.AddInMemoryCollection(environment.Where(e => e.Key.StartsWith("ConfigMonitor__", StringComparison.OrdinalIgnoreCase))
            .Select(e => new KeyValuePair<string, string?>(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)));
        var section = builder.Build().GetSection(ConfigMonitorOptionsReader.SectionName);
        Assert.Empty(ConfigMonitorOptionsReader.UnknownKeyProblems(section));
        var options = ConfigMonitorOptionsReader.Read(section);
        var api = ApiSettings.Read(section);
        var demoEnabled = !string.Equals(section["Demo:Enabled"], "false", StringComparison.OrdinalIgnoreCase);
        return (options, api, TargetDefinitionReader.Read(section.GetSection("Targets"), demoEnabled ? [] : ["demo"]));
    }

    /// <summary>The routes <see cref="HealthEndpoints.MapHealthEndpoints"/> really maps.</summary>
    private static async Task<IReadOnlyList<string>> HealthRoutesAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddHealthChecks();
        await using var app = builder.Build();
        app.MapHealthEndpoints();
        return ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText ?? "").ToList();
    }

    private static int PortOf(string url) => new Uri(url).Port;

    // --- Kubernetes --------------------------------------------------------------------------------------------------

    /// <summary>The container's environment for one pod, after Kubernetes' $(VAR) expansion; secret references become placeholders.</summary>
    private static Dictionary<string, string> PodEnvironment(YamlMappingNode container, string podName)
    {
        var environment = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in Items(At(container, "env")))
        {
            var name = Text(item, "name")!;
            var key = name.Replace("__", ":", StringComparison.Ordinal);
            if (At(item, "valueFrom", "secretKeyRef") is not null)
            {
                Assert.True(SecretPlaceholders.ContainsKey(key), $"{name} comes from a Secret; only the connection string and the token should");
                environment[name] = SecretPlaceholders[key];
                continue;
            }
            var fieldPath = Text(item, "valueFrom", "fieldRef", "fieldPath");
            if (fieldPath is not null)
            {
                environment[name] = fieldPath switch
                {
                    "metadata.name" => podName,
                    "metadata.namespace" => Namespace,
                    _ => throw new Xunit.Sdk.XunitException($"{name} reads {fieldPath}, which this check does not know"),
                };
                continue;
            }
            var value = Text(item, "value") ?? throw new Xunit.Sdk.XunitException($"{name} has neither value nor valueFrom");
            // Kubernetes expands $(VAR) only for variables defined earlier in the list; anything else stays literal, which would be a wrong address.
            environment[name] = Regex.Replace(value, @"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", m =>
                environment.TryGetValue(m.Groups[1].Value, out var earlier)
                    ? earlier
                    : throw new Xunit.Sdk.XunitException($"{name} refers to $({m.Groups[1].Value}), which is not defined before it"));
        }
        return environment;
    }

    [Fact]
    public async Task The_StatefulSet_should_configure_every_pod_with_settings_the_node_accepts_and_seeds_that_name_its_pods()
    {
        var documents = Kubernetes();
        var statefulSet = Kind(documents, "StatefulSet");
        var name = Text(statefulSet, "metadata", "name")!;
        var replicas = int.Parse(Text(statefulSet, "spec", "replicas")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(3, replicas);
        var headlessName = Text(statefulSet, "spec", "serviceName")!;
        var headless = Kind(documents, "Service", d => Text(d, "metadata", "name") == headlessName);
        Assert.Equal("None", Text(headless, "spec", "clusterIP"));
        // A pod becomes ready only after joining through these names, so they must resolve before it is ready.
        Assert.Equal("true", Text(headless, "spec", "publishNotReadyAddresses"));

        var pod = At(statefulSet, "spec", "template")!;
        var container = Assert.IsType<YamlMappingNode>(Assert.Single(Items(At(pod, "spec", "containers"))));
        var ports = Items(At(container, "ports")).ToDictionary(p => Text(p, "name")!, p => int.Parse(Text(p, "containerPort")!, System.Globalization.CultureInfo.InvariantCulture));
        var configMapName = Text(Items(At(pod, "spec", "volumes")).Single(v => At(v, "configMap") is not null), "configMap", "name");
        var configMap = Kind(documents, "ConfigMap", d => Text(d, "metadata", "name") == configMapName);
        var appsettings = Text(configMap, "data", "appsettings.json")!;
        var mount = Items(At(container, "volumeMounts")).Single(m => Text(m, "subPath") == "appsettings.json");
        Assert.Equal("/app/appsettings.json", Text(mount, "mountPath"));

        for (var i = 0; i < replicas; i++)
        {
            var podName = $"{name}-{i}";
            var (options, api, targets) = NodeSettings(PodEnvironment(container, podName), appsettings);
            Assert.Equal(ports["akka"], options.Port);
            Assert.Equal(ports["api"], PortOf(api.Url));
            Assert.NotNull(api.Token);
            Assert.Equal(PersistenceProvider.PostgreSql, options.Persistence);
            Assert.NotEmpty(targets);
            Assert.Equal("0.0.0.0", options.Hostname);
            var dns = $"{headlessName}.{Namespace}.svc.cluster.local";
            Assert.Equal($"{podName}.{dns}", options.PublicHostname);
            // Every pod lists every pod, pod 0 first: only pod 0 may form a new cluster, and it lists its own address first.
            Assert.Equal(Enumerable.Range(0, replicas).Select(k => $"akka.tcp://{options.ActorSystemName}@{name}-{k}.{dns}:{options.Port}"), options.SeedNodes);
            if (i == 0) Assert.Equal($"akka.tcp://{options.ActorSystemName}@{options.PublicHostname}:{options.Port}", options.SeedNodes[0]);
            Assert.Equal(Text(Items(At(container, "volumeMounts")).Single(m => Text(m, "name") == "data"), "mountPath"), options.DataDirectory);
        }

        var routes = await HealthRoutesAsync();
        foreach (var (probe, path) in new[] { ("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready"), ("startupProbe", "/health/live") })
        {
            Assert.Contains(path, routes);
            Assert.Equal(path, Text(container, probe, "httpGet", "path"));
            Assert.Equal("api", Text(container, probe, "httpGet", "port"));
        }

        // Pods always come back (a downed node exits 3); CoordinatedShutdown fits in the grace period.
        Assert.Contains(Text(pod, "spec", "restartPolicy") ?? "Always", new[] { "Always" });
        var shutdown = int.Parse(PodEnvironment(container, name + "-0")["DOTNET_SHUTDOWNTIMEOUTSECONDS"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(int.Parse(Text(pod, "spec", "terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture) > shutdown);

        // The API Service reaches the pods' api port; both Services select the pods.
        var podLabels = ((YamlMappingNode)At(pod, "metadata", "labels")!).Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());
        foreach (var service in documents.Where(d => Text(d, "kind") == "Service"))
            Assert.All(((YamlMappingNode)At(service, "spec", "selector")!).Children, s => Assert.Equal(podLabels[s.Key.ToString()], s.Value.ToString()));
        var apiService = Kind(documents, "Service", d => Text(d, "spec", "clusterIP") != "None");
        Assert.Equal("api", Text(Assert.Single(Items(At(apiService, "spec", "ports"))), "targetPort"));
    }

    [Fact]
    public void Secrets_should_be_referenced_and_never_written_into_the_manifests()
    {
        var documents = Kubernetes();
        var container = Items(At(Kind(documents, "StatefulSet"), "spec", "template", "spec", "containers")).Single();
        foreach (var setting in new[] { "ConfigMonitor__ConnectionString", "ConfigMonitor__Api__Token" })
        {
            var item = Items(At(container, "env")).Single(e => Text(e, "name") == setting);
            Assert.Null(Text(item, "value"));
            Assert.Equal("configmonitor-secrets", Text(item, "valueFrom", "secretKeyRef", "name"));
        }
        // The applied files hold no Secret and no password; the example Secret is not in the kustomization.
        var kustomization = Documents(Path.Combine(Deploy, "kubernetes", "kustomization.yaml")).Single();
        var applied = Items(At(kustomization, "resources")).Select(r => r.ToString()).ToList();
        Assert.DoesNotContain("secret.example.yaml", applied);
        Assert.All(applied, f => Assert.True(File.Exists(Path.Combine(Deploy, "kubernetes", f)), $"kustomization.yaml lists {f}, which does not exist"));
        foreach (var file in applied)
        {
            var text = File.ReadAllText(Path.Combine(Deploy, "kubernetes", file));
            Assert.DoesNotContain("kind: Secret", text, StringComparison.Ordinal);
            Assert.DoesNotMatch("(?i)password=|\"Token\"|ConnectionString\"", text);
        }
    }

    [Fact]
    public void The_settings_check_should_refuse_a_misspelt_variable_and_a_seed_of_another_system()
    {
        // The checks above are only worth something if they can fail: the same readers on one wrong name, and on one wrong seed.
        var container = Items(At(Kind(Kubernetes(), "StatefulSet"), "spec", "template", "spec", "containers")).Single();
        var environment = PodEnvironment((YamlMappingNode)container, "configmonitor-1");
        var misspelt = new Dictionary<string, string>(environment) { ["ConfigMonitor__SeedNode__0"] = environment["ConfigMonitor__SeedNodes__0"] };
        Assert.ThrowsAny<Exception>(() => NodeSettings(misspelt));
        var wrongSystem = new Dictionary<string, string>(environment) { ["ConfigMonitor__SeedNodes__0"] = "akka.tcp://other@configmonitor-0.configmonitor-headless.monitoring.svc.cluster.local:4053" };
        var refused = Assert.Throws<InvalidConfigMonitorOptionsException>(() => NodeSettings(wrongSystem));
        Assert.Contains("SeedNodes:0", refused.Message, StringComparison.Ordinal);
    }

    // --- Dockerfile, compose, systemd --------------------------------------------------------------------------------

    [Fact]
    public void The_Dockerfile_should_publish_the_node_and_run_it_as_pid_1_on_the_manifests_ports()
    {
        var lines = File.ReadAllLines(Path.Combine(Deploy, "Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        Assert.Contains("dotnet/sdk:10.0", froms[0], StringComparison.Ordinal);
        Assert.Contains("dotnet/aspnet:10.0", froms[1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("RUN dotnet publish src/ConfigMonitor.Host/ConfigMonitor.Host.csproj", StringComparison.Ordinal));
        // Exec form: dotnet gets SIGTERM itself and its exit code (2, 3 …) is the container's.
        Assert.Equal("ENTRYPOINT [\"dotnet\", \"ConfigMonitor.Host.dll\"]", lines.Single(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)));
        Assert.Contains("STOPSIGNAL SIGTERM", lines);
        var exposed = lines.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))["EXPOSE ".Length..].Split(' ').Select(int.Parse).Order().ToList();
        var container = Items(At(Kind(Kubernetes(), "StatefulSet"), "spec", "template", "spec", "containers")).Single();
        Assert.Equal(Items(At(container, "ports")).Select(p => int.Parse(Text(p, "containerPort")!, System.Globalization.CultureInfo.InvariantCulture)).Order(), exposed);
        Assert.Contains(lines, l => l.Contains("ASPNETCORE_HTTP_PORTS=\"\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("USER ", StringComparison.Ordinal));
    }

    [Fact]
    public void The_compose_file_should_run_three_nodes_with_settings_the_node_accepts_on_one_postgresql()
    {
        var compose = Documents(Path.Combine(Deploy, "compose.yaml")).Single();
        var services = (YamlMappingNode)At(compose, "services")!;
        var nodes = services.Children.Where(s => s.Key.ToString() != "postgres").ToList();
        Assert.Equal(3, nodes.Count);
        var secrets = File.ReadAllLines(Path.Combine(Deploy, "configmonitor.secrets.env.example"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        Assert.Contains("POSTGRES_PASSWORD", secrets.Keys);
        Assert.Null(At(services, "postgres", "environment", "POSTGRES_PASSWORD"));
        var hosts = nodes.Select(n => Text(n.Value, "hostname")!).ToList();
        Assert.Equal(nodes.Select(n => n.Key.ToString()), hosts);

        foreach (var (key, node) in nodes)
        {
            var environment = ((YamlMappingNode)At(node, "environment")!).Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());
            Assert.DoesNotContain(environment.Keys, k => k.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase) || k.Contains("Token", StringComparison.OrdinalIgnoreCase));
            Assert.Equal("configmonitor.secrets.env", Items(At(node, "env_file")).Single().ToString());
            foreach (var (name, value) in secrets) environment.TryAdd(name, value);
            var (options, api, _) = NodeSettings(environment);
            Assert.Equal(PersistenceProvider.PostgreSql, options.Persistence);
            Assert.Contains("Host=postgres;", options.ConnectionString, StringComparison.Ordinal);
            Assert.Equal(key.ToString(), options.PublicHostname);
            Assert.Equal(hosts.Select(h => $"akka.tcp://{options.ActorSystemName}@{h}:{options.Port}"), options.SeedNodes);
            var published = Items(At(node, "ports")).Single().ToString();
            Assert.EndsWith($":{PortOf(api.Url)}", published, StringComparison.Ordinal);
            Assert.StartsWith("127.0.0.1:", published, StringComparison.Ordinal);
            Assert.Contains(Text(node, "restart"), new[] { "on-failure", "always", "unless-stopped" });
            Assert.Equal("60s", Text(node, "stop_grace_period"));
            Assert.Equal("service_healthy", Text(node, "depends_on", "postgres", "condition"));
            Assert.Equal("deploy/Dockerfile", Text(node, "build", "dockerfile"));
        }
        // The first seed is node1: it lists its own address first.
        Assert.Equal("akka.tcp://configmonitor@node1:4053", Text(services, "node1", "environment", "ConfigMonitor__SeedNodes__0"));
    }

    [Fact]
    public void The_systemd_unit_should_restart_on_the_restart_me_code_and_not_on_a_configuration_error()
    {
        var unit = File.ReadAllLines(Path.Combine(Deploy, "systemd", "configmonitor.service")).Select(l => l.Trim())
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => (Key: l[..l.IndexOf('=', StringComparison.Ordinal)], Value: l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..])).ToList();
        string[] Values(string key) => unit.Where(u => u.Key == key).SelectMany(u => u.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        // on-failure and always both restart a non-zero exit; RestartPreventExitStatus lists what must not be.
        Assert.Contains(Values("Restart").Single(), new[] { "on-failure", "always" });
        Assert.Contains(ExitCodes.ConfigurationWrong.ToString(System.Globalization.CultureInfo.InvariantCulture), Values("RestartPreventExitStatus"));
        Assert.DoesNotContain(ExitCodes.Transient.ToString(System.Globalization.CultureInfo.InvariantCulture), Values("RestartPreventExitStatus"));
        Assert.DoesNotContain(ExitCodes.Transient.ToString(System.Globalization.CultureInfo.InvariantCulture), Values("SuccessExitStatus"));
        Assert.Equal("SIGTERM", Values("KillSignal").Single());
    }
}
