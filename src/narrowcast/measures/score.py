"""The whole scoring pipeline, defined once over tables; an engine runs it.

``measure(events, params, runner)`` returns two tables: ``people`` (every component raw and
as a percentile, the broadcast and relational scores) and ``ties`` (every pair's features,
strength and value to each side). The runner is what an engine provides: where to keep an
intermediate result (``materialize``), and how to run PageRank (``pagerank``; the portable
loop is :func:`pagerank_loop`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from narrowcast.measures._tables import left_join
from narrowcast.measures.echoes import echoes
from narrowcast.measures.events import as_of, decayed, interactions, items, seconds
from narrowcast.measures.network import (
    TOLERANCE,
    checked,
    initial_ranks,
    pagerank_graph,
    pagerank_step,
    stops,
)
from narrowcast.measures.params import BROADCAST_WEIGHTS, RELATIONAL_WEIGHTS, Params
from narrowcast.measures.people import (
    BROADCAST_COMPONENTS,
    RELATIONAL_COMPONENTS,
    acknowledged,
    activity,
    appreciated_giving,
    broadcast_parts,
    history_trust,
    listening,
    partner_standing,
    relational_parts,
    sides,
    sparked,
)
from narrowcast.measures.scale import blend, percentiles
from narrowcast.measures.ties import (
    conversation_steps,
    conversation_turns,
    embeddedness,
    kept_columns,
    saturate,
    tie_features,
    tie_strength,
    tie_totals,
    tie_value,
)

__all__ = ["Measured", "Runner", "measure", "pagerank_loop"]


class Runner(Protocol):
    """What the pipeline needs from an engine."""

    def materialize(
        self, expr: ir.Table, name: str, *, by: str | None = None, recomputable: bool = False
    ) -> ir.Table:
        """Compute ``expr`` once and return a table that reads the result.

        ``by`` names a column the next steps join on: an engine may keep the rows of one
        value together (Spark partitions and sorts by it, so those joins need not shuffle
        the table again). ``recomputable``: ``expr`` is many columns of figures cheap to
        compute from the tables it reads; an engine short of memory may return ``expr``
        itself, computed again wherever it is read, and those tables are then kept.
        """

    def scalar(self, expr: ir.Scalar) -> object:
        """Compute a single value."""

    def pagerank(self, edges: ir.Table, name: str, teleport: str = "uniform") -> ir.Table:
        """``node``, ``pagerank`` of a weighted directed graph (``src``, ``dst``, ``weight``,
        optionally ``trust``), teleport as in
        :func:`~narrowcast.measures.network.pagerank_graph`."""

    def drop(self, table: ir.Table) -> None:
        """Free a table :meth:`materialize` made that nothing will read again."""


@dataclass
class Measured:
    """The result of one scoring run."""

    people: ir.Table
    ties: ir.Table
    as_of: datetime
    params: Params


def pagerank_loop(
    runner: Runner,
    edges: ir.Table,
    name: str,
    *,
    teleport: str = "uniform",
    tol: float = TOLERANCE,
    progress: Callable[[int], None] | None = None,
) -> ir.Table:
    """PageRank by repeated :func:`~narrowcast.measures.network.pagerank_step`, each step
    materialised by the runner, until :func:`~narrowcast.measures.network.stops`: the
    change is measured every :data:`~narrowcast.measures.network.CHECK_EVERY` steps, as
    every kernel does, so that every engine runs the same steps.
    """
    nodes, links = pagerank_graph(edges, teleport)
    nodes = runner.materialize(nodes, f"{name}_nodes")
    links = runner.materialize(links, f"{name}_links", by="src")  # joined on src each step
    n = int(runner.scalar(nodes.count()))
    if n == 0:
        return nodes.select("node", pagerank=ibis.literal(0.0))
    ranks = runner.materialize(initial_ranks(nodes), f"{name}_r0", by="node")
    step = 0
    while True:
        step += 1
        new = runner.materialize(pagerank_step(links, ranks), f"{name}_r{step}")
        change = None
        if checked(step):
            j = new.join(ranks, "node")
            change = float(runner.scalar((j.pagerank - j.pagerank_right).abs().sum()))
            if progress is not None:
                progress(step)
        runner.drop(ranks)  # each step's ranks are read by the next step alone
        ranks = new
        if stops(step, change, tol=tol):
            break
    runner.drop(links)
    runner.drop(nodes)
    return ranks.select("node", "pagerank")


def measure(events: ir.Table, params: Params, runner: Runner) -> Measured:
    """Every measure of DESIGN.md as of ``params.as_of`` (default: the last event).

    Parameters
    ----------
    events
        The event log with integer person keys in ``actor`` and ``target``.
    params
        Moment, half-life, tie weights (:class:`Params`).
    runner
        The engine's materialisation and PageRank.

    Returns
    -------
    Measured
        ``people``: person, the raw components, each ``<component>_pct`` (0-100),
        ``broadcast`` and ``relational`` (0-100) and their raw blends, computed where it
        is read from the runner's tables, so read it before the runner closes; ``ties``:
        lo, hi, features, ``strength``, ``strength_public``, each side's value parts, and
        the totals the steps after them read (:func:`~narrowcast.measures.ties.kept_columns`).
    """
    moment = params.as_of
    if moment is None:
        moment = runner.scalar(events.ts.max())
        if moment is None:
            raise ValueError("the event log is empty: nothing to score")
    h = params.half_life_days
    ev = runner.materialize(decayed(events, moment, h), "ev")
    # The conversational interactions, with their turns, are a table of their own (the
    # ties' totals and listening read them); the others are read from ``ev`` where the
    # totals need them: at 10M events, 5.1M of the 8.3M interactions are not written again.
    inter = interactions(ev)
    turns = runner.materialize(conversation_turns(inter, params.answer_window_days), "turns")
    steps = conversation_steps(inter, params.answer_window_days, turns)
    totals = runner.materialize(tie_totals(steps, turns), "totals")
    emb = runner.materialize(embeddedness(totals), "embedded")
    t_now = seconds(ibis.literal(moment))
    feats = tie_features(totals, emb, t_now, h)
    w = params.tie_weights
    feats = feats.mutate(
        strength=tie_strength(feats, w, public=False),
        strength_public=tie_strength(feats, w, public=True),
    )
    # What each side gets from the tie, figured with the ties (20 columns).
    values: dict[str, ir.Value] = {}
    for side in ("lo", "hi"):
        for public in (False, True):
            tag = f"_{side}" + ("_public" if public else "")
            for part, expr in tie_value(feats, side, public).items():
                values[f"{part}_to{tag}"] = expr
    feats = feats.mutate(**values)
    # The ties' ~70 columns are figures of the totals' ~40: at 10M events a table of them
    # held ~3 GB, the memory scoring has, and the steps after it spilled to disk.
    ties = runner.materialize(feats.select(*kept_columns(feats.columns)), "ties", recomputable=True)
    if not _reads(ties, totals):
        # Each intermediate table is dropped once the last step that reads it has been
        # asked for: at 100M events they are tens of GB, in memory or on the engine's disk.
        _drop(runner, totals, emb)

    side = runner.materialize(sides(ties), "sides")
    engaged = side.filter(side.given > 0)
    history = history_trust(side, t_now, h)
    engaged = engaged.join(history, engaged.me == history.node)
    engagement = engaged.select(
        src=engaged.me,
        dst=engaged.other,
        weight=1.0 - (-engaged.given).exp(),
        trust=engaged.history,
    )
    # Credit flows from engager to author; only people someone engaged with hold rank to
    # pass on, so fresh accounts nobody engages with (bots) amplify no one; and a jump lands
    # on them by the longest history among those engaging with them, so a closed group of
    # fresh accounts engaging with each other (a like ring, sock-puppets) holds little.
    network = runner.pagerank(engagement, "network", teleport="received")
    mutual = side.filter(side.mutual).select(
        src=side.me, dst=side.other, weight=side.strength * side.reciprocity
    )
    mutual = mutual.filter(mutual.weight > 0)
    # Trust through relationships: a random jump lands on a person in proportion to their
    # mutual ties, so a closed pair (sock-puppets) holds little of it.
    relational_network = runner.pagerank(mutual, "mutual", teleport="degree")

    itm = runner.materialize(items(ev), "items")
    thanked = runner.materialize(acknowledged(ev, itm), "acknowledged")
    standing = runner.materialize(partner_standing(side), "partner_standing")
    rel = relational_parts(
        side,
        standing,
        listening(turns, thanked, standing),
        activity(ev),
        sparked(ev, itm),
        appreciated_giving(ev, thanked, standing),
        relational_network,
        params.strong_tie,
    )
    rel = runner.materialize(rel, "relational_parts")
    _drop(runner, turns, thanked, standing)
    texts = as_of(events, moment)
    texts = texts.filter(texts.text.notnull()).mutate(t=seconds(texts.ts))
    echoed = runner.materialize(echoes(ev, texts), "echoes")
    bro = runner.materialize(broadcast_parts(ev, itm, side, network, echoed), "broadcast_parts")
    _drop(runner, ev, itm, side, echoed)

    everyone = rel.select("person").union(bro.select("person")).distinct()
    p = left_join(everyone, rel, "person")
    p = left_join(p, bro, "person")
    fill = {
        c: p[c].fill_null(0)
        for c in (*BROADCAST_COMPONENTS, *RELATIONAL_COMPONENTS)
        if c not in ("listening", "appreciated_giving")
    }
    raw = runner.materialize(p.mutate(**fill), "people_raw")
    _drop(runner, rel, bro)
    pct = runner.materialize(
        percentiles(raw, "person", (*BROADCAST_COMPONENTS, *RELATIONAL_COMPONENTS)),
        "percentiles",
    )
    # The blends need the percentiles and one figure: a table of them alone, and each
    # person's whole row (~80 columns) put together once, where it is read. Written as a
    # table at each step, that row cost 0.03-0.08 s a step at 1M events.
    ranked = left_join(pct, raw.select("person", "anchored"), "person")
    blended = runner.materialize(
        ranked.select(
            "person",
            broadcast_raw=blend(ranked, BROADCAST_WEIGHTS),
            # Relational credit asks for a relationship: at least one mutual tie with someone
            # who relates to others too. Likes to strangers, a ring of nods or a closed pair
            # of accounts answering each other earn nothing, however busy.
            relational_raw=blend(ranked, RELATIONAL_WEIGHTS)
            * saturate(ranked.anchored.fill_null(0), 1.0),
        ),
        "people_blend",
    )
    scores = percentiles(blended, "person", ("broadcast_raw", "relational_raw"))
    scores = scores.rename(broadcast="broadcast_raw_pct", relational="relational_raw_pct")
    people = left_join(left_join(raw, pct, "person"), blended, "person")
    people = left_join(people, scores, "person")
    return Measured(people=people, ties=ties, as_of=moment, params=params)


def _reads(expr: ir.Table, table: ir.Table) -> bool:
    """Whether ``expr`` reads ``table`` (a table the runner made)."""
    return table.op().name in {t.name for t in expr.op().find(ops.DatabaseTable)}


def _drop(runner: Runner, *tables: ir.Table) -> None:
    for table in tables:
        runner.drop(table)
