"""Stack Exchange data dumps: a site's folder of XML tables, as event-log rows and people.

A dump (the quarterly "Stack Exchange Data Dump", one folder per site) holds one UTF-8 XML
file per table, each a root element (``<posts>``, ``<comments>``, ...) around one
``<row .../>`` per record with every field as an attribute. Five tables hold people and
interactions; they are read in this order, each streamed from disk so that memory stays the
same whatever the dump's size:

``Users.xml`` -> ``people``
    ``id`` ``platform:Id`` (the system user "Community" has Id -1 and is kept), ``handle``
    and ``display_name`` the ``DisplayName`` (Stack Exchange has no unique handle),
    ``created_at`` the ``CreationDate``, ``audience_size`` null: a site has no followers, and
    ``Views`` counts visits to the profile page, not an audience, so it stays in
    ``attributes`` with every other field of the row (``Reputation``, ``AccountId``,
    ``Location``, ``WebsiteUrl``, ``UpVotes``, ``DownVotes``, ``LastAccessDate``,
    ``AboutMe`` ...; counts as integers, the rest as text).

``Posts.xml`` -> ``post``, ``reply`` and ``view`` events, ``event_id`` ``post:<Id>``
    ======  ==========  ===============  ===============  ==============================
    kind    content_id  parent_id        thread_id        PostTypeId
    ======  ==========  ===============  ===============  ==============================
    post    ``p<Id>``   null             ``p<Id>``        1 question
    reply   ``p<Id>``   ``p<ParentId>``  ``p<ParentId>``  2 answer
    post    ``p<Id>``   null             ``p<Id>``        any other: 3, 4, 5 tag wikis,
                                                          6, 7 moderator nominations, ...
    ======  ==========  ===============  ===============  ==============================

    ``actor`` the ``OwnerUserId``, null where the owner's account was deleted (the row then
    has only ``OwnerDisplayName``; it is kept, as importers never filter). ``target`` null:
    an answer is toward the question's author, whom the store fills in from ``parent_id``.
    ``subtype`` ``PostTypeId=N``; ``text`` the ``Title`` and ``Body`` (HTML, as in the
    dump) on a line each. Other post types are content on their own thread: they are
    nobody's reply.

    A post with ``ViewCount`` > 0 also gives one ``view`` event, ``view:<Id>``: actor null,
    ``parent_id`` the post, ``thread_id`` its thread, ``quantity`` the ``ViewCount``,
    ``subtype`` ``ViewCount``, ``ts`` the post's ``CreationDate``. The dump holds only the
    running total at the dump's date, so all views are dated when the post was created.

``Comments.xml`` -> ``reply``, ``event_id`` ``comment:<Id>``
    ``actor`` the ``UserId`` (null where only ``UserDisplayName`` is left), ``content_id``
    ``c<Id>``, ``parent_id`` ``p<PostId>``, ``thread_id`` and ``target`` null (the store
    takes the post's thread and author), ``subtype`` ``comment``, ``text`` the ``Text``.

``Votes.xml`` -> one event per vote, ``event_id`` ``vote:<Id>``
    ========  ==================================================================
    kind      VoteTypeId
    ========  ==================================================================
    accept    1 accepted
    like      2 up
    dislike   3 down
    bookmark  5 favourite
    bounty    8 bounty start, 9 bounty close
    moderate  4 offensive, 10 deletion, 11 undeletion, 12 spam, 15 moderator review,
              16 approve edit, and any other type
    ========  ==================================================================

    ``actor`` the ``UserId`` where the row has one (in public dumps only favourites and
    bounty starts do), else null: anonymous reception for the post's author. An ``accept``
    with a null actor is filled by the store with the question's author, the asker.
    ``parent_id`` ``p<PostId>`` (for an accept, the answer), ``target`` and ``thread_id``
    null (the store fills them from the post), ``subtype`` ``VoteTypeId=N``, ``ts`` the
    ``CreationDate``, which dumps truncate to the day. ``BountyAmount`` is not kept.

``PostHistory.xml`` -> ``edit`` and ``moderate`` events, ``event_id`` ``history:<GUID>``
    The rows of one revision share a ``RevisionGUID`` (a title, body and tags edited at
    once are three rows) and make one event. Rows of a revision are next to each other,
    except rarely when two revisions were saved in the same instant (one such pair in the
    June 2020 beer dump), so rows are gathered by GUID within a window of the last
    1,024 rows; a revision spread wider than that would give two events with one id.

    - A revision of only types 1, 2, 3 (initial title, body, tags) is the post itself,
      already in the log from ``Posts.xml``: no event.
    - Any of types 4-9 (edit title, body, tags; rollbacks) -> ``edit``. An edit of one's
      own post is kept: measures decide what counts as help.
    - Anything else (10 closed, 11 reopened, 12 deleted, 14 locked, 16 community wiki,
      24 suggested edit applied, 25 tweeted, 33 notice added, 50 bumped, ...) ->
      ``moderate``.

    ``actor`` the first ``UserId`` among the revision's rows (a suggested edit's type-24
    row has none; its edit rows carry the proposer), null if none has one; ``parent_id``
    ``p<PostId>`` of the revision's first row; ``target`` and ``thread_id`` null (the
    store: the post's author and thread); ``subtype`` ``PostHistoryTypeId=`` and the
    revision's types in increasing order, e.g. ``PostHistoryTypeId=4,5,24``; ``ts`` the
    ``CreationDate``; ``text`` null, as a revision's text is mostly the author's words,
    not the editor's.

``PostLinks.xml``, ``Tags.xml``, ``Badges.xml``
    Not interactions between people: not read.

Every event is ``public`` with ``quantity`` 1 (views excepted). All dates in dumps are UTC
without an offset. Item ids (``p<Id>``, ``c<Id>``) and event ids are unique within the
platform, so importing a dump twice adds nothing; import each site under its own
``--platform`` so that two sites' ids never meet.

Only ``Posts.xml`` is required: other tables missing from the folder are skipped. Votes and
history rows may point to posts deleted before the dump (more than a thousand votes in the
beer dump do); they are kept, with the target the store cannot fill left null.

Dumps are written one ``<row .../>`` a line. A file laid out so is read a block of lines at
a time by :mod:`narrowcast.importers._rowxml`, which splits every line at its quotes in
Arrow's compute kernels and checks each piece against the XML grammar; the rows of Users,
Posts, Comments and Votes are then built a column at a time (PostHistory's revisions are
gathered row by row from its columns), and a block with a row that
cannot become an event (a missing or malformed field) goes row by row through the same
checks as below, so that its error or its skipping is the same. Anything not laid out so
(a file, or from some line on) is read by expat directly (the parser under
:mod:`xml.etree.ElementTree`), fed block by block: each ``<row>`` is turned into a row as
it is met and nothing of the document is kept, and the parser knows the line of every row
for error messages. Both ways give the same rows, and a malformed file the same error.
Rows are handed out in batches of at most ``batch_rows`` rows or 8 MiB of input,
whichever comes first.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import IO, Any, ClassVar
from xml.parsers import expat

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from narrowcast.errors import InputError, ParameterError
from narrowcast.importers import _rowxml
from narrowcast.importers._common import (
    check_files,
    open_binary,
    read_errors,
    total_size,
)
from narrowcast.model import EVENTS, PEOPLE, Chunk, Parsed
from narrowcast.model.batches import ahead

__all__ = ["read_stackexchange"]

#: Blocks read and split ahead of the one becoming rows.
_AHEAD = 1
#: The attributes each table's rows are made of (None: all of them).
_READ: dict[str, frozenset[str] | None] = {
    "users": None,
    "posts": frozenset(
        {
            "Id",
            "PostTypeId",
            "ParentId",
            "CreationDate",
            "OwnerUserId",
            "ViewCount",
            "Title",
            "Body",
        }
    ),
    "comments": frozenset(("Id", "PostId", "CreationDate", "UserId", "Text")),
    "votes": frozenset(("Id", "PostId", "VoteTypeId", "CreationDate", "UserId")),
    "posthistory": frozenset(
        ("PostId", "PostHistoryTypeId", "CreationDate", "RevisionGUID", "UserId")
    ),
}
#: The tables read, in order, with the root element each file must have.
_TABLES: tuple[tuple[str, str], ...] = (
    ("Users.xml", "users"),
    ("Posts.xml", "posts"),
    ("Comments.xml", "comments"),
    ("Votes.xml", "votes"),
    ("PostHistory.xml", "posthistory"),
)

_EXPECTED = "Stack Exchange dump XML: one <row .../> per record"
_FOLDER = "Posts.xml with Comments.xml, Users.xml, Votes.xml, PostHistory.xml beside it"
_TS_EXAMPLE = "2013-01-13T08:15:00.000"

_VOTE_KINDS = {
    "1": "accept",
    "2": "like",
    "3": "dislike",
    "5": "bookmark",
    "8": "bounty",
    "9": "bounty",
}
_INITIAL_TYPES = frozenset({1, 2, 3})
_EDIT_TYPES = frozenset(range(4, 10))
#: How many rows back PostHistory rows of one revision are gathered (see the module notes).
_REVISION_WINDOW = 1024
#: Users.xml fields kept in ``attributes`` as integers; the rest stay text.
_USER_COUNTS = ("Reputation", "Views", "UpVotes", "DownVotes", "AccountId")
_NOT_UTF8 = {
    expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN],
    expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR],
}
#: What JSON escapes in a text (of what an XML value can hold), the backslash first.
_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
#: An integer as ``_is_int`` accepts it.
_INTEGER = r"^-?[0-9]+$"
#: How dumps write times; values written otherwise go the row by row way (fromisoformat).
_DUMP_TS = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?$"
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_fromisoformat = datetime.fromisoformat
_json = json.JSONEncoder(ensure_ascii=False).encode


class _BadRow(ValueError):
    """A row that cannot become an event; the message says which attribute and why."""


def read_stackexchange(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    batch_rows: int = 65_536,
    block_bytes: int = 8 << 20,
) -> Parsed:
    """Read a Stack Exchange site dump folder.

    Parameters
    ----------
    paths
        One dump folder (holding ``Posts.xml`` and, where present, ``Comments.xml``,
        ``Users.xml``, ``Votes.xml``, ``PostHistory.xml``), or its ``Posts.xml``.
    platform
        Community name for the rows, their person ids and item ids (default
        ``stackexchange``). Give each site its own.
    skip_bad_rows
        Skip and count rows with a missing or malformed field instead of stopping at the
        first. Malformed XML stays fatal: a parser cannot find the next row after it.
    batch_rows
        Most rows per record batch handed to the store.
    block_bytes
        How many bytes are read from a file at a time.

    Returns
    -------
    Parsed
        ``people`` rows from ``Users.xml``, then ``events`` rows from the other tables, as
        listed in the module's documentation.

    Raises
    ------
    InputError
        The folder holds no ``Posts.xml``; a file is empty, not UTF-8 or not well-formed
        XML; a row lacks a field or has one that is not an integer or a timestamp (unless
        ``skip_bad_rows``). The message names the file, the line and what was expected.

    Examples
    --------
    A question viewed 30 times and its answer:

    >>> import tempfile
    >>> posts = (
    ...     '<posts><row Id="1" PostTypeId="1" CreationDate="2014-01-21T20:26:05.383"'
    ...     ' OwnerUserId="7" Title="Citra?" Body="Why?" ViewCount="30" />'
    ...     '<row Id="2" PostTypeId="2" ParentId="1" CreationDate="2014-01-21T21:00:00.000"'
    ...     ' OwnerUserId="8" Body="Hops." /></posts>'
    ... )
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = Path(folder, "Posts.xml").write_text(posts)
    ...     chunks = list(read_stackexchange([folder]))
    >>> events = chunks[0].batch.select(["event_id", "actor", "kind", "parent_id", "quantity"])
    >>> for row in events.to_pylist():
    ...     print(*row.values())
    post:1 stackexchange:7 post None 1
    view:1 None view p1 30
    post:2 stackexchange:8 reply p1 1
    """
    platform = platform or "stackexchange"
    if isinstance(paths, (str, PathLike)) or len(paths) != 1:
        raise ParameterError.expected(
            "paths", "read_stackexchange", "a list of one Stack Exchange dump folder", paths
        )
    folder = Path(paths[0])
    if folder.is_file() and folder.name == "Posts.xml":
        folder = folder.parent
    if not folder.exists():
        raise InputError(
            folder, f"no such folder; expected a Stack Exchange dump folder: {_FOLDER}"
        )
    if not folder.is_dir():
        raise InputError(
            folder, f"is not a folder; expected a Stack Exchange dump folder: {_FOLDER}"
        )
    if not (folder / "Posts.xml").is_file():
        raise InputError(
            folder, f"is not a Stack Exchange dump folder: no Posts.xml (expected {_FOLDER})"
        )
    present = [(folder / name, root) for name, root in _TABLES if (folder / name).is_file()]
    files = check_files([path for path, _ in present], _EXPECTED)
    parsed = Parsed(
        format="stackexchange",
        platform=platform,
        paths=files,
        chunks=(),
        options={},
        total_bytes=total_size(files),
    )
    parsed.chunks = _chunks(parsed, present, skip_bad_rows, batch_rows, block_bytes)
    return parsed


def _chunks(
    parsed: Parsed,
    files: list[tuple[Path, str]],
    skip_bad_rows: bool,
    batch_rows: int,
    block_bytes: int,
) -> Iterator[Chunk]:
    done = 0
    for path, root in files:
        table = _Table(path, root, parsed, skip_bad_rows, batch_rows)
        with open_binary(path) as inp:
            for batch in table.parse(inp.stream, block_bytes):
                yield Chunk(table.buffer.table, batch, path, done + inp.bytes_read)
        done += path.stat().st_size


class _Table:
    """Parse one table's file, handing each ``<row>`` to its table's row handler.

    :meth:`parse` reads blocks of whole lines in the dump's layout (see the module notes),
    from the first line not so laid out on with expat. Expat calls the handler for every
    element. The first must be the table's root; the rest go straight to the row handler,
    which raises :class:`_BadRow` on a row it cannot read: fatal (expat stops and the parser
    still knows the row's line), or under ``skip_bad_rows`` caught and counted by a wrapper.
    """

    def __init__(
        self,
        path: Path,
        root: str,
        parsed: Parsed,
        skip_bad_rows: bool,
        batch_rows: int,
    ) -> None:
        self.path = path
        self.root = root
        self.parsed = parsed
        self.buffer = _Buffer(
            "people" if root == "users" else "events", parsed.platform, batch_rows
        )
        handlers = _Rows(parsed.platform, self.buffer.rows.append)
        self.finish: Callable[[], None] = handlers.finish
        self.row: Callable[[str, dict[str, str]], None] = getattr(handlers, root)
        #: Builds a clean block's rows a column at a time; None where they go row by row.
        self.columns: Callable[[_rowxml.Rows], _Columns | None] | None = getattr(
            handlers, root + "_columns", None
        )
        if skip_bad_rows:
            row = self.row

            def skipping(name: str, attrs: dict[str, str]) -> None:
                try:
                    row(name, attrs)
                except _BadRow:
                    parsed.bad_rows += 1

            self.row = skipping
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._root
        # A dump has no DTD; refusing entity declarations keeps an entity-expansion bomb out.
        self.parser.EntityDeclHandler = self._entity
        #: Lines of the file before the first one given to expat (when it takes over).
        self.lines_before = 0
        #: Bytes given to expat before the file's own (the root's start tag, when it takes
        #: over after the lines read in blocks).
        self.prefix = 0

    def parse(self, stream: IO[bytes], block_bytes: int) -> Iterator[pa.RecordBatch]:
        line = [0]
        with read_errors(self.path, _EXPECTED, line):
            data = b""
            final = False
            while not final and data.count(b"\n") < 2 and len(data) < 4096:
                more = stream.read(block_bytes)
                final = not more
                data += more
            found = _rowxml.head_end(data, self.root)
            if found is None:
                yield from self._expat(data, final, stream, block_bytes)
                return
            start, line[0] = found
            # A thread reads and splits the next blocks while this one becomes rows.
            blocks = self._blocks(stream, data[start:], final, block_bytes, line[0])
            for rows, data, final, first in ahead(blocks, depth=_AHEAD):
                if rows is None:
                    # Not in the dump's layout from here: expat reads the rest.
                    self.lines_before = line[0] = first - 1
                    yield from self._expat(data, final, stream, block_bytes, resume=True)
                    return
                line[0] = first
                yield from self._rows(rows, first)
                if final:
                    self.finish()
                    if self.buffer.rows:
                        yield from self.buffer.flush()
                    return

    def _blocks(
        self, stream: IO[bytes], data: bytes, final: bool, block_bytes: int, before: int
    ) -> Iterator[tuple[_rowxml.Rows | None, bytes, bool, int]]:
        """Blocks of whole lines from ``data`` on, split into rows, with the line each
        starts at (``before`` lines came before ``data``). The first block that is not in
        the dump's layout comes with its rows None and all the data from its start, and
        is the last: the stream is left where that data ends."""
        line = before + 1
        while True:
            while not final and (b"\n" not in data or len(data) < block_bytes):
                more = stream.read(block_bytes)
                final = not more
                data += more
            if final:
                lines, rest = _body(data, self.root), b""
            else:
                cut = data.rfind(b"\n") + 1
                lines, rest = data[:cut], data[cut:]
            rows = None if lines is None else _rowxml.block(lines, "row", _READ[self.root])
            if rows is None:
                yield None, data, final, line
                return
            yield rows, b"", final, line  # its data is needed no more
            if final:
                return
            line += rows.n
            data = rest

    def _rows(self, rows: _rowxml.Rows, first_line: int) -> list[pa.RecordBatch]:
        """The batches of a block of rows starting at line ``first_line``."""
        if not rows.n:
            return []
        built = self.columns(rows) if self.columns is not None else None
        if built is None:
            for i, attrs in enumerate(rows.records()):
                try:
                    self.row("row", attrs)
                except _BadRow as err:
                    raise InputError(self.path, str(err), line=first_line + i) from err
        batches = []
        if built is not None and built[0]:
            buffer = self.buffer
            batch = _assemble(buffer.schema, built[0], built[1], buffer.constant)
            size = buffer.batch_rows
            batches = [batch.slice(i, size) for i in range(0, batch.num_rows, size)]
        if self.buffer.rows:
            batches.extend(self.buffer.flush())
        return batches

    def _expat(
        self,
        data: bytes,
        final: bool,
        stream: IO[bytes],
        block_bytes: int,
        *,
        resume: bool = False,
    ) -> Iterator[pa.RecordBatch]:
        """Parse ``data`` and the rest of ``stream`` with expat; with ``resume``, ``data``
        starts at line ``lines_before + 1``, inside the root element."""
        line = [0]
        previous = b""
        fed = 0  # bytes given to the parser so far
        if resume:
            opening = f"<{self.root}>".encode()
            self.prefix = len(opening)
            self.parser.Parse(opening, False)
            fed = len(opening)
        block = data
        with read_errors(self.path, _EXPECTED, line):
            while True:
                fed += len(block)
                try:
                    self.parser.Parse(block, final)
                except _BadRow as err:
                    raise InputError(
                        self.path, str(err), line=self._line(self.parser.CurrentLineNumber)
                    ) from err
                except expat.ExpatError as err:
                    if err.code in _NOT_UTF8:
                        line[0] = self._line(err.lineno)
                        self._check_utf8(previous + block, fed, final)
                    column = err.offset + 1 - (self.prefix if err.lineno == 1 else 0)
                    raise InputError(
                        self.path,
                        f"{expat.ErrorString(err.code)}; expected {_EXPECTED}",
                        line=self._line(err.lineno),
                        column=column,
                    ) from err
                if final:
                    self.finish()
                self.buffer.pending_bytes += len(block)
                if (final or self.buffer.full) and self.buffer.rows:
                    yield from self.buffer.flush()
                if final:
                    break
                previous = block
                block = stream.read(block_bytes)
                final = not block

    def _line(self, parser_line: int) -> int:
        """The file's line number of the parser's ``parser_line``."""
        return parser_line + self.lines_before

    def _check_utf8(self, data: bytes, fed: int, final: bool) -> None:
        """Expat says only "invalid token": raise UnicodeDecodeError if it is a bad byte.

        ``data`` holds the last two blocks given to the parser, which had been given
        ``fed`` bytes in all; the read_errors context turns the UnicodeDecodeError into an
        InputError naming the byte.
        """
        at = self.parser.ErrorByteIndex - (fed - len(data))
        if 0 <= at < len(data) and data[at] >= 0x80:
            codecs.utf_8_decode(data[at : at + 4], "strict", final)

    def _root(self, name: str, attrs: dict[str, str]) -> None:
        if name != self.root:
            raise InputError(
                self.path,
                f"the root element is <{name}>; expected <{self.root}> around "
                "one <row .../> per record",
                line=self._line(self.parser.CurrentLineNumber),
            )
        self.parser.StartElementHandler = self.row

    def _entity(self, name: str, *args: object) -> None:
        raise InputError(
            self.path,
            f"declares the entity {name!r}; expected {_EXPECTED} without a DTD",
            line=self._line(self.parser.CurrentLineNumber),
        )


def _body(data: bytes, root: str) -> bytes | None:
    """The lines of a file's last block before its closing ``</root>``; None unless that
    tag ends the file, on a line of its own."""
    end = data.rstrip()
    close = f"</{root}>".encode()
    if not end.endswith(close):
        return None
    body = end[: -len(close)].rstrip(b" \t")
    if body and not body.endswith(b"\n"):
        return None
    return body


class _Buffer:
    """Rows of one table as tuples, handed out as record batches of its exact schema.

    An event tuple holds the columns that vary: ``event_id, ts, actor, kind, content_id,
    parent_id, thread_id, quantity, subtype, text``; a people tuple ``id, handle,
    display_name, created_at, attributes``. The rest is the same on every row.
    """

    #: Input bytes after which rows are handed out even if fewer than ``batch_rows``, so
    #: that a batch of long posts stays small.
    max_pending_bytes = 8 << 20

    _VARYING: ClassVar[dict[str, tuple[str, ...]]] = {
        "events": (
            "event_id", "ts", "actor", "kind", "content_id", "parent_id", "thread_id",
            "quantity", "subtype", "text",
        ),
        "people": ("id", "handle", "display_name", "created_at", "attributes"),
    }  # fmt: skip

    def __init__(self, table: str, platform: str, batch_rows: int) -> None:
        self.table = table
        self.schema = EVENTS if table == "events" else PEOPLE
        self.constant = {"platform": platform, "visibility": "public"}
        self.varying = self._VARYING[table]
        self.batch_rows = batch_rows
        self.rows: list[tuple[Any, ...]] = []
        self.pending_bytes = 0

    @property
    def full(self) -> bool:
        return len(self.rows) >= self.batch_rows or self.pending_bytes >= self.max_pending_bytes

    def flush(self) -> Iterator[pa.RecordBatch]:
        """The rows so far, in batches of at most ``batch_rows``; the buffer starts empty."""
        n = len(self.rows)
        columns = dict(zip(self.varying, zip(*self.rows, strict=True), strict=True))
        self.rows.clear()
        self.pending_bytes = 0
        batch = _assemble(self.schema, n, columns, self.constant)
        for start in range(0, n, self.batch_rows):
            yield batch.slice(start, self.batch_rows)


def _assemble(
    schema: pa.Schema, n: int, columns: dict[str, Any], constant: dict[str, str]
) -> pa.RecordBatch:
    """A batch of ``schema`` from ``columns`` (arrays, or sequences of Python values;
    timestamps as microseconds), ``constant`` values, and nulls for the rest."""
    arrays = []
    for f in schema:
        if f.name in columns:
            values = columns[f.name]
            if isinstance(values, pa.Array):
                arrays.append(values.cast(f.type))
            elif pa.types.is_timestamp(f.type):
                arrays.append(pa.array(values, pa.int64()).cast(f.type))
            else:
                arrays.append(pa.array(values, f.type))
        elif f.name in constant:
            arrays.append(_repeat(constant[f.name], n).cast(f.type))
        else:
            arrays.append(pa.nulls(n, f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


#: A block's rows built a column at a time: how many, and the columns that vary.
_Columns = tuple[int, dict[str, Any]]


class _Rows:
    """Row handlers, one per table: an element's name and attributes in, a row tuple out.

    Each checks and converts every field before handing its row to ``add``, so a bad
    row leaves nothing behind. The ``*_columns`` builders make the same rows from a block
    of records a column at a time (:class:`_rowxml.Rows`), and give None where a record
    is not clean, for the block to go row by row.
    """

    def __init__(self, platform: str, add: Callable[[tuple[Any, ...]], None]):
        self.prefix = platform + ":"
        self.ts = _micros
        self.add = add
        self.revisions = _Revisions(self.prefix, add)
        self.finish = self.revisions.finish
        self.posthistory = self.revisions.row
        self.vote_ts: dict[str, int] = {}  # votes carry days only: few distinct strings

    def users(self, name: str, a: dict[str, str]) -> None:
        if name != "row":
            raise _not_row(name)
        uid = _id(a, "Id")
        created = self.ts(a.get("CreationDate"), "CreationDate")
        extra: dict[str, Any] = dict(a)
        del extra["Id"]
        display = extra.pop("DisplayName", None)
        extra.pop("CreationDate", None)
        for key in _USER_COUNTS:
            value = extra.get(key)
            if value is not None and (value.isdigit() or _is_int(value)) and value.isascii():
                extra[key] = int(value)
        self.add((self.prefix + uid, display, display, created, _json(extra)))

    def posts(self, name: str, a: dict[str, str]) -> None:
        if name != "row":
            raise _not_row(name)
        try:
            pid, ptype = a["Id"], a["PostTypeId"]
        except KeyError as err:
            raise _missing(err) from None
        _integers(a, pid + ptype, ("Id", "PostTypeId"))
        when = self.ts(a.get("CreationDate"), "CreationDate")
        owner = a.get("OwnerUserId")
        actor = None if owner is None else self.prefix + _integer(owner, "OwnerUserId")
        views = a.get("ViewCount")
        quantity = 0 if views is None else int(_integer(views, "ViewCount"))
        item = "p" + pid
        title, body = a.get("Title"), a.get("Body")
        text = body if title is None else title if body is None else f"{title}\n{body}"
        if ptype == "2":
            if "ParentId" not in a:
                raise _BadRow(
                    "answer (PostTypeId 2) has no ParentId; expected the Id of its question"
                )
            kind, parent = "reply", "p" + _id(a, "ParentId")
            thread = parent
        else:
            kind, parent, thread = "post", None, item
        subtype = "PostTypeId=" + ptype
        self.add(("post:" + pid, when, actor, kind, item, parent, thread, 1, subtype, text))
        if quantity > 0:
            view = "view:" + pid
            self.add((view, when, None, "view", None, item, thread, quantity, "ViewCount", None))

    def comments(self, name: str, a: dict[str, str]) -> None:
        if name != "row":
            raise _not_row(name)
        try:
            cid, post = a["Id"], a["PostId"]
        except KeyError as err:
            raise _missing(err) from None
        _integers(a, cid + post, ("Id", "PostId"))
        when = self.ts(a.get("CreationDate"), "CreationDate")
        user = a.get("UserId")
        actor = None if user is None else self.prefix + _integer(user, "UserId")
        item, parent, text = "c" + cid, "p" + post, a.get("Text")
        self.add(("comment:" + cid, when, actor, "reply", item, parent, None, 1, "comment", text))

    def votes(self, name: str, a: dict[str, str]) -> None:
        if name != "row":
            raise _not_row(name)
        try:
            vid, post, vtype = a["Id"], a["PostId"], a["VoteTypeId"]
        except KeyError as err:
            raise _missing(err) from None
        _integers(a, vid + post + vtype, ("Id", "PostId", "VoteTypeId"))
        text = a.get("CreationDate")
        when = self.vote_ts.get(text)  # type: ignore[arg-type]
        if when is None:
            when = self.ts(text, "CreationDate")
            if len(self.vote_ts) < 100_000:
                self.vote_ts[text] = when  # type: ignore[index]
        user = a.get("UserId")
        actor = None if user is None else self.prefix + _integer(user, "UserId")
        kind = _VOTE_KINDS.get(vtype, "moderate")
        subtype = "VoteTypeId=" + vtype
        self.add(("vote:" + vid, when, actor, kind, None, "p" + post, None, 1, subtype, None))

    def users_columns(self, rows: _rowxml.Rows) -> _Columns | None:
        (uid,) = _ids(rows, "Id")
        when = _timestamps(rows.column("CreationDate"))
        if uid is None or when is None:
            return None
        display = rows.column("DisplayName")
        attributes = _json_objects(rows, ("Id", "DisplayName", "CreationDate"), _USER_COUNTS)
        if attributes is None:
            return None
        return rows.n, {
            "id": _joined(self.prefix, uid),
            "handle": display,
            "display_name": display,
            "created_at": when,
            "attributes": attributes,
        }

    def votes_columns(self, rows: _rowxml.Rows) -> _Columns | None:
        vid, post, vtype = _ids(rows, "Id", "PostId", "VoteTypeId")
        user = rows.column("UserId")
        when = _timestamps(rows.column("CreationDate"))
        if vid is None or when is None or not _optional_ints(user):
            return None
        kinds = pc.index_in(vtype, pa.array(list(_VOTE_KINDS)))
        kind = pc.coalesce(pa.array(list(_VOTE_KINDS.values())).take(kinds), "moderate")
        return rows.n, {
            "event_id": _joined("vote:", vid),
            "ts": when,
            "actor": _joined(self.prefix, user),
            "kind": kind,
            "parent_id": _joined("p", post),
            "quantity": _repeat(1, rows.n),
            "subtype": _joined("VoteTypeId=", vtype),
        }

    def comments_columns(self, rows: _rowxml.Rows) -> _Columns | None:
        cid, post = _ids(rows, "Id", "PostId")
        user = rows.column("UserId")
        when = _timestamps(rows.column("CreationDate"))
        if cid is None or when is None or not _optional_ints(user):
            return None
        return rows.n, {
            "event_id": _joined("comment:", cid),
            "ts": when,
            "actor": _joined(self.prefix, user),
            "kind": _repeat("reply", rows.n),
            "content_id": _joined("c", cid),
            "parent_id": _joined("p", post),
            "quantity": _repeat(1, rows.n),
            "subtype": _repeat("comment", rows.n),
            "text": rows.column("Text"),
        }

    def posts_columns(self, rows: _rowxml.Rows) -> _Columns | None:
        pid, ptype = _ids(rows, "Id", "PostTypeId")
        owner, views = rows.column("OwnerUserId"), rows.column("ViewCount")
        when = _timestamps(rows.column("CreationDate"))
        if pid is None or when is None or not (_optional_ints(owner) and _optional_ints(views)):
            return None
        answer = pc.equal(ptype, "2")
        parent_id = pc.if_else(answer, rows.column("ParentId"), None)
        # An answer names its question: every answer has a ParentId, an integer.
        if pc.any(pc.and_(answer, pc.is_null(parent_id))).as_py() or not _optional_ints(parent_id):
            return None
        try:
            count = pc.cast(views, pa.int64())
        except pa.ArrowInvalid:  # beyond 64 bits: the row by row way says so
            return None
        item = _joined("p", pid)
        parent = _joined("p", parent_id)
        thread = pc.coalesce(parent, item)
        title, body = rows.column("Title"), rows.column("Body")
        text = pc.coalesce(pc.binary_join_element_wise(title, body, "\n"), body, title)
        posts = {
            "event_id": _joined("post:", pid),
            "ts": when,
            "actor": _joined(self.prefix, owner),
            "kind": pc.if_else(answer, "reply", "post"),
            "content_id": item,
            "parent_id": parent,
            "thread_id": thread,
            "quantity": _repeat(1, rows.n),
            "subtype": _joined("PostTypeId=", ptype),
            "text": text,
        }
        # A post seen gives its view event right after it.
        seen = pc.fill_null(pc.greater(count, 0), False)
        m = pc.sum(seen).as_py() or 0
        if not m:
            return rows.n, posts
        viewed = pa.array(np.flatnonzero(seen.to_numpy(zero_copy_only=False)))
        views_of = {
            "event_id": _joined("view:", pid.take(viewed)),
            "ts": when.take(viewed),
            "kind": _repeat("view", m),
            "parent_id": item.take(viewed),
            "thread_id": thread.take(viewed),
            "quantity": count.take(viewed),
            "subtype": _repeat("ViewCount", m),
        }
        order = np.argsort(
            np.concatenate([np.arange(rows.n) * 2, viewed.to_numpy() * 2 + 1]), kind="stable"
        )
        order = pa.array(order)
        both = {}
        for name, column in posts.items():
            other = views_of.get(name, pa.nulls(m, column.type))
            both[name] = pa.concat_arrays([column, other.cast(column.type)]).take(order)
        return rows.n + m, both

    def posthistory_columns(self, rows: _rowxml.Rows) -> _Columns | None:
        post, htype = _ids(rows, "PostId", "PostHistoryTypeId")
        user = rows.column("UserId")
        when = _timestamps(rows.column("CreationDate"))
        guid = rows.column("RevisionGUID")
        if post is None or when is None or not _optional_ints(user):
            return None
        if pc.any(pc.or_(pc.is_null(guid), pc.equal(guid, ""))).as_py():
            return None
        actor = _joined(self.prefix, user)
        record = self.revisions.record
        for values in zip(
            post.to_pylist(),
            htype.to_pylist(),
            when.to_pylist(),
            guid.to_pylist(),
            actor.to_pylist(),
            strict=True,
        ):
            record(*values)
        return 0, {}


def _ids(rows: _rowxml.Rows, *names: str) -> list[pa.StringArray | None]:
    """Required integer attributes; all None if a record lacks one or it is no integer."""
    columns = [rows.column(name) for name in names]
    for c in columns:
        if c.null_count or not _optional_ints(c):
            return [None] * len(names)
    return columns


def _json_objects(
    rows: _rowxml.Rows, leave_out: tuple[str, ...], counts: tuple[str, ...]
) -> pa.StringArray | None:
    """Each record's other attributes as a JSON object, in their order, ``counts`` as
    numbers where they are integers: the text ``_json`` gives for ``users``' dict; None
    where a count does not fit 64 bits."""
    codes = {name: i for i, name in enumerate(rows.names)}
    kept = ~np.isin(rows.code, [codes[n] for n in leave_out if n in codes])
    code, row = rows.code[kept], rows.row[kept]
    values = rows.values.filter(pa.array(kept))
    quoted = values
    special = _rowxml.holding(values, "".join(c for c, _ in _JSON_ESCAPES).encode())
    if special.any():
        some = values.filter(pa.array(special))
        for char, escaped in _JSON_ESCAPES:
            some = pc.replace_substring(some, char, escaped)
        quoted = pc.replace_with_mask(values, pa.array(special), some)
    quoted = pc.binary_join_element_wise('"', quoted, '"', "")
    numeric = np.isin(code, [codes[n] for n in counts if n in codes])
    if numeric.any():
        numeric &= pc.fill_null(pc.match_substring_regex(values, _INTEGER), False).to_numpy(
            zero_copy_only=False
        )
    if numeric.any():
        try:
            numbers = pc.cast(pc.cast(values.filter(pa.array(numeric)), pa.int64()), pa.string())
        except pa.ArrowInvalid:
            return None
        quoted = pc.replace_with_mask(quoted, pa.array(numeric), numbers)
    keys = pa.array([f'"{name}": ' for name in rows.names]).take(pa.array(code))
    members = pc.binary_join_element_wise(keys, quoted, "")
    offsets = np.zeros(rows.n + 1, np.int32)
    np.cumsum(np.bincount(row, minlength=rows.n), out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), members)
    return pc.binary_join_element_wise("{", pc.binary_join(lists, ", "), "}", "")


def _optional_ints(column: pa.StringArray) -> bool:
    """Whether every value present is an integer, written as ``_is_int`` accepts."""
    # None where every value is null: none present, none wrong.
    return pc.all(pc.match_substring_regex(column, _INTEGER)).as_py() is not False


def _timestamps(column: pa.StringArray) -> pa.Array | None:
    """Dump timestamps (``2014-01-21T20:26:05.383``) as microseconds since the epoch;
    None if one is missing or written otherwise."""
    if column.null_count:
        return None
    if not pc.all(pc.match_substring_regex(column, _DUMP_TS)).as_py():
        return None
    try:
        return pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64())
    except pa.ArrowInvalid:  # a day or hour out of range: the row by row way says which
        return None


def _joined(prefix: str, column: pa.StringArray) -> pa.StringArray:
    """``prefix`` before every value; null stays null."""
    return pc.binary_join_element_wise(prefix, column, "")


def _repeat(value: Any, n: int) -> pa.Array:
    """``value`` ``n`` times."""
    return pa.array([value]).take(pa.array(np.zeros(n, np.int64)))


class _Revisions:
    """Gathers PostHistory rows into revisions by RevisionGUID, then adds their events.

    Revisions are held in order of their last row. Every 256 rows, those whose last row is
    :data:`_REVISION_WINDOW` rows back or more are emitted; the rest at the end of the file.
    """

    def __init__(self, prefix: str, add: Callable[[tuple[Any, ...]], None]):
        self.prefix = prefix
        self.add = add
        self.ts = _micros
        self.open: dict[str, list[Any]] = {}
        self.last_guid: str | None = None
        self.last: list[Any] = []
        self.n = 0

    def row(self, name: str, a: dict[str, str]) -> None:
        if name != "row":
            raise _not_row(name)
        try:
            post, htype = a["PostId"], a["PostHistoryTypeId"]
        except KeyError as err:
            raise _missing(err) from None
        _integers(a, post + htype, ("PostId", "PostHistoryTypeId"))
        when = self.ts(a.get("CreationDate"), "CreationDate")
        guid = a.get("RevisionGUID")
        if not guid:
            raise _BadRow("row has no RevisionGUID; expected the id of the revision it is part of")
        user = a.get("UserId")
        actor = None if user is None else self.prefix + _integer(user, "UserId")
        self.record(post, htype, when, guid, actor)

    def record(self, post: str, htype: str, when: int, guid: str, actor: str | None) -> None:
        """Take one row of a revision, its fields checked."""
        self.n += 1
        if guid == self.last_guid:
            revision = self.last
        else:
            held = self.open.pop(guid, None)
            # [number of its last row, ts, actor, post, types]
            revision = [self.n, when, actor, post, set()] if held is None else held
            self.open[guid] = revision
            self.last_guid, self.last = guid, revision
        revision[0] = self.n
        revision[4].add(int(htype))
        if revision[2] is None:
            revision[2] = actor
        if not self.n & 255:
            self._emit_before(self.n - _REVISION_WINDOW)

    def finish(self) -> None:
        self._emit_before(self.n + 1)
        self.last_guid, self.last = None, []

    def _emit_before(self, n: int) -> None:
        done = []
        for guid, revision in self.open.items():
            if revision[0] > n:
                break
            done.append(guid)
            _, when, actor, post, types = revision
            if types <= _INITIAL_TYPES:
                continue
            kind = "edit" if types & _EDIT_TYPES else "moderate"
            subtype = "PostHistoryTypeId=" + ",".join(str(t) for t in sorted(types))
            self.add(
                ("history:" + guid, when, actor, kind, None, "p" + post, None, 1, subtype, None)
            )
        for guid in done:
            del self.open[guid]
        if self.last_guid in done:
            self.last_guid, self.last = None, []


def _is_int(value: str) -> bool:
    digits = value[1:] if value[:1] == "-" else value
    return digits.isdigit() and digits.isascii()


def _integer(value: str, name: str) -> str:
    """An attribute's text, checked to be an integer (ids stay text: ``p`` + Id)."""
    if not _is_int(value):
        raise _BadRow(f'{name} {value!r} is not an integer; expected e.g. {name}="42"')
    return value


def _id(a: dict[str, str], name: str) -> str:
    """A required integer attribute's text."""
    value = a.get(name)
    if value is None:
        raise _missing(KeyError(name))
    return _integer(value, name)


def _integers(a: dict[str, str], joined: str, names: tuple[str, ...]) -> None:
    """Check required attributes, given their texts joined, to be integers: fast when so."""
    if not (joined.isdigit() and joined.isascii()):
        for name in names:
            _integer(a[name], name)


def _missing(err: KeyError) -> _BadRow:
    return _BadRow(f"row has no {err.args[0]}; expected an integer {err.args[0]}")


def _not_row(name: str) -> _BadRow:
    return _BadRow(f"element <{name}>; expected {_EXPECTED}")


def _micros(text: str | None, name: str) -> int:
    """A dump timestamp (UTC, no offset: ``2014-01-21T20:26:05.383``) in microseconds."""
    try:
        when = _fromisoformat(text)  # type: ignore[arg-type]
        return (when - (_EPOCH if when.tzinfo is None else _EPOCH_UTC)) // _MICROSECOND
    except TypeError:
        if text is None:
            raise _BadRow(
                f"row has no {name}; expected a timestamp such as {_TS_EXAMPLE}"
            ) from None
        raise
    except ValueError as err:
        raise _BadRow(f"{name} {text!r} is not a timestamp; expected e.g. {_TS_EXAMPLE}") from err
