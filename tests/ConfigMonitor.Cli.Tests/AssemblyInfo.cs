// Every test drives a whole node; one at a time keeps a 2-core machine from starving their timers.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
