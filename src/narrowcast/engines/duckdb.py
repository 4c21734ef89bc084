"""The embedded engine: the measures run in the store's own DuckDB connection.

Intermediate results are temporary tables, or, for a log too large for them, tables in a
scratch database file attached beside the store (in the system's temporary folder, removed
when the runner closes; a read-only store allows it too). Tables in a database file can
leave memory for disk once written, where temporary tables hold on to it: with the scratch
file, scoring 10M events stays within a 600 MB limit that temporary tables exceed, and
100M events within 3,000 MB. Writing them costs time (1M events: 6.9 s against 5.4 s),
so a log is scored in temporary tables while it has fewer events than
:data:`SCRATCH_EVENTS_PER_MB` per MB of the memory limit. A step whose table is a result
the caller keeps (the ties, ``results``) is made in the store itself, where the steps after
it read it. PageRank runs as a sparse power iteration in NumPy/SciPy, held equal to the
portable table loop by a test.

DuckDB runs the steps in a thread of the runner's own, one after another in the order they
were asked for, while the pipeline goes on building and compiling the next ones: a step's
table is known by the schema of its expression before it exists. A PageRank computes in a
thread of its own beside the steps asked for after it, until one reads it. Reading a value
or rows (``scalar``, ``to_arrow``, ``sql_name``, ``query``) waits for the steps before it;
a failed step's error is raised there, and the steps after it are not run.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from narrowcast.config import scoring_memory_mb
from narrowcast.measures.network import DAMPING, TOLERANCE, checked, stops
from narrowcast.measures.score import pagerank_loop

__all__ = ["DuckDBRunner", "pagerank_sparse"]

_RUN = itertools.count()

#: Events per MB of the memory limit up to which intermediate tables stay temporary: 3,000
#: MB holds 15M events' (10M events peaked at 3.7 GB of memory with temporary tables).
SCRATCH_EVENTS_PER_MB = 5_000

#: Events per MB of the memory limit up to which a ``recomputable`` step is made a table:
#: past it, the step is computed where it is read (see :meth:`DuckDBRunner.materialize`).
RECOMPUTE_EVENTS_PER_MB = 500


def _compiler() -> Any:
    """Ibis 12's DuckDB compiler, with results of the types Ibis gives them, and conditional
    aggregates in the form DuckDB runs faster.

    - A float literal is a DOUBLE, as Ibis types it: DuckDB reads ``0.5`` as a DECIMAL, so
      that ``n + 0.5 * m`` over integers was a DECIMAL(22,1) column.
    - A sum of integers is a BIGINT, as Ibis types it, not DuckDB's 128-bit HUGEINT.
    - ``epoch_seconds()`` is ``epoch_us(ts) / 1000000``: the same seconds as Ibis's
      ``epoch(CAST(ts AS TIMESTAMP))`` where the session's time zone is UTC, whatever that
      zone is, and without the cast's conversion, which was half the time of reading the
      event log (1M events: 59 ms against 3 ms).
    - A conditional aggregate (``x.sum(where=c)``) is ``SUM(CASE WHEN c THEN x END)``
      instead of ``SUM(x) FILTER (WHERE c)``. The two are equal for the aggregates that
      ignore nulls (the only ones rewritten), and DuckDB runs the CASE form faster when a
      group-by holds many such aggregates: the tie totals, 36 of them over 830k events,
      0.50 s against 0.43 s.

    The runner declares each intermediate table by its expression's schema before DuckDB
    has made it, so the types must be the ones DuckDB makes (a test holds them equal).
    """
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.base import NULL, STAR, AggGen
    from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

    null_ignoring = {"sum", "min", "max", "avg", "count", "bit_or", "bool_and", "bool_or"}

    class CaseAggregates(AggGen):
        def aggregate(
            self, compiler: Any, name: str, *args: Any, where: Any = None, order_by: tuple = ()
        ) -> Any:
            if where is not None and name in null_ignoring:
                args = tuple(_when(compiler, where, a) for a in args)
                where = None
            return super().aggregate(compiler, name, *args, where=where, order_by=order_by)

    def _when(compiler: Any, where: Any, arg: Any) -> Any:
        if arg == STAR:  # COUNT(*): count the rows where it holds
            return compiler.if_(where, 1, NULL)
        if isinstance(arg, sge.Distinct):  # COUNT(DISTINCT x)
            inner = [compiler.if_(where, e, NULL) for e in arg.expressions]
            return sge.Distinct(expressions=inner)
        return compiler.if_(where, arg, NULL)

    class Compiler(DuckDBCompiler):
        agg = CaseAggregates(supports_filter=True, supports_order_by=True)

        def visit_NonNullLiteral(self, op: Any, *, value: Any, dtype: Any) -> Any:
            if dtype.is_floating() and math.isfinite(value):
                return self.cast(sge.convert(value), dtype)
            return super().visit_NonNullLiteral(op, value=value, dtype=dtype)

        def visit_Sum(self, op: Any, *, arg: Any, where: Any) -> Any:
            total = super().visit_Sum(op, arg=arg, where=where)
            return self.cast(total, op.dtype) if op.dtype.is_integer() else total

        def visit_ExtractEpochSeconds(self, op: Any, *, arg: Any) -> Any:
            return sge.Div(this=self.f.epoch_us(arg), expression=sge.convert(1_000_000))

        def visit_WindowFunction(self, op: Any, *, func: Any, **kw: Any) -> Any:
            if isinstance(func, sge.Cast):  # a window over a cast sum: the cast outside
                window = super().visit_WindowFunction(op, func=func.this, **kw)
                return sge.Cast(this=window, to=func.to)
            return super().visit_WindowFunction(op, func=func, **kw)

    return Compiler()


class DuckDBRunner:
    """Runs the measures on a DuckDB connection (a store's ``con``).

    Parameters
    ----------
    con
        The DuckDB connection.
    kernel
        ``sparse`` (default): PageRank in SciPy; ``tables``: the portable loop of joins.
    progress
        Called with the name of each step as it finishes, from the runner's thread.
    scratch
        Keep intermediate tables in a scratch database file (True) or as temporary tables
        (False); None (default): the file when the store's event log is large for the
        memory limit (:data:`SCRATCH_EVENTS_PER_MB`).
    recompute
        Compute a ``recomputable`` step where it is read instead of making it a table
        (True), or make it a table (False); None (default): compute it where read when the
        store's event log is large for the memory limit (:data:`RECOMPUTE_EVENTS_PER_MB`).
    results
        Steps made as tables of the store itself, by step name (``{"ties":
        STAGED_TIES}``): a result of the run written once, where it is kept (see
        :meth:`~narrowcast.store.Store.save_scores`), and read from there by the steps
        after it. Such a step is made even where ``recompute`` holds, as a table of the
        store can leave memory for disk. Closing the runner drops those the caller has not
        taken (renamed).
    """

    name = "duckdb"

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        kernel: str = "sparse",
        progress: Callable[[str], None] | None = None,
        scratch: bool | None = None,
        recompute: bool | None = None,
        results: dict[str, str] | None = None,
    ) -> None:
        self.con = con
        self.results = dict(results or {})
        self.ibis = ibis.duckdb.from_connection(con)
        self.ibis.compiler = _compiler()  # this connection only
        self.kernel = kernel
        self.progress = progress
        run = next(_RUN)
        self._prefix = f"_nc{run}_"
        self._scratch = f"_nc{run}_scratch"
        self._scratch_dir: Path | None = None
        self._drop_scratch: weakref.finalize | None = None
        self._views: list[str] = []
        self._temp: list[str] = []
        # The thread that runs the steps, and the steps asked for and not yet waited on.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix=f"narrowcast-duckdb-{run}")
        self._pending: list[Future[None]] = []
        self._failed = threading.Event()
        # PageRanks computing beside the steps: each table's ranks and step name, until a
        # step reads it (_release); and the thread they compute in, once there is one.
        self._ranks: dict[str, tuple[Future[pa.Table], str]] = {}
        self._compute: ThreadPoolExecutor | None = None
        # Past this limit DuckDB writes intermediate results to disk instead of growing
        # without bound; no result depends on the order of an intermediate table's rows.
        self._settings = {
            name: con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]
            for name in ("memory_limit", "preserve_insertion_order")
        }
        limit_mb = scoring_memory_mb()
        con.execute(f"SET memory_limit = '{limit_mb}MB'").fetchall()
        events = self._log_events()
        self.scratch = scratch if scratch is not None else events > limit_mb * SCRATCH_EVENTS_PER_MB
        self.recompute = (
            recompute if recompute is not None else events > limit_mb * RECOMPUTE_EVENTS_PER_MB
        )
        con.execute("SET preserve_insertion_order = false").fetchall()

    def events(self) -> ir.Table:
        """The store's event log with person keys as ``actor`` and ``target``.

        Accounts linked as one person (the ``identities`` table) appear as that person's
        key, so every measure treats them as one.
        """
        self.wait()
        linked = self.con.execute("SELECT count(*) FROM identities").fetchall()[0][0]
        if not linked:
            t = self.ibis.table("events")
            return t.rename(actor="actor_key", target="target_key").drop("seq", "import_id")
        view = self._prefix + "events"
        cols = ", ".join(
            "coalesce(ma.person_key, e.actor_key) AS actor"
            if c == "actor_key"
            else "coalesce(mt.person_key, e.target_key) AS target"
            if c == "target_key"
            else f"e.{c}"
            for c in self._event_columns()
        )
        self.con.execute(
            f"""CREATE OR REPLACE TEMP VIEW "{view}" AS
                WITH m AS (
                    SELECT a.key AS account_key, p.key AS person_key
                    FROM identities i JOIN people a ON a.id = i.account
                    JOIN people p ON p.id = i.person
                )
                SELECT {cols} FROM events e
                LEFT JOIN m ma ON ma.account_key = e.actor_key
                LEFT JOIN m mt ON mt.account_key = e.target_key"""
        ).fetchall()
        self._views.append(view)
        return self.ibis.table(view)

    def _event_columns(self) -> list[str]:
        rows = self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'events' "
            "AND schema_name = 'main' ORDER BY column_index"
        ).fetchall()
        return [r[0] for r in rows if r[0] not in ("seq", "import_id")]

    def materialize(
        self, expr: ir.Table, name: str, *, by: str | None = None, recomputable: bool = False
    ) -> ir.Table:
        """Make ``expr`` a table (see the pipeline's ``Runner``).

        A ``recomputable`` one stays ``expr`` where the log has more than
        :data:`RECOMPUTE_EVENTS_PER_MB` events per MB of the memory limit: the ties, ~60
        columns of figures of the tie totals, held ~3 GB at 10M events, the whole limit,
        and the steps after them spilled to disk. Scored with the ties made a table and
        computed where read (2026-11-24, before ``narrowcast.score`` kept its ties in the
        store): 1M events 3.3-3.4 s and 3.4-3.5 s; 3M 9.2-9.4 s and 2.5 GB against 8.8-9.0 s
        and 2.2 GB; 10M 37.7-37.9 s against 33.7-34.0 s. A step of :attr:`results` is
        always made, in the store.
        """
        # ``by`` is for engines that partition tables; DuckDB's joins do not need it.
        if recomputable and self.recompute and name not in self.results:
            return expr
        table = self.results.get(name, self._prefix + name)
        sql = str(self.ibis.compile(expr))
        self._release(expr)
        self._submit(self._create, table, sql, name)
        return self._table(table, expr.schema(), stored=name in self.results)

    def _release(self, expr: ir.Table | None = None) -> None:
        """Ask for the tables of the PageRanks that ``expr`` reads (all with None), after
        the steps asked for so far: a PageRank computes beside the steps in between."""
        if expr is None:
            wanted = list(self._ranks)
        else:
            read = {t.name for t in expr.op().find(ops.DatabaseTable)}
            wanted = [table for table in self._ranks if table in read]
        for table in wanted:
            ranks, name = self._ranks.pop(table)
            self._submit(lambda t=table, r=ranks, n=name: self._create_from_arrow(t, r.result(), n))

    def _submit(self, step: Callable[..., None], *args: Any) -> None:
        """Run ``step(*args)`` in the runner's thread after the steps asked for before it;
        once one has failed, the rest are skipped (their inputs may not exist)."""

        def run() -> None:
            if self._failed.is_set():
                return
            try:
                step(*args)
            except BaseException:
                self._failed.set()
                raise

        self._pending.append(self._worker.submit(run))

    def wait(self) -> None:
        """Wait until every step asked for has run; raise the first failure."""
        self._release()
        pending, self._pending = self._pending, []
        error: BaseException | None = None
        for future in pending:
            try:
                future.result()
            except BaseException as exc:
                error = error or exc
        self._failed.clear()  # nothing is left to skip: the next steps run again
        if error is not None:
            raise error

    def _table(self, table: str, schema: ibis.Schema, *, stored: bool = False) -> ir.Table:
        """The intermediate table ``table`` of that schema, made or still to be made (every
        column nullable, as DuckDB reports a table's columns); ``stored``: a table of the
        store (:attr:`results`)."""
        loc = self.ibis._to_sqlglot_table(self._scratch if self.scratch and not stored else None)
        catalog, database = loc.catalog or None, loc.db or None
        return ops.DatabaseTable(
            table,
            schema=ibis.schema({c: t.copy(nullable=True) for c, t in schema.items()}),
            source=self.ibis,
            namespace=ops.Namespace(catalog=catalog, database=database),
        ).to_expr()

    def _log_events(self) -> int:
        """Rows of the store's event log (0 where the connection holds none)."""
        found = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'event_rows'"
        ).fetchall()
        if not found[0][0]:
            return 0
        return int(self.con.execute("SELECT count(*) FROM event_rows").fetchall()[0][0])

    def _create(self, table: str, sql: str, name: str) -> None:
        """Make the intermediate table ``table`` from ``sql`` and report step ``name``."""
        if name in self.results:
            self.con.execute(f'CREATE OR REPLACE TABLE main."{table}" AS {sql}').fetchall()
        elif not self.scratch:
            self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{table}" AS {sql}').fetchall()
            self._temp.append(table)
        else:
            self._create_in_scratch(table, sql)
        if self.progress is not None:
            self.progress(name)

    def _create_in_scratch(self, table: str, sql: str) -> None:
        if self._scratch_dir is None:
            self._scratch_dir = Path(tempfile.mkdtemp(prefix="narrowcast-scoring-"))
            # Removed by close(), or when the runner is collected or Python exits.
            self._drop_scratch = weakref.finalize(
                self, _drop_scratch, self.con, self._scratch, self._scratch_dir
            )
            path = str(self._scratch_dir / "scratch.duckdb").replace("'", "''")
            self.con.execute(f"ATTACH '{path}' AS {self._scratch} (READ_WRITE)").fetchall()
        self.con.execute(f'CREATE OR REPLACE TABLE {self._scratch}."{table}" AS {sql}').fetchall()

    def drop(self, table: ir.Table) -> None:
        """Drop an intermediate table once the steps asked for before have run."""
        self._submit(self._drop, table.op().name)

    def _drop(self, table: str) -> None:
        if self.scratch:
            self.con.execute(f'DROP TABLE IF EXISTS {self._scratch}."{table}"').fetchall()
            # A dropped table's blocks are free for the next tables only after a checkpoint
            # (the scratch file's peak at 1M events held to 100 MB: 244-253 -> 208-211 MB).
            self.con.execute(f"CHECKPOINT {self._scratch}").fetchall()
        else:
            self.con.execute(f'DROP TABLE IF EXISTS temp.main."{table}"').fetchall()
            if table in self._temp:
                self._temp.remove(table)

    def sql_name(self, table: ir.Table) -> str:
        """The SQL name of an intermediate table this runner made, for plain SQL on ``con``
        while the runner is open; the steps asked for are run first."""
        self.wait()
        name = table.op().name
        if name in self.results.values():
            return f'main."{name}"'
        return f'{self._scratch}.main."{name}"' if self.scratch else f'temp.main."{name}"'

    def query(self, expr: ir.Table) -> str:
        """``expr`` as a parenthesised SQL query over this runner's tables, for plain SQL on
        ``con`` while the runner is open; the steps asked for are run first (the query is
        compiled while they run)."""
        sql = f"({self.ibis.compile(expr)})"
        self.wait()
        return sql

    def from_arrow(self, data: pa.Table, name: str) -> ir.Table:
        """An intermediate table holding ``data``."""
        table = self._prefix + name
        self._submit(self._create_from_arrow, table, data, name)
        return self._table(table, ibis.Schema.from_pyarrow(data.schema))

    def _create_from_arrow(self, table: str, data: pa.Table, name: str) -> None:
        view = f"{self._prefix}arrow"
        self.con.register(view, data)
        try:
            self._create(table, f'SELECT * FROM "{view}"', name)
        finally:
            self.con.unregister(view)

    def scalar(self, expr: ir.Scalar) -> object:
        self.wait()
        return self.ibis.execute(expr)

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        self.wait()
        return self.ibis.to_pyarrow(expr)

    def pagerank(self, edges: ir.Table, name: str, teleport: str = "uniform") -> ir.Table:
        """PageRank by :func:`pagerank_sparse`, the edges read in the runner's thread and the
        ranks computed in a thread of their own while the steps asked for next run; the
        table is made before the first step that reads it."""
        if self.kernel == "tables":
            return pagerank_loop(self, edges, name, teleport=teleport)
        trust = ["trust"] if "trust" in edges.columns else []
        edges = edges.select("src", "dst", "weight", *trust)
        sql = str(self.ibis.compile(edges))
        self._release(edges)
        if self._compute is None:
            self._compute = ThreadPoolExecutor(1, thread_name_prefix=f"{self._prefix}pagerank")
        ranks: Future[pa.Table] = Future()

        def read_edges() -> None:
            e = self.con.sql(sql).to_arrow_table()
            done = self._compute.submit(_ranked, e, teleport)  # type: ignore[union-attr]
            done.add_done_callback(lambda f: _settle(ranks, f))

        self._submit(read_edges)
        table = self._prefix + name
        self._ranks[table] = (ranks, name)
        return self._table(table, ibis.schema({"node": "int32", "pagerank": "float64"}))

    def close(self) -> None:
        """Stop the steps still to run, drop the intermediate tables and their scratch file,
        and restore the settings."""
        if any(not f.done() for f in self._pending):
            # Closing early (an error, Ctrl-C): skip what is queued, stop what is running.
            self._failed.set()
            self.con.interrupt()
        self._ranks.clear()  # not read by anything that will run
        with contextlib.suppress(BaseException):
            self.wait()
        self._worker.shutdown()
        if self._compute is not None:  # a PageRank left computing stops on its own
            self._compute.shutdown(wait=False, cancel_futures=True)
        for table in self.results.values():  # made and not taken, or made in part
            self.con.execute(f'DROP TABLE IF EXISTS main."{table}"').fetchall()
        for view in self._views:
            self.con.execute(f'DROP VIEW IF EXISTS "{view}"').fetchall()
        for table in self._temp:
            self.con.execute(f'DROP TABLE IF EXISTS temp.main."{table}"').fetchall()
        self._temp.clear()
        self._views.clear()
        if self._drop_scratch is not None:
            self._drop_scratch()
            self._drop_scratch = self._scratch_dir = None
        for name, value in self._settings.items():
            self.con.execute(f"SET {name} = '{value}'").fetchall()


def _ranked(edges: pa.Table, teleport: str) -> pa.Table:
    """``node``, ``pagerank`` of the weighted edges (``src``, ``dst``, ``weight``, and
    ``trust`` where given)."""
    trust = edges.column("trust").to_numpy() if "trust" in edges.column_names else None
    nodes, ranks = pagerank_sparse(
        edges.column("src").to_numpy(),
        edges.column("dst").to_numpy(),
        edges.column("weight").to_numpy(),
        teleport=teleport,
        trust=trust,
    )
    return pa.table({"node": pa.array(nodes).cast(pa.int32()), "pagerank": ranks})


def _settle(target: Future[pa.Table], source: Future[pa.Table]) -> None:
    """Give ``target`` the outcome of ``source``."""
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())
    else:
        target.set_result(source.result())


def _drop_scratch(con: duckdb.DuckDBPyConnection, name: str, folder: Path) -> None:
    """Detach a runner's scratch database and delete its folder."""
    with contextlib.suppress(duckdb.Error):  # a closed connection has let go of the file
        con.execute(f"DETACH DATABASE IF EXISTS {name}").fetchall()
    shutil.rmtree(folder, ignore_errors=True)


def pagerank_sparse(
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    *,
    teleport: str = "uniform",
    trust: np.ndarray | None = None,
    damping: float = DAMPING,
    tol: float = TOLERANCE,
) -> tuple[np.ndarray, np.ndarray]:
    """PageRank of a weighted directed graph by sparse power iteration.

    The same definition as :func:`narrowcast.measures.network.pagerank_step` (repeated
    pairs summed, dangling rank spread as the teleport; ``teleport`` ``uniform``,
    ``received`` (with each edge's ``trust``, if given) or ``degree``, as in
    :func:`~narrowcast.measures.network.pagerank_graph`), iterated until
    :func:`~narrowcast.measures.network.stops`, as the table loop is. Returns the nodes
    (sorted) and their ranks.
    """
    # Imported here, in the thread a PageRank computes in: at the start of scoring, where
    # nothing else runs yet, SciPy's import delayed the first step by ~0.1 s.
    import scipy.sparse as sp

    keep = weight > 0
    src, dst, weight = src[keep], dst[keep], weight[keep].astype(np.float64)
    if trust is not None:
        trust = trust[keep].astype(np.float64)
    nodes, s, d = _numbered(src, dst)
    n = len(nodes)
    if n == 0:
        return nodes, np.zeros(0)
    out = np.bincount(s, weights=weight, minlength=n)  # each node's out-weight
    dangling = out == 0
    # m[v, u]: u's share of its weight toward v, repeated pairs summed by the conversion.
    m = sp.csr_matrix((weight / out[s], (d, s)), shape=(n, n))
    del weight
    if teleport == "received":
        hit = np.zeros(n)
        if trust is None:
            hit[d] = 1.0
        else:  # each node pointed to, by the largest trust of those pointing to it
            np.maximum.at(hit, d, trust)
        v = hit / hit.sum()
    elif teleport == "degree":
        hit = np.bincount(m.indices, minlength=n).astype(np.float64)  # distinct out-edges
        v = hit / hit.sum()
    else:
        v = np.full(n, 1.0 / n)
    r = v.copy()
    step = 0
    while True:
        step += 1
        new = (1.0 - damping) * v + damping * (m @ r + r[dangling].sum() * v)
        change = float(np.abs(new - r).sum()) if checked(step) else None
        r = new
        if stops(step, change, tol=tol):
            return nodes, r


def _numbered(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nodes (sorted) and each edge end's position among them.

    Person keys are small non-negative integers, so the nodes are found by marking them in
    an array as long as the largest key, without sorting the edges; other ids are sorted.

    >>> _numbered(np.array([7, 3]), np.array([3, 9]))
    (array([3, 7, 9]), array([1, 0]), array([0, 2]))
    """
    if len(src) == 0:
        return np.zeros(0, dtype=np.int64), src.astype(np.int64), dst.astype(np.int64)
    low = min(int(src.min()), int(dst.min()))
    high = max(int(src.max()), int(dst.max()))
    if low >= 0 and high < 4 * (len(src) + len(dst)) + 1024:
        present = np.zeros(high + 1, dtype=bool)
        present[src] = True
        present[dst] = True
        position = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present), position[src], position[dst]
    nodes, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
    return nodes, inverse[: len(src)], inverse[len(src) :]
