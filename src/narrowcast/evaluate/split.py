"""Time splits and what happened after them: the labels a tie score must predict."""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

__all__ = ["continuation_labels", "split_moment"]


def split_moment(events: ir.Table, fraction: float) -> ir.Scalar:
    """The time by which ``fraction`` of the events had happened (the split point).

    Events at or before it are the past; the rest the future.
    """
    # Rank by time and take the row at the fraction: exact, and the same on every engine.
    n = events.count()
    ranked = events.select(events.ts).mutate(r=ibis.row_number().over(order_by=events.ts))
    # The nudge keeps 0.7 x 90 = 62.999... at 63 events, as arithmetic says.
    cut = (n.cast("float64") * fraction + 1e-9).floor().cast("int64")
    return ranked.filter(ranked.r == ibis.greatest(cut - 1, 0)).ts.max()


def continuation_labels(
    events: ir.Table, after: datetime, until: datetime | None = None
) -> ir.Table:
    """Which pairs interact after ``after`` (and up to ``until``): ``lo``, ``hi``, ``again``
    (any interaction between them) and ``mutual`` (each acted toward the other)."""
    e = events.filter(
        (events.ts > ibis.literal(after))
        & events.actor.notnull()
        & events.target.notnull()
        & (events.actor != events.target)
    )
    if until is not None:
        e = e.filter(e.ts <= ibis.literal(until))
    e = e.mutate(lo=ibis.least(e.actor, e.target), hi=ibis.greatest(e.actor, e.target))
    e = e.mutate(fwd=e.actor == e.lo)
    g = e.group_by(["lo", "hi"]).agg(fwd=e.fwd.any(), back=(~e.fwd).any())
    return g.select("lo", "hi", again=ibis.literal(True), mutual=g.fwd & g.back)
