using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Host;
using Microsoft.Extensions.Hosting;

try
{
    var host = await MonitorNode.BuildAsync(args);
    await host.RunAsync();
    return 0;
}
catch (Exception e) when (e is InvalidTargetDefinitionException or InvalidConfigMonitorOptionsException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
