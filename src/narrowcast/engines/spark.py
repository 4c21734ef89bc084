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
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from narrowcast.errors import InputError
from narrowcast.measures.events import INPUT_COLUMNS
from narrowcast.measures.score import pagerank_loop

__all__ = ["SparkRunner", "session"]

_RUN = itertools.count()


def _compiler() -> Any:
    """Ibis 12's PySpark compiler, with ``epoch_seconds()`` as fractional seconds, as DuckDB
    computes it (``EPOCH(ts)`` is a DOUBLE there): Ibis's PySpark
    ``visit_ExtractEpochSeconds`` is ``UNIX_TIMESTAMP``, which drops the sub-second part
    and shifts every decay and time gap by up to a second. Float literals as DOUBLE: Spark
    SQL reads ``1.0`` as a decimal, so that a share computed from literals alone (a
    PageRank teleport of ``1.0 / n``) was a DECIMAL(16,14), eight significant digits for a
    million nodes. Also ``bit_or()``, which it lacks (Spark SQL has ``BIT_OR``).
    """
    import ibis.expr.datatypes as dt
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    class Compiler(PySparkCompiler):
        def visit_ExtractEpochSeconds(self, op: Any, *, arg: Any) -> Any:
            micros = self.f.unix_micros(self.cast(arg, dt.timestamp))
            return self.cast(micros, dt.float64) / 1_000_000.0

        def visit_NonNullLiteral(self, op: Any, *, value: Any, dtype: Any) -> Any:
            result = super().visit_NonNullLiteral(op, value=value, dtype=dtype)
            if dtype.is_floating():  # Spark SQL reads 1.0 as DECIMAL(2,1), not DOUBLE
                return self.cast(result, dt.float64)
            return result

        def visit_BitOr(self, op: Any, *, arg: Any, where: Any) -> Any:
            return self.agg.bit_or(arg, where=where)

    return Compiler()


def session(master: str | None = None, conf: Mapping[str, str] | None = None) -> Any:
    """A SparkSession for the measures (the running one if there is one).

    Parameters
    ----------
    master
        ``local[*]`` (every core of this machine), ``local[N]``, or a cluster's master URL
        (``yarn``, ``spark://host:7077``, ``k8s://...``). None: the master ``spark-submit``
        was given when running under it, else ``local[*]``.
    conf
        Spark configuration passed through (``spark.executor.memory`` and the like). In
        local mode narrowcast's defaults are: a driver of half the machine's memory (at most
        16 GB), as the driver is the whole engine, and two shuffle partitions per core, more
        for a large log (:func:`shuffle_partitions`, set when the log is read).
    """
    from pyspark.sql import SparkSession

    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Parquet timestamps as instants, however the writer flagged them.
        "spark.sql.parquet.inferTimestampNTZ.enabled": "false",
    }
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # a driver spark-submit started
    if master is None and not submitted:
        master = "local[*]"
    if master is not None and master.startswith("local"):
        cores = _local_cores(master)
        settings[_PARTITIONS] = str(2 * cores)
        if _PARTITIONS not in (conf or {}):  # the caller's number holds
            settings[_FEWEST_PARTITIONS] = str(2 * cores)
        settings["spark.ui.enabled"] = "false"
        settings["spark.ui.showConsoleProgress"] = "false"
        settings["spark.driver.memory"] = f"{_half_memory_mb()}m"
    settings.update(conf or {})
    builder = SparkSession.builder.appName("narrowcast")
    if master is not None:
        builder = builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if _FEWEST_PARTITIONS not in settings:  # a running session may carry an earlier one
        spark.conf.unset(_FEWEST_PARTITIONS)
    # Spark's own warnings (a window over everyone "moves all data to a single partition":
    # percentiles rank the whole community, by design) would drown narrowcast's output.
    spark.sparkContext.setLogLevel(conf.get("spark.log.level", "ERROR") if conf else "ERROR")
    return spark


#: Events per shuffle partition that narrowcast aims at in local mode (see
#: :func:`shuffle_partitions`).
EVENTS_PER_PARTITION = 500_000
_PARTITIONS = "spark.sql.shuffle.partitions"
# Set by :func:`session` where narrowcast chose the shuffle partitions: their fewest.
_FEWEST_PARTITIONS = "spark.narrowcast.fewestShufflePartitions"


def shuffle_partitions(events: int, fewest: int) -> int:
    """Shuffle partitions for a log of ``events`` in local mode: ``fewest`` (two per core),
    or one per :data:`EVENTS_PER_PARTITION` events where that is more.

    Few partitions keep a small log's hundred-odd jobs cheap; a large log needs more, or
    each task's share outgrows its memory and spills (benchmarks/RESULTS.md: at 100M
    events the tie totals took three times as long with 4 partitions as with 200).

    >>> shuffle_partitions(1_000_000, 4), shuffle_partitions(100_000_000, 4)
    (4, 200)
    """
    return max(fewest, -(-events // EVENTS_PER_PARTITION))


def _local_cores(master: str) -> int:
    inside = master[len("local[") : -1] if master.startswith("local[") else "1"
    if inside in ("*", ""):
        return os.cpu_count() or 1
    try:
        return max(1, int(inside.split(",")[0]))
    except ValueError:
        return os.cpu_count() or 1


def _half_memory_mb() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2048
    return int(max(1024, min(16 * 1024, total // 2 // 2**20)))


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
        #: ``key``, ``id`` of each person, when :meth:`read_events` gave ids keys.
        self.people: ir.Table | None = None

    def _register(self, df: Any, name: str) -> ir.Table:
        view = self._prefix + name
        old = self._made.pop(view, None)
        df.createOrReplaceTempView(view)
        if old is not None:
            _free(old)
        self._made[view] = df
        if self.progress is not None:
            self.progress(name)
        return self.ibis.table(view)

    def events_from_arrow(self, data: pa.Table, name: str = "events") -> ir.Table:
        """The event log (EVENTS columns, integer ``actor``/``target`` person keys) as a
        Spark table."""
        return self.from_arrow(data, name)

    def read_events(self, paths: str | Sequence[str]) -> ir.Table:
        """The event log stored as Parquet: files, folders (``month=YYYY-MM`` partitions
        are read as one table) or URIs (``s3a://``, ``hdfs://``, ``gs://``).

        ``actor`` and ``target`` are person keys (integers) or person ids (text). Ids get
        keys here, in id order, and the table :attr:`people` (``key``, ``id``) names them.
        Only the columns scoring reads are kept.
        """
        from pyspark.errors import AnalysisException
        from pyspark.sql import functions as F

        paths = [paths] if isinstance(paths, str) else list(paths)
        try:
            df = read = self.session.read.parquet(*paths)
        except AnalysisException as err:
            raise InputError(", ".join(paths), _first_line(err)) from err
        missing = [c for c in INPUT_COLUMNS if c not in df.columns]
        if missing:
            raise InputError(
                ", ".join(paths),
                f"not a narrowcast event log: no column {', '.join(missing)} "
                f"(expected the event-log columns: {', '.join(INPUT_COLUMNS)})",
            )
        df = df.select(*INPUT_COLUMNS).withColumn("ts", F.col("ts").cast("timestamp"))
        types = dict(df.dtypes)
        if "string" in (types["actor"], types["target"]):
            ids = (
                df.select(F.col("actor").alias("id"))
                .union(df.select(F.col("target").alias("id")))
                .where(F.col("id").isNotNull())
                .distinct()
            )
            # A distributed sort, then ids that grow with it: keys in id order without
            # gathering every person on one worker.
            people = ids.orderBy("id").withColumn("key", F.monotonically_increasing_id())
            people = people.localCheckpoint(eager=True)
            self.people = self._register(people, "person_ids")
            for col in ("actor", "target"):
                keyed = people.select(F.col("id").alias(col), F.col("key").alias(f"_{col}"))
                df = df.join(keyed, col, "left").drop(col).withColumnRenamed(f"_{col}", col)
            df = df.select(*INPUT_COLUMNS)
        fewest = self.session.conf.get(_FEWEST_PARTITIONS, None)
        if fewest is not None:
            partitions = shuffle_partitions(read.count(), int(fewest))
            self.session.conf.set(_PARTITIONS, str(partitions))
        return self._register(df, "events")

    def from_arrow(self, data: pa.Table, name: str) -> ir.Table:
        """A temporary view holding ``data``."""
        df = self.session.createDataFrame(data).localCheckpoint(eager=True)
        return self._register(df, name)

    def materialize(
        self, expr: ir.Table, name: str, *, by: str | None = None, recomputable: bool = False
    ) -> ir.Table:
        """Compute ``expr`` and keep the result (a local checkpoint); with ``by``,
        partitioned and sorted by that column, which the joins on it that follow keep
        where adaptive execution is off (:meth:`pagerank`). Spark spills what does not fit
        in memory by itself: a ``recomputable`` table is kept too."""
        self.ibis._register_in_memory_tables(expr)
        df = self.session.sql(self.ibis.compile(expr))
        if by is not None:
            partitions = int(self.session.conf.get(_PARTITIONS))
            df = df.repartition(partitions, by).sortWithinPartitions(by)
        return self._register(df.localCheckpoint(eager=True), name)

    def scalar(self, expr: ir.Scalar) -> object:
        return self.ibis.execute(expr)

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        return self.ibis.to_pyarrow(expr)

    def write_parquet(self, expr: ir.Table, path: str) -> None:
        """Write a table as Parquet files in the folder (or URI) ``path``, replacing it."""
        self.ibis._register_in_memory_tables(expr)
        self.session.sql(self.ibis.compile(expr)).write.mode("overwrite").parquet(path)

    def pagerank(self, edges: ir.Table, name: str, teleport: str = "uniform") -> ir.Table:
        """PageRank by the loop of joins, with adaptive execution off for its steps.

        A local checkpoint keeps how its rows are partitioned only where adaptive execution
        did not plan them. With it off, the links stay partitioned and sorted by source, so
        a step's join neither shuffles nor sorts them (the largest table of the loop): the
        ranks, a row per node, move to them instead (a PageRank of 1M nodes and 5M links,
        104 steps: 341 s before, 267 s after).

        Nothing then merges small shuffle partitions, so where narrowcast chose their
        number (:func:`shuffle_partitions`) the loop takes the fewest, two per core: a
        step's group-by has three aggregates where the log's have dozens, and the 20
        partitions of a 10M-event log made each step about a quarter slower.
        """
        conf = self.session.conf
        saved = {key: conf.get(key) for key in ("spark.sql.adaptive.enabled", _PARTITIONS)}
        conf.set("spark.sql.adaptive.enabled", "false")
        fewest = conf.get(_FEWEST_PARTITIONS, None)
        if fewest is not None:
            conf.set(_PARTITIONS, fewest)
        try:
            return pagerank_loop(self, edges, name, teleport=teleport)
        finally:
            for key, value in saved.items():
                conf.set(key, value)

    def drop(self, table: ir.Table) -> None:
        """Drop an intermediate view and free its data."""
        view = table.op().name
        df = self._made.pop(view, None)
        if df is not None:
            self.session.catalog.dropTempView(view)
            _free(df)

    def close(self) -> None:
        """Drop the intermediate views and free their data (the session stays)."""
        for view, df in self._made.items():
            self.session.catalog.dropTempView(view)
            _free(df)
        self._made.clear()


def _free(df: Any) -> None:
    """Free what holds a DataFrame's data: its cache, and the blocks of a local checkpoint
    (which ``unpersist`` leaves: they stay in memory and on disk until the JVM collects the
    plan, so a 100M-event run kept every step's table, 23 GB after six steps)."""
    df.unpersist()
    plan = df._jdf.queryExecution().analyzed()
    if plan.getClass().getSimpleName() == "LogicalRDD":
        plan.rdd().unpersist(False)


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
