"""The time split and its labels (issue 5, section 1), and the property the whole
continuation check rests on: the split never leaks.

``split_moment`` and ``continuation_labels`` are checked on literal tables run in an
in-memory DuckDB. The no-leak property imports random logs into real stores (CSV, as
``tests/measures/_logs.py`` writes them) and measures them with the DuckDB engine, as
:func:`narrowcast.evaluation.evaluate` does.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from narrowcast.engines import DuckDBRunner
from narrowcast.evaluate.continuation import labelled_ties
from narrowcast.evaluate.split import continuation_labels, split_moment
from narrowcast.measures.params import Params
from narrowcast.measures.score import measure
from narrowcast.store import Store
from tests.measures._logs import T0, at, load


@pytest.fixture(scope="module")
def duck():
    return ibis.duckdb.connect()


def _log(rows: list[tuple[float, str | None, str | None]]) -> ibis.Table:
    """A log of (day, actor, target) rows."""
    return ibis.memtable(
        {
            "ts": [at(d) for d, _, _ in rows],
            "actor": [a for _, a, _ in rows],
            "target": [t for _, _, t in rows],
        },
        schema={"ts": "timestamp('UTC', 6)", "actor": "string", "target": "string"},
    )


# -- split_moment ----------------------------------------------------------------------------

#: Ten events on days 1, 2, ..., 10, in no particular order.
TEN = _log([(d, "ana", "ben") for d in (4, 9, 1, 7, 2, 10, 5, 3, 8, 6)])


@pytest.mark.parametrize(
    ("fraction", "day"),
    [(0.7, 7), (0.5, 5), (0.3, 3), (0.9, 9), (0.15, 1), (0.05, 1), (0.95, 9)],
)
def test_split_moment_is_the_time_by_which_the_fraction_had_happened(duck, fraction, day):
    """Of ten events on days 1 to 10, 70% have happened by day 7: the split is day 7, the
    past days 1 to 7 (7 events), the future days 8 to 10. The count of past events is the
    fraction of 10 rounded down (0.15: 1 event, day 1; 0.95: 9 events, day 9), and at least
    one (0.05: day 1)."""
    assert duck.execute(split_moment(TEN, fraction)) == at(day)


def test_split_moment_keeps_simultaneous_events_together(duck):
    """Days 1, 1, 1, 2, 2, 2, 2, 3, 3, 3: the 5th event is on day 2, so a split at 50%
    falls on day 2 and all four day-2 events are in the past (7 of 10)."""
    log = _log([(d, "ana", "ben") for d in (1, 1, 1, 2, 2, 2, 2, 3, 3, 3)])
    assert duck.execute(split_moment(log, 0.5)) == at(2)


@pytest.mark.parametrize(
    ("n", "fraction", "past"),
    [
        (90, 0.7, 63),
        (100, 0.29, 29),
        (100, 0.7, 70),
        (1000, 0.7, 700),
    ],
)
def test_split_moment_counts_exactly(duck, n, fraction, past):
    """n events on days 1..n: the split is on day round-down(n * fraction), exactly."""
    log = _log([(d, "ana", "ben") for d in range(1, n + 1)])
    assert duck.execute(split_moment(log, fraction)) == at(past)


# -- continuation_labels ---------------------------------------------------------------------

#: What happens around a split at day 5 (and an end at day 10):
#:
#: - ana and ben: ben at day 5 (the split itself: the past), ana again at day 6: they
#:   interact again, one way only.
#: - cho and dov: one each way after the split: again, and mutual.
#: - eve alone, fay toward nobody, an anonymous act toward gus: no pair.
#: - hal and ian: ian toward hal at day 10 (the end, included) and hal toward ian at day 12
#:   (after the end): mutual only without the end.
#: - jo and kim: only before the split: no label row at all.
AROUND = _log(
    [
        (1, "ana", "ben"),
        (2, "jo", "kim"),
        (4, "kim", "jo"),
        (5, "ben", "ana"),
        (6, "ana", "ben"),
        (7, "cho", "dov"),
        (8, "dov", "cho"),
        (9, "eve", "eve"),
        (9, "fay", None),
        (9, None, "gus"),
        (10, "ian", "hal"),
        (12, "hal", "ian"),
    ]
)


def _labels(duck, **kw) -> dict[tuple[str, str], tuple[bool, bool]]:
    df = duck.execute(continuation_labels(AROUND, at(5), **kw))
    return {(r.lo, r.hi): (r.again, r.mutual) for r in df.itertuples()}


def test_continuation_labels_by_hand(duck):
    """(again, mutual) per pair after day 5, up to day 10."""
    assert _labels(duck, until=at(10)) == {
        ("ana", "ben"): (True, False),
        ("cho", "dov"): (True, True),
        ("hal", "ian"): (True, False),
    }


def test_continuation_labels_without_an_end(duck):
    assert _labels(duck) == {
        ("ana", "ben"): (True, False),
        ("cho", "dov"): (True, True),
        ("hal", "ian"): (True, True),
    }


def test_continuation_labels_name_pairs_lowest_first(duck):
    """dov acting toward cho is the pair (cho, dov), as ties name it: lo < hi."""
    log = _log([(6, "dov", "cho")])
    df = duck.execute(continuation_labels(log, at(5)))
    assert df[["lo", "hi", "again", "mutual"]].values.tolist() == [["cho", "dov", True, False]]


# -- the split never leaks -------------------------------------------------------------------

NAMES = ("ana", "ben", "cho", "dov", "eli")
#: People who may turn up only after the split.
NEWCOMERS = ("fay", "gil")
KINDS = ("post", "reply", "like", "share", "mention", "message", "follow")
ACTS_ON_ITEMS = ("reply", "like", "share")
#: Label columns of labelled_ties: what happened after the split (lo_right and hi_right are
#: the label table's join keys, null where the pair did not interact again).
LABELS = ["again", "mutual", "lo_right", "hi_right"]

#: Each example imports three logs and measures two of them twice (about 3 s); set
#: NARROWCAST_EXAMPLES=50 for a longer search. No shrinking: the failing example is printed
#: as generated.
EXAMPLES = int(os.environ.get("NARROWCAST_EXAMPLES", "2"))


def _row(draw: st.DrawFn, i: int, day: float, people: tuple[str, ...], items: list) -> dict:
    """One event; acts on items may name an earlier item, and then leave the target to the
    store (its author) or give it."""
    actor = draw(st.sampled_from(people))
    kind = draw(st.sampled_from(KINDS))
    row: dict = {"day": day, "actor": actor, "kind": kind}
    if kind != "post":
        others = [it for it in items if it[1] != actor]
        if others and kind in ACTS_ON_ITEMS and draw(st.booleans()):
            row["parent_id"], author = draw(st.sampled_from(others))
            if draw(st.booleans()):
                row["target"] = author
        else:
            row["target"] = draw(st.sampled_from([n for n in people if n != actor]))
    if kind == "message":
        row["visibility"] = "private"
    if kind in ("post", "reply", "mention", "message"):
        row["content_id"] = f"c{i}"
        items.append((row["content_id"], actor))
    return row


@st.composite
def logs_and_futures(draw: st.DrawFn) -> tuple[list[dict], list[dict]]:
    """A log of 4 to 16 events over 30 days, in time order, among five people; and another
    future: up to 10 events given as days after the split (``after``), among the same
    people and two newcomers, acting on any item of the log."""
    days = sorted(
        draw(st.integers(0, 30)) + draw(st.sampled_from((0.0, 0.25, 0.5)))
        for _ in range(draw(st.integers(4, 16)))
    )
    items: list[tuple[str, str]] = []
    log = [_row(draw, i, day, NAMES, items) for i, day in enumerate(days)]
    future = []
    for j in range(draw(st.integers(0, 10))):
        after = draw(st.sampled_from((0.001, 0.25, 1.0))) + draw(st.integers(0, 15))
        row = _row(draw, 100 + j, 0.0, NAMES + NEWCOMERS, list(items))
        row.pop("day")
        future.append({"after": after, **row})
    return log, future


def _store(tmp_path: Path, *parts: list[dict]) -> Path:
    """A new store holding each non-empty part as one import, in order."""
    n = len(list(tmp_path.glob("*.duckdb")))
    db = tmp_path / f"s{n}.duckdb"
    for rows in parts:
        if rows:
            load(rows, db)
    return db


def _split_at(db: Path, fraction: float) -> datetime:
    with Store(db, create=False, read_only=True) as store:
        runner = DuckDBRunner(store.con)
        try:
            return runner.scalar(split_moment(runner.events(), fraction))
        finally:
            runner.close()


def _as_of(db: Path, moment: datetime) -> dict:
    """What the continuation check predicts from, measured as of ``moment``:
    labelled_ties' columns and the people table; and the person key -> id map."""
    with Store(db, create=False, read_only=True) as store:
        runner = DuckDBRunner(store.con)
        try:
            events = runner.events()
            params = Params(as_of=moment, half_life_days=30.0)
            ties = labelled_ties(runner, events, moment, 30.0)
            people = runner.to_arrow(measure(events, params, runner).people).to_pandas()
        finally:
            runner.close()
        ids = dict(store.con.execute("SELECT key, id FROM people").fetchall())
    ties = ties.sort_values(["lo", "hi"]).reset_index(drop=True)
    people = people.sort_values("person").reset_index(drop=True)
    return {"ties": ties, "people": people, "ids": ids}


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: ana and ben talk, ben likes ana's post, cho messages dov in private; then, after the
#: split, ben replies to ana's post (the store finds the target), dov answers cho, fay (new)
#: likes ana's post and ana mentions eli: every label and every person's future changes.
HAND_LOG = [
    {"day": 0, "actor": "ana", "kind": "post", "content_id": "c0"},
    {"day": 1, "actor": "ben", "kind": "reply", "target": "ana", "parent_id": "c0"},
    {"day": 2, "actor": "ana", "kind": "reply", "target": "ben", "content_id": "c2"},
    {"day": 3, "actor": "ben", "kind": "like", "target": "ana", "parent_id": "c0"},
    {"day": 4, "actor": "cho", "kind": "message", "target": "dov", "visibility": "private"},
    {"day": 5, "actor": "eli", "kind": "like", "target": "ana", "parent_id": "c0"},
    {"day": 9, "actor": "ana", "kind": "follow", "target": "cho"},
]
HAND_FUTURE = [
    {"after": 0.001, "actor": "ben", "kind": "reply", "parent_id": "c0", "content_id": "f1"},
    {"after": 1, "actor": "dov", "kind": "message", "target": "cho", "visibility": "private"},
    {"after": 2, "actor": "fay", "kind": "like", "target": "ana", "parent_id": "c0"},
    {"after": 3, "actor": "ana", "kind": "mention", "target": "eli", "content_id": "f2"},
]


@SETTINGS
@given(case=logs_and_futures(), fraction=st.sampled_from((0.3, 0.5, 0.7, 0.9)))
@example(case=(HAND_LOG, HAND_FUTURE), fraction=0.7)
def test_events_after_the_split_change_nothing_used_to_predict(tmp_path, case, fraction):
    """Split a log; replace everything after the split moment by another future (events
    added, removed or changed, newcomers included). Measured as of the moment, every tie
    feature, strength and total of ``labelled_ties`` and every column of the people table
    are the same for both logs; only the labels (``again``, ``mutual``) may differ."""
    log, future = case
    moment = _split_at(_store(tmp_path, log), fraction)
    past = [r for r in log if at(r["day"]) <= moment]
    then = [r for r in log if at(r["day"]) > moment]
    split_day = (moment - T0).total_seconds() / 86_400
    other = [{"day": split_day + r.pop("after"), **r} for r in map(dict, future)]
    assert all(at(r["day"]) > moment for r in other)

    # The past is the first import of both stores, so people get the same keys.
    a = _as_of(_store(tmp_path, past, then), moment)
    b = _as_of(_store(tmp_path, past, other), moment)

    features = [c for c in a["ties"].columns if c not in LABELS]
    pd.testing.assert_frame_equal(
        a["ties"][features], b["ties"][features], check_exact=False, rtol=1e-9
    )
    pd.testing.assert_frame_equal(a["people"], b["people"], check_exact=False, rtol=1e-9)
    keys = set(a["ties"].lo) | set(a["ties"].hi) | set(a["people"].person)
    assert {k: a["ids"][k] for k in keys} == {k: b["ids"][k] for k in keys}
