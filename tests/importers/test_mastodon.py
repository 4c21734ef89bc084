"""The Mastodon export importer, on a hand-written export in the real format.

``tests/fixtures/mastodon/`` is the export of alice@social.example as Mastodon writes it:

- actor.json: alice, "Alice A.", created 2022-11-01.
- outbox.json, six activities: 1 a public post with a hashtag, naming bob@other.example;
  2 an unlisted reply to carol@other.example naming carol and dave@third.example; 3 a boost
  of bob's status; 4 a direct reply to bob (to: bob only); 5 a followers-only post with a
  content warning naming the local @erin; 6 a boost of a Misskey note (no author in its URL).
  Status ids are Mastodon's time-based ones (ms << 16).
- likes.json: a 2024-02-20 status of bob's, and frank's status 1234 (an old sequential id).
- bookmarks.json: a 2024-02-16 status of carol's.
- following_accounts.csv: the header, then bob, Carol (in capitals) and a local erin.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from narrowcast.errors import InputError
from narrowcast.importers.mastodon import parse_mastodon, read_mastodon
from narrowcast.model import EVENTS
from tests.conftest import collect, rows

FIXTURE = Path(__file__).parents[1] / "fixtures" / "mastodon"
SAMPLES = Path(__file__).parents[2] / ".." / "shared" / "checks" / "platform_samples.py"

ME = "https://social.example/users/alice"
ALICE, BOB, CAROL, DAVE, ERIN = (
    "mastodon:alice@social.example",
    "mastodon:bob@other.example",
    "mastodon:carol@other.example",
    "mastodon:dave@third.example",
    "mastodon:erin@social.example",
)
S1, S2, S3, S4, S5, S6 = (
    f"{ME}/statuses/{i}"
    for i in (
        "111906127872000000",
        "111912144076800000",
        "111919870771200000",
        "111926122905600000",
        "111928305254400000",
        "111934911283200000",
    )
)
CAROL_STATUS = "https://other.example/users/carol/statuses/111912026112000005"
BOB_BOOSTED = "https://other.example/users/bob/statuses/111919575859200002"
BOB_DIRECT = "https://other.example/users/bob/statuses/111925945958400004"
BOB_LIKED = "https://other.example/users/bob/statuses/111962750976000009"
FRANK_LIKED = "https://old.example/users/frank/statuses/1234"
CAROL_SAVED = "https://other.example/users/carol/statuses/111941045452800001"
EXPORT_TIME = "2024-02-15T10:00:00"  # the last activity of the outbox
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(**columns) -> dict:
    row = dict.fromkeys(EVENTS.names)
    row.update(platform="mastodon", visibility="public", quantity=1, actor=ALICE)
    row.update(columns)
    return row


def by_id(parsed) -> dict[str, dict]:
    return {r["event_id"]: r for r in collect(parsed)["events"].to_pylist()}


def export(tmp_path: Path, **files: str | bytes | None) -> Path:
    """A copy of the fixture with some files replaced (None: removed); ``outbox`` is
    outbox.json, ``following`` following_accounts.csv."""
    names = {"following": "following_accounts.csv"}
    root = tmp_path / "export"
    shutil.copytree(FIXTURE, root)
    for name, content in files.items():
        path = root / names.get(name, f"{name}.json")
        if content is None:
            path.unlink()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def outbox(*items: dict) -> str:
    return json.dumps({"type": "OrderedCollection", "orderedItems": list(items)})


# --- the fixture, row by row ------------------------------------------------------------


def test_every_item_of_the_fixture_is_accounted_for():
    parsed = read_mastodon([FIXTURE])
    events = collect(parsed)["events"]
    assert events.num_rows == 16
    assert Counter(events.column("kind").to_pylist()) == {
        "post": 2,  # 1, 5
        "reply": 2,  # 2, 4
        "share": 2,  # 3, 6
        "mention": 3,  # bob in 1, dave in 2, erin in 5
        "message": 1,  # bob in 4
        "like": 2,
        "bookmark": 1,
        "follow": 3,
    }
    ids = events.column("event_id").to_pylist()
    assert len(set(ids)) == len(ids)
    assert parsed.bad_rows == 0


def test_a_public_post_and_its_mention():
    got = by_id(read_mastodon([FIXTURE]))
    post = got[f"{S1}/activity"]
    assert post == event(
        event_id=f"{S1}/activity",
        ts=ts("2024-02-10T08:00:00"),
        kind="post",
        content_id=S1,
        thread_id=S1,
        subtype="Note:public",
        text=post["text"],
    )
    assert post["text"].startswith('<p>Reading about <a href="https://social.example/tags/')
    assert got[f"{S1}/activity#mention:bob@other.example"] == event(
        event_id=f"{S1}/activity#mention:bob@other.example",
        ts=ts("2024-02-10T08:00:00"),
        kind="mention",
        target=BOB,
        thread_id=S1,
        subtype="Mention",
    )


def test_an_unlisted_reply_targets_the_author_of_the_status_and_mentions_the_others():
    got = by_id(read_mastodon([FIXTURE]))
    reply = got[f"{S2}/activity"]
    assert reply == event(
        event_id=f"{S2}/activity",
        ts=ts("2024-02-11T09:30:00"),
        kind="reply",
        target=CAROL,
        content_id=S2,
        parent_id=CAROL_STATUS,
        subtype="Note:unlisted",
        text=reply["text"],
    )
    mentions = {k: v["target"] for k, v in got.items() if k.startswith(f"{S2}/activity#")}
    assert mentions == {f"{S2}/activity#mention:dave@third.example": DAVE}


def test_a_boost_is_a_share_toward_the_author_of_the_status():
    assert by_id(read_mastodon([FIXTURE]))[f"{S3}/activity"] == event(
        event_id=f"{S3}/activity",
        ts=ts("2024-02-12T18:15:00"),
        kind="share",
        target=BOB,
        parent_id=BOB_BOOSTED,
        subtype="Announce",
    )


def test_a_direct_note_is_private_and_a_message_to_each_mentioned_account():
    got = by_id(read_mastodon([FIXTURE]))
    reply = got[f"{S4}/activity"]
    assert reply == event(
        event_id=f"{S4}/activity",
        ts=ts("2024-02-13T20:45:00"),
        kind="reply",
        target=BOB,
        content_id=S4,
        parent_id=BOB_DIRECT,
        visibility="private",
        subtype="Note:direct",
        text=reply["text"],
    )
    assert got[f"{S4}/activity#message:bob@other.example"] == event(
        event_id=f"{S4}/activity#message:bob@other.example",
        ts=ts("2024-02-13T20:45:00"),
        kind="message",
        target=BOB,
        visibility="private",
        subtype="direct",
    )
    assert not [k for k in got if k.startswith(f"{S4}/activity#mention")]


def test_a_followers_only_post_is_public_with_its_content_warning_and_local_mention():
    got = by_id(read_mastodon([FIXTURE]))
    post = got[f"{S5}/activity"]
    assert (post["kind"], post["visibility"], post["subtype"], post["thread_id"]) == (
        "post",
        "public",
        "Note:followers-only",
        S5,
    )
    assert post["text"].startswith("long thread\n<p>")
    assert got[f"{S5}/activity#mention:erin@social.example"]["target"] == ERIN


def test_a_boost_of_a_status_whose_url_names_no_author_leaves_the_target_to_the_store():
    row = by_id(read_mastodon([FIXTURE]))[f"{S6}/activity"]
    assert (row["kind"], row["target"], row["parent_id"]) == (
        "share",
        None,
        "https://misskey.example/notes/9p2abcd",
    )


def test_likes_are_dated_by_the_status_id_or_else_the_export_time():
    got = by_id(read_mastodon([FIXTURE]))
    assert got[f"like:alice@social.example:{BOB_LIKED}"] == event(
        event_id=f"like:alice@social.example:{BOB_LIKED}",
        ts=ts("2024-02-20T08:00:00"),
        kind="like",
        target=BOB,
        parent_id=BOB_LIKED,
        subtype="Like",
    )
    frank = got[f"like:alice@social.example:{FRANK_LIKED}"]
    assert (frank["ts"], frank["target"]) == (ts(EXPORT_TIME), "mastodon:frank@old.example")


def test_a_bookmark():
    assert by_id(read_mastodon([FIXTURE]))[f"bookmark:alice@social.example:{CAROL_SAVED}"] == (
        event(
            event_id=f"bookmark:alice@social.example:{CAROL_SAVED}",
            ts=ts("2024-02-16T12:00:00"),
            kind="bookmark",
            target=CAROL,
            parent_id=CAROL_SAVED,
            subtype="Bookmark",
        )
    )


def test_follows_are_lowercased_addresses_dated_at_the_export_time():
    got = by_id(read_mastodon([FIXTURE]))
    follows = {k: (v["target"], v["ts"]) for k, v in got.items() if k.startswith("follow:")}
    assert follows == {
        "follow:alice@social.example:bob@other.example": (BOB, ts(EXPORT_TIME)),
        "follow:alice@social.example:carol@other.example": (CAROL, ts(EXPORT_TIME)),
        "follow:alice@social.example:erin@social.example": (ERIN, ts(EXPORT_TIME)),
    }


def test_the_owner_is_the_one_people_row():
    assert collect(read_mastodon([FIXTURE]))["people"].to_pylist() == [
        {
            "id": ALICE,
            "platform": "mastodon",
            "handle": "alice@social.example",
            "display_name": "Alice A.",
            "audience_size": None,
            "created_at": ts("2022-11-01T00:00:00"),
            "attributes": None,
        }
    ]


# --- forms of the export -----------------------------------------------------------------


def test_zip_tar_gz_and_outbox_json_give_the_rows_of_the_folder(tmp_path):
    folder = collect(read_mastodon([FIXTURE]))
    zipped = tmp_path / "archive-20240302.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(FIXTURE.iterdir()):
            z.write(path, path.name)
        z.writestr("media_attachments/files/1/original/a.png", b"\x89PNG")
    tarred = tmp_path / "archive-20240302.tar.gz"
    with tarfile.open(tarred, "w:gz") as t:
        for path in sorted(FIXTURE.iterdir()):
            t.add(path, f"archive/{path.name}")
    for path in (zipped, tarred, FIXTURE / "outbox.json"):
        assert collect(read_mastodon([path])) == folder
    parsed = read_mastodon([zipped])
    assert parsed.paths == [zipped]
    chunks = list(parsed)
    assert chunks[-1].bytes_read == parsed.total_bytes


def test_a_csv_given_after_the_archive_is_read_with_it(tmp_path):
    zipped = tmp_path / "archive.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        for name in ("outbox.json", "actor.json"):
            z.write(FIXTURE / name, name)
    csv = FIXTURE / "following_accounts.csv"
    parsed = read_mastodon([zipped, csv])
    assert parsed.paths == [zipped, csv]
    kinds = Counter(collect(parsed)["events"].column("kind").to_pylist())
    assert (kinds["follow"], kinds["like"]) == (3, 0)


def test_chunks_name_their_file_in_order():
    parsed = read_mastodon([FIXTURE])
    names = ["actor.json", "outbox.json", "likes.json", "bookmarks.json", "following_accounts.csv"]
    assert [p.name for p in parsed.paths] == names
    assert parsed.total_bytes == sum((FIXTURE / n).stat().st_size for n in names)
    chunks = list(parsed)
    assert [(c.table, c.path.name) for c in chunks] == [
        ("events", "outbox.json"),
        ("events", "likes.json"),
        ("events", "bookmarks.json"),
        ("events", "following_accounts.csv"),
        ("people", "following_accounts.csv"),
    ]
    progress = [c.bytes_read for c in chunks]
    assert progress == sorted(progress) and progress[-1] == parsed.total_bytes


@pytest.mark.parametrize("block_bytes", [1, 13, 512])
def test_rows_do_not_depend_on_block_or_batch_size(block_bytes):
    default = collect(read_mastodon([FIXTURE]))
    assert collect(read_mastodon([FIXTURE], block_bytes=block_bytes, batch_rows=3)) == default


def test_without_actor_json_the_owner_is_the_outbox_actor(tmp_path):
    got = collect(read_mastodon([export(tmp_path, actor=None)]))
    assert got["events"].num_rows == 16
    assert got["people"].select(["id", "handle", "display_name"]).to_pylist() == [
        {"id": ALICE, "handle": "alice@social.example", "display_name": None}
    ]


def test_with_an_empty_outbox_the_export_time_is_the_account_creation(tmp_path):
    root = export(tmp_path, outbox=outbox())
    got = by_id(read_mastodon([root]))
    assert got["follow:alice@social.example:bob@other.example"]["ts"] == ts("2022-11-01T00:00:00")
    assert got[f"like:alice@social.example:{BOB_LIKED}"]["ts"] == ts("2024-02-20T08:00:00")


def test_quotes_and_web_urls():
    note = {
        "id": f"{ME}/statuses/9",
        "type": "Note",
        "published": "2024-03-01T09:00:00Z",
        "quoteUri": "https://other.example/@bob/111919575859200002",
        "content": "<p>this</p>",
        "to": [PUBLIC],
    }
    create = {"id": f"{ME}/statuses/9/activity", "type": "Create", "actor": ME, "object": note}
    events, _, _ = parse_mastodon([create])
    row = events.to_pylist()[0]
    assert (row["kind"], row["target"], row["parent_id"], row["thread_id"]) == (
        "quote",
        BOB,
        "https://other.example/@bob/111919575859200002",
        None,
    )


def test_other_activities_are_not_read():
    events, _, bad = parse_mastodon([{"id": f"{ME}#follows/1", "type": "Follow", "actor": ME}])
    assert (events.num_rows, bad) == (0, 0)


def test_parse_mastodon_gives_the_rows_of_read_mastodon():
    def load(name: str):
        return json.loads((FIXTURE / name).read_text())

    following = [
        line.split(",")[0]
        for line in (FIXTURE / "following_accounts.csv").read_text().splitlines()[1:]
    ]
    events, people, bad = parse_mastodon(
        load("outbox.json"),
        actor=load("actor.json"),
        likes=load("likes.json")["orderedItems"],
        bookmarks=load("bookmarks.json")["orderedItems"],
        following=following,
    )
    read = collect(read_mastodon([FIXTURE]))
    assert events.to_pylist() == read["events"].to_pylist()
    assert people.to_pylist() == read["people"].to_pylist()
    assert bad == 0


def test_importing_twice_adds_nothing(store):
    first = store.load(read_mastodon([FIXTURE]))
    assert (first.events_added, first.events_skipped) == (16, 0)
    again = store.load(read_mastodon([FIXTURE]))
    assert (again.events_added, again.events_skipped) == (0, 16)
    assert rows(store, "SELECT display_name FROM people WHERE id = 'mastodon:alice@social.example'")
    assert rows(store, f"SELECT target FROM event_log WHERE event_id = '{S3}/activity'") == [(BOB,)]


@pytest.mark.skipif(not SAMPLES.is_file(), reason=f"no {SAMPLES}")
def test_the_acceptance_sample_gives_at_least_five_replies_and_two_shares(tmp_path):
    out = subprocess.run(
        [sys.executable, str(SAMPLES), str(tmp_path)], capture_output=True, text=True, check=True
    )
    want = json.loads(out.stdout)["mastodon"]
    assert want["min"] == {"reply": 5, "share": 2}
    events = collect(read_mastodon([want["path"]]))["events"]
    kinds = Counter(events.column("kind").to_pylist())
    assert (kinds["reply"], kinds["share"], kinds["message"], kinds["like"]) == (5, 2, 1, 1)


# --- bad input ---------------------------------------------------------------------------

EXPORT = "a Mastodon account export: its .zip or .tar.gz, or the folder holding outbox.json"


def test_a_folder_without_outbox_json(tmp_path):
    (tmp_path / "likes.json").write_text("{}")
    with pytest.raises(InputError) as err:
        read_mastodon([tmp_path])
    assert str(err.value) == (
        f"{tmp_path}: is not a Mastodon export: no outbox.json; expected {EXPORT}"
    )


def test_a_path_that_does_not_exist(tmp_path):
    with pytest.raises(InputError) as err:
        read_mastodon([tmp_path / "nowhere"])
    assert str(err.value) == f"{tmp_path / 'nowhere'}: no such file or folder; expected {EXPORT}"


def test_an_extra_file_of_unknown_name(tmp_path):
    other = tmp_path / "blocked_accounts.csv"
    other.write_text("x@y\n")
    with pytest.raises(InputError) as err:
        read_mastodon([FIXTURE, other])
    assert str(err.value) == (
        f"{other}: is not a file of a Mastodon export; expected one of actor.json, "
        "outbox.json, likes.json, bookmarks.json, following_accounts.csv"
    )


def test_an_empty_file(tmp_path):
    root = export(tmp_path, likes="")
    with pytest.raises(InputError) as err:
        read_mastodon([root])
    assert str(err.value) == (
        f"{root / 'likes.json'}: is empty; expected an ActivityPub collection of status URLs "
        "in orderedItems"
    )


def test_an_outbox_that_is_not_a_collection(tmp_path):
    root = export(tmp_path, outbox=json.dumps({"type": "Person", "id": ME}))
    with pytest.raises(InputError) as err:
        list(read_mastodon([root]))
    assert str(err.value) == (
        f"{root / 'outbox.json'}, line 1: type is 'Person'; expected an ActivityPub "
        "OrderedCollection with orderedItems"
    )


def test_an_outbox_without_ordered_items(tmp_path):
    root = export(tmp_path, outbox=json.dumps({"type": "OrderedCollection", "totalItems": 0}))
    with pytest.raises(InputError) as err:
        list(read_mastodon([root]))
    assert str(err.value) == (
        f"{root / 'outbox.json'}, line 1: has no orderedItems; expected an ActivityPub "
        "OrderedCollection with orderedItems"
    )


def test_malformed_json_names_its_line(tmp_path):
    text = (FIXTURE / "likes.json").read_text().replace('000009",', '000009"')
    root = export(tmp_path, likes=text)
    with pytest.raises(InputError) as err:
        list(read_mastodon([root]))
    assert str(err.value) == (
        f"{root / 'likes.json'}, line 7: found '\"'; expected ',' or ']' after item 1"
    )


def test_a_truncated_outbox(tmp_path):
    text = (FIXTURE / "outbox.json").read_text()[:5000]
    root = export(tmp_path, outbox=text)
    with pytest.raises(InputError, match=r"outbox.json, line \d+: the file ends inside a JSON"):
        list(read_mastodon([root]))


def test_an_activity_without_a_time_names_its_item(tmp_path):
    item = {
        "id": f"{ME}/statuses/1/activity",
        "type": "Announce",
        "actor": ME,
        "object": BOB_BOOSTED,
    }
    root = export(tmp_path, outbox=outbox(item))
    with pytest.raises(InputError) as err:
        list(read_mastodon([root]))
    assert str(err.value) == (
        f"{root / 'outbox.json'}, line 1, orderedItems item 1: activity has no published; "
        "expected a time such as '2024-03-01T09:00:00Z'"
    )


def test_a_byte_that_is_not_utf8(tmp_path):
    text = (FIXTURE / "following_accounts.csv").read_bytes().replace(b"erin", b"er\xefn")
    root = export(tmp_path, following=text)
    with pytest.raises(InputError) as err:
        list(read_mastodon([root]))
    assert str(err.value) == (
        f"{root / 'following_accounts.csv'}, line 4: byte 0xef is not UTF-8; expected account "
        "addresses, one a line (user@host), after an optional header in UTF-8"
    )


def test_a_line_that_is_not_an_account_address(tmp_path):
    root = export(tmp_path, following="bob@other.example\nhttps://x.example/@y\n")
    with pytest.raises(InputError) as err:
        list(read_mastodon([root]))
    assert str(err.value) == (
        f"{root / 'following_accounts.csv'}, line 2: 'https://x.example/@y' is not an account "
        "address; expected e.g. bob@social.example"
    )


def test_skip_bad_rows_skips_and_counts_them(tmp_path):
    good = {
        "id": f"{ME}/statuses/1/activity",
        "type": "Announce",
        "actor": ME,
        "published": "2024-03-01T09:00:00Z",
        "object": BOB_BOOSTED,
    }
    bad = [
        {**good, "id": None},
        {**good, "published": "March"},
        {**good, "type": "Create"},  # a Create whose object is a URL, not the Note
        "not an activity",
    ]
    root = export(
        tmp_path, outbox=outbox(good, *bad), following="bob@other.example\nbob at other\n"
    )
    parsed = read_mastodon([root], skip_bad_rows=True)
    got = by_id(parsed)
    assert parsed.bad_rows == 5
    assert f"{ME}/statuses/1/activity" in got
    assert "follow:alice@social.example:bob@other.example" in got
