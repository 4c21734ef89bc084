"""The streaming JSON reader of the Twitter, Mastodon, Slack and Discord importers, on
hand-written inputs: values cut by blocks of any size, the line of every item and of every
error, and each way a file can be bad."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from narrowcast.errors import InputError
from narrowcast.importers._json import JsonStream

EXPECTED = "a test file"
BLOCKS = [1, 2, 3, 5, 8, 64, 1 << 20]


class _Reads(io.BytesIO):
    """Bytes that count the calls to ``read``."""

    calls = 0

    def read(self, size: int | None = -1) -> bytes:
        self.calls += 1
        return super().read(size)


def stream(data: str | bytes, block_bytes: int = 1 << 20) -> JsonStream:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return JsonStream(io.BytesIO(raw), "x.json", EXPECTED, block_bytes=block_bytes)


def items(data: str | bytes, block_bytes: int = 1 << 20) -> list[tuple[int, object]]:
    s = stream(data, block_bytes)
    got = list(s.array("an array"))
    s.end()
    return got


def error(data: str | bytes, block_bytes: int = 1 << 20) -> str:
    with pytest.raises(InputError) as err:
        items(data, block_bytes)
    return str(err.value)


# --- reading -------------------------------------------------------------------------------

TEXT = """[
  {"name": "Zoë", "tags": ["a", "b"]},
  12345678901234567890,
  "party 🎉 and \\u00e9",
  -1.5e-3, true, null,

  [[], {}]
]
"""


@pytest.mark.parametrize("block_bytes", BLOCKS)
def test_items_and_their_lines_do_not_depend_on_the_block_size(block_bytes):
    s = stream(TEXT, block_bytes)
    assert list(s.array("an array")) == [
        (2, {"name": "Zoë", "tags": ["a", "b"]}),
        (3, 12345678901234567890),
        (4, "party 🎉 and é"),
        (5, -0.0015),
        (5, True),
        (5, None),
        (7, [[], {}]),
    ]
    s.end()
    assert s.bytes_read == len(TEXT.encode("utf-8"))


@pytest.mark.parametrize("block_bytes", BLOCKS)
def test_a_number_the_block_cuts_is_read_whole(block_bytes):
    assert stream("123456", block_bytes).value() == 123456
    # The block may end after "1", "1.", "-1.5e" or "-1.5e-": the number goes on.
    assert items("[123456, 1.25, -1.5e-3, 2E+10]", block_bytes) == [
        (1, 123456),
        (1, 1.25),
        (1, -0.0015),
        (1, 2e10),
    ]


def test_an_empty_array():
    assert items(" [\n ] \n") == []


@pytest.mark.parametrize("block_bytes", [1, 1 << 20])
def test_an_object_is_read_key_by_key(block_bytes):
    s = stream('{"a": 1,\n "b":\n  [1, 2],\n "c": {"d": null}}', block_bytes)
    got = []
    for key in s.members("an object"):
        if key == "b":
            got.append((key, list(s.array("b: an array"))))
        else:
            got.append((key, s.value_with_line()))
    s.end()
    assert got == [("a", (1, 1)), ("b", [(3, 1), (3, 2)]), ("c", (4, {"d": None}))]


@pytest.mark.parametrize("block_bytes", [1, 2, 1 << 20])
def test_a_byte_order_mark_is_dropped(block_bytes):
    assert items(b"\xef\xbb\xbf[\n1]", block_bytes) == [(2, 1)]


@pytest.mark.parametrize("block_bytes", [1, 7, 1 << 20])
def test_an_assignment_before_the_value_is_skipped(block_bytes):
    s = stream('window.YTD.tweets.part0 = [\n  {"a": 1}\n];\n', block_bytes)
    s.skip_assignment()
    assert list(s.array("an array")) == [(2, {"a": 1})]
    s.end()  # the statement's ";" is allowed


@pytest.mark.parametrize("item", ['"' + "x" * 1_000_000 + '"', "[" + "1," * 300_000 + "1]"])
def test_an_item_larger_than_the_block_is_read_in_growing_reads(item):
    raw = _Reads(f"[{item}]".encode())
    s = JsonStream(raw, "x.json", EXPECTED, block_bytes=16)
    (line, value), *rest = s.array("an array")
    assert line == 1 and len(value) in (1_000_000, 300_001) and rest == []
    # Each read asks twice as much as the one before, so a huge item costs linear time,
    # not as many reads (and decodings of what is held) as it has blocks.
    assert raw.calls < 30


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("block_bytes", BLOCKS)
def test_malformed_json_names_its_line(block_bytes):
    assert error("[\n1,\n2,,\n3]", block_bytes) == (
        f"x.json, line 3: not valid JSON: Expecting value; expected {EXPECTED}"
    )


def test_a_fault_at_the_end_of_the_file_is_not_taken_for_truncation():
    assert error('[\n{"ts" 5}\n]') == (
        f"x.json, line 2: not valid JSON: Expecting ':' delimiter; expected {EXPECTED}"
    )


@pytest.mark.parametrize("block_bytes", [1, 1 << 20])
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[\n{"a": "unfinish',
            "line 2: the file ends inside a JSON value (a truncated download?); "
            f"expected {EXPECTED}",
        ),
        (
            '[\n{"a": 1,\n',
            "line 3: the file ends inside a JSON value (a truncated download?); "
            f"expected {EXPECTED}",
        ),
        ("[1,\n2", "line 2: the file ends; expected ',' or ']' after item 2"),
        ("[1,\n", f"line 2: the file ends; expected {EXPECTED}"),
        ("", "line 1: the file ends; expected an array"),
    ],
)
def test_a_truncated_file_says_so_with_the_line_it_ends_on(text, message, block_bytes):
    assert error(text, block_bytes) == f"x.json, {message}"


@pytest.mark.parametrize("block_bytes", [1, 4, 1 << 20])
def test_a_byte_that_is_not_utf8_names_its_line(block_bytes):
    assert error(b'[\n"a",\n"caf\xe9"\n]', block_bytes) == (
        f"x.json, line 3: byte 0xe9 is not UTF-8; expected {EXPECTED} in UTF-8"
    )


def test_a_character_the_end_of_the_file_cuts_is_not_utf8():
    assert error(b'[\n"caf\xc3') == (
        f"x.json, line 2: byte 0xc3 is not UTF-8; expected {EXPECTED} in UTF-8"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}', "line 1: found '{'; expected an array"),
        ("[1\n 2]", "line 2: found '2'; expected ',' or ']' after item 1"),
        ("[1] x", f"line 1: found 'x' after the end of the data; expected {EXPECTED}"),
        ("[1];", f"line 1: found ';' after the end of the data; expected {EXPECTED}"),
    ],
)
def test_structure_errors_say_what_was_found_and_what_was_expected(text, message):
    assert error(text) == f"x.json, {message}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "line 1: found '['; expected an object"),
        ("{\n a: 1}", "line 2: found 'a'; expected a key in double quotes"),
        ('{"a" 1}', "line 1: found '1'; expected ':' after the key 'a'"),
        ('{"a": 1 "b": 2}', "line 1: found '\"'; expected ',' or '}' after the value of 'a'"),
    ],
)
def test_object_errors_say_what_was_found_and_what_was_expected(text, message):
    s = stream(text)
    with pytest.raises(InputError) as err:
        for _ in s.members("an object"):
            s.value()
    assert str(err.value) == f"x.json, {message}"


class _Failing(io.RawIOBase):
    """A first block of bytes, then a failed read."""

    def __init__(self, first: bytes, failure: Exception) -> None:
        self.first = first
        self.failure = failure

    def read(self, size: int = -1) -> bytes:
        if not self.first:
            raise self.failure
        out, self.first = self.first, b""
        return out


@pytest.mark.parametrize(
    ("failure", "detail"),
    [
        (zlib.error("invalid stored block lengths"), "invalid stored block lengths"),
        (EOFError("Compressed file ended"), "the compressed file ends early (truncated download?)"),
        (zipfile.BadZipFile("Bad CRC-32 for file 'x.json'"), "Bad CRC-32 for file 'x.json'"),
        (OSError("Input/output error"), "Input/output error"),
    ],
)
def test_a_failed_read_names_the_file_and_line(failure, detail):
    s = JsonStream(_Failing(b"[\n1,\n", failure), "x.json", EXPECTED)
    with pytest.raises(InputError) as err:
        list(s.array("an array"))
    assert str(err.value) == f"x.json, line 3: cannot be read: {detail}; expected {EXPECTED}"
