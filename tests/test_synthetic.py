"""The synthetic community: seeded, exact in size, well-formed, and its planted roles behave
as their definitions say, so that the measures can be checked against known answers."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrowcast.errors import ParameterError
from narrowcast.model import EVENTS, KINDS, PEOPLE
from narrowcast.synthetic import ROLES, Community, generate
from tests.conftest import collect, rows

SIZE, SEED, WINDOW = 20_000, 3, 6_000
START = datetime(2024, 1, 1, tzinfo=UTC)
END = START + timedelta(days=365)
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def community() -> Community:
    return generate(SIZE, seed=SEED, window=WINDOW)


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return collect(generate(SIZE, seed=SEED, window=WINDOW).parsed)


@pytest.fixture(scope="module")
def events(tables: dict[str, pa.Table]) -> list[dict[str, Any]]:
    return tables["events"].to_pylist()


@pytest.fixture(scope="module")
def items(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """content_id -> the event that created it."""
    return {e["content_id"]: e for e in events if e["content_id"] is not None}


def touching(events: list[dict[str, Any]], people: list[str]) -> list[dict[str, Any]]:
    who = set(people)
    return [e for e in events if e["actor"] in who or e["target"] in who]


# -- reproducible, exact, well-formed -----------------------------------------------------------


def test_the_same_seed_gives_the_same_rows_and_another_seed_others():
    a, b, c = (generate(3_000, seed=s) for s in (5, 5, 6))
    assert a.table().equals(b.table())
    assert a.table("people").equals(b.table("people"))
    assert not a.table().equals(c.table())


def test_table_and_the_parsed_stream_give_the_same_rows(community, tables):
    assert community.table().equals(tables["events"])
    assert community.table("people").equals(tables["people"])


def test_event_ids_are_unique_and_name_seed_size_and_number(tables):
    ids = tables["events"].column("event_id").to_pylist()
    assert sorted(ids) == sorted(f"s{SEED}-{SIZE}-{n}" for n in range(SIZE))


@pytest.mark.parametrize(("size", "window"), [(1_000, 1_000), (1_001, 500_000), (7_777, 1_000)])
def test_the_count_is_exactly_what_was_asked(size: int, window: int):
    chunks = list(generate(size, seed=1, window=window).parsed)
    assert sum(c.batch.num_rows for c in chunks if c.table == "events") == size
    assert all(c.batch.num_rows <= window for c in chunks)


def test_every_chunk_conforms_to_its_schema_and_progress_reaches_the_total():
    parsed = generate(5_000, seed=2, window=1_500).parsed
    done = []
    for chunk in parsed:
        schema = EVENTS if chunk.table == "events" else PEOPLE
        assert chunk.table in ("events", "people")
        assert chunk.batch.schema.equals(schema)
        chunk.batch.validate(full=True)
        for f in schema:
            if not f.nullable:
                assert chunk.batch.column(f.name).null_count == 0, f.name
        done.append(chunk.bytes_read)
    assert done == sorted(done)
    assert done[-1] == parsed.total_bytes == 5_000
    assert (parsed.format, parsed.platform, parsed.paths) == ("synthetic", "synthetic", [])


def test_timestamps_fall_within_the_span():
    start = datetime(2023, 3, 1, 12, tzinfo=UTC)
    ts = generate(4_000, seed=9, start=start, days=30).table().column("ts").to_pylist()
    assert min(ts) >= start
    assert max(ts) < start + timedelta(days=30)


def test_a_naive_start_is_taken_as_utc():
    naive = generate(1_000, start=datetime(2024, 1, 1)).table()
    assert naive.equals(generate(1_000, start=START).table())


def test_every_kind_appears_and_only_known_kinds(tables):
    kinds = set(tables["events"].column("kind").to_pylist())
    assert kinds == {"post", "reply", "like", "share", "quote", "mention", "message", "view",
                     "follow"}  # fmt: skip
    assert kinds <= set(KINDS)


def test_every_act_on_an_item_targets_its_author_in_its_thread(events, items):
    acts = [e for e in events if e["parent_id"] is not None]
    assert {e["kind"] for e in acts} == {"reply", "like", "share", "quote", "view", "message"}
    for e in acts:
        parent = items[e["parent_id"]]
        assert e["target"] == parent["actor"], e
        assert e["thread_id"] == parent["thread_id"], e
        assert e["ts"] >= parent["ts"], e


def test_threads_are_rooted_in_posts_or_first_messages(events, items):
    for e in events:
        if e["thread_id"] is None:
            assert e["kind"] == "follow"
            continue
        root = items[e["thread_id"]]
        assert root["parent_id"] is None
        assert root["kind"] in ("post", "message")
        assert root["thread_id"] == root["content_id"]


def test_likes_shares_views_create_nothing_and_posts_replies_quotes_messages_do(events):
    for e in events:
        creates = e["kind"] in ("post", "reply", "quote", "message")
        assert (e["content_id"] == e["event_id"]) is creates, e
        assert (e["content_id"] is None) is not creates, e


def test_private_exactly_for_messages(events):
    assert all((e["visibility"] == "private") == (e["kind"] == "message") for e in events)


def test_views_are_anonymous_aggregate_reception(events):
    views = [e for e in events if e["kind"] == "view"]
    assert views and all(e["actor"] is None and e["target"] is not None for e in views)
    assert max(e["quantity"] for e in views) > 1
    others = [e for e in events if e["kind"] != "view"]
    assert all(e["actor"] is not None and e["quantity"] == 1 for e in others)


def test_replies_are_answered_back_after_minutes_to_days(events, items):
    back = [
        e["ts"] - items[e["parent_id"]]["ts"]
        for e in events
        if e["kind"] == "reply"
        and items[e["parent_id"]]["kind"] == "reply"
        and e["actor"] == items[e["parent_id"]]["target"]
    ]
    replies = sum(e["kind"] == "reply" for e in events)
    assert len(back) > replies / 4
    assert min(back) < HOUR / 2 and max(back) > timedelta(days=2)


def test_activity_and_attention_are_heavy_tailed(events):
    given_ = Counter(e["actor"] for e in events if e["actor"] and ":u" in e["actor"])
    got = Counter(e["target"] for e in events if e["target"] and ":u" in e["target"])
    for counts in (given_, got):
        values = sorted(counts.values(), reverse=True)
        assert values[0] > 6 * values[len(values) // 2]
        # The top 1% give (or get) over four times their share.
        top = values[: len(values) // 100]
        assert sum(top) > 0.04 * sum(values)


def test_ties_are_mostly_within_clusters_and_often_mutual(events):
    pairs = Counter((e["actor"], e["target"]) for e in events if e["actor"] and e["target"])
    mutual = sum((b, a) in pairs for a, b in pairs)
    assert mutual > 0.3 * len(pairs)


def test_people_rows_cover_exactly_who_appears(tables):
    events, people = tables["events"], tables["people"]
    seen = set(events.column("actor").to_pylist()) | set(events.column("target").to_pylist())
    seen.discard(None)
    ids = people.column("id").to_pylist()
    assert len(ids) == len(set(ids))
    assert set(ids) == seen
    # Background people number about one per 25 events.
    assert 0.8 * SIZE / 25 <= sum(":u" in i for i in ids) <= SIZE / 25
    by_id = {p["id"]: p for p in people.to_pylist()}
    potus = by_id["synthetic:potus"]
    assert (potus["platform"], potus["handle"], potus["display_name"]) == (
        "synthetic",
        "potus",
        "POTUS",
    )
    assert by_id["synthetic:u1"]["display_name"] == "User 1"
    assert all(p["handle"] == p["id"].removeprefix("synthetic:") for p in by_id.values())
    assert all(p["attributes"] is None and p["created_at"] is not None for p in by_id.values())
    assert potus["audience_size"] > 100 * by_id["synthetic:julie"]["audience_size"]


def test_nobody_acts_before_their_account_exists(tables, events):
    created = {p["id"]: p["created_at"] for p in tables["people"].to_pylist()}
    for e in events:
        if e["actor"] is not None:
            assert e["ts"] >= created[e["actor"]], e


# -- the planted roles ---------------------------------------------------------------------------


def test_roles_name_who_plays_them(community):
    assert set(community.roles) == set(ROLES)
    r = community.roles
    assert r["broadcaster"] == ["synthetic:potus"]
    assert r["connector"] == ["synthetic:julie"]
    assert r["listener"] == ["synthetic:listener"]
    assert r["spray_liker"] == ["synthetic:sprayer"]
    assert r["like_ring"] == [f"synthetic:ring{i}" for i in range(8)]
    assert r["bot_amplified"] == ["synthetic:amplified"]
    assert r["sock_puppets"] == ["synthetic:sock0", "synthetic:sock1"]
    assert len(r["bots"]) >= 10
    assert len(r["connector_friends"]) == 12


def test_every_role_acts_at_the_smallest_size():
    c = generate(1_000, seed=11)
    actors = set(c.table().column("actor").to_pylist())
    for role, people in c.roles.items():
        assert set(people) <= actors, role


def test_the_broadcaster_only_posts_and_reaches_the_most_people(events):
    potus = "synthetic:potus"
    assert {e["kind"] for e in events if e["actor"] == potus} == {"post"}
    reach = defaultdict(set)
    for e in events:
        if e["kind"] in ("like", "reply", "share", "quote") and e["target"]:
            reach[e["target"]].add(e["actor"])
    ranked = sorted(reach, key=lambda p: len(reach[p]), reverse=True)
    assert ranked[0] == potus
    assert len(reach[potus]) >= 200
    assert {e["kind"] for e in events if e["target"] == potus} == {
        "like",
        "reply",
        "share",
        "quote",
        "view",
        "mention",
        "follow",
    }


def test_the_connector_answers_every_reply_and_message_to_her_within_hours(events, community):
    julie = "synthetic:julie"
    friends = set(community.roles["connector_friends"])
    answers = defaultdict(list)
    for e in events:
        if e["actor"] == julie and e["kind"] in ("reply", "message"):
            answers[e["parent_id"]].append(e)
    to_her = [e for e in events if e["target"] == julie and e["kind"] in ("reply", "message")]
    assert len(to_her) >= 20
    for e in to_her:
        assert e["actor"] in friends
        (answer,) = answers[e["content_id"]]
        assert answer["kind"] == e["kind"]
        assert timedelta(0) <= answer["ts"] - e["ts"] <= 5 * HOUR


def test_the_connector_gives_to_her_friends_who_answer_and_reciprocate(events, items, community):
    julie = "synthetic:julie"
    friends = set(community.roles["connector_friends"])
    hers = [e for e in events if e["actor"] == julie and e["kind"] != "post"]
    assert {e["target"] for e in hers} <= friends
    assert {e["kind"] for e in hers} == {"reply", "like", "message"}
    # Her comments on friends' posts are answered: dialogue she sparked.
    comments = [e for e in hers if e["kind"] == "reply" and items[e["parent_id"]]["kind"] == "post"]
    answered = {e["parent_id"] for e in events if e["target"] == julie and e["kind"] == "reply"}
    assert len(comments) >= 5
    assert all(c["content_id"] in answered for c in comments)
    # Everyone she gives to gives back.
    given_to = {e["target"] for e in hers}
    gave_back = {e["actor"] for e in events if e["target"] == julie}
    assert given_to <= gave_back
    # Modest reception: a fraction of the broadcaster's.
    received = Counter(e["target"] for e in events)
    assert received[julie] < received["synthetic:potus"] / 2


def test_the_listener_posts_little_and_answers_nearly_everything(events):
    me = "synthetic:listener"
    addressed = [e for e in events if e["target"] == me and e["kind"] in ("reply", "message")]
    mentions = [e for e in events if e["target"] == me and e["kind"] == "mention"]
    answered = {e["parent_id"] for e in events if e["actor"] == me}
    hits = sum(e["content_id"] in answered for e in addressed)
    hits += sum(m["thread_id"] in answered for m in mentions)
    total = len(addressed) + len(mentions)
    assert total >= 10
    assert hits >= 0.9 * total
    assert sum(e["actor"] == me and e["kind"] == "post" for e in events) <= 3


def test_the_spray_liker_likes_one_post_each_of_many_strangers_and_nobody_answers(events, items):
    me = "synthetic:sprayer"
    mine = [e for e in events if e["actor"] == me]
    assert {e["kind"] for e in mine} == {"like"}
    targets = Counter(e["target"] for e in mine)
    assert len(targets) >= 100
    assert set(targets.values()) == {1}
    assert all(items[e["parent_id"]]["kind"] == "post" for e in mine)
    assert not [e for e in events if e["target"] == me]


def test_the_like_ring_likes_every_post_of_every_other_member_and_nobody_else_touches_it(
    events, community
):
    ring = set(community.roles["like_ring"])
    rows_ = touching(events, list(ring))
    assert all(e["actor"] in ring and e["target"] in ring | {None} for e in rows_)
    posts = [e for e in rows_ if e["kind"] == "post"]
    likes = {(e["actor"], e["parent_id"]) for e in rows_ if e["kind"] == "like"}
    assert {e["kind"] for e in rows_} == {"post", "like"}
    assert len(posts) >= 3 * len(ring)
    for p in posts:
        assert {a for a, post in likes if post == p["content_id"]} == ring - {p["actor"]}


def test_bots_only_amplify_one_account_which_only_bots_engage(events, tables, community):
    bots = set(community.roles["bots"])
    (amplified,) = community.roles["bot_amplified"]
    assert not [e for e in events if e["target"] in bots]
    theirs = [e for e in events if e["actor"] in bots]
    assert {e["kind"] for e in theirs} == {"like", "share"}
    assert {e["target"] for e in theirs} == {amplified}
    assert {e["actor"] for e in theirs} == bots
    to_it = [e for e in events if e["target"] == amplified]
    assert {e["actor"] for e in to_it} == bots
    # Fresh accounts: created late in the span, a few days before they act.
    created = {p["id"]: p["created_at"] for p in tables["people"].to_pylist()}
    assert all(created[b] > START + timedelta(days=250) for b in bots)
    assert all(created[p] < START for p in created if ":u" in p)


def test_sock_puppets_talk_at_length_only_to_each_other(events, items, community):
    socks = community.roles["sock_puppets"]
    rows_ = touching(events, socks)
    assert all(e["actor"] in socks and e["target"] in [*socks, None] for e in rows_)
    replies = [e for e in rows_ if e["kind"] == "reply"]
    assert {e["kind"] for e in rows_} == {"post", "reply"}
    assert len(replies) >= 100
    assert all(e["target"] != e["actor"] for e in replies)
    # Long chains: most replies answer a reply.
    assert sum(items[e["parent_id"]]["kind"] == "reply" for e in replies) > 0.9 * len(replies)


# -- loading, boundaries, properties ---------------------------------------------------------


def test_loading_twice_adds_nothing_the_second_time(store):
    first = store.load(generate(2_000, seed=1).parsed)
    assert (first.events_read, first.events_added, first.events_skipped) == (2_000, 2_000, 0)
    assert first.format == first.platform == "synthetic"
    assert first.people_added == rows(store, "SELECT count(*) FROM people")[0][0] > 300
    again = store.load(generate(2_000, seed=1).parsed)
    assert (again.events_added, again.events_skipped, again.people_added) == (0, 2_000, 0)
    assert rows(store, "SELECT handle, display_name FROM people WHERE id = 'synthetic:julie'") == [
        ("julie", "Julie")
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"events": 999}, "The 'events' parameter of generate must be an int of at least 1000. "
         "Got 999 instead."),
        ({"events": 5000.0}, "The 'events' parameter of generate must be an int of at least "
         "1000. Got 5000.0 instead."),
        ({"seed": -1}, "The 'seed' parameter of generate must be a non-negative int. "
         "Got -1 instead."),
        ({"seed": "1"}, "The 'seed' parameter of generate must be a non-negative int. "
         "Got '1' instead."),
        ({"days": 0}, "The 'days' parameter of generate must be an int of at least 1. "
         "Got 0 instead."),
        ({"window": 10}, "The 'window' parameter of generate must be an int of at least 1000. "
         "Got 10 instead."),
        ({"start": "2024-01-01"}, "The 'start' parameter of generate must be a datetime. "
         "Got '2024-01-01' instead."),
    ],
)  # fmt: skip
def test_arguments_are_checked_at_the_boundary(kwargs: dict[str, Any], message: str):
    with pytest.raises(ParameterError) as err:
        generate(**kwargs)
    assert str(err.value) == message


@settings(max_examples=15, deadline=None)
@given(events=st.integers(1_000, 20_000), seed=st.integers(0, 2**32 - 1))
def test_any_size_and_seed_gives_exactly_that_many_events_with_unique_ids(events, seed):
    table = generate(events, seed=seed).table()
    assert table.num_rows == events
    ids = table.column("event_id")
    assert len(ids.unique()) == events
