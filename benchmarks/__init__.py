"""Benchmark scripts (not part of the package, not part of the test suite): benchmarks/run."""
