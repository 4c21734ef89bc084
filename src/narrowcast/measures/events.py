"""The event log as the measures see it: as of T, decayed, person toward person.

The input is the store's ``events`` table with ``actor`` and ``target`` as integer person
keys (an engine provides it). Every function here returns an Ibis expression; nothing runs
until an engine executes it.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from narrowcast.measures.params import CONVERSATION_KINDS, KIND_WEIGHTS, VALUE_PARTS

__all__ = [
    "DAY_SECONDS",
    "INPUT_COLUMNS",
    "MEASURED_COLUMNS",
    "as_of",
    "decayed",
    "interactions",
    "items",
    "last_event_time",
    "seconds",
]

DAY_SECONDS = 86_400.0

#: The event-log columns the measures read.
MEASURED_COLUMNS = (
    "ts",
    "platform",
    "actor",
    "kind",
    "target",
    "content_id",
    "parent_id",
    "thread_id",
    "visibility",
    "quantity",
)

#: The event-log columns scoring reads: the measured ones, and the text echoes look into.
INPUT_COLUMNS = (*MEASURED_COLUMNS, "text")


def last_event_time(events: ir.Table) -> ir.Scalar:
    """The time of the last event: the default moment T."""
    return events.ts.max()


def as_of(events: ir.Table, moment: datetime) -> ir.Table:
    """The events at or before ``moment``: what was known then."""
    return events.filter(events.ts <= ibis.literal(moment))


def seconds(ts: ir.TimestampValue) -> ir.FloatingValue:
    """Seconds since the epoch, with their fraction, as every engine computes them (a
    float: Ibis types ``epoch_seconds()`` as a 32-bit integer)."""
    return ts.epoch_seconds().cast("float64")


def decayed(events: ir.Table, moment: datetime, half_life_days: float) -> ir.Table:
    """Events as of ``moment``, each with its time and its decayed weight.

    .. math:: w_e = q_e \\, 2^{-\\mathrm{age}_e / h}

    where :math:`q_e` is the event's quantity (a view count, one otherwise), :math:`h` the
    half-life and the age is in days. Columns: the :data:`MEASURED_COLUMNS` but ``ts`` and
    ``quantity`` (no measure reads ids of events or their text), and ``t`` (epoch
    seconds), ``decay`` (:math:`2^{-\\mathrm{age}/h}`), ``w`` and ``kind_weight``
    (:data:`KIND_WEIGHTS`).
    """
    t0 = seconds(ibis.literal(moment))
    e = as_of(events, moment).select(*MEASURED_COLUMNS)
    t = seconds(e.ts)
    ln2 = 0.6931471805599453
    decay = (-((t0 - t) / DAY_SECONDS) * (ln2 / half_life_days)).exp()
    kept = [c for c in MEASURED_COLUMNS if c not in ("ts", "quantity")]
    return e.select(
        *kept,
        t=t,
        decay=decay,
        w=decay * e.quantity.fill_null(1).cast("float64"),
        kind_weight=e.kind.substitute(KIND_WEIGHTS, else_=0.0),
    )


def interactions(events: ir.Table) -> ir.Table:
    """Person-toward-person events: ``src`` acted toward ``dst``, another known person.

    Rows with an unknown actor (anonymous votes, view counts) or target, and acts toward
    oneself, are reception or nothing; they never form a tie. Adds ``conversation`` (the
    kind addresses the other and can be answered), ``private`` and ``part`` (the value part
    the kind gives the target, :data:`VALUE_PARTS`).
    """
    e = events.filter(
        events.actor.notnull()
        & events.target.notnull()
        & (events.actor != events.target)
        & (events.kind_weight > 0)
    )
    part_of = {kind: part for part, kinds in VALUE_PARTS.items() for kind in kinds}
    return e.select(
        "platform",
        "kind",
        "content_id",
        "t",
        "w",
        "kind_weight",
        src=e.actor,
        dst=e.target,
        conversation=e.kind.isin(CONVERSATION_KINDS),
        private=e.visibility == "private",
        part=e.kind.substitute(part_of, else_="support"),
    )


def items(events: ir.Table) -> ir.Table:
    """The items events created (posts, replies, quotes): who made each, of what kind, toward
    whom. One row per (platform, item); an item created twice keeps its first creation."""
    e = events.filter(events.content_id.notnull())
    return e.group_by(platform=e.platform, item_id=e.content_id).agg(
        item_kind=e.kind.argmin(e.t),
        item_actor=e.actor.argmin(e.t),
        item_target=e.target.argmin(e.t),
        item_thread=e.thread_id.argmin(e.t),
    )
