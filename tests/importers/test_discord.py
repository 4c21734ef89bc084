"""The DiscordChatExporter importer, on hand-written exports of a tiny server.

The fixture in ``tests/fixtures/discord/`` holds three files in DiscordChatExporter's JSON
format (times at +01:00), and a ``media_Files`` folder as the exporter writes beside them:

- general.json (#general, GuildTextChat): 001 carol joins the server (a notice), waved at
  by alice and one user the export does not list; 002 alice proposes Friday, "@Bob" in
  the text, 👍 by bob and carol, :partyparrot: by bob; 003 bob replies to 002 (the reply
  pings alice: she is in ``mentions`` but not in the text); 004 carol replies to 003 and
  names "@Bob" in the text too; 005 alice replies to a message older than the export,
  pinging dave; 006 bob forwards a message from another channel; 007 the "started a
  thread" notice; 008 MeetupBot's reminder.
- meetup-thread.json (the thread started from 002, GuildPublicThread, id = 002's id):
  010 the starter copy (type "21"); 011 bob offers snacks; 012 alice replies to 011.
- dm-bob.json (DirectTextChat): alice writes bob; bob answers, alice hearts it.

18 events, worked out by hand: 2 posts (002, 008), 5 replies (003, 004, 005, 011, 012),
6 likes (wave + the unlisted waver, 👍 x2, parrot, heart), 2 mentions (bob in 002 and in
004), 1 share (006), 2 private messages.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from narrowcast.errors import InputError
from narrowcast.importers.discord import parse_discord, read_discord
from narrowcast.model import EVENTS
from tests.conftest import FIXTURES, REPO, collect, rows

FIXTURE = FIXTURES / "discord"
GENERAL = FIXTURE / "general.json"
SAMPLES = REPO.parent / "shared" / "checks" / "platform_samples.py"
EXPECTED = "expected a DiscordChatExporter JSON export: {guild, channel, messages: [...]}"

ALICE, BOB, CAROL, DAVE, BOT = (f"discord:11100000000000001{i}" for i in range(1, 6))


def m(n: int) -> str:
    """The id of message n of the fixture's server (12100000000000000nn)."""
    return f"12100000000000000{n:02d}"


def events_by_id(parsed) -> dict[str, dict]:
    return {row["event_id"]: row for row in collect(parsed)["events"].to_pylist()}


def event(**columns) -> dict:
    """An event row as the importer gives it: discord, public, quantity 1, no source."""
    row = dict.fromkeys(EVENTS.names)
    row.update(platform="discord", visibility="public", quantity=1)
    row.update(columns)
    return row


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def write(path: Path, channel: dict, messages: list, **head) -> Path:
    """An export file in the exporter's layout: guild, channel, dateRange, messages."""
    data = {"guild": {"id": "880000000000000001", "name": "Example Meetups"}, "channel": channel}
    data.update(head)
    data.update({"dateRange": {"after": None, "before": None}, "messages": messages})
    data["messageCount"] = len(messages)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def user(uid: str, name: str) -> dict:
    return {"id": uid, "name": name, "nickname": name.title(), "isBot": False}


def message(mid: str, author: dict, **fields) -> dict:
    out = {"id": mid, "type": "Default", "timestamp": "2024-03-01T10:00:00+00:00"}
    out.update(content="hi", author=author, reactions=[], mentions=[])
    out.update(fields)
    return out


TEXT = {"id": "770000000000000001", "type": "GuildTextChat", "name": "general"}


# --- the fixture, row by row ------------------------------------------------------------------


def test_every_message_of_the_fixture_is_accounted_for():
    parsed = read_discord([FIXTURE])
    events = collect(parsed)["events"]
    assert events.num_rows == 18
    assert Counter(events.column("kind").to_pylist()) == {
        "post": 2,
        "reply": 5,
        "like": 6,
        "mention": 2,
        "share": 1,
        "message": 2,
    }
    ids = events.column("event_id").to_pylist()
    assert len(set(ids)) == len(ids)
    assert parsed.bad_rows == 0
    # In name order; the media folder's .json is not an export.
    assert [p.name for p in parsed.paths] == ["dm-bob.json", "general.json", "meetup-thread.json"]


def test_people_are_everyone_seen_once_with_their_nickname():
    people = collect(read_discord([FIXTURE]))["people"].to_pylist()
    assert [(p["id"], p["handle"], p["display_name"], p["attributes"]) for p in people] == [
        (ALICE, "alice", "Alice", '{"is_bot": false}'),
        (BOB, "bob", "Bob", '{"is_bot": false}'),
        (CAROL, "carol", "Carol", '{"is_bot": false}'),
        (DAVE, "dave", "Dave", '{"is_bot": false}'),  # only mentioned
        (BOT, "MeetupBot", "MeetupBot", '{"is_bot": true}'),
    ]


def test_a_message_is_a_post_that_starts_its_own_thread_at_its_utc_time():
    assert events_by_id(read_discord([GENERAL]))[m(2)] == event(
        event_id=m(2),
        ts=utc("2024-03-01T09:00:00+00:00"),
        actor=ALICE,
        kind="post",
        content_id=m(2),
        thread_id=m(2),
        subtype="Default",
        text="Proposal: move the meetup to Friday @Bob",
    )


def test_a_reply_is_toward_the_replied_author_and_its_ping_is_no_mention():
    events = events_by_id(read_discord([GENERAL]))
    assert events[m(3)] == event(
        event_id=m(3),
        ts=utc("2024-03-01T09:05:00+00:00"),
        actor=BOB,
        kind="reply",
        target=ALICE,
        content_id=m(3),
        parent_id=m(2),
        thread_id=m(2),
        subtype="Reply",
        text="Friday works for me",
    )
    assert f"{m(3)}/mention/{ALICE.split(':')[1]}" not in events


def test_a_reply_that_also_names_the_replied_author_mentions_them():
    events = events_by_id(read_discord([GENERAL]))
    reply = events[m(4)]
    assert (reply["target"], reply["parent_id"], reply["thread_id"]) == (BOB, m(3), m(2))
    assert reply["ts"] == datetime(2024, 3, 1, 9, 7, 30, 250_000, tzinfo=UTC)
    mention = events[f"{m(4)}/mention/{BOB.split(':')[1]}"]
    assert (mention["actor"], mention["kind"], mention["target"], mention["thread_id"]) == (
        CAROL,
        "mention",
        BOB,
        m(2),
    )


def test_a_reply_to_a_message_outside_the_file_is_toward_the_person_it_pinged():
    events = events_by_id(read_discord([GENERAL]))
    reply = events[m(5)]
    assert (reply["target"], reply["parent_id"], reply["thread_id"]) == (
        DAVE,
        "1200000000000000099",
        None,  # the store follows the parent to its thread
    )
    assert not [k for k in events if k.startswith(f"{m(5)}/mention")]


def test_a_forward_is_a_share_of_the_forwarded_message():
    share = events_by_id(read_discord([GENERAL]))[m(6)]
    assert (share["kind"], share["parent_id"], share["subtype"], share["text"]) == (
        "share",
        "1190000000000000555",
        "Forward",
        None,
    )


def test_each_reacting_user_likes_the_author_and_unlisted_ones_are_one_anonymous_row():
    events = events_by_id(read_discord([GENERAL]))
    parrot = f"{m(2)}/like/990000000000000001/{BOB.split(':')[1]}"
    assert events[parrot] == event(
        event_id=parrot,
        ts=utc("2024-03-01T09:00:00+00:00"),
        actor=BOB,
        kind="like",
        target=ALICE,
        parent_id=m(2),
        thread_id=m(2),
        subtype="reaction:partyparrot",
    )
    assert {k for k in events if k.startswith(f"{m(2)}/like/👍/")} == {
        f"{m(2)}/like/👍/{BOB.split(':')[1]}",
        f"{m(2)}/like/👍/{CAROL.split(':')[1]}",
    }
    others = events[f"{m(1)}/like/👋/others"]
    assert (others["actor"], others["target"], others["quantity"]) == (None, CAROL, 1)


def test_notices_are_no_events_but_the_wave_at_a_join_is_a_like_toward_the_joiner():
    events = events_by_id(read_discord([FIXTURE]))
    for notice in (m(1), m(7), m(10)):  # joined, started a thread, the thread's starter copy
        assert notice not in events
    wave = events[f"{m(1)}/like/👋/{ALICE.split(':')[1]}"]
    assert (wave["actor"], wave["target"], wave["parent_id"]) == (ALICE, CAROL, m(1))


def test_a_bot_posts_under_its_own_id():
    assert events_by_id(read_discord([GENERAL]))[m(8)]["actor"] == BOT


def test_in_a_thread_a_message_replies_to_the_message_the_thread_started_from():
    events = events_by_id(read_discord([FIXTURE / "meetup-thread.json"]))
    assert events[m(11)] == event(
        event_id=m(11),
        ts=utc("2024-03-01T11:40:00+00:00"),
        actor=BOB,
        kind="reply",
        content_id=m(11),
        parent_id=m(2),  # the thread's id
        thread_id=m(2),
        subtype="Default",
        text="I can bring snacks",
    )
    assert (events[m(12)]["target"], events[m(12)]["parent_id"]) == (BOB, m(11))


def test_a_direct_message_is_a_private_message_toward_the_other_participant():
    events = events_by_id(read_discord([FIXTURE / "dm-bob.json"]))
    assert events["1220000000000000001"] == event(
        event_id="1220000000000000001",
        ts=utc("2024-03-02T17:00:00+00:00"),
        actor=ALICE,
        kind="message",
        target=BOB,
        content_id="1220000000000000001",
        thread_id="1220000000000000001",
        visibility="private",
        subtype="Default",
        text="see you Friday",
    )
    heart = events[f"1220000000000000002/like/❤️/{ALICE.split(':')[1]}"]
    assert (heart["target"], heart["visibility"]) == (BOB, "private")


def test_a_group_message_goes_to_every_other_participant_seen_in_the_file(tmp_path):
    a, b, c = user("1", "ann"), user("2", "ben"), user("3", "cat")
    path = write(
        tmp_path / "group.json",
        {"id": "9", "type": "DirectGroupTextChat", "name": "ann, ben, cat"},
        [
            message("100", a, content="dinner?"),
            # cat only reacts, yet is in the conversation
            message(
                "101",
                b,
                reactions=[{"emoji": {"id": None, "name": "🍕"}, "count": 1, "users": [c]}],
            ),
        ],
    )
    events = collect(read_discord([path]))["events"].to_pylist()
    got = [(e["event_id"], e["kind"], e["target"], e["content_id"], e["text"]) for e in events]
    assert got[:2] == [
        ("100", "message", "discord:2", "100", "dinner?"),
        ("100/to/3", "message", "discord:3", None, None),
    ]
    assert {e["visibility"] for e in events} == {"private"}


def test_a_private_thread_is_private(tmp_path):
    path = write(
        tmp_path / "t.json",
        {"id": "500", "type": "GuildPrivateThread", "name": "mods"},
        [message("500", user("1", "ann")), message("501", user("2", "ben"))],
    )
    events = collect(read_discord([path]))["events"].to_pylist()
    assert [(e["kind"], e["visibility"], e["parent_id"]) for e in events] == [
        ("post", "private", None),  # the thread's own first message
        ("reply", "private", "500"),
    ]


def test_a_channel_exported_twice_in_one_import_is_read_once(tmp_path):
    copy = shutil.copy(GENERAL, tmp_path / "general-again.json")
    once = collect(read_discord([GENERAL]))["events"]
    twice = collect(read_discord([GENERAL, copy]))["events"]
    assert twice.equals(once)


def test_platform_names_the_rows_and_the_people():
    got = collect(read_discord([GENERAL], platform="meetups"))
    assert set(got["events"].column("platform").to_pylist()) == {"meetups"}
    assert "meetups:111000000000000011" in got["people"].column("id").to_pylist()


def test_parse_discord_gives_the_rows_read_discord_does():
    events, people, bad = parse_discord(json.loads(GENERAL.read_text(encoding="utf-8")))
    read = collect(read_discord([GENERAL]))
    assert events.equals(read["events"]) and people.equals(read["people"]) and bad == 0


def test_a_large_export_is_streamed_in_batches(tmp_path):
    ann = user("1", "ann")
    path = write(tmp_path / "big.json", TEXT, [message(str(1000 + i), ann) for i in range(500)])
    chunks = [c for c in read_discord([path], batch_rows=64) if c.table == "events"]
    assert len(chunks) == 8 and max(c.batch.num_rows for c in chunks) <= 64
    assert sum(c.batch.num_rows for c in chunks) == 500


# --- into the store -----------------------------------------------------------------------------


def test_importing_twice_adds_nothing_and_the_store_fills_the_thread_reply_target(store):
    first = store.load(read_discord([FIXTURE]))
    assert (first.events_added, first.events_skipped) == (18, 0)
    again = store.load(read_discord([FIXTURE]))
    assert (again.events_added, again.events_skipped) == (0, 18)
    # bob's message in the thread is toward alice, who wrote the message it started from.
    assert rows(store, f"SELECT target FROM event_log WHERE event_id = '{m(11)}'") == [(ALICE,)]


def test_the_acceptance_sample_yields_the_kinds_it_must(tmp_path):
    if not SAMPLES.exists():
        pytest.skip(f"{SAMPLES} not found (../shared is absent here)")
    subprocess.run([sys.executable, str(SAMPLES), str(tmp_path)], check=True, capture_output=True)
    events = collect(read_discord([tmp_path / "discord" / "general.json"]))["events"]
    kinds = Counter(events.column("kind").to_pylist())
    assert kinds["reply"] >= 3 and kinds["like"] >= 6


# --- bad input -----------------------------------------------------------------------------------


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(InputError) as err:
        read_discord([tmp_path / "nope.json"])
    assert str(err.value) == f"{tmp_path / 'nope.json'}: no such file; {EXPECTED}"


def test_a_folder_without_exports_says_so(tmp_path):
    with pytest.raises(InputError, match=r"holds no .json file; expected a DiscordChatExporter"):
        read_discord([tmp_path])


def test_an_empty_file_says_so(tmp_path):
    (tmp_path / "x.json").write_text("")
    with pytest.raises(InputError, match=r"x.json: is empty; expected a DiscordChatExporter"):
        read_discord([tmp_path / "x.json"])


def test_a_list_is_not_an_export(tmp_path):
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(InputError) as err:
        collect(read_discord([tmp_path / "x.json"]))
    assert str(err.value) == f"{tmp_path / 'x.json'}, line 1: found '['; {EXPECTED}"


def test_malformed_json_names_its_line(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(GENERAL.read_text(encoding="utf-8").replace('"Friday works for me"', "Friday"))
    with pytest.raises(InputError) as err:
        collect(read_discord([path]))
    line = GENERAL.read_text(encoding="utf-8")[: GENERAL.read_text().index("Friday works")]
    assert str(err.value) == (
        f"{path}, line {line.count(chr(10)) + 1}: not valid JSON: Expecting value; {EXPECTED}"
    )


def test_a_byte_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "x.json"
    text = GENERAL.read_bytes().replace(b"Friday works", b"Fr\xefday works")
    path.write_bytes(text)
    with pytest.raises(InputError) as err:
        collect(read_discord([path]))
    line = text[: text.index(b"Fr\xefday")].count(b"\n") + 1
    assert str(err.value) == f"{path}, line {line}: byte 0xef is not UTF-8; {EXPECTED} in UTF-8"


def test_an_export_without_messages_or_channel_says_so(tmp_path):
    (tmp_path / "a.json").write_text('{"guild": {}, "channel": {"id": "1", "type": "x"}}')
    with pytest.raises(InputError, match=r"a.json: has no messages list; expected"):
        collect(read_discord([tmp_path / "a.json"]))
    (tmp_path / "b.json").write_text('{"guild": {},\n"messages": []}')
    with pytest.raises(InputError, match=r"b.json, line 2: the messages come before the channel"):
        collect(read_discord([tmp_path / "b.json"]))


def test_a_message_without_an_author_names_its_line(tmp_path):
    ann = user("1", "ann")
    bad = message("101", dict(ann))
    del bad["author"]["id"]
    path = write(tmp_path / "x.json", TEXT, [message("100", ann), bad, message("102", ann)])
    with pytest.raises(InputError) as err:
        collect(read_discord([path]))
    text = path.read_text()
    line = text[: text.index('"id": "101"')].count("\n")  # the line of the message's "{"
    assert str(err.value) == (
        f'{path}, line {line}: message has no author.id; expected e.g. "author.id": '
        '"1111222233334444"'
    )
    parsed = read_discord([path], skip_bad_rows=True)
    assert collect(parsed)["events"].column("event_id").to_pylist() == ["100", "102"]
    assert parsed.bad_rows == 1


def test_a_timestamp_that_is_not_iso_says_what_is_expected():
    export = {"channel": TEXT, "messages": [message("1", user("1", "a"), timestamp="yesterday")]}
    with pytest.raises(InputError) as err:
        parse_discord(export)
    assert str(err.value) == (
        "<export>, message 0: timestamp 'yesterday' is not ISO 8601; "
        "expected e.g. '2024-03-01T09:00:00.123+01:00'"
    )
