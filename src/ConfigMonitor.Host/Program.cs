using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Host;

try
{
    var app = await MonitorNode.BuildAsync(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is InvalidTargetDefinitionException or InvalidConfigMonitorOptionsException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
