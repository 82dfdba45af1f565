"""Benchmarks: accuracy against published figures, speed and memory. Run with ``make bench``."""
