"""Slack workspace exports: a folder or .zip of JSON files, as event-log rows and people.

Where to get it: a workspace Owner or Admin exports from *Workspace settings -> Import/Export
Data -> Export* (https://slack.com/help/articles/201658943). Every plan exports public
channels; private channels and direct messages come only where the plan and Slack allow
it. The download is a ``.zip``: import it as it is, or the folder it unpacks to.

The export holds, at its top:

``users.json``
    The members: a list of ``{"id": "U...", "name": ..., "real_name": ..., "profile":
    {...}, "is_bot": ...}``.
``channels.json``, ``groups.json``, ``mpims.json``, ``dms.json``
    The conversations, each a list of ``{"id", "name", "members", ...}``: public channels,
    private channels, group direct messages and direct messages. Those that are missing
    are skipped (free plans export only ``channels.json``); an export needs
    ``users.json`` or ``channels.json``.
one folder per conversation
    Named by the conversation's ``name`` (a direct message's by its ``id``), holding one
    file per day, ``YYYY-MM-DD.json``: the day's messages, a list of objects with ``ts``
    (``"1709283600.000100"``: seconds since the epoch, UTC, and a suffix that makes it the
    message's id within the channel), ``user``, ``text``, ``subtype``, ``thread_ts``,
    ``parent_user_id``, ``reactions``, ...

Each is read as follows; ``C`` below is the conversation's ``id`` (from the listing files;
a folder no listing names is a public channel whose id is the folder's name).

``users.json`` -> ``people``
    ``id`` ``platform:<id>``, ``handle`` the ``name`` (the unique @-name), ``display_name``
    the ``profile.display_name``, else the ``real_name``, else ``profile.real_name``
    (Slack shows the first that is not empty). ``audience_size`` and ``created_at`` null:
    Slack has neither. ``attributes`` (JSON) keeps ``real_name``, ``is_bot``,
    ``is_app_user``, ``deleted``, ``is_admin``, ``is_owner``, ``is_primary_owner``,
    ``is_restricted``, ``is_ultra_restricted``, ``tz``, ``team_id`` where present and the
    profile's ``title`` and ``email``: bots are the rows with ``"is_bot": true``. An
    integration posting without a user (``bot_message`` with a ``bot_id`` ``B...``) gets
    a people row ``platform:B...`` with its ``username`` as handle and
    ``{"is_bot": true}``.

A message -> one event, ``event_id`` and ``content_id`` ``C/<ts>``
    ========  =============================  ============  ==========================
    kind      when                           parent_id     target
    ========  =============================  ============  ==========================
    post      no ``thread_ts``, or           null          null
              ``thread_ts`` = ``ts`` (the
              root of a thread)
    reply     ``thread_ts`` != ``ts``        ``C/<thread   the ``parent_user_id``
              (in a thread)                  _ts>``        (the root's author), else
                                                           null: the store fills it
    ========  =============================  ============  ==========================

    ``thread_id`` ``C/<thread_ts>``, or the message itself. ``actor`` the ``user``, else
    the ``bot_id``, else null. ``subtype`` Slack's own (``bot_message``,
    ``thread_broadcast``, ``file_share``, ``me_message``, ...; null for a plain message).
    ``text`` the ``text`` as Slack writes it (``<@U...>`` and ``<https://...>`` markup
    kept). ``visibility`` ``public`` in ``channels.json`` channels, ``private`` in the
    others.

    In a direct message or group direct message (``dms.json``, ``mpims.json``) a message
    is a ``message`` toward each other member of the conversation (its ``members``): one
    row per recipient, the first one with ``event_id`` and ``content_id`` ``C/<ts>`` and
    the text, the others ``C/<ts>/to/<member>`` with neither, so that the item and its
    text are counted once. ``parent_id`` is the thread root for a reply in a thread, as
    above. A message whose conversation lists no other member gets one row with a null
    target.

Each reaction -> one ``like`` per reacting user, ``event_id`` ``C/<ts>/like/<name>/<user>``
    ``actor`` the user, ``target`` the message's author, ``parent_id`` the message,
    ``thread_id`` its thread, ``subtype`` ``reaction:<name>`` (``reaction:+1``). Slack does
    not record when a reaction was made: its ``ts`` is the message's. An export lists at
    most some of a popular reaction's users; when ``count`` is larger than the list, one
    more row, ``C/<ts>/like/<name>/others`` with a null actor and ``quantity`` the
    difference, keeps the rest as anonymous reception.

Each ``<@U...>`` in the text -> a ``mention``, ``event_id`` ``C/<ts>/mention/<U...>``
    ``target`` the person named (once per message however often named), ``actor`` and
    ``ts`` the message's, ``thread_id`` its thread, ``content_id``, ``parent_id`` and
    ``text`` null (the message row has them). ``<!channel>``, ``<!here>`` and
    ``<!subteam^...>`` name no one person: not read.

Notices are not events
    Slack writes membership and settings changes as messages with a subtype
    (``channel_join``, ``channel_leave``, ``channel_topic``, ``channel_purpose``,
    ``channel_name``, ``channel_archive``, ``pinned_item``, ``bot_add``, ... see
    ``_NOTICES``; and ``tombstone``, the stand-in for a deleted thread root). Joining a
    channel is no act toward a person, so a notice gives no event of its own and its
    ``<@U...>`` (the joiner naming themselves) no mention. What people do *on* a notice is
    kept: reactions to "alice has joined" (the usual wave) are likes toward alice, and
    replies in its thread are replies.

Every event has ``quantity`` 1 except the anonymous rest of a reaction. Ids are unique
within the platform and stable, so importing an export again, or a later export of the same
workspace, adds only what is new. ``platform`` defaults to ``slack``; import each workspace
under its own ``--platform``.

A bad message (not an object, no ``ts``, a ``ts`` that is not a Slack timestamp, a reaction
without a name) stops the import with its file and line, or under ``skip_bad_rows`` is
skipped and counted. Malformed JSON stays fatal. Only files named ``YYYY-MM-DD.json`` in a
conversation's folder are read; the export's other files (``integration_logs.json``,
``canvases.json``, ...) hold no interactions between people.

Reading is streaming: each JSON file is parsed value by value from a buffer of a megabyte
(:class:`~narrowcast.importers._json.JsonStream`), so neither a large ``users.json`` nor a
busy day is held whole; only the conversation listings are.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa

from narrowcast.errors import InputError, ParameterError
from narrowcast.importers._common import add_direct_message, open_binary, read_errors
from narrowcast.importers._json import JsonStream
from narrowcast.model import EVENTS, PEOPLE, Chunk, Parsed, RowBuffer, person_id

__all__ = ["parse_slack", "read_slack"]

_EXPECTED = "a Slack export JSON file"
_EXPORT = (
    "a Slack workspace export, as a folder or .zip: users.json, channels.json and one "
    "folder per channel of YYYY-MM-DD.json files"
)
_TS_EXAMPLE = '"ts": "1709283600.000100"'
#: The conversation listings: file, visibility, whether its conversations are direct
#: messages, and whether their folder is named by ``id`` rather than ``name``.
_LISTINGS: tuple[tuple[str, str, bool, bool], ...] = (
    ("channels.json", "public", False, False),
    ("groups.json", "private", False, False),
    ("mpims.json", "private", True, False),
    ("dms.json", "private", True, True),
)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\.json")
_TS = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,6}))?")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
#: Subtypes that record a change to a conversation, not something a person said.
_NOTICES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "channel_posting_permissions",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
        "bot_add",
        "bot_remove",
        "bot_enable",
        "bot_disable",
        "app_conversation_join",
        "joiner_notification",
        "joiner_notification_for_inviter",
        "reminder_add",
        "reminder_delete",
        "tombstone",
    }
)
_USER_FIELDS = (
    "real_name",
    "is_bot",
    "is_app_user",
    "deleted",
    "is_admin",
    "is_owner",
    "is_primary_owner",
    "is_restricted",
    "is_ultra_restricted",
    "tz",
    "team_id",
)
_PROFILE_FIELDS = ("title", "email")
_json = json.JSONEncoder(ensure_ascii=False).encode


class _BadRow(ValueError):
    """A record that cannot become a row; the message says which field and why."""


# --- turning records into rows -------------------------------------------------------------


@dataclass(frozen=True)
class _Conversation:
    """A channel, private channel or direct message: its id, visibility and, for direct
    messages, its members (who each message is toward)."""

    id: str
    visibility: str = "public"
    members: tuple[str, ...] | None = None


class _Rows:
    """Turns users and messages into people and event rows (see the module notes)."""

    def __init__(self, platform: str, batch_rows: int) -> None:
        self.platform = platform
        self.events = RowBuffer("events", batch_rows=batch_rows)
        self.people = RowBuffer("people", batch_rows=batch_rows)
        self.bots: dict[str, str | None] = {}  # bot_id -> username, of bot-only messages

    def person(self, raw: str) -> str:
        return person_id(self.platform, raw)

    def user(self, u: Any) -> None:
        if not isinstance(u, dict):
            raise _BadRow('a user that is not an object; expected {"id": "U...", ...}')
        uid = u.get("id")
        if not isinstance(uid, str) or not uid:
            raise _BadRow('user has no id; expected e.g. "id": "U024BE7LH"')
        profile = u.get("profile")
        profile = profile if isinstance(profile, dict) else {}
        display = (
            _text(profile.get("display_name"))
            or _text(u.get("real_name"))
            or _text(profile.get("real_name"))
        )
        attributes = {k: u[k] for k in _USER_FIELDS if u.get(k) is not None}
        attributes.update({k: profile[k] for k in _PROFILE_FIELDS if _text(profile.get(k))})
        self.people.add(
            id=self.person(uid),
            platform=self.platform,
            handle=_text(u.get("name")),
            display_name=display,
            attributes=_json(attributes),
        )

    def bot_people(self) -> None:
        for bot, name in sorted(self.bots.items()):
            self.people.add(
                id=self.person(bot),
                platform=self.platform,
                handle=name,
                display_name=name,
                attributes=_json({"is_bot": True}),
            )

    def message(self, m: Any, conv: _Conversation) -> None:
        if not isinstance(m, dict):
            raise _BadRow('a message that is not an object; expected {"ts": ..., "user": ...}')
        ts = m.get("ts")
        if ts is None:
            raise _BadRow(f"message has no ts; expected e.g. {_TS_EXAMPLE}")
        when = _micros(ts, "ts")
        thread_ts = m.get("thread_ts")
        if thread_ts is not None:
            _micros(thread_ts, "thread_ts")
        subtype = m.get("subtype")
        subtype = subtype if isinstance(subtype, str) else None
        user = _text(m.get("user"))
        bot = _text(m.get("bot_id"))
        if user is None and bot is not None and bot not in self.bots:
            self.bots[bot] = _text(m.get("username"))
        raw_actor = user or bot
        actor = None if raw_actor is None else self.person(raw_actor)
        cid = f"{conv.id}/{ts}"
        reply = thread_ts is not None and thread_ts != ts
        thread = f"{conv.id}/{thread_ts}" if thread_ts is not None else cid
        parent = thread if reply else None
        vis = conv.visibility
        add = self.events.add
        common = {"ts": when, "platform": self.platform, "actor": actor, "visibility": vis}
        if subtype not in _NOTICES:
            text = _text(m.get("text"))
            if conv.members is not None:
                others: list[str | None] = [p for p in conv.members if p != raw_actor]
                add_direct_message(
                    add,
                    common,
                    cid,
                    others,
                    self.person,
                    parent_id=parent,
                    thread_id=thread,
                    subtype=subtype,
                    text=text,
                )
            else:
                answered = _text(m.get("parent_user_id")) if reply else None
                add(
                    **common,
                    event_id=cid,
                    kind="reply" if reply else "post",
                    target=None if answered is None else self.person(answered),
                    content_id=cid,
                    parent_id=parent,
                    thread_id=thread,
                    quantity=1,
                    subtype=subtype,
                    text=text,
                )
            if text and "<@" in text:
                for named in dict.fromkeys(_MENTION.findall(text)):
                    add(
                        **common,
                        event_id=f"{cid}/mention/{named}",
                        kind="mention",
                        target=self.person(named),
                        thread_id=thread,
                        quantity=1,
                    )
        reactions = m.get("reactions")
        if reactions:
            if not isinstance(reactions, list):
                raise _BadRow('reactions is not a list; expected [{"name": ..., "users": [...]}]')
            for r in reactions:
                self._reaction(r, cid, thread, actor, when, vis)

    def _reaction(
        self, r: Any, cid: str, thread: str, author: str | None, when: int, vis: str
    ) -> None:
        name = r.get("name") if isinstance(r, dict) else None
        if not isinstance(name, str) or not name:
            raise _BadRow('a reaction without a name; expected {"name": "+1", "users": [...]}')
        users = r.get("users") or []
        if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
            raise _BadRow(f"reaction {name!r} has users that are not a list of user ids")
        common = {
            "ts": when,
            "platform": self.platform,
            "kind": "like",
            "target": author,
            "parent_id": cid,
            "thread_id": thread,
            "visibility": vis,
            "subtype": f"reaction:{name}",
        }
        distinct = dict.fromkeys(users)
        for u in distinct:
            self.events.add(
                **common, event_id=f"{cid}/like/{name}/{u}", actor=self.person(u), quantity=1
            )
        count = r.get("count")
        if isinstance(count, int) and count > len(distinct):
            self.events.add(
                **common, event_id=f"{cid}/like/{name}/others", quantity=count - len(distinct)
            )


def _text(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def _micros(ts: Any, name: str) -> int:
    """A Slack timestamp ("1709283600.000100": seconds, and a suffix) in microseconds."""
    m = _TS.fullmatch(ts) if isinstance(ts, str) else None
    if m is None:
        raise _BadRow(f"{name} {ts!r} is not a Slack timestamp; expected e.g. {_TS_EXAMPLE}")
    return int(m[1]) * 1_000_000 + int((m[2] or "").ljust(6, "0"))


def parse_slack(
    messages: Iterable[Mapping[str, Any]],
    *,
    users: Iterable[Mapping[str, Any]] = (),
    channel: str = "C1",
    private: bool = False,
    members: Sequence[str] | None = None,
    platform: str = "slack",
    skip_bad_rows: bool = False,
) -> tuple[pa.Table, pa.Table, int]:
    """Events, people and the number of skipped messages of one conversation in memory.

    Parameters
    ----------
    messages
        The conversation's messages as an export's day files hold them.
    users
        The records of ``users.json``.
    channel
        The conversation's id, which prefixes item and event ids.
    private
        A private channel: its events are ``private``.
    members
        The members of a direct message or group direct message: messages are then
        ``message`` events toward each other member, and ``private``.
    platform, skip_bad_rows
        As for :func:`read_slack`.

    Examples
    --------
    >>> events, people, bad = parse_slack(
    ...     [
    ...         {"user": "U1", "text": "hi <@U2>", "ts": "1709283600.000100",
    ...          "reactions": [{"name": "+1", "users": ["U2"], "count": 1}]},
    ...         {"user": "U2", "text": "hello", "ts": "1709283660.000200",
    ...          "thread_ts": "1709283600.000100", "parent_user_id": "U1"},
    ...     ],
    ...     users=[{"id": "U1", "name": "ada", "real_name": "Ada L."}],
    ... )
    >>> for e in events.select(["event_id", "actor", "kind", "target"]).to_pylist():
    ...     print(*e.values())
    C1/1709283600.000100 slack:U1 post None
    C1/1709283600.000100/mention/U2 slack:U1 mention slack:U2
    C1/1709283600.000100/like/+1/U2 slack:U2 like slack:U1
    C1/1709283660.000200 slack:U2 reply slack:U1
    >>> people.select(["id", "handle", "display_name"]).to_pylist()
    [{'id': 'slack:U1', 'handle': 'ada', 'display_name': 'Ada L.'}]
    """
    rows = _Rows(platform, batch_rows=1 << 62)
    if members is not None:
        conv = _Conversation(channel, "private", tuple(members))
    else:
        conv = _Conversation(channel, "private" if private else "public")
    bad = 0
    for what, records, handle in (("user", users, rows.user), ("message", messages, None)):
        for i, record in enumerate(records):
            try:
                if handle is None:
                    rows.message(record, conv)
                else:
                    handle(record)
            except _BadRow as err:
                if not skip_bad_rows:
                    raise InputError("<records>", str(err), where=f"{what} {i}") from err
                bad += 1
    rows.bot_people()
    events = pa.Table.from_batches([rows.events.flush()], schema=EVENTS)
    people = pa.Table.from_batches([rows.people.flush()], schema=PEOPLE)
    return events, people, bad


# --- the export: a folder or a zip -----------------------------------------------------------


class _Export:
    """The files of an export, in a folder or a zip, by their path inside the export."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zipped = path.is_file()
        self.prefix = ""
        self.sizes: dict[str, int] = {}  # name inside the export -> bytes on disk
        if self.zipped:
            try:
                with zipfile.ZipFile(path) as zf:
                    infos = [i for i in zf.infolist() if not i.is_dir()]
            except (zipfile.BadZipFile, OSError) as err:
                raise InputError(
                    path, f"is not a .zip archive ({err}); expected {_EXPORT}"
                ) from err
            names = {i.filename: i for i in infos}
            # A zip of the export's folder has the files one level down.
            tops = sorted(
                (n.count("/"), n)
                for n in names
                if n.rsplit("/", 1)[-1] in ("users.json", "channels.json")
            )
            if tops:
                self.prefix = tops[0][1].rpartition("/")[0]
                self.prefix += "/" if self.prefix else ""
            for name, info in names.items():
                if name.startswith(self.prefix):
                    self.sizes[name[len(self.prefix) :]] = info.compress_size
            self.file_sizes = {name: names[self.prefix + name].file_size for name in self.sizes}
        else:
            for entry in sorted(path.iterdir()):
                if entry.is_file():
                    self.sizes[entry.name] = entry.stat().st_size
                elif entry.is_dir():
                    for day in sorted(entry.iterdir()):
                        if _DAY.fullmatch(day.name) and day.is_file():
                            self.sizes[f"{entry.name}/{day.name}"] = day.stat().st_size
            self.file_sizes = self.sizes
        if not {"users.json", "channels.json"} & self.sizes.keys():
            raise InputError(
                path, f"is not a Slack export: no users.json nor channels.json; expected {_EXPORT}"
            )

    @property
    def paths(self) -> list[Path]:
        if self.zipped:
            return [self.path]
        return [self.path / name for name in self.sizes if self._read(name)]

    def _read(self, name: str) -> bool:
        return "/" in name or name == "users.json" or any(name == n for n, *_ in _LISTINGS)

    def folders(self) -> dict[str, list[str]]:
        """Conversation folders and their day files, in name order."""
        out: dict[str, list[str]] = {}
        for name in sorted(self.sizes):
            folder, _, day = name.partition("/")
            if day and "/" not in day and _DAY.fullmatch(day):
                out.setdefault(folder, []).append(name)
        return out

    def where(self, name: str) -> Path:
        """How an error names a file of the export."""
        return self.path / name

    @contextmanager
    def open(self, name: str) -> Iterator[tuple[JsonStream, Path]]:
        where = self.where(name)
        if self.file_sizes[name] == 0:
            raise InputError(where, f"is empty; expected {_EXPECTED}")
        with read_errors(where, _EXPECTED):
            if self.zipped:
                with zipfile.ZipFile(self.path) as zf, zf.open(self.prefix + name) as raw:
                    yield JsonStream(raw, where, _EXPECTED), where
            else:
                with open_binary(where) as inp:
                    yield JsonStream(inp.stream, where, _EXPECTED), where


def read_slack(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    batch_rows: int = 65_536,
) -> Parsed:
    """Read a Slack workspace export, a folder or its .zip.

    Parameters
    ----------
    paths
        One export: the ``.zip`` Slack gives, the folder it unpacks to, or that folder's
        ``users.json`` or ``channels.json``.
    platform
        Community name for the rows, their person ids and item ids (default ``slack``).
    skip_bad_rows
        Skip and count messages and users that cannot be read instead of stopping at the
        first. Malformed JSON stays fatal.
    batch_rows
        Most rows per record batch handed to the store.

    Returns
    -------
    Parsed
        ``people`` rows from ``users.json``, then ``events`` rows conversation by
        conversation and day by day, then the people rows of integrations (bots without a
        user), as listed in the module's documentation.

    Raises
    ------
    InputError
        The path is missing or is not an export (no ``users.json`` nor ``channels.json``);
        a file is empty, not UTF-8 or not valid JSON; a message has no ``ts`` or one that
        is not a Slack timestamp (unless ``skip_bad_rows``). The message names the file,
        the line and what was expected.
    """
    platform = platform or "slack"
    if isinstance(paths, (str, PathLike)) or len(paths) != 1:
        raise ParameterError.expected(
            "paths", "read_slack", "a list of one Slack export folder or .zip", paths
        )
    path = Path(paths[0])
    if path.is_file() and path.name in ("users.json", "channels.json"):
        path = path.parent
    if not path.exists():
        raise InputError(path, f"no such file or folder; expected {_EXPORT}")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(path, f"is empty; expected {_EXPORT}")
    export = _Export(path)
    parsed = Parsed(
        format="slack",
        platform=platform,
        paths=export.paths,
        chunks=(),
        options={},
        total_bytes=sum(export.sizes[n] for n in export.sizes if export._read(n)),
    )
    parsed.chunks = _chunks(parsed, export, skip_bad_rows, batch_rows)
    return parsed


def _chunks(parsed: Parsed, export: _Export, skip: bool, batch_rows: int) -> Iterator[Chunk]:
    rows = _Rows(parsed.platform, batch_rows)
    done = 0

    def bad(err: _BadRow, where: Path, line: int) -> None:
        if not skip:
            raise InputError(where, str(err), line=line) from err
        parsed.bad_rows += 1

    if "users.json" in export.sizes:
        with export.open("users.json") as (reader, where):
            for line, u in reader.array("a JSON array of users"):
                try:
                    rows.user(u)
                except _BadRow as err:
                    bad(err, where, line)
                if rows.people.full:
                    yield Chunk("people", rows.people.flush(), where, done)
            reader.end()
        done += export.sizes["users.json"]
        if len(rows.people):
            yield Chunk("people", rows.people.flush(), where, done)

    conversations: dict[str, _Conversation] = {}
    for name, visibility, direct, by_id in _LISTINGS:
        if name not in export.sizes:
            continue
        with export.open(name) as (reader, where):
            for line, c in reader.array("a JSON array of conversations"):
                cid = c.get("id") if isinstance(c, dict) else None
                if not isinstance(cid, str) or not cid:
                    raise InputError(
                        where,
                        'a conversation without an id; expected e.g. "id": "C024BE91L"',
                        line=line,
                    )
                folder = cid if by_id else _text(c.get("name")) or cid
                members = c.get("members")
                if direct:
                    members = tuple(m for m in members or () if isinstance(m, str))
                    conversations[folder] = _Conversation(cid, visibility, members)
                else:
                    conversations[folder] = _Conversation(cid, visibility)
            reader.end()
        done += export.sizes[name]

    where = export.path
    for folder, days in export.folders().items():
        conv = conversations.get(folder) or _Conversation(folder)
        for day in days:
            with export.open(day) as (reader, where):
                for line, m in reader.array("a JSON array of messages"):
                    try:
                        rows.message(m, conv)
                    except _BadRow as err:
                        bad(err, where, line)
                    if rows.events.full:
                        yield Chunk("events", rows.events.flush(), where, done)
                reader.end()
            done += export.sizes[day]
    if len(rows.events):
        yield Chunk("events", rows.events.flush(), where, done)
    rows.bot_people()
    if len(rows.people):
        yield Chunk("people", rows.people.flush(), where, done)
