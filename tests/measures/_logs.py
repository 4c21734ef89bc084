"""Tiny event logs written as aligned tables, loaded into a store and scored.

A log is a table checkable by eye: one event a line, columns split on white space, ``-`` for
an empty cell, and time given as ``day`` (days after :data:`T0`, fractions allowed) so that
ages and decay can be worked out by hand::

    day  actor  kind   target  content  parent
    0    ada    post   -       p1       -
    1    bob    reply  ada     r1       p1

Columns are the event log's (DESIGN.md), with ``content`` for ``content_id``, ``parent`` for
``parent_id`` and ``vis`` for ``visibility``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import narrowcast
from narrowcast.store import Store

#: Day 0 of every test log: Monday 1 January 2024, midnight UTC.
T0 = datetime(2024, 1, 1, tzinfo=UTC)
#: A half-life long enough that nothing decays: 2^(-age/1e9) = 1 to 1e-8 for any test age.
NO_DECAY = 1e9

_ALIASES = {"content": "content_id", "parent": "parent_id", "vis": "visibility"}


def at(day: float) -> datetime:
    """The moment ``day`` days after :data:`T0`."""
    return T0 + timedelta(days=day)


def iso(day: float) -> str:
    return at(day).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def table(text: str) -> list[dict[str, str]]:
    """The rows of an aligned table (see the module docstring) as event-log dicts."""
    lines = [line.split() for line in text.strip().splitlines() if line.strip()]
    names = [_ALIASES.get(n, n) for n in lines[0]]
    out = []
    for cells in lines[1:]:
        assert len(cells) == len(names), f"{cells} does not match {names}"
        row = {n: ("" if c == "-" else c) for n, c in zip(names, cells, strict=True)}
        out.append(row)
    return out


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """A CSV file of event-log columns; a ``day`` becomes ``ts``."""
    cols = ["ts", "actor", "kind", "target", "content_id", "parent_id", "thread_id", "visibility"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            r = {k: ("" if v is None else v) for k, v in row.items()}
            if "day" in r:
                r["ts"] = iso(float(r.pop("day")))
            w.writerow(r)
    return path


def load(rows: Iterable[Mapping[str, Any]], db: Path) -> Path:
    """Import the rows into the store ``db`` (created if absent); returns ``db``."""
    path = write_csv(db.with_name(db.stem + f"-{_next()}.csv"), rows)
    narrowcast.import_files("csv", [path], db=db)
    return db


_count = [0]


def _next() -> int:
    _count[0] += 1
    return _count[0]


def scored(rows: Iterable[Mapping[str, Any]] | str, db: Path, **options: Any) -> narrowcast.Scores:
    """Load a log (rows or an aligned table) into a fresh store and score it."""
    if isinstance(rows, str):
        rows = table(rows)
    load(rows, db)
    return narrowcast.score(db, **options)


def person(db: Path, handle: str) -> dict[str, Any]:
    """One person's stored scores (raw components, ``_pct`` columns, both scores)."""
    with Store(db, create=False, read_only=True) as store:
        cur = store.con.execute("SELECT * FROM scores WHERE handle = ?", [handle])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    assert len(rows) == 1, f"{handle}: {len(rows)} rows in scores"
    return dict(zip(names, rows[0], strict=True))


def pair(db: Path, a: str, b: str) -> dict[str, Any] | None:
    """The stored tie of handles ``a`` and ``b`` with its sides named: ``given_lo`` becomes
    ``given_<a>`` when ``a`` is the lower key, and so on. None when the pair has no tie."""
    with Store(db, create=False, read_only=True) as store:
        keys = dict(store.con.execute("SELECT handle, key FROM people").fetchall())
        lo, hi = sorted([keys[a], keys[b]])
        cur = store.con.execute("SELECT * FROM ties WHERE lo = ? AND hi = ?", [lo, hi])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    if not rows:
        return None
    side = {"lo": a, "hi": b} if keys[a] == lo else {"lo": b, "hi": a}
    return {
        "_".join(side.get(part, part) for part in name.split("_")): value
        for name, value in zip(names, rows[0], strict=True)
    }
