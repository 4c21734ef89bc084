"""Attack injection adds exactly the requested events and nothing else (issue 5, section 3).

The log here is a small random community written directly with pyarrow: 300 people on
platform ``t`` (posts, likes and replies of posts with explicit targets, a few private
messages, and a handful of people who only ever like) plus a few rows on a minority platform
``other`` that the attacks must ignore.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrowcast.errors import ParameterError
from narrowcast.evaluate.gaming import ATTACKS, Attack, AttackSizes, inject
from narrowcast.model import EVENTS, TS_TYPE

PEOPLE = 300
T0_US = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
DAY_US = 86_400_000_000
SMALL = AttackSizes(
    spray_targets=40, ring_size=5, ring_posts=4, bots=10, amplified_posts=3, puppet_turns=30
)


@cache
def community() -> pa.Table:
    """About 3,500 events over 90 days among 300 people, deterministic."""
    rng = np.random.default_rng(12345)
    # People 290..299 only like: they never author an item.
    authors_pool = np.arange(PEOPLE - 10)
    rows: dict[str, list] = {n: [] for n in EVENTS.names}

    def add(**row):
        for name in EVENTS.names:
            rows[name].append(row.get(name))

    n_posts = 700
    post_author = rng.choice(authors_pool, n_posts)
    post_ts = T0_US + rng.integers(0, 80 * DAY_US, n_posts)
    for i in range(n_posts):
        add(
            event_id=f"e{len(rows['ts'])}",
            ts=int(post_ts[i]),
            platform="t",
            actor=f"t:{post_author[i]}",
            kind="post",
            content_id=f"p{i}",
            thread_id=f"p{i}",
        )
    for kind, n in (("like", 2000), ("reply", 700)):
        on = rng.integers(0, n_posts, n)
        who = rng.integers(0, PEOPLE, n)
        for k, (post, actor) in enumerate(zip(on, who, strict=True)):
            if actor == post_author[post]:
                continue
            add(
                event_id=f"e{len(rows['ts'])}",
                ts=int(post_ts[post] + rng.integers(0, 10 * DAY_US)),
                platform="t",
                actor=f"t:{actor}",
                kind=kind,
                target=f"t:{post_author[post]}",
                content_id=f"r{k}" if kind == "reply" else None,
                parent_id=f"p{post}",
                thread_id=f"p{post}",
            )
    for _ in range(100):
        a, b = rng.choice(authors_pool, 2, replace=False)
        add(
            event_id=f"e{len(rows['ts'])}",
            ts=int(T0_US + rng.integers(0, 90 * DAY_US)),
            platform="t",
            actor=f"t:{a}",
            kind="message",
            target=f"t:{b}",
            content_id=f"m{len(rows['ts'])}",
            visibility="private",
        )
    for i in range(20):
        add(
            event_id=f"o{i}",
            ts=T0_US + i * DAY_US,
            platform="other",
            actor=f"other:{i % 5}",
            kind="like",
            target=f"other:{(i + 1) % 5}",
        )
    rows["visibility"] = [v or "public" for v in rows["visibility"]]
    rows["quantity"] = [1] * len(rows["ts"])
    arrays = [
        pa.array(rows[f.name], pa.int64()).cast(f.type)
        if f.name == "ts"
        else pa.array(rows[f.name], f.type)
        for f in EVENTS
    ]
    return pa.Table.from_arrays(arrays, schema=EVENTS)


@cache
def attacked(seed: int = 0, sizes: AttackSizes = SMALL) -> Attack:
    return inject(community(), sizes=sizes, seed=seed)


def expected_counts(s: AttackSizes) -> dict[str, int]:
    return {
        "spray_liker": s.spray_targets,
        "like_ring": s.ring_size * s.ring_posts + s.ring_size * s.ring_posts * (s.ring_size - 1),
        "bot_amplification": s.amplified_posts + 2 * s.bots * s.amplified_posts,
        "sock_puppets": 1 + s.puppet_turns,
    }


def rows_of(attack: Attack, name: str) -> list[dict]:
    mask = pc.starts_with(attack.events.column("event_id"), f"attack:0:{name}:")
    return attack.events.filter(mask).to_pylist()


def ids(table: pa.Table, column: str) -> set[str]:
    return {v for v in table.column(column).to_pylist() if v is not None}


def received_counts() -> dict[str, int]:
    """Per person who acted on ``t``: events targeting them from someone else."""
    log = community().filter(pc.equal(community().column("platform"), "t")).to_pylist()
    got = Counter(r["target"] for r in log if r["target"] and r["target"] != r["actor"])
    return {r["actor"]: got[r["actor"]] for r in log}


# -- how many events ----------------------------------------------------------------------------


def test_each_attack_adds_exactly_its_formula_of_events():
    attack = attacked()
    assert attack.counts == expected_counts(SMALL)
    assert attack.events.num_rows == sum(expected_counts(SMALL).values())
    kinds = Counter((r["subtype"], r["kind"]) for r in attack.events.to_pylist())
    assert kinds == {
        ("spray_liker", "like"): 40,
        ("like_ring", "post"): 5 * 4,
        ("like_ring", "like"): 5 * 4 * 4,
        ("bot_amplification", "post"): 3,
        ("bot_amplification", "like"): 10 * 3,
        ("bot_amplification", "share"): 10 * 3,
        ("sock_puppets", "post"): 1,
        ("sock_puppets", "reply"): 30,
    }


def test_default_sizes_are_the_documented_ones():
    s = AttackSizes()
    assert (s.spray_targets, s.ring_size, s.ring_posts) == (200, 8, 10)
    assert (s.bots, s.amplified_posts, s.puppet_turns) == (50, 10, 200)
    assert [s.events(a) for a in ATTACKS] == [expected_counts(s)[a] for a in ATTACKS]
    attack = inject(community())
    assert attack.counts == expected_counts(s)
    assert len(attack.bots) == 50


def test_only_new_rows_are_returned_in_the_event_schema():
    attack = attacked()
    assert attack.events.schema.equals(EVENTS, check_metadata=True)
    event_ids = attack.events.column("event_id").to_pylist()
    assert len(set(event_ids)) == len(event_ids)
    assert not set(event_ids) & ids(community(), "event_id")
    assert not ids(attack.events, "content_id") & ids(community(), "content_id")
    assert all(e.startswith("attack:0:") for e in event_ids)


def test_every_row_is_public_single_and_on_the_main_platform():
    events = attacked().events
    assert set(events.column("platform").to_pylist()) == {"t"}
    assert set(events.column("visibility").to_pylist()) == {"public"}
    assert set(events.column("quantity").to_pylist()) == {1}
    assert events.column("source").null_count == events.num_rows


@pytest.mark.parametrize("window_days", [30.0, 2.5, 0])
def test_every_event_lies_in_the_window_before_the_last_event(window_days):
    attack = inject(community(), sizes=SMALL, window_days=window_days)
    last = pc.max(community().column("ts")).value
    ts = attack.events.column("ts").cast(pa.int64()).to_numpy()
    assert ts.max() <= last
    assert ts.min() >= last - window_days * DAY_US


# -- who attacks --------------------------------------------------------------------------------


def test_attackers_are_fresh_accounts_but_the_amplified_one():
    attack = attacked()
    existing = ids(community(), "actor") | ids(community(), "target")
    for name in ("spray_liker", "like_ring", "sock_puppets"):
        assert not set(attack.attackers[name]) & existing, name
    assert set(attack.attackers["bot_amplification"]) <= existing


def test_existing_attackers_are_distinct_accounts_of_median_reception():
    attack = inject(community(), sizes=SMALL, fresh=False)
    assert list(attack.attackers) == list(ATTACKS)
    assert len(attack.attackers["spray_liker"]) == 1
    assert len(attack.attackers["like_ring"]) == SMALL.ring_size
    assert len(attack.attackers["bot_amplification"]) == 1
    assert len(attack.attackers["sock_puppets"]) == 2
    everyone = [p for people in attack.attackers.values() for p in people]
    assert len(set(everyone)) == len(everyone)
    received = received_counts()
    lo, hi = np.percentile(list(received.values()), [40, 60])
    for person in everyone:
        assert person in received, f"{person} never acted"
        assert lo <= received[person] <= hi


def test_with_too_narrow_a_band_the_attackers_are_those_nearest_the_median():
    # Person i posts once and gets i likes: counts 0..14, median 7. The 40-60 band holds 3
    # people, fewer than the 12 accounts needed, so the 12 nearest 7 play: never 0 or 14.
    n = 15
    rows = [("post", f"x:{i}", None, f"c{i}") for i in range(n)]
    rows += [
        ("like", f"x:{(i + k) % n}", f"x:{i}", None) for i in range(n) for k in range(1, i + 1)
    ]
    log = pa.table(
        {
            "ts": pa.array([T0_US + k for k in range(len(rows))]).cast(TS_TYPE),
            "platform": ["x"] * len(rows),
            "kind": [r[0] for r in rows],
            "actor": [r[1] for r in rows],
            "target": [r[2] for r in rows],
            "content_id": [r[3] for r in rows],
        }
    )
    attack = inject(log, sizes=AttackSizes(ring_size=8, spray_targets=1), fresh=False)
    chosen = {p for people in attack.attackers.values() for p in people}
    assert len(chosen) == 12
    assert {f"x:{i}" for i in range(2, 13)} <= chosen <= {f"x:{i}" for i in range(1, 14)}


def test_bots_are_fresh_accounts_named_after_the_platform():
    attack = attacked()
    assert attack.bots == [f"t:attack-bot-{i}" for i in range(SMALL.bots)]
    existing = ids(community(), "actor") | ids(community(), "target")
    assert not set(attack.bots) & existing


# -- what each attack looks like ----------------------------------------------------------------


def test_spray_liker_likes_distinct_strangers_once_each():
    attack = attacked()
    (sprayer,) = attack.attackers["spray_liker"]
    likes = rows_of(attack, "spray_liker")
    assert {r["actor"] for r in likes} == {sprayer}
    targets = [r["target"] for r in likes]
    assert len(set(targets)) == len(targets) == SMALL.spray_targets
    log = community().to_pylist()
    met = {r["target"] for r in log if r["actor"] == sprayer}
    met |= {r["actor"] for r in log if r["target"] == sprayer}
    others = {p for people in attack.attackers.values() for p in people}
    assert not set(targets) & (met | others)
    author = {r["content_id"]: r["actor"] for r in log if r["content_id"]}
    public_items = {r["actor"] for r in log if r["content_id"] and r["visibility"] == "public"}
    for r in likes:
        if r["target"] in public_items:
            assert author[r["parent_id"]] == r["target"]
        else:
            assert r["parent_id"] is None


def test_spray_liker_likes_existing_items_after_they_were_made():
    attack = inject(community(), sizes=SMALL, window_days=1000)
    made = {r["content_id"]: r["ts"] for r in community().to_pylist() if r["content_id"]}
    for r in rows_of(attack, "spray_liker"):
        if r["parent_id"] is not None:
            assert r["ts"] >= made[r["parent_id"]]
            assert not r["parent_id"].startswith("m")  # never a private message


def test_spray_liker_with_too_few_strangers_likes_all_there_are():
    attack = inject(community(), sizes=AttackSizes(spray_targets=10_000), attacks=["spray_liker"])
    (sprayer,) = attack.attackers["spray_liker"]
    log = community().filter(pc.equal(community().column("platform"), "t")).to_pylist()
    people = {r["actor"] for r in log} | {r["target"] for r in log if r["target"]}
    met = {r["target"] for r in log if r["actor"] == sprayer}
    met |= {r["actor"] for r in log if r["target"] == sprayer}
    # The other attackers' accounts are drawn whatever is asked for and are never strangers.
    full = inject(community(), sizes=AttackSizes(spray_targets=10_000))
    others = {p for people in full.attackers.values() for p in people}
    strangers = people - met - others
    assert attack.counts == {"spray_liker": len(strangers)}
    assert {r["target"] for r in attack.events.to_pylist()} == strangers


def test_like_ring_members_like_each_others_posts_and_nothing_else():
    attack = attacked()
    ring = attack.attackers["like_ring"]
    rows = rows_of(attack, "like_ring")
    posts = {r["content_id"]: r for r in rows if r["kind"] == "post"}
    assert Counter(r["actor"] for r in posts.values()) == dict.fromkeys(ring, SMALL.ring_posts)
    for cid, post in posts.items():
        assert post["thread_id"] == cid and post["parent_id"] is None
        likes = [r for r in rows if r["kind"] == "like" and r["parent_id"] == cid]
        assert sorted(r["actor"] for r in likes) == sorted(set(ring) - {post["actor"]})
        for like in likes:
            assert like["target"] == post["actor"]
            assert like["thread_id"] == cid
            assert like["ts"] >= post["ts"]


def test_bots_like_and_share_every_post_of_the_amplified_account():
    attack = attacked()
    (amplified,) = attack.attackers["bot_amplification"]
    rows = rows_of(attack, "bot_amplification")
    posts = [r for r in rows if r["kind"] == "post"]
    assert {r["actor"] for r in posts} == {amplified}
    assert len(posts) == SMALL.amplified_posts
    for kind in ("like", "share"):
        acts = [r for r in rows if r["kind"] == kind]
        assert Counter((r["actor"], r["parent_id"]) for r in acts) == {
            (bot, p["content_id"]): 1 for bot in attack.bots for p in posts
        }
        assert {r["target"] for r in acts} == {amplified}


def test_sock_puppets_hold_one_alternating_reply_chain():
    attack = attacked()
    a, b = attack.attackers["sock_puppets"]
    rows = rows_of(attack, "sock_puppets")
    root, replies = rows[0], rows[1:]
    assert (root["kind"], root["actor"], root["thread_id"]) == ("post", a, root["content_id"])
    assert len(replies) == SMALL.puppet_turns
    parent = root
    for k, r in enumerate(replies):
        assert r["kind"] == "reply"
        assert r["actor"] == (b if k % 2 == 0 else a)
        assert r["target"] == parent["actor"]
        assert r["parent_id"] == parent["content_id"]
        assert r["thread_id"] == root["content_id"]
        assert r["ts"] >= parent["ts"]
        parent = r
    contents = [r["content_id"] for r in rows]
    assert len(set(contents)) == len(contents)


def test_post_ids_name_the_seed():
    posts = [r for r in attacked().events.to_pylist() if r["kind"] == "post"]
    assert sorted(r["content_id"] for r in posts) == sorted(
        f"attack:0:post:{n}" for n in range(len(posts))
    )


# -- reproducible, and each attack on its own ---------------------------------------------------


def test_the_same_seed_gives_the_same_attack_and_another_seed_another():
    again = inject(community(), sizes=SMALL, seed=0)
    assert again.events.equals(attacked().events)
    assert again.attackers == attacked().attackers
    other = inject(community(), sizes=SMALL, seed=1)
    assert other.attackers != attacked().attackers
    assert not ids(other.events, "event_id") & ids(attacked().events, "event_id")


@pytest.mark.parametrize("name", ATTACKS)
def test_each_attack_alone_is_the_same_as_in_company(name):
    alone = inject(community(), sizes=SMALL, attacks=[name])
    assert alone.counts == {name: expected_counts(SMALL)[name]}
    assert list(alone.attackers) == [name]
    assert alone.attackers[name] == attacked().attackers[name]
    assert alone.events.to_pylist() == rows_of(attacked(), name)
    assert alone.bots == (attacked().bots if name == "bot_amplification" else [])


def test_the_input_is_left_alone():
    before = community()
    snapshot = before.to_pylist()
    inject(before, sizes=SMALL)
    assert before.to_pylist() == snapshot


def test_a_log_with_only_some_columns_is_enough():
    log = community().select(["ts", "platform", "actor", "target", "kind", "content_id"])
    attack = inject(log, sizes=SMALL)
    assert attack.counts == expected_counts(SMALL)


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("spray_targets", 0),
        ("ring_size", 1),
        ("ring_posts", -1),
        ("bots", 2.0),
        ("amplified_posts", True),
        ("puppet_turns", "3"),
    ],
)
def test_bad_sizes_are_refused(field, value):
    with pytest.raises(ParameterError, match=f"The '{field}' parameter of AttackSizes"):
        AttackSizes(**{field: value})


def test_a_bad_size_is_named_with_its_expectation():
    with pytest.raises(ParameterError) as err:
        AttackSizes(ring_size=1)
    assert str(err.value) == (
        "The 'ring_size' parameter of AttackSizes must be an int of at least 2. Got 1 instead."
    )


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"attacks": ["spray_liker", "astroturf"]}, "attacks"),
        ({"attacks": "spray_liker"}, "attacks"),
        ({"attacks": []}, "attacks"),
        ({"attacks": ["like_ring", "like_ring"]}, "attacks"),
        ({"seed": -1}, "seed"),
        ({"window_days": -1}, "window_days"),
        ({"window_days": float("nan")}, "window_days"),
        ({"sizes": {"bots": 3}}, "sizes"),
    ],
)
def test_bad_arguments_are_refused(kwargs, name):
    with pytest.raises(ParameterError, match=f"The '{name}' parameter of inject"):
        inject(community(), **kwargs)


def test_a_log_without_the_needed_columns_is_refused():
    with pytest.raises(ParameterError, match="without \\['content_id'\\]"):
        inject(community().drop_columns(["content_id"]))


def test_a_log_too_small_for_the_attackers_is_refused():
    tiny = community().filter(pc.equal(community().column("platform"), "other"))
    with pytest.raises(ParameterError, match="needs 12 people who acted on platform 'other'"):
        inject(tiny)


def test_injecting_twice_with_one_seed_is_refused():
    once = pa.concat_tables([community(), attacked().events])
    with pytest.raises(ParameterError, match="seed 0"):
        inject(once, sizes=SMALL, attacks=["spray_liker"])
    with pytest.raises(ParameterError, match="attack-bot-0"):
        inject(once, sizes=SMALL, seed=1)


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    spray=st.integers(1, 30),
    ring=st.integers(2, 6),
    ring_posts=st.integers(1, 4),
    bots=st.integers(1, 8),
    amplified=st.integers(1, 4),
    turns=st.integers(1, 20),
    chosen=st.sets(st.sampled_from(ATTACKS), min_size=1),
)
def test_counts_always_match_the_formulae(
    seed, spray, ring, ring_posts, bots, amplified, turns, chosen
):
    sizes = AttackSizes(spray, ring, ring_posts, bots, amplified, turns)
    names = [a for a in ATTACKS if a in chosen]
    attack = inject(community(), sizes=sizes, seed=seed, attacks=names)
    want = {a: expected_counts(sizes)[a] for a in names}
    assert attack.counts == want
    assert attack.events.num_rows == sum(want.values())
    event_ids = attack.events.column("event_id").to_pylist()
    assert len(set(event_ids)) == len(event_ids)
    assert attack.events.schema.equals(EVENTS)
    assert attack.events.schema.field("ts").type == TS_TYPE
