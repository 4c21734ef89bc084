"""Agreement: the measures scored by DuckDB and by Spark (local mode) from their single Ibis
definition give the same people and ties (DESIGN.md, "Engines"; issue 7).

Every numeric column agrees to 1e-9 relative (counts exactly), and the rankings by
broadcast and by relational are identical. Both engines run the portable PageRank loop.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from narrowcast import synthetic
from narrowcast.engines import DuckDBRunner
from narrowcast.measures.params import Params
from narrowcast.measures.score import measure
from tests.conftest import data_path

RTOL = 1e-9
#: Sums of many terms that should be 0 may come out as +-1e-17 in another order.
ATOL = 1e-12


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


def _synthetic(store) -> None:
    store.load(synthetic.generate(3000, seed=1).parsed)


def _se_beer(store) -> None:
    """A slice of a real log: the se-beer Stack Exchange dump's first posts and comments,
    with every vote, accept and edit they bring."""
    from narrowcast.importers import read

    parsed = read("stackexchange", [data_path("se-beer")], platform="beer")
    store.load(parsed)
    cut = store.con.execute(
        "SELECT quantile_disc(ts, 0.25) FROM events WHERE kind IN ('post', 'reply')"
    ).fetchall()[0][0]
    # ``events`` is a view over the store's physical rows; the cut is made on those.
    store.con.execute("DELETE FROM event_rows WHERE ts > ?", [cut]).fetchall()


@pytest.mark.parametrize("load", [_synthetic, _se_beer], ids=["synthetic", "se-beer-slice"])
def test_duckdb_and_spark_agree(store, spark, tmp_path, load) -> None:
    from narrowcast.distributed import export_events
    from narrowcast.engines.spark import SparkRunner

    load(store)
    params = Params()

    duck = DuckDBRunner(store.con, kernel="tables")
    try:
        got = measure(duck.events(), params, duck)
        duck_people = _frame(duck.to_arrow(got.people))
        duck_ties = _frame(duck.to_arrow(got.ties))
    finally:
        duck.close()

    export_events(store, tmp_path / "events")
    runner = SparkRunner(spark)
    try:
        sp = measure(runner.read_events(str(tmp_path / "events")), params, runner)
        spark_people = _frame(runner.to_arrow(sp.people))
        spark_ties = _frame(runner.to_arrow(sp.ties))
        # Every intermediate table was freed once the steps reading it had run: what is
        # left is the log (whose people are already integer keys: no key table), the ties,
        # the tables the people are computed from, and each PageRank's last ranks.
        left = {re.sub(r"_r\d+$", "_r", v.removeprefix(runner._prefix)) for v in runner._made}
        people = {"people_raw", "percentiles", "people_blend"}
        assert left == {"events", *people, "ties", "network_r", "mutual_r"}
    finally:
        runner.close()

    assert len(duck_people) > 100 and len(duck_ties) > 100
    _agree(duck_ties, spark_ties, ["lo", "hi"], "ties")
    _agree(duck_people, spark_people, ["person"], "people")
    for score in ("broadcast", "relational"):
        assert _ranking(duck_people, score) == _ranking(spark_people, score), score
