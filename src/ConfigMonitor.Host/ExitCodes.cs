using Akka.Actor;

namespace ConfigMonitor.Host;

/// <summary>
/// The node's exit codes, shared by docs/settings.md ("Exit codes"), the systemd unit (<c>RestartPreventExitStatus=2</c>) and any other supervisor:
/// 2 means restarting cannot help, 3 means it may.
/// </summary>
public static class ExitCodes
{
    /// <summary>Stopped cleanly (a stop signal, CoordinatedShutdown completed).</summary>
    public const int Stopped = 0;

    /// <summary>An unexpected crash: a defect; the stack trace is on stderr. A supervisor may restart.</summary>
    public const int Crashed = 1;

    /// <summary>The configuration is wrong (a setting, a target, a configuration file, an address without a token): fix it, restarting cannot help.</summary>
    public const int ConfigurationWrong = 2;

    /// <summary>
    /// A transient cause: a port in use, the journal unreachable at start, the node downed by the cluster, the node away (paused)
    /// longer than the cluster allows. A supervisor should restart.
    /// </summary>
    public const int Transient = 3;

    /// <summary>The code of a node whose actor system ended for <paramref name="reason"/> (read after the host stopped).</summary>
    public static int AfterShutdown(CoordinatedShutdown.Reason? reason) =>
        reason is CoordinatedShutdown.ClusterDowningReason or Actors.Hosting.NodeWasAwayReason ? Transient : Stopped;
}

/// <summary>A configuration problem found at start-up (a file, a key, an address): the process exits with <see cref="ExitCodes.ConfigurationWrong"/>.</summary>
public sealed class NodeConfigurationException(string message) : Exception(message);

/// <summary>A cause at start-up that may pass (a port in use, the journal unreachable): the process exits with <see cref="ExitCodes.Transient"/>.</summary>
public sealed class TransientStartupException(string message, Exception? inner = null) : Exception(message, inner);
