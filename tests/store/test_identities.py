"""One person, several accounts: links are recorded, undone, suggested, and measures follow."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import narrowcast
from narrowcast.cli import main
from narrowcast.errors import StoreError
from narrowcast.store import Store

#: ada posts on a forum as "ada" and mails a list as ada@example.org; bob answers both.
FORUM = """ts,actor,kind,target,content_id,parent_id
2024-03-01T09:00:00Z,ada,post,,p1,
2024-03-01T10:00:00Z,bob,reply,ada,r1,p1
2024-03-02T10:00:00Z,ada,reply,bob,r2,r1
"""
LIST = """ts,actor,kind,target,content_id,parent_id,platform
2024-03-03T09:00:00Z,ada@example.org,post,,m1,,list
2024-03-03T10:00:00Z,bob@example.org,reply,ada@example.org,m2,m1,list
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    (tmp_path / "forum.csv").write_text(FORUM)
    (tmp_path / "list.csv").write_text(LIST)
    path = tmp_path / "s.duckdb"
    narrowcast.import_files("csv", [tmp_path / "forum.csv"], db=path, platform="forum")
    narrowcast.import_files("csv", [tmp_path / "list.csv"], db=path)
    return path


def test_linked_accounts_are_scored_as_one_person(db):
    """Before: forum:ada and list:ada@example.org are two people. After the link, ada is
    one person with both accounts, her events together: the list's reply to her counts."""
    before = narrowcast.score(db).people
    assert {"forum:ada", "list:ada@example.org"} <= set(before.person)
    narrowcast.link(["forum:ada", "list:ada@example.org"], db=db)
    after = narrowcast.score(db).people
    assert "list:ada@example.org" not in set(after.person)
    shown = narrowcast.show("ada", db=db)
    assert shown["accounts"] == ["forum:ada", "list:ada@example.org"]
    assert shown["components"]["reach"]["raw"] >= 0
    with Store(db, read_only=True) as s:
        assert s.con.execute("SELECT count(*) FROM events").fetchone()[0] == 5  # nothing merged


def test_unlink_undoes_a_link(db):
    narrowcast.link(["forum:ada", "list:ada@example.org"], db=db)
    assert narrowcast.unlink(["list:ada@example.org"], db=db) == 1
    people = narrowcast.score(db).people
    assert {"forum:ada", "list:ada@example.org"} <= set(people.person)


def test_linking_into_a_group_joins_the_group(db):
    """forum:ada with list:ada, then list:ada with forum:bob: all three are forum:ada."""
    narrowcast.link(["forum:ada", "list:ada@example.org"], db=db)
    got = narrowcast.link(["list:ada@example.org", "forum:bob"], db=db)
    assert got["person"] == "forum:ada"
    assert got["accounts"] == ["forum:ada", "forum:bob", "list:ada@example.org"]


def test_unknown_ids_and_single_ids_are_refused(db):
    with pytest.raises(StoreError, match="no person 'forum:nobody'"):
        narrowcast.link(["forum:ada", "forum:nobody"], db=db)
    with pytest.raises(StoreError, match="at least two"):
        narrowcast.link(["forum:ada", "forum:ada"], db=db)


def test_same_handles_across_platforms_are_suggested_never_merged(db, tmp_path):
    """The list's ada@example.org has handle 'ada@example.org'; import a third platform
    where she is 'ada' too: forum:ada and chat:ada share a handle and are offered."""
    (tmp_path / "chat.csv").write_text("ts,actor,kind\n2024-03-04T09:00:00Z,ada,post\n")
    narrowcast.import_files("csv", [tmp_path / "chat.csv"], db=db, platform="chat")
    rows = narrowcast.link_suggestions(db=db)
    assert {"ids": ["chat:ada", "forum:ada"], "same": "handle", "value": "ada"} in rows
    with Store(db, read_only=True) as s:
        assert s.con.execute("SELECT count(*) FROM identities").fetchone()[0] == 0


def test_identities_import_from_csv(db, tmp_path):
    f = tmp_path / "ids.csv"
    f.write_text("person,account\nforum:ada,list:ada@example.org\n")
    narrowcast.import_files("identities", [f], db=db)
    with Store(db, read_only=True) as s:
        assert s.accounts("list:ada@example.org") == ["forum:ada", "list:ada@example.org"]


def test_cli_link_suggest_unlink(db):
    run = CliRunner().invoke
    r = run(main, ["link", "--db", str(db), "forum:ada", "list:ada@example.org"])
    assert r.exit_code == 0 and "forum:ada is now one person" in r.output
    r = run(main, ["unlink", "--db", str(db), "list:ada@example.org"])
    assert r.exit_code == 0 and "removed 1 link" in r.output
    r = run(main, ["link", "--db", str(db), "--suggest"])
    assert r.exit_code == 0
    r = run(main, ["link", "--db", str(db), "forum:ada"])
    assert r.exit_code == 2
