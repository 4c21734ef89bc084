"""Does tie strength predict that a relationship continues?

Split a time-ordered log at a point; measure ties on the past only; label each pair that
interacted before the split by whether it interacts again after it (and, second label,
in both directions). Every candidate pair has met before: the "historical negatives"
setting of dynamic link prediction (Poursafaei et al., "Towards better evaluation for
dynamic link prediction", NeurIPS 2022), never random never-met pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from narrowcast.evaluate.fit import feature_matrix, fit_tie_weights
from narrowcast.evaluate.metrics import average_precision, bootstrap_ci, precision_at_k, roc_auc
from narrowcast.evaluate.split import continuation_labels, split_moment
from narrowcast.measures.params import TIE_FEATURES, TIE_WEIGHTS, Params
from narrowcast.measures.score import Runner, measure

__all__ = ["METHODS", "METRICS", "continuation", "labelled_ties"]

METHODS = ("strength", "fitted", "count", "recency", "decayed_count")
METRICS = ("roc_auc", "average_precision", "precision_at_5")


def labelled_ties(
    runner: Runner, events: Any, moment: Any, half_life_days: float, until: Any = None
) -> pd.DataFrame:
    """Ties measured on the events up to ``moment``, with what happened after it.

    Columns: the tie features and totals, ``again`` and ``mutual`` (booleans).
    """
    measured = measure(events, Params(as_of=moment, half_life_days=half_life_days), runner)
    labels = continuation_labels(events, moment, until)
    joined = measured.ties.left_join(labels, ["lo", "hi"]).drop("lo_right", "hi_right")
    # In pair order, so that held-out pairs and bootstrap resamples follow the seed alone.
    frame = runner.to_arrow(joined.order_by(["lo", "hi"])).to_pandas()
    frame["again"] = frame["again"].fillna(False).astype(bool)
    frame["mutual"] = frame["mutual"].fillna(False).astype(bool)
    return frame


def _scores(ties: pd.DataFrame, moment_s: float, fitted: dict[str, float]) -> dict[str, np.ndarray]:
    x = feature_matrix(ties)
    w_def = np.array([TIE_WEIGHTS[f] for f in TIE_FEATURES])
    w_fit = np.array([fitted[f] for f in TIE_FEATURES])
    return {
        "strength": x @ w_def / w_def.sum(),
        "fitted": x @ w_fit / max(w_fit.sum(), 1e-12),
        "count": ties["events"].to_numpy(float),
        "recency": -(moment_s - ties["last_t"].to_numpy(float)),
        "decayed_count": ties["volume"].to_numpy(float),
    }


def continuation(
    runner: Runner,
    events: Any,
    *,
    split: float = 0.7,
    half_life_days: float = 90.0,
    seed: int = 0,
    bootstrap: int = 200,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """ROC AUC, average precision and per-person precision@5 of tie strength (default and
    fitted weights) and the baselines, for both labels, with bootstrap intervals over people.

    Fitted weights never see the future: they are fitted on an internal split of the past
    (the same ``split`` fraction of the events before the split point).
    """
    say = progress or (lambda _: None)
    moment = runner.scalar(split_moment(events, split))
    past = events.filter(events.ts <= moment)
    inner = runner.scalar(split_moment(past, split))
    say("fitting weights on the past")
    train = labelled_ties(runner, past, inner, half_life_days, until=moment)
    fit = fit_tie_weights(train, train["again"].to_numpy(), seed=seed)
    say("measuring ties at the split")
    ties = labelled_ties(runner, events, moment, half_life_days)
    moment_s = moment.timestamp()
    scores = _scores(ties, moment_s, fit.weights)
    # Each tie is ranked among each of its two people's ties for precision@5.
    person = np.r_[ties["lo"].to_numpy(), ties["hi"].to_numpy()]
    both = np.r_[np.arange(len(ties)), np.arange(len(ties))]
    out: dict[str, Any] = {
        "split": split,
        "split_at": moment.isoformat(),
        "fit_split_at": inner.isoformat(),
        "half_life_days": half_life_days,
        "pairs": len(ties),
        "fitted_weights": {k: round(v, 4) for k, v in fit.weights.items()},
    }
    for label in ("again", "mutual"):
        y = ties[label].to_numpy()
        block: dict[str, Any] = {"positives": int(y.sum()), "methods": {}}
        for method in METHODS:
            s = scores[method]
            p5, people = precision_at_k(person, s[both], y[both], 5)
            figures: dict[str, Any] = {
                "roc_auc": roc_auc(s, y),
                "average_precision": average_precision(s, y),
                "precision_at_5": p5,
                "people_with_5_ties": people,
            }
            if bootstrap:
                say(f"bootstrap {label} {method}")
                figures["roc_auc_ci"] = bootstrap_ci(
                    person,
                    lambda rows, s2=s[both], y2=y[both]: roc_auc(s2[rows], y2[rows]),
                    n=bootstrap,
                    seed=seed,
                )
            block["methods"][method] = figures
        aucs = {m: f["roc_auc"] for m, f in block["methods"].items() if f["roc_auc"] is not None}
        baselines = [aucs[m] for m in ("count", "recency", "decayed_count") if m in aucs]
        if baselines and "strength" in aucs:
            block["strength_minus_best_baseline"] = aucs["strength"] - max(baselines)
        if "fitted" in aucs and "strength" in aucs:
            block["fitted_minus_strength"] = aucs["fitted"] - aucs["strength"]
        out["again" if label == "again" else "mutual"] = block
    return out
