"""Evaluation: time splits, continuation labels, metrics and fitted weights. Uses measures."""

from narrowcast.evaluate.fit import FitResult, fit_tie_weights
from narrowcast.evaluate.gaming import ATTACKS, Attack, AttackSizes, inject
from narrowcast.evaluate.split import continuation_labels, split_moment

__all__ = [
    "ATTACKS",
    "Attack",
    "AttackSizes",
    "FitResult",
    "continuation_labels",
    "fit_tie_weights",
    "inject",
    "split_moment",
]
