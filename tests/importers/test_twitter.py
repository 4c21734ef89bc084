"""The X/Twitter archive importer, on a hand-written archive in the real format.

``tests/fixtures/twitter/data/`` is the ``data/`` folder of an archive of alice (1001), in
the archive's own layout (``window.YTD.<name>.partN = [...]``, ``"key" : value`` with two
spaces of indent, counts as strings):

- account.js: alice, "Alice A.", created 2012-05-01T10:00Z.
- manifest.js: generated 2024-03-02T12:00Z.
- tweets.js, newest first: T4 a quote of Dave's status by its link (2 likes); T3 a retweet
  of carol; T2 a reply to bob's status naming bob and carol (1 like); T1 a post with a
  hashtag, a t.co link and ``&amp;``, naming bob (3 likes, 1 retweet).
- tweets-part1.js: T5 alice replying to her own T1 (a thread).
- direct-messages.js: alice and dave (4004), three messages; alice reacts to dave's.
- like.js: a 2024 tweet of bob's (a snowflake id) and Jack's tweet 20 of 2006 (no
  snowflake).
- follower.js: bob and dave follow alice; following.js: alice follows bob.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from narrowcast.errors import InputError, ParameterError
from narrowcast.importers.twitter import parse_twitter, read_twitter
from narrowcast.model import EVENTS
from tests.conftest import collect, rows

FIXTURE = Path(__file__).parents[1] / "fixtures" / "twitter"
DATA = FIXTURE / "data"
SAMPLES = Path(__file__).parents[2] / ".." / "shared" / "checks" / "platform_samples.py"

ALICE, BOB, CAROL, DAVE = "twitter:1001", "twitter:2002", "twitter:3003", "twitter:4004"
T1, T2, T3, T4, T5 = (
    "1756226494264246272",
    "1756611531371446272",
    "1757106039813046272",
    "1757506176414646272",
    "1757645846737846272",
)
BOB_STATUS, DAVE_STATUS, BOB_LIKED = (
    "1756603981624246279",
    "1757298558366646275",
    "1759850372920246283",
)
M1, M2, M3 = "1758068632581046273", "1758069890872246274", "1758070394188726275"
GENERATED = "2024-03-02T12:00:00"
EXPECTED_JS = "expected window.YTD.<name>.part<N> = [ ... ] (a JSON array)"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(**columns) -> dict:
    """An event row as the importer gives it: public, quantity 1, no source."""
    row = dict.fromkeys(EVENTS.names)
    row.update(platform="twitter", visibility="public", quantity=1)
    row.update(columns)
    return row


def by_id(parsed) -> dict[str, dict]:
    return {r["event_id"]: r for r in collect(parsed)["events"].to_pylist()}


def archive(tmp_path: Path, **files: str | bytes | None) -> Path:
    """A copy of the fixture archive with some data/ files replaced (None: removed)."""
    root = tmp_path / "archive"
    shutil.copytree(FIXTURE, root)
    for name, content in files.items():
        path = root / "data" / f"{name.replace('_', '-')}.js"
        if content is None:
            path.unlink()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def ytd(name: str, items: list) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(items, indent=2, separators=(",", " : "))


# --- the fixture, row by row ------------------------------------------------------------


def test_every_item_of_the_fixture_is_accounted_for():
    parsed = read_twitter([FIXTURE])
    events = collect(parsed)["events"]
    assert events.num_rows == 20
    assert Counter(events.column("kind").to_pylist()) == {
        "post": 1,  # T1
        "reply": 2,  # T2, T5
        "quote": 1,  # T4
        "share": 2,  # T3, and T1's retweet count
        "mention": 2,  # bob in T1, carol in T2
        "like": 6,  # 2 likes, 1 message reaction, 3 favourite counts (T1, T2, T4)
        "message": 3,
        "follow": 3,
    }
    ids = events.column("event_id").to_pylist()
    assert len(set(ids)) == len(ids)
    assert parsed.bad_rows == 0


def test_a_post_keeps_its_text_with_links_expanded_and_entities_undone():
    got = by_id(read_twitter([FIXTURE]))
    assert got[f"tweet:{T1}"] == event(
        event_id=f"tweet:{T1}",
        ts=ts("2024-02-10T08:00:00"),
        actor=ALICE,
        kind="post",
        content_id=T1,
        thread_id=T1,
        subtype="tweet",
        text="Reading about #narrowcast at https://example.org/narrowcast & loving it, cc @bob",
    )


def test_each_user_named_in_a_post_is_a_mention_in_its_thread():
    assert by_id(read_twitter([FIXTURE]))[f"tweet:{T1}:mention:2002"] == event(
        event_id=f"tweet:{T1}:mention:2002",
        ts=ts("2024-02-10T08:00:00"),
        actor=ALICE,
        kind="mention",
        target=BOB,
        thread_id=T1,
        subtype="user_mentions",
    )


def test_favourite_and_retweet_counts_are_anonymous_reception_of_the_tweet():
    got = by_id(read_twitter([FIXTURE]))
    assert got[f"favorite_count:{T1}"] == event(
        event_id=f"favorite_count:{T1}",
        ts=ts("2024-02-10T08:00:00"),
        kind="like",
        parent_id=T1,
        thread_id=T1,
        quantity=3,
        subtype="favorite_count",
    )
    assert got[f"retweet_count:{T1}"]["kind"] == "share"
    assert got[f"retweet_count:{T1}"]["quantity"] == 1
    assert got[f"favorite_count:{T2}"]["quantity"] == 1
    assert got[f"favorite_count:{T4}"]["quantity"] == 2
    # The retweet's count ("5") is the original's: not alice's reception.
    assert f"retweet_count:{T3}" not in got


def test_a_reply_targets_the_user_replied_to_and_mentions_the_others():
    got = by_id(read_twitter([FIXTURE]))
    assert got[f"tweet:{T2}"] == event(
        event_id=f"tweet:{T2}",
        ts=ts("2024-02-11T09:30:00"),
        actor=ALICE,
        kind="reply",
        target=BOB,
        content_id=T2,
        parent_id=BOB_STATUS,
        subtype="reply",
        text="@bob @carol Agreed, > 90% of it",
    )
    mentions = {k: v["target"] for k, v in got.items() if k.startswith(f"tweet:{T2}:")}
    assert mentions == {f"tweet:{T2}:mention:3003": CAROL}  # bob is the reply's target


def test_a_retweet_is_a_share_toward_the_retweeted_user_without_mentions():
    got = by_id(read_twitter([FIXTURE]))
    assert got[f"tweet:{T3}"] == event(
        event_id=f"tweet:{T3}",
        ts=ts("2024-02-12T18:15:00"),
        actor=ALICE,
        kind="share",
        target=CAROL,
        subtype="RT",
        text="RT @carol: Big news https://example.com/news",
    )
    assert not [k for k in got if k.startswith(f"tweet:{T3}:")]


def test_a_link_to_a_status_makes_a_quote_of_it():
    assert by_id(read_twitter([FIXTURE]))[f"tweet:{T4}"] == event(
        event_id=f"tweet:{T4}",
        ts=ts("2024-02-13T20:45:00"),
        actor=ALICE,
        kind="quote",
        target=None,  # Dave is known by screen name only: the store fills it if it can
        content_id=T4,
        parent_id=DAVE_STATUS,
        subtype="quote",
        text=f"So true https://twitter.com/Dave/status/{DAVE_STATUS}",
    )


def test_the_second_part_of_a_table_is_read_and_a_thread_replies_to_oneself():
    got = by_id(read_twitter([FIXTURE]))
    assert got[f"tweet:{T5}"] == event(
        event_id=f"tweet:{T5}",
        ts=ts("2024-02-14T06:00:00"),
        actor=ALICE,
        kind="reply",
        target=ALICE,
        content_id=T5,
        parent_id=T1,
        subtype="reply",
        text="And one more thing about it.",
    )


def test_direct_messages_are_private_messages_in_their_conversation():
    got = by_id(read_twitter([FIXTURE]))
    assert got[f"dm:{M1}"] == event(
        event_id=f"dm:{M1}",
        ts=ts("2024-02-15T10:00:00"),
        actor=ALICE,
        kind="message",
        target=DAVE,
        content_id=f"dm:{M1}",
        thread_id="dm:1001-4004",
        visibility="private",
        subtype="messageCreate",
        text="Coffee next week? https://cafe.example/",
    )
    assert (got[f"dm:{M2}"]["actor"], got[f"dm:{M2}"]["target"]) == (DAVE, ALICE)
    assert (got[f"dm:{M3}"]["actor"], got[f"dm:{M3}"]["target"]) == (ALICE, DAVE)


def test_a_reaction_to_a_message_is_a_private_like_of_it():
    assert by_id(read_twitter([FIXTURE]))["dm-reaction:1758070142530486281"] == event(
        event_id="dm-reaction:1758070142530486281",
        ts=ts("2024-02-15T10:06:00"),
        actor=ALICE,
        kind="like",
        target=DAVE,
        parent_id=f"dm:{M2}",
        thread_id="dm:1001-4004",
        visibility="private",
        subtype="reaction:like",
    )


def test_a_like_is_dated_by_the_liked_tweets_snowflake_id_or_else_the_archive():
    got = by_id(read_twitter([FIXTURE]))
    assert got[f"like:1001:{BOB_LIKED}"] == event(
        event_id=f"like:1001:{BOB_LIKED}",
        ts=ts("2024-02-20T08:00:00"),
        actor=ALICE,
        kind="like",
        parent_id=BOB_LIKED,
        subtype="like",
        text="Small communities matter https://t.co/ddd",
    )
    # Tweet 20 (March 2006) has a sequential id: dated at the archive's generation.
    assert got["like:1001:20"]["ts"] == ts(GENERATED)
    assert got["like:1001:20"]["target"] is None


def test_follows_go_both_ways_and_are_dated_at_the_archive():
    got = by_id(read_twitter([FIXTURE]))
    follows = {k: (v["actor"], v["target"], v["subtype"], v["ts"]) for k, v in got.items()}
    assert {k: v for k, v in follows.items() if k.startswith("follow:")} == {
        "follow:2002:1001": (BOB, ALICE, "follower", ts(GENERATED)),
        "follow:4004:1001": (DAVE, ALICE, "follower", ts(GENERATED)),
        "follow:1001:2002": (ALICE, BOB, "following", ts(GENERATED)),
    }


def test_people_are_the_owner_and_the_users_named_in_tweets():
    people = collect(read_twitter([FIXTURE]))["people"].to_pylist()
    assert people == [
        {
            "id": ALICE,
            "platform": "twitter",
            "handle": "alice",
            "display_name": "Alice A.",
            "audience_size": 2,  # the followers in follower.js
            "created_at": ts("2012-05-01T10:00:00"),
            "attributes": None,
        },
        {
            "id": BOB,
            "platform": "twitter",
            "handle": "bob",
            "display_name": "Bob B.",
            "audience_size": None,
            "created_at": None,
            "attributes": None,
        },
        {
            "id": CAROL,
            "platform": "twitter",
            "handle": "carol",
            "display_name": "Carol C.",
            "audience_size": None,
            "created_at": None,
            "attributes": None,
        },
    ]


# --- forms of the archive ---------------------------------------------------------------


def test_the_zip_the_data_folder_and_the_archive_folder_give_the_same_rows(tmp_path):
    plain = tmp_path / "twitter-2024-03-02-abc.zip"
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Your archive.html", "<html></html>")
        for path in sorted(DATA.iterdir()):
            z.write(path, f"data/{path.name}")
    with zipfile.ZipFile(nested, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(DATA.iterdir()):
            z.write(path, f"twitter-2024-03-02-abc/data/{path.name}")
    folder = collect(read_twitter([FIXTURE]))
    for path in (plain, nested, DATA):
        assert collect(read_twitter([path])) == folder
    parsed = read_twitter([plain])
    assert parsed.paths == [plain]
    assert parsed.total_bytes == sum(i.compress_size for i in zipfile.ZipFile(plain).infolist()[1:])
    chunks = list(parsed)
    assert chunks[-1].bytes_read == parsed.total_bytes
    assert {c.path.name for c in chunks if c.table == "events"} >= {"tweets.js", "like.js"}


def test_chunks_name_their_file_and_count_bytes_in_order():
    parsed = read_twitter([FIXTURE])
    names = [
        "account.js",
        "manifest.js",
        "tweets.js",
        "tweets-part1.js",
        "direct-messages.js",
        "like.js",
        "follower.js",
        "following.js",
    ]
    assert [p.name for p in parsed.paths] == names
    assert parsed.total_bytes == sum((DATA / n).stat().st_size for n in names)
    chunks = list(parsed)
    assert [c.path.name for c in chunks] == [*names[2:], "twitter"]
    assert [c.table for c in chunks] == ["events"] * 6 + ["people"]
    progress = [c.bytes_read for c in chunks]
    assert progress == sorted(progress) and progress[-1] == parsed.total_bytes


@pytest.mark.parametrize("block_bytes", [1, 7, 100, 4096])
def test_rows_do_not_depend_on_block_or_batch_size(block_bytes):
    default = collect(read_twitter([FIXTURE]))
    small = read_twitter([FIXTURE], block_bytes=block_bytes, batch_rows=2)
    assert collect(small) == default


def test_platform_names_rows_and_people():
    got = collect(read_twitter([FIXTURE], platform="x"))
    assert set(got["events"].column("platform").to_pylist()) == {"x"}
    assert got["people"].column("id").to_pylist()[0] == "x:1001"


def test_the_older_tweet_js_of_bare_tweets_is_read(tmp_path):
    bare = {
        "id_str": "1050118621198921728",
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "full_text": "Hello from 2018",
        "entities": {"user_mentions": [], "urls": []},
    }
    root = archive(tmp_path, tweets=None, tweets_part1=None)
    (root / "data" / "tweet.js").write_text(ytd("tweet", [bare]))
    row = by_id(read_twitter([root]))["tweet:1050118621198921728"]
    assert (row["kind"], row["ts"], row["text"]) == (
        "post",
        ts("2018-10-10T20:19:24"),
        bare["full_text"],
    )


def test_without_a_manifest_the_archive_time_is_the_latest_tweet_or_message(tmp_path):
    got = by_id(read_twitter([archive(tmp_path, manifest=None)]))
    assert got["follow:1001:2002"]["ts"] == ts("2024-02-15T10:07:00")  # the last message
    assert got["like:1001:20"]["ts"] == ts("2024-02-15T10:07:00")


def test_with_only_follows_the_archive_time_is_the_account_creation(tmp_path):
    root = archive(tmp_path, manifest=None, tweets=None, tweets_part1=None, direct_messages=None)
    assert by_id(read_twitter([root]))["follow:1001:2002"]["ts"] == ts("2012-05-01T10:00:00")


def test_an_archive_with_no_date_at_all_for_its_follows_is_refused(tmp_path):
    account = ytd("account", [{"account": {"accountId": "1001", "username": "alice"}}])
    root = archive(
        tmp_path,
        account=account,
        manifest=None,
        tweets=None,
        tweets_part1=None,
        direct_messages=None,
        like=None,
    )
    with pytest.raises(InputError) as err:
        list(read_twitter([root]))
    assert str(err.value) == (
        f"{root / 'data' / 'follower.js'}, line 2, item 1: a follow has no date and the "
        "archive gives none: expected data/manifest.js (archiveInfo.generationDate), a "
        "tweet or a message, or account.js createdAt"
    )


def test_parse_twitter_gives_the_rows_of_read_twitter():
    def items(name: str):
        text = (DATA / name).read_text()
        return json.loads(text[text.index("=") + 1 :])

    tables = {
        "account": items("account.js"),
        "manifest": items("manifest.js"),
        "tweets": items("tweets.js") + items("tweets-part1.js"),
        "direct-messages": items("direct-messages.js"),
        "like": items("like.js"),
        "follower": items("follower.js"),
        "following": items("following.js"),
    }
    events, people, bad = parse_twitter(tables)
    read = collect(read_twitter([FIXTURE]))
    assert events.to_pylist() == read["events"].to_pylist()
    assert people.to_pylist() == read["people"].to_pylist()
    assert bad == 0


def test_importing_twice_adds_nothing_and_the_store_fills_targets(store):
    first = store.load(read_twitter([FIXTURE]))
    assert (first.events_added, first.events_skipped) == (20, 0)
    again = store.load(read_twitter([FIXTURE]))
    assert (again.events_added, again.events_skipped) == (0, 20)
    # The favourite count of alice's post is reception for alice.
    got = rows(store, f"SELECT target FROM event_log WHERE event_id = 'favorite_count:{T1}'")
    assert got == [(ALICE,)]
    assert rows(store, f"SELECT thread_id FROM events WHERE event_id = 'tweet:{T5}'") == [(T1,)]
    handles = dict(rows(store, "SELECT id, handle FROM people"))
    assert (handles[ALICE], handles[BOB], handles[DAVE]) == ("alice", "bob", "4004")


@pytest.mark.skipif(not SAMPLES.is_file(), reason=f"no {SAMPLES}")
def test_the_acceptance_sample_gives_the_kinds_it_must(tmp_path):
    out = subprocess.run(
        [sys.executable, str(SAMPLES), str(tmp_path)], capture_output=True, text=True, check=True
    )
    want = json.loads(out.stdout)["twitter"]
    kinds = Counter(collect(read_twitter([want["path"]]))["events"].column("kind").to_pylist())
    assert all(kinds[k] >= n for k, n in want["min"].items()), kinds


# --- bad input ---------------------------------------------------------------------------


def test_a_path_that_does_not_exist(tmp_path):
    with pytest.raises(InputError) as err:
        read_twitter([tmp_path / "nowhere.zip"])
    assert str(err.value) == (
        f"{tmp_path / 'nowhere.zip'}: no such file or folder; expected an X/Twitter archive: "
        "its .zip, or the folder holding data/account.js"
    )


def test_a_folder_that_is_not_an_archive(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError) as err:
        read_twitter([tmp_path])
    assert str(err.value) == (
        f"{tmp_path}: is not an X/Twitter archive: no data/account.js; expected an "
        "X/Twitter archive: its .zip, or the folder holding data/account.js"
    )


def test_a_file_that_is_neither_zip_nor_folder(tmp_path):
    path = tmp_path / "tweets.csv"
    path.write_text("id,text\n")
    with pytest.raises(InputError) as err:
        read_twitter([path])
    assert str(err.value) == (
        f"{path}: is not a folder, a .zip or a .tar.gz; expected an X/Twitter archive: its "
        ".zip, or the folder holding data/account.js"
    )


def test_one_archive_at_a_time():
    with pytest.raises(ParameterError) as err:
        read_twitter([FIXTURE, FIXTURE])
    assert str(err.value).startswith(
        "The 'paths' parameter of read_twitter must be a list of one archive. Got"
    )


def test_an_empty_file(tmp_path):
    root = archive(tmp_path, like="")
    with pytest.raises(InputError) as err:
        read_twitter([root])
    assert str(err.value) == f"{root / 'data' / 'like.js'}: is empty; {EXPECTED_JS}"


def test_malformed_json_names_its_line(tmp_path):
    text = (DATA / "like.js").read_text().replace('"tweetId" : "20"', '"tweetId" : 20,,')
    root = archive(tmp_path, like=text)
    with pytest.raises(InputError) as err:
        list(read_twitter([root]))
    assert str(err.value) == (
        f"{root / 'data' / 'like.js'}, line 11: not valid JSON: Expecting property name "
        f"enclosed in double quotes; {EXPECTED_JS}"
    )


def test_a_truncated_file_says_so(tmp_path):
    text = (DATA / "follower.js").read_text()[:-40]
    root = archive(tmp_path, follower=text)
    with pytest.raises(InputError, match=r"follower.js, line \d+: the file ends inside a JSON"):
        list(read_twitter([root]))


def test_a_file_not_of_the_window_ytd_form(tmp_path):
    root = archive(tmp_path, follower='{"follower": {"accountId": "2002"}}')
    with pytest.raises(InputError) as err:
        list(read_twitter([root]))
    assert str(err.value) == f"{root / 'data' / 'follower.js'}, line 1: found '{{'; {EXPECTED_JS}"


def test_a_tweet_without_created_at_names_its_line_and_item(tmp_path):
    text = (DATA / "tweets.js").read_text()
    text = text.replace('"created_at" : "Mon Feb 12 18:15:00 +0000 2024",', "")
    root = archive(tmp_path, tweets=text)
    with pytest.raises(InputError) as err:
        list(read_twitter([root]))
    # The retweet, the second item, opens on line 47.
    assert str(err.value) == (
        f"{root / 'data' / 'tweets.js'}, line 47, item 2: tweet has no created_at; "
        "expected e.g. 'Wed Oct 10 20:19:24 +0000 2018'"
    )


def test_a_time_that_is_not_a_time(tmp_path):
    items = [{"tweet": {"id_str": "5", "created_at": "yesterday", "full_text": "x"}}]
    root = archive(tmp_path, tweets=ytd("tweets", items), tweets_part1=None)
    with pytest.raises(InputError) as err:
        list(read_twitter([root]))
    assert str(err.value) == (
        f"{root / 'data' / 'tweets.js'}, line 2, item 1: created_at 'yesterday' is not a "
        "time; expected e.g. 'Wed Oct 10 20:19:24 +0000 2018'"
    )


def test_a_message_without_a_time_names_its_conversation_and_message(tmp_path):
    text = (DATA / "direct-messages.js").read_text()
    text = text.replace('"createdAt" : "2024-02-15T10:05:00.000Z"', '"createdAt" : "soon"')
    root = archive(tmp_path, direct_messages=text)
    with pytest.raises(InputError) as err:
        list(read_twitter([root]))
    assert str(err.value) == (
        f"{root / 'data' / 'direct-messages.js'}, line 2, item 1, message 2: createdAt "
        "'soon' is not a time; expected e.g. '2018-10-10T20:19:24.000Z'"
    )


def test_a_byte_that_is_not_utf8_names_its_line(tmp_path):
    text = (DATA / "like.js").read_bytes().replace(b"twttr", b"tw\xe9ttr")
    root = archive(tmp_path, like=text)
    with pytest.raises(InputError) as err:
        list(read_twitter([root]))
    assert str(err.value) == (
        f"{root / 'data' / 'like.js'}, line 12: byte 0xe9 is not UTF-8; {EXPECTED_JS} in UTF-8"
    )


def test_an_account_without_an_id(tmp_path):
    root = archive(tmp_path, account=ytd("account", [{"account": {"username": "alice"}}]))
    with pytest.raises(InputError) as err:
        list(read_twitter([root]))
    assert str(err.value) == (
        f"{root / 'data' / 'account.js'}, line 2, item 1: account has accountId None; "
        "expected the owner's numeric id"
    )


def test_skip_bad_rows_skips_and_counts_them(tmp_path):
    items = [
        {"tweet": {"id_str": "1", "created_at": "Wed Oct 10 20:19:24 +0000 2018"}},
        {"tweet": {"id_str": "2", "created_at": "never"}},
        {"tweet": {"created_at": "Wed Oct 10 20:19:24 +0000 2018"}},
        ["not", "a", "tweet"],
        {"note": {}},
    ]
    messages = (DATA / "direct-messages.js").read_text().replace('"senderId" : "4004"', '"x" : 0')
    root = archive(tmp_path, tweets=ytd("tweets", items), direct_messages=messages)
    parsed = read_twitter([root], skip_bad_rows=True)
    got = by_id(parsed)
    assert parsed.bad_rows == 5
    assert "tweet:1" in got and "tweet:2" not in got
    assert f"dm:{M2}" not in got and f"dm:{M1}" in got
