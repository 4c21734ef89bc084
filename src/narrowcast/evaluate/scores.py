"""Do the two scores measure different things? Each against what it claims to foresee."""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np

from narrowcast.evaluate.metrics import bootstrap_ci
from narrowcast.evaluate.split import continuation_labels, split_moment
from narrowcast.measures.params import Params
from narrowcast.measures.score import Runner, measure

__all__ = ["score_validity", "spearman"]


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None where a side is constant.

    >>> round(spearman(np.array([1, 2, 3, 4]), np.array([10, 20, 40, 30])), 6)
    0.8
    """
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(spearmanr(x, y).statistic)


def score_validity(
    runner: Runner,
    events: Any,
    *,
    split: float = 0.7,
    half_life_days: float = 90.0,
    seed: int = 0,
    bootstrap: int = 200,
) -> dict[str, Any]:
    """Spearman correlation, over the people scored at the split, of each score with
    (a) the new mutual ties they form after it (pairs that had never interacted before and
    then interact both ways) and (b) the engagement they receive after it (events toward
    them by others). Relational should foresee (a) better, broadcast (b).
    """
    moment = runner.scalar(split_moment(events, split))
    measured = measure(events, Params(as_of=moment, half_life_days=half_life_days), runner)
    labels = continuation_labels(events, moment)
    new = labels.filter(labels.mutual).anti_join(measured.ties, ["lo", "hi"])
    ends = new.select(person=new.lo).union(new.select(person=new.hi), distinct=False)
    new_ties = ends.group_by("person").agg(new_mutual_ties=ends.count())
    after = events.filter(
        (events.ts > ibis.literal(moment))
        & events.target.notnull()
        & (events.actor.isnull() | (events.actor != events.target))
    )
    received = after.group_by(person=after.target).agg(engagement_after=after.count())
    people = measured.people.select("person", "broadcast", "relational")
    j = people.left_join(new_ties, "person").drop("person_right")
    j = j.left_join(received, "person").drop("person_right")
    df = runner.to_arrow(j).to_pandas().fillna({"new_mutual_ties": 0, "engagement_after": 0})
    out: dict[str, Any] = {
        "split": split,
        "split_at": moment.isoformat(),
        "people": len(df),
        "half_life_days": half_life_days,
    }
    groups = np.arange(len(df))
    for target in ("new_mutual_ties", "engagement_after"):
        y = df[target].to_numpy(float)
        block = {}
        for score in ("broadcast", "relational"):
            x = df[score].to_numpy(float)
            block[score] = {
                "spearman": spearman(x, y),
                "spearman_ci": bootstrap_ci(
                    groups, lambda r, x=x, y=y: spearman(x[r], y[r]), n=bootstrap, seed=seed
                )
                if bootstrap
                else None,
            }
        r_b, r_r = block["broadcast"]["spearman"], block["relational"]["spearman"]
        if r_b is not None and r_r is not None:
            block["better"] = "relational" if r_r > r_b else "broadcast"
        out[target] = block
    return out
