"""Agreement: the measures scored by DuckDB and by Spark (local mode) from their single Ibis
definition give the same people and ties (DESIGN.md, "Engines"; issue 7).

Every numeric column agrees to 1e-9 relative (counts exactly), and the rankings by
broadcast and by relational are identical. Both engines run the portable PageRank loop.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from narrowcast import synthetic
from narrowcast.engines import DuckDBRunner
from narrowcast.measures.params import Params
from narrowcast.measures.score import measure

RTOL = 1e-9
#: Sums of many terms that should be 0 may come out as +-1e-17 in another order.
ATOL = 1e-12

EXPORT = (
    "SELECT * EXCLUDE (seq, import_id) RENAME (actor_key AS actor, target_key AS target) "
    "FROM events"
)


def _java() -> bool:
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or bool(home and os.path.exists(home))


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    pytest.importorskip(
        "pyspark", reason="pyspark is not installed (pip install 'pyspark>=4.0,<4.1')"
    )
    if not _java():
        pytest.skip("no Java runtime found (java not on PATH, JAVA_HOME unset): Spark cannot start")
    from narrowcast.engines.spark import local_session

    session = local_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()


def _frame(table: object) -> pd.DataFrame:
    return table.to_pandas()  # type: ignore[attr-defined]


def _agree(duck: pd.DataFrame, spark: pd.DataFrame, keys: list[str], what: str) -> None:
    assert sorted(duck.columns) == sorted(spark.columns), what
    assert len(duck) == len(spark), what
    duck = duck.sort_values(keys).reset_index(drop=True)
    spark = spark.sort_values(keys).reset_index(drop=True)[list(duck.columns)]
    for k in keys:
        assert duck[k].tolist() == spark[k].tolist(), f"{what}.{k}"
    problems = []
    for c in duck.columns:
        a, b = duck[c], spark[c]
        if pd.api.types.is_bool_dtype(a) or not pd.api.types.is_numeric_dtype(a):
            assert (
                a.astype(object).where(a.notna(), None).tolist()
                == b.astype(object).where(b.notna(), None).tolist()
            ), f"{what}.{c}"
            continue
        x, y = (
            a.to_numpy(dtype="float64", na_value=np.nan),
            b.to_numpy(dtype="float64", na_value=np.nan),
        )
        assert (np.isnan(x) == np.isnan(y)).all(), f"{what}.{c}: nulls differ"
        if pd.api.types.is_integer_dtype(a) and pd.api.types.is_integer_dtype(b):
            assert (x[~np.isnan(x)] == y[~np.isnan(y)]).all(), f"{what}.{c}: counts differ"
            continue
        ok = np.isclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True)
        bad = np.flatnonzero(~ok)
        if len(bad):
            problems.append(
                f"{what}.{c}: {len(bad)} rows differ, e.g. {keys} = "
                f"{duck.loc[bad[0], keys].tolist()}: duckdb {x[bad[0]]!r}, spark {y[bad[0]]!r}"
            )
    assert not problems, "\n".join(problems)


def _ranking(people: pd.DataFrame, score: str) -> list[int]:
    order = people.sort_values([score, "person"], ascending=[False, True])
    return order.person.tolist()


def test_duckdb_and_spark_agree(store, spark) -> None:
    from narrowcast.engines.spark import SparkRunner

    community = synthetic.generate(3000, seed=1)
    store.load(community.parsed)
    params = Params()

    duck = DuckDBRunner(store.con, kernel="tables")
    try:
        got = measure(duck.events(), params, duck)
        duck_people = _frame(duck.to_arrow(got.people))
        duck_ties = _frame(duck.to_arrow(got.ties))
    finally:
        duck.close()

    events = store.con.sql(EXPORT).to_arrow_table()
    runner = SparkRunner(spark)
    try:
        sp = measure(runner.events_from_arrow(events), params, runner)
        spark_people = _frame(runner.to_arrow(sp.people))
        spark_ties = _frame(runner.to_arrow(sp.ties))
    finally:
        runner.close()

    assert len(duck_people) > 100 and len(duck_ties) > 100
    _agree(duck_ties, spark_ties, ["lo", "hi"], "ties")
    _agree(duck_people, spark_people, ["person"], "people")
    for score in ("broadcast", "relational"):
        assert _ranking(duck_people, score) == _ranking(spark_people, score), score
