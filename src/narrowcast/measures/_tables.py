"""Small table helpers shared by the measures."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def left_join(left: ir.Table, right: ir.Table, keys: list[str] | str) -> ir.Table:
    """``left`` with ``right``'s columns where the keys match; one copy of the keys."""
    keys = [keys] if isinstance(keys, str) else keys
    joined = left.left_join(right, keys)
    dup = [f"{k}_right" for k in keys if f"{k}_right" in joined.columns]
    return joined.drop(*dup) if dup else joined


def median_by(table: ir.Table, key: str, value: str) -> ir.Table:
    """The exact median of ``value`` per ``key`` (nulls ignored; the mean of the two middle
    values for an even count), as ``key``, ``value``.

    Computed by ranking within each group rather than by a median aggregate: DuckDB cannot
    spill a holistic aggregate to disk, but it can spill a window, and every engine gives
    the same answer.
    """
    t = table.filter(table[value].notnull()).select(key, value)
    rank = ibis.row_number().over(ibis.window(group_by=t[key], order_by=t[value]))
    size = t[value].count().over(ibis.window(group_by=t[key]))
    t = t.mutate(_i=rank, _n=size)
    mid = t.filter((t._i == (t._n - 1) // 2) | (t._i == t._n // 2))
    return mid.group_by(key).agg(**{value: mid[value].mean()})
