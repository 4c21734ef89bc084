"""Ties: for every pair that interacted, its features, its strength and its value to each side.

A tie is an unordered pair ``lo < hi`` of person keys. Columns ending in ``_lo`` are what
``lo`` gave ``hi``; ``_hi`` what ``hi`` gave ``lo``. Every figure exists twice where private
messages could enter it: all channels (for scores) and ``_public`` (what may be shown to a
third party, DESIGN.md "Privacy").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from narrowcast.measures._tables import left_join
from narrowcast.measures.events import DAY_SECONDS
from narrowcast.model import KINDS

__all__ = [
    "CORE_KIND_WEIGHT",
    "conversation_steps",
    "conversation_turns",
    "embeddedness",
    "gently",
    "kept_columns",
    "saturate",
    "tie_features",
    "tie_strength",
    "tie_totals",
    "tie_value",
]

LN2 = 0.6931471805599453

#: The gap assumed for a pair seen once, and added to every pair's usual gap (days).
SINGLE_GAP_DAYS = 7.0

#: Kinds weighing at least this much are substantive giving (not a like, bookmark, follow).
CORE_KIND_WEIGHT = 0.5


def saturate(x: ir.NumericValue, scale: float) -> ir.FloatingValue:
    """:math:`1 - e^{-x/s}`: 0 at 0, 0.63 at the scale, approaching 1; more stops paying."""
    return 1.0 - (-(x.cast("float64")) / scale).exp()


def gently(x: ir.NumericValue, scale: float) -> ir.FloatingValue:
    """:math:`x / (x + s)`: 0 at 0, 1/2 at the scale, approaching 1 slowly, so that among
    heavy ties more still ranks higher (a tie feature, not a credit to cap)."""
    x = x.cast("float64")
    return x / (x + scale)


def conversation_steps(
    interactions: ir.Table, answer_window_days: float, turns: ir.Table | None = None
) -> ir.Table:
    """Each interaction with whether it answers the other and whether the other answered it.

    Within a pair, the conversational events (replies, messages, mentions, quotes) are put
    in time order; an event is a *turn* when the previous one went the other way within
    ``answer_window_days`` (a back-and-forth step), and *answered* when the next one does.
    Adds ``lo``, ``hi``, ``fwd`` (the actor is ``lo``), ``turn``, ``answered`` and
    ``answer_seconds``, and ``turn_public`` and ``answered_public``, the same within the
    public conversation only. Non-conversational events get false flags.

    ``turns`` is :func:`conversation_turns` of the same interactions, where already made.
    """
    if turns is None:
        turns = conversation_turns(interactions, answer_window_days)
    e = _paired(interactions)
    no = ibis.literal(False)
    rest = e.filter(~e.conversation).mutate(
        turn=no,
        answered=no,
        answer_seconds=ibis.null().cast(turns.answer_seconds.type()),
        turn_public=no,
        answered_public=no,
    )
    return turns.union(rest)


def conversation_turns(interactions: ir.Table, answer_window_days: float) -> ir.Table:
    """The conversational rows of :func:`conversation_steps`: the only ones with turns,
    and the only ones listening reads (3.2M of 8.3M interactions at 10M events)."""
    c = _paired(interactions)
    # Only conversational events take part in a conversation: the windows sort those alone.
    c = c.filter(c.conversation)
    window = answer_window_days * DAY_SECONDS

    pair, order = [c.lo, c.hi], [c.t, c.src]
    win = ibis.window(group_by=pair, order_by=order)
    # The public figures come from the public conversation alone: a public reply that
    # answers a private message is not a public turn (nothing private shows through).
    # They are read in the same order as the rest, so one sort serves both (at 10M events
    # the step took 1.83-1.85 s against 2.20-2.47 s with a window of its own per channel):
    # the latest public act of each side before a row, and the earliest after it. The
    # order is (t, src), so at the same moment lo's acts come before hi's.
    before = ibis.window(group_by=pair, order_by=order, rows=(None, -1))
    after = ibis.window(group_by=pair, order_by=order, rows=(1, None))
    pub = ~c.private
    lo_t = (pub & c.fwd).ifelse(c.t, ibis.null())
    hi_t = (pub & ~c.fwd).ifelse(c.t, ibis.null())
    # Each window is a column of its own, which the flags read in a query around it:
    # inside the flags, each window was written out where it is read, up to
    # eight times (this step alone at 1M events: 0.21 s against 0.22 s).
    seen = {
        "prev_src": c.src.lag().over(win),
        "prev_t": c.t.lag().over(win),
        "next_src": c.src.lead().over(win),
        "next_t": c.t.lead().over(win),
        "lo_before": lo_t.max().over(before),
        "hi_before": hi_t.max().over(before),
        "lo_after": lo_t.min().over(after),
        "hi_after": hi_t.min().over(after),
    }
    c = c.mutate(**{f"_{k}": v for k, v in seen.items()})
    w = {k: c[f"_{k}"] for k in seen}

    def flags(
        prev_other: ir.BooleanValue,
        prev_t: ir.NumericValue,
        next_other: ir.BooleanValue,
        next_t: ir.NumericValue,
    ) -> tuple[ir.BooleanValue, ir.BooleanValue, ir.NumericValue]:
        """A turn: the act before was the other side's, within the window; answered: the
        act after is, within the window. Also the time to the act after."""
        turn = prev_other.fill_null(False) & (c.t - prev_t <= window)
        answered = next_other.fill_null(False) & (next_t - c.t <= window)
        return turn.fill_null(False), answered.fill_null(False), next_t - c.t

    turn, answered, wait = flags(
        w["prev_src"] != c.src, w["prev_t"], w["next_src"] != c.src, w["next_t"]
    )
    lo_before, hi_before = w["lo_before"], w["hi_before"]
    lo_after, hi_after = w["lo_after"], w["hi_after"]
    mine_before, theirs_before = (
        c.fwd.ifelse(lo_before, hi_before),
        c.fwd.ifelse(hi_before, lo_before),
    )
    mine_after, theirs_after = c.fwd.ifelse(lo_after, hi_after), c.fwd.ifelse(hi_after, lo_after)
    # The other side's act is the one just before when it is the later of the two (at the
    # same moment: when the other side is hi), and just after when it is the earlier.
    theirs_last = theirs_before.notnull() & (
        mine_before.isnull()
        | (theirs_before > mine_before)
        | ((theirs_before == mine_before) & c.fwd)
    )
    theirs_next = theirs_after.notnull() & (
        mine_after.isnull() | (theirs_after < mine_after) | ((theirs_after == mine_after) & ~c.fwd)
    )
    turn_pub, answered_pub, _ = flags(
        theirs_last,
        ibis.greatest(lo_before, hi_before),
        theirs_next,
        ibis.least(lo_after, hi_after),
    )
    return c.mutate(
        turn=turn,
        answered=answered,
        answer_seconds=answered.ifelse(wait, ibis.null()),
        turn_public=turn_pub & pub,
        answered_public=answered_pub & pub,
    ).drop(*(f"_{k}" for k in seen))


def _paired(interactions: ir.Table) -> ir.Table:
    """The interactions with their tie, ``lo`` and ``hi``, and ``fwd`` (the actor is lo)."""
    e = interactions.mutate(
        lo=ibis.least(interactions.src, interactions.dst),
        hi=ibis.greatest(interactions.src, interactions.dst),
    )
    return e.mutate(fwd=e.src == e.lo)


def tie_totals(steps: ir.Table, turns: ir.Table | None = None) -> ir.Table:
    """One row per tie: what each side gave, by part and channel, turns, kinds, times.

    ``given_*`` sums :math:`k_e w_e` (kind weight times decayed weight); the value parts
    (``support``, ``feedback``, ``amplification``, ``messages``) and ``turns`` sum
    :math:`w_e`; ``addressed_*`` is what that side addressed to the other (conversational)
    and ``answered_*`` how much of it the other answered.

    ``turns`` is the conversational rows of ``steps`` (:func:`conversation_turns`), where
    already made. The figures of conversation are summed over those rows alone and joined
    to the others by tie: each aggregate's cost is per row it reads, and at 1M events the
    turns are 320k of the 830k interactions. This step alone at 1M: 0.37-0.39 s against
    0.39-0.42 s as one aggregation; at 10M its state fits the memory limit better, and
    scoring took 31.0-31.1 s against 33.4-33.7 s.
    """
    s = steps
    conv = s.filter(s.conversation) if turns is None else turns
    pub = ~s.private
    kw = s.kind_weight * s.w
    # The kinds of a tie as bits of one integer: an OR per tie, not a distinct count
    # (which DuckDB plans as extra group-bys joined back, over half this step's time).
    kind_bit = s.kind.substitute({k: 1 << i for i, k in enumerate(KINDS)}, else_=0).cast("int64")

    def sides(
        rows: ir.Table, figures: dict[str, tuple[ir.NumericValue, ir.BooleanValue | None]]
    ) -> dict[str, ir.Value]:
        aggs: dict[str, ir.Value] = {}
        for name, (value, cond) in figures.items():
            lo, hi = (rows.fwd, ~rows.fwd) if cond is None else (cond & rows.fwd, cond & ~rows.fwd)
            aggs[f"{name}_lo"] = _sum_if(value, lo)
            aggs[f"{name}_hi"] = _sum_if(value, hi)
        return aggs

    given = sides(
        s,
        {
            "given": (kw, None),
            "given_public": (kw, pub),
            # Substantive giving: a reply, message, share, quote, mention, accept, edit or
            # bounty, not a nod. Relational credit asks for it both ways.
            "given_core": (kw, s.kind_weight >= CORE_KIND_WEIGHT),
            "support": (s.w, (s.part == "support") & pub),
            "feedback": (s.w, (s.part == "feedback") & pub),
            "amplification": (s.w, (s.part == "amplification") & pub),
        },
    )
    talk = sides(
        conv,
        {
            "messages": (conv.w, conv.part == "conversation"),
            "addressed": (conv.w, None),
            "answered": (conv.w, conv.answered),
            "addressed_public": (conv.w, ~conv.private),
            "answered_public": (conv.w, conv.answered_public),
        },
    )
    t = s.group_by(["lo", "hi"]).agg(
        **given,
        first_t_lo=s.t.min(where=s.fwd),
        first_t_hi=s.t.min(where=~s.fwd),
        events=s.count(),
        events_public=s.count(where=pub),
        volume=s.w.sum(),
        private=_sum_if(s.w, s.private),
        kinds=kind_bit.bit_or(),
        kinds_public=kind_bit.bit_or(where=pub),
        last_t=s.t.max(),
        first_t_public=s.t.min(where=pub),
        last_t_public=s.t.max(where=pub),
    )
    conversed = conv.group_by(["lo", "hi"]).agg(
        **talk,
        turns=_sum_if(conv.w, conv.turn),
        turns_public=_sum_if(conv.w, conv.turn_public),
    )
    t = left_join(t, conversed, ["lo", "hi"])
    t = t.mutate(
        first_t=ibis.least(t.first_t_lo, t.first_t_hi),
        **{k: _bits_set(t[k], len(KINDS)) for k in ("kinds", "kinds_public")},
    )
    # The columns in the order they had as one aggregation.
    t = t.select(
        "lo",
        "hi",
        *given,
        *talk,
        *("first_t_lo", "first_t_hi", "events", "events_public", "volume", "private"),
        *("turns", "turns_public", "kinds", "kinds_public"),
        *("first_t", "last_t", "first_t_public", "last_t_public"),
    )
    zero = [c for c in t.columns if c not in ("lo", "hi") and not c.startswith(("first", "last"))]
    return t.mutate(**{c: t[c].fill_null(0) for c in zero})


def _sum_if(value: ir.NumericValue, cond: ir.BooleanValue) -> ir.NumericValue:
    """The sum of ``value`` over the rows where ``cond`` holds, 0 where it holds for none.

    The same as ``value.sum(where=cond).fill_null(0)``, as a sum of ``value`` or 0: DuckDB
    adds up numbers without nulls faster (the tie totals' 25 such sums over the 830k
    interactions at 1M events: 0.40 s against 0.43 s, the step alone).
    """
    return cond.ifelse(value, 0.0).sum()


def _bits_set(mask: ir.IntegerValue, width: int) -> ir.IntegerValue:
    """How many of the low ``width`` bits of ``mask`` are set (null: none)."""
    m = mask.fill_null(0)
    return sum((((m >> i) & 1) for i in range(width)), ibis.literal(0))


def embeddedness(totals: ir.Table, k: int = 20) -> ir.Table:
    """Shared friends of each public mutual tie, over each person's ``k`` strongest.

    .. math:: e_{ab} = |K_a \\cap K_b| / (\\min(|K_a|, |K_b|) - 1)

    where :math:`K_a` are the ``k`` public mutual ties of ``a`` with the most interaction
    (capped so that a hub does not make the count quadratic). 0 where either side has no
    other mutual tie. Private channels are left out: a third party's secret is not a shared
    friend. Returns ``lo``, ``hi``, ``embeddedness`` for the ties that have any.
    """
    mutual = totals.filter((totals.given_public_lo > 0) & (totals.given_public_hi > 0))
    volume = mutual.given_public_lo + mutual.given_public_hi
    sides = mutual.select(a=mutual.lo, c=mutual.hi, v=volume).union(
        mutual.select(a=mutual.hi, c=mutual.lo, v=volume)
    )
    rank = ibis.row_number().over(
        ibis.window(group_by=sides.a, order_by=[ibis.desc(sides.v), sides.c])
    )
    top = sides.mutate(r=rank).filter(lambda x: x.r < k).select("a", "c")
    size = top.group_by("a").agg(size=top.count())
    ka = top.rename(lo="a", c1="c")
    kb = top.rename(hi="a", c2="c")
    pairs = mutual.select("lo", "hi")
    common = (
        pairs.join(ka, "lo")
        .join(kb, [pairs.hi == kb.hi, ka.c1 == kb.c2])
        .group_by(["lo", "hi"])
        .agg(common=lambda x: x.count())
    )
    sl = size.rename(lo="a", size_lo="size")
    sh = size.rename(hi="a", size_hi="size")
    out = common.join(sl, "lo").join(sh, "hi")
    denom = ibis.least(out.size_lo, out.size_hi) - 1
    return out.select(
        "lo",
        "hi",
        embeddedness=(denom > 0).ifelse(out.common.cast("float64") / denom, 0.0),
    )


def tie_features(
    totals: ir.Table, embedded: ir.Table, moment_t: ir.NumericValue, half_life_days: float
) -> ir.Table:
    """The nine features of each tie, each in [0, 1], for all channels and public only.

    - intensity: :math:`g / (g + 5)`, :math:`g = g_{ab} + g_{ba}` the kind-weighted decayed
      giving both ways;
    - reciprocity: :math:`\\min(g_{ab}, g_{ba}) / \\max(g_{ab}, g_{ba})` (Squartini et al.,
      "Reciprocity of weighted networks", Sci. Rep. 3, 2729 (2013), per tie);
    - multiplexity: distinct kinds of interaction / 4, at most 1;
    - dialogue: :math:`1 - e^{-\\mathrm{turns}/3}` over decayed back-and-forth turns;
    - recency: :math:`2^{-\\Delta/h}`, :math:`\\Delta` days since the last interaction;
    - rhythm: :math:`e^{-\\Delta/(\\bar g + 7)}`, the silence measured against the pair's own
      pace (:math:`\\bar g` the mean days between their interactions, 7 for a pair seen
      once): a daily pair silent for a month is fading, a monthly one is not;
    - duration: :math:`d / (d + 90)`, :math:`d` days between first and last interaction;
    - embeddedness: shared friends (:func:`embeddedness`);
    - private: :math:`1 - e^{-p/3}` over decayed private messages (0 in the public set).
    """
    t = left_join(totals, embedded, ["lo", "hi"])

    def feats(suffix: str) -> dict[str, ir.Value]:
        lo, hi = t[f"given{suffix}_lo"], t[f"given{suffix}_hi"]
        first, last = t[f"first_t{suffix}"], t[f"last_t{suffix}"]
        kinds = t[f"kinds{suffix}"]
        turns = t[f"turns{suffix}"]
        n = t[f"events{suffix}"]
        big = ibis.greatest(lo, hi)
        age = (moment_t - last) / DAY_SECONDS
        span = ((last - first) / DAY_SECONDS).fill_null(0)
        gap = (n > 1).ifelse(span / (n - 1), SINGLE_GAP_DAYS)
        return {
            f"intensity{suffix}": gently(lo + hi, 5.0),
            f"reciprocity{suffix}": (big > 0).ifelse(ibis.least(lo, hi) / big, 0.0),
            f"multiplexity{suffix}": ibis.least(kinds.cast("float64") / 4.0, 1.0),
            f"dialogue{suffix}": saturate(turns, 3.0),
            f"recency{suffix}": (-age * (LN2 / half_life_days)).exp().fill_null(0.0),
            f"rhythm{suffix}": (-age / (gap + SINGLE_GAP_DAYS)).exp().fill_null(0.0),
            f"duration{suffix}": gently(span, 90.0),
        }

    return t.mutate(
        **feats(""),
        **feats("_public"),
        embeddedness=t.embeddedness.fill_null(0.0),
        private_feature=saturate(t.private, 3.0),
    )


def tie_strength(features: ir.Table, weights: Mapping[str, float], public: bool) -> ir.Value:
    """:math:`s = \\sum_f w_f x_f / \\sum_f w_f` over the tie features (all or public)."""
    suffix = "_public" if public else ""
    total = sum(weights.values()) or 1.0
    expr = ibis.literal(0.0)
    for name, weight in weights.items():
        if name == "private":
            if public:
                continue
            col = features.private_feature
        elif name == "embeddedness":
            col = features.embeddedness
        else:
            col = features[f"{name}{suffix}"]
        expr = expr + weight * col
    return expr / total


def tie_value(features: ir.Table, side: str, public: bool) -> dict[str, ir.Value]:
    """What the other side of the tie gives ``side`` (``lo`` or ``hi``): the value to them.

    Four parts, each saturating so that no single kind dominates:
    support (likes, accepts, edits, bounties), feedback (replies), amplification (shares,
    quotes, mentions), conversation (turns of dialogue, and private messages when not
    ``public``). ``value`` is their mean, scaled by the tie's reciprocity half-way, so a
    relationship counts for more than one-way attention.
    """
    other = "hi" if side == "lo" else "lo"
    f = features
    suffix = "_public" if public else ""
    conversation = f[f"turns{suffix}"] + (0 if public else f[f"messages_{other}"])
    parts = {
        "support": saturate(f[f"support_{other}"], 3.0),
        "feedback": saturate(f[f"feedback_{other}"], 2.0),
        "amplification": saturate(f[f"amplification_{other}"], 2.0),
        "conversation": saturate(conversation, 3.0),
    }
    mean = sum(parts.values()) / 4.0
    value = mean * (0.5 + 0.5 * f[f"reciprocity{suffix}"])
    return {**parts, "value": value}


#: Tie totals that only go into other figures: what each side's value is made of (but
#: amplification, which :func:`~narrowcast.measures.people.sides` reads too), the kinds'
#: bits, the public first time. The ties are kept without them.
_WORKING_COLUMNS = re.compile(r"(support|feedback|messages)_(lo|hi)$|first_t_public$|kinds")


def kept_columns(columns: Sequence[str]) -> list[str]:
    """The tie columns worth keeping (the steps after the ties and the readers use them).

    >>> kept_columns(["lo", "support_lo", "support_to_lo", "kinds", "multiplexity"])
    ['lo', 'support_to_lo', 'multiplexity']
    """
    return [c for c in columns if not _WORKING_COLUMNS.match(c)]
