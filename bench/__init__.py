"""Benchmarks: `python -m bench` prints a table and writes JSON. They are not timed tests."""
