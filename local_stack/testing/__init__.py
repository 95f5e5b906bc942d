"""One home for the fakes that tests and the benchmark share: events, contexts, launchers."""
