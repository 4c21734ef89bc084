"""From raw figures to scores 0-100: percentiles within the community, and their blend."""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

__all__ = ["blend", "percentile"]


def percentile(value: ir.NumericValue) -> ir.FloatingValue:
    """The share of the community strictly below, 0-100: :math:`100 (r - 1) / (n - 1)`.

    Ties share the lowest rank, so everyone with nothing scores 0 and the top scores 100.
    A missing figure (undefined, e.g. listening for someone nobody addressed) ranks as 0.
    Ranks do not change under a monotone transform, so this is also the percentile of the
    log of a heavy-tailed figure.
    """
    # Rounded so that equal figures summed in another order (parallel aggregation) tie.
    v = value.fill_null(0).cast("float64").round(9)
    return (ibis.percent_rank().over(order_by=v) * 100.0).fill_null(0.0)


def blend(table: ir.Table, weights: Mapping[str, float]) -> ir.FloatingValue:
    """:math:`\\sum_c w_c p_c / \\sum_c w_c` over components' percentile columns ``c_pct``."""
    total = sum(weights.values())
    expr = ibis.literal(0.0)
    for name, w in weights.items():
        expr = expr + w * table[f"{name}_pct"]
    return expr / total
