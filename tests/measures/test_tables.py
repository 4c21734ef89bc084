"""The small table helpers the measures share."""

from __future__ import annotations

import statistics

import ibis
from hypothesis import given, settings
from hypothesis import strategies as st

from narrowcast.measures._tables import median_by


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
