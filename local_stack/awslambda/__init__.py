"""A local Lambda: function workers, synchronous and asynchronous invocations, the Invoke API."""
