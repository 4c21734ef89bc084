"""The DuckDB runner's housekeeping: where intermediate tables live, and what it leaves behind.

Intermediate tables go to a scratch database file of the runner's own, so DuckDB can move
them out of memory under its limit; closing the runner (or losing it) removes the file and
puts the connection's settings back as they were.
"""

from __future__ import annotations

import gc
from pathlib import Path

import duckdb
import pyarrow as pa

from narrowcast.engines import DuckDBRunner


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
    runner = DuckDBRunner(con)
    assert _setting(con, "memory_limit") != before[0]
    assert str(_setting(con, "preserve_insertion_order")).lower() == "false"
    t = runner.from_arrow(pa.table({"a": [1, 2, 3]}), "numbers")
    doubled = runner.materialize(t.mutate(b=t.a * 2), "doubled")
    folder = _scratch_folder(runner)
    assert (folder / "scratch.duckdb").exists()
    assert sorted(runner.to_arrow(doubled).column("b").to_pylist()) == [2, 4, 6]
    assert con.execute(f"SELECT sum(b) FROM {runner.sql_name(doubled)}").fetchall() == [(12,)]

    runner.close()
    assert not folder.exists()
    assert (_setting(con, "memory_limit"), _setting(con, "preserve_insertion_order")) == before
    runner.close()  # closing twice is harmless


def test_a_runner_never_closed_removes_its_file_when_collected() -> None:
    runner = DuckDBRunner(duckdb.connect())
    runner.from_arrow(pa.table({"a": [1]}), "one")
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
    runner = DuckDBRunner(con)
    try:
        edges = runner.ibis.table("edges")
        made = runner.materialize(edges.filter(edges.a > 1), "some")
        assert runner.scalar(made.count()) == 3
    finally:
        runner.close()
