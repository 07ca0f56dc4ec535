"""Benchmarks: a large generated dataset, page figures, feed ratios and a booking rush (see README.md)."""
