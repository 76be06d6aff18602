// Every test runs a whole node (or process); one at a time keeps a 2-core machine from starving their timers.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
