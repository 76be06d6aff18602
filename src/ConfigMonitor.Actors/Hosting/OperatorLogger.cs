using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using MsLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>
/// An Akka logger that writes one readable line per event to the host's <see cref="ILoggerFactory"/>:
/// ConfigMonitor's actors log under their class name (their lines name the target), Akka's internals under
/// "Akka" with their source — without Akka's own "[INFO][date][thread][source]" prefix inside the host's line.
/// </summary>
public sealed class OperatorLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory? _factory;

    /// <summary>Creates the logger; the factory comes from the actor system's <see cref="LoggerFactorySetup"/>.</summary>
    public OperatorLogger()
    {
        var setup = Context.System.Settings.Setup.Get<LoggerFactorySetup>();
        _factory = setup.HasValue ? setup.Value.LoggerFactory : null;

        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
    }

    private void Write(LogEvent e)
    {
        if (_factory is null)
        {
            Console.WriteLine(e.ToString());
            return;
        }
        // Our actors name the target in every line, so their class is enough; Akka's own lines keep their source.
        var ours = e.LogClass?.Namespace?.StartsWith("ConfigMonitor", StringComparison.Ordinal) == true;
        var logger = _factory.CreateLogger(ours ? e.LogClass!.Name : "Akka");
        var level = e.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => MsLogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => MsLogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => MsLogLevel.Warning,
            _ => MsLogLevel.Error,
        };
        if (!logger.IsEnabled(level)) return;
        if (ours)
            logger.Log(level, e.Cause, "{Message}", e.Message?.ToString());
        else
            logger.Log(level, e.Cause, "{LogSource}: {Message}", e.LogSource, e.Message?.ToString());
    }
}
