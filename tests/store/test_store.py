"""The store's promises: all or nothing, nothing twice, nothing merged, references resolved,
every import recorded."""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrowcast.errors import InputError, StoreError
from narrowcast.importers import read
from narrowcast.model import TABLES, Chunk, Parsed
from narrowcast.store import Store
from tests.conftest import FIXTURES, rows

MESSAGES = FIXTURES / "snap" / "messages.txt"


def counts(store: Store) -> tuple[int, int, int]:
    """(events, people, imports)"""
    return (
        rows(store, "SELECT count(*) FROM events")[0][0],
        rows(store, "SELECT count(*) FROM people")[0][0],
        rows(store, "SELECT count(*) FROM imports")[0][0],
    )


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_importing_the_same_file_twice_adds_nothing(store: Store):
    first = store.load(read("snap", [MESSAGES], kind="message"))
    again = store.load(read("snap", [MESSAGES], kind="message"))
    assert (first.events_added, first.events_skipped, first.people_added) == (4, 0, 3)
    assert (again.events_added, again.events_skipped, again.people_added) == (0, 4, 0)
    assert counts(store) == (4, 3, 2)


def test_identical_rows_are_distinct_events_numbered_by_occurrence(store: Store, tmp_path: Path):
    """Two identical lines are two events; a later file with three copies adds the third."""
    two = write(tmp_path / "two.txt", "1 2 60\n1 2 60\n")
    three = write(tmp_path / "three.txt", "1 2 60\n1 2 60\n1 2 60\n")
    assert store.load(read("snap", [two], kind="message")).events_added == 2
    result = store.load(read("snap", [three], kind="message"))
    assert (result.events_added, result.events_skipped) == (1, 2)
    assert rows(store, "SELECT seq FROM events ORDER BY seq") == [(0,), (1,), (2,)]


def test_a_bad_row_late_in_the_input_leaves_the_store_as_it_was(store: Store, tmp_path: Path):
    store.load(read("snap", [MESSAGES], kind="message"))
    before = counts(store)
    lines = [f"{i} {i + 1} {1_000 + i}" for i in range(20_000)] + ["7 8 not-a-time"]
    bad = write(tmp_path / "bad.txt", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 20001"):
        store.load(read("snap", [bad], kind="reply", block_bytes=4096))
    assert counts(store) == before


def _interrupted(parsed_rows: pa.RecordBatch, error: BaseException) -> Parsed:
    def chunks():
        yield Chunk("events", parsed_rows, Path("x"), 1)
        raise error

    return Parsed("snap", "snap", [], chunks())


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(28, "No space left on device")])
def test_an_interrupted_import_leaves_the_store_as_it_was(store: Store, error: BaseException):
    store.load(read("snap", [MESSAGES], kind="message"))
    before = counts(store)
    batch = next(iter(read("snap", [MESSAGES], kind="like", platform="other"))).batch
    with pytest.raises(type(error)):
        store.load(_interrupted(batch, error))
    assert counts(store) == before


def test_kill_9_in_the_middle_of_an_import_leaves_nothing_of_it(tmp_path: Path):
    """A process killed after committing some of its import's batches as pending: readers
    see the store as before, and the next writable open deletes the dead import's rows."""
    db = tmp_path / "store.duckdb"
    with Store(db) as store:
        store.load(read("snap", [MESSAGES], kind="message"))
        before = counts(store)
        info = store.info()
    ready = tmp_path / "ready"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from narrowcast.importers import read
        from narrowcast.model import TABLES, Chunk, Parsed
        from narrowcast.store import Store

        batch = next(iter(read("snap", [{str(MESSAGES)!r}], kind="like", platform="x"))).batch
        def chunks():
            # One file a batch: batches of one file would be inserted together.
            for i in range(50):
                yield Chunk("events", batch, Path(f"x{{i}}"), 1)
            Path({str(ready)!r}).touch()
            time.sleep(60)
            yield Chunk("events", batch, Path("x"), 1)
        Store({str(db)!r}).load(Parsed("snap", "x", [], chunks()))
        """
    )
    # Commit every 8 rows (two batches), so that the kill finds committed pending rows.
    env = {**os.environ, "NARROWCAST_IMPORT_COMMIT_ROWS": "8"}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.time() + 60
    while not ready.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready.exists(), "the importing process never got half way"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store(db, read_only=True) as store:
        assert counts(store) == before
        assert store.info() == info
        # Some of the dead import's batches were committed (the read-ahead thread may
        # have been a batch or two ahead of the inserts when it was killed).
        assert 4 < rows(store, "SELECT count(*) FROM event_rows")[0][0] <= 4 + 200
    with Store(db) as store:
        assert counts(store) == before
        assert rows(store, "SELECT count(*) FROM event_rows")[0][0] == 4
        assert rows(store, "SELECT count(*) FROM meta WHERE key = 'pending_import'") == [(0,)]
        again = store.load(read("snap", [MESSAGES], kind="like", platform="x"))
        assert (again.import_id, again.events_added) == (2, 4)


def _failing_late(batch: pa.RecordBatch, people: pa.RecordBatch, batches: int) -> Parsed:
    """Event batches (with new people and an importer's people row), then an error."""

    def chunks():
        yield Chunk("people", people, Path("x"), 1)
        for i in range(batches):  # one file a batch, each inserted on its own
            yield Chunk("events", batch, Path(f"x{i}"), 1)
        raise ValueError("row 1041: not a timestamp")

    return Parsed("snap", "x", [], chunks())


def test_an_import_failing_after_committed_batches_leaves_the_store_as_it_was(store: Store):
    """Ten batches committed as pending, then a bad row: nothing of it is seen or kept."""
    store.load(read("snap", [MESSAGES], kind="message"))
    before, info = counts(store), store.info()
    batch = next(iter(read("snap", [MESSAGES], kind="like", platform="x"))).batch
    people = pa.RecordBatch.from_pylist(
        [{"id": "x:1", "platform": "x", "handle": "ada"}], schema=TABLES["people"]
    )
    with pytest.raises(ValueError, match="row 1041"):
        store.load(_failing_late(batch, people, 10), commit_rows=4)
    assert counts(store) == before
    assert store.info() == info
    # Nothing is left behind either: the failed import's pending rows are deleted at once.
    assert rows(store, "SELECT count(*) FROM event_rows")[0][0] == before[0]
    assert rows(store, "SELECT count(*) FROM pending_people")[0][0] == 0


def test_readers_never_see_an_import_before_it_is_recorded(store: Store):
    """Another connection to the store, while pending batches are being committed, still
    sees the events, people and imports of before."""
    store.load(read("snap", [MESSAGES], kind="message"))
    before = counts(store)
    other = store.con.cursor()
    seen: list[tuple] = []

    def look(*_: int) -> None:
        seen.append(
            (
                other.execute("SELECT count(*) FROM events").fetchall()[0][0],
                other.execute("SELECT count(*) FROM event_log").fetchall()[0][0],
                other.execute("SELECT count(*) FROM people").fetchall()[0][0],
                other.execute("SELECT count(*) FROM imports").fetchall()[0][0],
                other.execute("SELECT count(*) FROM event_rows").fetchall()[0][0],
            )
        )

    batch = next(iter(read("snap", [MESSAGES], kind="like", platform="x"))).batch
    # One file a batch: batches of one file would be inserted together.
    parsed = Parsed("snap", "x", [], [Chunk("events", batch, Path(f"x{i}"), 1) for i in range(5)])
    store.load(parsed, progress=look, commit_rows=4)
    assert [s[:4] for s in seen] == [(before[0], before[0], before[1], before[2])] * 5
    # ... though the pending rows were there, committed, batch after batch.
    assert [s[4] for s in seen] == [8, 12, 16, 20, 24]
    assert counts(store) == (24, 6, 2)


def test_long_rows_are_committed_at_the_end_of_a_row_group(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    """Past the byte bound, an import commits where the row group being filled ends (here
    6 rows, and every batch is over the bound), splitting a batch there: the committed
    pending rows a reader counts after each batch of 4 are whole row groups."""
    from narrowcast.store import store as store_module

    monkeypatch.setattr(store_module, "ROW_GROUP_ROWS", 6)
    monkeypatch.setattr(store_module, "IMPORT_COMMIT_BYTES", 1)
    store.load(read("snap", [MESSAGES], kind="message"))
    before = counts(store)
    other = store.con.cursor()
    seen: list[int] = []

    def look(*_: int) -> None:
        seen.append(other.execute("SELECT count(*) FROM event_rows").fetchall()[0][0] - before[0])

    batch = next(iter(read("snap", [MESSAGES], kind="like", platform="x"))).batch
    # One file a batch: batches of one file would be inserted together.
    parsed = Parsed("snap", "x", [], [Chunk("events", batch, Path(f"x{i}"), 1) for i in range(5)])
    result = store.load(parsed, progress=look, commit_rows=1_000_000)
    # 4 rows: the row group ends at 6. 8: commit at 6, 2 left. 12: commit at 6 (those 2 and
    # this batch). 16: 4 pending. 20: commit at 6, 2 left, committed with the import.
    assert seen == [0, 6, 12, 12, 18]
    assert (result.events_read, result.events_added) == (20, 20)
    assert counts(store) == (before[0] + 20, 6, 2)
    kinds = rows(store, "SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind")
    assert kinds == [("like", 20), ("message", 4)]


def test_batches_of_one_file_are_inserted_together(store: Store, monkeypatch: pytest.MonkeyPatch):
    """Batches of 4 rows, a row group of 8: the batches of a file are held together (under
    two row groups), a batch of another file starts a new insert; every row arrives once,
    with its own file's name."""
    from narrowcast.store import store as store_module

    monkeypatch.setattr(store_module, "ROW_GROUP_ROWS", 8)
    batch = next(iter(read("snap", [MESSAGES], kind="like", platform="x"))).batch
    files = ["a", "a", "a", "b", "a", "a"]
    parsed = Parsed("snap", "x", [], [Chunk("events", batch, Path(f), 1) for f in files])
    seen: list[int] = []
    result = store.load(parsed, progress=lambda read, *_: seen.append(read))
    assert seen == [12, 16, 24]  # a a a | b | a a
    assert result.events_added == 24
    sources = rows(store, "SELECT source, count(*) FROM events GROUP BY source ORDER BY source")
    assert sources == [("snap:a", 20), ("snap:b", 4)]


def test_batches_are_inserted_in_whole_row_groups_a_row_group_held_for_the_last(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    """Five batches of 4 rows of one file, a row group of 3: once two row groups are held,
    whole row groups are inserted, at least one row group held back (8 -> 3, 5 held; 9 ->
    6, 3 held; 7 -> 3; 8 -> 3), and the file's last insert is the 5 rows held."""
    from narrowcast.store import store as store_module

    monkeypatch.setattr(store_module, "ROW_GROUP_ROWS", 3)
    batch = next(iter(read("snap", [MESSAGES], kind="like", platform="x"))).batch
    parsed = Parsed("snap", "x", [], [Chunk("events", batch, Path("a"), 1)] * 5)
    seen: list[int] = []
    result = store.load(parsed, progress=lambda read, *_: seen.append(read))
    assert seen == [3, 9, 12, 15, 20]
    assert (result.events_read, result.events_added) == (20, 20)
    assert rows(store, "SELECT count(*) FROM events") == [(20,)]


def test_an_import_of_large_batches_leaves_every_row_group_but_the_last_full(store: Store):
    """Three batches of 131,072 rows and one of 4: DuckDB's row groups (122,880 rows) come
    out whole, where an insert per batch left 8,192 rows at each batch's end for the next
    checkpoint to merge."""
    from narrowcast.store.store import ROW_GROUP_ROWS

    small = next(iter(read("snap", [MESSAGES], kind="like", platform="x"))).batch
    large = pa.Table.from_batches([small] * (131_072 // small.num_rows)).combine_chunks()
    batches = [*large.to_batches(), *large.to_batches(), *large.to_batches(), small]
    assert [b.num_rows for b in batches] == [131_072] * 3 + [4]
    parsed = Parsed("snap", "x", [], [Chunk("events", b, Path("a"), 1) for b in batches])
    assert store.load(parsed).events_added == 3 * 131_072 + 4
    groups = rows(
        store,
        """SELECT row_group_id, sum(count) FROM pragma_storage_info('event_rows')
           WHERE column_name = 'ts' AND segment_type <> 'VALIDITY' GROUP BY ALL ORDER BY 1""",
    )
    sizes = [n for _, n in groups]
    assert sizes[:-1] == [ROW_GROUP_ROWS] * (len(sizes) - 1)
    assert sum(sizes) == 3 * 131_072 + 4


def test_a_large_batch_of_short_rows_is_held_for_a_row_group(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    """Six batches of 4 rows, each a quarter of the byte bound, a row group of 8 (half the
    bound): the rows are short, so the batches are held for whole row groups (16 -> 8, 8
    held), not inserted alone as a large batch of long rows is."""
    from narrowcast.store import store as store_module

    batch = next(iter(read("snap", [MESSAGES], kind="like", platform="x"))).batch
    parsed = Parsed("snap", "x", [], [Chunk("events", batch, Path("a"), 1)] * 6)
    _, keyed, _, _ = next(store_module._keyed(parsed, store_module._PersonKeys(store.con)))
    monkeypatch.setattr(store_module, "ROW_GROUP_ROWS", 8)
    monkeypatch.setattr(store_module, "INSERT_BYTES", 4 * keyed.nbytes)
    assert keyed.nbytes < store_module.LONG_ROW_BYTES * keyed.num_rows  # short rows
    seen: list[int] = []
    store.load(parsed, progress=lambda read, *_: seen.append(read))
    assert seen == [8, 16, 24]


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=8))
def test_one_insert_keeps_the_rows_and_makes_every_chunk_but_the_last_whole_row_groups(
    sizes: list[int],
):
    """Whatever the batches, an insert's table holds their rows in order, and each of its
    Arrow chunks but the last is whole row groups (here of 4 rows) once it holds one."""
    from narrowcast.store import store as store_module

    values = np.arange(sum(sizes))
    starts = np.cumsum([0, *sizes])
    batches = [
        pa.RecordBatch.from_arrays([pa.array(values[a:b])], names=["v"])
        for a, b in itertools.pairwise(starts)
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store_module, "ROW_GROUP_ROWS", 4)
        table = store_module._one_insert(batches)
    assert table.column("v").to_pylist() == values.tolist()
    if table.num_rows >= 4:
        assert all(len(c) % 4 == 0 for c in table.column("v").chunks[:-1])


@pytest.mark.parametrize(("bound", "expected"), [(4, [4, 8, 12, 16, 20, 24]), (5, [20, 24])])
def test_batches_are_joined_up_to_the_byte_bound_unless_a_quarter_of_it(
    store: Store, monkeypatch: pytest.MonkeyPatch, bound: int, expected: list[int]
):
    """Six batches of long rows (here every row is) of one file, the bound ``bound``
    batches' bytes: at 4 each batch is a quarter of it and goes alone; at 5, five batches
    fit in it and the sixth does not."""
    from narrowcast.store import store as store_module

    batch = next(iter(read("snap", [MESSAGES], kind="like", platform="x"))).batch
    parsed = Parsed("snap", "x", [], [Chunk("events", batch, Path("a"), 1)] * 6)
    # The bytes of a batch as inserted: person ids become keys.
    _, keyed, _, _ = next(store_module._keyed(parsed, store_module._PersonKeys(store.con)))
    monkeypatch.setattr(store_module, "INSERT_BYTES", bound * keyed.nbytes)
    monkeypatch.setattr(store_module, "LONG_ROW_BYTES", 1)
    seen: list[int] = []
    store.load(parsed, progress=lambda read, *_: seen.append(read))
    assert seen == expected


@pytest.mark.parametrize("commit_rows", [1, 3, 1_000_000])
def test_import_twice_adds_nothing_whatever_the_commit_size(store: Store, commit_rows: int):
    first = store.load(read("snap", [MESSAGES], kind="message"), commit_rows=commit_rows)
    again = store.load(read("snap", [MESSAGES], kind="message"), commit_rows=commit_rows)
    assert (first.events_added, again.events_added, again.events_skipped) == (4, 0, 4)
    assert counts(store) == (4, 3, 2)


def _as_schema_1(db: Path) -> None:
    """Turn a store back into the schema 1 layout: one events table, no pending tables."""
    import duckdb

    con = duckdb.connect(str(db))
    for sql in [
        "DROP VIEW event_log",
        "DROP VIEW events",
        "DROP TABLE pending_people",
        "DROP TABLE pending_identities",
        "ALTER TABLE event_rows RENAME TO events",
        "CREATE VIEW event_log AS SELECT 1 AS x",
        "UPDATE meta SET value = '1' WHERE key = 'schema_version'",
    ]:
        con.execute(sql).fetchall()
    con.close()


def test_a_schema_1_store_is_read_as_it_is_and_upgraded_when_written(tmp_path: Path):
    db = tmp_path / "old.duckdb"
    with Store(db) as store:
        store.load(read("snap", [MESSAGES], kind="message"))
        info = store.info()
    _as_schema_1(db)
    with Store(db, read_only=True) as store:
        assert store.info() == info
    with Store(db) as store:
        assert rows(store, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
        assert store.info() == info
        assert len(rows(store, "SELECT * FROM event_log")) == 4
        assert store.load(read("snap", [MESSAGES], kind="message")).events_added == 0


def test_a_store_from_a_newer_narrowcast_is_refused_with_what_to_do(tmp_path: Path):
    db = tmp_path / "new.duckdb"
    Store(db).close()
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'").fetchall()
    con.close()
    with pytest.raises(StoreError, match=r"has store schema 9; .* upgrade narrowcast"):
        Store(db)


def test_every_import_is_recorded_with_the_files_sha256(store: Store):
    result = store.load(read("snap", [MESSAGES], kind="message", platform="college"))
    (log,) = store.imports()
    assert log["sha256"] == [hashlib.sha256(MESSAGES.read_bytes()).hexdigest()] == result.sha256
    assert (log["format"], log["platform"], log["paths"]) == ("snap", "college", [str(MESSAGES)])
    assert (log["events_read"], log["events_added"], log["events_skipped"]) == (4, 4, 0)
    assert (log["bad_rows"], log["people_added"]) == (0, 3)
    assert '"kind": "message"' in log["options"]


def test_people_get_handles_from_their_ids(store: Store):
    store.load(read("snap", [MESSAGES], kind="message", platform="college"))
    assert rows(store, "SELECT id, platform, handle FROM people ORDER BY id") == [
        ("college:1", "college", "1"),
        ("college:2", "college", "2"),
        ("college:3", "college", "3"),
    ]


def test_replies_find_their_parent_author_and_thread_across_imports(store: Store, tmp_path: Path):
    """A reply-to-a-reply arrives before the post it hangs from.

    - bob replies r1 to ada's post p1 (no target, no thread given);
    - cy replies r2 to bob's r1; an anonymous like lands on r2;
    - ada's post p1 comes in a later import; then everything points where it should.
    """
    replies = write(
        tmp_path / "replies.csv",
        """
        ts,actor,kind,content_id,parent_id
        2024-03-01T09:30:00Z,bob,reply,r1,p1
        2024-03-01T09:40:00Z,cy,reply,r2,r1
        2024-03-01T09:50:00Z,,like,,r2
        """,
    )
    post = write(
        tmp_path / "post.csv",
        """
        ts,actor,kind,content_id,thread_id
        2024-03-01T09:00:00Z,ada,post,p1,p1
        """,
    )
    store.load(read("csv", [replies], platform="forum"))
    store.load(read("csv", [post], platform="forum"))
    got = rows(
        store,
        "SELECT kind, actor, target, thread_id FROM event_log ORDER BY ts",
    )
    assert got == [
        ("post", "forum:ada", None, "p1"),
        ("reply", "forum:bob", "forum:ada", "p1"),
        ("reply", "forum:cy", "forum:bob", "p1"),
        ("like", None, "forum:cy", "p1"),
    ]


_THREADED = {
    "p0": "2024-03-01T09:00:00Z,ada,post,,p0,,p0",
    "r1": "2024-03-01T09:30:00Z,bob,reply,,r1,p0,p0",
    "r2": "2024-03-01T09:40:00Z,cy,reply,ada,r2,p0,r1",
}


@pytest.mark.parametrize(("first", "later"), [(["p0", "r2"], ["r1"]), (["p0", "r1"], ["r2"])])
def test_a_reply_moves_into_the_thread_of_the_reply_its_thread_names_in_another_import(
    store: Store, tmp_path: Path, first: list[str], later: list[str]
):
    """cy's r2 answers ada's post p0, its target given, but names r1 as its thread (as
    mail does when its References are cut short); r1 is bob's reply in p0's thread. Nothing
    of r2 is missing, yet once both are stored, whichever came first, r2 is in p0's thread.
    """
    for name, ids in (("first", first), ("later", later)):
        lines = "\n".join(_THREADED[i] for i in ids)
        log = write(
            tmp_path / f"{name}.csv",
            f"ts,actor,kind,target,content_id,parent_id,thread_id\n{lines}",
        )
        store.load(read("csv", [log], platform="forum"))
    got = rows(store, "SELECT content_id, target, thread_id FROM event_log ORDER BY ts")
    assert got == [
        ("p0", None, "p0"),
        ("r1", "forum:ada", "p0"),
        ("r2", "forum:ada", "p0"),
    ]


def test_an_accept_without_actor_is_the_askers(store: Store, tmp_path: Path):
    log = write(
        tmp_path / "qa.csv",
        """
        ts,actor,kind,content_id,parent_id,thread_id
        2024-03-01T09:00:00Z,ada,post,q1,,q1
        2024-03-01T09:30:00Z,bob,reply,a1,q1,q1
        2024-03-02T00:00:00Z,,accept,,a1,q1
        """,
    )
    store.load(read("csv", [log], platform="qa"))
    assert rows(store, "SELECT actor, target FROM event_log WHERE kind = 'accept'") == [
        ("qa:ada", "qa:bob")
    ]


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path):
    other = tmp_path / "other.duckdb"
    import duckdb

    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INT)").fetchall()
    con.close()
    with pytest.raises(StoreError, match="not a narrowcast store"):
        Store(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(StoreError, match="not a narrowcast store"):
        Store(text)


def test_reading_a_missing_store_says_how_to_make_one(tmp_path: Path):
    with pytest.raises(StoreError, match=r"no store at .*narrowcast import"):
        Store(tmp_path / "none.duckdb", create=False)
    assert not (tmp_path / "none.duckdb").exists()


edge = st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 5))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(edge, min_size=1, max_size=30), st.lists(edge, max_size=30))
def test_import_twice_is_import_once_and_file_order_does_not_matter(tmp_path_factory, a, b):
    """Files imported one by one, in either order, once or twice: the same events.

    (Identical rows in two separate imports are one event seen twice; within one import
    they are distinct events.)
    """
    d = tmp_path_factory.mktemp("p")
    fa = write(d / "a.txt", "".join(f"{x} {y} {t}\n" for x, y, t in a))
    fb = d / "b.txt"
    fb.write_text("".join(f"{x} {y} {t}\n" for x, y, t in b) or "0 0 0\n")

    def content(order: list[Path], times: int) -> list[tuple]:
        with Store(d / f"s{len(list(d.iterdir()))}.duckdb") as s:
            for _ in range(times):
                for f in order:
                    s.load(read("snap", [f], kind="reply"))
            return sorted(rows(s, "SELECT actor, target, ts FROM event_log"))

    once = content([fa, fb], 1)
    assert content([fa, fb], 2) == once
    assert content([fb, fa], 1) == once


def test_the_same_event_id_twice_in_one_import_is_one_event(tmp_path, store):
    """Overlapping dump files can hold one event twice: the import keeps the first."""
    from narrowcast.importers import read

    f = tmp_path / "twice.csv"
    f.write_text(
        "event_id,ts,actor,kind\n"
        "e1,2024-03-01T09:00:00Z,ada,post\n"
        "e2,2024-03-01T09:05:00Z,bob,post\n"
        "e1,2024-03-01T09:00:00Z,cy,post\n"
    )
    result = store.load(read("csv", [f]))
    assert (result.events_read, result.events_added, result.events_skipped) == (3, 2, 1)
    kept = rows(store, "SELECT event_id, actor FROM event_log ORDER BY event_id")
    assert kept == [("e1", "csv:ada"), ("e2", "csv:bob")]


def test_person_ids_that_share_a_hash_are_still_told_apart(store: Store, monkeypatch):
    """Ids are found by hash and confirmed by comparing them: with every hash equal, each id
    still gets its own person."""
    from narrowcast.store import store as store_module

    monkeypatch.setattr(
        store_module._PersonKeys, "_hash", lambda self, ids: np.zeros(len(ids), np.uint64)
    )
    store.load(read("snap", [MESSAGES], kind="message"))
    store.load(read("snap", [MESSAGES], kind="message", platform="other"))
    assert rows(store, "SELECT count(DISTINCT key), count(*) FROM people") == [(6, 6)]
    log = rows(store, "SELECT platform, actor, target, ts FROM event_log ORDER BY ALL")
    snap = [(a, t, ts) for p, a, t, ts in log if p == "snap"]
    other = [
        (a.replace("other", "snap"), t.replace("other", "snap"), ts)
        for p, a, t, ts in log
        if p == "other"
    ]
    assert len(snap) == 4 and snap == other


@settings(max_examples=80, deadline=None)
@given(
    batches=st.lists(
        st.tuples(
            st.lists(st.one_of(st.none(), st.sampled_from("abcdefgh")), max_size=30),
            st.sampled_from(["plain", "dictionary", "dictionary with spare and repeated values"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_person_keys_name_one_person_one_key_however_often_a_batch_names_them(batches):
    """Batches that repeat ids (the usual case, looked up once per distinct id) or hardly
    do, plain or dictionary-encoded (a dictionary may hold values no row names, and the same
    value twice): every id keeps the key it got first, a new id gets the next one and one
    people row, null stays null, and a value no row names is nobody."""
    import duckdb

    from narrowcast.store import store as store_module

    con = duckdb.connect()
    con.execute("CREATE TABLE people (key INTEGER, id VARCHAR)")
    con.execute("INSERT INTO people VALUES (1, 'x:a'), (2, 'x:b')")
    keys = store_module._PersonKeys(con)
    expected = {"x:a": 1, "x:b": 2}
    for batch, encoding in batches:
        ids = [None if c is None else f"x:{c}" for c in batch]
        array = pa.array(ids, pa.string())
        if encoding != "plain":
            array = array.dictionary_encode()
        if encoding.endswith("repeated values"):
            # x:z is in the dictionary but named by no row; every value is there twice.
            values = pa.concat_arrays([pa.array(["x:z"]), array.dictionary, array.dictionary])
            array = pa.DictionaryArray.from_arrays(pa.compute.add(array.indices, 1), values)
        got, new = keys.lookup(array, pa.array(["x"] * len(ids)))
        fresh = [i for i in dict.fromkeys(ids) if i is not None and i not in expected]
        for i in fresh:
            expected[i] = max(expected.values()) + 1
        assert got.to_pylist() == [None if i is None else expected[i] for i in ids]
        assert sorted(new.column("id").to_pylist()) == sorted(fresh)
        assert new.column("key").to_pylist() == [expected[i] for i in new.column("id").to_pylist()]


def test_a_new_person_has_the_platform_of_the_first_row_naming_them():
    """In a batch of several platforms, x:ada is first named on a row of platform x, then
    on one of platform y."""
    import duckdb

    from narrowcast.store import store as store_module

    con = duckdb.connect()
    con.execute("CREATE TABLE people (key INTEGER, id VARCHAR)")
    keys = store_module._PersonKeys(con)
    ids = pa.array(["y:bo", "x:ada", "x:ada", None, "y:bo"]).dictionary_encode()
    got, new = keys.lookup(ids, pa.array(["y", "x", "y", "x", "x"]))
    assert got.to_pylist() == [1, 2, 2, None, 1]
    assert new.to_pylist() == [
        {"key": 1, "id": "y:bo", "platform": "y", "handle": "bo"},
        {"key": 2, "id": "x:ada", "platform": "x", "handle": "ada"},
    ]


def test_an_importers_people_are_added_with_the_import_later_values_winning(store: Store):
    """x:1 acts; the importer also names x:9, who never acts, and says more of x:1 in a
    later batch: both count as people added, and x:1 keeps the handle and gains a name."""
    events = next(iter(read("snap", [MESSAGES], kind="like", platform="x"))).batch

    def people(*rows: dict) -> Chunk:
        return Chunk(
            "people", pa.RecordBatch.from_pylist(list(rows), TABLES["people"]), Path("x"), 1
        )

    parsed = Parsed(
        "snap",
        "x",
        [],
        [
            people({"id": "x:1", "platform": "x", "handle": "ada"}, {"id": "x:9", "platform": "x"}),
            Chunk("events", events, Path("x"), 1),
            people({"id": "x:1", "platform": "x", "display_name": "Ada L."}),
        ],
    )
    result = store.load(parsed, commit_rows=1)
    assert result.people_added == 4 == store.imports()[0]["people_added"]
    assert rows(store, "SELECT id, handle, display_name FROM people ORDER BY id") == [
        ("x:1", "ada", "Ada L."),
        ("x:2", "2", None),
        ("x:3", "3", None),
        ("x:9", None, None),
    ]


@pytest.mark.parametrize("chosen", [None, "system"])
def test_an_import_allocates_from_jemalloc_unless_told_and_restores_arrows_pool(
    store: Store, monkeypatch, chosen: str | None
):
    """Rows are staged with Arrow's jemalloc pool (pyarrow's own default, mimalloc, gives
    freed batches back and faults them in again), unless ARROW_DEFAULT_MEMORY_POOL chooses;
    afterwards the default pool is the one before, even when the import fails."""
    if chosen is None:
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    else:
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", chosen)
    before = pa.default_memory_pool().backend_name
    seen: list[str] = []
    store.load(
        read("snap", [MESSAGES], kind="message"),
        progress=lambda *_: seen.append(pa.default_memory_pool().backend_name),
    )
    try:
        staged = pa.jemalloc_memory_pool().backend_name if chosen is None else before
    except NotImplementedError:  # a pyarrow built without jemalloc keeps its default
        staged = before
    assert set(seen) == {staged}
    assert pa.default_memory_pool().backend_name == before

    def fail(*_: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.load(read("snap", [MESSAGES], kind="message", platform="other"), progress=fail)
    assert pa.default_memory_pool().backend_name == before
