"""The SNAP edge-list importer: every line one event, nothing merged, bad lines named."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrowcast.errors import InputError
from narrowcast.importers.snap import parse_snap, read_snap
from tests.conftest import FIXTURES, collect, data_path

MESSAGES = FIXTURES / "snap" / "messages.txt"
LAYERS = FIXTURES / "snap" / "layers.txt"


def test_every_line_is_one_event_and_repeats_are_kept():
    """messages.txt: a comment, a blank line and four data lines, two of them identical.

    The identical lines are two real messages (SNAP keeps such rows), so four events.
    """
    events = collect(read_snap([MESSAGES], kind="message", platform="college"))["events"]
    got = [
        (r["actor"], r["target"], r["ts"], r["kind"], r["visibility"], r["event_id"])
        for r in events.to_pylist()
    ]
    t = lambda s: datetime.fromtimestamp(s, UTC)  # noqa: E731
    assert got == [
        ("college:1", "college:2", t(1082040961), "message", "private", None),
        ("college:2", "college:1", t(1082041000), "message", "private", None),
        ("college:1", "college:2", t(1082040961), "message", "private", None),
        ("college:3", "college:1", t(1082042000), "message", "private", None),
    ]


def test_a_type_column_maps_to_kinds_and_is_kept_as_subtype():
    events = collect(read_snap([LAYERS]))["events"].to_pylist()
    assert [(e["kind"], e["subtype"], e["visibility"]) for e in events] == [
        ("reply", "a2q", "public"),
        ("reply", "c2a", "public"),
        ("share", "RT", "public"),
        ("mention", "MT", "public"),
    ]


def test_gzip_input_reads_the_same_rows(tmp_path: Path):
    gz = tmp_path / "messages.txt.gz"
    gz.write_bytes(gzip.compress(MESSAGES.read_bytes()))
    plain = collect(read_snap([MESSAGES], kind="message"))["events"]
    assert collect(read_snap([gz], kind="message"))["events"].equals(plain)


def test_a_comment_after_many_clean_lines_reads_every_line_once(tmp_path: Path):
    """The fast reader stops at the comment; the line reader takes over where it stopped."""
    lines = [f"{i} {i + 1} {1_000_000 + i}" for i in range(5000)]
    path = tmp_path / "late-comment.txt"
    path.write_text("\n".join([*lines[:3000], "# a comment", "", *lines[3000:]]) + "\n")
    events = collect(read_snap([path], kind="reply", block_bytes=8192))["events"]
    assert events.num_rows == 5000
    assert events.column("actor").to_pylist() == [f"snap:{i}" for i in range(5000)]


def test_tabs_and_several_spaces_are_whitespace(tmp_path: Path):
    path = tmp_path / "tabs.txt"
    path.write_text("1\t2\t60\n3   4  120\n")
    events = collect(read_snap([path], kind="like"))["events"]
    assert events.column("target").to_pylist() == ["snap:2", "snap:4"]


def test_a_bad_line_is_named_with_its_line_number(tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_text("1 2 60\n2 1 x\n")
    with pytest.raises(InputError) as err:
        collect(read_snap([path], kind="message"))
    assert str(err.value) == (
        f"{path}, line 2: '2 1 x' is not 'SRC DST UNIXTS [TYPE]' of whitespace-separated integers"
    )


def test_bad_lines_can_be_skipped_and_counted(tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_text("1 2 60\n2 1 x\nnot a line\n3 4 90\n")
    parsed = read_snap([path], kind="message", skip_bad_rows=True)
    assert collect(parsed)["events"].num_rows == 2
    assert parsed.bad_rows == 2


def test_an_unknown_type_says_how_to_map_it(tmp_path: Path):
    path = tmp_path / "types.txt"
    path.write_text("1 2 60 XX\n")
    with pytest.raises(
        InputError, match=r"line 1: TYPE 'XX' is not in the type map .*--type-map XX=KIND"
    ):
        collect(read_snap([path]))
    events = collect(read_snap([path], type_map={"XX": "quote"}))["events"]
    assert events.column("kind").to_pylist() == ["quote"]


def test_without_kind_or_type_column_the_user_is_told_to_give_kind():
    with pytest.raises(InputError, match="no TYPE column and no --kind was given"):
        collect(read_snap([MESSAGES]))


def test_a_truncated_gzip_is_an_input_error(tmp_path: Path):
    data = gzip.compress(("1 2 60\n" * 50_000).encode())
    path = tmp_path / "truncated.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        InputError, match=r"truncated\.txt\.gz: cannot be read: the compressed file ends early"
    ):
        collect(read_snap([path], kind="message"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "no such file"),
        ("empty.txt", b"", "is empty"),
        ("binary.txt", b"\xff\xfe\x00 1 2\n", "not UTF-8"),
    ],
)
def test_unreadable_inputs_name_the_file(
    tmp_path: Path, name: str, content: bytes | None, message: str
):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        collect(read_snap([path], kind="message"))
    assert str(err.value).startswith(str(path))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 2_000_000_000)),
        min_size=1,
        max_size=40,
    )
)
def test_parse_keeps_every_row_whatever_the_spacing(edges):
    lines = [f"  {a}\t{b}  {t} " if i % 2 else f"{a} {b} {t}" for i, (a, b, t) in enumerate(edges)]
    batch, bad = parse_snap(lines, kind="reply")
    assert bad == 0
    assert batch.column("actor").to_pylist() == [f"snap:{a}" for a, _, _ in edges]
    assert [int(ts.timestamp()) for ts in batch.column("ts").to_pylist()] == [t for *_, t in edges]


@pytest.mark.data
def test_the_real_collegemsg_log_reads_every_row():
    path = data_path("collegemsg", "CollegeMsg.txt")
    events = collect(read_snap([path], kind="message"))["events"]
    assert events.num_rows == 59_835  # SOURCE.md: every row, the 37 duplicates included
    assert (
        len(set(events.column("actor").to_pylist()) | set(events.column("target").to_pylist()))
        == 1_899
    )
