"""The ranking metrics of the evaluation on cases worked out by hand (issue 5, "Tests").

Every figure asserted here can be checked with pencil and paper from the docstring beside
it; hypothesis then holds ``roc_auc`` and ``average_precision`` equal to scikit-learn's on
random scores with many ties.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from narrowcast.evaluate.metrics import average_precision, bootstrap_ci, precision_at_k, roc_auc


def a(*values: float) -> np.ndarray:
    return np.array(values)


# -- roc_auc ---------------------------------------------------------------------------------


def test_roc_auc_is_the_share_of_positive_negative_pairs_ranked_right():
    """Scores 0.9 (+), 0.8 (-), 0.3 (+), 0.1 (-). The four positive/negative pairs:

    - 0.9 vs 0.8: right
    - 0.9 vs 0.1: right
    - 0.3 vs 0.8: wrong
    - 0.3 vs 0.1: right

    3 of 4 ranked right: AUC = 0.75.
    """
    assert roc_auc(a(0.9, 0.8, 0.3, 0.1), a(1, 0, 1, 0)) == 0.75


def test_roc_auc_does_not_depend_on_row_order():
    """The same four scores and labels as above, shuffled: still 0.75."""
    assert roc_auc(a(0.1, 0.3, 0.9, 0.8), a(0, 1, 1, 0)) == 0.75


def test_roc_auc_counts_a_tied_pair_half():
    """Scores 0.8 (+), 0.5 (+), 0.5 (-), 0.2 (-). Pairs: 0.8 vs 0.5 right, 0.8 vs 0.2 right,
    0.5 vs 0.5 tied (half), 0.5 vs 0.2 right: (1 + 1 + 0.5 + 1) / 4 = 0.875."""
    assert roc_auc(a(0.8, 0.5, 0.5, 0.2), a(1, 1, 0, 0)) == 0.875


def test_roc_auc_extremes():
    """Every positive above every negative: 1; below: 0; all scores equal: 0.5."""
    assert roc_auc(a(3, 2, 1), a(1, 0, 0)) == 1.0
    assert roc_auc(a(3, 2, 1), a(0, 0, 1)) == 0.0
    assert roc_auc(a(7, 7, 7, 7), a(1, 0, 1, 0)) == 0.5


def test_roc_auc_accepts_boolean_labels():
    assert roc_auc(a(0.9, 0.8, 0.3, 0.1), np.array([True, False, True, False])) == 0.75


@pytest.mark.parametrize(
    "labels",
    [a(1, 1, 1), a(0, 0, 0), np.array([], dtype=int)],
    ids=["only positives", "only negatives", "empty"],
)
def test_roc_auc_is_undefined_with_one_class(labels):
    """No positive/negative pair to count: None, not 0.5 or an error."""
    assert roc_auc(np.arange(len(labels), dtype=float), labels) is None


@st.composite
def scored_labels(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """2 to 40 scores from a few values (so ties are common), with both labels present."""
    n = draw(st.integers(2, 40))
    scores = draw(
        st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0, 2.0]), min_size=n, max_size=n)
    )
    labels = draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < n))
    return np.array(scores), np.array(labels, dtype=int)


@given(scored_labels())
@settings(max_examples=200, deadline=None)
def test_roc_auc_agrees_with_scikit_learn(case):
    scores, labels = case
    assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


# -- average_precision -----------------------------------------------------------------------


def test_average_precision_by_hand():
    """Ranked by score: 0.9 (+), 0.8 (-), 0.3 (+), 0.1 (-). Precision at the first positive
    1/1, at the second 2/3; their mean is (1 + 2/3) / 2 = 5/6."""
    assert average_precision(a(0.9, 0.8, 0.3, 0.1), a(1, 0, 1, 0)) == pytest.approx(5 / 6)


def test_average_precision_with_positives_last():
    """Ranked: -, -, +, +. Precision at the positives 1/3 and 2/4: (1/3 + 1/2) / 2 = 5/12."""
    assert average_precision(a(4, 3, 2, 1), a(0, 0, 1, 1)) == pytest.approx(5 / 12)


def test_average_precision_is_one_for_a_perfect_ranking():
    assert average_precision(a(4, 3, 2, 1), a(1, 1, 0, 0)) == 1.0


def test_average_precision_counts_tied_scores_as_one_step():
    """Two rows tied at 0.5, one positive: precision is 1/2 at the only threshold,
    whichever of the two comes first in the input."""
    assert average_precision(a(0.5, 0.5), a(1, 0)) == 0.5
    assert average_precision(a(0.5, 0.5), a(0, 1)) == 0.5


def test_average_precision_is_undefined_without_positives():
    assert average_precision(a(0.3, 0.2), a(0, 0)) is None


@given(scored_labels())
@settings(max_examples=100, deadline=None)
def test_average_precision_agrees_with_scikit_learn(case):
    scores, labels = case
    expected = average_precision_score(labels, scores)
    assert average_precision(scores, labels) == pytest.approx(expected, abs=1e-12)


# -- precision_at_k --------------------------------------------------------------------------


def test_precision_at_k_by_hand():
    """k = 2, rows interleaved across people:

    ======  =====  =====  ===================================
    person  score  label
    ======  =====  =====  ===================================
    ana     5      1      top 2 of ana: 5 (+), 4 (-): 1/2
    ben     1      0
    ana     4      0
    ben     9      1      top 2 of ben: 9 (+), 8 (+): 2/2
    cho     7      1      cho has one tie: fewer than k, left out
    ana     3      1
    ben     8      1
    ben     2      0
    ======  =====  =====  ===================================

    Mean over ana and ben: (0.5 + 1) / 2 = 0.75, over 2 people.
    """
    person = np.array(["ana", "ben", "ana", "ben", "cho", "ana", "ben", "ben"])
    scores = a(5, 1, 4, 9, 7, 3, 8, 2)
    labels = a(1, 0, 0, 1, 1, 1, 1, 0)
    assert precision_at_k(person, scores, labels, k=2) == (0.75, 2)


def test_precision_at_k_leaves_out_people_with_fewer_than_k_ties():
    """With k = 4 only ben (4 ties) counts: his top 4 hold 2 positives, 2/4."""
    person = np.array(["ana", "ben", "ana", "ben", "cho", "ana", "ben", "ben"])
    scores = a(5, 1, 4, 9, 7, 3, 8, 2)
    labels = a(1, 0, 0, 1, 1, 1, 1, 0)
    assert precision_at_k(person, scores, labels, k=4) == (0.5, 1)


def test_precision_at_k_is_undefined_when_nobody_has_k_ties():
    person = np.array([1, 1, 2])
    assert precision_at_k(person, a(1, 2, 3), a(1, 0, 1), k=5) == (None, 0)


def test_precision_at_k_default_is_five():
    """Six ties of one person, positives ranked 1st, 2nd and 6th: 2 of the top 5."""
    person = np.zeros(6, dtype=int)
    assert precision_at_k(person, a(6, 5, 4, 3, 2, 1), a(1, 1, 0, 0, 0, 1)) == (0.4, 1)


# -- bootstrap_ci ----------------------------------------------------------------------------


def _spread() -> tuple[np.ndarray, np.ndarray]:
    """40 people with 3 rows each; a value per row around 10."""
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(40), 3)
    return groups, 10 + rng.normal(0, 1, len(groups))


def test_bootstrap_ci_contains_the_point_estimate():
    groups, x = _spread()
    lo, hi = bootstrap_ci(groups, lambda rows: float(x[rows].mean()), n=200, seed=0)
    assert lo < x.mean() < hi
    assert hi - lo < 1.5


def test_bootstrap_ci_is_reproducible_with_a_seed():
    groups, x = _spread()

    def mean(rows: np.ndarray) -> float:
        return float(x[rows].mean())

    first = bootstrap_ci(groups, mean, n=50, seed=7)
    assert bootstrap_ci(groups, mean, n=50, seed=7) == first
    assert bootstrap_ci(groups, mean, n=50, seed=8) != first


def test_bootstrap_ci_of_a_constant_is_that_constant():
    """Perfectly separated scores: every resample with both classes has AUC 1."""
    groups = np.repeat(np.arange(10), 2)
    scores, labels = np.tile(a(1, 0), 10), np.tile(a(1, 0), 10)
    ci = bootstrap_ci(groups, lambda r: roc_auc(scores[r], labels[r]), n=30, seed=0)
    assert ci == (1.0, 1.0)


def test_bootstrap_ci_resamples_whole_people():
    """Each resample holds every row of a drawn person, as many times as the person is
    drawn, and as many people as there are."""
    groups = np.array([5, 3, 5, 9, 3, 5])
    sizes = {5: 3, 3: 2, 9: 1}
    seen: list[np.ndarray] = []

    def record(rows: np.ndarray) -> float:
        seen.append(rows)
        return 0.0

    bootstrap_ci(groups, record, n=20, seed=0)
    assert len(seen) == 20
    for rows in seen:
        picked = groups[rows]
        draws = {g: int((picked == g).sum()) / sizes[g] for g in sizes}
        assert all(d == int(d) for d in draws.values())
        assert sum(draws.values()) == 3
        # A drawn person contributes each of their rows equally often.
        for g in sizes:
            counts = np.bincount(rows, minlength=len(groups))[groups == g]
            assert len(set(counts.tolist())) == 1


def test_bootstrap_ci_is_none_when_the_statistic_is_mostly_undefined():
    groups = np.arange(10)
    assert bootstrap_ci(groups, lambda rows: None, n=20, seed=0) is None


def test_precision_at_k_does_not_depend_on_the_order_of_rows():
    """One person, two ties scored alike, one positive: the top 1 is a coin toss, and the
    answer should not depend on which row comes first (a tie-aware count gives 1/2)."""
    person = np.array([1, 1])
    first = precision_at_k(person, a(1, 1), a(1, 0), k=1)
    assert precision_at_k(person, a(1, 1), a(0, 1), k=1) == first
