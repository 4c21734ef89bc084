"""Tables laid out one element per line, read a block at a time (``_rowxml``): a block it
accepts gives exactly what an XML parser gives; anything else it leaves to the parser."""

from __future__ import annotations

from xml.parsers import expat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from narrowcast.importers import _rowxml


def parsed(lines: bytes) -> list[dict[str, str]]:
    """Each row's attributes as expat gives them."""
    rows: list[dict[str, str]] = []
    parser = expat.ParserCreate()
    parser.StartElementHandler = lambda name, attrs: rows.append(attrs) if name == "row" else None
    parser.Parse(b"<t>" + lines + b"</t>", True)
    return rows


def test_a_block_gives_each_row_as_expat_does():
    lines = (
        b'  <row Id="1" Text="a&lt;b&amp;lt;&#xA;c\td&#x1F600;&#65;&quot;&apos;" />\n'
        b'  <row  Id="2" UserId="-1" Note="caf\xc3\xa9 &gt; tea"/>\r\n'
    )
    rows = _rowxml.block(lines)
    assert rows is not None and rows.n == 2
    assert rows.records() == parsed(lines)
    assert rows.column("UserId").to_pylist() == [None, "-1"]
    assert rows.column("Text").to_pylist()[0] == "a<b&lt;\nc d\U0001f600A\"'"
    assert rows.column("Missing").to_pylist() == [None, None]


@pytest.mark.parametrize(
    "line",
    [
        b'<row Id="1" Id="2" />',  # an attribute twice
        b'<row Id="1" <x="2" />',  # a "<" outside a value
        b'<row Text="a < b" />',  # ... or inside one
        b'<row Text="&x;" />',  # an entity XML does not define
        b'<row Text="a & b" />',  # a bare ampersand
        b'<row Text="&#xZ;" />',  # a reference that is no number
        b'<row Text="\x01" />',  # a control character
        b'<row Text="a\rb" />',  # a carriage return inside a value
        b'<row Text="\xef\xbf\xbe" />',  # U+FFFE
        b'<row Text="\xff" />',  # not UTF-8
        b"<row Id='1' />",  # single quotes: well-formed, another layout
        b'<row Id="1"></row>',  # not an empty element
        b'<rows Id="1" />',  # another element
        b"<row />",  # no attribute
        b'<row Id="1" /> <row Id="2" />',  # two on a line
    ],
)
def test_anything_else_is_left_to_the_parser(line):
    assert _rowxml.block(b"  " + line + b"\n") is None


@pytest.mark.parametrize(
    "point", [0, 1, 8, 11, 12, 14, 31, 0xD800, 0xDFFF, 0xFFFE, 0xFFFF, 0x110000]
)
def test_a_reference_to_a_character_xml_forbids_is_left_to_the_parser(point):
    for ref in (f"&#{point};", f"&#x{point:X};", f"&#x000{point:x};", f"&#00{point};"):
        assert _rowxml.block(f'  <row Text="a{ref}b" />\n'.encode()) is None


@given(st.integers(0, 1 << 25), st.booleans(), st.integers(0, 3))
def test_a_character_reference_is_left_to_the_parser_exactly_when_xml_forbids_it(
    point, hexadecimal, zeros
):
    digits = f"x{'0' * zeros}{point:x}" if hexadecimal else f"{'0' * zeros}{point}"
    allowed = (
        point in (0x9, 0xA, 0xD)
        or 0x20 <= point <= 0xD7FF
        or 0xE000 <= point <= 0xFFFD
        or 0x10000 <= point <= 0x10FFFF
    )
    rows = _rowxml.block(f'  <row Text="&#{digits};" />\n'.encode())
    assert (rows is not None) == allowed
    if allowed:
        assert rows.column("Text").to_pylist() == [chr(point)]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>\r\n<votes>\r\n  <row', (52, 2)),
        (b"<votes>\n  <row", (8, 1)),
        (b"<votes><row", None),
        (b"<posts>\n", None),
        (b"<!-- a dump -->\n<votes>\n", None),
    ],
)
def test_the_head_is_a_declaration_and_the_root_on_lines_of_their_own(head, expected):
    assert _rowxml.head_end(head, "votes") == expected


@given(st.text(alphabet="&;#xltgampquosA19 ", max_size=30))
def test_a_bare_ampersand_is_found_exactly_where_one_starts_no_entity(text):
    import re

    import pyarrow as pa
    import pyarrow.compute as pc

    entities = len(re.findall(_rowxml._ENTITY, text))
    found = pc.match_substring_regex(pa.array([text]), _rowxml._NOT_ENTITY).to_pylist()[0]
    assert found == (text.count("&") != entities)
