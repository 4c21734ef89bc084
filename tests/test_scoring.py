"""The scoring front's history, rising people, what a person gives, and the events behind a
tie, on the tiny community of tests/faces/_community.py (worked out by hand there)."""

from __future__ import annotations

from pathlib import Path

import pytest

import narrowcast
from narrowcast import scoring
from narrowcast.errors import ParameterError, StoreError
from narrowcast.store import Store
from tests.faces._community import HOSTILE


def test_the_history_holds_each_month_end_then_the_scored_moment(community: Path):
    months = [h["month"] for h in scoring.history("julie", db=community)]
    assert months == ["2024-01", "2024-02", "2024-03"]
    with Store(community, create=False, read_only=True) as store:
        assert store.score_run()["history"] == ["2024-01", "2024-02"]


def test_a_month_in_the_history_is_a_scoring_run_as_of_its_end(community: Path, tmp_path: Path):
    """The January snapshot is what scoring as of 31 January gives, person by person."""
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(community.read_bytes())
    narrowcast.score(copy, as_of="2024-01-31")
    january = narrowcast.Scores(str(copy), {}).people.set_index("person")
    for person in ("csv:julie", "csv:bob", f"csv:{HOSTILE}"):
        then = scoring.history(person, db=community)[0]
        assert then["month"] == "2024-01"
        assert then["broadcast"] == pytest.approx(january.loc[person, "broadcast"], abs=1e-6)
        assert then["relational"] == pytest.approx(january.loc[person, "relational"], abs=1e-6)


def test_carmen_has_no_january_in_her_history(community: Path):
    """She first acts in February: no score before it."""
    assert [h["month"] for h in scoring.history("carmen", db=community)] == ["2024-02", "2024-03"]


def test_rising_is_the_relational_change_since_the_earliest_month_kept(community: Path):
    """Three months back is before the history starts, so the change is since January's end;
    each rise is the relational score now minus then, and only rises are listed."""
    result = scoring.rising(db=community)
    assert result["since"].startswith("2024-01-31T23:59:59")
    assert result["people"], "julie and bob rose"
    for p in result["people"]:
        then = scoring.history(p["person"], db=community)[0]
        now = scoring.history(p["person"], db=community)[-1]
        assert p["relational_then"] == then["relational"]
        assert p["change"] == pytest.approx(now["relational"] - then["relational"])
        assert p["change"] > 0
    changes = [p["change"] for p in result["people"]]
    assert changes == sorted(changes, reverse=True)
    assert "carmen" not in {p["handle"] for p in result["people"]}  # not scored in January


def test_a_new_run_without_history_drops_the_old_history(community: Path, tmp_path: Path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(community.read_bytes())
    narrowcast.score(copy)
    assert [h["month"] for h in scoring.history("julie", db=copy)] == ["2024-03"]
    assert scoring.rising(db=copy) == {"since": None, "months": 3, "people": []}


@pytest.mark.parametrize("caller_froze", [False, True], ids=["nothing-frozen", "caller-froze"])
def test_scoring_leaves_the_garbage_collector_as_it_found_it(
    community: Path, tmp_path: Path, caller_froze: bool
):
    """While scoring, the objects alive when it started are frozen (the collector leaves
    them alone); afterwards nothing is, or, where the caller had frozen objects of its
    own, just those are."""
    import gc

    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(community.read_bytes())
    if caller_froze:
        gc.freeze()
    try:
        before = gc.get_freeze_count()
        during: list[int] = []
        narrowcast.score(copy, progress=lambda _: during.append(gc.get_freeze_count()))
        assert min(during) > 0
        if caller_froze:  # the caller's alone (fewer as some of them are freed), still after
            assert max(during) <= before and gc.get_freeze_count() > 0
        else:
            assert before == 0 and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_a_run_that_fails_while_storing_leaves_the_last_results_and_no_staged_ties(
    community: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The ties are made in the store as the run goes (STAGED_TIES) and become ``ties`` in
    the transaction that stores the scores: where that fails after the ties were renamed,
    the last run's scores and ties are still there, and the staged ties are gone."""
    import duckdb

    from narrowcast.store import STAGED_TIES

    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(community.read_bytes())

    def stored() -> tuple[list, list, set[str]]:
        with Store(copy, create=False, read_only=True) as store:
            q = store.con.execute
            return (
                q("SELECT * FROM scores ORDER BY key").fetchall(),
                q("SELECT * FROM ties ORDER BY lo, hi").fetchall(),
                store.tables(),
            )

    before = stored()
    original = Store._q

    def failing(self: Store, sql: str, params: list | None = None) -> list:
        if sql.startswith("CREATE OR REPLACE TABLE score_run"):  # after the ties' rename
            raise duckdb.IOException("disk full")
        return original(self, sql, params)

    monkeypatch.setattr(Store, "_q", failing)
    with pytest.raises(StoreError, match="could not be written"):
        narrowcast.score(copy, as_of="2024-02-15")
    after = stored()
    assert after == before
    assert STAGED_TIES not in after[2] and before[1]


def test_history_months_must_be_a_count():
    with pytest.raises(ParameterError, match="'history_months' parameter of score"):
        narrowcast.score("nowhere.duckdb", history_months=-1)


def test_gives_lists_whom_julie_answers_in_public(community: Path):
    """julie replies to bob (twice) and to HOSTILE, and nothing to edgar; her messages to
    dmitri are private and stay out."""
    given = scoring.gives("julie", db=community)
    assert [g["handle"] for g in given] == ["bob", HOSTILE]
    assert all(g["mutual"] for g in given)
    assert given[0]["reasons"]["feedback"] > 0
    private = scoring.gives("julie", db=community, include_private=True)
    assert "dmitri" in {g["handle"] for g in private}


def test_tie_events_are_the_public_events_between_two_people(community: Path):
    """julie and bob: bob's reply, julie's answer, bob's like (January), bob's reply and
    julie's answer (March): five events, newest first."""
    result = scoring.tie_events("julie", "bob", db=community)
    assert result["total"] == 5
    assert [(e["actor_handle"], e["kind"]) for e in result["events"]] == [
        ("julie", "reply"),
        ("bob", "reply"),
        ("bob", "like"),
        ("julie", "reply"),
        ("bob", "reply"),
    ]
    assert result["events"][0]["ts"] == "2024-03-07T12:00:00+00:00"


def test_tie_events_of_a_private_tie_stay_private(community: Path):
    assert scoring.tie_events("julie", "dmitri", db=community)["total"] == 0
    asked = scoring.tie_events("julie", "dmitri", db=community, include_private=True)
    assert [e["visibility"] for e in asked["events"]] == ["private", "private"]


def test_tie_events_limit(community: Path):
    result = scoring.tie_events("bob", "julie", db=community, limit=2)
    assert (result["total"], len(result["events"])) == (5, 2)
