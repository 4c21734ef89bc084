"""The Reddit NDJSON importer, specified on a hand-written dump in tests/fixtures/reddit.

The fixture is one thread of r/Homebrewing in Pushshift's format (one JSON object per line,
Reddit's field names, HTML entities escaped), all times on 2024-03-01 UTC:

- RS_homebrewing.ndjson, submissions: s1 Alice asks "Best IPA hops?" at 09:00, naming
  u/HopHead (score 12); s2 bob's link post at 11:00 (``created_utc`` a float, score 1);
  s3 carol's crosspost of s1 to r/beer at 12:00 (``created_utc`` a string, score 0); s4 a
  deleted, removed submission at 13:00 (score 1).
- RC_homebrewing.ndjson, comments: c1 bob answers s1 at 10:00, quoting s1 (so u/HopHead is
  in a quoted line) and naming /u/Carol (score 3); c2 Alice thanks c1 at 11:00; a blank
  line; c3 a deleted comment on s1 at 12:00 (score -4); c4 HopHead answers c1 at 13:00,
  naming u/bob twice in two cases (score 2); c5 carol answers c2 at 14:00 in a record
  without ``link_id``.

Every expected row below was worked out by hand from the two files.
"""

from __future__ import annotations

import bz2
import gzip
import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from narrowcast.errors import InputError
from narrowcast.importers.reddit import parse_reddit, read_reddit
from narrowcast.model import EVENTS
from tests.conftest import collect, rows

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "reddit"
SUBMISSIONS = FIXTURE / "RS_homebrewing.ndjson"
COMMENTS = FIXTURE / "RC_homebrewing.ndjson"
EXPECTED = "expected Reddit NDJSON: one submission or comment JSON object per line"


def at(hour: int) -> datetime:
    return datetime(2024, 3, 1, hour, tzinfo=UTC)


# (event_id, ts, actor, kind, target, content_id, parent_id, thread_id, quantity, subtype,
# text), in reading order: RC_ sorts before RS_.
ROWS = [
    ("t1_c1", at(10), "reddit:bob", "reply", None, "t1_c1", "t3_s1", "t3_s1", 1,
     "r/Homebrewing", "> Citra or Mosaic? Ask u/HopHead\n\nCitra, says /u/Carol & me"),
    # score 3: two net votes beside bob's own.
    ("score:t1_c1", at(10), None, "like", None, None, "t1_c1", "t3_s1", 2, "score", None),
    # u/HopHead is in the quoted line: only Carol is mentioned.
    ("mention:t1_c1:carol", at(10), "reddit:bob", "mention", "reddit:carol", None, None,
     "t3_s1", 1, "u/", None),
    ("t1_c2", at(11), "reddit:alice", "reply", None, "t1_c2", "t1_c1", "t3_s1", 1,
     "r/Homebrewing", "Thanks!"),
    # [deleted] author: no actor; [deleted] body: no text. Score -4: five net down-votes.
    ("t1_c3", at(12), None, "reply", None, "t1_c3", "t3_s1", "t3_s1", 1, "r/Homebrewing",
     None),
    ("score:t1_c3", at(12), None, "dislike", None, None, "t1_c3", "t3_s1", 5, "score", None),
    ("t1_c4", at(13), "reddit:hophead", "reply", None, "t1_c4", "t1_c1", "t3_s1", 1,
     "r/Homebrewing", "u/bob agreed, u/BOB knows"),
    ("score:t1_c4", at(13), None, "like", None, None, "t1_c4", "t3_s1", 1, "score", None),
    # u/bob and u/BOB are one person, mentioned once.
    ("mention:t1_c4:bob", at(13), "reddit:hophead", "mention", "reddit:bob", None, None,
     "t3_s1", 1, "u/", None),
    # No link_id: the thread is left to the store.
    ("t1_c5", at(14), "reddit:carol", "reply", None, "t1_c5", "t1_c2", None, 1,
     "r/Homebrewing", "Mosaic for me"),
    ("t3_s1", at(9), "reddit:alice", "post", None, "t3_s1", None, "t3_s1", 1,
     "r/Homebrewing", "Best IPA hops?\nCitra or Mosaic? Ask u/HopHead"),
    ("score:t3_s1", at(9), None, "like", None, None, "t3_s1", "t3_s1", 11, "score", None),
    ("mention:t3_s1:hophead", at(9), "reddit:alice", "mention", "reddit:hophead", None, None,
     "t3_s1", 1, "u/", None),
    # A link post: its url (entities decoded) is text; the empty selftext is not.
    ("t3_s2", at(11), "reddit:bob", "post", None, "t3_s2", None, "t3_s2", 1,
     "r/Homebrewing", "Water guide\nhttps://example.org/water?ph=5.4&salts=1"),
    # A crosspost is a quote of its parent, on a thread of its own. Score 0: one down.
    ("t3_s3", at(12), "reddit:carol", "quote", None, "t3_s3", "t3_s1", "t3_s3", 1, "r/beer",
     "xpost: Best IPA hops?"),
    ("score:t3_s3", at(12), None, "dislike", None, None, "t3_s3", "t3_s3", 1, "score", None),
    # Removed selftext is left out of the text.
    ("t3_s4", at(13), None, "post", None, "t3_s4", None, "t3_s4", 1, "r/Homebrewing", "gone"),
]  # fmt: skip

COLUMNS = (
    "event_id", "ts", "actor", "kind", "target", "content_id", "parent_id", "thread_id",
    "quantity", "subtype", "text",
)  # fmt: skip


def event_rows(parsed) -> list[tuple]:
    events = collect(parsed)["events"]
    return [tuple(r[c] for c in COLUMNS) for r in events.to_pylist()]


def write(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def comment(**fields: object) -> dict:
    record = {
        "author": "bob",
        "body": "hi",
        "created_utc": 1709287200,
        "id": "c1",
        "link_id": "t3_s1",
        "parent_id": "t3_s1",
        "subreddit": "Homebrewing",
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


# --- the fixture, row by row ------------------------------------------------------------


def test_the_fixture_gives_the_rows_worked_out_by_hand():
    parsed = read_reddit([FIXTURE])
    assert parsed.paths == [COMMENTS, SUBMISSIONS]
    assert event_rows(parsed) == ROWS
    assert parsed.bad_rows == 0


def test_every_row_is_public_and_of_the_events_schema():
    events = collect(read_reddit([FIXTURE]))["events"]
    assert events.schema.equals(EVENTS)
    assert set(events.column("visibility").to_pylist()) == {"public"}
    assert set(events.column("platform").to_pylist()) == {"reddit"}
    assert Counter(events.column("kind").to_pylist()) == {
        "reply": 5,
        "post": 3,
        "quote": 1,
        "like": 3,
        "dislike": 2,
        "mention": 3,
    }


def test_authors_with_capitals_keep_their_name_as_handle():
    people = collect(read_reddit([FIXTURE]))["people"].to_pylist()
    handles = {p["id"]: p["handle"] for p in people}
    assert handles == {"reddit:alice": "Alice", "reddit:hophead": "HopHead"}
    assert {p["platform"] for p in people} == {"reddit"}


def test_platform_names_rows_and_people():
    got = collect(read_reddit([COMMENTS], platform="r-homebrewing"))
    events = got["events"].to_pylist()
    assert {e["platform"] for e in events} == {"r-homebrewing"}
    assert events[0]["actor"] == "r-homebrewing:bob"
    assert events[2]["target"] == "r-homebrewing:carol"
    assert set(got["people"].column("id").to_pylist()) == {
        "r-homebrewing:alice",
        "r-homebrewing:hophead",
    }


def test_files_may_be_given_one_by_one_in_any_order():
    by_folder = sorted(event_rows(read_reddit([FIXTURE])), key=str)
    by_files = sorted(event_rows(read_reddit([SUBMISSIONS, COMMENTS])), key=str)
    assert by_files == by_folder


def test_compressed_files_are_read_like_plain_ones(tmp_path):
    (tmp_path / "RS.ndjson.gz").write_bytes(gzip.compress(SUBMISSIONS.read_bytes()))
    (tmp_path / "RC_2024-03.bz2").write_bytes(bz2.compress(COMMENTS.read_bytes()))
    (tmp_path / "notes.txt").write_text("not a dump: not read")
    parsed = read_reddit([tmp_path])
    assert [p.name for p in parsed.paths] == ["RC_2024-03.bz2", "RS.ndjson.gz"]
    assert event_rows(parsed) == ROWS


def test_zstandard_files_are_read_like_plain_ones(tmp_path):
    zstandard = pytest.importorskip("zstandard")
    path = tmp_path / "RC_homebrewing.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(COMMENTS.read_bytes()))
    assert event_rows(read_reddit([path])) == ROWS[:10]


def test_pushshift_zst_files_with_a_two_gigabyte_window_are_read(tmp_path):
    """Pushshift compressed its dumps with ``zstd --long=31``: a window larger than
    zstandard's default limit, which decoders must be told to allow."""
    zstandard = pytest.importorskip("zstandard")
    params = zstandard.ZstdCompressionParameters(window_log=31, enable_ldm=True)
    packer = zstandard.ZstdCompressor(compression_params=params).compressobj()
    path = tmp_path / "RC_2024-03.zst"
    path.write_bytes(packer.compress(COMMENTS.read_bytes()) + packer.flush())
    assert event_rows(read_reddit([path])) == ROWS[:10]


def test_a_large_dump_is_streamed_in_batches(tmp_path):
    records = [comment(id=f"c{i}", score=1, body="x") for i in range(25)]
    parsed = read_reddit([write(tmp_path / "RC.ndjson", *records)], batch_rows=10)
    chunks = list(parsed)
    assert [c.batch.num_rows for c in chunks] == [10, 10, 5]
    assert chunks[-1].bytes_read == parsed.total_bytes


# --- the store --------------------------------------------------------------------------


def test_the_store_fills_targets_and_threads_and_a_second_import_adds_nothing(store):
    first = store.load(read_reddit([FIXTURE]))
    assert first.events_added == len(ROWS)
    got = dict(rows(store, "SELECT event_id, target FROM event_log WHERE kind = 'reply'"))
    assert got == {
        "t1_c1": "reddit:alice",  # on Alice's s1
        "t1_c2": "reddit:bob",  # on bob's c1
        "t1_c3": "reddit:alice",  # a deleted user on s1
        "t1_c4": "reddit:bob",
        "t1_c5": "reddit:alice",  # on Alice's c2
    }
    assert rows(store, "SELECT thread_id FROM events WHERE event_id = 't1_c5'") == [("t3_s1",)]
    assert rows(store, "SELECT target FROM event_log WHERE event_id = 't3_s3'") == [
        ("reddit:alice",)
    ]
    assert rows(store, "SELECT handle FROM people WHERE id = 'reddit:hophead'") == [("HopHead",)]
    again = store.load(read_reddit([FIXTURE]))
    assert (again.events_added, again.events_skipped) == (0, len(ROWS))


def test_the_acceptance_sample_shape():
    """The records platform_samples.py writes: a submission, four comments with an answer
    each, and a deleted comment without subreddit."""
    records = [{"id": "s1", "author": "alice", "created_utc": 1709283600, "title": "hello",
                "selftext": "", "subreddit": "example"}]  # fmt: skip
    for i in range(4):
        records.append(comment(id=f"c{i}", body=f"comment {i}"))
        records.append(comment(id=f"d{i}", author="alice", parent_id=f"t1_c{i}"))
    records.append(
        {"id": "x", "author": "[deleted]", "created_utc": 1709315000, "parent_id": "t3_s1",
         "link_id": "t3_s1", "body": "[deleted]"}
    )  # fmt: skip
    events, people, bad = parse_reddit(records)
    assert Counter(events.column("kind").to_pylist()) == {"post": 1, "reply": 9}
    assert events.column("actor").to_pylist()[-1] is None
    assert events.column("subtype").to_pylist()[-1] is None
    assert (people.num_rows, bad) == (0, 0)


# --- what is a submission, what a comment -----------------------------------------------


@pytest.mark.parametrize(
    "record, kind, item",
    [
        ({"id": "a", "created_utc": 1, "title": "t", "parent_id": "t3_x"}, "post", "t3_a"),
        ({"name": "t3_a", "created_utc": 1, "parent_id": "t3_x"}, "post", "t3_a"),
        ({"id": "a", "created_utc": 1, "selftext": "no title"}, "post", "t3_a"),
        ({"id": "a", "created_utc": 1, "parent_id": ""}, "post", "t3_a"),
        ({"name": "t1_a", "created_utc": 1, "parent_id": "t1_b"}, "reply", "t1_a"),
    ],
)
def test_a_record_with_title_or_t3_name_or_no_parent_is_a_submission(record, kind, item):
    events, _, _ = parse_reddit([record])
    assert events.column("kind").to_pylist() == [kind]
    assert events.column("content_id").to_pylist() == [item]


@pytest.mark.parametrize(
    "value, seconds",
    [(1709283600, 1709283600), (1709283600.25, 1709283600.25), ("1709283600", 1709283600),
     ("1709283600.5", 1709283600.5)],
)  # fmt: skip
def test_created_utc_may_be_an_int_a_float_or_a_string(value, seconds):
    events, _, _ = parse_reddit([comment(created_utc=value)])
    assert events.column("ts")[0].as_py() == datetime.fromtimestamp(seconds, UTC)


def test_lone_surrogates_become_replacement_characters(tmp_path):
    path = tmp_path / "RC.ndjson"
    # As some dumps hold it: the first half of a surrogate pair, escaped, alone.
    path.write_text('{"id": "c1", "created_utc": 1, "parent_id": "t3_s", "body": "\\ud83d!"}\n')
    events = collect(read_reddit([path]))["events"]
    assert events.column("text").to_pylist() == ["\ufffd!"]


# --- bad input --------------------------------------------------------------------------


def test_a_line_that_is_not_json_names_file_and_line(tmp_path):
    path = tmp_path / "RC.ndjson"
    path.write_text(json.dumps(comment()) + "\n" + '{"id": "c2", "body": }\n')
    with pytest.raises(InputError) as err:
        collect(read_reddit([path]))
    assert str(err.value) == f"{path}, line 2: not JSON: Expecting value at column 22; {EXPECTED}"


@pytest.mark.parametrize(
    "record, message",
    [
        (comment(created_utc=None), "record has no created_utc; expected epoch seconds such "
         "as 1709283600"),
        (comment(created_utc="2024-03-01"), "created_utc '2024-03-01' is not a time; expected "
         "epoch seconds such as 1709283600"),
        (comment(created_utc=True), "created_utc True is not a time; expected epoch seconds "
         "such as 1709283600"),
        (comment(id=None), 'record has no id; expected a Reddit id such as "id": "kx3qz9"'),
        (comment(parent_id="c0"), "parent_id 'c0' is not a fullname; expected e.g. "
         '"parent_id": "t1_c0" (a comment) or "t3_s1" (a submission)'),
        (["c1"], "a JSON list, not an object; " + EXPECTED),
    ],
)  # fmt: skip
def test_a_bad_record_names_file_line_and_what_was_expected(tmp_path, record, message):
    path = write(tmp_path / "RC.ndjson", comment(id="c0"), record)
    with pytest.raises(InputError) as err:
        collect(read_reddit([path]))
    assert str(err.value) == f"{path}, line 2: {message}"


def test_skip_bad_rows_skips_and_counts_them(tmp_path):
    path = write(tmp_path / "RC.ndjson", comment(created_utc=None), comment(id="c2"), [1])
    with path.open("a") as f:
        f.write("{oops\n")
    parsed = read_reddit([path], skip_bad_rows=True)
    assert collect(parsed)["events"].column("event_id").to_pylist() == ["t1_c2"]
    assert parsed.bad_rows == 3


def test_a_byte_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "RC.ndjson"
    path.write_bytes(json.dumps(comment()).encode() + b"\n" + b'{"body": "caf\xe9"}\n')
    with pytest.raises(InputError, match=r"line 2: byte 0xe9 is not UTF-8; expected Reddit"):
        collect(read_reddit([path]))


def test_a_truncated_gz_says_so(tmp_path):
    path = tmp_path / "RC.ndjson.gz"
    path.write_bytes(gzip.compress(COMMENTS.read_bytes())[:-20])
    with pytest.raises(InputError, match="ends early"):
        collect(read_reddit([path]))


def test_an_empty_file_says_so(tmp_path):
    path = tmp_path / "RC.ndjson"
    path.write_text("")
    with pytest.raises(InputError) as err:
        read_reddit([path])
    assert str(err.value) == f"{path}: is empty; {EXPECTED}"


def test_a_file_of_blank_lines_holds_no_records(tmp_path):
    path = tmp_path / "RC.ndjson"
    path.write_text("\n\n")
    with pytest.raises(InputError) as err:
        collect(read_reddit([path]))
    assert str(err.value) == f"{path}: holds no records; {EXPECTED}"


def test_a_missing_path_says_so(tmp_path):
    with pytest.raises(InputError) as err:
        read_reddit([tmp_path / "RC_2024-03.zst"])
    assert str(err.value) == f"{tmp_path / 'RC_2024-03.zst'}: no such file; {EXPECTED}"


def test_a_folder_without_dump_files_says_what_it_looked_for(tmp_path):
    shutil.copy(SUBMISSIONS, tmp_path / "RS.txt")
    with pytest.raises(InputError) as err:
        read_reddit([tmp_path])
    assert str(err.value) == (
        f"{tmp_path}: holds no Reddit dump file; expected *.ndjson, *.jsonl or *.json files, "
        "or compressed ones (.gz, .zst, .bz2, .xz) such as RC_2019-04.zst"
    )


def test_a_bad_record_in_memory_names_its_number():
    with pytest.raises(InputError) as err:
        parse_reddit([comment(), comment(created_utc="soon")])
    assert str(err.value) == (
        "<records>, record 2: created_utc 'soon' is not a time; expected epoch seconds such "
        "as 1709283600"
    )
