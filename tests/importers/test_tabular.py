"""CSV and Parquet event logs: the README's example, every rule, every bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from narrowcast.errors import InputError
from narrowcast.importers.tabular import read_csv, read_parquet
from tests.conftest import collect

EXAMPLE = """ts,actor,kind,target,content_id,parent_id
2024-03-01T09:00:00Z,ada,post,,p1,
2024-03-01T09:30:00Z,bob,reply,ada,r1,p1
2024-03-01T09:31:00Z,ada,like,bob,,r1
"""


def write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_readme_example(tmp_path: Path):
    events = collect(read_csv([write(tmp_path, EXAMPLE)], platform="forum"))["events"]
    got = [
        (
            e["ts"],
            e["actor"],
            e["kind"],
            e["target"],
            e["content_id"],
            e["parent_id"],
            e["visibility"],
        )
        for e in events.to_pylist()
    ]
    t = lambda m: datetime(2024, 3, 1, 9, m, tzinfo=UTC)  # noqa: E731
    assert got == [
        (t(0), "forum:ada", "post", None, "p1", None, "public"),
        (t(30), "forum:bob", "reply", "forum:ada", "r1", "p1", "public"),
        (t(31), "forum:ada", "like", "forum:bob", None, "r1", "public"),
    ]


def test_epoch_seconds_offsets_and_naive_times_are_utc(tmp_path: Path):
    path = write(
        tmp_path,
        "ts,actor,kind\n1709283600,a,post\n"
        "2024-03-01T10:00:00+01:00,a,post\n2024-03-01 09:00:00,a,post\n",
    )
    ts = collect(read_csv([path]))["events"].column("ts").to_pylist()
    assert ts == [datetime(2024, 3, 1, 9, tzinfo=UTC)] * 3


def test_messages_default_to_private_and_platform_column_wins(tmp_path: Path):
    path = write(tmp_path, "ts,actor,kind,target,platform\n1,a,message,b,slack\n2,a,reply,b,\n")
    events = collect(read_csv([path], platform="team"))["events"].to_pylist()
    assert [(e["platform"], e["actor"], e["visibility"]) for e in events] == [
        ("slack", "slack:a", "private"),
        ("team", "team:a", "public"),
    ]


def test_ids_already_qualified_are_kept(tmp_path: Path):
    path = write(tmp_path, "ts,actor,kind,target\n1,csv:a,like,b\n")
    events = collect(read_csv([path]))["events"].to_pylist()
    assert (events[0]["actor"], events[0]["target"]) == ("csv:a", "csv:b")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("actor,ts\nalice,yesterday\n", "missing column kind; expected the event-log columns"),
        ("ts,actor,kind,colour\n1,a,post,red\n", "unknown column colour;"),
        ("ts,actor,kind\nyesterday,alice,post\n", "line 2: ts 'yesterday' is not a time"),
        ("ts,actor,kind\n1,a,post\n2,a,poke\n", "line 3: kind 'poke' is not one of post, reply"),
        (
            "ts,actor,kind,visibility\n1,a,post,secret\n",
            "line 2: visibility 'secret' is not public or private",
        ),
        (
            "ts,actor,kind,quantity\n1,a,view,many\n",
            "line 2: quantity 'many' is not a whole number",
        ),
        ("ts,actor,kind\n1,a\n", "is not valid CSV"),
    ],
)
def test_bad_csv_names_file_place_and_expectation(tmp_path: Path, text: str, message: str):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        collect(read_csv([path]))
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


def test_non_utf8_names_the_line(tmp_path: Path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("ts,actor,kind\n1,a,post\n2,Ren\xe9,post\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.csv, line 3: holds bytes that are not UTF-8"):
        collect(read_csv([path]))


def test_bad_rows_can_be_skipped_and_counted(tmp_path: Path):
    path = write(tmp_path, "ts,actor,kind\n1,a,post\nnever,a,post\n3,a,poke\n4,b,post\n")
    parsed = read_csv([path], skip_bad_rows=True)
    assert collect(parsed)["events"].column("actor").to_pylist() == ["csv:a", "csv:b"]
    assert parsed.bad_rows == 2


def test_parquet_with_a_timestamp_column(tmp_path: Path):
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "ts": pa.array([datetime(2024, 3, 1, 9)], pa.timestamp("ms")),
                "actor": ["ada"],
                "kind": ["post"],
                "quantity": pa.array([3], pa.int64()),
            }
        ),
        path,
    )
    events = collect(read_parquet([path]))["events"].to_pylist()
    assert (events[0]["ts"], events[0]["actor"], events[0]["quantity"]) == (
        datetime(2024, 3, 1, 9, tzinfo=UTC),
        "parquet:ada",
        3,
    )


def test_a_file_that_is_not_parquet(tmp_path: Path):
    path = write(tmp_path, EXAMPLE, "events.parquet")
    with pytest.raises(InputError, match=r"events\.parquet: is not a Parquet file"):
        collect(read_parquet([path]))


def test_parquet_bad_rows_are_named_by_row(tmp_path: Path):
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table({"ts": ["1", "x"], "actor": ["a", "b"], "kind": ["post", "post"]}), path
    )
    with pytest.raises(InputError, match=r"events\.parquet, row 2: ts 'x' is not a time"):
        collect(read_parquet([path]))


def test_parquet_ids_repeated_blank_prefixed_or_written_as_dictionaries(tmp_path: Path, store):
    """Ids are read as dictionaries and qualified once per distinct value: whether the file
    holds them plain or dictionary-encoded (with a value no row names), a blank is nobody
    and an id already qualified stays as it is."""
    actors = ["ada", "bob", "ada", "forum:cy", "bob"]
    targets = ["", "ada", "bob", None, "forum:cy"]
    plain = tmp_path / "plain.parquet"
    coded = tmp_path / "coded.parquet"
    cols = {"ts": [str(i) for i in range(5)], "kind": ["post", "reply", "like", "post", "reply"]}
    pq.write_table(pa.table({**cols, "actor": actors, "target": targets}), plain)
    spare = pa.array(["ada", "bob", "forum:cy", "", "nobody"])
    pq.write_table(
        pa.table(
            {
                **cols,
                "actor": pa.DictionaryArray.from_arrays(pa.array([0, 1, 0, 2, 1]), spare),
                "target": pa.DictionaryArray.from_arrays(pa.array([3, 0, 1, None, 2]), spare),
            }
        ),
        coded,
    )
    want = [
        ("forum:ada", None),
        ("forum:bob", "forum:ada"),
        ("forum:ada", "forum:bob"),
        ("forum:cy", None),
        ("forum:bob", "forum:cy"),
    ]
    for path in (plain, coded):
        events = collect(read_parquet([path], platform="forum"))["events"]
        assert (
            list(zip(events["actor"].to_pylist(), events["target"].to_pylist(), strict=True))
            == want
        )
    store.load(read_parquet([coded], platform="forum"))
    assert store.con.execute("SELECT id FROM people ORDER BY id").fetchall() == [
        ("forum:ada",),
        ("forum:bob",),
        ("forum:cy",),
    ]
    log = store.con.execute("SELECT actor, target FROM event_log ORDER BY ts").fetchall()
    assert log == want


def test_parquet_ids_of_rows_of_several_platforms(tmp_path: Path):
    """With a platform column naming several platforms, each id is qualified by its row's."""
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "ts": ["1", "2", "3"],
                "platform": ["a", "b", "a"],
                "actor": pa.array(["ada", "ada", "b:bo"]).dictionary_encode(),
                "kind": ["post"] * 3,
            }
        ),
        path,
    )
    events = collect(read_parquet([path]))["events"]
    assert events["actor"].to_pylist() == ["a:ada", "b:ada", "a:b:bo"]


def test_dictionary_encoded_kinds_are_checked_row_by_row(tmp_path: Path):
    """Kinds written dictionary-encoded are judged row by row: a bad value in the dictionary
    that no row holds is no bad row; one that row 3 holds is named there."""
    kinds = pa.array(["post", "poke", "like", "message"])
    path = tmp_path / "events.parquet"
    table = pa.table(
        {
            "ts": ["1", "2", "3"],
            "actor": ["a", "b", "c"],
            "kind": pa.DictionaryArray.from_arrays(pa.array([0, 2, 3]), kinds),
            "target": ["", "a", "a"],
        }
    )
    pq.write_table(table, path)
    events = collect(read_parquet([path]))["events"]
    assert events["kind"].to_pylist() == ["post", "like", "message"]
    assert events["visibility"].to_pylist() == ["public", "public", "private"]
    bad = table.set_column(2, "kind", pa.DictionaryArray.from_arrays(pa.array([0, 2, 1]), kinds))
    pq.write_table(bad, path)
    with pytest.raises(InputError, match=r"row 3: kind 'poke' is not one of"):
        collect(read_parquet([path]))


def test_a_parquet_file_of_small_row_groups_is_read_in_whole_batches(tmp_path: Path):
    """Ids the file holds dictionary-encoded (a new dictionary each row group) are read as
    strings, so batches are not cut at every row group of 10 rows."""
    path = tmp_path / "events.parquet"
    table = pa.table({"ts": [str(i) for i in range(50)], "actor": ["a", "b"] * 25})
    pq.write_table(table.append_column("kind", pa.array(["post"] * 50)), path, row_group_size=10)
    assert pq.ParquetFile(path).metadata.row_group(0).column(1).has_dictionary_page
    sizes = [c.batch.num_rows for c in read_parquet([path], batch_rows=25)]
    assert sizes == [25, 25]
