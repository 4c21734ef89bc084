"""Scoring on Apache Spark: the event log as Parquet in, the results as Parquet out.

The measures are the same Ibis expressions on either engine (DESIGN.md, "Engines"); what
differs is where the data lives. On Spark the event log is read as Parquet — files, a folder
partitioned by month (``month=YYYY-MM``), or a URI (``s3a://``, ``hdfs://``) — and the
results are written as Parquet beside it:

- ``OUT/people/``: one row per person, every component raw and as a percentile, the
  broadcast and relational scores (``person`` the key; ``id`` when the log named people by
  id);
- ``OUT/ties/``: one row per pair (``lo``, ``hi`` keys; ``a``, ``b`` their ids), every
  feature, strength and each side's value;
- ``OUT/run/``: the run's parameters as one JSON line.

:func:`load_results` puts such a folder into a store, where ``top``, ``show``, ``circle`` and
the faces read it. Scoring a store on Spark (``narrowcast score --engine spark``) is the three
steps in a row: :func:`export_events` to a temporary folder, :func:`score_parquet`,
:func:`load_results`.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from narrowcast.errors import InputError, NarrowcastError
from narrowcast.measures.events import INPUT_COLUMNS
from narrowcast.measures.params import Params
from narrowcast.model import EVENTS
from narrowcast.store import Store

__all__ = [
    "ENGINES",
    "SparkOptions",
    "export_events",
    "export_log",
    "load_results",
    "runner_for",
    "score_parquet",
]

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class SparkOptions:
    """Where Spark runs: its master URL and configuration passed through."""

    master: str | None = None
    conf: Mapping[str, str] = field(default_factory=dict)

    def session(self) -> Any:
        from narrowcast.engines.spark import session

        return session(self.master, dict(self.conf))


def _month_partitioned(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    con.execute(
        f"""COPY (SELECT *, strftime(ts, '%Y-%m') AS month FROM ({select}))
            TO '{_sql_path(path)}'
            (FORMAT parquet, PARTITION_BY (month), OVERWRITE_OR_IGNORE)"""
    ).fetchall()


def _sql_path(path: Path | str) -> str:
    return str(path).replace("'", "''")


def export_events(store: Store, path: Path) -> None:
    """The store's event log as the measures read it (person keys, linked accounts as one
    person, only the columns scoring reads), as Parquet partitioned by month."""
    from narrowcast.engines import DuckDBRunner

    runner = DuckDBRunner(store.con)
    try:
        events = runner.events().select(*INPUT_COLUMNS)
        _month_partitioned(store.con, str(runner.ibis.compile(events)), path)
    finally:
        runner.close()


def export_log(store: Store, path: Path) -> int:
    """The store's whole event log (every column, people by id) as Parquet partitioned by
    month, the layout :func:`score_parquet` and ``narrowcast import parquet`` read. Returns
    the number of events written."""
    if path.exists() and any(path.iterdir()):
        raise NarrowcastError(f"{path} is not empty; choose a new folder to export to")
    cols = ", ".join(EVENTS.names)
    _month_partitioned(store.con, f"SELECT {cols} FROM event_log", path)
    return int(store.con.execute("SELECT count(*) FROM event_log").fetchall()[0][0])


def score_parquet(
    events: str | Sequence[str],
    out: str,
    params: Params,
    spark: SparkOptions,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Score the Parquet event log ``events`` on Spark and write the results to ``out``.

    Returns the run's parameters (also written to ``out/run/``).
    """
    from narrowcast.engines.spark import SparkRunner
    from narrowcast.measures.score import measure

    session = spark.session()
    runner = SparkRunner(session, progress=progress)
    try:
        log = runner.read_events(events)
        measured = measure(log, params, runner)
        people, ties = measured.people, measured.ties
        if runner.people is not None:
            names = runner.people
            people = people.left_join(names, people.person == names.key).drop("key")
            a = names.select(a="id", a_key="key")
            ties = ties.left_join(a, ties.lo == a.a_key).drop("a_key")
            b = names.select(b="id", b_key="key")
            ties = ties.left_join(b, ties.hi == b.b_key).drop("b_key")
        runner.write_parquet(people, f"{out.rstrip('/')}/people")
        runner.write_parquet(ties, f"{out.rstrip('/')}/ties")
        counted = log.filter(log.ts <= measured.as_of).count()
        run = {
            "as_of": measured.as_of.isoformat(),
            "half_life_days": params.half_life_days,
            "weights": params.weights_name,
            "tie_weights": dict(params.tie_weights),
            "engine": "spark",
            "spark_master": session.sparkContext.master,
            "events": int(runner.scalar(counted)),
        }
        session.createDataFrame([(json.dumps(run, default=str),)], "value string").coalesce(
            1
        ).write.mode("overwrite").text(f"{out.rstrip('/')}/run")
        return run
    finally:
        runner.close()


def _parquet(path: Path, what: str) -> str:
    folder = path / what
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        raise InputError(path, f"not narrowcast results: no Parquet files in {what}/")
    return f"read_parquet('{_sql_path(folder)}/*.parquet')"


def read_run(results: Path) -> dict[str, Any]:
    """The parameters a results folder was scored with."""
    files = sorted((results / "run").glob("part-*"))
    if not files:
        raise InputError(results, "not narrowcast results: no run/ parameters")
    return dict(json.loads(files[0].read_text().strip().splitlines()[0]))


def load_results(store: Store, results: Path, extra: Mapping[str, Any] | None = None) -> dict:
    """Keep a results folder (from :func:`score_parquet`) as the store's scores.

    When the results name people by id (the log had ids, not this store's keys), each id
    becomes this store's key for it; people the store has not seen get a people row, so the
    faces can show them. Returns the run's parameters as stored.
    """
    results = Path(results)
    run = {**read_run(results), **(extra or {})}
    people, ties = _parquet(results, "people"), _parquet(results, "ties")
    con = store.con
    p_cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {people}").fetchall()]
    t_cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {ties}").fetchall()]
    with _temp_tables(con, "_nc_loaded_people", "_nc_loaded_ties"):
        if "id" in p_cols:
            _add_people(store, people)
            con.execute(
                f"""CREATE TEMP TABLE _nc_loaded_people AS
                    SELECT r.* EXCLUDE (id) REPLACE (k.key AS person)
                    FROM {people} r JOIN people k ON k.id = r.id"""
            ).fetchall()
            con.execute(
                f"CREATE TEMP TABLE _nc_loaded_ties AS {_rekeyed_ties(ties, t_cols)}"
            ).fetchall()
            t_cols = [c for c in t_cols if c not in ("a", "b")]
        else:
            unknown = con.execute(
                f"SELECT count(*) FROM {people} r ANTI JOIN people k ON k.key = r.person"
            ).fetchall()[0][0]
            if unknown:
                raise InputError(
                    results,
                    f"{unknown:,} scored people are not in the store {store.path}: these "
                    "results were scored from another store's event log",
                )
            con.execute(f"CREATE TEMP TABLE _nc_loaded_people AS SELECT * FROM {people}")
            con.execute(f"CREATE TEMP TABLE _nc_loaded_ties AS SELECT * FROM {ties}")
        store.save_scores('"_nc_loaded_people"', '"_nc_loaded_ties"', run, t_cols)
    return run


@contextlib.contextmanager
def _temp_tables(con: duckdb.DuckDBPyConnection, *names: str) -> Iterator[None]:
    try:
        yield
    finally:
        for name in names:
            con.execute(f"DROP TABLE IF EXISTS {name}").fetchall()


def _add_people(store: Store, people: str) -> None:
    """People rows for ids the store has not seen (``platform:handle`` ids split)."""
    with store.transaction() as con:
        con.execute(
            f"""INSERT INTO people (key, id, platform, handle)
                SELECT (SELECT coalesce(max(key), 0) FROM people)
                       + row_number() OVER (ORDER BY r.id),
                       r.id,
                       CASE WHEN contains(r.id, ':') THEN split_part(r.id, ':', 1)
                            ELSE 'parquet' END,
                       CASE WHEN contains(r.id, ':') THEN r.id[strpos(r.id, ':') + 1:]
                            ELSE r.id END
                FROM (SELECT DISTINCT id FROM {people}) r ANTI JOIN people k ON k.id = r.id"""
        ).fetchall()


def _swapped(column: str) -> str:
    """The column of the other side of a pair: ``given_lo`` <-> ``given_hi``."""
    return re.sub(r"_(lo|hi)(?=_|$)", lambda m: "_hi" if m.group(1) == "lo" else "_lo", column)


def _rekeyed_ties(ties: str, columns: list[str]) -> str:
    """Ties with this store's keys for ``a`` and ``b``; where they come in the other order,
    ``lo`` and ``hi`` trade places and so does every column of one side."""
    out = []
    for c in columns:
        if c in ("a", "b"):
            continue
        if c == "lo":
            out.append("least(ka.key, kb.key) AS lo")
        elif c == "hi":
            out.append("greatest(ka.key, kb.key) AS hi")
        elif _swapped(c) != c and _swapped(c) in columns:
            out.append(
                f'CASE WHEN ka.key < kb.key THEN t."{c}" ELSE t."{_swapped(c)}" END AS "{c}"'
            )
        else:
            out.append(f't."{c}"')
    return (
        f"SELECT {', '.join(out)} FROM {ties} t "
        "JOIN people ka ON ka.id = t.a JOIN people kb ON kb.id = t.b"
    )


def score_store_on_spark(
    store: Store,
    params: Params,
    spark: SparkOptions,
    *,
    progress: Callable[[str], None] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Score the store's event log on Spark and keep the result (its run parameters with
    ``extra`` added) in the store."""
    say = progress or (lambda _: None)
    with tempfile.TemporaryDirectory(prefix="narrowcast-spark-") as tmp:
        work = Path(tmp)
        export_events(store, work / "events")
        say("exported the event log as Parquet")
        run = score_parquet(str(work / "events"), str(work / "results"), params, spark, progress)
        say("scored on Spark")
        return load_results(store, work / "results", {**run, **(extra or {})})


@contextlib.contextmanager
def runner_for(
    store: Store, engine: str, spark: SparkOptions | None = None
) -> Iterator[tuple[Any, Any]]:
    """An engine's runner over the store's event log, and that log as a table: the
    store's own DuckDB, or Spark reading it exported as Parquet."""
    if engine == "duckdb":
        from narrowcast.engines import DuckDBRunner

        runner = DuckDBRunner(store.con)
        try:
            yield runner, runner.events()
        finally:
            runner.close()
        return
    from narrowcast.engines.spark import SparkRunner

    with tempfile.TemporaryDirectory(prefix="narrowcast-spark-") as tmp:
        export_events(store, Path(tmp) / "events")
        spark_runner = SparkRunner((spark or SparkOptions()).session())
        try:
            yield spark_runner, spark_runner.read_events(str(Path(tmp) / "events"))
        finally:
            spark_runner.close()
