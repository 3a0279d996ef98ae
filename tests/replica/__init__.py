"""A local replica of centrasia.org for tests and benchmarks."""
