"""From raw figures to scores 0-100: percentiles within the community, and their blend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

__all__ = ["blend", "percentile", "percentiles"]


def percentile(value: ir.NumericValue) -> ir.FloatingValue:
    """The share of the community strictly below, 0-100: :math:`100 (r - 1) / (n - 1)`.

    Ties share the lowest rank, so everyone with nothing scores 0 and the top scores 100.
    A missing figure (undefined, e.g. listening for someone nobody addressed) ranks as 0.
    Ranks do not change under a monotone transform, so this is also the percentile of the
    log of a heavy-tailed figure.
    """
    return _ranked(ibis.window(order_by=_comparable(value)))


def percentiles(table: ir.Table, key: str, columns: Sequence[str]) -> ir.Table:
    """:func:`percentile` of each of ``columns`` within ``table``, as ``key`` and
    ``<column>_pct``, in one pass.

    The columns are stacked into one narrow table (key, column, value) and ranked by a
    window partitioned by column: one sort of narrow rows, spread over the columns, rather
    than one sort of every wide row per column.
    """
    long = ibis.union(
        *(table.select(key, _column=ibis.literal(c), _value=_comparable(table[c])) for c in columns)
    )
    pct = _ranked(ibis.window(group_by=long._column, order_by=long._value))
    long = long.mutate(_pct=pct)
    return long.group_by(key).agg(
        **{f"{c}_pct": long._pct.max(where=long._column == c) for c in columns}
    )


def _comparable(value: ir.NumericValue) -> ir.FloatingValue:
    # Rounded so that equal figures summed in another order (parallel aggregation) tie.
    return value.fill_null(0).cast("float64").round(9)


def _ranked(window: ibis.Window) -> ir.FloatingValue:
    return (ibis.percent_rank().over(window) * 100.0).fill_null(0.0)


def blend(table: ir.Table, weights: Mapping[str, float]) -> ir.FloatingValue:
    """:math:`\\sum_c w_c p_c / \\sum_c w_c` over components' percentile columns ``c_pct``."""
    total = sum(weights.values())
    expr = ibis.literal(0.0)
    for name, w in weights.items():
        expr = expr + w * table[f"{name}_pct"]
    return expr / total
