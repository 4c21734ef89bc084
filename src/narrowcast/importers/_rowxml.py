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
names and values in turn. :func:`block` does that for a whole block of lines at once, in
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
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Rows", "block", "decode", "head_end", "holding"]

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

#: A character reference to what XML 1.0 forbids (a C0 control but tab, LF, CR; a
#: surrogate; U+FFFE, U+FFFF; beyond U+10FFFF), in hexadecimal or decimal, with any zeros.
_H = "[0-9a-fA-F]"
_BAD_REFERENCE = (
    "&#(?:x0*(?:[0-8bBcCeEfF]?|1" + _H + "|[dD][89a-fA-F]" + _H + _H + "|[fF]{3}[eEfF]"
    "|1[1-9a-fA-F]" + _H + "{4}|[2-9a-fA-F]" + _H + "{5}|[1-9a-fA-F]" + _H + "{6,})"
    "|0*(?:[0-8]?|1[124-9]|2[0-9]|3[01]"
    "|5529[6-9]|55[3-9][0-9]{2}|56[0-9]{3}|57[0-2][0-9]{2}|573[0-3][0-9]|5734[0-3]"
    "|6553[45]|111411[2-9]|11141[2-9][0-9]|1114[2-9][0-9]{2}|111[5-9][0-9]{3}"
    "|11[2-9][0-9]{4}|1[2-9][0-9]{5}|[2-9][0-9]{6}|[1-9][0-9]{7,}));"
)
_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_LAST = r"^[ \t]*/>[ \t\r]*\n?$"
#: Entities decoded by Arrow's replace kernel (``&amp;`` after them, so that ``&amp;lt;``
#: stays ``&lt;``); a value with any other character reference is decoded in Python.
_COMMON = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"),
           ("&#xA;", "\n"), ("&#xD;", "\r"), ("&#x9;", "\t"))  # fmt: skip
_REFERENCE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


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

    ``row`` numbers the records of the block from 0; ``code`` indexes ``names``;
    ``values`` holds the values decoded, but for attributes :func:`block` was told are
    not read, which keep their text as written.
    """

    n: int
    row: np.ndarray
    code: np.ndarray
    names: list[str]
    values: pa.StringArray

    def column(self, name: str) -> pa.StringArray:
        """The attribute ``name`` of every record; null where a record has none."""
        if name not in self.names:
            return pa.nulls(self.n, pa.string())
        where = self.code == self.names.index(name)
        position = np.full(self.n, -1, np.int64)
        position[self.row[where]] = np.arange(int(where.sum()))
        values = self.values.filter(pa.array(where))
        return values.take(pa.array(position, mask=position < 0))

    def records(self) -> list[dict[str, str]]:
        """Each record as a dict of its attributes, as an XML parser gives them."""
        out: list[dict[str, str]] = [{} for _ in range(self.n)]
        names = self.names
        for r, c, v in zip(
            self.row.tolist(), self.code.tolist(), self.values.to_pylist(), strict=True
        ):
            out[r][names[c]] = v
        return out


def block(data: bytes, element: str = "row", read: Collection[str] | None = None) -> Rows | None:
    """The records of ``data``, whole lines each holding one ``<element .../>``; None where
    a line is anything else or the block is not valid UTF-8.

    ``read`` names the attributes whose values are decoded (all with None); the rest are
    checked but kept as written, as nobody reads them.
    """
    if not data:
        return Rows(0, np.empty(0, np.int64), np.empty(0, np.int64), [], pa.array([], pa.string()))
    if not data.endswith(b"\n"):
        data += b"\n"
    codes = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(codes == 10)
    # What no value may hold, checked over the whole block at once: a "<" but the one
    # opening each line; a control character but tab (a CR only ending a line); U+FFFE,
    # U+FFFF. (Every "&" must start an entity: searched for among the values, below.)
    odd_bytes = data.translate(None, _ORDINARY)
    if odd_bytes.count(b"<") != len(ends) or odd_bytes.count(b"\n") != len(ends):
        return None
    returns, leads = odd_bytes.count(b"\r"), odd_bytes.count(b"\xef")
    if len(odd_bytes) != 2 * len(ends) + odd_bytes.count(b"\t") + returns + leads:
        return None
    if returns and np.count_nonzero(codes[ends[ends > 0] - 1] == 13) != returns:
        return None
    if leads:
        at = np.flatnonzero(codes[:-2] == 0xEF)
        if ((codes[at + 1] == 0xBF) & (codes[at + 2] >= 0xBE)).any():
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
    if b"&#" in data and pc.any(pc.match_substring_regex(values, _BAD_REFERENCE)).as_py():
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
    if b"&" in data or b"\t" in odd_bytes:
        wanted = np.ones(len(values), bool)
        if read is not None:
            wanted = np.isin(code, [i for i, name in enumerate(names) if name in read])
        if wanted.all():
            values = decode(values)
        elif wanted.any():
            chosen = pa.array(wanted)
            values = pc.replace_with_mask(values, chosen, decode(values.filter(chosen)))
    return Rows(len(counts), row, code, names, values)


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
    touched = holding(values, b"&\t")
    if not touched.any():
        return values
    raw = values.filter(pa.array(touched))
    out = raw
    for entity, char in (("\t", " "), *_COMMON):
        if pc.any(pc.match_substring_regex(out, entity)).as_py():
            out = pc.replace_substring(out, entity, char)
    rare = pc.match_substring_regex(out, "&#")
    if pc.any(pc.match_substring_regex(out, "&amp;")).as_py():
        out = pc.replace_substring(out, "&amp;", "&")
    if pc.any(rare).as_py():
        # The original text: "&amp;" is decoded, and the rest with it, in one go.
        fixed = [_decode_one(v) for v in raw.filter(rare).to_pylist()]
        out = pc.replace_with_mask(out, rare, pa.array(fixed, pa.string()))
    return pc.replace_with_mask(values, pa.array(touched), out)


def holding(values: pa.StringArray, chars: bytes) -> np.ndarray:
    """Which values hold any of the (ASCII) ``chars``: found in the array's data at once."""
    _, offsets, data = values.buffers()
    if data is None or not len(values):
        return np.zeros(len(values), bool)
    ends = np.frombuffer(offsets, np.int32)[values.offset : values.offset + len(values) + 1]
    text = np.frombuffer(data, np.uint8)[ends[0] : ends[-1]]
    found = np.zeros(len(text), bool)
    for c in chars:
        found |= text == c
    at = np.flatnonzero(found) + ends[0]
    out = np.zeros(len(values), bool)
    out[np.searchsorted(ends, at, side="right") - 1] = True
    return out


def _decode_one(value: str) -> str:
    """One value decoded in Python: for character references beyond tab, CR and LF."""
    return _REFERENCE.sub(_reference, value.replace("\t", " "))


def _reference(m: re.Match[str]) -> str:
    ref = m.group(1)
    if ref[0] != "#":
        return _NAMED[ref]
    return chr(int(ref[2:], 16) if ref[1] == "x" else int(ref[1:]))
