using Akka.Actor;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The one place that maps what ended the node to its exit code (ExitCodes): nothing escapes Main unhandled.
try
{
    await using var app = await MonitorNode.BuildAsync(args);
    await app.StartNodeAsync();
    await app.WaitForShutdownAsync();
    // Stopped (a signal) while it still waited for its journal: Akka never started.
    if (!app.Services.GetRequiredService<JournalGate>().Open) return ExitCodes.Stopped;
    var system = app.Services.GetRequiredService<ActorSystem>();
    var code = ExitCodes.AfterShutdown(CoordinatedShutdown.Get(system).ShutdownReason);
    if (code != ExitCodes.Stopped)
        await Console.Error.WriteLineAsync(CoordinatedShutdown.Get(system).ShutdownReason is NodeWasAwayReason
            ? $"this node was away longer than the cluster allows; exiting with {code} so a supervisor restarts it"
            : $"the cluster downed this node ({CoordinatedShutdown.Get(system).ShutdownReason}); exiting with {code} so a supervisor restarts it");
    else
        // A clean stop says so too: a supervisor's log (or a test) tells a finished leave from a kill.
        await Console.Out.WriteLineAsync($"the node stopped cleanly; exiting with {code}");
    return code;
}
catch (Exception e) when (e is InvalidTargetDefinitionException or InvalidConfigMonitorOptionsException or NodeConfigurationException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return ExitCodes.ConfigurationWrong;
}
catch (Exception e) when (e is TransientStartupException or JournalUnavailableException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return ExitCodes.Transient;
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync($"the node crashed: {e}");
    return ExitCodes.Crashed;
}
