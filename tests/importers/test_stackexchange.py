"""The Stack Exchange dump importer, on a hand-written dump and on the real beer dump.

The fixture in ``tests/fixtures/stackexchange/`` is a tiny site in the dump's real format
(BOM, CRLF, a root element, one ``<row .../>`` per record):

- Users.xml: Community (-1), Alice (7), Bob (8), Carol (9).
- Posts.xml: 1 Alice's question (120 views), 2 Bob's answer to it, 3 an answer by a deleted
  user, 4 a tag wiki excerpt by Community, 5 Carol's question (0 views).
- Comments.xml: 10 Carol on Bob's answer, 11 Bob on the question, 12 a deleted user on the
  answer.
- Votes.xml: 100 anonymous up-vote on the answer, 101 its acceptance, 102 down-vote,
  103 Carol's favourite, 104/105 Alice's bounty start and its close, 106 spam flag,
  107 approved edit.
- PostHistory.xml: 14 rows. Revision 1111... is question 1's initial title, body and tags,
  2222... answer 2's initial body: the posts themselves, no event. 3333... Carol edits
  title, body and tags of question 1 (three rows, one edit); 4444... Bob's suggested edit
  of his own answer (edit row plus the approval row without a user); 5555... Carol closes
  question 5; 6666... the site tweets question 1; 7777... Carol's edit of her question 5
  in two rows with Bob's edit 8888... of question 1 between them.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrowcast.errors import InputError, ParameterError
from narrowcast.importers import _rowxml, read
from narrowcast.importers.stackexchange import read_stackexchange
from narrowcast.model import EVENTS, PEOPLE

FIXTURE = Path(__file__).parents[1] / "fixtures" / "stackexchange"
SE_BEER = Path(__file__).parents[2] / ".." / "shared" / "data" / "se-beer"
EXPECTED_XML = "expected Stack Exchange dump XML: one <row .../> per record"


def tables(parsed) -> dict[str, pa.Table]:
    """The chunks of a Parsed gathered into one table per table name."""
    batches: dict[str, list[pa.RecordBatch]] = {}
    for chunk in parsed:
        batches.setdefault(chunk.table, []).append(chunk.batch)
    schemas = {"events": EVENTS, "people": PEOPLE}
    return {name: pa.Table.from_batches(b, schema=schemas[name]) for name, b in batches.items()}


def events_by_id(parsed) -> dict[str, dict]:
    return {row["event_id"]: row for row in tables(parsed)["events"].to_pylist()}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(**columns) -> dict:
    """An event row as the importer gives it: public, quantity 1, no target, no source."""
    row = dict.fromkeys(EVENTS.names)
    row.update(platform="stackexchange", visibility="public", quantity=1)
    row.update(columns)
    return row


def dump(folder: Path, **files: str | bytes) -> Path:
    """A dump folder of the fixture's files, some replaced: ``Votes=rows`` writes Votes.xml
    in the real format around the given rows (text), or the exact bytes given."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in FIXTURE.glob("*.xml"):
        shutil.copy(path, folder / path.name)
    for name, content in files.items():
        if isinstance(content, str):
            root = name.lower()
            rows = "".join(f"  {line.strip()}\r\n" for line in content.strip().splitlines())
            text = f'<?xml version="1.0" encoding="utf-8"?>\r\n<{root}>\r\n{rows}</{root}>'
            content = b"\xef\xbb\xbf" + text.encode("utf-8")
        (folder / f"{name}.xml").write_bytes(content)
    return folder


# --- the fixture, row by row ------------------------------------------------------------


def test_every_row_of_the_fixture_is_accounted_for():
    parsed = read_stackexchange([FIXTURE])
    got = tables(parsed)
    events = got["events"]
    assert got["people"].num_rows == 4
    # 5 posts + 1 view, 3 comments, 8 votes, 6 revisions (14 history rows, 2 revisions
    # initial, 3333 and 7777 of several rows each).
    assert events.num_rows == 23
    assert Counter(events.column("kind").to_pylist()) == {
        "post": 3,  # questions 1 and 5, tag wiki 4
        "reply": 5,  # answers 2 and 3, comments 10, 11, 12
        "view": 1,  # question 1; question 5 has ViewCount 0
        "like": 1,
        "accept": 1,
        "dislike": 1,
        "bookmark": 1,
        "bounty": 2,
        "moderate": 4,  # votes 106, 107; close 5555, tweet 6666
        "edit": 4,  # 3333, 4444, 7777, 8888
    }
    ids = events.column("event_id").to_pylist()
    assert len(set(ids)) == len(ids)
    assert parsed.bad_rows == 0


def test_people_come_from_users_xml_with_their_other_fields_as_json():
    people = tables(read_stackexchange([FIXTURE]))["people"].to_pylist()
    assert [p["id"] for p in people] == [
        "stackexchange:-1",
        "stackexchange:7",
        "stackexchange:8",
        "stackexchange:9",
    ]
    assert people[3] == {
        "id": "stackexchange:9",
        "platform": "stackexchange",
        "handle": "Carol Café",
        "display_name": "Carol Café",
        "audience_size": None,
        "created_at": ts("2014-01-22T07:00:00"),
        "attributes": '{"Reputation": 101, "LastAccessDate": "2014-02-01T10:10:10.100", '
        '"Location": "Zürich", "AboutMe": "<p>Homebrewer.</p>", "Views": 5, "UpVotes": 1, '
        '"DownVotes": 0, "AccountId": 1003}',
    }
    assert people[0]["handle"] == "Community"


def test_a_question_is_a_post_that_starts_its_thread():
    assert events_by_id(read_stackexchange([FIXTURE]))["post:1"] == event(
        event_id="post:1",
        ts=ts("2014-01-21T20:26:05.383"),
        actor="stackexchange:7",
        kind="post",
        content_id="p1",
        thread_id="p1",
        subtype="PostTypeId=1",
        text="What does Citra add to an IPA?\n"
        "<p>My pale ale lists Citra hops. What do they taste like?</p>\n",
    )


def test_an_answer_is_a_reply_to_the_question_whose_author_the_store_fills_in():
    assert events_by_id(read_stackexchange([FIXTURE]))["post:2"] == event(
        event_id="post:2",
        ts=ts("2014-01-21T21:00:00"),
        actor="stackexchange:8",
        kind="reply",
        target=None,
        content_id="p2",
        parent_id="p1",
        thread_id="p1",
        subtype="PostTypeId=2",
        text="<p>Citra is a hop variety — fruity, like a café au lait with grapefruit.</p>\n",
    )


def test_other_post_types_are_posts_on_their_own_thread():
    tag_wiki = events_by_id(read_stackexchange([FIXTURE]))["post:4"]
    assert (tag_wiki["kind"], tag_wiki["actor"], tag_wiki["thread_id"], tag_wiki["subtype"]) == (
        "post",
        "stackexchange:-1",
        "p4",
        "PostTypeId=4",
    )


def test_a_post_views_are_one_anonymous_view_event_dated_at_the_post():
    events = events_by_id(read_stackexchange([FIXTURE]))
    assert events["view:1"] == event(
        event_id="view:1",
        ts=ts("2014-01-21T20:26:05.383"),
        kind="view",
        parent_id="p1",
        thread_id="p1",
        quantity=120,
        subtype="ViewCount",
    )
    assert "view:5" not in events  # ViewCount="0"


def test_a_comment_on_an_answer_is_a_reply_whose_thread_the_store_fills_in():
    assert events_by_id(read_stackexchange([FIXTURE]))["comment:10"] == event(
        event_id="comment:10",
        ts=ts("2014-01-22T08:15:00"),
        actor="stackexchange:9",
        kind="reply",
        content_id="c10",
        parent_id="p2",
        thread_id=None,
        subtype="comment",
        text="Thanks, that helped!",
    )


def test_rows_of_deleted_users_are_kept_without_an_actor():
    events = events_by_id(read_stackexchange([FIXTURE]))
    assert (events["post:3"]["actor"], events["post:3"]["kind"]) == (None, "reply")
    assert (events["comment:12"]["actor"], events["comment:12"]["kind"]) == (None, "reply")


def test_an_anonymous_up_vote_is_a_like_without_actor_or_target():
    assert events_by_id(read_stackexchange([FIXTURE]))["vote:100"] == event(
        event_id="vote:100",
        ts=ts("2014-01-22T00:00:00"),
        actor=None,
        kind="like",
        target=None,
        parent_id="p2",
        subtype="VoteTypeId=2",
    )


def test_an_accept_names_the_answer_and_leaves_the_asker_to_the_store():
    assert events_by_id(read_stackexchange([FIXTURE]))["vote:101"] == event(
        event_id="vote:101",
        ts=ts("2014-01-23T00:00:00"),
        actor=None,
        kind="accept",
        parent_id="p2",
        subtype="VoteTypeId=1",
    )


def test_votes_with_a_user_have_an_actor_and_every_type_has_a_kind():
    votes = {
        k: (v["kind"], v["actor"], v["subtype"])
        for k, v in events_by_id(read_stackexchange([FIXTURE])).items()
        if k.startswith("vote:")
    }
    assert votes == {
        "vote:100": ("like", None, "VoteTypeId=2"),
        "vote:101": ("accept", None, "VoteTypeId=1"),
        "vote:102": ("dislike", None, "VoteTypeId=3"),
        "vote:103": ("bookmark", "stackexchange:9", "VoteTypeId=5"),
        "vote:104": ("bounty", "stackexchange:7", "VoteTypeId=8"),
        "vote:105": ("bounty", None, "VoteTypeId=9"),
        "vote:106": ("moderate", None, "VoteTypeId=12"),
        "vote:107": ("moderate", None, "VoteTypeId=16"),
    }


def test_a_revision_of_several_rows_is_one_edit():
    guid = "33333333-cccc-4ccc-8ccc-000000000003"  # title, body and tags in one go
    assert events_by_id(read_stackexchange([FIXTURE]))[f"history:{guid}"] == event(
        event_id=f"history:{guid}",
        ts=ts("2014-01-22T09:00:00"),
        actor="stackexchange:9",
        kind="edit",
        target=None,
        parent_id="p1",
        thread_id=None,
        subtype="PostHistoryTypeId=4,5,6",
        text=None,
    )


def test_post_history_gives_edits_and_moderation_but_not_the_initial_revisions():
    history = {
        k: (v["kind"], v["actor"], v["parent_id"], v["subtype"])
        for k, v in events_by_id(read_stackexchange([FIXTURE])).items()
        if k.startswith("history:")
    }
    assert history == {
        "history:33333333-cccc-4ccc-8ccc-000000000003": (
            "edit", "stackexchange:9", "p1", "PostHistoryTypeId=4,5,6",
        ),
        # The approval row (24) has no user; the edit row names the proposer.
        "history:44444444-dddd-4ddd-8ddd-000000000004": (
            "edit", "stackexchange:8", "p2", "PostHistoryTypeId=5,24",
        ),
        "history:55555555-eeee-4eee-8eee-000000000005": (
            "moderate", "stackexchange:9", "p5", "PostHistoryTypeId=10",
        ),
        "history:66666666-ffff-4fff-8fff-000000000006": (
            "moderate", None, "p1", "PostHistoryTypeId=25",
        ),
        # Two rows with Bob's revision between them: still one edit, of one's own post.
        "history:77777777-aaaa-4bbb-8ccc-000000000007": (
            "edit", "stackexchange:9", "p5", "PostHistoryTypeId=5,6",
        ),
        "history:88888888-bbbb-4ccc-8ddd-000000000008": (
            "edit", "stackexchange:8", "p1", "PostHistoryTypeId=5",
        ),
    }  # fmt: skip


# --- how the rows are handed out --------------------------------------------------------


def test_chunks_have_the_exact_schemas_and_count_bytes_across_files():
    parsed = read_stackexchange([FIXTURE])
    assert (parsed.format, parsed.platform) == ("stackexchange", "stackexchange")
    names = ["Users.xml", "Posts.xml", "Comments.xml", "Votes.xml", "PostHistory.xml"]
    assert [p.name for p in parsed.paths] == names
    assert parsed.total_bytes == sum((FIXTURE / n).stat().st_size for n in names)
    chunks = list(parsed)
    assert [(c.table, c.path.name) for c in chunks] == [
        ("people", "Users.xml"),
        ("events", "Posts.xml"),
        ("events", "Comments.xml"),
        ("events", "Votes.xml"),
        ("events", "PostHistory.xml"),
    ]
    assert all(c.batch.schema == (PEOPLE if c.table == "people" else EVENTS) for c in chunks)
    progress = [c.bytes_read for c in chunks]
    assert progress == sorted(progress)
    assert progress[-1] == parsed.total_bytes


def test_nothing_is_read_until_the_chunks_are_asked_for(tmp_path):
    folder = dump(tmp_path / "dump", Votes='<row Id="1" PostId="1" VoteTypeId="2" />')
    parsed = read_stackexchange([folder])  # the bad vote is not reached yet
    with pytest.raises(InputError):
        list(parsed)


def test_batches_hold_at_most_batch_rows():
    chunks = list(read_stackexchange([FIXTURE], batch_rows=2))
    assert max(c.batch.num_rows for c in chunks) == 2
    assert sum(c.batch.num_rows for c in chunks) == 27


@settings(max_examples=40, deadline=None)
@given(batch_rows=st.integers(1, 30), block_bytes=st.integers(1, 3000))
def test_rows_do_not_depend_on_batch_or_block_size(batch_rows, block_bytes):
    # Small blocks cut rows, entities and multi-byte characters (é, —, ®) anywhere.
    default = tables(read_stackexchange([FIXTURE]))
    cut = tables(read_stackexchange([FIXTURE], batch_rows=batch_rows, block_bytes=block_bytes))
    assert cut == default


def test_platform_names_people_and_rows():
    got = tables(read_stackexchange([FIXTURE], platform="beer"))
    assert got["people"].column("id").to_pylist()[1] == "beer:7"
    assert set(got["events"].column("platform").to_pylist()) == {"beer"}
    assert (
        events_by_id(read_stackexchange([FIXTURE], platform="beer"))["post:2"]["actor"] == "beer:8"
    )


def test_the_registry_finds_the_importer():
    assert tables(read("stackexchange", [FIXTURE]))["events"].num_rows == 23


def test_only_posts_xml_is_required(tmp_path):
    shutil.copy(FIXTURE / "Posts.xml", tmp_path / "Posts.xml")
    parsed = read_stackexchange([tmp_path])
    assert [p.name for p in parsed.paths] == ["Posts.xml"]
    assert {name: t.num_rows for name, t in tables(parsed).items()} == {"events": 6}


def test_the_path_of_posts_xml_stands_for_its_folder():
    assert tables(read_stackexchange([FIXTURE / "Posts.xml"]))["events"].num_rows == 23


# --- bad input ---------------------------------------------------------------------------


def test_a_folder_without_posts_xml(tmp_path):
    (tmp_path / "Votes.xml").write_bytes((FIXTURE / "Votes.xml").read_bytes())
    with pytest.raises(InputError) as err:
        read_stackexchange([tmp_path])
    assert str(err.value) == (
        f"{tmp_path}: is not a Stack Exchange dump folder: no Posts.xml (expected Posts.xml "
        "with Comments.xml, Users.xml, Votes.xml, PostHistory.xml beside it)"
    )


def test_a_folder_that_does_not_exist(tmp_path):
    with pytest.raises(InputError) as err:
        read_stackexchange([tmp_path / "nowhere"])
    assert str(err.value) == (
        f"{tmp_path / 'nowhere'}: no such folder; expected a Stack Exchange dump folder: "
        "Posts.xml with Comments.xml, Users.xml, Votes.xml, PostHistory.xml beside it"
    )


def test_one_folder_at_a_time():
    with pytest.raises(ParameterError) as err:
        read_stackexchange([FIXTURE, FIXTURE])
    assert str(err.value) == (
        "The 'paths' parameter of read_stackexchange must be a list of one Stack Exchange "
        f"dump folder. Got {[FIXTURE, FIXTURE]!r} instead."
    )


def test_an_empty_posts_xml(tmp_path):
    folder = dump(tmp_path, Posts=b"")
    with pytest.raises(InputError) as err:
        read_stackexchange([folder])
    assert str(err.value) == f"{folder / 'Posts.xml'}: is empty; {EXPECTED_XML}"


def test_malformed_xml_names_line_and_column_and_is_fatal_even_when_skipping(tmp_path):
    # Column 78 is the "<" inside the title: XML wants it written &lt;.
    folder = dump(
        tmp_path,
        Posts="""
        <row Id="1" PostTypeId="1" CreationDate="2014-01-21T20:26:05.383" OwnerUserId="7" />
        <row Id="2" PostTypeId="1" CreationDate="2014-01-21T20:26:05.383" Title="a < b" />
        """,
    )
    for skip in (False, True):
        with pytest.raises(InputError) as err:
            list(read_stackexchange([folder], skip_bad_rows=skip))
        assert str(err.value) == (
            f"{folder / 'Posts.xml'}, line 4, column 78: not well-formed (invalid token); "
            f"{EXPECTED_XML}"
        )


def test_a_file_cut_off_in_the_middle(tmp_path):
    # Cut inside the third comment (line 5), whose <row starts at column 3.
    text = (FIXTURE / "Comments.xml").read_bytes()
    folder = dump(tmp_path, Comments=text[: text.index(b'Text="Source?"')])
    with pytest.raises(InputError) as err:
        list(read_stackexchange([folder]))
    assert str(err.value) == (
        f"{folder / 'Comments.xml'}, line 5, column 3: unclosed token; {EXPECTED_XML}"
    )


def test_a_bad_date_names_file_line_attribute_and_an_example(tmp_path):
    folder = dump(
        tmp_path,
        Votes="""
        <row Id="1" PostId="1" VoteTypeId="2" CreationDate="2013-01-13T00:00:00.000" />
        <row Id="2" PostId="1" VoteTypeId="2" CreationDate="2013-13-01" />
        """,
    )
    with pytest.raises(InputError) as err:
        list(read_stackexchange([folder]))
    assert str(err.value) == (
        f"{folder / 'Votes.xml'}, line 4: CreationDate '2013-13-01' is not a timestamp; "
        "expected e.g. 2013-01-13T08:15:00.000"
    )
    assert err.value.line == 4


def test_a_non_integer_id(tmp_path):
    folder = dump(
        tmp_path,
        Comments='<row Id="ten" PostId="1" Text="hi" CreationDate="2014-01-22T08:15:00.000" />',
    )
    with pytest.raises(InputError) as err:
        list(read_stackexchange([folder]))
    assert str(err.value) == (
        f"{folder / 'Comments.xml'}, line 3: Id 'ten' is not an integer; expected e.g. Id=\"42\""
    )


def test_a_missing_field(tmp_path):
    folder = dump(tmp_path, Posts='<row Id="2" PostTypeId="2" CreationDate="2014-01-21" />')
    with pytest.raises(InputError) as err:
        list(read_stackexchange([folder]))
    assert str(err.value) == (
        f"{folder / 'Posts.xml'}, line 3: answer (PostTypeId 2) has no ParentId; "
        "expected the Id of its question"
    )


def test_a_byte_that_is_not_utf8(tmp_path):
    text = (FIXTURE / "Comments.xml").read_bytes().replace(b"Source?", b"Sourc\xe9?")
    folder = dump(tmp_path, Comments=text)
    with pytest.raises(InputError) as err:
        list(read_stackexchange([folder]))
    assert str(err.value) == (
        f"{folder / 'Comments.xml'}, line 5: byte 0xe9 is not UTF-8; {EXPECTED_XML} in UTF-8"
    )


def test_a_file_of_another_table(tmp_path):
    folder = dump(tmp_path, Votes=(FIXTURE / "Comments.xml").read_bytes())
    with pytest.raises(InputError) as err:
        list(read_stackexchange([folder]))
    assert str(err.value) == (
        f"{folder / 'Votes.xml'}, line 2: the root element is <comments>; expected <votes> "
        "around one <row .../> per record"
    )


def test_entity_declarations_are_refused(tmp_path):
    bomb = b'<?xml version="1.0"?>\n<!DOCTYPE posts [<!ENTITY lol "lol">]>\n<posts>&lol;</posts>'
    folder = dump(tmp_path, Posts=bomb)
    with pytest.raises(InputError) as err:
        list(read_stackexchange([folder]))
    assert str(err.value) == (
        f"{folder / 'Posts.xml'}, line 2: declares the entity 'lol'; {EXPECTED_XML} without a DTD"
    )


def test_skip_bad_rows_skips_and_counts_them(tmp_path):
    folder = dump(
        tmp_path,
        Votes="""
        <row Id="1" PostId="1" VoteTypeId="2" CreationDate="2013-01-13T00:00:00.000" />
        <row Id="2" PostId="1" VoteTypeId="2" CreationDate="2013-13-01" />
        <row Id="3" VoteTypeId="2" CreationDate="2013-01-13T00:00:00.000" />
        <row Id="4" PostId="1" VoteTypeId="two" CreationDate="2013-01-13T00:00:00.000" />
        <row Id="5" PostId="1" VoteTypeId="3" CreationDate="2013-01-14T00:00:00.000" />
        """,
    )
    parsed = read_stackexchange([folder], skip_bad_rows=True)
    events = events_by_id(parsed)
    assert parsed.bad_rows == 3
    assert sorted(k for k in events if k.startswith("vote:")) == ["vote:1", "vote:5"]
    assert len(events) == 23 - 8 + 2


# --- the real dump ----------------------------------------------------------------------


@pytest.mark.data
@pytest.mark.skipif(not SE_BEER.is_dir(), reason=f"the se-beer dump is not at {SE_BEER}")
def test_the_beer_dump_gives_the_counts_of_its_source_md():
    parsed = read_stackexchange([SE_BEER])
    got = tables(parsed)
    people, events = got["people"], got["events"]
    assert parsed.bad_rows == 0
    assert people.num_rows == 6863
    assert "stackexchange:-1" in people.column("id").to_pylist()

    rows = events.select(["event_id", "kind", "subtype", "actor"]).to_pylist()
    by_subtype = Counter((r["kind"], r["subtype"]) for r in rows)
    # Posts by PostTypeId: 1,029 questions, 2,277 answers, 81 + 81 tag wiki, 3 nominations.
    assert by_subtype[("post", "PostTypeId=1")] == 1029
    assert by_subtype[("reply", "PostTypeId=2")] == 2277
    assert by_subtype[("post", "PostTypeId=4")] == 81
    assert by_subtype[("post", "PostTypeId=5")] == 81
    assert by_subtype[("post", "PostTypeId=7")] == 3
    assert by_subtype[("view", "ViewCount")] == 1029  # every question was viewed
    assert by_subtype[("reply", "comment")] == 3509
    # Votes by VoteTypeId, as SOURCE.md lists them.
    votes = {1: 625, 2: 15395, 3: 1084, 4: 7, 5: 397, 8: 14, 9: 14, 10: 291, 11: 9, 12: 31}
    votes |= {15: 288, 16: 409}
    for vote_type, n in votes.items():
        assert sum(c for (_, s), c in by_subtype.items() if s == f"VoteTypeId={vote_type}") == n
    vote_rows = [r for r in rows if r["event_id"].startswith("vote:")]
    assert len(vote_rows) == 18564
    # Only favourites (397) and bounty starts (14) name the voter.
    assert sum(r["actor"] is not None for r in vote_rows) == 397 + 14
    # 27 posts without an OwnerUserId, 50 comments without a UserId.
    assert sum(r["actor"] is None for r in rows if r["event_id"].startswith("post:")) == 27
    assert sum(r["actor"] is None for r in rows if r["event_id"].startswith("comment:")) == 50
    # Worked out from PostHistory.xml (9,071 rows in 6,320 revisions, 3,470 of them initial).
    kinds = Counter(r["kind"] for r in rows if r["event_id"].startswith("history:"))
    assert kinds == {"edit": 1860, "moderate": 990}
    ids = [r["event_id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert events.num_rows == 3471 + 1029 + 3509 + 18564 + 2850


# --- lines read in blocks, and expat: the same rows, the same errors ---------------------


def read_by_expat(monkeypatch, folder: Path, **options) -> dict[str, pa.Table]:
    """The tables as expat alone reads them: no file is taken for the dump's layout."""
    with monkeypatch.context() as m:
        m.setattr(_rowxml, "head_end", lambda data, root: None)
        return tables(read_stackexchange([folder], **options))


def test_the_fixture_read_in_blocks_equals_expat(monkeypatch):
    assert tables(read_stackexchange([FIXTURE])) == read_by_expat(monkeypatch, FIXTURE)


@pytest.mark.data
@pytest.mark.skipif(not SE_BEER.is_dir(), reason=f"the se-beer dump is not at {SE_BEER}")
def test_the_beer_dump_read_in_blocks_equals_expat(monkeypatch):
    assert tables(read_stackexchange([SE_BEER])) == read_by_expat(monkeypatch, SE_BEER)


def xml_value(text: str, tabs_literal: bool, refs: bool) -> str:
    """``text`` as a dump writes an attribute value; with ``refs``, non-ASCII letters as
    character references (which XML allows, and the row by row way decodes)."""
    out = (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#xA;")
        .replace("\r", "&#xD;")
    )
    if not tabs_literal:
        out = out.replace("\t", "&#x9;")
    if refs:
        out = "".join(f"&#{ord(c)};" if ord(c) > 127 else c for c in out)
    return out


# Text XML can carry: no C0 controls but tab, CR and LF; no surrogates, U+FFFE or U+FFFF.
xml_text = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters=[chr(c) for c in range(32) if c not in (9, 10, 13)]
        + ["\ufffe", "\uffff"],
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(xml_text, min_size=1, max_size=6),
    tabs_literal=st.booleans(),
    refs=st.booleans(),
    block_bytes=st.sampled_from([1, 97, 8 << 20]),
)
def test_any_text_reads_the_same_in_blocks_and_by_expat(texts, tabs_literal, refs, block_bytes):
    import tempfile

    def v(t: str) -> str:
        return xml_value(t, tabs_literal, refs)

    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        folder = dump(
            Path(tmp),
            Users="\n".join(
                f'<row Id="{i}" Reputation="{i * 7}" CreationDate="2014-01-21T20:26:05.383" '
                f'DisplayName="{v(t)}" Location="{v(t[::-1])}" Views="{v(t)}" />'
                for i, t in enumerate(texts)
            ),
            Posts="\n".join(
                f'<row Id="{i}" PostTypeId="1" CreationDate="2014-01-21T20:26:05.383" '
                f'OwnerUserId="7" ViewCount="{i}" Title="{v(t)}" Body="{v(t + t)}" />'
                for i, t in enumerate(texts)
            ),
            Comments="\n".join(
                f'<row Id="{i}" PostId="1" Text="{v(t)}" CreationDate="2014-01-22T08:15:00" />'
                for i, t in enumerate(texts)
            ),
        )
        blocks = tables(read_stackexchange([folder], block_bytes=block_bytes))
        assert blocks == read_by_expat(mp, folder)


@pytest.mark.parametrize("block_bytes", [1, 200, 8 << 20])
def test_a_row_laid_out_otherwise_is_read_by_expat_from_there(tmp_path, monkeypatch, block_bytes):
    # Comment 11 over two lines, with single quotes: well-formed, not the dump's layout.
    text = (FIXTURE / "Comments.xml").read_bytes()
    at = text.index(b'<row Id="11"')
    end = text.index(b"/>", at)
    odd = text[at:end].replace(b'"', b"'").replace(b" Text=", b"\r\n    Text=")
    folder = dump(tmp_path, Comments=text[:at] + odd + text[end:])
    assert tables(read_stackexchange([folder], block_bytes=block_bytes)) == tables(
        read_stackexchange([FIXTURE])
    )
    assert tables(read_stackexchange([folder])) == read_by_expat(monkeypatch, folder)


@pytest.mark.parametrize("block_bytes", [1, 50, 300, 8 << 20])
@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('<row Id="9" PostId="1" Text="a < b" />', "line 5, column 34: not well-formed"),
        ('<row Id="9" PostId="1" Text="a &b" />', "line 5, column 36: not well-formed"),
        ('<row Id="9" PostId="1" Id="2" />', "line 5, column 26: duplicate attribute"),
        ('<row Id="9" PostId="1" Text="&#1;" />', "line 5, column 32: reference to invalid"),
        ('<row Id=\'9\' PostId="1" Text="x /> <b>', "line 5, column 37: not well-formed"),
    ],
)
def test_malformed_lines_give_expat_line_and_column_however_read(
    tmp_path, monkeypatch, block_bytes, row, message
):
    good = '<row Id="{}" PostId="1" Text="ok" CreationDate="2014-01-22T08:15:00.000" />'
    rows = "\n".join([good.format(1), good.format(2), row, good.format(3)])
    folder = dump(tmp_path, Comments=rows)
    with pytest.raises(InputError) as blocks:
        list(read_stackexchange([folder], block_bytes=block_bytes))
    with pytest.raises(InputError) as whole:
        read_by_expat(monkeypatch, folder)
    assert str(blocks.value) == str(whole.value)
    assert f"Comments.xml, {message}" in str(blocks.value)
