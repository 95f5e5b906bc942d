"""Filestore's benchmark: measures what users pay for and writes docs/BENCHMARKS.md."""
