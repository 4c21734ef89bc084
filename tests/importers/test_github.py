"""The GitHub REST API importer, specified on hand-written API answers in
tests/fixtures/github.

The fixture is one day (2024-03-01, UTC) of the repository octo-org/Hello-World, saved as
``gh api`` saves it, in the fields the REST API documents:

- issues.json, two pages one after the other (``--paginate``): issue #1 by Ada at 09:00
  naming @Bob-Smith (and ``@pytest.fixture`` in a code block); pull request #2 by Bob-Smith
  at 12:00 naming @ada (beside an e-mail address and a team).
- pulls.json: pull request #2 again, as ``/pulls`` lists it.
- issues-comments.json: 101 Bob-Smith on #1 at 10:00 (quoting Ada's mention, CRLF line
  ends, ``@decorator`` in a code span); 102 Ada on #1 at 11:00; 103 carol on #2 at 13:00
  naming @Ada; 104 a deleted user (``user`` null) on #1 at 11:30.
- pulls-comments.json: review comments 201 carol at 14:00, 202 Bob-Smith answering it at
  15:00.
- pulls-2-reviews.json: 301 carol COMMENTED without a body at 14:00 (the envelope of
  comment 201), 303 Ada CHANGES_REQUESTED at 14:30, 302 carol APPROVED without a body at
  16:00, 304 dave PENDING (not submitted).
- issues-1-reactions.json: 401 carol +1 at 09:30, 402 Bob-Smith -1 at 09:45, on #1.
- issues-comments-101-reactions.json: 403 Ada heart on comment 101 at 10:30.
- pulls-comments-201-reactions.json: 404 Ada rocket on review comment 201 at 14:10.
- reactions-with-subject.json: 405 dave eyes at 15:30, one object per line with the
  ``subject_url`` of review comment 202.

Every expected row below was worked out by hand from the files.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from narrowcast.errors import InputError
from narrowcast.importers.github import parse_github, read_github
from narrowcast.model import EVENTS
from tests.conftest import collect, rows

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "github"
EXPECTED = "expected GitHub REST API JSON: issues, pull requests, comments, reviews or reactions"
API = "https://api.github.com/repos/octo-org/Hello-World"
R = "octo-org/hello-world"  # the repository, as item ids carry it
ADA, BOB, CAROL, DAVE = "github:ada", "github:bob-smith", "github:carol", "github:dave"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 3, 1, hour, minute, tzinfo=UTC)


# (event_id, ts, actor, kind, target, content_id, parent_id, thread_id, subtype, text), in
# reading order: files by name, reactions files last.
ROWS = [
    # issues-comments.json. The quoted mention and the code span name nobody.
    (f"{R}#issuecomment-101", at(10), BOB, "reply", None, f"{R}#issuecomment-101", f"{R}#1",
     f"{R}#1", "issue_comment", "> @Bob-Smith can you look?\r\n\r\nOn it, `@decorator` aside."),
    (f"{R}#issuecomment-102", at(11), ADA, "reply", None, f"{R}#issuecomment-102", f"{R}#1",
     f"{R}#1", "issue_comment", "Thanks!"),
    (f"{R}#issuecomment-103", at(13), CAROL, "reply", None, f"{R}#issuecomment-103", f"{R}#2",
     f"{R}#2", "issue_comment", "LGTM @Ada"),
    (f"{R}#issuecomment-103@ada", at(13), CAROL, "mention", ADA, None, None, f"{R}#2",
     "@mention", None),
    (f"{R}#issuecomment-104", at(11, 30), None, "reply", None, f"{R}#issuecomment-104",
     f"{R}#1", f"{R}#1", "issue_comment", "spam?"),
    # issues.json, page 1 then page 2.
    (f"{R}#1", at(9), ADA, "post", None, f"{R}#1", None, f"{R}#1", "issue",
     "Crash on start\n@Bob-Smith can you look?\n```python\n@pytest.fixture\n```"),
    (f"{R}#1@bob-smith", at(9), ADA, "mention", BOB, None, None, f"{R}#1", "@mention", None),
    (f"{R}#2", at(12), BOB, "post", None, f"{R}#2", None, f"{R}#2", "pull_request",
     "Fix crash\nFixes #1. cc @ada, mail ada@example.org, team @octo-org/core"),
    (f"{R}#2@ada", at(12), BOB, "mention", ADA, None, None, f"{R}#2", "@mention", None),
    # pulls-2-reviews.json: 301 (an envelope) and 304 (pending) give no row.
    (f"{R}#pullrequestreview-303", at(14, 30), ADA, "reply", None,
     f"{R}#pullrequestreview-303", f"{R}#2", f"{R}#2", "CHANGES_REQUESTED",
     "Please add a test"),
    (f"{R}#pullrequestreview-302", at(16), CAROL, "reply", None,
     f"{R}#pullrequestreview-302", f"{R}#2", f"{R}#2", "APPROVED", None),
    # pulls-comments.json: 202 answers 201.
    (f"{R}#discussion_r201", at(14), CAROL, "reply", None, f"{R}#discussion_r201", f"{R}#2",
     f"{R}#2", "review_comment", "Typo here"),
    (f"{R}#discussion_r202", at(15), BOB, "reply", None, f"{R}#discussion_r202",
     f"{R}#discussion_r201", f"{R}#2", "review_comment", "Fixed"),
    # pulls.json: #2 again, given once. reactions-with-subject.json:
    (f"{R}#reaction-405", at(15, 30), DAVE, "like", None, None, f"{R}#discussion_r202", None,
     "eyes", None),
    # The reactions files, their item told by their names.
    (f"{R}#reaction-401", at(9, 30), CAROL, "like", None, None, f"{R}#1", None, "+1", None),
    (f"{R}#reaction-402", at(9, 45), BOB, "dislike", None, None, f"{R}#1", None, "-1", None),
    (f"{R}#reaction-403", at(10, 30), ADA, "like", None, None, f"{R}#issuecomment-101", None,
     "heart", None),
    (f"{R}#reaction-404", at(14, 10), ADA, "like", None, None, f"{R}#discussion_r201", None,
     "rocket", None),
]  # fmt: skip

COLUMNS = (
    "event_id", "ts", "actor", "kind", "target", "content_id", "parent_id", "thread_id",
    "subtype", "text",
)  # fmt: skip


def event_rows(parsed) -> list[tuple]:
    events = collect(parsed)["events"]
    return [tuple(r[c] for c in COLUMNS) for r in events.to_pylist()]


def user(login: str, uid: int = 1) -> dict:
    return {"login": login, "id": uid, "type": "User", "site_admin": False}


def issue(number: int = 1, **fields: object) -> dict:
    record = {
        "url": f"{API}/issues/{number}",
        "html_url": f"https://github.com/octo-org/Hello-World/issues/{number}",
        "number": number,
        "title": "Crash",
        "user": user("Ada"),
        "created_at": "2024-03-01T09:00:00Z",
        "body": None,
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def comment(cid: int = 101, **fields: object) -> dict:
    record = {
        "id": cid,
        "issue_url": f"{API}/issues/1",
        "user": user("bob"),
        "created_at": "2024-03-01T10:00:00Z",
        "body": "hi",
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def reaction(rid: int = 401, **fields: object) -> dict:
    record = {"id": rid, "user": user("carol"), "content": "+1"}
    record["created_at"] = "2024-03-01T09:30:00Z"
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def mentions(body: str) -> list[str]:
    events, _, _ = parse_github([issue(body=body)])
    return [t for t in events.column("target").to_pylist() if t is not None]


# --- the fixture, row by row ------------------------------------------------------------


def test_the_fixture_gives_the_rows_worked_out_by_hand():
    parsed = read_github([FIXTURE])
    assert [p.name for p in parsed.paths] == [
        "issues-comments.json",
        "issues.json",
        "pulls-2-reviews.json",
        "pulls-comments.json",
        "pulls.json",
        "reactions-with-subject.json",
        "issues-1-reactions.json",
        "issues-comments-101-reactions.json",
        "pulls-comments-201-reactions.json",
    ]
    assert event_rows(parsed) == ROWS
    assert parsed.bad_rows == 0


def test_every_row_is_public_once_and_of_the_events_schema():
    events = collect(read_github([FIXTURE]))["events"]
    assert events.schema.equals(EVENTS)
    assert set(events.column("visibility").to_pylist()) == {"public"}
    assert set(events.column("quantity").to_pylist()) == {1}
    assert Counter(events.column("kind").to_pylist()) == {
        "post": 2,
        "reply": 8,
        "mention": 3,
        "like": 4,
        "dislike": 1,
    }


def test_every_user_seen_is_a_person_with_login_as_handle_and_numeric_id():
    people = collect(read_github([FIXTURE]))["people"].to_pylist()
    assert [(p["id"], p["handle"], p["attributes"]) for p in people] == [
        (BOB, "Bob-Smith", '{"id": 1002, "type": "User"}'),
        (ADA, "Ada", '{"id": 1001, "type": "User"}'),
        (CAROL, "carol", '{"id": 1003, "type": "User"}'),
        (DAVE, "dave", '{"id": 1004, "type": "User"}'),
    ]


def test_platform_names_rows_and_people():
    got = collect(read_github([FIXTURE], platform="octo"))
    assert set(got["events"].column("platform").to_pylist()) == {"octo"}
    assert got["events"].column("actor").to_pylist()[0] == "octo:bob-smith"
    assert got["people"].column("id").to_pylist()[0] == "octo:bob-smith"


# --- the store --------------------------------------------------------------------------


def test_the_store_fills_targets_and_threads_and_a_second_import_adds_nothing(store):
    first = store.load(read_github([FIXTURE]))
    assert first.events_added == len(ROWS)
    got = dict(rows(store, "SELECT event_id, target FROM event_log WHERE kind <> 'mention'"))
    assert got == {
        f"{R}#1": None,
        f"{R}#2": None,
        f"{R}#issuecomment-101": ADA,  # on Ada's issue
        f"{R}#issuecomment-102": ADA,  # her own
        f"{R}#issuecomment-103": BOB,  # on Bob's pull request
        f"{R}#issuecomment-104": ADA,
        f"{R}#pullrequestreview-302": BOB,
        f"{R}#pullrequestreview-303": BOB,
        f"{R}#discussion_r201": BOB,
        f"{R}#discussion_r202": CAROL,  # answering carol's comment
        f"{R}#reaction-401": ADA,
        f"{R}#reaction-402": ADA,
        f"{R}#reaction-403": BOB,
        f"{R}#reaction-404": CAROL,
        f"{R}#reaction-405": BOB,
    }
    threads = dict(rows(store, "SELECT event_id, thread_id FROM events WHERE kind = 'like'"))
    assert threads == {
        f"{R}#reaction-401": f"{R}#1",
        f"{R}#reaction-403": f"{R}#1",
        f"{R}#reaction-404": f"{R}#2",
        f"{R}#reaction-405": f"{R}#2",
    }
    assert rows(store, f"SELECT handle FROM people WHERE id = '{BOB}'") == [("Bob-Smith",)]
    again = store.load(read_github([FIXTURE]))
    assert (again.events_added, again.events_skipped) == (0, len(ROWS))


# --- file layouts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        json.dumps([issue(1), issue(2)]),  # one array
        json.dumps([issue(1)]) + json.dumps([issue(2)]),  # gh api --paginate: page after page
        json.dumps([issue(1)]) + "\n" + json.dumps([issue(2)]) + "\n",
        json.dumps([[issue(1)], [issue(2)]]),  # gh api --paginate --slurp
        json.dumps(issue(1)) + "\n" + json.dumps(issue(2)) + "\n",  # --jq '.[]'
        "\ufeff" + json.dumps([issue(1), issue(2)], indent=2),  # with a byte-order mark
        json.dumps({"total_count": 2, "incomplete_results": False, "items": [issue(1), issue(2)]}),
    ],
    ids=["array", "pages", "pages-lines", "slurp", "objects", "bom", "search"],
)
def test_every_way_gh_saves_answers_gives_the_same_rows(tmp_path, text):
    path = tmp_path / "issues.json"
    path.write_text(text)
    ids = collect(read_github([path]))["events"].column("event_id").to_pylist()
    assert ids == [f"{R}#1", f"{R}#2"]


def test_a_single_object_is_one_record(tmp_path):
    path = tmp_path / "issue-1.json"
    path.write_text(json.dumps(issue(1)))
    assert collect(read_github([path]))["events"].column("event_id").to_pylist() == [f"{R}#1"]


def test_an_empty_array_is_an_item_without_reactions(tmp_path):
    shutil.copy(FIXTURE / "issues.json", tmp_path)
    (tmp_path / "issues-2-reactions.json").write_text("[]\n")
    assert collect(read_github([tmp_path]))["events"].num_rows == 4


def test_compressed_files_and_subfolders_are_read(tmp_path):
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "all.json.gz").write_bytes(
        gzip.compress((FIXTURE / "issues.json").read_bytes())
    )
    (tmp_path / "issues" / "1").mkdir()
    shutil.copy(FIXTURE / "issues-1-reactions.json", tmp_path / "issues" / "1" / "reactions.json")
    (tmp_path / "README.md").write_text("not read")
    parsed = read_github([tmp_path])
    assert [p.name for p in parsed.paths] == ["all.json.gz", "reactions.json"]
    parents = collect(parsed)["events"].column("parent_id").to_pylist()
    assert parents[-2:] == [f"{R}#1", f"{R}#1"]  # issues/1/reactions.json: on #1


def test_a_pull_request_in_issues_and_in_pulls_gives_its_rows_once():
    events, _, _ = parse_github(
        json.loads((FIXTURE / "issues.json").read_text().replace("][", ","))
        + json.loads((FIXTURE / "pulls.json").read_text())
    )
    assert events.column("event_id").to_pylist() == [f"{R}#1", f"{R}#1@bob-smith", f"{R}#2",
                                                     f"{R}#2@ada"]  # fmt: skip


@pytest.mark.parametrize(
    "url, item",
    [
        (f"{API}/issues/7", f"{R}#7"),
        (f"{API}/pulls/7", f"{R}#7"),
        (f"{API}/issues/comments/9", f"{R}#issuecomment-9"),
        (f"{API}/pulls/comments/9", f"{R}#discussion_r9"),
        ("https://github.com/octo-org/Hello-World/pull/7", f"{R}#7"),
        ("https://github.com/octo-org/Hello-World/issues/7#issuecomment-9", f"{R}#issuecomment-9"),
        ("https://github.com/octo-org/Hello-World/pull/7#discussion_r9", f"{R}#discussion_r9"),
        (
            "https://github.com/octo-org/Hello-World/pull/7/files#discussion_r9",
            f"{R}#discussion_r9",
        ),
        ("https://ghe.example.com/api/v3/repos/octo-org/Hello-World/issues/7", f"{R}#7"),
    ],
)
def test_a_subject_is_an_api_or_web_address(url, item):
    events, _, _ = parse_github([reaction(subject_url=url)])
    assert events.column("parent_id").to_pylist() == [item]
    events, _, _ = parse_github([reaction(issue_url=url)])
    assert events.column("parent_id").to_pylist() == [item]
    events, _, _ = parse_github([reaction()], subject=url)
    assert events.column("parent_id").to_pylist() == [item]


@pytest.mark.parametrize(
    "name, item",
    [
        ("issues-7-reactions.json", f"{R}#7"),
        ("pulls_7_reactions.json", f"{R}#7"),
        ("issues.comments.9.reactions.json", f"{R}#issuecomment-9"),
        ("pulls-comments-9-reactions.json.gz", f"{R}#discussion_r9"),
    ],
)
def test_a_reactions_file_name_says_which_item_they_are_on(tmp_path, name, item):
    shutil.copy(FIXTURE / "issues.json", tmp_path)
    data = json.dumps([reaction()]).encode()
    (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    events = collect(read_github([tmp_path]))["events"]
    assert events.column("parent_id").to_pylist()[-1] == item


# --- reviews and mentions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "state, body, rows_given",
    [("APPROVED", "", 1), ("COMMENTED", "Nice", 1), ("COMMENTED", "", 0),
     ("COMMENTED", None, 0), ("DISMISSED", "", 1), ("PENDING", "Draft", 0)],
)  # fmt: skip
def test_envelope_and_pending_reviews_give_no_row(state, body, rows_given):
    review = {
        "id": 5,
        "user": user("carol"),
        "state": state,
        "body": body,
        "pull_request_url": f"{API}/pulls/2",
        "submitted_at": "2024-03-01T16:00:00Z",
    }
    events, _, _ = parse_github([review])
    assert events.num_rows == rows_given
    assert events.column("subtype").to_pylist() == [state] * rows_given


@pytest.mark.parametrize(
    "body, mentioned",
    [
        ("@alice and @Bob, @alice again", ["alice", "bob"]),
        ("(@alice) @bob: thanks @carol.", ["alice", "bob", "carol"]),
        ("mail alice@example.org, @org/team, @a--b", []),
        ("```\n@decorator\n```\n@alice", ["alice"]),
        ("~~~py\n@x\n~~~", []),
        ("```\n@never-closed\n", []),
        ("use `@Inject` or ``@x`` here, @alice", ["alice"]),
        ("> @alice wrote this\r\n@bob", ["bob"]),
        ("@dependabot[bot] and @a-b-c", ["dependabot", "a-b-c"]),
    ],
)
def test_mentions_are_logins_outside_code_and_quotes(body, mentioned):
    assert mentions(body) == [f"github:{m}" for m in mentioned]


# --- bad input --------------------------------------------------------------------------


def test_a_file_that_is_not_json_names_line_and_column(tmp_path):
    path = tmp_path / "issues.json"
    path.write_text('[\n  {"number": 1,\n   "title": oops}\n]')
    with pytest.raises(InputError) as err:
        collect(read_github([path]))
    assert str(err.value) == f"{path}, line 3: not JSON: Expecting value at column 13; {EXPECTED}"


def test_an_unfinished_array_is_not_json(tmp_path):
    path = tmp_path / "issues.json"
    path.write_text(json.dumps([issue(1)])[:-1] + " ")
    with pytest.raises(InputError, match="line 1: not JSON: Expecting ',' delimiter at column"):
        collect(read_github([path]))


@pytest.mark.parametrize(
    "record, message",
    [
        (comment(created_at=None), "record has no created_at; expected a time such as "
         "2024-03-01T09:00:00Z"),
        (comment(created_at="yesterday"), "created_at 'yesterday' is not a time; expected e.g. "
         "2024-03-01T09:00:00Z"),
        (comment(id=None), 'record has no id; expected an integer id such as "id": 1234'),
        (comment(issue_url=f"{API}/issues/comments/3"), f"issue_url '{API}/issues/comments/3' "
         "is not the address of an issue or pull request; expected e.g. \"issue_url\": "
         '"https://api.github.com/repos/OWNER/REPO/issues/12"'),
        (issue(url=None, html_url=None), "issue has no url naming its repository; expected "
         'e.g. "url": "https://api.github.com/repos/OWNER/REPO/issues/12"'),
        (issue(number="7"), "number '7' is not an integer; expected e.g. \"number\": 12"),
        ({"sha": "abc", "commit": {}}, "record is none of issue, pull request, comment, review "
         "or reaction: it has no number and title, issue_url, pull_request_url or content; "
         + EXPECTED),
        ("text", "a JSON str, not an object; " + EXPECTED),
        (reaction(), "reaction has no subject_url and the file's name does not say which item "
         "it is on; expected a file named like issues-12-reactions.json or "
         "issues-comments-99-reactions.json, or a subject_url in each reaction"),
        (reaction(subject_url=f"{API}/commits/abc"), f"subject_url '{API}/commits/abc' is not "
         "the address of an issue, pull request or comment; expected e.g. "
         '"https://api.github.com/repos/OWNER/REPO/issues/12"'),
    ],
)  # fmt: skip
def test_a_bad_record_names_file_line_and_what_was_expected(tmp_path, record, message):
    path = tmp_path / "records.json"
    path.write_text("[\n" + json.dumps(comment(100)) + ",\n" + json.dumps(record) + "\n]\n")
    with pytest.raises(InputError) as err:
        collect(read_github([path]))
    assert str(err.value) == f"{path}, line 3: {message}"


def test_reactions_named_by_file_in_an_import_of_two_repositories_need_a_subject(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([issue(1)]))
    other = issue(1, url="https://api.github.com/repos/octo-org/other/issues/1")
    (tmp_path / "b.json").write_text(json.dumps([other]))
    path = tmp_path / "issues-1-reactions.json"
    path.write_text(json.dumps([reaction()]))
    with pytest.raises(InputError) as err:
        collect(read_github([tmp_path]))
    assert str(err.value) == (
        f"{path}, line 1: the file's name says which item these reactions are on but not its "
        "repository, and this import has 2 repositories; give each reaction a subject_url, "
        "or import one repository's files at a time"
    )


def test_skip_bad_rows_skips_and_counts_them(tmp_path):
    path = tmp_path / "issues-comments.json"
    path.write_text(json.dumps([comment(1, created_at=None), comment(2), "x", comment(3, id=None)]))
    parsed = read_github([path], skip_bad_rows=True)
    ids = collect(parsed)["events"].column("event_id").to_pylist()
    assert ids == [f"{R}#issuecomment-2"]
    assert parsed.bad_rows == 3


def test_a_byte_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "issues.json"
    path.write_bytes(b'[\n{"title": "caf\xe9"}\n]')
    with pytest.raises(InputError) as err:
        collect(read_github([path]))
    assert str(err.value) == f"{path}, line 2: byte 0xe9 is not UTF-8; {EXPECTED} in UTF-8"


def test_a_file_of_white_space_holds_no_json(tmp_path):
    path = tmp_path / "issues.json"
    path.write_text(" \n")
    with pytest.raises(InputError) as err:
        collect(read_github([path]))
    assert str(err.value) == f"{path}: holds no JSON value; {EXPECTED}"


def test_an_empty_file_and_a_missing_path_say_so(tmp_path):
    empty = tmp_path / "issues.json"
    empty.write_text("")
    with pytest.raises(InputError) as err:
        read_github([empty])
    assert str(err.value) == f"{empty}: is empty; {EXPECTED}"
    with pytest.raises(InputError) as err:
        read_github([tmp_path / "pulls.json"])
    assert str(err.value) == f"{tmp_path / 'pulls.json'}: no such file; {EXPECTED}"


def test_a_folder_without_json_files_says_what_it_looked_for(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(InputError) as err:
        read_github([tmp_path])
    assert str(err.value) == (
        f"{tmp_path}: holds no JSON file; expected files saved from the GitHub REST API such "
        "as issues.json (gh api 'repos/OWNER/REPO/issues?state=all' --paginate)"
    )


def test_a_bad_record_in_memory_names_its_number():
    with pytest.raises(InputError) as err:
        parse_github([comment(), comment(2, created_at="soon")])
    assert str(err.value) == (
        "<records>, record 2: created_at 'soon' is not a time; expected e.g. 2024-03-01T09:00:00Z"
    )
