"""Echoes: influence without a direct link.

B echoes A when B posts a link or hashtag within a window (default 7 days) after B was
exposed to it by A — A used it in an item B then acted on, or in a thread B took part in —
and B's post neither shares nor quotes A. Precision matters more than recall: a token that
other people (besides A and B) were using around the same time is in the air, not A's, and
gives no echo; and B's echo goes to the first person who exposed B to it.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from narrowcast.measures.events import DAY_SECONDS

__all__ = ["echoes", "tokens"]

#: Other people using a token in the window before B that make it "in the air".
CROWD = 2


def tokens(events: ir.Table) -> ir.Table:
    """Each (person, token, time) of a link or hashtag in an event's text.

    Tokens: words starting ``http://``, ``https://`` (lowercased, trailing punctuation and
    a trailing slash removed) or ``#`` followed by a letter (lowercased), outside quoted
    lines: a line starting with ``>`` quotes someone else (in mail and Markdown), and their
    link is not the quoter's use of it. Returns
    ``person``, ``token``, ``t``, ``platform``, ``content_id``, ``thread_id``, ``kind``,
    ``target``.
    """
    e = events.filter(
        events.text.notnull()
        & events.actor.notnull()
        & events.text.re_search(r"https?://|#[A-Za-z]")
    )
    own = e.text.re_replace(r"(^|\n)>[^\n]*", "\n")  # quoted lines left out
    words = e.select(
        "platform",
        "content_id",
        "thread_id",
        "kind",
        "target",
        "t",
        person=e.actor,
        word=own.re_replace(r"\s+", " ").split(" ").unnest(),
    )
    w = words.mutate(word=words.word.lower().re_replace(r"[.,;:!?)\]>'\"]+$", ""))
    w = w.mutate(word=w.word.re_replace(r"/$", ""))
    w = w.filter(w.word.re_search(r"^(https?://\S+|#[a-z]\w+)$"))
    return w.rename(token="word")


def echoes(events: ir.Table, texts: ir.Table, window_days: float = 7.0) -> ir.Table:
    """Echoes received: ``person`` (A, the source), ``echoes`` (how many), ``echoers``
    (distinct people who repeated A).

    Parameters
    ----------
    events
        Events as of the moment, with ``t`` (epoch seconds), as the measures read them
        (:func:`~narrowcast.measures.events.decayed`).
    texts
        The same events' texts where they have one: ``text`` beside the columns
        :func:`tokens` keeps, and ``t``.
    window_days
        How soon after the exposure a repeat counts.
    """
    tok = tokens(texts)
    first = tok.group_by(["platform", "person", "token"]).agg(t=tok.t.min())
    window = window_days * DAY_SECONDS
    # A's uses of the token, in items (with content or thread) B could have seen.
    src = tok.filter(tok.content_id.notnull() | tok.thread_id.notnull()).select(
        "platform",
        a=tok.person,
        token=tok.token,
        ta=tok.t,
        item=tok.content_id,
        thread=tok.thread_id,
    )
    b = first.rename(b="person", tb="t")
    cand = src.join(b, ["platform", "token"])
    cand = cand.filter((cand.a != cand.b) & (cand.ta < cand.tb) & (cand.tb - cand.ta <= window))
    # Exposure: B acted on A's item, or in A's thread, between A's use and B's.
    acts = events.filter(events.actor.notnull()).select(
        "platform", b=events.actor, parent=events.parent_id, thr=events.thread_id, tx=events.t
    )
    # Only the acts of people who may echo: a semi-join on the few candidates first, so the
    # range joins below never sort everyone's acts.
    acts = acts.semi_join(cand.select("platform", "b").distinct(), ["platform", "b"])
    on_item = cand.join(
        acts,
        [
            cand.platform == acts.platform,
            cand.b == acts.b,
            cand.item == acts.parent,
            acts.tx >= cand.ta,
            acts.tx <= cand.tb,
        ],
    ).select(cand.platform, cand.a, cand.b, cand.token, cand.ta, cand.tb)
    in_thread = cand.join(
        acts,
        [
            cand.platform == acts.platform,
            cand.b == acts.b,
            cand.thread == acts.thr,
            acts.tx >= cand.ta,
            acts.tx <= cand.tb,
        ],
    ).select(cand.platform, cand.a, cand.b, cand.token, cand.ta, cand.tb)
    exposed = on_item.union(in_thread).distinct()
    # The first exposer gets the echo.
    rank = ibis.row_number().over(
        ibis.window(group_by=["platform", "b", "token"], order_by=["ta", "a"])
    )
    exposed = exposed.mutate(r=rank).filter(lambda x: x.r == 0).drop("r")
    # In the air: others (not A, not B) used it in the window before B.
    others = first.rename(o="person", to="t")
    crowd = exposed.join(others, ["platform", "token"])
    crowd = crowd.filter(
        (crowd.o != crowd.a)
        & (crowd.o != crowd.b)
        & (crowd.to <= crowd.tb)
        & (crowd.tb - crowd.to <= window)
    )
    crowd = crowd.group_by(["platform", "a", "b", "token"]).agg(n=lambda x: x.o.nunique())
    crowd = crowd.filter(crowd.n >= CROWD)
    echoed = exposed.anti_join(crowd, ["platform", "a", "b", "token"])
    # Not an echo when B shared or quoted A instead.
    credited = events.filter(events.kind.isin(("share", "quote")) & events.target.notnull())
    credited = credited.select("platform", b=credited.actor, a=credited.target).distinct()
    echoed = echoed.anti_join(credited, ["platform", "a", "b"])
    return echoed.group_by(person=echoed.a).agg(echoes=echoed.count(), echoers=echoed.b.nunique())
