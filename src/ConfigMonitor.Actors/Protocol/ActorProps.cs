using Akka.Actor;

namespace ConfigMonitor.Actors.Protocol;

/// <summary>
/// Props from a plain factory. Akka's <c>ActorProps.Of(() => new X(…))</c> evaluates each constructor argument of the expression,
/// compiling every one that is not a constant or a captured variable (a <c>??</c>, a lambda): about 0.5–1 ms of CPU per Props.
/// At 10,000 targets, with ten actors each and an event probe actor per target every minute, that was most of a node's CPU
/// (measured by the scale benchmark). A factory costs nothing; these Props are never deployed remotely, so they need not be serializable.
/// </summary>
public static class ActorProps
{
    /// <summary>Props that create the actor by calling <paramref name="factory"/>.</summary>
    public static Props Of<TActor>(Func<TActor> factory) where TActor : ActorBase => Props.CreateBy(new Producer<TActor>(factory));

    private sealed class Producer<TActor>(Func<TActor> factory) : IIndirectActorProducer where TActor : ActorBase
    {
        public Type ActorType => typeof(TActor);

        public ActorBase Produce() => factory();

        public void Release(ActorBase actor)
        {
        }
    }
}
