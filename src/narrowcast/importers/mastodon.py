"""Mastodon account exports: the owner's posts, replies, boosts, mentions, likes and follows.

Where to get it: on the account's server, *Preferences > Import and export > Data export*:
"Request your archive" gives, a while later, a ``.zip`` (older servers: ``.tar.gz``) holding
``outbox.json``, ``actor.json``, ``likes.json`` and ``bookmarks.json``; the CSV links of the
same page give ``following_accounts.csv``. Import the archive or the folder it unpacks to,
with the CSV beside it or given after it (``narrowcast import mastodon archive.zip
following_accounts.csv``); a file given separately replaces the archive's of that name.

Person ids are account addresses, ``platform:user@host`` lowercased
(``mastodon:bob@social.example``): the handle a user types, the same from every server and
every export. Items are the statuses' ActivityPub ids (their URLs), global too, so exports of
several people imported under one platform meet on the same statuses. An actor URL gives an
address by its path, ``https://host/users/NAME`` or ``https://host/@NAME`` -> ``NAME@host``;
a status URL ``https://host/users/NAME/statuses/ID`` (or ``https://host/@NAME/ID``) gives
its author the same way. Other forms (Misskey's ``/notes/ID``, Pleroma's ``/objects/UUID``)
give no author: the target is left null, for the store to fill from the parent when that
status is in the log.

``actor.json`` (optional) -> the owner's ``people`` row
    ``preferredUsername`` and the host of ``id`` give the owner's address (the handle),
    ``name`` the display name, ``published`` the ``created_at``.

``outbox.json`` (required) -> one row per activity, ``event_id`` the activity's ``id``
    An ActivityPub ``OrderedCollection`` whose ``orderedItems`` are read one by one (the
    file may be large). The owner is ``actor.json``'s, else the ``actor`` of the first
    activity; each row's actor is its activity's ``actor``. ``ts`` is the object's
    ``published`` (else the activity's), in UTC.

    ``Create`` of a ``Note`` (or a ``Question``, ``Article``, ...; the object is embedded):
    ``content_id`` the object's ``id``; ``text`` its ``content`` (HTML, as exported, after
    the ``summary`` (content warning) and a newline when there is one). The kind is:

    =====  ==================================================================================
    reply  ``inReplyTo`` is set: ``parent_id`` that status, ``target`` its author from the
           URL, ``thread_id`` null (the store takes the parent's thread).
    quote  a quote field is set (``quote``, ``quoteUri``, ``quoteUrl``,
           ``_misskey_quote``): ``parent_id`` the quoted status, ``target`` its author.
    post   anything else: ``thread_id`` its own ``id``.
    =====  ==================================================================================

    Visibility comes from the object's ``to`` and ``cc`` (else the activity's); ``subtype``
    is ``<type>:<Mastodon visibility>``, e.g. ``Note:unlisted``:

    ==============  ==========  =====================================================
    Mastodon        visibility  addressed to
    ==============  ==========  =====================================================
    public          public      ``as:Public`` in ``to``
    unlisted        public      ``as:Public`` in ``cc``
    followers-only  public      a ``.../followers`` collection, not ``as:Public``: seen
                                by an audience, not a conversation between two people
    direct          private     only actors
    ==============  ==========  =====================================================

    Each ``Mention`` tag gives one more row, ``event_id`` ``<activity id>#mention:<address>``,
    same ``ts``, ``target`` that address (the tag's ``name`` ``@user@host``; a local
    ``@user`` takes the host of its ``href``; else the ``href``'s path), ``thread_id`` the
    note's, no ``content_id``, ``subtype`` ``Mention``: a ``mention``, except of the owner
    and of the reply's or quote's target. In a direct note the tags are its recipients: each
    mentioned account but the owner gets a private ``message`` instead
    (``#message:<address>``, ``subtype`` ``direct``), the reply's target included.

    ``Announce`` (a boost) -> ``share``: ``parent_id`` the ``object`` (a status URL),
    ``target`` its author, no ``content_id``, ``ts`` the activity's ``published``,
    ``subtype`` ``Announce``. Other activity types are not read.

``likes.json``, ``bookmarks.json`` -> ``like``, ``bookmark`` rows
    Collections of status URLs the owner favourited or bookmarked: ``event_id``
    ``like:<owner>:<url>`` (``bookmark:...``), ``parent_id`` the URL, ``target`` its author,
    ``subtype`` ``Like`` (``Bookmark``). A bookmark is seen by no one but, carrying no
    words, is no private channel either: ``public`` like every row but direct notes.
    Exports do not date them. A Mastodon status id holds its creation time,
    ``ID >> 16`` ms since the epoch; a like is dated then, the earliest it can have happened
    (most come soon after the post). An id that does not read as a time from March 2016
    (Mastodon's first release) to now (an older sequential id, another server's scheme) is
    dated at the *export time*.

``following_accounts.csv`` -> ``follow`` rows
    One account address per line, after an optional ``Account address,Show boosts,...``
    header; an address without a host is on the owner's server. ``event_id``
    ``follow:<owner>:<address>``, ``subtype`` ``Follow``, ``ts`` the export time: a follow
    list is the state on the day of the export, not when each follow began.

The *export time* is the latest ``published`` of the outbox; with an empty outbox, the
account's creation (``actor.json`` ``published``). An export that needs it and has neither
is refused. ``quantity`` is 1 everywhere. Media, ``avatar``, ``header``, the other CSV
exports (blocks, mutes, lists) are not read.

A file that is not UTF-8 or not well-formed JSON, an ``outbox.json`` that is not an
``OrderedCollection``, or an activity without ``id`` or time raises an
:class:`~narrowcast.errors.InputError` naming the file, the line and the item (an item's
fault is skipped and counted under ``skip_bad_rows``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import pyarrow as pa

from narrowcast.errors import InputError
from narrowcast.importers._common import iso_to_micros
from narrowcast.importers._json import JsonStream
from narrowcast.importers.twitter import _BadRow, _Container, _event
from narrowcast.model import EVENTS, PEOPLE, Chunk, Parsed, RowBuffer

__all__ = ["parse_mastodon", "read_mastodon"]

_EXPORT = "a Mastodon account export: its .zip or .tar.gz, or the folder holding outbox.json"
_EXPECTED_OUTBOX = "an ActivityPub OrderedCollection with orderedItems"
_EXPECTED_JSON = "an ActivityPub collection of status URLs in orderedItems"
_EXPECTED_ACTOR = "an ActivityPub actor (a JSON object)"
_EXPECTED_CSV = "account addresses, one a line (user@host), after an optional header"
_ISO_EXAMPLE = "'2024-03-01T09:00:00Z'"
_PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
_QUOTE_FIELDS = ("quote", "quoteUri", "quoteUrl", "_misskey_quote")
#: The files read, in order: (name, what it must be).
_FILES: tuple[tuple[str, str], ...] = (
    ("actor.json", _EXPECTED_ACTOR),
    ("outbox.json", _EXPECTED_OUTBOX),
    ("likes.json", _EXPECTED_JSON),
    ("bookmarks.json", _EXPECTED_JSON),
    ("following_accounts.csv", _EXPECTED_CSV),
)
_SAVED = {"likes.json": ("like", "Like"), "bookmarks.json": ("bookmark", "Bookmark")}
_ADDRESS = re.compile(r"[^@\s/]+@[^@\s/]+")
#: Mastodon's first release, 2016-03-16, in ms: a status id reading as a time before it is
#: not a Mastodon time-based id.
_FIRST_MS = 1_458_086_400_000


def read_mastodon(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    batch_rows: int = 65_536,
    block_bytes: int = 1 << 20,
) -> Parsed:
    """Read a Mastodon account export.

    Parameters
    ----------
    paths
        The export: its ``.zip`` or ``.tar.gz``, the folder holding ``outbox.json``, or
        ``outbox.json`` itself; then, optionally, files downloaded apart
        (``following_accounts.csv``, ``likes.json``, ``bookmarks.json``, ``actor.json``),
        which replace the export's of the same name.
    platform
        Community name for the rows and their person ids (default ``mastodon``).
    skip_bad_rows
        Skip and count activities, URLs or addresses that cannot be read instead of stopping
        at the first. Malformed JSON stays fatal.
    batch_rows
        Most rows per record batch handed to the store.
    block_bytes
        How many bytes are read from a file at a time.

    Returns
    -------
    Parsed
        ``events`` rows of ``outbox.json``, ``likes.json``, ``bookmarks.json`` and
        ``following_accounts.csv``, then the owner's ``people`` row, as listed in the
        module's documentation.

    Raises
    ------
    InputError
        No ``outbox.json``; a file empty, not UTF-8, not well-formed or not of its form; an
        activity without ``id`` or time (unless ``skip_bad_rows``). The message names the
        file, the line and the item.

    Examples
    --------
    >>> import json, tempfile
    >>> me = "https://social.example/users/ann"
    >>> note = {"id": f"{me}/statuses/1", "type": "Note", "published": "2024-03-01T09:00:00Z",
    ...         "inReplyTo": "https://other.example/users/bo/statuses/9", "content": "yes",
    ...         "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    >>> outbox = {"type": "OrderedCollection", "orderedItems": [
    ...     {"id": f"{me}/statuses/1/activity", "type": "Create", "actor": me, "object": note}]}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = Path(folder, "outbox.json").write_text(json.dumps(outbox))
    ...     chunks = list(read_mastodon([folder]))
    >>> row = chunks[0].batch.to_pylist()[0]
    >>> row["actor"], row["kind"], row["target"], row["subtype"]
    ('mastodon:ann@social.example', 'reply', 'mastodon:bo@other.example', 'Note:public')
    """
    platform = platform or "mastodon"
    if isinstance(paths, (str, PathLike)) or not paths:
        raise InputError("(no files)", f"nothing to import; expected {_EXPORT}")
    first = Path(paths[0])
    sources: dict[str, tuple[Path, str]] = {}  # file name -> (container, member)
    if first.is_file() and first.name == "outbox.json":
        first = first.parent
    with _Container(first, _EXPORT) as container:
        folder = container.find("outbox.json")
        if folder is None:
            raise InputError(first, f"is not a Mastodon export: no outbox.json; expected {_EXPORT}")
        present = set(container.members(folder))
        for name, _ in _FILES:
            if folder + name in present:
                sources[name] = (first, folder + name)
        archive = container.is_archive
    known = [name for name, _ in _FILES]
    for extra in paths[1:]:
        extra = Path(extra)
        if not extra.is_file():
            raise InputError(extra, f"no such file; expected one of {', '.join(known)}")
        if extra.name not in known:
            raise InputError(
                extra, f"is not a file of a Mastodon export; expected one of {', '.join(known)}"
            )
        sources[extra.name] = (extra.parent, extra.name)
    files: list[tuple[str, Path, str]] = []
    sizes: dict[str, tuple[int, int]] = {}
    for name, expected in _FILES:
        if name not in sources:
            continue
        where, member = sources[name]
        with _Container(where, _EXPORT) as c:
            disk, length = c.size(member)
            if length == 0:
                raise InputError(c.display(member), f"is empty; expected {expected}")
        files.append((name, where, member))
        sizes[name] = (disk, length)
    shown: list[Path] = []
    for _, where, member in files:
        path = where if archive and where == first else where / member
        if path not in shown:
            shown.append(path)
    parsed = Parsed(
        format="mastodon",
        platform=platform,
        paths=shown,
        chunks=(),
        total_bytes=sum(disk for disk, _ in sizes.values()),
    )
    parsed.chunks = _chunks(parsed, files, sizes, skip_bad_rows, batch_rows, block_bytes)
    return parsed


def _chunks(
    parsed: Parsed,
    files: list[tuple[str, Path, str]],
    sizes: dict[str, tuple[int, int]],
    skip_bad_rows: bool,
    batch_rows: int,
    block_bytes: int,
) -> Iterator[Chunk]:
    md = _Mastodon(parsed.platform, skip_bad_rows)
    buf = RowBuffer("events", batch_rows=batch_rows)
    done = 0
    containers: dict[Path, _Container] = {}
    last = files[0][1]
    try:
        for name, where, member in files:
            if where not in containers:
                containers[where] = _Container(where, _EXPORT)
            container = containers[where]
            shown = last = container.display(member)
            disk, length = sizes[name]
            with container.open(member) as raw:
                if name == "following_accounts.csv":
                    for line, cells in _csv_rows(raw, shown):
                        for row in md.rows(name, cells, shown, line, None):
                            buf.add(**row)
                        if buf.full:
                            parsed.bad_rows = md.bad_rows
                            yield Chunk("events", buf.flush(), shown, done)
                else:
                    expected = dict(_FILES)[name]
                    stream = JsonStream(raw, shown, expected, block_bytes=block_bytes)
                    if name == "actor.json":
                        md.actor(stream.value(), shown)
                    else:
                        for index, (line, item) in enumerate(_collection(stream)):
                            where_ = f"orderedItems item {index + 1}"
                            for row in md.rows(name, item, shown, line, where_):
                                buf.add(**row)
                            if buf.full:
                                parsed.bad_rows = md.bad_rows
                                at = done + disk * min(stream.bytes_read, length) // length
                                yield Chunk("events", buf.flush(), shown, at)
                    stream.end()
            parsed.bad_rows = md.bad_rows
            done += disk
            if len(buf):
                yield Chunk("events", buf.flush(), shown, done)
    finally:
        for c in containers.values():
            c.close()
    yield Chunk("people", md.people(), last, done)


def _collection(stream: JsonStream) -> Iterator[tuple[int, Any]]:
    """(line, item) of the ``orderedItems`` of the collection the stream holds, streamed."""
    found = False
    for key in stream.members(f'{stream.expected}: {{..., "orderedItems": [...]}}'):
        if key == "orderedItems":
            found = True
            yield from stream.array("orderedItems: an array")
        elif key == "type":
            line, kind = stream.value_with_line()
            if kind not in ("OrderedCollection", "Collection", "OrderedCollectionPage"):
                raise stream.error(f"type is {kind!r}; expected {stream.expected}", line=line)
        else:
            stream.value()
    if not found:
        raise stream.error(f"has no orderedItems; expected {stream.expected}")


def _csv_rows(raw: IO[bytes], path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of a CSV file, decoded line by line so a bad byte names its line."""

    def lines() -> Iterator[str]:
        for n, data in enumerate(raw, 1):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as err:
                bad = data[err.start : err.start + 1].hex()
                raise InputError(
                    path, f"byte 0x{bad} is not UTF-8; expected {_EXPECTED_CSV} in UTF-8", line=n
                ) from err
            yield text.removeprefix("\ufeff") if n == 1 else text

    reader = csv.reader(lines())
    for cells in reader:
        yield reader.line_num, cells


def parse_mastodon(
    outbox: Mapping[str, Any] | Iterable[Any],
    *,
    actor: Mapping[str, Any] | None = None,
    likes: Iterable[Any] = (),
    bookmarks: Iterable[Any] = (),
    following: Iterable[str] = (),
    platform: str = "mastodon",
    skip_bad_rows: bool = False,
) -> tuple[pa.Table, pa.Table, int]:
    """Events, people and the number of skipped items of an export held in memory.

    ``outbox`` is ``outbox.json`` (an ``OrderedCollection``) or its ``orderedItems``;
    ``actor`` ``actor.json``; ``likes`` and ``bookmarks`` status URLs; ``following`` the
    account addresses of ``following_accounts.csv``.

    >>> events, people, bad = parse_mastodon(
    ...     [{"id": "https://a.example/users/ann/statuses/7/activity", "type": "Announce",
    ...       "actor": "https://a.example/users/ann", "published": "2024-03-01T09:00:00Z",
    ...       "to": ["as:Public"], "object": "https://b.example/@bo/110000000000000000"}],
    ...     following=["bo@b.example"],
    ... )
    >>> for row in events.select(["kind", "target", "parent_id", "ts"]).to_pylist():
    ...     print(row["kind"], row["target"], row["parent_id"], row["ts"])
    share mastodon:bo@b.example https://b.example/@bo/110000000000000000 2024-03-01 09:00:00+00:00
    follow mastodon:bo@b.example None 2024-03-01 09:00:00+00:00
    """
    md = _Mastodon(platform, skip_bad_rows)
    buf = RowBuffer("events")
    if actor is not None:
        md.actor(actor, Path("actor.json"))
    items = outbox.get("orderedItems", ()) if isinstance(outbox, Mapping) else outbox
    tables: list[tuple[str, Iterable[Any]]] = [
        ("outbox.json", items),
        ("likes.json", likes),
        ("bookmarks.json", bookmarks),
        ("following_accounts.csv", ([a] for a in following)),
    ]
    for name, values in tables:
        for index, value in enumerate(values):
            for row in md.rows(name, value, Path(name), None, f"item {index + 1}"):
                buf.add(**row)
    events = pa.Table.from_batches([buf.flush()], schema=EVENTS)
    return events, pa.Table.from_batches([md.people()], schema=PEOPLE), md.bad_rows


class _Mastodon:
    """Turns export items into event rows, remembering the owner and the export time."""

    def __init__(self, platform: str, skip_bad_rows: bool) -> None:
        self.platform = platform
        self.prefix = platform + ":"
        self.skip_bad_rows = skip_bad_rows
        self.bad_rows = 0
        self.owner: str | None = None  # address
        self.owner_row: dict[str, Any] = {}
        self.latest: int | None = None

    def rows(
        self, name: str, value: Any, path: Path, line: int | None, where: str | None
    ) -> list[dict[str, Any]]:
        """The rows of one item of file ``name``: [] for a bad item under
        ``skip_bad_rows`` (counted), else an InputError naming file, line and item."""
        try:
            if name == "outbox.json":
                return self._activity(value)
            if name == "following_accounts.csv":
                return self._follow(value)
            return self._saved(value, *_SAVED[name])
        except _BadRow as err:
            if not self.skip_bad_rows:
                raise InputError(path, str(err), line=line, where=where) from err
            self.bad_rows += 1
            return []

    def _pid(self, address: str) -> str:
        return self.prefix + address

    def _owner(self, address: str) -> None:
        if self.owner is None:
            self.owner = address
            self.owner_row = {"id": self._pid(address), "platform": self.platform}
            self.owner_row["handle"] = address

    def actor(self, doc: Any, path: Path) -> None:
        """``actor.json``: the owner."""
        if not isinstance(doc, dict):
            raise InputError(path, f"is not a JSON object; expected {_EXPECTED_ACTOR}")
        url, user = doc.get("id"), doc.get("preferredUsername")
        host = urlsplit(url).hostname if isinstance(url, str) else None
        if not host or not isinstance(user, str) or not user:
            raise InputError(
                path, f"has no id URL and preferredUsername; expected {_EXPECTED_ACTOR}"
            )
        address = f"{user}@{host}".lower()
        self._owner(address)
        if address != self.owner:
            return
        created = doc.get("published")
        name = doc.get("name")
        self.owner_row["display_name"] = name if isinstance(name, str) and name else None
        try:
            self.owner_row["created_at"] = iso_to_micros(created) if created else None
        except (TypeError, ValueError) as err:
            raise InputError(
                path, f"published {created!r} is not a time; expected e.g. {_ISO_EXAMPLE}"
            ) from err

    def export_time(self, what: str) -> int:
        for when in (self.latest, self.owner_row.get("created_at")):
            if when is not None:
                return int(when)
        raise _BadRow(
            f"{what} has no date and the export gives none: expected activities with "
            "'published' in outbox.json, or actor.json"
        )

    def _activity(self, a: Any) -> list[dict[str, Any]]:
        if not isinstance(a, dict):
            raise _BadRow("activity is not a JSON object; expected {'type': 'Create', ...}")
        aid, kind = a.get("id"), a.get("type")
        if not isinstance(aid, str) or not aid:
            raise _BadRow(f"activity has id {aid!r}; expected its URL")
        if kind not in ("Create", "Announce"):
            return []
        actor = _actor_address(_url(a.get("actor")))
        if actor is None:
            raise _BadRow(
                f"activity has actor {a.get('actor')!r}; expected e.g. https://host/users/NAME"
            )
        self._owner(actor)
        obj = a.get("object")
        if kind == "Announce":
            url = _url(obj)
            if url is None:
                raise _BadRow(f"Announce has object {obj!r}; expected the boosted status's URL")
            ts = _time(a.get("published"), "published")
            visibility, _ = _visibility(a)
            author = _status_author(url)
            self._seen(ts)
            return [
                _event(
                    aid,
                    ts,
                    self.platform,
                    self._pid(actor),
                    "share",
                    target=self._pid(author) if author else None,
                    parent_id=url,
                    visibility=visibility,
                    subtype="Announce",
                )
            ]
        if not isinstance(obj, dict):
            raise _BadRow(f"Create has object {obj!r}; expected the embedded Note")
        oid = obj.get("id")
        if not isinstance(oid, str) or not oid:
            raise _BadRow(f"Create's object has id {oid!r}; expected its URL")
        ts = _time(obj.get("published") or a.get("published"), "published")
        visibility, shown = _visibility(obj if "to" in obj or "cc" in obj else a)
        parent = _url(obj.get("inReplyTo"))
        quoted = next((_url(obj[f]) for f in _QUOTE_FIELDS if _url(obj.get(f))), None)
        thread: str | None = None
        if parent is not None:
            kind = "reply"
        elif quoted is not None:
            kind, parent = "quote", quoted
        else:
            kind, thread = "post", oid
        author = _status_author(parent) if parent else None
        rows = [
            _event(
                aid,
                ts,
                self.platform,
                self._pid(actor),
                kind,
                target=self._pid(author) if author else None,
                content_id=oid,
                parent_id=parent,
                thread_id=thread,
                visibility=visibility,
                subtype=f"{obj.get('type') or 'Object'}:{shown}",
                text=_text(obj),
            )
        ]
        direct = shown == "direct"
        extra = "message" if direct else "mention"
        named: set[str] = {actor} if direct else {actor, author or actor}
        for tag in obj.get("tag") or ():
            if not isinstance(tag, dict) or tag.get("type") != "Mention":
                continue
            address = _mention_address(tag)
            if address is None or address in named:
                continue
            named.add(address)
            rows.append(
                _event(
                    f"{aid}#{extra}:{address}",
                    ts,
                    self.platform,
                    self._pid(actor),
                    extra,
                    target=self._pid(address),
                    thread_id=thread,
                    visibility=visibility,
                    subtype="direct" if direct else "Mention",
                )
            )
        self._seen(ts)
        return rows

    def _seen(self, ts: int) -> None:
        if self.latest is None or ts > self.latest:
            self.latest = ts

    def _saved(self, value: Any, kind: str, subtype: str) -> list[dict[str, Any]]:
        url = _url(value)
        if url is None:
            raise _BadRow(f"item is {value!r}; expected a status URL")
        if self.owner is None:
            raise _BadRow(f"cannot tell whose {kind} this is: expected actor.json or outbox.json")
        ts = _status_micros(url)
        if ts is None:
            ts = self.export_time(f"the {kind} of {url}")
        author = _status_author(url)
        return [
            _event(
                f"{kind}:{self.owner}:{url}",
                ts,
                self.platform,
                self._pid(self.owner),
                kind,
                target=self._pid(author) if author else None,
                parent_id=url,
                subtype=subtype,
            )
        ]

    def _follow(self, cells: list[str]) -> list[dict[str, Any]]:
        cell = cells[0].strip() if cells else ""
        if not cell or cell.lower() == "account address":
            return []  # a blank line, or the header
        if self.owner is None:
            raise _BadRow("cannot tell who follows: expected actor.json or outbox.json")
        address = cell.removeprefix("@").lower()
        if "@" not in address:
            address += "@" + self.owner.split("@", 1)[1]
        if not _ADDRESS.fullmatch(address):
            raise _BadRow(f"{cell!r} is not an account address; expected e.g. bob@social.example")
        return [
            _event(
                f"follow:{self.owner}:{address}",
                self.export_time("a follow"),
                self.platform,
                self._pid(self.owner),
                "follow",
                target=self._pid(address),
                subtype="Follow",
            )
        ]

    def people(self) -> pa.RecordBatch:
        buf = RowBuffer("people", batch_rows=2)
        if self.owner_row:
            buf.add(**self.owner_row)
        return buf.flush()


# --- helpers ------------------------------------------------------------------------------


def _url(value: Any) -> str | None:
    """A URL given as a string or as an object with an ``id``."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _segments(url: str) -> tuple[str | None, list[str]]:
    parts = urlsplit(url)
    return parts.hostname, [s for s in parts.path.split("/") if s]


def _actor_address(url: str | None) -> str | None:
    """``https://host/users/NAME`` or ``https://host/@NAME`` -> ``name@host``.

    >>> _actor_address("https://Social.Example/users/Bob"), _actor_address("https://h/@ann")
    ('bob@social.example', 'ann@h')
    """
    if url is None:
        return None
    host, seg = _segments(url)
    if not host:
        return None
    if len(seg) == 2 and seg[0] == "users":
        name = seg[1]
    elif len(seg) == 1 and seg[0].startswith("@") and len(seg[0]) > 1:
        name = seg[0][1:]
    else:
        return None
    return f"{name}@{host}".lower()


def _status_author(url: str) -> str | None:
    """The author's address of a status URL (``/users/NAME/statuses/ID``, ``/@NAME/ID``).

    >>> _status_author("https://h.example/users/bob/statuses/1"), _status_author("https://h/@c/2")
    ('bob@h.example', 'c@h')
    >>> _status_author("https://misskey.example/notes/9abc") is None
    True
    """
    host, seg = _segments(url)
    if not host:
        return None
    if len(seg) == 4 and seg[0] == "users" and seg[2] == "statuses":
        name = seg[1]
    elif len(seg) == 2 and seg[0].startswith("@") and len(seg[0]) > 1:
        name = seg[0][1:]
    else:
        return None
    return f"{name}@{host}".lower()


def _status_micros(url: str) -> int | None:
    """When a status was made, from a Mastodon id (ms << 16); None if it does not read so.

    >>> _status_micros("https://h/users/bob/statuses/110000000000000000")
    1678466796875000
    >>> _status_micros("https://h/users/bob/statuses/1234") is None
    True
    """
    _, seg = _segments(url)
    if len(seg) == 4 and seg[0] == "users" and seg[2] == "statuses":
        sid = seg[3]
    elif len(seg) == 2 and seg[0].startswith("@"):
        sid = seg[1]
    else:
        return None
    if not (sid.isdigit() and sid.isascii()):
        return None
    ms = int(sid) >> 16
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    return ms * 1000 if _FIRST_MS <= ms <= now_ms else None


def _mention_address(tag: dict[str, Any]) -> str | None:
    """The address a Mention tag names: ``@user@host``; a local ``@user`` on its href's host;
    else the href's path."""
    name, href = tag.get("name"), _url(tag.get("href"))
    if isinstance(name, str):
        n = name.strip().removeprefix("@")
        if _ADDRESS.fullmatch(n):
            return n.lower()
        host = urlsplit(href).hostname if href else None
        if n and "@" not in n and "/" not in n and host:
            return f"{n}@{host}".lower()
    return _actor_address(href)


def _addresses(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _visibility(obj: dict[str, Any]) -> tuple[str, str]:
    """(event-log visibility, Mastodon's name) of an object by its ``to`` and ``cc``."""
    to, cc = _addresses(obj.get("to")), _addresses(obj.get("cc"))
    if _PUBLIC.intersection(to):
        return "public", "public"
    if _PUBLIC.intersection(cc):
        return "public", "unlisted"
    if any(a.endswith("/followers") for a in to + cc):
        return "public", "followers-only"
    return "private", "direct"


def _text(obj: dict[str, Any]) -> str | None:
    content, summary = obj.get("content"), obj.get("summary")
    content = content if isinstance(content, str) else None
    if isinstance(summary, str) and summary:
        return summary if content is None else f"{summary}\n{content}"
    return content


def _time(text: Any, name: str) -> int:
    try:
        return iso_to_micros(text)
    except (TypeError, ValueError):
        if text is None:
            raise _BadRow(
                f"activity has no {name}; expected a time such as {_ISO_EXAMPLE}"
            ) from None
        raise _BadRow(f"{name} {text!r} is not a time; expected e.g. {_ISO_EXAMPLE}") from None
