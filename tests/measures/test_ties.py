"""Tie features on hand-made logs: every expected value is worked out in the docstrings.

Kind weights (``narrowcast.measures.params.KIND_WEIGHTS``): reply and message 1.0, quote 0.8,
share 0.6, mention 0.5, like 0.2. Unless a test says otherwise the half-life is
:data:`NO_DECAY` (1e9 days), so every event weighs its kind weight (2^(-age/h) = 1 to 1e-7)
and T is the last event.
"""

from __future__ import annotations

import math
from pathlib import Path

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import narrowcast
from narrowcast.measures.params import TIE_WEIGHTS
from narrowcast.measures.ties import tie_strength
from tests.measures._logs import NO_DECAY, at, pair, scored

APPROX = {"rel": 1e-6, "abs": 1e-9}

#: ada-bob: a reply each way within a day (one turn), ada also likes, bob also shares.
#: ada-cy: cy mentions ada, ada answers 20 days later (outside the 7-day window: no turn).
#: ada-dan: private messages only, one each way a day apart (one private turn).
#: eve-fay: five kinds from eve, none back (multiplexity caps at 1).
#: gus-hal answers after 6.9 days (a turn); ivy-jon after 7.1 days (no turn).
LOG = """
day   actor  kind     target  content  parent
0     ada    post     -       p1       -
1     bob    reply    ada     r1       p1
2     ada    reply    bob     r2       r1
2     ada    like     bob     -        r1
3     bob    share    ada     -        p1
4     cy     mention  ada     m1       -
24    ada    reply    cy      r3       m1
5     dan    message  ada     -        -
6     ada    message  dan     -        -
1     eve    reply    fay     e1       -
1     eve    like     fay     -        -
1     eve    share    fay     -        -
1     eve    mention  fay     e2       -
1     eve    quote    fay     e3       -
10    gus    mention  hal     g1       -
16.9  hal    reply    gus     h1       g1
10    ivy    mention  jon     i1       -
17.1  jon    reply    ivy     j1       i1
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ties") / "store.duckdb"
    scored(LOG, path, half_life=NO_DECAY)
    return path


@pytest.fixture(scope="module")
def public(db: Path) -> dict[tuple[str, str], dict]:
    ties = narrowcast.Scores(str(db), {}).ties()
    return {(r["a"].split(":")[1], r["b"].split(":")[1]): r for r in ties.to_dict("records")}


@pytest.fixture(scope="module")
def everything(db: Path) -> dict[tuple[str, str], dict]:
    ties = narrowcast.Scores(str(db), {}).ties(include_private=True)
    return {(r["a"].split(":")[1], r["b"].split(":")[1]): r for r in ties.to_dict("records")}


def test_giving_is_kind_weighted_per_side(db):
    """ada gave bob a reply (1.0) and a like (0.2): 1.2; bob gave ada a reply (1.0) and a
    share (0.6): 1.6."""
    t = pair(db, "ada", "bob")
    assert t["given_ada"] == pytest.approx(1.2, **APPROX)
    assert t["given_bob"] == pytest.approx(1.6, **APPROX)


def test_reciprocity_is_the_smaller_giving_over_the_larger(db):
    """ada-bob: min(1.2, 1.6) / max(1.2, 1.6) = 0.75. ada-cy: cy mentioned (0.5), ada
    replied (1.0): 0.5. eve-fay: fay never gave back: 0."""
    assert pair(db, "ada", "bob")["reciprocity"] == pytest.approx(0.75, **APPROX)
    assert pair(db, "ada", "cy")["reciprocity"] == pytest.approx(0.5, **APPROX)
    assert pair(db, "eve", "fay")["reciprocity"] == 0


def test_reciprocity_is_symmetric_in_the_pair(db):
    """The unordered pair has one reciprocity, whichever side gave more."""
    t = pair(db, "bob", "ada")
    assert t["reciprocity"] == pytest.approx(
        min(t["given_ada"], t["given_bob"]) / max(t["given_ada"], t["given_bob"]), **APPROX
    )


def test_multiplexity_is_distinct_kinds_over_four_at_most_one(db):
    """ada-bob: reply, like, share = 3/4. ada-cy: mention, reply = 2/4. ada-dan: message =
    1/4. eve-fay: reply, like, share, mention, quote = 5/4, capped at 1."""
    assert pair(db, "ada", "bob")["multiplexity"] == 0.75
    assert pair(db, "ada", "cy")["multiplexity"] == 0.5
    assert pair(db, "ada", "dan")["multiplexity"] == 0.25
    assert pair(db, "eve", "fay")["multiplexity"] == 1.0


def test_a_reply_answered_within_the_window_is_one_turn(db):
    """bob replied on day 1, ada answered on day 2: one turn, dialogue = 1 - e^(-1/3).
    The like and the share are not conversation and add no turn."""
    t = pair(db, "ada", "bob")
    assert t["turns"] == pytest.approx(1.0, **APPROX)
    assert t["dialogue"] == pytest.approx(1 - math.exp(-1 / 3), **APPROX)


def test_an_answer_after_the_window_is_no_turn(db):
    """cy mentioned ada on day 4, ada answered on day 24: 20 days > 7, no turn, dialogue 0."""
    t = pair(db, "ada", "cy")
    assert t["turns"] == 0
    assert t["dialogue"] == 0


def test_the_answer_window_is_seven_days(db):
    """hal answered gus after 6.9 days: one turn; jon answered ivy after 7.1 days: none."""
    assert pair(db, "gus", "hal")["turns"] == pytest.approx(1.0, **APPROX)
    assert pair(db, "ivy", "jon")["turns"] == 0


DAY = 86_400.0
KIND_WEIGHT = {"reply": 1.0, "message": 1.0, "like": 0.2}
PART = {"reply": "feedback", "message": "conversation", "like": "support"}


def _interactions(acts: list[tuple[int, int, float, str]]) -> ibis.Table:
    """Interactions of acts (src, dst, day, kind), each weighing 1; messages are private."""
    return ibis.memtable(
        {
            "platform": ["p"] * len(acts),
            "kind": [k for *_, k in acts],
            "content_id": [f"c{i}" for i in range(len(acts))],
            "t": [d * DAY for _, _, d, _ in acts],
            "w": [1.0] * len(acts),
            "kind_weight": [KIND_WEIGHT[k] for *_, k in acts],
            "src": [s for s, *_ in acts],
            "dst": [d for _, d, *_ in acts],
            "conversation": [k != "like" for *_, k in acts],
            "private": [k == "message" for *_, k in acts],
            "part": [PART[k] for *_, k in acts],
        }
    )


def _talk() -> ibis.Table:
    """ada (1) and bob (2) talk, with a like in between; ada's last word is private."""
    return _interactions(
        [(1, 2, 0.0, "reply"), (2, 1, 1.0, "like"), (2, 1, 2.0, "reply"), (1, 2, 30.0, "message")]
    )


def test_the_turns_are_the_conversational_rows_of_the_steps():
    """Turns are found among conversational acts alone (a reply, a message), in both
    directions of a pair; a like between them is no turn and answers nothing. The steps
    made from the turns already made are the steps made from scratch."""
    from narrowcast.measures.ties import conversation_steps, conversation_turns

    inter = _talk()
    con = ibis.duckdb.connect()
    turns = conversation_turns(inter, 7.0)
    rows = con.to_pyarrow(turns.order_by("t")).to_pylist()
    assert [(r["turn"], r["answered"], r["turn_public"]) for r in rows] == [
        (False, True, False),  # answered by bob's reply on day 2
        (True, False, True),  # answers ada's reply; ada's message came after 28 days
        (False, False, False),  # past the window, and private
    ]
    assert rows[0]["answer_seconds"] == 2 * DAY
    made = con.to_pyarrow(conversation_steps(inter, 7.0, turns).order_by("t"))
    fresh = con.to_pyarrow(conversation_steps(inter, 7.0).order_by("t"))
    assert made.equals(fresh) and made.num_rows == 4


def test_a_private_word_between_public_ones_is_left_out_of_the_public_turns():
    """ada replies (day 0), bob messages her privately (day 1), then replies (day 2).

    All channels: bob's message answers ada's reply (a turn); his reply follows his own
    message, so it is none. In public, bob's reply follows ada's reply: a public turn,
    and ada's reply was answered in public."""
    from narrowcast.measures.ties import conversation_turns

    inter = _interactions([(1, 2, 0.0, "reply"), (2, 1, 1.0, "message"), (2, 1, 2.0, "reply")])
    rows = ibis.duckdb.connect().to_pyarrow(conversation_turns(inter, 7.0).order_by("t"))
    flags = ["turn", "answered", "turn_public", "answered_public"]
    assert [tuple(r[f] for f in flags) for r in rows.to_pylist()] == [
        (False, True, False, True),
        (True, False, False, False),
        (False, False, True, False),
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([(1, 2), (2, 1)]),
            st.sampled_from(["reply", "message"]),
            st.integers(0, 12).map(lambda d: d * 2.5),  # some gaps past the 7-day window
        ),
        min_size=1,
        max_size=10,
        # Both sides may act at one moment (lo's act comes first), one side once a moment.
        unique_by=lambda a: (a[0][0], a[2]),
    )
)
def test_the_public_turns_are_the_turns_of_the_public_conversation_alone(acts):
    """Whatever the order of a pair's public replies and private messages, a public row's
    public flags are its flags in the public conversation with the private rows removed."""
    from narrowcast.measures.ties import conversation_turns

    con = ibis.duckdb.connect()
    log = [(s, d, day, kind) for (s, d), kind, day in acts]
    flags = ("turn", "answered")

    def by_item(table: ibis.Table, suffix: str) -> dict[str, tuple]:
        rows = con.to_pyarrow(table).to_pylist()
        return {r["content_id"]: tuple(r[f + suffix] for f in flags) for r in rows}

    everything = by_item(conversation_turns(_interactions(log), 7.0), "_public")
    public = [a for a in log if a[3] != "message"]
    alone = by_item(conversation_turns(_interactions(public), 7.0), "") if public else {}
    # Items are numbered by position: number the public rows as they are in the full log.
    names = [f"c{i}" for i, a in enumerate(log) if a[3] != "message"]
    assert {names[int(k[1:])]: v for k, v in alone.items()} == {
        k: v for k, v in everything.items() if k in names
    }
    assert all(v == (False, False) for k, v in everything.items() if k not in names)


def test_the_tie_totals_take_the_conversation_from_the_turns():
    """ada (lo) addressed bob twice (a reply, answered; a private message 28 days later,
    not), bob once (a reply, answering ada's: one turn, public); bob's like is support.
    The totals are the same whether the turns are given or found in the steps."""
    from narrowcast.measures.ties import conversation_steps, conversation_turns, tie_totals

    inter = _talk()
    con = ibis.duckdb.connect()
    turns = conversation_turns(inter, 7.0)
    steps = conversation_steps(inter, 7.0, turns)
    given = con.to_pyarrow(tie_totals(steps, turns)).to_pylist()
    found = con.to_pyarrow(tie_totals(steps)).to_pylist()
    assert given == found and len(given) == 1
    t = given[0]
    assert (t["lo"], t["hi"]) == (1, 2)
    assert (t["addressed_lo"], t["answered_lo"], t["messages_lo"]) == (2.0, 1.0, 1.0)
    assert (t["addressed_public_lo"], t["answered_public_lo"]) == (1.0, 1.0)
    assert (t["addressed_hi"], t["answered_hi"], t["messages_hi"]) == (1.0, 0.0, 0.0)
    assert (t["turns"], t["turns_public"], t["support_hi"], t["support_lo"]) == (1.0, 1.0, 1.0, 0)
    assert (t["events"], t["events_public"], t["kinds"], t["kinds_public"]) == (4, 3, 3, 2)
    assert (t["first_t"], t["first_t_lo"], t["first_t_hi"]) == (0.0, 0.0, DAY)
    assert (t["last_t"], t["last_t_public"]) == (30 * DAY, 2 * DAY)


def test_answered_counts_what_the_other_side_answered(db):
    """In ada-bob, bob's reply (1.0) was answered by ada; ada's reply was not answered."""
    t = pair(db, "ada", "bob")
    assert t["addressed_bob"] == pytest.approx(1.0, **APPROX)
    assert t["answered_bob"] == pytest.approx(1.0, **APPROX)
    assert t["addressed_ada"] == pytest.approx(1.0, **APPROX)
    assert t["answered_ada"] == 0


def test_intensity_grows_gently_with_the_total_giving(db):
    """ada-bob gave 1.2 + 1.6 = 2.8 in all: intensity = 2.8 / (2.8 + 5)."""
    assert pair(db, "ada", "bob")["intensity"] == pytest.approx(2.8 / 7.8, **APPROX)


def test_duration_is_first_to_last_interaction(db):
    """ada-cy: day 4 to day 24, 20 days: duration = 20 / (20 + 90)."""
    assert pair(db, "ada", "cy")["duration"] == pytest.approx(20 / 110, **APPROX)


def test_without_decay_every_tie_is_recent(db):
    """With a half-life of 1e9 days, recency 2^(-age/h) is 1 for every tie."""
    for a, b in (("ada", "bob"), ("ada", "cy"), ("gus", "hal")):
        assert pair(db, a, b)["recency"] == pytest.approx(1.0, **APPROX)


def test_a_private_only_tie_is_shown_only_with_include_private(public, everything):
    """ada-dan exchanged only private messages: absent from ``ties()``, present with
    ``include_private=True``: reciprocity 1 (1.0 each way), one turn, private feature
    1 - e^(-2/3) over two decayed private messages."""
    assert ("ada", "dan") not in public
    t = everything[("ada", "dan")]
    assert t["reciprocity"] == pytest.approx(1.0, **APPROX)
    assert t["dialogue"] == pytest.approx(1 - math.exp(-1 / 3), **APPROX)
    assert t["private"] == pytest.approx(1 - math.exp(-2 / 3), **APPROX)
    assert t["events"] == 2


LEAK_LOG = """
day  actor  kind     target  content  parent
0    dan    message  ada     -        -
1    ada    mention  dan     m1       -
1    bob    mention  cy      m2       -
"""


def test_public_figures_do_not_reveal_a_private_message(tmp_path):
    """dan messaged ada privately, then ada mentioned dan in public. In public, ada-dan is
    one mention, exactly like bob-cy's on the same day: no turn, dialogue 0, the same
    strength and value. A turn would tell third parties that a private message came before."""
    ties = {
        frozenset((r["a"], r["b"])): r
        for r in scored(LEAK_LOG, tmp_path / "s.duckdb", half_life=NO_DECAY)
        .ties()
        .to_dict("records")
    }
    leak = ties[frozenset(("csv:ada", "csv:dan"))]
    plain = ties[frozenset(("csv:bob", "csv:cy"))]
    assert leak["dialogue"] == 0
    assert leak["strength"] == pytest.approx(plain["strength"])
    assert sorted([leak["value_to_a"], leak["value_to_b"]]) == pytest.approx(
        sorted([plain["value_to_a"], plain["value_to_b"]])
    )


def test_the_public_view_has_no_private_column(public):
    assert "private" not in next(iter(public.values()))


def test_public_ties_show_the_same_figures_in_both_views(public, everything):
    """ada-bob has no private event: its public and all-channel figures are the same."""
    for column in ("intensity", "reciprocity", "multiplexity", "dialogue", "strength"):
        assert public[("ada", "bob")][column] == pytest.approx(everything[("ada", "bob")][column])
    assert everything[("ada", "bob")]["private"] == 0


def test_strength_is_the_weighted_mean_of_the_features(everything):
    """The default weights sum to 1: strength = sum of weight x feature."""
    for t in everything.values():
        expected = sum(w * t[f] for f, w in TIE_WEIGHTS.items())
        assert t["strength"] == pytest.approx(expected, **APPROX)


def test_value_to_me_is_what_the_other_gives_scaled_by_reciprocity(db):
    """Value to ada in ada-bob: bob's feedback (a reply) 1 - e^(-1/2), amplification (a
    share) 1 - e^(-1/2), conversation (one turn) 1 - e^(-1/3), support 0; their mean times
    (1/2 + 1/2 x 0.75)."""
    t = pair(db, "ada", "bob")
    parts = [0.0, 1 - math.exp(-1 / 2), 1 - math.exp(-1 / 2), 1 - math.exp(-1 / 3)]
    assert t["feedback_to_ada"] == pytest.approx(parts[1], **APPROX)
    assert t["value_to_ada"] == pytest.approx(sum(parts) / 4 * 0.875, **APPROX)


DECAY_LOG = """
day  actor  kind  target  content  parent
0    ada    like  bob     -        -
10   ada    like  cy      -        -
"""


def test_an_older_event_weighs_less(tmp_path):
    """Half-life 10 days, T = day 10. The like to bob is 10 days old: w = 0.2 x 2^(-1) =
    0.1; the like to cy is fresh: 0.2. Recency halves the same way."""
    scored(DECAY_LOG, tmp_path / "s.duckdb", half_life=10)
    bob, cy = pair(tmp_path / "s.duckdb", "ada", "bob"), pair(tmp_path / "s.duckdb", "ada", "cy")
    assert bob["given_ada"] == pytest.approx(0.1, **APPROX)
    assert cy["given_ada"] == pytest.approx(0.2, **APPROX)
    assert bob["intensity"] == pytest.approx(0.1 / 5.1, **APPROX)
    assert bob["recency"] == pytest.approx(0.5, **APPROX)
    assert cy["recency"] == pytest.approx(1.0, **APPROX)


def test_rhythm_measures_the_silence_against_the_pairs_pace(tmp_path):
    """Each pair met once (a pace of 7 days assumed), T = day 10. bob was last seen 10 days
    ago: rhythm = e^(-10 / (7 + 7)); cy today: 1."""
    scored(DECAY_LOG, tmp_path / "s.duckdb", half_life=10)
    bob, cy = pair(tmp_path / "s.duckdb", "ada", "bob"), pair(tmp_path / "s.duckdb", "ada", "cy")
    assert bob["rhythm"] == pytest.approx(math.exp(-10 / 14), **APPROX)
    assert cy["rhythm"] == pytest.approx(1.0, **APPROX)


LATE_LOG = """
day  actor  kind   target  content  parent
0    ada    reply  bob     r1       -
1    bob    reply  ada     r2       r1
30   ada    like   bob     -        r2
30   cy     like   ada     -        -
"""


def test_events_after_as_of_are_ignored(tmp_path):
    """Scored as of day 10: ada's like on day 30 is not in ada-bob (given 1.0, one kind),
    and cy, who only acted on day 30, has no tie and no score."""
    db = tmp_path / "s.duckdb"
    s = scored(LATE_LOG, db, as_of=at(10), half_life=NO_DECAY)
    assert s.run["events"] == 2
    assert s.run["as_of"] == at(10).isoformat()
    t = pair(db, "ada", "bob")
    assert t["given_ada"] == pytest.approx(1.0, **APPROX)
    assert t["multiplexity"] == 0.25
    assert pair(db, "ada", "cy") is None
    assert "csv:cy" not in set(s.people.person)


#: One tie's features, all channels and public, as :func:`tie_features` names them.
FEATURE_ROW = (
    {
        "intensity": 0.2,
        "reciprocity": 0.4,
        "multiplexity": 0.5,
        "dialogue": 0.6,
        "recency": 0.8,
        "rhythm": 0.7,
        "duration": 0.1,
        "embeddedness": 0.3,
        "private_feature": 0.9,
    }
    | {
        f"{f}_public": x
        for f, x in {"intensity": 0.1, "reciprocity": 0.4, "multiplexity": 0.25}.items()
    }
    | {f"{f}_public": 0.0 for f in ("dialogue", "recency", "rhythm", "duration")}
)


def _strength(weights: dict[str, float], public: bool = False) -> float:
    features = ibis.memtable([FEATURE_ROW])
    expr = features.select(s=tie_strength(features, weights, public=public))
    return float(ibis.duckdb.connect().execute(expr).s.iloc[0])


def test_strength_divides_by_the_sum_of_the_weights():
    """Default weights (sum 1): .35 x .2 + .05 x .4 + 0 x .5 + .05 x .6 + .15 x .8
    + .25 x .7 + .08 x .1 + .05 x .3 + .02 x .9 = 0.456. Doubling every weight changes
    nothing; one weight alone makes strength that feature."""
    assert _strength(TIE_WEIGHTS) == pytest.approx(0.456)
    assert _strength({f: 2 * w for f, w in TIE_WEIGHTS.items()}) == pytest.approx(0.456)
    assert _strength({"reciprocity": 3.0}) == pytest.approx(0.4)
    assert _strength({"private": 1.0, "recency": 1.0}) == pytest.approx((0.9 + 0.8) / 2)


def test_public_strength_leaves_the_private_channel_out():
    """Public features with the default weights: .35 x .1 + .05 x .4 + 0 x .25 + the
    shared embeddedness .05 x .3 = 0.07, over the whole weight sum (1), so that a tie
    without private messages has one strength in both views."""
    assert _strength(TIE_WEIGHTS, public=True) == pytest.approx(0.07)


def test_custom_weights_are_recorded_and_used(tmp_path):
    """``score(weights={...})`` records ``custom`` and scores with them: with only
    reciprocity weighted, every tie's strength is its reciprocity."""
    db = tmp_path / "s.duckdb"
    s = scored(LOG, db, half_life=NO_DECAY, weights={"reciprocity": 3.0})
    assert s.run["weights"] == "custom"
    assert s.run["tie_weights"] == {"reciprocity": 3.0}
    ties = s.ties(include_private=True)
    assert ties.strength.to_list() == pytest.approx(ties.reciprocity.to_list(), **APPROX)
