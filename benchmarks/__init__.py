"""Benchmarks of the Simkl integration against the setup users hand-roll today."""
