"""Measures: pure functions over tables (broadcast, relational, ties). Filled by issue #4."""

__all__: list[str] = []
