"""The distributed engine: the measures run on Apache Spark through Ibis's PySpark backend.

The same Ibis expressions as on DuckDB (DESIGN.md, "Engines"); only where intermediate
results live differs. Each materialised step is a Spark DataFrame computed once and
checkpointed locally (``localCheckpoint``), so its lineage is cut and the PageRank loop's
plans stay small, then registered as a temporary view the next step reads. PageRank is the
portable loop of joins (:func:`~narrowcast.measures.score.pagerank_loop`).

Needs ``pyspark>=4.0,<4.1`` (the range Ibis 12 accepts) and a Java runtime (17).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from narrowcast.measures.score import pagerank_loop

__all__ = ["SparkRunner", "local_session"]

_RUN = itertools.count()


def _compiler() -> Any:
    """Ibis 12's PySpark compiler, with ``median(where=...)`` fixed.

    Ibis 12.0.0 (``ibis/backends/sql/compilers/pyspark.py``, ``visit_Median``) passes the
    filter to ``percentile`` as a whole, which wraps the constant 0.5 in ``IF(where, 0.5,
    NULL)`` too; Spark then refuses it (``DATATYPE_MISMATCH.NON_FOLDABLE_INPUT``). Here the
    filter applies to the value only, as Ibis's own ``visit_Quantile`` does.

    And ``epoch_seconds()`` as fractional seconds, as DuckDB computes it (``EPOCH(ts)`` is
    a DOUBLE there): Ibis's PySpark ``visit_ExtractEpochSeconds`` is ``UNIX_TIMESTAMP``,
    which drops the sub-second part and shifts every decay and time gap by up to a second.
    """
    import ibis.expr.datatypes as dt
    from ibis.backends.sql.compilers.base import NULL
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    class Compiler(PySparkCompiler):
        def visit_Median(self, op: Any, *, arg: Any, where: Any) -> Any:
            if where is not None:
                arg = self.if_(where, arg, NULL)
            return self.f.percentile(arg, 0.5)

        def visit_ExtractEpochSeconds(self, op: Any, *, arg: Any) -> Any:
            micros = self.f.unix_micros(self.cast(arg, dt.timestamp))
            return self.cast(micros, dt.float64) / 1_000_000.0

    return Compiler()


def local_session(master: str = "local[2]", shuffle_partitions: int = 2, **conf: str) -> Any:
    """A SparkSession in local mode (a test or a laptop), with few shuffle partitions."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("narrowcast")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkRunner:
    """Runs the measures on Spark.

    Parameters
    ----------
    con
        An Ibis PySpark connection (``ibis.pyspark.connect(session)``) or a SparkSession.
    progress
        Called with the name of each step as it finishes.
    """

    name = "spark"

    def __init__(self, con: Any, *, progress: Callable[[str], None] | None = None) -> None:
        if not hasattr(con, "compile"):  # a SparkSession
            con = ibis.pyspark.connect(con)
        con.compiler = _compiler()  # this connection only
        self.ibis = con
        self.session = con._session
        self.progress = progress
        self._prefix = f"_nc{next(_RUN)}_"
        self._made: dict[str, Any] = {}

    def _register(self, df: Any, name: str) -> ir.Table:
        view = self._prefix + name
        old = self._made.pop(view, None)
        df.createOrReplaceTempView(view)
        if old is not None:
            old.unpersist()
        self._made[view] = df
        if self.progress is not None:
            self.progress(name)
        return self.ibis.table(view)

    def events_from_arrow(self, data: pa.Table, name: str = "events") -> ir.Table:
        """The event log (EVENTS columns, integer ``actor``/``target`` person keys) as a
        Spark table."""
        return self.from_arrow(data, name)

    def from_arrow(self, data: pa.Table, name: str) -> ir.Table:
        """A temporary view holding ``data``."""
        df = self.session.createDataFrame(data).localCheckpoint(eager=True)
        return self._register(df, name)

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        self.ibis._register_in_memory_tables(expr)
        df = self.session.sql(self.ibis.compile(expr))
        return self._register(df.localCheckpoint(eager=True), name)

    def scalar(self, expr: ir.Scalar) -> object:
        return self.ibis.execute(expr)

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        return self.ibis.to_pyarrow(expr)

    def pagerank(self, edges: ir.Table, name: str, teleport: str = "uniform") -> ir.Table:
        return pagerank_loop(self, edges, name, teleport=teleport)

    def close(self) -> None:
        """Drop the intermediate views and release their data (the session stays)."""
        for view, df in self._made.items():
            self.session.catalog.dropTempView(view)
            df.unpersist()
        self._made.clear()
