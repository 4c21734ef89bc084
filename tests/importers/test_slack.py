"""The Slack export importer, on a hand-written workspace export.

The fixture in ``tests/fixtures/slack/`` is a tiny workspace in the export's real format:

- users.json: alice (display name "Alice"), bob (empty display name: his real name),
  carol (deleted, display name "carol.c"), helperbot (a bot user).
- channels.json: #general (C0GENERAL) and #random (no folder: no messages);
  groups.json: the private #secret-plans (G0SECRET); dms.json: alice and bob (D0AB);
  mpims.json: alice, bob and carol (G0MPIM). integration_logs.json is not read.
- general/2024-03-01.json: carol's channel_join, waved at by alice; alice's release notes
  (cc bob and carol, and @here), +1 by bob and carol, tada by bob and 4 people the export
  does not list; bob's reply in the thread naming alice; deploybot's bot_message, rocket
  by carol.
- general/2024-03-02.json: carol's reply in alice's thread, also sent to the channel
  (thread_broadcast); bob's "morning all"; alice's channel_topic change.
- secret-plans/2024-03-01.json: alice's post naming carol; bob's reply in its thread
  without parent_user_id.
- D0AB/2024-03-01.json: bob and alice, a heart by bob.
- mpdm-alice--bob--carol-1/2024-03-02.json: carol asks the two others "lunch?".

That is 22 events, worked out by hand: 4 posts, 3 replies, 7 likes (one the anonymous
rest of the tada), 4 mentions, 4 private messages.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrowcast.errors import InputError, ParameterError
from narrowcast.importers._json import JsonStream
from narrowcast.importers.slack import parse_slack, read_slack
from narrowcast.model import EVENTS
from tests.conftest import FIXTURES, REPO, collect, rows

FIXTURE = FIXTURES / "slack"
SAMPLES = REPO.parent / "shared" / "checks" / "platform_samples.py"
EXPECTED = "expected a Slack export JSON file"


def events_by_id(parsed) -> dict[str, dict]:
    return {row["event_id"]: row for row in collect(parsed)["events"].to_pylist()}


def ts(seconds: float, micros: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=micros)


def event(**columns) -> dict:
    """An event row as the importer gives it: slack, public, quantity 1, no source."""
    row = dict.fromkeys(EVENTS.names)
    row.update(platform="slack", visibility="public", quantity=1)
    row.update(columns)
    return row


def export(tmp_path: Path, **days: str | bytes) -> Path:
    """A copy of the fixture with some files replaced: ``general="[...]"`` writes
    general/2024-03-01.json; other keys are paths inside the export, '__' for '/'."""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURE, folder)
    for key, content in days.items():
        name = "general/2024-03-01.json" if key == "general" else key.replace("__", "/")
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


GENERAL = "C0GENERAL"
NOTES = f"{GENERAL}/1709283600.000200"


# --- the fixture, row by row ------------------------------------------------------------------


def test_every_message_of_the_fixture_is_accounted_for():
    parsed = read_slack([FIXTURE])
    got = collect(parsed)
    events = got["events"]
    assert events.num_rows == 22
    assert Counter(events.column("kind").to_pylist()) == {
        "post": 4,  # release notes, deploybot, morning all, surprise party
        "reply": 3,  # bob and carol in the notes' thread, bob in secret-plans
        "like": 7,  # wave, +1 x2, tada + the 4 unlisted, rocket, heart
        "mention": 4,  # bob and carol in the notes, alice in bob's reply, carol
        "message": 4,  # two in the DM, lunch? to alice and to bob
    }
    ids = events.column("event_id").to_pylist()
    assert len(set(ids)) == len(ids)
    assert parsed.bad_rows == 0
    assert parsed.format == "slack" and parsed.platform == "slack"


def test_people_come_from_users_json_and_bot_messages():
    people = {p["id"]: p for p in collect(read_slack([FIXTURE]))["people"].to_pylist()}
    assert sorted(people) == [
        "slack:B0DEPLOY",
        "slack:UALICE",
        "slack:UBOB",
        "slack:UCAROL",
        "slack:UHELPER",
    ]
    assert people["slack:UALICE"] == {
        "id": "slack:UALICE",
        "platform": "slack",
        "handle": "alice",
        "display_name": "Alice",
        "audience_size": None,
        "created_at": None,
        "attributes": '{"real_name": "Alice Archer", "is_bot": false, "is_app_user": false, '
        '"deleted": false, "is_admin": true, "is_owner": true, "tz": "Europe/Paris", '
        '"team_id": "T0EXAMPLE", "title": "Community lead", "email": "alice@example.org"}',
    }
    # No display name: Slack shows the real name.
    assert people["slack:UBOB"]["display_name"] == "Bob Baker"
    # A deleted account keeps its row; real_name only in the profile.
    assert people["slack:UCAROL"]["display_name"] == "carol.c"
    assert json.loads(people["slack:UCAROL"]["attributes"])["deleted"] is True
    assert json.loads(people["slack:UHELPER"]["attributes"])["is_bot"] is True
    assert people["slack:B0DEPLOY"]["handle"] == "deploybot"
    assert json.loads(people["slack:B0DEPLOY"]["attributes"]) == {"is_bot": True}


def test_a_thread_root_is_a_post_that_is_its_own_thread():
    assert events_by_id(read_slack([FIXTURE]))[NOTES] == event(
        event_id=NOTES,
        ts=ts(1709283600, 200),
        actor="slack:UALICE",
        kind="post",
        content_id=NOTES,
        thread_id=NOTES,
        text="Release notes are up: <https://example.org/notes|notes> cc <@UBOB> "
        "<@UCAROL|carol> <!here>",
    )


def test_a_thread_reply_is_a_reply_to_the_root_toward_its_author():
    reply = f"{GENERAL}/1709283700.000300"
    assert events_by_id(read_slack([FIXTURE]))[reply] == event(
        event_id=reply,
        ts=ts(1709283700, 300),
        actor="slack:UBOB",
        kind="reply",
        target="slack:UALICE",  # parent_user_id
        content_id=reply,
        parent_id=NOTES,
        thread_id=NOTES,
        text="Thanks! <@UALICE> one typo in section 2",
    )


def test_a_reply_sent_to_the_channel_too_keeps_its_subtype_and_crosses_days():
    broadcast = events_by_id(read_slack([FIXTURE]))[f"{GENERAL}/1709370000.000500"]
    assert (broadcast["kind"], broadcast["parent_id"], broadcast["subtype"]) == (
        "reply",
        NOTES,
        "thread_broadcast",
    )


def test_each_reacting_user_likes_the_author_at_the_message_time():
    events = events_by_id(read_slack([FIXTURE]))
    assert events[f"{NOTES}/like/+1/UCAROL"] == event(
        event_id=f"{NOTES}/like/+1/UCAROL",
        ts=ts(1709283600, 200),
        actor="slack:UCAROL",
        kind="like",
        target="slack:UALICE",
        parent_id=NOTES,
        thread_id=NOTES,
        subtype="reaction:+1",
    )
    assert f"{NOTES}/like/+1/UBOB" in events


def test_reactors_the_export_does_not_list_are_one_anonymous_row():
    others = events_by_id(read_slack([FIXTURE]))[f"{NOTES}/like/tada/others"]
    assert (others["actor"], others["target"], others["quantity"]) == (None, "slack:UALICE", 4)


def test_each_person_named_in_a_message_is_mentioned_once():
    events = events_by_id(read_slack([FIXTURE]))
    mentions = sorted(k for k, e in events.items() if e["kind"] == "mention")
    assert mentions == [
        f"{NOTES}/mention/UBOB",
        f"{NOTES}/mention/UCAROL",  # written <@UCAROL|carol>; <!here> is no one
        f"{GENERAL}/1709283700.000300/mention/UALICE",
        "G0SECRET/1709290000.000800/mention/UCAROL",
    ]
    assert events[f"{NOTES}/mention/UBOB"] == event(
        event_id=f"{NOTES}/mention/UBOB",
        ts=ts(1709283600, 200),
        actor="slack:UALICE",
        kind="mention",
        target="slack:UBOB",
        thread_id=NOTES,
    )


def test_parse_slack_mentions_a_person_named_twice_once():
    events, _, _ = parse_slack([{"user": "U1", "ts": "1.000001", "text": "<@U2> <@U2|bo>"}])
    assert events.column("event_id").to_pylist() == ["C1/1.000001", "C1/1.000001/mention/U2"]


def test_a_join_is_no_event_but_the_wave_at_it_is_a_like_toward_the_joiner():
    events = events_by_id(read_slack([FIXTURE]))
    join = f"{GENERAL}/1709280000.000100"
    assert join not in events
    assert f"{join}/mention/UCAROL" not in events  # "<@UCAROL> has joined the channel"
    wave = events[f"{join}/like/wave/UALICE"]
    assert (wave["actor"], wave["target"], wave["parent_id"]) == (
        "slack:UALICE",
        "slack:UCAROL",
        join,
    )
    assert not [k for k in events if k.startswith(f"{GENERAL}/1709372000.000700")]  # topic


def test_an_integration_posts_under_its_bot_id():
    events = events_by_id(read_slack([FIXTURE]))
    deploy = events[f"{GENERAL}/1709287200.000400"]
    assert (deploy["actor"], deploy["kind"], deploy["subtype"]) == (
        "slack:B0DEPLOY",
        "post",
        "bot_message",
    )
    assert events[f"{GENERAL}/1709287200.000400/like/rocket/UCAROL"]["target"] == "slack:B0DEPLOY"


def test_a_private_channel_has_posts_and_replies_that_are_private():
    events = events_by_id(read_slack([FIXTURE]))
    secret = {k: e for k, e in events.items() if k.startswith("G0SECRET/")}
    assert {e["visibility"] for e in secret.values()} == {"private"}
    reply = secret["G0SECRET/1709290100.000900"]
    # No parent_user_id: the target is left to the store (see the store test below).
    assert (reply["kind"], reply["target"], reply["parent_id"]) == (
        "reply",
        None,
        "G0SECRET/1709290000.000800",
    )


def test_a_direct_message_is_a_private_message_toward_the_other_member():
    events = events_by_id(read_slack([FIXTURE]))
    assert events["D0AB/1709291000.001000"] == event(
        event_id="D0AB/1709291000.001000",
        ts=ts(1709291000, 1000),
        actor="slack:UBOB",
        kind="message",
        target="slack:UALICE",
        content_id="D0AB/1709291000.001000",
        thread_id="D0AB/1709291000.001000",
        visibility="private",
        text="are you around?",
    )
    heart = events["D0AB/1709291060.001100/like/heart/UBOB"]
    assert (heart["kind"], heart["target"], heart["visibility"]) == (
        "like",
        "slack:UALICE",
        "private",
    )


def test_a_group_message_goes_to_each_other_member_and_is_one_item():
    events = events_by_id(read_slack([FIXTURE]))
    lunch = "G0MPIM/1709373000.001200"
    group = [e for k, e in events.items() if k.startswith(lunch)]
    assert [(e["event_id"], e["target"], e["content_id"], e["text"]) for e in group] == [
        (lunch, "slack:UALICE", lunch, "lunch?"),
        (f"{lunch}/to/UBOB", "slack:UBOB", None, None),
    ]
    assert {(e["kind"], e["visibility"], e["thread_id"]) for e in group} == {
        ("message", "private", lunch)
    }


def test_platform_names_the_rows_the_people_and_nothing_else():
    got = collect(read_slack([FIXTURE], platform="acme"))
    assert set(got["events"].column("platform").to_pylist()) == {"acme"}
    assert "acme:UALICE" in got["people"].column("id").to_pylist()
    assert "C0GENERAL/1709283600.000200" in got["events"].column("content_id").to_pylist()


# --- the ways to give an export ---------------------------------------------------------------


def _zip(folder: Path, target: Path, prefix: str) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        if prefix:
            zf.writestr(prefix, "")  # a folder entry, as zip tools write them
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(folder).as_posix())
    return target


@pytest.mark.parametrize("prefix", ["", "Example Slack export Mar 1 2024/"])
def test_the_zip_gives_the_same_rows_as_the_folder(tmp_path, prefix):
    archive = _zip(FIXTURE, tmp_path / "export.zip", prefix)
    parsed = read_slack([archive])
    assert parsed.paths == [archive]
    assert 0 < parsed.total_bytes < archive.stat().st_size  # compressed members read
    from_zip = collect(parsed)
    from_folder = collect(read_slack([FIXTURE]))
    assert from_zip["events"].equals(from_folder["events"])
    assert from_zip["people"].equals(from_folder["people"])


def test_users_json_stands_for_its_folder_and_the_files_read_are_listed():
    parsed = read_slack([FIXTURE / "users.json"])
    names = sorted(p.relative_to(FIXTURE).as_posix() for p in parsed.paths)
    assert names == [
        "D0AB/2024-03-01.json",
        "channels.json",
        "dms.json",
        "general/2024-03-01.json",
        "general/2024-03-02.json",
        "groups.json",
        "mpdm-alice--bob--carol-1/2024-03-02.json",
        "mpims.json",
        "secret-plans/2024-03-01.json",
        "users.json",
    ]
    assert parsed.total_bytes == sum(p.stat().st_size for p in parsed.paths)


def test_a_folder_no_listing_names_is_a_public_channel_named_by_the_folder(tmp_path):
    folder = export(tmp_path)
    (folder / "orphans").mkdir()
    (folder / "orphans" / "2024-03-01.json").write_text(
        '[{"type": "message", "user": "UBOB", "text": "hi", "ts": "1709290000.000100"}]'
    )
    row = events_by_id(read_slack([folder]))["orphans/1709290000.000100"]
    assert (row["kind"], row["visibility"]) == ("post", "public")


def test_a_large_day_is_streamed_in_batches(tmp_path):
    messages = [
        {"user": "UBOB", "text": f"note {i}", "ts": f"{1709290000 + i}.000100"} for i in range(1000)
    ]
    folder = export(tmp_path, general=json.dumps(messages))
    chunks = [c for c in read_slack([folder], batch_rows=100) if c.table == "events"]
    assert len(chunks) > 10
    assert max(c.batch.num_rows for c in chunks) <= 100
    assert sum(c.batch.num_rows for c in chunks) == 1000 + 10  # and the 10 rows of the other days
    assert [c.bytes_read for c in chunks] == sorted(c.bytes_read for c in chunks)


@settings(max_examples=30, deadline=None)
@given(st.permutations(json.loads((FIXTURE / "general" / "2024-03-01.json").read_text())))
def test_the_order_of_messages_changes_no_row(messages):
    rows_ = parse_slack(messages, channel=GENERAL)[0].to_pylist()
    expected = parse_slack(
        json.loads((FIXTURE / "general" / "2024-03-01.json").read_text()), channel=GENERAL
    )[0].to_pylist()
    key = lambda r: r["event_id"]  # noqa: E731
    assert sorted(rows_, key=key) == sorted(expected, key=key)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
            max_leaves=6,
        ),
        max_size=6,
    ),
    st.integers(1, 9),
    st.booleans(),
)
def test_the_json_reader_reads_any_list_in_any_block_size(items, block, indent):
    text = json.dumps(items, indent=2 if indent else None, ensure_ascii=False)
    reader = JsonStream(io.BytesIO(text.encode("utf-8")), "x.json", "a list", block_bytes=block)
    got = list(reader.array("a list"))
    reader.end()
    assert [value for _, value in got] == items
    if indent and items:
        assert got[0][0] == 2  # the first item is on the second line


# --- into the store -----------------------------------------------------------------------------


def test_importing_twice_adds_nothing_and_the_store_fills_what_slack_leaves_out(store):
    first = store.load(read_slack([FIXTURE]))
    assert (first.events_added, first.events_skipped) == (22, 0)
    again = store.load(read_slack([FIXTURE]))
    assert (again.events_added, again.events_skipped) == (0, 22)
    # bob's reply in secret-plans had no parent_user_id: the root's author is its target.
    assert rows(
        store,
        "SELECT target FROM event_log WHERE event_id = 'G0SECRET/1709290100.000900'",
    ) == [("slack:UALICE",)]


def test_the_acceptance_sample_yields_the_kinds_it_must(tmp_path):
    if not SAMPLES.exists():
        pytest.skip(f"{SAMPLES} not found (../shared is absent here)")
    subprocess.run([sys.executable, str(SAMPLES), str(tmp_path)], check=True, capture_output=True)
    kinds = Counter(collect(read_slack([tmp_path / "slack"]))["events"].column("kind").to_pylist())
    assert kinds["reply"] >= 4 and kinds["like"] >= 4 and kinds["mention"] >= 4


# --- bad input -----------------------------------------------------------------------------------


def test_a_missing_path_says_so(tmp_path):
    with pytest.raises(InputError) as err:
        read_slack([tmp_path / "nowhere"])
    assert str(err.value) == (
        f"{tmp_path / 'nowhere'}: no such file or folder; expected a Slack workspace export, "
        "as a folder or .zip: users.json, channels.json and one folder per channel of "
        "YYYY-MM-DD.json files"
    )


def test_a_folder_that_is_not_an_export_says_what_it_lacks(tmp_path):
    (tmp_path / "general").mkdir()
    with pytest.raises(InputError, match=r"is not a Slack export: no users.json nor channels"):
        read_slack([tmp_path])


def test_a_file_that_is_not_a_zip_says_so(tmp_path):
    path = tmp_path / "export.zip"
    path.write_text("not a zip")
    with pytest.raises(InputError, match=r"export.zip: is not a .zip archive"):
        read_slack([path])


def test_paths_must_be_one_export():
    with pytest.raises(ParameterError, match="'paths' parameter of read_slack must be a list"):
        read_slack([FIXTURE, FIXTURE])


def test_malformed_json_names_the_file_and_line(tmp_path):
    folder = export(
        tmp_path, general='[\n  {"ts": "1709290000.000100", "user": "UBOB"},\n  {"ts" 5}\n]'
    )
    with pytest.raises(InputError) as err:
        collect(read_slack([folder]))
    assert str(err.value) == (
        f"{folder / 'general' / '2024-03-01.json'}, line 3: not valid JSON: "
        f"Expecting ':' delimiter; {EXPECTED}"
    )


def test_a_byte_that_is_not_utf8_names_its_line(tmp_path):
    folder = export(tmp_path, general=b'[\n {"ts": "1.1", "text": "caf\xe9"}\n]')
    with pytest.raises(InputError) as err:
        collect(read_slack([folder]))
    assert str(err.value) == (
        f"{folder / 'general' / '2024-03-01.json'}, line 2: byte 0xe9 is not UTF-8; "
        f"{EXPECTED} in UTF-8"
    )


def test_an_empty_day_file_says_so(tmp_path):
    folder = export(tmp_path, general="")
    with pytest.raises(InputError, match=r"2024-03-01.json: is empty; expected a Slack export"):
        collect(read_slack([folder]))


def test_a_day_that_is_not_a_list_says_so(tmp_path):
    folder = export(tmp_path, general='{"ts": "1709290000.000100"}')
    with pytest.raises(InputError, match=r"2024-03-01.json, line 1: found '\{'; expected"):
        collect(read_slack([folder]))


BAD_MESSAGES = '[\n{"user": "UBOB", "text": "no ts"},\n{"user": "UBOB", "ts": "yesterday"},\n{"user": "UBOB", "ts": "1709290000.000100"}\n]'  # noqa: E501


def test_a_message_without_ts_names_its_line(tmp_path):
    folder = export(tmp_path, general=BAD_MESSAGES)
    with pytest.raises(InputError) as err:
        collect(read_slack([folder]))
    assert str(err.value) == (
        f"{folder / 'general' / '2024-03-01.json'}, line 2: message has no ts; "
        'expected e.g. "ts": "1709283600.000100"'
    )


def test_skip_bad_rows_skips_and_counts_them(tmp_path):
    folder = export(tmp_path, general=BAD_MESSAGES)
    parsed = read_slack([folder], skip_bad_rows=True)
    events = collect(parsed)["events"]
    assert parsed.bad_rows == 2
    assert f"{GENERAL}/1709290000.000100" in events.column("event_id").to_pylist()


def test_a_ts_that_is_not_a_slack_timestamp_says_what_is_expected():
    with pytest.raises(InputError) as err:
        parse_slack([{"user": "U1", "ts": "2024-03-01"}])
    assert str(err.value) == (
        "<records>, message 0: ts '2024-03-01' is not a Slack timestamp; "
        'expected e.g. "ts": "1709283600.000100"'
    )


def test_a_truncated_file_says_so(tmp_path):
    folder = export(tmp_path, general='[{"ts": "1709290000.000100", "user": "UB')
    with pytest.raises(InputError, match=r"line 1: the file ends inside a JSON value"):
        collect(read_slack([folder]))
