"""What the dashboard and the report show, as plain data ready for JSON.

Each function reads the scored store (read-only) through the library (``narrowcast.scoring``)
and returns dicts and lists; :func:`to_json` writes them so that they are safe inside an HTML
page. Privacy (DESIGN.md): community views — summary, map, top lists — never hold
private-channel figures; a person's page and a tie's events hold them only with
``include_private``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from os import PathLike
from typing import Any

from narrowcast import scoring
from narrowcast.errors import ParameterError

__all__ = [
    "MAX_POINTS",
    "QUADRANTS",
    "community_map",
    "person_page",
    "search",
    "summary",
    "tie_events",
    "to_json",
    "top_lists",
]

Db = str | PathLike[str] | None

#: Most people drawn on the map; beyond it the map shows a sample over a density grid.
MAX_POINTS = 2500
#: In a sampled map, this many of the top of each score (at most a quarter of the points
#: each) are always among the points.
_TOP_ALWAYS = 250
#: The density grid's cells per axis (each cell 100 / _BINS points of percentile wide).
_BINS = 50

#: The map's quadrants, split at the median (50) of each score: (name, broadcast high,
#: relational high, what it means).
QUADRANTS = (
    ("connectors", False, True, "relate more than they are heard"),
    ("pillars", True, True, "heard, and relating"),
    ("broadcasters", True, False, "heard more than they relate"),
    ("quiet listeners", False, False, "little of either, yet"),
)


def to_json(data: Any) -> str:
    """JSON that is safe to embed in HTML: ``<``, ``>`` and ``&`` (and the JavaScript line
    separators) are written as ``\\u`` escapes, as Django's ``json_script`` does, so no text
    in the data can close a ``<script>`` element. NaN and infinities become null.

    >>> to_json({"name": "<img src=x onerror=alert(1)>", "x": float("nan")})
    '{"name": "\\\\u003cimg src=x onerror=alert(1)\\\\u003e", "x": null}'
    """
    text = json.dumps(_finite(data), ensure_ascii=False, allow_nan=False, default=str)
    for char, escape in _ESCAPES.items():
        text = text.replace(char, escape)
    return text


_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def summary(db: Db = None, *, include_private: bool = False) -> dict[str, Any]:
    """The community at a glance: what the store holds, the scoring run, the platforms and
    history months the map can filter on, and the fitted weights' quality when present."""
    with scoring.open_scored(db) as store:
        info = store.info()
        run = store.score_run() or {}
        con = store.con
        platforms = dict(
            con.execute(
                "SELECT platform, count(*) FROM scores GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
        )
        tables = store.tables()
        months = []
        if "score_history" in tables:
            months = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT month FROM score_history ORDER BY 1 DESC"
                ).fetchall()
            ]
        fit = None
        if "fit_info" in tables:
            fit = {k: json.loads(v) for k, v in con.execute("SELECT * FROM fit_info").fetchall()}
    return {
        "store": store.path.name,
        "events": info["events"],
        "people": info["people"],
        "scored_people": sum(platforms.values()),
        "first_ts": info["first_ts"],
        "last_ts": info["last_ts"],
        "kinds": info["kinds"],
        "platforms": platforms,
        "run": {
            k: run.get(k)
            for k in ("as_of", "half_life_days", "weights", "events", "scored_at", "version")
        },
        "months": months,
        "fit": _fit_figures(fit),
        "quadrants": [{"name": q[0], "means": q[3]} for q in QUADRANTS],
        "include_private": include_private,
    }


def _fit_figures(fit: dict[str, Any] | None) -> dict[str, Any] | None:
    if not fit:
        return None
    keep = ("fitted_at", "split_at", "pairs", "continued", "roc_auc_fitted", "roc_auc_default")
    return {k: fit.get(k) for k in keep}


def community_map(
    db: Db = None,
    *,
    platform: str | None = None,
    active_days: float | None = None,
    month: str | None = None,
    max_points: int = MAX_POINTS,
) -> dict[str, Any]:
    """Everyone's broadcast and relational scores, for the map.

    Parameters
    ----------
    platform
        Only people of this platform.
    active_days
        Only people who acted in the ``active_days`` days up to the scored moment.
    month
        ``YYYY-MM``: the scores as of that month's end, from the kept history, instead of the
        scored moment's.
    max_points
        With more people than this, ``points`` is a sample: the top of each score always,
        the rest drawn at random (the same draw every time), and ``density`` counts everyone
        on a grid of 2-point cells so that the shape of the whole community still shows.

    Returns
    -------
    dict
        ``as_of``, ``month``, ``total`` (people after the filters), ``quadrants`` (name →
        count), ``at_zero`` (how many score 0 on each: they share the lowest rank, so they
        lie on an edge of the map, on top of each other), ``points`` (``columns`` and
        ``rows``: person, handle, broadcast, relational, platform), ``sampled``,
        ``density`` (None, or ``bins`` and ``cells`` of [broadcast bin, relational bin,
        count]).
    """
    if active_days is not None and not active_days > 0:
        raise ParameterError.expected("active_days", "community_map", "a number > 0", active_days)
    if max_points < 4:
        raise ParameterError.expected("max_points", "community_map", "an integer >= 4", max_points)
    top_always = min(_TOP_ALWAYS, max_points // 4)
    with scoring.open_scored(db) as store:
        run = store.score_run() or {}
        as_of = run["as_of"]
        if month is None:
            source = "SELECT person, handle, platform, broadcast, relational, last_t FROM scores"
            params: list[Any] = []
        else:
            if "score_history" not in store.tables():
                raise ParameterError.expected(
                    "month", "community_map", "a month the history holds (none is kept)", month
                )
            found = store.con.execute(
                "SELECT max(as_of)::TIMESTAMP FROM score_history WHERE month = ?", [month]
            ).fetchall()[0][0]
            if found is None:
                raise ParameterError.expected(
                    "month", "community_map", "a month the history holds", month
                )
            as_of = found.replace(tzinfo=UTC).isoformat()
            source = """SELECT p.id AS person, p.handle, p.platform, h.broadcast, h.relational,
                               h.last_t
                        FROM score_history h JOIN people p ON p.key = h.key
                        WHERE h.month = ?"""
            params = [month]
        where, fparams = [], []
        if platform:
            where.append("platform = ?")
            fparams.append(platform)
        if active_days:
            since = datetime.fromisoformat(as_of) - timedelta(days=active_days)
            where.append("last_t >= ?")
            fparams.append(since.timestamp())
        filtered = f"({source}) AS s" + (f" WHERE {' AND '.join(where)}" if where else "")
        con = store.con
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _nc_map AS
                SELECT person, handle, platform, round(broadcast, 2) AS b,
                       round(relational, 2) AS r FROM {filtered}""",
            params + fparams,
        ).fetchall()
        try:
            total, b_zero, r_zero, *counts = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE b = 0), count(*) FILTER (WHERE r = 0), "
                + ", ".join(
                    f"count(*) FILTER (WHERE (b >= 50) = {bh} AND (r >= 50) = {rh})"
                    for _, bh, rh, _ in QUADRANTS
                )
                + " FROM _nc_map"
            ).fetchall()[0]
            sampled = total > max_points
            if sampled:
                rows = con.execute(
                    """SELECT person, handle, b, r, platform FROM (
                           SELECT *, row_number() OVER (ORDER BY b DESC, person) AS rb,
                                     row_number() OVER (ORDER BY r DESC, person) AS rr,
                                     row_number() OVER (ORDER BY hash(person), person) AS rh
                           FROM _nc_map)
                       WHERE rb <= $1 OR rr <= $1 OR rh <= $2
                       ORDER BY rh""",
                    [top_always, max_points - 2 * top_always],
                ).fetchall()
                cell = 100 / _BINS
                cells = con.execute(
                    f"""SELECT least(floor(b / {cell}), {_BINS - 1})::INTEGER AS i,
                               least(floor(r / {cell}), {_BINS - 1})::INTEGER AS j, count(*)
                        FROM _nc_map GROUP BY ALL ORDER BY ALL"""
                ).fetchall()
                density: dict[str, Any] | None = {"bins": _BINS, "cells": cells}
            else:
                rows = con.execute(
                    "SELECT person, handle, b, r, platform FROM _nc_map ORDER BY person"
                ).fetchall()
                density = None
        finally:
            con.execute("DROP TABLE IF EXISTS _nc_map").fetchall()
    return {
        "as_of": as_of,
        "month": month,
        "platform": platform,
        "active_days": active_days,
        "total": total,
        "quadrants": {q[0]: n for q, n in zip(QUADRANTS, counts, strict=True)},
        "at_zero": {"broadcast": b_zero, "relational": r_zero},
        "sampled": sampled,
        "points": {
            "columns": ["person", "handle", "broadcast", "relational", "platform"],
            "rows": [list(r) for r in rows],
        },
        "density": density,
    }


def search(query: str, n: int = 20, *, db: Db = None) -> list[dict[str, Any]]:
    """Scored people whose handle or id contains ``query`` (case-insensitive): exact handles
    first, then handles that start with it, then the rest, each by relational score."""
    text = query.strip()
    if not text:
        return []
    with scoring.open_scored(db) as store:
        rows = store.con.execute(
            """SELECT person, handle, platform, broadcast, relational FROM scores
               WHERE contains(lower(handle), lower($1)) OR contains(lower(person), lower($1))
               ORDER BY lower(handle) = lower($1) DESC,
                        starts_with(lower(handle), lower($1)) DESC,
                        relational DESC, person
               LIMIT $2""",
            [text, n],
        ).fetchall()
    names = ("person", "handle", "platform", "broadcast", "relational")
    return [dict(zip(names, r, strict=True)) for r in rows]


def person_page(
    person: str,
    *,
    db: Db = None,
    include_private: bool = False,
    n: int = 10,
    with_events: bool = False,
) -> dict[str, Any]:
    """Everything a person's page shows: both scores with every component and its
    explanation (:func:`~narrowcast.scoring.show`), their history, their circle (top ``n``
    ties by value to them, with reasons), what they give and to whom.

    With ``with_events``, ``events`` holds the events behind each tie listed (for a page
    that cannot ask later, as the report's).
    """
    shown = scoring.show(person, db=db, include_private=include_private)
    pid = shown["person"]
    page = {
        "person": shown,
        "history": scoring.history(pid, db=db),
        "circle": scoring.circle(pid, n, db=db, include_private=include_private),
        "gives": scoring.gives(pid, n, db=db, include_private=include_private),
        "include_private": include_private,
    }
    if with_events:
        others = {t["person"] for t in page["circle"]} | {t["person"] for t in page["gives"]}
        page["events"] = {
            o: tie_events(pid, o, db=db, include_private=include_private) for o in sorted(others)
        }
    return page


def tie_events(
    a: str, b: str, *, db: Db = None, include_private: bool = False, limit: int = 50
) -> dict[str, Any]:
    """The events behind the tie of ``a`` and ``b`` (:func:`narrowcast.scoring.tie_events`):
    public ones only unless ``include_private``."""
    return scoring.tie_events(a, b, db=db, include_private=include_private, limit=limit)


def top_lists(n: int = 10, *, db: Db = None, rising_months: int = 3) -> dict[str, Any]:
    """The three lists: connectors to thank (top relational), broadcasters (top broadcast),
    and rising people (:func:`~narrowcast.scoring.rising`, when a history is kept)."""
    return {
        "connectors": scoring.top("relational", n, db=db),
        "broadcasters": scoring.top("broadcast", n, db=db),
        "rising": scoring.rising(n, db=db, months=rising_months),
    }
