"""The small table helpers the measures share, and percentiles."""

from __future__ import annotations

import statistics

import ibis
from hypothesis import given, settings
from hypothesis import strategies as st

from narrowcast.measures._tables import median_by
from narrowcast.measures.scale import percentile, percentiles


def _medians(rows: list[tuple[int, float | None]]) -> dict[int, float]:
    t = ibis.memtable(
        {"k": [k for k, _ in rows], "v": [v for _, v in rows]},
        schema={"k": "int64", "v": "float64"},
    )
    out = ibis.duckdb.connect().to_pyarrow(median_by(t, "k", "v"))
    return dict(zip(out.column("k").to_pylist(), out.column("v").to_pylist(), strict=True))


def test_median_by_group_odd_even_and_nulls() -> None:
    """Group 1: 3, 1, 2 -> 2. Group 2: 10, 20 -> their mean, 15. Group 3: 5, 7, 1 and a
    null, which does not count -> 5. Group 4 holds only a null: no median, no row."""
    rows = [(1, 3.0), (1, 1.0), (1, 2.0), (2, 10.0), (2, 20.0)]
    rows += [(3, None), (3, 5.0), (3, 7.0), (3, 1.0), (4, None)]
    assert _medians(rows) == {1: 2.0, 2: 15.0, 3: 5.0}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(-1000, 1000).map(float)),
        min_size=1,
        max_size=40,
    )
)
def test_median_by_is_the_statistics_median(rows: list[tuple[int, float]]) -> None:
    got = _medians(rows)
    for key in {k for k, _ in rows}:
        assert got[key] == statistics.median(v for k, v in rows if k == key)


def test_percentiles_rank_each_column_within_the_community() -> None:
    """Five people; a: 0, 0, 1, 2, 5 -> ties share the lowest rank: 0, 0, 50, 75, 100
    (100 (r - 1) / (n - 1)); b: a missing figure ranks as 0, like the zero beside it."""
    t = ibis.memtable(
        {"person": [1, 2, 3, 4, 5], "a": [0, 0, 1, 2, 5], "b": [None, 0.0, 3.0, 2.0, 1.0]},
        schema={"person": "int64", "a": "int64", "b": "float64"},
    )
    out = ibis.duckdb.connect().to_pyarrow(percentiles(t, "person", ["a", "b"]))
    rows = {r["person"]: (r["a_pct"], r["b_pct"]) for r in out.to_pylist()}
    assert rows == {1: (0, 0), 2: (0, 0), 3: (50, 100), 4: (75, 75), 5: (100, 50)}


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 3)), min_size=1, max_size=30))
def test_percentiles_equal_one_window_per_column(values: list[tuple[int, int]]) -> None:
    """Stacked and ranked per column, or ranked by one window over the whole table for
    each column: the same percentiles."""
    t = ibis.memtable(
        {
            "person": list(range(len(values))),
            "a": [a for a, _ in values],
            "b": [b for _, b in values],
        }
    )
    con = ibis.duckdb.connect()
    stacked = con.to_pyarrow(percentiles(t, "person", ["a", "b"])).to_pylist()
    each = con.to_pyarrow(t.select("person", a_pct=percentile(t.a), b_pct=percentile(t.b)))
    assert sorted(stacked, key=lambda r: r["person"]) == sorted(
        each.to_pylist(), key=lambda r: r["person"]
    )
