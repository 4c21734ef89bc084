"""Engines: where the measures run. The only layer that names DuckDB or Spark."""

from narrowcast.engines.duckdb import DuckDBRunner, pagerank_sparse

__all__ = ["DuckDBRunner", "pagerank_sparse"]
