"""Does tie strength predict that a relationship continues (issue 5, section 1)?

On a generated log whose answer is known: twelve people in a ring; each talks steadily with
the two nearest on either side (a message each way every three days, days 0 to 99), and
talked briefly, then stopped, with the next three on either side (four messages by day
11). Every person has ten ties: four that continue after any split and six that ended
long before it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narrowcast.engines import DuckDBRunner
from narrowcast.evaluate.continuation import METHODS, METRICS, continuation, labelled_ties
from narrowcast.evaluate.fit import fit_tie_weights
from narrowcast.evaluate.metrics import roc_auc
from narrowcast.evaluate.split import split_moment
from narrowcast.store import Store
from tests.measures._logs import at, load

PEOPLE = [f"p{i:02d}" for i in range(12)]
STEADY = [(i, (i + d) % 12) for i in range(12) for d in (1, 2)]
FADED = [(i, (i + d) % 12) for i in range(12) for d in (3, 4, 5)]


def _name(i: int) -> str:
    return PEOPLE[i]


def _steady(pair: int, a: int, b: int) -> list[dict]:
    rows = []
    for k in range(34):
        day = 3 * k + pair * 0.01
        rows.append({"day": day, "actor": _name(a), "kind": "message", "target": _name(b)})
        rows.append({"day": day + 0.5, "actor": _name(b), "kind": "message", "target": _name(a)})
    return rows


def _faded(pair: int, a: int, b: int) -> list[dict]:
    days = [2 + pair * 0.01 + 3 * k for k in range(4)]
    return [
        {"day": d, "actor": _name(x), "kind": "message", "target": _name(y)}
        for d, (x, y) in zip(days, [(a, b), (b, a)] * 2, strict=True)
    ]


def ring() -> list[dict]:
    """About 1,800 events, in time order."""
    rows = [r for n, (a, b) in enumerate(STEADY) for r in _steady(n, a, b)]
    rows += [r for n, (a, b) in enumerate(FADED) for r in _faded(n, a, b)]
    return sorted(rows, key=lambda r: r["day"])


def _run(db: Path, **options) -> dict:
    with Store(db, create=False, read_only=True) as store:
        runner = DuckDBRunner(store.con)
        try:
            return continuation(runner, runner.events(), **options)
        finally:
            runner.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load(ring(), tmp_path_factory.mktemp("ring") / "ring.duckdb")


@pytest.fixture(scope="module")
def result(store: Path) -> dict:
    return _run(store, bootstrap=20, seed=0)


def test_every_method_and_metric_for_both_labels(result):
    for label in ("again", "mutual"):
        methods = result[label]["methods"]
        assert list(methods) == list(METHODS)
        for figures in methods.values():
            assert set(METRICS) <= set(figures)
            assert "roc_auc_ci" in figures


def test_every_pair_met_before_the_split(result):
    """Candidates are the 60 pairs that met before the split (historical negatives), no
    others; the 24 steady pairs continue, both ways."""
    assert result["pairs"] == len(STEADY) + len(FADED) == 60
    assert result["again"]["positives"] == result["mutual"]["positives"] == len(STEADY)


def test_strength_finds_the_ties_that_continue(result):
    """Strength ranks every steady pair above every faded one: AUC 1, average precision 1.
    Each person has only four continuing ties among their ten, so the best precision@5 is
    4/5, over all twelve people."""
    for label in ("again", "mutual"):
        strength = result[label]["methods"]["strength"]
        assert strength["roc_auc"] == 1.0
        assert strength["average_precision"] == pytest.approx(1.0)
        assert strength["precision_at_5"] == pytest.approx(0.8)
        assert strength["people_with_5_ties"] == 12
        assert strength["roc_auc_ci"] == (1.0, 1.0)


def test_strength_beats_a_random_score(store, result):
    """A random score ranks the same pairs no better than chance."""
    with Store(store, create=False, read_only=True) as s:
        runner = DuckDBRunner(s.con)
        try:
            events = runner.events()
            moment = runner.scalar(split_moment(events, 0.7))
            ties = labelled_ties(runner, events, moment, 90.0)
        finally:
            runner.close()
    y = ties["again"].to_numpy()
    random = roc_auc(np.random.default_rng(0).random(len(y)), y)
    assert abs(random - 0.5) < 0.25
    assert result["again"]["methods"]["strength"]["roc_auc"] > random + 0.25


def test_fitted_weights_are_fitted_before_the_split(result):
    """The inner split that the weights are fitted on lies before the split; the weights are
    non-negative and sum to 1."""
    assert result["fit_split_at"] < result["split_at"]
    weights = result["fitted_weights"]
    assert all(w >= 0 for w in weights.values())
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-3)


def test_fitted_weights_never_see_after_the_split(store, result, tmp_path):
    """Give the ring another future: every event after the split keeps its time but is now
    between a faded pair instead of a steady one. The split, the inner split and the fitted
    weights stay the same; the labels flip, so strength now ranks the ties that continue
    last."""
    rows = ring()
    split_at = pd.Timestamp(result["split_at"])
    past = [r for r in rows if at(r["day"]) <= split_at]
    future = [r for r in rows if at(r["day"]) > split_at]
    # a toward a+1 or a+2 becomes a toward a+3; a+1 or a+2 toward a becomes a+3 toward a.
    other = []
    for r in future:
        a, b = PEOPLE.index(r["actor"]), PEOPLE.index(r["target"])
        if (b - a) % 12 in (1, 2):
            other.append(dict(r, target=_name((a + 3) % 12)))
        else:
            other.append(dict(r, actor=_name((b + 3) % 12)))
    db = tmp_path / "other.duckdb"
    load(past, db)
    load(other, db)
    changed = _run(db, bootstrap=0, seed=0)
    for key in ("split_at", "fit_split_at", "pairs", "fitted_weights"):
        assert changed[key] == result[key], key
    assert changed["again"]["methods"]["strength"]["roc_auc"] < 0.5


def test_the_output_is_json(result):
    """Plain JSON types only: no NumPy scalars, no timestamps."""
    text = json.dumps(result, allow_nan=False)
    back = json.loads(text)
    assert back["split_at"] == result["split_at"]
    assert back["again"]["methods"]["recency"]["roc_auc"] == pytest.approx(
        result["again"]["methods"]["recency"]["roc_auc"]
    )


def test_fitted_weights_do_not_depend_on_the_order_of_the_pairs(store):
    with Store(store, create=False, read_only=True) as s:
        runner = DuckDBRunner(s.con)
        try:
            events = runner.events()
            moment = runner.scalar(split_moment(events, 0.5))
            ties = labelled_ties(runner, events, moment, 90.0)
        finally:
            runner.close()
    # Blur the answer so that which pairs are held out matters.
    rng = np.random.default_rng(3)
    y = ties["again"].to_numpy() ^ (rng.random(len(ties)) < 0.2)
    order = rng.permutation(len(ties))
    first = fit_tie_weights(ties, y, seed=0).weights
    again = fit_tie_weights(ties.iloc[order].reset_index(drop=True), y[order], seed=0).weights
    assert again == pytest.approx(first, abs=1e-6)
