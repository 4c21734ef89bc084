"""The DuckDB runner's housekeeping: where intermediate tables live, what it leaves behind,
and how its steps run.

Intermediate tables are temporary, or, for a large log, go to a scratch database file of
the runner's own, so DuckDB can move them out of memory under its limit; closing the runner
(or losing it) removes them and puts the connection's settings back as they were.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import duckdb
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pytest

from narrowcast.engines import DuckDBRunner
from narrowcast.engines.duckdb import SCRATCH_EVENTS_PER_MB


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
    return con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]


def _scratch_folder(runner: DuckDBRunner) -> Path:
    (path,) = [
        Path(p)
        for (name, p) in runner.con.execute(
            "SELECT database_name, path FROM duckdb_databases()"
        ).fetchall()
        if name == runner._scratch
    ]
    return path.parent


def test_intermediate_tables_live_in_a_scratch_file_removed_on_close() -> None:
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GiB'")
    before = _setting(con, "memory_limit"), _setting(con, "preserve_insertion_order")
    runner = DuckDBRunner(con, scratch=True)
    assert _setting(con, "memory_limit") != before[0]
    assert str(_setting(con, "preserve_insertion_order")).lower() == "false"
    t = runner.from_arrow(pa.table({"a": [1, 2, 3]}), "numbers")
    doubled = runner.materialize(t.mutate(b=t.a * 2), "doubled")
    runner.wait()
    folder = _scratch_folder(runner)
    assert (folder / "scratch.duckdb").exists()
    assert sorted(runner.to_arrow(doubled).column("b").to_pylist()) == [2, 4, 6]
    assert con.execute(f"SELECT sum(b) FROM {runner.sql_name(doubled)}").fetchall() == [(12,)]

    runner.close()
    assert not folder.exists()
    assert (_setting(con, "memory_limit"), _setting(con, "preserve_insertion_order")) == before
    runner.close()  # closing twice is harmless


def test_a_runner_never_closed_removes_its_file_when_collected() -> None:
    runner = DuckDBRunner(duckdb.connect(), scratch=True)
    runner.from_arrow(pa.table({"a": [1]}), "one")
    runner.wait()
    folder = _scratch_folder(runner)
    del runner
    gc.collect()
    assert not folder.exists()


def test_a_read_only_store_can_be_measured(tmp_path: Path) -> None:
    """The scratch file is the runner's own: a store opened read-only still allows it."""
    db = tmp_path / "s.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE edges AS SELECT range AS a FROM range(5)")
    con = duckdb.connect(str(db), read_only=True)
    runner = DuckDBRunner(con, scratch=True)
    try:
        edges = runner.ibis.table("edges")
        made = runner.materialize(edges.filter(edges.a > 1), "some")
        assert runner.scalar(made.count()) == 3
    finally:
        runner.close()


def test_a_small_log_is_measured_in_temporary_tables_dropped_on_close() -> None:
    con = duckdb.connect()
    runner = DuckDBRunner(con)
    assert not runner.scratch  # no event log here: nothing large
    t = runner.from_arrow(pa.table({"a": [1, 2]}), "numbers")
    assert con.execute(f"SELECT sum(a) FROM {runner.sql_name(t)}").fetchall() == [(3,)]
    runner.close()
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]


def test_a_log_large_for_the_memory_limit_goes_to_the_scratch_file(monkeypatch) -> None:
    """With 1 MB of memory allowed, a log of more than SCRATCH_EVENTS_PER_MB events is
    large; one of that many is not."""
    monkeypatch.setenv("NARROWCAST_SCORING_MEMORY_MB", "1")
    con = duckdb.connect()
    con.execute(f"CREATE TABLE event_rows AS SELECT range AS x FROM range({SCRATCH_EVENTS_PER_MB})")
    small = DuckDBRunner(con)
    assert not small.scratch
    small.close()
    con.execute("INSERT INTO event_rows VALUES (0)")
    large = DuckDBRunner(con)
    assert large.scratch
    large.close()


# -- steps run in the runner's thread, in order, while the pipeline builds the next ones --


def test_steps_run_in_the_order_they_were_asked_for_and_report_as_they_finish() -> None:
    finished: list[str] = []
    runner = DuckDBRunner(duckdb.connect(), progress=finished.append)
    try:
        t = runner.from_arrow(pa.table({"a": [1, 2, 3]}), "numbers")
        doubled = runner.materialize(t.mutate(b=t.a * 2), "doubled")
        total = runner.materialize(doubled.aggregate(s=doubled.b.sum()), "total")
        assert runner.scalar(total.s.max()) == 12
        assert finished == ["numbers", "doubled", "total"]
    finally:
        runner.close()


def test_a_step_table_has_the_types_its_expression_declares() -> None:
    """The runner names a step's table by its expression's schema before DuckDB makes it;
    DuckDB makes exactly those types (float literals DOUBLE, integer sums BIGINT)."""
    runner = DuckDBRunner(duckdb.connect())
    try:
        t = runner.from_arrow(pa.table({"n": [1, 2, 3], "g": ["x", "x", "y"]}), "numbers")
        made = runner.materialize(
            t.group_by("g").aggregate(total=t.n.sum(), half=t.n.sum() * 0.5, k=t.n.count()),
            "made",
        )
        runner.wait()
        assert runner.ibis.table(made.op().name).schema() == made.schema()
    finally:
        runner.close()


def test_a_failed_step_is_raised_at_the_next_read_and_the_steps_after_it_never_run() -> None:
    con = duckdb.connect()
    runner = DuckDBRunner(con)
    try:
        t = runner.from_arrow(pa.table({"s": ["1", "two"]}), "texts")
        bad = runner.materialize(t.mutate(n=t.s.cast("int64")), "bad")  # 'two' is no number
        after = runner.materialize(bad.mutate(m=bad.n + 1), "after")
        with pytest.raises(duckdb.ConversionException, match="two"):
            runner.scalar(after.count())
        made = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert after.op().name not in made and bad.op().name not in made
        # Once raised, the error is not raised again, and the runner goes on.
        assert runner.scalar(t.count()) == 2
        fine = runner.materialize(t.filter(t.s == "1"), "fine")
        assert runner.scalar(fine.count()) == 1
    finally:
        runner.close()


def test_closing_early_stops_the_running_step_and_skips_the_queued_ones() -> None:
    """A run left on an error or Ctrl-C does not go on computing: close() interrupts the
    step DuckDB is running (here one that would take hours) and drops what was made."""
    con = duckdb.connect()
    runner = DuckDBRunner(con)
    t = runner.from_arrow(pa.table({"a": list(range(1_000_000))}), "many")
    pairs = t.cross_join(t.select(b=t.a))  # a million million pairs
    slow = runner.materialize(pairs.aggregate(s=(pairs.a * pairs.b).sum()), "slow")
    queued = runner.materialize(t.mutate(b=t.a), "queued")
    runner.close()
    made = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not made & {slow.op().name, queued.op().name, t.op().name}


def _cycle(runner: DuckDBRunner, weight: list) -> ir.Table:
    return runner.from_arrow(pa.table({"src": [1, 2, 3], "dst": [2, 3, 1], "weight": weight}), "e")


def test_a_pagerank_computes_beside_the_next_steps_and_is_made_before_its_first_reader() -> None:
    finished: list[str] = []
    runner = DuckDBRunner(duckdb.connect(), progress=finished.append)
    try:
        edges = _cycle(runner, [1.0, 1.0, 1.0])
        ranks = runner.pagerank(edges, "ranks")
        runner.materialize(edges.mutate(double=edges.weight * 2), "unrelated")
        reads = runner.materialize(ranks.mutate(p=ranks.pagerank * 3), "reads")
        assert runner.scalar(reads.p.sum()) == pytest.approx(3.0)  # ranks sum to 1
        assert finished == ["e", "unrelated", "ranks", "reads"]
    finally:
        runner.close()


def test_a_failed_pagerank_is_raised_at_the_next_read() -> None:
    runner = DuckDBRunner(duckdb.connect())
    try:
        ranks = runner.pagerank(_cycle(runner, ["1", "x", "1"]), "ranks")  # 'x' is no weight
        with pytest.raises(TypeError):
            runner.scalar(ranks.count())
    finally:
        runner.close()


def test_a_pagerank_nothing_reads_does_not_hold_up_closing() -> None:
    con = duckdb.connect()
    runner = DuckDBRunner(con)
    runner.pagerank(_cycle(runner, [1.0, 2.0, 3.0]), "ranks")
    runner.close()
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]


class _Keeping(DuckDBRunner):
    """A runner that drops nothing: every intermediate table stays to the end."""

    def drop(self, table: ir.Table) -> None:
        pass


def test_every_step_of_the_measures_makes_the_types_its_expression_declares(tmp_path: Path) -> None:
    """The whole pipeline on a synthetic community: each intermediate table DuckDB made
    has exactly the column types the runner declared for it in advance, and so has the
    people's query, computed where it is read."""
    import narrowcast
    from narrowcast.measures.params import Params
    from narrowcast.measures.score import measure
    from narrowcast.store import Store

    db = tmp_path / "s.duckdb"
    narrowcast.demo(events=5_000, seed=3, db=db, score=False)
    declared: list[ir.Table] = []

    class Recording(_Keeping):  # every table kept, to be compared below
        def materialize(self, expr: ir.Table, name: str, **kw: Any) -> ir.Table:
            declared.append(made := super().materialize(expr, name, **kw))
            return made

    with Store(db, create=False) as store:
        runner = Recording(store.con)
        try:
            measured = measure(runner.events(), Params(), runner)
            runner.wait()
            assert len(declared) >= 15
            for table in declared:
                name = table.op().name
                assert runner.ibis.table(name).schema() == table.schema(), name
            query = runner.query(measured.people)
            store.con.execute(f"CREATE TEMP TABLE people_made AS SELECT * FROM {query} LIMIT 0")
            made = runner.ibis.table("people_made").schema()
            assert dict(made.items()) == {
                c: t.copy(nullable=True) for c, t in measured.people.schema().items()
            }
        finally:
            runner.close()


@pytest.mark.parametrize("recompute", [False, True], ids=["ties-made", "ties-recomputed"])
@pytest.mark.parametrize("scratch", [False, True], ids=["temporary", "scratch-file"])
def test_the_measures_leave_only_their_results_and_the_ranks(
    tmp_path: Path, scratch: bool, recompute: bool
) -> None:
    """Each intermediate table is dropped once the steps that read it are asked for: after
    a whole run the runner holds the tables the people are computed from (their figures,
    percentiles and blends), the ties (or, where they are computed where read, the tie
    totals and embeddedness they are figures of) and the two PageRanks' ranks (which are a
    row per person), and the results read the same as when nothing was dropped."""
    import narrowcast
    from narrowcast.measures.params import Params
    from narrowcast.measures.score import measure
    from narrowcast.store import Store

    db = tmp_path / "s.duckdb"
    narrowcast.demo(events=5_000, seed=3, db=db, score=False)

    results = []
    with Store(db, create=False) as store:
        for kind in (DuckDBRunner, _Keeping):
            runner = kind(store.con, scratch=scratch, recompute=recompute)
            try:
                measured = measure(runner.events(), Params(), runner)
                results.append(
                    (
                        runner.to_arrow(measured.people.order_by("person")),
                        runner.to_arrow(measured.ties.order_by(["lo", "hi"])),
                    )
                )
                where = f"database_name = '{runner._scratch}'" if scratch else "temporary"
                left = {
                    name.removeprefix(runner._prefix)
                    for (name,) in store.con.execute(
                        f"SELECT table_name FROM duckdb_tables() WHERE {where}"
                    ).fetchall()
                }
            finally:
                runner.close()
            if kind is DuckDBRunner:
                ties = {"totals", "embedded"} if recompute else {"ties"}
                people = {"people_raw", "percentiles", "people_blend"}
                assert left == {*people, "network", "mutual", *ties}
            else:
                assert len(left) > 15
    for dropped, kept in zip(results[0], results[1], strict=True):
        # equal but for the order of floating-point sums in DuckDB's parallel aggregates
        pd.testing.assert_frame_equal(dropped.to_pandas(), kept.to_pandas(), rtol=1e-12)


def test_ties_made_computed_where_read_or_made_in_the_store_measure_the_same(
    tmp_path: Path,
) -> None:
    """A large log's ties are computed where they are read rather than kept as a table
    (``recompute``, :data:`RECOMPUTE_EVENTS_PER_MB`); a run whose ties are kept makes them
    in the store (``results``), where the steps after them read them, even where
    ``recompute`` holds, and closing the runner drops them. People and ties are the same
    all three ways."""
    import narrowcast
    from narrowcast.measures.params import Params
    from narrowcast.measures.score import measure
    from narrowcast.store import STAGED_TIES, Store

    db = tmp_path / "s.duckdb"
    narrowcast.demo(events=5_000, seed=3, db=db, score=False)
    ways = {
        "made": {"recompute": False},
        "recomputed": {"recompute": True},
        "in the store": {"recompute": True, "results": {"ties": STAGED_TIES}},
    }
    measured = {}
    with Store(db, create=False) as store:
        for way, options in ways.items():
            runner = DuckDBRunner(store.con, **options)
            try:
                m = measure(runner.events(), Params(), runner)
                people = runner.to_arrow(m.people.order_by("person")).to_pandas()
                ties = runner.to_arrow(m.ties.order_by(["lo", "hi"])).to_pandas()
                stored = store.con.execute(
                    "SELECT count(*) FROM duckdb_tables() WHERE NOT temporary "
                    f"AND table_name = '{STAGED_TIES}'"
                ).fetchall()
                assert stored == [(int(way == "in the store"),)]
                if way == "in the store":
                    assert runner.sql_name(m.ties) == f'main."{STAGED_TIES}"'
                    kept = store.con.execute(f"SELECT * FROM {STAGED_TIES}").df()
                    assert ties.shape == kept.shape
            finally:
                runner.close()
            assert STAGED_TIES not in store.tables()
            measured[way] = people, ties
    first = measured.pop("made")
    assert len(first[1]) > 100
    for other in measured.values():
        for a, b in zip(first, other, strict=True):
            pd.testing.assert_frame_equal(a, b, rtol=1e-12)
