using ConfigMonitor.Cli;

var env = CliEnvironment.FromConsole();
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await CliApp.RunAsync(args, env, cancel.Token);
