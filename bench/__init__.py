"""Benchmarks of claimwatch against its budgets (DESIGN.md) and against the reader library."""
