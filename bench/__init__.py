"""Benchmarks: each speed is printed as a ratio to a baseline measured in the same run."""
