"""XML tables laid out one element per line, read a block at a time with Arrow compute.

Data dumps such as Stack Exchange's write each table as a root element around one empty
element per record, every field an attribute, one record per line::

    <?xml version="1.0" encoding="utf-8"?>
    <votes>
      <row Id="1" PostId="1" VoteTypeId="2" CreationDate="2014-01-21T00:00:00.000" />
      ...
    </votes>

In that layout a record's attributes can be found without an XML parser: a value holds no
``"`` (it is written ``&quot;``), so splitting a line at its quotes gives the attribute
names and values in turn. :class:`Rows` does that for a whole block of lines at once, in
Arrow's compute kernels, and checks every piece against the XML grammar of such a line
(names, ``=``, values with only the five named entities and character references, no
``<``, no control characters), so that a block it accepts is well-formed and its values
are exactly what an XML parser reports, entities decoded and literal tabs made spaces
(XML's attribute-value normalization).

Anything else — another layout (a record over several lines, single-quoted values, a
comment), or a line that is not well-formed — makes :func:`block` return None: the caller
then reads on with a real XML parser, which accepts what is merely laid out differently and
says exactly what is wrong with what is malformed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Rows", "block", "head_end"]

#: Bytes that need no look in a block: all but C0 controls, "<" and the lead byte of
#: U+FFFE and U+FFFF (which XML forbids).
_ORDINARY = bytes(b for b in range(32, 256) if b not in (ord("<"), 0xEF))
#: The entities a value may hold: the five named ones and character references.
_ENTITY = r"&(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);"


def _not_entity() -> str:
    """A pattern found where an ``&`` does not start one of :data:`_ENTITY`: one search
    (a scan) rather than counting the entities (a match each)."""
    named = ("lt;", "gt;", "amp;", "quot;", "apos;")
    prefixes = sorted({t[:i] for t in named for i in range(len(t))})
    options = []
    for p in prefixes:
        follow = sorted({t[len(p)] for t in named if t.startswith(p)} | ({"#"} if not p else set()))
        options.append(f"{p}(?:[^{''.join(follow)}]|$)")
    options += ["#(?:[^0-9x]|$)", "#[0-9]+(?:[^0-9;]|$)", "#x(?:[^0-9a-fA-F]|$)",
                "#x[0-9a-fA-F]+(?:[^0-9a-fA-F;]|$)"]  # fmt: skip
    return "&(?:" + "|".join(options) + ")"


_NOT_ENTITY = _not_entity()
_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_LAST = r"^[ \t]*/>[ \t\r]*\n?$"
#: Entities decoded by Arrow's replace kernel, ``&amp;`` last so that ``&amp;lt;`` stays
#: ``&lt;``; a value with any other character reference is decoded in Python.
_COMMON = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"),
           ("&#xA;", "\n"), ("&#xD;", "\r"), ("&#x9;", "\t"))  # fmt: skip
_REFERENCE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


class NotPlain(ValueError):
    """A block is not a plain one-record-per-line table: read it with an XML parser."""


def head_end(data: bytes, root: str) -> tuple[int, int] | None:
    """Where the records start in a file beginning with ``data``, and the lines before.

    The head must be an optional byte-order mark, an optional ``<?xml ...?>`` declaration
    and the root's start tag ``<root>``, each on a line of its own. Returns the offset of
    the first record's line and how many lines come before it, or None where the file
    starts otherwise.
    """
    m = re.match(
        rb"(?:\xef\xbb\xbf)?(?:<\?xml[^<>?]*\?>[ \t\r]*\n)?<" + re.escape(root.encode())
        + rb">[ \t\r]*\n",
        data,
    )  # fmt: skip
    if m is None:
        return None
    return m.end(), data.count(b"\n", 0, m.end())


@dataclass
class Rows:
    """One block of records: each record's attributes as (row, name, value) triples.

    ``row`` numbers the records of the block from 0; ``code`` indexes ``names``; ``raw``
    holds the values as written (entities not yet decoded).
    """

    n: int
    row: np.ndarray
    code: np.ndarray
    names: list[str]
    raw: pa.StringArray
    #: Whether any value holds an ``&`` or a tab, that is, needs decoding.
    escaped: bool = False

    def column(self, name: str) -> pa.StringArray:
        """The attribute ``name`` of every record, decoded; null where a record has none."""
        if name not in self.names:
            return pa.nulls(self.n, pa.string())
        where = self.code == self.names.index(name)
        position = np.full(self.n, -1, np.int64)
        position[self.row[where]] = np.arange(int(where.sum()))
        values = self.raw.filter(pa.array(where))
        values = decode(values) if self.escaped else values
        return values.take(pa.array(position, mask=position < 0))

    @cached_property
    def decoded(self) -> pa.StringArray:
        """Every value, decoded."""
        return decode(self.raw) if self.escaped else self.raw

    def records(self) -> list[dict[str, str]]:
        """Each record as a dict of its attributes, as an XML parser gives them."""
        out: list[dict[str, str]] = [{} for _ in range(self.n)]
        names = self.names
        for r, c, v in zip(
            self.row.tolist(), self.code.tolist(), self.decoded.to_pylist(), strict=True
        ):
            out[r][names[c]] = v
        return out


def block(data: bytes, element: str = "row") -> Rows | None:
    """The records of ``data``, whole lines each holding one ``<element .../>``; None where
    a line is anything else or the block is not valid UTF-8."""
    if not data:
        return Rows(0, np.empty(0, np.int64), np.empty(0, np.int64), [], pa.array([], pa.string()))
    if not data.endswith(b"\n"):
        data += b"\n"
    codes = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(codes == 10)
    # What no value may hold, checked over the whole block at once: a "<" but the one
    # opening each line; a control character but tab (a CR only ending a line); U+FFFE,
    # U+FFFF. Every "&" must start an entity (counted below, among the values).
    odd_bytes = data.translate(None, _ORDINARY)
    if odd_bytes.count(b"<") != len(ends) or odd_bytes.count(b"\n") != len(ends):
        return None
    if len(odd_bytes) != 2 * len(ends) + odd_bytes.count(b"\t"):
        returns = odd_bytes.count(b"\r")
        if returns and data.count(b"\r\n") != returns:
            return None
        if b"\xef" in odd_bytes:
            at = np.flatnonzero(codes[:-2] == 0xEF)
            if ((codes[at + 1] == 0xBF) & (codes[at + 2] >= 0xBE)).any():
                return None
        if len(odd_bytes) != 2 * len(ends) + odd_bytes.count(b"\t") + returns + odd_bytes.count(
            b"\xef"
        ):
            return None
    offsets = np.empty(len(ends) + 1, np.int32)
    offsets[0] = 0
    offsets[1:] = ends + 1
    lines = pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        return None
    pieces = pc.split_pattern(lines, '"')
    counts = pc.list_value_length(pieces).to_numpy()
    # A record is <element, then name="value" pairs, then />: an odd count of pieces, >= 3.
    if not ((counts >= 3) & (counts & 1 == 1)).all():
        return None
    flat = pc.list_flatten(pieces)
    starts = pieces.offsets.to_numpy()[:-1].astype(np.int64)
    at = np.arange(len(flat)) - np.repeat(starts, counts)  # a piece's place in its line
    last = at == np.repeat(counts - 1, counts)
    odd = (at & 1).astype(bool)
    if not pc.all(pc.match_substring_regex(flat.filter(pa.array(last)), _LAST)).as_py():
        return None
    values = flat.filter(pa.array(odd))
    if b"&" in data and pc.any(pc.match_substring_regex(values, _NOT_ENTITY)).as_py():
        return None
    # The piece before each value names it: "<row Id=" first, " PostId=" after. Names
    # repeat from record to record, so each distinct spelling is checked once.
    spelled = pc.dictionary_encode(flat.filter(pa.array(~odd & ~last)))
    first_of_line = at[~odd & ~last] == 0
    kinds, names_of = _spellings(spelled.dictionary.to_pylist(), element)
    if kinds is None:
        return None
    spelling = spelled.indices.to_numpy()
    if not ((kinds[spelling] == first_of_line).all()):
        return None
    names = sorted(set(names_of))
    index = np.array([names.index(x) for x in names_of], np.int64)
    code = index[spelling]
    row = np.repeat(np.arange(len(counts)), (counts - 1) // 2)
    # XML forbids an attribute twice in one element.
    key = row * len(names) + code
    if np.bincount(key).max() > 1:
        return None
    escaped = b"&" in data or b"\t" in odd_bytes
    return Rows(len(counts), row, code, names, values, escaped)


def _spellings(
    spellings: list[str], element: str
) -> tuple[np.ndarray, list[str]] | tuple[None, None]:
    """For each way a name is written before its value, whether it opens the element
    (``<row Id=``) and the name; (None, None) if one is neither that nor `` PostId=``."""
    opening = re.compile(rf"[ \t]*<{re.escape(element)}[ \t]+({_NAME})[ \t]*=[ \t]*")
    between = re.compile(rf"[ \t]+({_NAME})[ \t]*=[ \t]*")
    kinds, names = [], []
    for s in spellings:
        if m := opening.fullmatch(s):
            kinds.append(True)
        elif m := between.fullmatch(s):
            kinds.append(False)
        else:
            return None, None
        names.append(m.group(1))
    return np.array(kinds, bool), names


def decode(values: pa.StringArray) -> pa.StringArray:
    """Values as written in XML, decoded: entities replaced, literal tabs made spaces.

    Only values with an ``&`` or a tab are rewritten, each entity by one pass of Arrow's
    replace kernel over them where any has it; a value with a character reference other
    than tab, CR or LF is decoded in Python.
    """
    touched = pc.or_(pc.match_substring_regex(values, "&"), pc.match_substring_regex(values, "\t"))
    if not len(values) or not pc.any(touched).as_py():
        return values
    where = pa.array(np.flatnonzero(touched.to_numpy(zero_copy_only=False)))
    raw = values.take(where)
    out = pc.replace_substring(raw, "\t", " ")
    for entity, char in _COMMON:
        if pc.any(pc.match_substring_regex(out, entity)).as_py():
            out = pc.replace_substring(out, entity, char)
    rare = pc.match_substring_regex(out, "&#")
    out = pc.replace_substring(out, "&amp;", "&")
    if pc.any(rare).as_py():
        # The original text: "&amp;" is decoded, and the rest with it, in one go.
        mask = rare.to_numpy(zero_copy_only=False)
        fixed = [_decode_one(v) for v in raw.filter(rare).to_pylist()]
        out = pc.replace_with_mask(out, pa.array(mask), pa.array(fixed, pa.string()))
    return pc.replace_with_mask(values, touched, out)


def _decode_one(value: str) -> str:
    """One value decoded in Python: for character references beyond tab, CR and LF."""
    return _REFERENCE.sub(_reference, value.replace("\t", " "))


def _reference(m: re.Match[str]) -> str:
    ref = m.group(1)
    if ref[0] != "#":
        return _NAMED[ref]
    point = int(ref[2:], 16) if ref[1] == "x" else int(ref[1:])
    if not (
        point in (0x9, 0xA, 0xD)
        or 0x20 <= point <= 0xD7FF
        or 0xE000 <= point <= 0xFFFD
        or 0x10000 <= point <= 0x10FFFF
    ):
        raise NotPlain(f"reference to invalid character number &{ref};")
    return chr(point)
