using ConfigMonitor.Benchmarks;

// dotnet run -c Release --project tests/ConfigMonitor.Benchmarks -- [scenario...] [--quick] [--targets N] [--minutes M] [--nodes N]
// One JSON object per figure on stdout; progress on stderr.
string[] all = ["ingest-memory", "ingest-durable", "summary", "memory", "recovery", "scale", "http-probe", "status-page"];

// The http-probe scenario's helper processes: the loopback services, and the node it measures.
int Option(string name) => int.Parse(args[Array.IndexOf(args, name) + 1], System.Globalization.CultureInfo.InvariantCulture);
if (args.Length > 0 && args[0] == "serve") return await LoopbackHttpServer.RunAsync(Option("--targets"), Option("--port"));
if (args.Length > 0 && args[0] == "scale-node")
{
    Figures.CaptureStdout();
    return await ClusterScaleScenario.RunNodeAsync(args);
}
if (args.Length > 0 && args[0] == "http-probe-node")
{
    Figures.CaptureStdout();
    return await HttpProbeScenario.RunNodeAsync(Option("--targets"), Option("--port"), args[Array.IndexOf(args, "--side") + 1]);
}

var quick = args.Contains("--quick");
int? targets = null;
var nodes = 1;
TimeSpan? duration = null;
var named = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick": break;
        case "--targets": targets = int.Parse(args[++i]); break;
        case "--nodes": nodes = int.Parse(args[++i]); break;
        case "--minutes": duration = TimeSpan.FromMinutes(double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture)); break;
        default:
            if (!all.Contains(args[i]))
            {
                await Console.Error.WriteLineAsync($"unknown scenario '{args[i]}'; scenarios: {string.Join(", ", all)}; options: --quick, --targets N, --minutes M, --nodes N (scale)");
                return 2;
            }
            named.Add(args[i]);
            break;
    }
}

Figures.CaptureStdout();
var scenarios = named.Count == 0 ? all : named.ToArray();
if (scenarios.Length > 1)
{
    // Several scenarios: each runs in a fresh process of its own, so the memory one scenario leaves behind (and the
    // garbage collector's sizing after it) never shows in the next one's RSS or timings.
    var options = args.Where(a => !all.Contains(a)).ToArray();
    foreach (var scenario in scenarios)
    {
        var code = await ChildProcess.RunAsync([scenario, .. options]);
        if (code != 0)
        {
            await Console.Error.WriteLineAsync($"scenario {scenario} failed (exit code {code})");
            return code;
        }
    }
    return 0;
}
foreach (var scenario in scenarios)
{
    Figures.Progress($"{scenario}: start{(quick ? " (quick)" : "")}");
    switch (scenario)
    {
        case "ingest-memory": await IngestScenarios.IngestMemoryAsync(quick); break;
        case "ingest-durable": await IngestScenarios.IngestDurableAsync(quick); break;
        case "summary": StoreScenarios.Summary(quick); break;
        case "memory": StoreScenarios.Memory(quick); break;
        case "recovery": await RecoveryScenario.RunAsync(quick); break;
        // --nodes N (N > 1): N node processes in one cluster on a private PostgreSQL; --minutes is then the measured window once settled.
        case "scale" when nodes > 1: await ClusterScaleScenario.RunAsync(quick, targets, duration, nodes); break;
        case "scale": await ScaleScenario.RunAsync(quick, targets, duration); break;
        case "http-probe":
            // Without --targets it runs each default size in a fresh process of its own, with the other options.
            var passThrough = args.Where(a => a != "http-probe").ToArray();
            var code = await HttpProbeScenario.RunAsync(quick, targets, duration, passThrough);
            if (code != 0) return code;
            break;
        // A real node process with N targets (quick: 1,000; default 10,000) and headless Chromium opening its overview 5 times.
        case "status-page": await StatusPageScenario.RunAsync(quick, targets); break;
    }
}
return 0;
