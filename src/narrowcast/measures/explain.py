"""Sentences from the numbers: why a person has the scores they have.

Pure functions of one person's scored row (a mapping of column to value); no figure is
written here that the row does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from narrowcast.measures.people import BROADCAST_COMPONENTS, RELATIONAL_COMPONENTS

__all__ = ["component_sentences", "explanation"]


def _n(x: Any) -> float:
    return 0.0 if x is None or x != x else float(x)  # None and NaN are nothing


def _rank(pct: Any) -> str:
    """Where a percentile puts someone, in words: "in the top 3%", "below the median"."""
    p = _n(pct)
    if p >= 50:
        return f"in the top {max(1, round(100 - p))}% of the community"
    return "below the community median"


def _plural(n: float, word: str) -> str:
    n = round(n)
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def component_sentences(row: Mapping[str, Any]) -> dict[str, str]:
    """One sentence per component, from the row's own figures.

    >>> component_sentences({"addressed_public": 212, "answered_public": 172})["listening"]
    'answers 81% of the 212 public replies and mentions addressed to them'
    """
    r = {k: row.get(k) for k in row}
    s: dict[str, str] = {}
    engagers = _n(r.get("engagers"))
    s["reach"] = (
        f"{_plural(engagers, 'person')} engaged with them".replace("persons", "people")
        if engagers
        else "nobody engaged with them"
    )
    s["amplification"] = (
        f"shared, quoted or mentioned with weight {_n(r.get('amplification')):.1f}"
        if _n(r.get("amplification"))
        else "nobody shared or quoted them"
    )
    if _n(r.get("echoers")):
        s["amplification"] += (
            f"; {_plural(_n(r.get('echoers')), 'person')} repeated links or tags they shared"
        ).replace("persons", "people")
    s["reception"] = (
        f"{_plural(_n(r.get('received_events')), 'reaction')} received on "
        f"{_plural(_n(r.get('posts')), 'post')}"
    )
    s["silent_audience"] = (
        f"{_n(r.get('silent_audience')):,.0f} recent views (decayed)"
        if _n(r.get("silent_audience"))
        else "no views recorded"
    )
    s["discussion"] = (
        f"mentioned in conversations they did not join (weight {_n(r.get('discussion')):.1f})"
        if _n(r.get("discussion"))
        else "not discussed in others' conversations"
    )
    s["network_weight"] = f"network weight {_rank(r.get('network_weight_pct'))}"
    given_to = _n(r.get("given_to"))
    s["generosity"] = (
        f"gave to {_plural(given_to, 'person')}, {round(_n(r.get('mutual_ties'))):,} of whom "
        "gave back".replace("persons", "people")
        if given_to
        else "gives to nobody"
    )
    # Community-wide outputs never show private figures: the public conversation only.
    addressed = _n(r.get("addressed_public"))
    if addressed:
        share = _n(r.get("answered_public")) / addressed * 100
        text = (
            f"answers {share:.0f}% of the {addressed:,.0f} public replies and mentions "
            "addressed to them"
        )
        s["listening"] = text
    else:
        s["listening"] = "nobody has addressed them in public yet"
    s["reciprocity"] = (
        f"{round(_n(r.get('mutual_ties'))):,} of their {_plural(_n(r.get('ties')), 'tie')} are "
        f"mutual; {_n(r.get('mutual_share')) * 100:.0f}% of what they exchange comes back"
    )
    turns, sparked = _n(r.get("turns")), _n(r.get("sparked"))
    dialogue = f"{turns:.1f} back-and-forth turns (decayed)" if turns else "no back-and-forth yet"
    if sparked:
        dialogue += f"; their comments sparked {sparked:.1f} replies from others"
    s["dialogue"] = dialogue
    given_items = _n(r.get("given_items"))
    s["appreciated_giving"] = (
        f"{round(_n(r.get('thanked_items'))):,} of their {round(given_items):,} replies to "
        "others were liked or answered by the person they answered"
        if given_items
        else "has not replied to anyone's post yet"
    )
    s["initiative"] = (
        f"started {_plural(_n(r.get('initiated_mutual')), 'contact')} that became mutual "
        f"and answered {_plural(_n(r.get('answered_first')), 'first contact')}"
    )
    weeks = _n(r.get("active_weeks"))
    s["consistency"] = f"active in {_plural(weeks, 'week')}"
    s["circle"] = f"{_plural(_n(r.get('circle')), 'strong mutual tie')}"
    s["relational_weight"] = f"trust through mutual ties {_rank(r.get('relational_weight_pct'))}"
    return s


def explanation(row: Mapping[str, Any]) -> str:
    """Two sentences: each score with the components that carry it most.

    >>> explanation({"broadcast": 95, "relational": 12, "reach_pct": 99, "engagers": 300,
    ...              "addressed_public": 40, "answered_public": 0, "listening_pct": 0})
    ... # doctest: +ELLIPSIS
    'Broadcast 95/100: 300 people engaged with them... Relational 12/100: ...'
    """
    sentences = component_sentences(row)

    def best(components: tuple[str, ...], reverse: bool) -> list[str]:
        ranked = sorted(components, key=lambda c: _n(row.get(f"{c}_pct")), reverse=reverse)
        return [sentences[c] for c in ranked[:2]]

    b, r = _n(row.get("broadcast")), _n(row.get("relational"))
    bro = best(BROADCAST_COMPONENTS, reverse=b >= 50)
    rel = best(RELATIONAL_COMPONENTS, reverse=r >= 50)
    return f"Broadcast {b:.0f}/100: {'; '.join(bro)}. Relational {r:.0f}/100: {'; '.join(rel)}."
