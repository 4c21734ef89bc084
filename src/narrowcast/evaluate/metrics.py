"""Ranking metrics, per-person precision and bootstrap intervals over people."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["average_precision", "bootstrap_ci", "precision_at_k", "roc_auc"]


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Area under the ROC curve: the chance that a random positive outscores a random
    negative, ties counting half (Mann-Whitney U / (P N)). None with only one class.

    >>> roc_auc(np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 0, 1, 0]))
    0.75
    """
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=float)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    # Average ranks over ties (1-based).
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    u = ranks[y].sum() - pos * (pos + 1) / 2.0
    return float(u / (pos * neg))


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Average precision: the mean of precision at each positive, ranking by score
    (scikit-learn's definition: tied scores form one step). None without positives.

    >>> average_precision(np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 0, 1, 0]))
    0.8333333333333333
    """
    from sklearn.metrics import average_precision_score

    y = np.asarray(labels).astype(int)
    if y.sum() == 0:
        return None
    return float(average_precision_score(y, np.asarray(scores, dtype=float)))


def precision_at_k(
    person: np.ndarray, scores: np.ndarray, labels: np.ndarray, k: int = 5
) -> tuple[float | None, int]:
    """Mean over people with at least ``k`` ties of the share of their ``k`` top-scored
    ties that are positive; and how many people that is.

    ``person`` names, for each row, whose tie it is (a tie appears once per side). Where
    the k-th place falls inside a group of tied scores, the group counts at its mean label
    (the expected precision under a random order), so the result never depends on the
    order of the rows.

    >>> p = np.array([1, 1, 1, 2, 2, 2])
    >>> precision_at_k(p, np.array([3, 2, 1, 3, 2, 1]), np.array([1, 0, 0, 0, 1, 1]), k=2)
    (0.5, 2)
    >>> precision_at_k(np.array([1, 1, 1]), np.array([1, 1, 1]), np.array([1, 0, 0]), k=2)
    (0.3333333333333333, 1)
    """
    person = np.asarray(person)
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels).astype(float)
    order = np.lexsort((-s, person))
    p, s, y = person[order], s[order], y[order]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    ends = np.r_[starts[1:], len(p)]
    values = []
    for a, b in zip(starts, ends, strict=True):
        if b - a < k:
            continue
        ss, yy = s[a:b], y[a:b]
        cut = ss[k - 1]
        above = ss > cut
        tied = ss == cut
        n_above = int(above.sum())
        values.append((yy[above].sum() + (k - n_above) * yy[tied].mean()) / k)
    if not values:
        return None, 0
    return float(np.mean(values)), len(values)


def bootstrap_ci(
    groups: np.ndarray,
    statistic: Callable[[np.ndarray], float | None],
    *,
    n: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """A percentile bootstrap interval, resampling whole groups (people) with replacement.

    ``statistic`` receives the row indices of one resample. None if it is undefined on
    too many resamples.
    """
    rng = np.random.default_rng(seed)
    groups = np.asarray(groups)
    uniq, inverse = np.unique(groups, return_inverse=True)
    members = np.argsort(inverse, kind="mergesort")
    bounds = np.r_[0, np.cumsum(np.bincount(inverse, minlength=len(uniq)))]
    values = []
    for _ in range(n):
        pick = rng.integers(0, len(uniq), len(uniq))
        rows = np.concatenate([members[bounds[g] : bounds[g + 1]] for g in pick])
        v = statistic(rows)
        if v is not None:
            values.append(v)
    if len(values) < n // 2:
        return None
    lo, hi = np.quantile(values, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)
