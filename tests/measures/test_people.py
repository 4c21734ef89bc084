"""Per-person measures on hand-made logs, then the two roles of DESIGN.md on a small community.

Every expected value is worked out in the docstring beside it, from the formulas in
``narrowcast.measures.people``. The half-life is :data:`NO_DECAY` unless said otherwise, so
every event weighs its kind weight (reply 1.0, share 0.6, like 0.2) and T is the last event.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from tests.measures._logs import NO_DECAY, person, scored

APPROX = {"rel": 1e-6, "abs": 1e-9}
E1 = 1 - math.exp(-1)  # a reply given to one person, saturated: 1 - e^(-1)

#: ada posts; bob, cy, dan and eve reply; ada answers bob, cy and dan the next day, never
#: eve; fay only likes ada's post.
CONVERSATION = """
day  actor  kind   target  content  parent
0    ada    post   -       p1       -
1    bob    reply  ada     rb       p1
1    cy     reply  ada     rc       p1
1    dan    reply  ada     rd       p1
1    eve    reply  ada     re       p1
2    ada    reply  bob     ab       rb
2    ada    reply  cy      ac       rc
2    ada    reply  dan     ad       rd
3    fay    like   ada     -        p1
"""


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("talk") / "store.duckdb"
    scored(CONVERSATION, db, half_life=NO_DECAY)
    return db


def test_listening_counts_the_answered_share_of_what_is_addressed(talk):
    """Four replies were addressed to ada, she answered three, each a day later: answered
    3 of 4, median answer time 24 h."""
    ada = person(talk, "ada")
    assert (ada["addressed"], ada["answered"], ada["addressers"]) == (4, 3, 4)
    assert (ada["addressed_public"], ada["answered_public"]) == (4, 3)
    assert ada["answer_hours"] == pytest.approx(24.0)


def test_listening_weighs_each_addresser_by_their_standing(talk):
    """listening = sum_p sigma_p rate_p / (addressers + 2). ada answered bob, cy and dan
    (rate 1) and not eve (0); but bob, cy and dan have no mutual tie besides ada, and eve
    none at all: sigma = 1 - e^(-(m - 1)/2) = 0 for each. Answering people nobody else
    relates to is not yet listening: 0 / 6. bob answered nothing of ada's (rate 0)."""
    assert person(talk, "ada")["listening"] == 0
    assert person(talk, "ada")["rate_sum"] == 0


def test_partner_standing_grows_with_the_partners_other_ties(talk):
    """ada has three mutual ties: sigma = 1 - e^(-(3 - 1)/2) = 1 - e^(-1)."""
    assert person(talk, "bob")["listening"] == 0  # bob did not answer ada
    assert person(talk, "bob")["appreciated_giving"] == pytest.approx(E1 / 3, **APPROX)


def test_listening_is_zero_for_who_answers_nothing(talk):
    """ada's reply to bob was addressed to him and he did not answer: 0 / (1 + 2)."""
    bob = person(talk, "bob")
    assert (bob["addressed"], bob["answered"]) == (1, 0)
    assert bob["listening"] == 0


def test_listening_is_undefined_for_who_nobody_addressed(talk):
    """Nobody replied to, mentioned or messaged eve or fay: listening is null, not 0."""
    assert person(talk, "eve")["listening"] is None
    assert person(talk, "fay")["listening"] is None


def test_appreciated_giving_counts_replies_the_recipient_acknowledged(talk):
    """bob's reply was answered by ada, whose standing is 1 - e^(-1) (three mutual ties):
    (1 - e^(-1)) / (1 recipient + 2). eve's was not: 0 / 3. ada's three replies were not
    acknowledged: 0 / (3 + 2). fay replied to nobody: null."""
    assert person(talk, "bob")["appreciated_giving"] == pytest.approx(E1 / 3, **APPROX)
    assert person(talk, "eve")["appreciated_giving"] == 0
    assert person(talk, "ada")["appreciated_giving"] == 0
    assert person(talk, "fay")["appreciated_giving"] is None
    assert (person(talk, "bob")["given_items"], person(talk, "bob")["thanked_items"]) == (1, 1)


def test_reciprocity_of_a_person(talk):
    """ada's ties: bob, cy, dan (1.0 each way: rho = 1), eve (gave 1.0, got nothing: 0),
    fay (a like, 0.2, nothing back: 0).

    mutual_share = sum min / sum max = 3 / (1 + 1 + 1 + 1 + 0.2) = 3 / 4.2.
    reciprocity = sum_r sigma_r rho_r / (n + 2), with sigma_r = 1 - e^(-(m_r - 1)/2) and
    m_r the partner's own mutual ties: bob, cy, dan have one each (ada): sigma 0, so 0 / 7.
    bob's only tie is ada, who has three mutual ties: (1 - e^(-1)) / 3."""
    ada, bob = person(talk, "ada"), person(talk, "bob")
    assert ada["mutual_share"] == pytest.approx(3 / 4.2, **APPROX)
    assert ada["reciprocity"] == 0
    assert bob["reciprocity"] == pytest.approx(E1 / 3, **APPROX)
    assert person(talk, "eve")["reciprocity"] == 0


def test_generosity_counts_fully_only_where_mutual(talk):
    """generosity = sum_r (1 - e^(-g_r)) (1/4 + 3/4 rho_r).
    ada gave a reply to bob, cy and dan, each answered: 3 (1 - e^(-1)).
    eve gave ada a reply, none back: (1 - e^(-1)) / 4. fay a like: (1 - e^(-0.2)) / 4."""
    assert person(talk, "ada")["generosity"] == pytest.approx(3 * E1, **APPROX)
    assert person(talk, "eve")["generosity"] == pytest.approx(E1 / 4, **APPROX)
    assert person(talk, "fay")["generosity"] == pytest.approx((1 - math.exp(-0.2)) / 4, **APPROX)


def test_circle_counts_strong_mutual_ties(talk):
    """ada-bob: intensity 1 - e^(-2/5), reciprocity 1, multiplexity 1/4, one turn
    (1 - e^(-1/3)), recency 1, duration 1 - e^(-1/90), embeddedness 0 (bob has no other
    friend): strength = .25 x .330 + .15 + .025 + .15 x .283 + .15 + .05 x .011 = 0.451
    >= 0.35. The same for cy and dan: ada's circle is 3, bob's 1; eve and fay never got
    anything back: 0."""
    assert person(talk, "ada")["circle"] == 3
    assert person(talk, "bob")["circle"] == 1
    assert person(talk, "eve")["circle"] == 0
    assert person(talk, "fay")["circle"] == 0


def test_initiative_counts_first_contacts_that_became_mutual(talk):
    """bob made the first contact with ada and she answered: bob's initiative 1; ada
    answered three first contacts: 3 x 1/2."""
    assert person(talk, "bob")["initiative"] == 1
    assert person(talk, "ada")["initiative"] == 1.5


def _spray() -> list[dict]:
    rows = [{"day": i / 100, "actor": "sam", "kind": "like", "target": "tom"} for i in range(1000)]
    rows += [{"day": 1, "actor": "una", "kind": "like", "target": f"v{i}"} for i in range(10)]
    rows += [
        {"day": 2, "actor": "vic", "kind": "reply", "target": "wes", "content_id": "q1"},
        {"day": 3, "actor": "wes", "kind": "reply", "target": "vic", "content_id": "q2"},
        {"day": 4, "actor": "xan", "kind": "like", "target": "yul"},
    ]
    # Consistency: kim every Monday for four weeks, lee on the first and last Monday.
    rows += [{"day": d, "actor": "kim", "kind": "post", "content_id": f"k{d}"} for d in (0, 7)]
    rows += [{"day": d, "actor": "kim", "kind": "post", "content_id": f"k{d}"} for d in (14, 21)]
    rows += [{"day": d, "actor": "lee", "kind": "post", "content_id": f"l{d}"} for d in (0, 21)]
    # nia on Wednesday 3, Sunday 7 and Friday 12 January: nine days, two weeks of span.
    rows += [{"day": d, "actor": "nia", "kind": "post", "content_id": f"n{d}"} for d in (2, 6, 11)]
    return rows


@pytest.fixture(scope="module")
def spray(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("spray") / "store.duckdb"
    scored(_spray(), db, half_life=NO_DECAY)
    return db


def test_generosity_saturates_per_recipient(spray):
    """sam likes tom 1000 times: (1 - e^(-200)) / 4 = 0.25, the most one unanswered
    recipient can give. una likes ten people once: 10 (1 - e^(-0.2)) / 4 = 0.453. One like
    (xan to yul) gives (1 - e^(-0.2)) / 4 = 0.045: a thousand times the likes, 5.5 times the
    generosity. vic's one reply, answered: (1 - e^(-1)) (1/4 + 3/4) = 0.632."""
    sam, una = person(spray, "sam")["generosity"], person(spray, "una")["generosity"]
    one_like = (1 - math.exp(-0.2)) / 4
    assert sam == pytest.approx(0.25, **APPROX)
    assert una == pytest.approx(10 * one_like, **APPROX)
    assert person(spray, "xan")["generosity"] == pytest.approx(one_like, **APPROX)
    assert person(spray, "vic")["generosity"] == pytest.approx(E1, **APPROX)
    assert sam < una < person(spray, "vic")["generosity"]


def test_consistency_is_active_weeks_over_span_plus_four(spray):
    """kim: 4 active weeks over a 4-week span: 4 / (4 + 4). lee: 2 of 4: 2 / 8. xan, seen
    once: 1 / (1 + 4)."""
    assert person(spray, "kim")["consistency"] == pytest.approx(4 / 8)
    assert person(spray, "lee")["consistency"] == pytest.approx(2 / 8)
    assert person(spray, "xan")["consistency"] == pytest.approx(1 / 5)


def test_consistency_never_counts_more_active_weeks_than_the_span(spray):
    """nia acted on days 0, 4 and 9 of her span (Wed 3, Sun 7, Fri 12 Jan): span =
    floor(9 / 7) + 1 = 2 weeks, of which she was active in both: 2 / (2 + 4) = 1/3. Counting
    epoch weeks instead gives 3 / 6 = 0.5, more than someone active every week could get."""
    nia = person(spray, "nia")
    assert nia["active_weeks"] <= 2
    assert nia["consistency"] == pytest.approx(2 / 6)


#: Two closed pairs alike but for their age: old1 and old2 have liked each other's posts
#: since day 0, new1 and new2 only on day 100 (T).
RINGS = """
day  actor  kind  target  content  parent
0    old1   post  -       o1       -
0    old2   like  old1    -        o1
0    old2   post  -       o2       -
0    old1   like  old2    -        o2
100  new1   post  -       n1       -
100  new2   like  new1    -        n1
100  new2   post  -       n2       -
100  new1   like  new2    -        n2
"""


def test_a_closed_pair_of_fresh_accounts_holds_little_network_weight(tmp_path):
    """A jump of the engagement PageRank lands on a person by the history of those engaging
    with them: h = 1 - e^(-(days since their first act + 1) / H), H the half-life (90 days).
    old1 and old2 first acted on day 0: h = 1 - e^(-101/90) = 0.674; new1 and new2 on day
    100: h = 1 - e^(-1/90) = 0.011. Each closed pair keeps what lands on it: the old pair
    0.674 / (0.674 + 0.011) of the rank, half each; the new pair the rest."""
    db = tmp_path / "s.duckdb"
    scored(RINGS, db, half_life=90.0)
    old, new = 1 - math.exp(-101 / 90), 1 - math.exp(-1 / 90)
    for name, h in (("old1", old), ("old2", old), ("new1", new), ("new2", new)):
        assert person(db, name)["network_weight"] == pytest.approx(h / (2 * (old + new)), **APPROX)


REACH = """
day  actor  kind  target  content  parent
0    ada    post  -       a1       -
0    ada    post  -       a2       -
0    ada    post  -       a3       -
1    bob    like  ada     -        a1
1    bob    like  ada     -        a2
1    bob    like  ada     -        a3
0    cy     post  -       c1       -
1    dan    like  cy      -        c1
1    eve    like  cy      -        c1
1    fay    like  cy      -        c1
2    hal    like  bob     -        -
2    hal    like  dan     -        -
2    hal    like  eve     -        -
2    hal    like  fay     -        -
"""


def test_reach_counts_distinct_engagers(tmp_path):
    """ada got three likes from one person, cy one like from each of three: engagers 1 and
    3. Standing is the engager's network-weight percentile: hal, whom nobody engages with,
    has no rank (0, the lowest of 7); bob, dan, eve and fay, each liked by hal, share the
    next rank: percentile 1/6; ada and cy rank above. reach(ada) = (1 - e^(-0.6)) / 6 =
    0.075 < reach(cy) = 3 (1 - e^(-0.2)) / 6 = 0.091."""
    db = tmp_path / "s.duckdb"
    scored(REACH, db, half_life=NO_DECAY)
    ada, cy = person(db, "ada"), person(db, "cy")
    assert (ada["engagers"], cy["engagers"]) == (1, 3)
    assert ada["reach"] == pytest.approx((1 - math.exp(-0.6)) / 6, **APPROX)
    assert cy["reach"] == pytest.approx(3 * (1 - math.exp(-0.2)) / 6, **APPROX)
    # hal's like reaches bob, but hal has no standing: it gives bob no reach.
    assert (person(db, "bob")["engagers"], person(db, "bob")["reach"]) == (1, 0)
    assert ada["reach_pct"] < cy["reach_pct"]


def community(seed: int = 42, fans: int = 60, friends: int = 8) -> list[dict]:
    """The shape of ``../shared/checks/community.py``, smaller (about 1,500 events).

    potus posts weekly; 30 fans like, 8 reply and 4 share each post; potus answers nobody
    and gives nothing. julie posts every fortnight: three friends reply, she answers, they
    answer back, she likes it; she comments on each friend's posts and they answer and like.
    The fans chat: each posts twice, gets three likes and a reply, answered half the time.
    """
    r = random.Random(seed)
    rows: list[dict] = []

    def ev(day, actor, kind, target="", content="", parent=""):
        rows.append(
            {"day": day, "actor": actor, "kind": kind, "target": target}
            | {"content_id": content, "parent_id": parent}
        )

    fan = [f"f{i}" for i in range(fans)]
    friend = fan[:friends]
    for p in range(15):
        day, post = 7 * p, f"potus-{p}"
        ev(day, "potus", "post", content=post)
        for f in r.sample(fan, 30):
            ev(day + r.random() * 2, f, "like", "potus", parent=post)
        for f in r.sample(fan, 8):
            ev(day + r.random() * 2, f, "reply", "potus", f"{post}-r-{f}", post)
        for f in r.sample(fan, 4):
            ev(day + r.random() * 2, f, "share", "potus", parent=post)
    for p in range(6):
        day, post = 15 * p + 1, f"julie-{p}"
        ev(day, "julie", "post", content=post)
        for f in r.sample(friend, 3):
            rep = f"{post}-r-{f}"
            ev(day + 0.1, f, "reply", "julie", rep, post)
            ev(day + 0.2, "julie", "reply", f, rep + "-a", rep)
            ev(day + 0.3, f, "reply", "julie", rep + "-b", rep + "-a")
            ev(day + 0.4, "julie", "like", f, parent=rep + "-b")
    for f in friend:
        for p in range(2):
            day, post = r.uniform(0, 100), f"{f}-{p}"
            ev(day, f, "post", content=post)
            ev(day + 0.05, "julie", "reply", f, post + "-julie", post)
            ev(day + 0.1, f, "reply", "julie", post + "-julie-a", post + "-julie")
            ev(day + 0.1, f, "like", "julie", parent=post + "-julie")
            ev(day + 0.15, "julie", "like", f, parent=post)
    for f in fan:
        for p in range(2):
            day, post = r.uniform(0, 100), f"{f}-post-{p}"
            ev(day, f, "post", content=post)
            for o in r.sample(fan, 3):
                if o != f:
                    ev(day + r.random(), o, "like", f, parent=post)
            o = r.choice(fan)
            if o != f:
                ev(day + 0.2, o, "reply", f, f"{post}-r-{o}", post)
                if r.random() < 0.5:
                    ev(day + 0.4, f, "reply", o, f"{post}-r-{o}-a", f"{post}-r-{o}")
    return rows


@pytest.fixture(scope="module")
def roles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    db = tmp_path_factory.mktemp("roles") / "store.duckdb"
    people = scored(community(), db).people
    return {r["handle"]: r for r in people.to_dict("records")}


def test_the_head_of_state_broadcasts_but_does_not_relate(roles):
    """Huge reception, answers nobody: broadcast >= 90, relational <= 30 (DESIGN.md)."""
    potus = roles["potus"]
    assert potus["broadcast"] >= 90
    assert potus["relational"] <= 30
    assert potus["listening"] == 0
    assert potus["generosity"] == 0


def test_the_connector_relates(roles):
    """julie gives, answers every reply, and her comments start dialogue: relational >= 80,
    and the two scores order her and potus oppositely."""
    julie, potus = roles["julie"], roles["potus"]
    assert julie["relational"] >= 80
    assert julie["relational"] > potus["relational"]
    assert potus["broadcast"] > julie["broadcast"]
    assert julie["circle"] >= 5
