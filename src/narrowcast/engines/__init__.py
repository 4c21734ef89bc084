"""Engines: where the measures run. The only layer that names DuckDB or Spark.

``narrowcast.engines.spark.SparkRunner`` (needs the ``spark`` extra and Java) is imported
from its module, so that DuckDB users never load PySpark.
"""

from narrowcast.engines.duckdb import DuckDBRunner, pagerank_sparse

__all__ = ["DuckDBRunner", "pagerank_sparse"]
