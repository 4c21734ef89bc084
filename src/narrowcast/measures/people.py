"""Per-person measures: the broadcast components (what one receives) and the relational ones
(how one relates), each a raw figure; :mod:`narrowcast.measures.scale` turns them into scores.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from narrowcast.measures._tables import left_join, median_by
from narrowcast.measures.events import DAY_SECONDS
from narrowcast.measures.ties import saturate

__all__ = [
    "BROADCAST_COMPONENTS",
    "RELATIONAL_COMPONENTS",
    "acknowledged",
    "activity",
    "appreciated_giving",
    "broadcast_parts",
    "history_trust",
    "listening",
    "partner_standing",
    "relational_parts",
    "sides",
    "sparked",
]

BROADCAST_COMPONENTS = (
    "reach",
    "amplification",
    "reception",
    "silent_audience",
    "discussion",
    "network_weight",
)
RELATIONAL_COMPONENTS = (
    "generosity",
    "listening",
    "reciprocity",
    "dialogue",
    "appreciated_giving",
    "initiative",
    "consistency",
    "circle",
    "relational_weight",
)
WEEK_SECONDS = 7 * DAY_SECONDS
#: An engager's standing when nobody engages with them (a lurker, a fresh account): their
#: engagement is seen (counted in the naive figures and explanations) but carries no credit.
STANDING_FLOOR = 0.0
#: The standing of an anonymous engager (a vote without a voter): a typical one.
ANONYMOUS_STANDING = 0.5
#: Rates over partners are shrunk toward 0 as if this many more partners had got nothing.
SHRINK_PEOPLE = 2


def sides(ties: ir.Table) -> ir.Table:
    """Each tie twice, once from each side: ``me``, ``other``, what I gave and received.

    Columns: ``me``, ``other``, ``given``, ``received`` (kind-weighted decayed, all
    channels), ``amplification_received``, ``initiated`` (my first act toward them came
    first), ``mutual`` (each gave the other something substantive: more than likes,
    bookmarks or follows, :data:`~narrowcast.measures.ties.CORE_KIND_WEIGHT`),
    ``strength``, ``reciprocity``, ``core_reciprocity`` (the same over substantive giving),
    ``turns`` and ``first_given`` (when I first acted toward them; null if I never did).
    """

    def side(me: str, other: str) -> ir.Table:
        t = ties
        first_me, first_other = t[f"first_t_{me}"], t[f"first_t_{other}"]
        core_min = ibis.least(t.given_core_lo, t.given_core_hi)
        core_max = ibis.greatest(t.given_core_lo, t.given_core_hi)
        return t.select(
            me=t[me],
            other=t[other],
            given=t[f"given_{me}"],
            received=t[f"given_{other}"],
            amplification_received=t[f"amplification_{other}"],
            initiated=first_me.notnull() & (first_other.isnull() | (first_me < first_other)),
            mutual=(t[f"given_core_{me}"] > 0) & (t[f"given_core_{other}"] > 0),
            strength=t.strength,
            reciprocity=t.reciprocity,
            core_reciprocity=(core_max > 0).ifelse(core_min / core_max, 0.0),
            turns=t.turns,
            first_given=first_me,
        )

    return side("lo", "hi").union(side("hi", "lo"))


def history_trust(side: ir.Table, t_now: ir.FloatingValue, half_life_days: float) -> ir.Table:
    """How established each person who ever engaged with someone is: their history.

    .. math:: h_x = 1 - e^{-(T - f_x + 1\\,\\mathrm{day})/H}

    where :math:`f_x` is x's first act toward anyone (:func:`sides`), T the moment scored
    and H the decay half-life: 0.29 for an account whose first act came 30 days before
    T, 0.63 at one half-life, 0.98 after a year (H = 90 days). The day added keeps it
    positive. Returns ``node``, ``history``. It seeds the engagement PageRank
    (:func:`~narrowcast.measures.network.pagerank_graph`, teleport ``received``), so that a
    closed group of fresh accounts engaging only with each other holds little rank.
    """
    first = (
        side.filter(side.first_given.notnull())
        .group_by(node=side.me)
        .agg(first=lambda x: x.first_given.min())
    )
    return first.select(
        "node", history=saturate((t_now - first.first) / DAY_SECONDS + 1.0, half_life_days)
    )


def partner_standing(side: ir.Table) -> ir.Table:
    """How much a partner's word counts in relational credit: their other relationships.

    .. math:: \\sigma_r = 1 - e^{-(m_r - 1)/2}

    where :math:`m_r` is r's number of mutual ties (:func:`sides`). A partner whose only
    mutual tie is you (a sock-puppet's twin) counts for nothing; one with three other
    friends, for 0.86. Returns ``node``, ``partners``, ``standing``.
    """
    m = side.filter(side.mutual).group_by(node=side.me).agg(partners=lambda x: x.count())
    return m.mutate(standing=1.0 - (-((m.partners - 1).cast("float64")) / 2.0).exp())


def _weigh(pairs: ir.Table, standing: ir.Table) -> ir.Table:
    """``pairs`` (person, other, rate) with each rate times the other's standing."""
    j = pairs.left_join(standing, pairs.other == standing.node)
    return j.mutate(rate=j.rate * j.standing.fill_null(0.0))


def listening(steps: ir.Table, thanked: ir.Table, standing: ir.Table) -> ir.Table:
    """How much of what is addressed to a person they answer, and how fast.

    .. math:: \\mathrm{listening}_x = \\frac{\\sum_{e \\to x,\\ \\mathrm{answered}} w_e}
                                             {\\sum_{e \\to x} w_e}

    per person p who addressed x (replies, mentions, messages, quotes; decayed), then

    .. math:: \\mathrm{listening}_x = \\frac{\\sum_p \\sigma_p\\,\\mathrm{listening}_{x,p}}
                                             {n_x + 2}

    over the :math:`n_x` people who addressed x, each weighted by their standing
    :math:`\\sigma_p` (:func:`partner_standing`): the mean rate, shrunk toward 0 as if two
    more people had gone unanswered, so answering one partner (a sock-puppet's) is not
    listening. An event is answered when x's next conversational act toward its sender
    comes within the answer window, or when x acknowledged the item itself (liked or replied
    to it, :func:`acknowledged`). Undefined (null) for someone nobody addressed. Also
    ``addressed`` and ``answered`` (counts; ``_public`` without private messages),
    ``addressers``, ``answer_hours`` (median time to a reply).

    ``steps`` is :func:`~narrowcast.measures.ties.conversation_steps`, or its conversational
    rows alone (:func:`~narrowcast.measures.ties.conversation_turns`).
    """
    s = steps.filter(steps.conversation)
    s = s.left_join(thanked, ["platform", "content_id"])
    s = s.mutate(heard=s.answered | s.platform_right.notnull())
    pub = ~s.private
    # Per pair first, then per person: one large aggregation, and no distinct count or
    # median inside it, so DuckDB can spill it to disk on a large log.
    pair = s.group_by(person=s.dst, other=s.src).agg(
        addressed=s.count(),
        answered=s.count(where=s.heard),
        # What community-wide explanations may say: public figures only.
        addressed_public=s.count(where=pub),
        answered_public=s.count(where=pub & (s.answered_public | s.platform_right.notnull())),
        rate=s.w.sum(where=s.heard).fill_null(0) / s.w.sum(),
    )
    pair = _weigh(pair, standing)
    out = pair.group_by("person").agg(
        addressed=pair.addressed.sum(),
        answered=pair.answered.sum(),
        addressed_public=pair.addressed_public.sum(),
        answered_public=pair.answered_public.sum(),
        addressers=pair.count(),
        rate_sum=pair.rate.sum(),
    )
    times = s.filter(s.answered).select(person=s.dst, answer_hours=s.answer_seconds / 3600.0)
    out = left_join(out, median_by(times, "person", "answer_hours"), "person")
    return out.mutate(listening=out.rate_sum / (out.addressers + SHRINK_PEOPLE))


def activity(events: ir.Table) -> ir.Table:
    """When each person acted: first and last time, active weeks, items they made.

    consistency = active weeks / weeks from their first act to their last, plus four: a
    person seen in one week is not yet "consistent".
    """
    e = events.filter(events.actor.notnull())
    # Weeks are counted from each person's first act, so active weeks never exceed the span.
    first = e.t.min().over(ibis.window(group_by=e.actor))
    e = e.mutate(week=((e.t - first) / WEEK_SECONDS).floor())
    # Per person and week, then per person: the active weeks are the rows of the first
    # step (a distinct count inside one aggregate is planned as extra group-bys joined back).
    w = e.group_by(person=e.actor, week=e.week).agg(
        first_t=e.t.min(),
        last_t=e.t.max(),
        items=e.decay.sum(where=e.content_id.notnull()),
        posts=e.count(where=e.kind == "post"),
    )
    a = w.group_by("person").agg(
        first_t=w.first_t.min(),
        last_t=w.last_t.max(),
        active_weeks=w.count(),
        items=w.items.sum(),
        posts=w.posts.sum(),
        span_weeks=w.week.max() + 1,
    )
    span = a.span_weeks
    return a.mutate(consistency=a.active_weeks.cast("float64") / (span + 4))


def sparked(events: ir.Table, items: ir.Table) -> ir.Table:
    """Dialogue a person's comments start on others' threads: replies to their replies.

    A reply whose parent is x's reply (not x's own post), written by a third party (neither
    x nor the person x replied to), is a reply x's comment sparked. Decayed sum per x as
    ``sparked``.
    """
    r = events.filter((events.kind == "reply") & events.parent_id.notnull())
    j = r.join(items, [r.platform == items.platform, r.parent_id == items.item_id])
    # The person x answered answering back is a dialogue turn, counted there; sparked is
    # what third parties added.
    j = j.filter(
        (j.item_kind == "reply")
        & (j.item_actor != j.actor.fill_null(-1))
        & (j.item_target.fill_null(-1) != j.actor.fill_null(-1))
    )
    return j.group_by(person=j.item_actor).agg(sparked=j.w.sum())


def acknowledged(events: ir.Table, items: ir.Table) -> ir.Table:
    """The items their target responded to: liked, replied to, shared, quoted, accepted.

    An item made toward someone (a reply to their post, a mention) is acknowledged when that
    someone then acts on it. Returns distinct ``platform``, ``content_id``.
    """
    r = events.filter(events.parent_id.notnull() & events.actor.notnull())
    j = r.join(items, [r.platform == items.platform, r.parent_id == items.item_id])
    j = j.filter(
        (j.actor == j.item_target)
        & j.kind.isin(("like", "reply", "share", "quote", "accept", "bounty", "bookmark"))
    )
    return j.select(platform=j.platform, content_id=j.item_id).distinct()


def appreciated_giving(events: ir.Table, thanked: ir.Table, standing: ir.Table) -> ir.Table:
    """The share of what a person gives (replies, quotes on others' items) that the
    recipient answers or likes.

    Per recipient r, the decayed share of x's items toward r that r acknowledged
    (:func:`acknowledged`); then, like listening, the sum over recipients, each weighted by
    their standing, divided by their number plus two. Null for someone who gave no such
    item (the seed's "whether they like said comments").
    """
    given = events.filter(
        events.kind.isin(("reply", "quote"))
        & events.content_id.notnull()
        & events.target.notnull()
        & (events.target != events.actor)
    )
    g = given.left_join(thanked, ["platform", "content_id"])
    g = g.mutate(was_thanked=g.platform_right.notnull())
    pair = g.group_by(person=g.actor, other=g.target).agg(
        given_items=g.count(),
        thanked_items=g.count(where=g.was_thanked),
        rate=g.decay.sum(where=g.was_thanked).fill_null(0) / g.decay.sum(),
    )
    pair = _weigh(pair, standing)
    out = pair.group_by("person").agg(
        given_items=pair.given_items.sum(),
        thanked_items=pair.thanked_items.sum(),
        recipients=pair.count(),
        rate_sum=pair.rate.sum(),
    )
    return out.mutate(appreciated_giving=out.rate_sum / (out.recipients + SHRINK_PEOPLE))


def relational_parts(
    side: ir.Table,
    standing: ir.Table,
    listened: ir.Table,
    acts: ir.Table,
    sparks: ir.Table,
    appreciated: ir.Table,
    relational_weight: ir.Table,
    strong_tie: float,
) -> ir.Table:
    """The relational components of each person (raw), one row per person with a tie or act.

    - generosity: :math:`\\sum_r (1 - e^{-g_r})(\\tfrac14 + \\tfrac34 \\rho_r)`, what x gave
      each recipient r, saturating per recipient, counted fully only where mutual
      (:math:`\\rho_r` the reciprocity of substantive giving): a thousand likes to
      strangers is not a relationship;

    Where a partner r's term is weighted by their standing :math:`\\sigma_r`
    (:func:`partner_standing`):

    - reciprocity: :math:`\\sum_r \\sigma_r \\rho_r / (n + 2)`, the per-tie reciprocity
      :math:`\\rho_r = \\min(g_r, h_r) / \\max(g_r, h_r)` (h what r gave x) over x's n ties,
      shrunk like listening; ``mutual_share`` keeps :math:`\\sum \\min / \\sum \\max`;
    - dialogue: :math:`\\sum_r \\sigma_r (1 - e^{-t_r/2})` over decayed back-and-forth
      turns with each partner (saturating per partner: heavy dialogue with one account is
      one dialogue),
      plus replies x's comments sparked (:func:`sparked`);
    - initiative: first contacts x made that became mutual, plus half of those x answered;
    - circle: mutual ties with strength at least ``strong_tie``;
    - anchored: :math:`\\sum_r \\sigma_r` over x's mutual partners, how far x's
      relationships reach people who relate to others (the relational score's gate);
    - listening, appreciated giving, consistency, relational weight: see their functions.
    """
    s = side.left_join(standing, side.other == standing.node)
    s = s.mutate(standing=s.standing.fill_null(0.0))
    per = s.group_by(person=s.me).agg(
        generosity=(saturate(s.given, 1.0) * (0.25 + 0.75 * s.core_reciprocity)).sum(),
        min_sum=ibis.least(s.given, s.received).sum(),
        max_sum=ibis.greatest(s.given, s.received).sum(),
        turns=s.turns.sum(),
        dialogue_partners=(s.standing * saturate(s.turns, 2.0)).sum(),
        tie_reciprocity=(s.standing * s.core_reciprocity).sum(),
        initiated_mutual=s.count(where=s.initiated & s.mutual),
        answered_first=s.count(where=~s.initiated & s.mutual),
        initiated=s.count(where=s.initiated),
        circle=s.count(where=s.mutual & (s.strength >= strong_tie)),
        anchored=s.standing.sum(where=s.mutual),
        mutual_ties=s.count(where=s.mutual),
        ties=s.count(),
        given_to=s.count(where=s.given > 0),
    )
    per = per.mutate(
        mutual_share=(per.max_sum > 0).ifelse(per.min_sum / per.max_sum, 0.0),
        reciprocity=per.tie_reciprocity / (per.ties + SHRINK_PEOPLE),
        initiative=per.initiated_mutual + 0.5 * per.answered_first,
    )
    out = acts.select(
        "person", "consistency", "active_weeks", "first_t", "last_t", "items", "posts"
    ).outer_join(per, "person")
    out = out.mutate(person=ibis.coalesce(out.person, out.person_right)).drop("person_right")
    out = left_join(out, listened, "person")
    out = left_join(out, sparks, "person")
    out = left_join(out, appreciated, "person")
    rw = relational_weight.rename(person="node", relational_weight="pagerank")
    out = left_join(out, rw, "person")
    return out.mutate(dialogue=out.dialogue_partners.fill_null(0) + out.sparked.fill_null(0))


def broadcast_parts(
    events: ir.Table,
    items: ir.Table,
    side: ir.Table,
    network_weight: ir.Table,
    echoed: ir.Table,
) -> ir.Table:
    """The broadcast components of each person who received anything (raw).

    - reach: :math:`\\sum_e s_e (1 - e^{-g_e})` over the distinct people e who engaged
      with x (g: what e gave x), each weighted by e's standing
      :math:`s_e = \\mathrm{pct}(\\mathrm{network\\ weight}_e)`: an engager nobody
      engages with has no rank (:func:`~narrowcast.measures.network.pagerank_graph`,
      teleport ``received``) and adds nothing, so a crowd of fresh accounts adds nothing;
    - amplification: shares, quotes and mentions of x, saturating per amplifier and
      weighted by the amplifier's standing, plus half the engagement with items that quote
      or share x (second hop), plus half a point per person who echoed x (repeated a link
      or tag soon after x exposed them to it, :func:`~narrowcast.measures.echoes.echoes`);
    - reception: kind-weighted decayed engagement received per item made,
      :math:`(\\sum_e s_e g_e + \\tfrac12 A) / (1 + \\sum_i d_i)`, each engager's by their
      standing and anonymous votes A at a typical standing of one half;
    - silent audience: decayed views of x's items;
    - discussion: mentions of x in threads x took no part in;
    - network weight: PageRank of the engagement graph, credit flowing engager to author,
      each pair's weight saturating (:math:`1 - e^{-g}`).
    """
    nw = network_weight
    standing_tbl = nw.select(
        node=nw.node,
        standing=STANDING_FLOOR
        + (1 - STANDING_FLOOR) * ibis.percent_rank().over(order_by=nw.pagerank),
    )
    eng = side.filter(side.given > 0).join(standing_tbl, side.me == standing_tbl.node)
    by_author = eng.group_by(person=eng.other).agg(
        reach=(eng.standing * saturate(eng.given, 1.0)).sum(),
        received_known=(eng.standing * eng.given).sum(),
        engagers=eng.count(),
    )
    amp = side.filter(side.amplification_received > 0).join(
        standing_tbl, side.other == standing_tbl.node
    )
    amp_by = amp.group_by(person=amp.me).agg(
        amplified=(amp.standing * saturate(amp.amplification_received, 1.0)).sum()
    )

    e = events.filter(events.target.notnull())
    received = e.group_by(person=e.target).agg(
        received=(e.kind_weight * e.w).sum(),
        received_anonymous=(e.kind_weight * e.w).sum(where=e.actor.isnull()),
        views=e.w.sum(where=e.kind == "view"),
        received_events=e.count(where=e.kind != "view"),
    )
    j = events.filter(events.parent_id.notnull()).join(
        items, [events.platform == items.platform, events.parent_id == items.item_id]
    )
    j = j.filter(
        j.item_kind.isin(("quote", "share"))
        & j.item_target.notnull()
        & (j.actor.fill_null(-1) != j.item_target)
    )
    second = j.group_by(person=j.item_target).agg(second_hop=(j.kind_weight * j.w).sum())

    m = events.filter((events.kind == "mention") & events.target.notnull())
    m = m.mutate(person=m.target)
    # Who took part in the threads where someone was mentioned: a semi-join on the few
    # mentioned threads first, so no table of everyone's threads is built.
    mentioned = m.select("platform", "thread_id").distinct()
    acted = events.filter(events.actor.notnull() & events.thread_id.notnull())
    been = acted.semi_join(mentioned, ["platform", "thread_id"]).select(
        person=acted.actor, thread_id=acted.thread_id, platform=acted.platform
    )
    m = m.anti_join(been, ["person", "thread_id", "platform"])
    discussed = m.group_by("person").agg(discussion=m.w.sum())

    made = events.filter(events.actor.notnull() & events.content_id.notnull())
    made = made.group_by(person=made.actor).agg(items_made=made.decay.sum())

    out = received
    for t in (by_author, amp_by, second, discussed, made, echoed):
        out = left_join(out, t, "person")
    nwp = nw.rename(person="node", network_weight="pagerank")
    out = left_join(out, nwp, "person")
    return out.mutate(
        amplification=out.amplified.fill_null(0)
        + 0.5 * out.second_hop.fill_null(0)
        + 0.5 * out.echoers.fill_null(0),
        reception=(
            out.received_known.fill_null(0)
            + ANONYMOUS_STANDING * out.received_anonymous.fill_null(0)
        )
        / (1.0 + out.items_made.fill_null(0)),
        silent_audience=out.views.fill_null(0),
        discussion=out.discussion.fill_null(0),
        reach=out.reach.fill_null(0),
    )
