"""Reddit dumps: NDJSON submissions and comments, as event-log rows.

Where to get them: the Pushshift monthly dumps (``RS_YYYY-MM.zst`` submissions,
``RC_YYYY-MM.zst`` comments) and their per-subreddit cuts (``<subreddit>_submissions.zst``,
``<subreddit>_comments.zst``) are shared on Academic Torrents; Arctic Shift
(https://arctic-shift.photon-reddit.com/download-tool) downloads one subreddit's or one
user's submissions and comments as ``.jsonl``. Both hold one JSON object per line, with the
fields of Reddit's own API. Files may be plain or ``.gz``, ``.zst``, ``.bz2``, ``.xz`` (the
oldest Pushshift months are ``.bz2`` and ``.xz``); each is streamed line by line, so memory
stays the same whatever the dump's size.

Which record is what
--------------------
A record with a ``title``, or a ``name`` starting ``t3_``, or no ``parent_id``, is a
**submission**; any other record (it has a ``parent_id``) is a **comment**. Reddit calls an
item by its *fullname*, its ``id`` after a type prefix: ``t3_`` submissions, ``t1_``
comments, ``t2_`` accounts. Fullnames are unique across all of Reddit, so they are the item
ids here.

==========  =====  ===========  ========================  ===================
record      kind   content_id   parent_id                 thread_id
==========  =====  ===========  ========================  ===================
submission  post   ``t3_<id>``  null                      ``t3_<id>``
crosspost   quote  ``t3_<id>``  its ``crosspost_parent``  ``t3_<id>``
comment     reply  ``t1_<id>``  its ``parent_id``         its ``link_id``
==========  =====  ===========  ========================  ===================

A crosspost is a submission with a ``crosspost_parent`` (a ``t3_`` fullname): a re-post
under a title of its own, so a quote. A comment's ``parent_id`` is kept as given:
``t1_...`` when it answers a comment, ``t3_...`` when it answers the submission.

- ``event_id`` the item's fullname (``t3_<id>``, ``t1_<id>``); ``ts`` the ``created_utc``
  (epoch seconds, as an integer, a float or a string of either: dumps use all three).
- ``actor`` ``reddit:<author>`` with the name lowercased, since Reddit names are
  case-insensitive and a mention ``u/Bob`` must meet the author ``bob``. An ``author`` of
  ``[deleted]``, null or missing gives a null actor; the row is kept (importers never
  filter) and counts as reception for the parent's author. For an author whose name is not
  all lowercase, a ``people`` row keeps it as written as the ``handle``.
- ``target`` null: the store fills it with the author of ``parent_id`` when that item is in
  the log. ``thread_id`` of a comment without ``link_id`` is left null (the store follows
  the parent chain).
- ``subtype`` ``r/<subreddit>``, null where the record has no ``subreddit``. The subreddit is
  not put in ``text``: every item of a subreddit would share it, which echo detection would
  take for a phrase repeated. Import several subreddits under the one platform ``reddit``
  (names and fullnames are global); select one by its subtype.
- ``text`` the ``title``, the ``selftext`` and, for a link submission (``is_self`` false),
  its ``url``, on a line each; a comment's ``body``. HTML entities (``&amp;``, ``&gt;``),
  which dumps keep from Reddit's API, are decoded, and lone UTF-16 surrogates (some dumps
  hold escaped halves of emoji, ``\\ud83d``) become U+FFFD. A ``selftext`` or ``body``
  that is ``[deleted]`` or ``[removed]`` is left out: its words are gone.
- Everything is ``public``.

Votes. ``score`` is Reddit's net count of up-votes minus down-votes, which starts at 1 with
the author's own automatic up-vote, at the time the dump retrieved it. An item with a
``score`` of 2 or more gives one ``like`` row, ``score:<fullname>``: actor null (votes are
anonymous), ``parent_id`` the item, ``thread_id`` its thread, ``quantity`` ``score - 1``
(the votes of others, net), ``subtype`` ``score``, dated at the item's ``created_utc`` as
the dump has only the total. An item with a score of 0 or less gives likewise one
``dislike`` row of ``quantity`` ``1 - score``. A score of 1, or none, gives no row.

Mentions. Each distinct ``u/name`` or ``/u/name`` in an item's text (outside quoted lines,
which begin with ``>``) gives one ``mention`` row, ``mention:<fullname>:<name>``: actor the
author, ``target`` ``reddit:<name>`` lowercased, ``thread_id`` the item's thread,
``subtype`` ``u/``, no content or parent.

Duplicates. Fullnames make importing a dump twice add nothing. Two copies of one item in one
import (the same month read from two overlapping files) are not merged: give each file
once.

Errors. A line that is not a JSON object, a record without ``id`` (or ``name``) or
``created_utc``, a ``created_utc`` that is not epoch seconds, a comment whose ``parent_id``
is not a fullname, a non-UTF-8 byte or a truncated compressed file raises an
:class:`~narrowcast.errors.InputError` naming the file and line; with ``skip_bad_rows`` bad
records are skipped and counted (malformed compression stays fatal).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from narrowcast.errors import InputError
from narrowcast.importers._common import (
    check_files,
    files_in,
    open_binary,
    read_errors,
    total_size,
)
from narrowcast.model import EVENTS, PEOPLE, Chunk, Parsed

__all__ = ["parse_reddit", "read_reddit"]

_EXPECTED = "Reddit NDJSON: one submission or comment JSON object per line"
_TEXT_SUFFIXES = (".ndjson", ".jsonl", ".json")
_COMPRESSED = (".gz", ".zst", ".bz2", ".xz")
_GONE = frozenset({"[deleted]", "[removed]"})
_TS_EXAMPLE = "epoch seconds such as 1709283600"
# Latest second a timestamp column holds (9999-12-31T23:59:59), and earliest (year 1).
_MAX_SECONDS = 253_402_300_799
_MIN_SECONDS = -62_135_596_800
# u/name and /u/name; Reddit names are 3 to 20 letters, digits, '_' and '-'.
_MENTION = re.compile(r"(?<![A-Za-z0-9_/])/?u/([A-Za-z0-9_-]{3,20})(?![A-Za-z0-9_-])")
_SURROGATE = re.compile("[\ud800-\udfff]")
_QUOTE_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
#: The event columns a row sets, in the order of its tuple; the others are constant or null.
_VARYING = (
    "event_id", "ts", "actor", "kind", "target", "content_id", "parent_id", "thread_id",
    "quantity", "subtype", "text",
)  # fmt: skip
# Text characters per batch, besides the row count: long self posts keep batches small.
_BATCH_TEXT = 8 << 20


class _BadRow(ValueError):
    """A record that cannot become rows; the message says which field and why."""


def read_reddit(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    batch_rows: int = 65_536,
) -> Parsed:
    """Read Reddit NDJSON dumps of submissions and comments.

    Parameters
    ----------
    paths
        Dump files (plain or ``.gz``/``.zst``/``.bz2``/``.xz``, any name) or folders. A
        folder is searched, with its subfolders, for ``*.ndjson``, ``*.jsonl``, ``*.json``
        and any ``.gz``, ``.zst``, ``.bz2``, ``.xz`` file (Pushshift's ``RC_2019-04.zst``),
        read in name order.
    platform
        Community name for the rows and their person ids (default ``reddit``).
    skip_bad_rows
        Skip and count bad records instead of stopping at the first.
    batch_rows
        Most rows per record batch handed to the store.

    Returns
    -------
    Parsed
        ``events`` batches as listed in the module's documentation, each followed by the
        ``people`` rows of its authors whose names have capitals (``id``, ``handle``).

    Raises
    ------
    InputError
        A path is missing or empty, a folder holds no dump file, or a record is bad (see
        the module's documentation); the message names the file and the line.

    Examples
    --------
    >>> import tempfile
    >>> lines = [
    ...     '{"id": "s1", "author": "Alice", "created_utc": 1709283600, "title": "hello",'
    ...     ' "selftext": "", "is_self": true, "subreddit": "example", "score": 3}',
    ...     '{"id": "c1", "author": "bob", "created_utc": "1709287200", "parent_id": "t3_s1",'
    ...     ' "link_id": "t3_s1", "body": "hi u/alice", "subreddit": "example", "score": 1}',
    ... ]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = Path(folder, "r.ndjson").write_text("\\n".join(lines) + "\\n")
    ...     chunks = list(read_reddit([folder]))
    >>> cols = ["event_id", "actor", "kind", "target", "parent_id", "thread_id", "quantity"]
    >>> for row in chunks[0].batch.select(cols).to_pylist():
    ...     print(*row.values())
    t3_s1 reddit:alice post None None t3_s1 1
    score:t3_s1 None like None t3_s1 t3_s1 2
    t1_c1 reddit:bob reply None t3_s1 t3_s1 1
    mention:t1_c1:alice reddit:bob mention reddit:alice None t3_s1 1
    >>> chunks[1].table, chunks[1].batch.column("handle").to_pylist()
    ('people', ['Alice'])
    """
    platform = platform or "reddit"
    files = check_files(
        files_in(
            paths,
            _is_dump,
            "holds no Reddit dump file; expected *.ndjson, *.jsonl or *.json files, "
            "or compressed ones (.gz, .zst, .bz2, .xz) such as RC_2019-04.zst",
        ),
        _EXPECTED,
    )
    parsed = Parsed(
        format="reddit",
        platform=platform,
        paths=files,
        chunks=(),
        total_bytes=total_size(files),
    )
    parsed.chunks = _chunks(parsed, files, skip_bad_rows, batch_rows)
    return parsed


def parse_reddit(
    records: Iterable[dict[str, Any]],
    *,
    platform: str = "reddit",
    skip_bad_rows: bool = False,
) -> tuple[pa.Table, pa.Table, int]:
    """Events, people and the number of skipped records of submissions and comments held
    in memory, as :func:`read_reddit` gives them for a file of these records.

    >>> events, people, bad = parse_reddit([
    ...     {"id": "c9", "author": "[deleted]", "created_utc": 1709283600.5,
    ...      "parent_id": "t1_c8", "link_id": "t3_s1", "body": "[removed]", "score": -2},
    ... ])
    >>> for row in events.select(["event_id", "actor", "kind", "parent_id", "text",
    ...                           "quantity"]).to_pylist():
    ...     print(*row.values())
    t1_c9 None reply t1_c8 None 1
    score:t1_c9 None dislike t1_c9 None 3
    >>> people.num_rows, bad
    (0, 0)
    """
    rows = _Rows(platform, batch_rows=1 << 62)
    bad = 0
    for n, record in enumerate(records, 1):
        try:
            rows.record(record)
        except _BadRow as err:
            if not skip_bad_rows:
                raise InputError("<records>", str(err), where=f"record {n}") from err
            bad += 1
    events, people = rows.flush()
    return (
        pa.Table.from_batches([events], schema=EVENTS),
        pa.Table.from_batches([people], schema=PEOPLE),
        bad,
    )


def _is_dump(name: str) -> bool:
    name = name.lower()
    return name.endswith(_COMPRESSED) or name.endswith(_TEXT_SUFFIXES)


def _chunks(
    parsed: Parsed, files: list[Path], skip_bad_rows: bool, batch_rows: int
) -> Iterator[Chunk]:
    rows = _Rows(parsed.platform, batch_rows)
    done = 0
    loads = json.loads
    for path in files:
        line = [0]
        seen = False  # a line that is not blank
        with open_binary(path) as inp, read_errors(path, _EXPECTED, line):
            for raw in _lines(inp.stream):
                line[0] += 1
                text = raw.decode("utf-8")
                if not text or text.isspace():
                    continue
                seen = True
                try:
                    try:
                        record = loads(text)
                    except json.JSONDecodeError as err:
                        raise _BadRow(
                            f"not JSON: {err.msg.removesuffix(' at')} at column {err.colno}; "
                            f"expected {_EXPECTED}"
                        ) from err
                    rows.record(record)
                except _BadRow as err:
                    if not skip_bad_rows:
                        raise InputError(path, str(err), line=line[0]) from err
                    parsed.bad_rows += 1
                if rows.full:
                    yield from _flush(rows, path, done + inp.bytes_read)
            if not seen:
                raise InputError(path, f"holds no records; expected {_EXPECTED}")
            if rows.events:
                yield from _flush(rows, path, done + inp.bytes_read)
        done += path.stat().st_size


def _lines(stream: IO[bytes], block_bytes: int = 1 << 20) -> Iterator[bytes]:
    """The lines of a byte stream, without their ``\\n``, read in blocks: every reader
    (gzip, bz2, xz, zstd) has ``read``, not all have ``readline``; and decoding each line
    here, not in a text wrapper's blocks, lets a decoding error name its line."""
    rest = b""
    while block := stream.read(block_bytes):
        lines = (rest + block).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _flush(rows: _Rows, path: Path, bytes_read: int) -> Iterator[Chunk]:
    events, people = rows.flush()
    yield Chunk("events", events, path, bytes_read)
    if people.num_rows:
        yield Chunk("people", people, path, bytes_read)


class _Rows:
    """Turns records into event rows, and keeps the people rows of the current batch.

    Rows are kept as tuples of the columns that vary (:data:`_VARYING`), which costs a
    fraction of a keyword call per row: with JSON decoding, the whole of the work.
    """

    def __init__(self, platform: str, batch_rows: int) -> None:
        self.platform = platform
        self.prefix = platform + ":"
        self.batch_rows = batch_rows
        self.events: list[tuple[Any, ...]] = []
        self.chars = 0
        self.handles: dict[str, str] = {}  # person id -> name as written, if not lowercase

    @property
    def full(self) -> bool:
        return len(self.events) >= self.batch_rows or self.chars >= _BATCH_TEXT

    def flush(self) -> tuple[pa.RecordBatch, pa.RecordBatch]:
        """The event and people rows so far, as record batches; then empty again."""
        n = len(self.events)
        columns = dict(zip(_VARYING, zip(*self.events, strict=True), strict=True))
        arrays = []
        for f in EVENTS:
            if f.name == "ts":
                arrays.append(pa.array(columns["ts"], pa.int64()).cast(f.type))
            elif f.name in columns:
                arrays.append(_array(columns[f.name], f.type))
            elif f.name == "platform":
                arrays.append(pa.array([self.platform] * n, f.type))
            elif f.name == "visibility":
                arrays.append(pa.array(["public"] * n, f.type))
            else:
                arrays.append(pa.nulls(n, f.type))
        events = pa.RecordBatch.from_arrays(arrays, schema=EVENTS)
        m = len(self.handles)
        given = {
            "id": pa.array(list(self.handles), pa.string()),
            "platform": pa.array([self.platform] * m, pa.string()),
            "handle": pa.array(list(self.handles.values()), pa.string()),
        }
        people = pa.RecordBatch.from_arrays(
            [given.get(f.name, pa.nulls(m, f.type)) for f in PEOPLE], schema=PEOPLE
        )
        self.events = []
        self.handles = {}
        self.chars = 0
        return events, people

    def record(self, r: Any) -> None:
        """Add the rows of one record, or raise :class:`_BadRow` leaving nothing behind."""
        if not isinstance(r, dict):
            raise _BadRow(f"a JSON {type(r).__name__}, not an object; expected {_EXPECTED}")
        get = r.get
        name = get("name")
        rid = get("id")
        if not (isinstance(rid, str) and rid):
            if isinstance(name, str) and "_" in name:
                rid = name.partition("_")[2]
            else:
                raise _BadRow('record has no id; expected a Reddit id such as "id": "kx3qz9"')
        ts = _micros(get("created_utc"))
        parent = get("parent_id")
        author = get("author")
        actor = None
        if isinstance(author, str) and author and author not in _GONE:
            actor = self.prefix + author.lower()
        sub = get("subreddit")
        subtype = "r/" + sub if isinstance(sub, str) and sub else None
        if "title" in r or not parent or (isinstance(name, str) and name.startswith("t3_")):
            item = "t3_" + rid
            thread: str | None = item
            kind, parent_id = "post", None
            crossposted = get("crosspost_parent")
            if isinstance(crossposted, str) and crossposted.startswith("t3_"):
                kind, parent_id = "quote", crossposted
            text = _join(
                _clean(get("title")),
                _clean(get("selftext")),
                None if get("is_self", True) else _clean(get("url")),
            )
        else:
            if not isinstance(parent, str) or parent[:3] not in ("t1_", "t3_"):
                raise _BadRow(
                    f"parent_id {parent!r} is not a fullname; expected e.g. "
                    '"parent_id": "t1_c0" (a comment) or "t3_s1" (a submission)'
                )
            item = "t1_" + rid
            kind, parent_id = "reply", parent
            link = get("link_id")
            thread = link if isinstance(link, str) and link.startswith("t3_") else None
            text = _clean(get("body"))
        score = get("score")
        # Every field is checked: the rows can be added.
        if actor is not None and author != actor[len(self.prefix) :]:
            self.handles[actor] = author  # type: ignore[assignment]
        add = self.events.append
        add((item, ts, actor, kind, None, item, parent_id, thread, 1, subtype, text))
        if isinstance(score, int) and score != 1 and not isinstance(score, bool):
            vote, votes = ("like", score - 1) if score > 1 else ("dislike", 1 - score)
            add(("score:" + item, ts, None, vote, None, None, item, thread, votes, "score", None))
        if text is not None:
            self.chars += len(text)
            if "u/" in text:
                for who in _mentions(text):
                    add(
                        (
                            f"mention:{item}:{who}", ts, actor, "mention", self.prefix + who,
                            None, None, thread, 1, "u/", None,
                        )
                    )  # fmt: skip


def _array(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """The values as an Arrow array; lone UTF-16 surrogates in strings, which JSON may
    escape (``"\\ud83d"``) but UTF-8 cannot hold, become U+FFFD."""
    try:
        return pa.array(values, type_)
    except UnicodeEncodeError:
        fix = _SURROGATE.sub
        return pa.array([v if v is None else fix("\ufffd", v) for v in values], type_)


def _clean(value: Any) -> str | None:
    """A text field with HTML entities decoded; None when empty, deleted or removed."""
    if not isinstance(value, str) or not value or value in _GONE:
        return None
    return html.unescape(value)


def _join(*parts: str | None) -> str | None:
    text = "\n".join(p for p in parts if p)
    return text or None


def _mentions(text: str) -> list[str]:
    """The distinct names of ``u/name`` mentions, lowercased, in order, quotes left out."""
    if ">" in text:
        text = _QUOTE_LINE.sub("", text)
    return list(dict.fromkeys(m.lower() for m in _MENTION.findall(text)))


def _micros(value: Any) -> int:
    """``created_utc`` (epoch seconds: int, float, or a string of either) in microseconds."""
    if value is None:
        raise _BadRow(f"record has no created_utc; expected {_TS_EXAMPLE}")
    seconds: float
    if isinstance(value, bool):
        seconds = math.nan
    elif isinstance(value, (int, float)):
        seconds = value
    elif isinstance(value, str):
        try:
            seconds = int(value)
        except ValueError:
            try:
                seconds = float(value)
            except ValueError:
                seconds = math.nan
    else:
        seconds = math.nan
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:  # also false for nan
        raise _BadRow(f"created_utc {value!r} is not a time; expected {_TS_EXAMPLE}")
    if isinstance(seconds, int):
        return seconds * 1_000_000
    return round(seconds * 1_000_000)
