"""Tie-strength weights learned from a community's own history.

Which tie features, measured before a split, predict that the pair interacts again after
it? A logistic regression on the features answers; its coefficients, kept non-negative and
normalised to sum 1, become the weights of :func:`narrowcast.measures.ties.tie_strength`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from narrowcast.evaluate.metrics import roc_auc
from narrowcast.measures.params import TIE_FEATURES, TIE_WEIGHTS

__all__ = ["FitResult", "feature_matrix", "fit_tie_weights"]


@dataclass
class FitResult:
    """Learned weights and how well they predict, against the defaults, on held-out pairs."""

    weights: dict[str, float]
    coefficients: dict[str, float]
    pairs: int
    positives: int
    auc_fitted: float | None
    auc_default: float | None
    details: dict[str, object] = field(default_factory=dict)


def feature_matrix(ties: pd.DataFrame) -> np.ndarray:
    """The tie features in :data:`TIE_FEATURES` order (the stored ``private_feature``
    column is the ``private`` feature)."""
    cols = ["private_feature" if f == "private" else f for f in TIE_FEATURES]
    return ties[cols].to_numpy(dtype=float, na_value=0.0)


def _held_out(ties: pd.DataFrame, seed: int, share: float = 0.3) -> np.ndarray:
    """Which pairs are held out: decided by each pair's own ids and the seed (a
    splitmix64 hash), so the choice does not depend on the order of the rows."""
    if {"lo", "hi"} <= set(ties.columns):
        key = ties["lo"].to_numpy(np.uint64) * np.uint64(0x9E3779B1) + ties["hi"].to_numpy(
            np.uint64
        )
    else:
        key = np.arange(len(ties), dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = key + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53) < share


def fit_tie_weights(ties: pd.DataFrame, labels: np.ndarray, *, seed: int = 0) -> FitResult:
    """Fit weights on 70% of the pairs, report ROC AUC on the other 30%.

    Parameters
    ----------
    ties
        Tie features measured before the split (columns of :data:`TIE_FEATURES`).
    labels
        1 where the pair interacted again after the split, else 0.
    seed
        Which pairs are held out.
    """
    from sklearn.linear_model import LogisticRegression

    x = feature_matrix(ties)
    y = np.asarray(labels).astype(int)
    held = _held_out(ties, seed)
    train, test = ~held, held
    if len(set(y[train].tolist())) < 2:
        from narrowcast.errors import NarrowcastError

        raise NarrowcastError(
            "cannot fit weights: every pair before the split "
            + ("continued" if y.all() else "ended")
            + " after it; the history is too short or too uniform"
        )
    model = LogisticRegression(max_iter=1000, class_weight="balanced")
    model.fit(x[train], y[train])
    coef = dict(zip(TIE_FEATURES, model.coef_[0].tolist(), strict=True))
    positive = {f: max(c, 0.0) for f, c in coef.items()}
    total = sum(positive.values())
    weights = {f: c / total for f, c in positive.items()} if total > 0 else dict(TIE_WEIGHTS)
    w_fit = np.array([weights[f] for f in TIE_FEATURES])
    w_def = np.array([TIE_WEIGHTS[f] for f in TIE_FEATURES])
    return FitResult(
        weights=weights,
        coefficients=coef,
        pairs=len(y),
        positives=int(y.sum()),
        auc_fitted=roc_auc(x[test] @ w_fit, y[test]),
        auc_default=roc_auc(x[test] @ w_def, y[test]),
        details={"held_out": int(test.sum()), "intercept": float(model.intercept_[0])},
    )
