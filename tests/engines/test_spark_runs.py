"""Scoring on Spark as users run it: a store scored with ``engine="spark"``, and a Parquet
event log scored without a store, its results loaded back (issue 7).

Both must leave in the store exactly the scores DuckDB leaves: every number to 1e-9, and
each pair's value to each side on the right side, whichever keys Spark gave the people.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import narrowcast
from narrowcast import synthetic
from narrowcast.cli import main
from narrowcast.distributed import _swapped
from narrowcast.store import Store


def _same(duck: pd.DataFrame, other: pd.DataFrame, keys: list[str]) -> None:
    """Every column of ``duck`` is in ``other`` with the same values (numbers to 1e-9)."""
    assert len(duck) == len(other)
    duck = duck.sort_values(keys).reset_index(drop=True)
    other = other.sort_values(keys).reset_index(drop=True)
    for c in duck.columns:
        a, b = duck[c], other[c]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            x = a.to_numpy(dtype="float64", na_value=np.nan)
            y = pd.to_numeric(b).to_numpy(dtype="float64", na_value=np.nan)
            assert np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True), c
        else:
            assert a.astype(object).tolist() == b.astype(object).tolist(), c


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic community, scored by DuckDB (its scores are the reference)."""
    db = tmp_path_factory.mktemp("community") / "store.duckdb"
    with Store(db) as store:
        store.load(synthetic.generate(1200, seed=3).parsed)
    return db


def _reference(db: Path, tmp: Path) -> Path:
    """A copy of the store with DuckDB's scores in it."""
    copy = tmp / "duckdb.duckdb"
    copy.write_bytes(db.read_bytes())
    narrowcast.score(copy)
    return copy


def test_a_store_scored_on_spark_holds_duckdbs_scores(community, spark, tmp_path):
    reference = narrowcast.Scores(str(_reference(community, tmp_path)), {})
    scored = narrowcast.score(community, engine="spark", spark_master="local[2]")

    assert scored.run["engine"] == "spark" and scored.run["events"] == 1200
    _same(reference.people, scored.people, ["person"])
    _same(reference.ties(), scored.ties(), ["a", "b"])
    top = narrowcast.top("relational", 5, db=community)
    assert [r["person"] for r in top] == [
        r["person"] for r in narrowcast.top("relational", 5, db=reference.db)
    ]


def test_a_parquet_log_of_ids_scores_without_a_store_and_loads_back(community, spark, tmp_path):
    reference = narrowcast.Scores(str(_reference(community, tmp_path)), {})
    log = tmp_path / "log"
    assert narrowcast.export_log(log, db=community) == 1200
    assert sorted(p.name for p in log.iterdir())[0].startswith("month=")

    run = narrowcast.score_parquet(log, tmp_path / "results", spark_master="local[2]")
    assert run["events"] == 1200 and run["engine"] == "spark"
    assert {p.name for p in (tmp_path / "results").iterdir()} >= {"people", "ties", "run"}

    # Spark keyed people by id order, the store by arrival: loading maps ids to the store's
    # keys, and turns each pair around where the two orders disagree.
    narrowcast.load_scores(tmp_path / "results", db=community)
    loaded = narrowcast.Scores(str(community), {})
    _same(reference.people, loaded.people, ["person"])
    _same(reference.ties(include_private=True), loaded.ties(include_private=True), ["a", "b"])

    # A store that never saw the log gets the people with the scores.
    fresh = tmp_path / "fresh.duckdb"
    narrowcast.load_scores(tmp_path / "results", db=fresh)
    again = narrowcast.Scores(str(fresh), {})
    _same(reference.people.drop(columns=["display_name"]), again.people, ["person"])
    with Store(fresh, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 0


def test_each_column_of_one_side_has_a_twin_on_the_other():
    assert _swapped("given_lo") == "given_hi"
    assert _swapped("support_to_hi_public") == "support_to_lo_public"
    assert _swapped("value_to_lo") == "value_to_hi"
    assert _swapped("strength") == "strength"
    assert _swapped("lonely_hills") == "lonely_hills"


def _cli(*args: str, db: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    return result.exit_code, result.output


def test_the_parquet_options_say_what_they_need(community, tmp_path):
    code, out = _cli("score", "--events", str(tmp_path), db=community)
    assert code == 2 and "--events and --out go together" in out
    code, out = _cli("score", "--events", str(tmp_path), "--out", str(tmp_path), db=community)
    assert code == 2 and "--events needs --engine spark" in out
    code, out = _cli("score", "--engine", "spark", "--spark-conf", "oops", db=community)
    assert code == 2 and "KEY=VALUE" in out


def test_loading_what_is_not_results_changes_nothing(community, tmp_path):
    (tmp_path / "people").mkdir()
    code, out = _cli("load-scores", str(tmp_path), db=community)
    assert code == 2 and "not narrowcast results" in out


def test_export_refuses_a_folder_with_files_in_it(community, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    code, out = _cli("export", str(tmp_path), db=community)
    assert code == 2 and "not empty" in out
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_float_literals_are_doubles_on_spark(spark):
    """Spark SQL reads ``1.0`` as a decimal; a share computed from literals alone (a
    uniform PageRank teleport, 1.0 / n) must keep a double's precision as on DuckDB."""
    import ibis
    import pyarrow as pa

    from narrowcast.engines.spark import SparkRunner

    runner = SparkRunner(spark)
    try:
        t = runner.from_arrow(pa.table({"n": pa.array([3, 7_000_001], pa.int64())}), "counts")
        shares = runner.to_arrow(t.select(share=ibis.literal(1.0) / t.n.cast("float64")))
        assert shares.column("share").to_pylist() == [1.0 / 3, 1.0 / 7_000_001]
        whole = runner.to_arrow(t.select(third=ibis.literal(1.0) / ibis.literal(3.0)))
        assert whole.column("third").to_pylist() == [1.0 / 3, 1.0 / 3]
    finally:
        runner.close()


def test_a_large_log_gets_a_shuffle_partition_per_half_million_events():
    from narrowcast.engines.spark import EVENTS_PER_PARTITION, shuffle_partitions

    assert EVENTS_PER_PARTITION == 500_000
    assert shuffle_partitions(0, 4) == 4
    assert shuffle_partitions(1_000_000, 4) == 4  # two per core holds for a small log
    assert shuffle_partitions(2_000_001, 4) == 5
    assert shuffle_partitions(100_000_000, 4) == 200


def test_reading_a_log_sets_the_shuffle_partitions_narrowcast_chose(
    spark, community, tmp_path, monkeypatch
):
    """Where narrowcast chose the shuffle partitions (local mode, none given), reading the
    log sets them by its size; a number the caller gave is left as it is."""
    import narrowcast.engines.spark as engine
    from narrowcast.distributed import export_events

    with Store(community, read_only=True) as store:
        export_events(store, tmp_path / "events")
        events = store.info()["events"]
    monkeypatch.setattr(engine, "EVENTS_PER_PARTITION", 100)
    spark.conf.unset(engine._FEWEST_PARTITIONS)  # as session() leaves a number given
    given = spark.conf.get("spark.sql.shuffle.partitions")
    runner = engine.SparkRunner(spark)
    try:
        runner.read_events(str(tmp_path / "events"))  # the caller's number: kept
        assert spark.conf.get("spark.sql.shuffle.partitions") == given
        spark.conf.set(engine._FEWEST_PARTITIONS, "2")
        runner.read_events(str(tmp_path / "events"))
        assert spark.conf.get("spark.sql.shuffle.partitions") == str(-(-events // 100))
    finally:
        runner.close()
        spark.conf.unset(engine._FEWEST_PARTITIONS)
        spark.conf.set("spark.sql.shuffle.partitions", given)


def test_the_session_marks_only_the_shuffle_partitions_it_chose(spark):
    import narrowcast.engines.spark as engine

    given = spark.conf.get("spark.sql.shuffle.partitions")
    try:
        chosen = engine.session("local[2]")  # the running session, narrowcast's defaults
        assert chosen.conf.get(engine._FEWEST_PARTITIONS) == "4"
        assert chosen.conf.get("spark.sql.shuffle.partitions") == "4"
        mine = engine.session("local[2]", {"spark.sql.shuffle.partitions": "3"})
        assert mine.conf.get(engine._FEWEST_PARTITIONS, None) is None
        assert mine.conf.get("spark.sql.shuffle.partitions") == "3"
    finally:
        spark.conf.unset(engine._FEWEST_PARTITIONS)
        spark.conf.set("spark.sql.shuffle.partitions", given)


def test_the_spark_runner_frees_the_tables_it_no_longer_needs(spark):
    """A local checkpoint's blocks outlive ``unpersist``: the runner frees them itself,
    for each PageRank step's ranks as the loop moves on and for everything at close."""
    import pyarrow as pa

    from narrowcast.engines.spark import SparkRunner
    from narrowcast.measures.score import pagerank_loop

    def held() -> int:
        return spark.sparkContext._jsc.getPersistentRDDs().size()

    before = held()
    runner = SparkRunner(spark)
    try:
        edges = runner.from_arrow(
            pa.table({"src": [0, 1, 2, 2], "dst": [1, 2, 0, 3], "weight": [1.0, 2.0, 1.0, 1.0]}),
            "edges",
        )
        ranks = runner.to_arrow(pagerank_loop(runner, edges, "pr"))
        assert ranks.num_rows == 4
        assert held() == before + 2  # the edges and the last step's ranks
    finally:
        runner.close()
    assert held() == before


def test_a_pagerank_step_on_spark_leaves_the_links_where_they_are(spark):
    """The links are kept partitioned and sorted by source, so a step's join neither
    shuffles nor sorts them: what moves is the ranks (a row per node) to the links, and the
    rank flowing along them to each node."""
    import pyarrow as pa

    from narrowcast.engines.spark import SparkRunner
    from narrowcast.measures.network import initial_ranks, pagerank_graph, pagerank_step

    given = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "4")
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")  # joined as large tables are
    runner = SparkRunner(spark)
    try:
        edges = runner.from_arrow(
            pa.table({"src": [0, 1, 2, 2, 3], "dst": [1, 2, 0, 3, 0], "weight": [1.0] * 5}),
            "edges",
        )
        nodes, links = pagerank_graph(edges)
        links = runner.materialize(links, "links", by="src")
        ranks = runner.materialize(
            initial_ranks(runner.materialize(nodes, "nodes")), "r0", by="node"
        )
        step = runner.materialize(pagerank_step(links, ranks), "r1")
        plan = str(
            spark.sql(runner.ibis.compile(pagerank_step(links, step)))
            ._jdf.queryExecution()
            .executedPlan()
            .toString()
        )
        assert "Exchange hashpartitioning(src" not in plan, plan
        assert "Sort [src" not in plan, plan
        assert "Exchange hashpartitioning(node" in plan, plan  # the flow, summed per node
    finally:
        runner.close()
        spark.conf.set("spark.sql.shuffle.partitions", given)
        spark.conf.unset("spark.sql.autoBroadcastJoinThreshold")


def test_the_pagerank_loop_takes_the_fewest_partitions_narrowcast_would_choose(spark):
    """Without adaptive execution nothing merges small partitions, so the loop runs on the
    fewest where narrowcast chose the number; the session's settings come back after."""
    import pyarrow as pa

    import narrowcast.engines.spark as engine

    given = spark.conf.get("spark.sql.shuffle.partitions")
    adaptive = spark.conf.get("spark.sql.adaptive.enabled")
    seen: set[tuple[str, str]] = set()

    def progress(_: str) -> None:
        seen.add(
            (
                spark.conf.get("spark.sql.shuffle.partitions"),
                spark.conf.get("spark.sql.adaptive.enabled"),
            )
        )

    spark.conf.set("spark.sql.shuffle.partitions", "7")
    spark.conf.set(engine._FEWEST_PARTITIONS, "2")
    runner = engine.SparkRunner(spark)
    try:
        edges = runner.from_arrow(
            pa.table({"src": [0, 1, 2], "dst": [1, 2, 0], "weight": [1.0, 1.0, 1.0]}), "edges"
        )
        runner.progress = progress
        ranks = runner.to_arrow(runner.pagerank(edges, "pr"))
        assert sorted(ranks.column("pagerank").to_pylist()) == pytest.approx([1 / 3] * 3)
        assert seen == {("2", "false")}
        assert spark.conf.get("spark.sql.shuffle.partitions") == "7"
        assert spark.conf.get("spark.sql.adaptive.enabled") == adaptive
    finally:
        runner.close()
        spark.conf.unset(engine._FEWEST_PARTITIONS)
        spark.conf.set("spark.sql.shuffle.partitions", given)
