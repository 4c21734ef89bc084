"""Discord channel exports written by DiscordChatExporter (JSON), as event-log rows and people.

Where to get it: Discord has no export for a community's channels; DiscordChatExporter
(https://github.com/Tyrrrz/DiscordChatExporter, GUI or CLI) writes one file per channel
with your own account's token or a bot's: ``DiscordChatExporter.Cli exportguild -t TOKEN
-g GUILD_ID -f Json -o exports/`` (``export -c CHANNEL_ID`` for one channel, ``exportdm``
for direct messages). Import one file, several, or the folder: every ``*.json`` file in it
and its subfolders except the media folders DiscordChatExporter names ``*_Files``.

A file is one JSON object: ``guild``, ``channel`` (``id``, ``type``, ``name``, and for a
thread ``categoryId`` its parent channel), ``dateRange``, ``exportedAt``, then
``messages``, a list of objects with ``id``, ``type`` (``Default``, ``Reply``,
``GuildMemberJoin``, ``ThreadCreated``, ...), ``timestamp`` (ISO 8601 with its offset),
``content``, ``author`` (``id``, ``name``, ``nickname``, ``isBot``, ...), ``reactions``
(``emoji`` ``{id, name}``, ``count``, ``users``), ``mentions`` (users, as ``author``) and
``reference`` (``messageId``, ``channelId``, ``guildId``, and in recent versions ``type``:
``Default`` or ``Forward``).

A message -> one event, ``event_id`` and ``content_id`` the message ``id``
    =======  ===========================================  ================  ===============
    kind     when                                         parent_id         thread_id
    =======  ===========================================  ================  ===============
    post     ``Default`` (and any other type that is not  null              the message
             a system notice) in a channel
    reply    ``Reply``                                    the referenced    the root of
                                                          ``messageId``     the reply chain
                                                                            where this file
                                                                            has it, else
                                                                            null: the store
                                                                            follows parents
    reply    ``Default`` in a thread (channel ``type``    the thread (a     the thread
             ``GuildPublicThread``,                       thread's id is
             ``GuildPrivateThread``,                      the id of the
             ``GuildNewsThread``), except the message     message it was
             whose id is the thread's, which is its       started from)
             ``post``
    share    ``reference.type`` ``Forward``               the forwarded     the message
                                                          message
    =======  ===========================================  ================  ===============

    ``actor`` the ``author.id``, ``ts`` the ``timestamp`` (converted to UTC), ``subtype``
    the message ``type`` (``Forward`` for a forward), ``text`` the ``content``.
    ``target``: for a reply, the author of the referenced message where this file holds it
    (among its last 131,072 messages), else the person the reply pinged (see mentions),
    else null, which the store fills from ``parent_id``; null for the rest.
    ``visibility`` ``public``, and ``private`` in a ``GuildPrivateThread``.

    In a direct message (channel ``type`` ``DirectTextChat`` or ``DirectGroupTextChat``)
    a message is a ``message`` toward each other participant, with the ``parent_id`` and
    ``thread_id`` above: one row per recipient, the first with ``event_id`` and
    ``content_id`` the message id and the text, the others ``<id>/to/<user id>`` with
    neither, so that the item and its text count once. The export does not list a
    conversation's members: the participants are everyone the file shows writing,
    reacting or being mentioned (the file is read twice for this). A message in a
    conversation where no one else appears has one row with a null target. Every event of
    a direct message is ``private``.

Each reacting user -> a ``like``, ``event_id`` ``<message id>/like/<emoji>/<user id>``
    ``<emoji>`` the custom emoji's ``id``, else its ``name`` (the Unicode emoji itself).
    ``actor`` the user, ``target`` the message's author, ``parent_id`` the message,
    ``thread_id`` its thread, ``subtype`` ``reaction:<emoji name>``. Discord does not say
    when a reaction was made: its ``ts`` is the message's. Where ``count`` exceeds the
    users listed (exports before DiscordChatExporter 2.40 list none), one more row,
    ``<message id>/like/<emoji>/others``, with a null actor and ``quantity`` the difference,
    keeps the rest as anonymous reception.

Each mentioned user -> a ``mention``, ``event_id`` ``<message id>/mention/<user id>``
    ``target`` the user, ``actor``, ``ts`` and ``thread_id`` the message's, ``content_id``,
    ``parent_id`` and ``text`` null. A reply that pings lists the replied-to author among
    its ``mentions`` although the text does not name them: that ping is not a mention (the
    reply already is an event toward them, and counting it twice would make every reply a
    mention too). A mentioned user counts as named when the ``content`` holds
    ``<@id>``, ``<@!id>``, ``@nickname`` or ``@name``; on a ``Reply``, the replied-to
    author when not named, or, when this file does not hold the replied-to message, the
    one mentioned user not named, is the ping: it gives the reply its target and no
    mention. ``@everyone``, ``@here`` and role mentions name no one person: not read.

System notices are not events
    ``RecipientAdd``, ``RecipientRemove``, ``Call``, ``ChannelNameChange``,
    ``ChannelIconChange``, ``ChannelPinnedMessage``, ``GuildMemberJoin``, ``ThreadCreated``,
    ``ThreadStarterMessage`` (a copy, in a thread, of the message it started from) and
    numbered types 1 to 18 and 21 record a change, not something a person said to others:
    they give no event and no mention. What people do on them is kept: reactions to
    "alice joined the server" are likes toward alice, replies to a notice are replies.

People: every author, mentioned and reacting user, once -> ``people``
    ``id`` ``platform:<user id>``, ``handle`` the ``name`` (the unique username),
    ``display_name`` the ``nickname`` (the name shown in the server), ``attributes``
    ``{"is_bot": ...}``. An author's record is preferred to a mention's or a reaction's.

``interaction`` (who ran the slash command a bot answers), attachments, embeds and stickers
are not read. Message ids are Discord's snowflakes, unique across all of Discord, so events
of several channels and servers never collide and importing a file again adds nothing. When
the files of one import hold the same channel more than once (overlapping date ranges), a
message is read once. ``platform`` defaults to ``discord``.

A bad message (not an object; no ``id``, ``timestamp`` or ``author.id``; a timestamp that is
not ISO 8601) stops the import with its file and line, or under ``skip_bad_rows`` is skipped
and counted. Malformed JSON, a file without ``channel`` or ``messages`` stay fatal.

Reading is streaming: each file is parsed message by message
(:class:`~narrowcast.importers._json.JsonStream`), holding the author and thread of the
file's last 131,072 messages for replies, and the people seen.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa

from narrowcast.errors import InputError
from narrowcast.importers._common import (
    add_direct_message,
    check_files,
    iso_to_micros,
    open_binary,
    read_errors,
)
from narrowcast.importers._json import JsonStream
from narrowcast.model import EVENTS, PEOPLE, Chunk, Parsed, RowBuffer, person_id

__all__ = ["parse_discord", "read_discord"]

_EXPECTED = "a DiscordChatExporter JSON export: {guild, channel, messages: [...]}"
_TS_EXAMPLE = "2024-03-01T09:00:00.123+01:00"
_DIRECT = frozenset({"DirectTextChat", "DirectGroupTextChat"})
_THREADS = frozenset({"GuildPublicThread", "GuildPrivateThread", "GuildNewsThread"})
_PRIVATE = _DIRECT | {"GuildPrivateThread"}
_NOTICES = frozenset(
    {
        "RecipientAdd",
        "RecipientRemove",
        "Call",
        "ChannelNameChange",
        "ChannelIconChange",
        "ChannelPinnedMessage",
        "GuildMemberJoin",
        "ThreadCreated",
        "ThreadStarterMessage",
        *(str(n) for n in range(1, 19)),
        "21",
    }
)
#: How many messages of a file are remembered (author, thread) for the replies to them.
_REMEMBERED = 1 << 17
_json = json.JSONEncoder(ensure_ascii=False).encode


class _BadRow(ValueError):
    """A message that cannot become rows; the message says which field and why."""


@dataclass(frozen=True)
class _Channel:
    id: str
    type: str
    participants: tuple[str, ...] = ()

    @property
    def direct(self) -> bool:
        return self.type in _DIRECT

    @property
    def thread(self) -> bool:
        return self.type in _THREADS

    @property
    def visibility(self) -> str:
        return "private" if self.type in _PRIVATE else "public"


class _Rows:
    """Turns messages into event rows and gathers the people they show."""

    def __init__(self, platform: str, batch_rows: int) -> None:
        self.platform = platform
        self.events = RowBuffer("events", batch_rows=batch_rows)
        # user id -> (name, nickname, is_bot, from an author record)
        self.people: dict[str, tuple[Any, Any, Any, bool]] = {}
        self.known: OrderedDict[str, tuple[str, str | None]] = OrderedDict()

    def person(self, raw: str) -> str:
        return person_id(self.platform, raw)

    def see(self, user: Mapping[str, Any], author: bool, field: str = "author.id") -> str:
        """The id of a user record (author, mention or reacting user), noting the person."""
        uid = _id(user.get("id"), field)
        if author or uid not in self.people:
            self.people[uid] = (user.get("name"), user.get("nickname"), user.get("isBot"), author)
        return uid

    def people_batch(self) -> pa.RecordBatch:
        buf = RowBuffer("people", batch_rows=len(self.people) + 1)
        for uid, (name, nickname, bot, _) in sorted(self.people.items()):
            buf.add(
                id=self.person(uid),
                platform=self.platform,
                handle=name if isinstance(name, str) and name else None,
                display_name=nickname if isinstance(nickname, str) and nickname else None,
                attributes=_json({"is_bot": bot}) if isinstance(bot, bool) else None,
            )
        return buf.flush()

    def message(self, m: Any, channel: _Channel) -> None:
        if not isinstance(m, dict):
            raise _BadRow('a message that is not an object; expected {"id": ..., "author": ...}')
        mid = _id(m.get("id"), "id")
        stamp = m.get("timestamp")
        if not isinstance(stamp, str):
            raise _BadRow(f"message has no timestamp; expected e.g. {_TS_EXAMPLE!r}")
        try:
            when = iso_to_micros(stamp)
        except ValueError as err:
            raise _BadRow(
                f"timestamp {stamp!r} is not ISO 8601; expected e.g. {_TS_EXAMPLE!r}"
            ) from err
        author = m.get("author")
        if not isinstance(author, dict):
            raise _BadRow('message has no author; expected e.g. "author": {"id": "1234", ...}')
        uid = self.see(author, True)
        actor = self.person(uid)
        mtype = m.get("type")
        mtype = mtype if isinstance(mtype, str) and mtype else "Default"
        ref = m.get("reference")
        ref = ref if isinstance(ref, dict) else {}
        ref_id = ref.get("messageId")
        ref_id = str(ref_id) if isinstance(ref_id, (str, int)) and ref_id != "" else None
        content = m.get("content")
        content = content if isinstance(content, str) and content else None
        mentioned = [
            self.see(u, False, "mentions[].id") for u in _list(m, "mentions") if isinstance(u, dict)
        ]

        notice = mtype in _NOTICES
        reply = mtype == "Reply"
        forward = ref.get("type") == "Forward" and ref_id is not None
        replied = self.known.get(ref_id) if ref_id is not None else None
        if channel.thread:
            thread: str | None = channel.id
        elif reply:
            thread = None if replied is None else replied[1]
        else:
            thread = mid
        self.known[mid] = (uid, thread)
        if len(self.known) > _REMEMBERED:
            self.known.popitem(last=False)

        pinged = None
        if reply:
            unnamed = [u for u in mentioned if not _named(u, self.people[u], content)]
            if replied is not None:
                pinged = replied[0] if replied[0] in unnamed else None
            elif len(set(unnamed)) == 1:
                pinged = unnamed[0]
        vis = channel.visibility
        common = {"ts": when, "platform": self.platform, "actor": actor, "visibility": vis}
        add = self.events.add
        if not notice:
            parent: str | None = None
            target: str | None = None
            if forward:
                kind, parent, subtype = "share", ref_id, "Forward"
            elif reply:
                kind, parent, subtype = "reply", ref_id, mtype
                answered = replied[0] if replied is not None else pinged
                target = None if answered is None else self.person(answered)
            elif channel.thread and mid != channel.id:
                kind, parent, subtype = "reply", channel.id, mtype
            else:
                kind, subtype = "post", mtype
            if channel.direct:
                others: list[str | None] = [p for p in channel.participants if p != uid]
                add_direct_message(
                    add,
                    common,
                    mid,
                    others,
                    self.person,
                    parent_id=parent,
                    thread_id=thread,
                    subtype=subtype,
                    text=content,
                )
            else:
                add(
                    **common,
                    event_id=mid,
                    kind=kind,
                    target=target,
                    content_id=mid,
                    parent_id=parent,
                    thread_id=thread,
                    quantity=1,
                    subtype=subtype,
                    text=content,
                )
            for named in dict.fromkeys(mentioned):
                if named != pinged:
                    add(
                        **common,
                        event_id=f"{mid}/mention/{named}",
                        kind="mention",
                        target=self.person(named),
                        thread_id=thread,
                        quantity=1,
                    )
        for r in _list(m, "reactions"):
            self._reaction(r, mid, thread, actor, when, vis)

    def _reaction(
        self, r: Any, mid: str, thread: str | None, author: str, when: int, vis: str
    ) -> None:
        emoji = r.get("emoji") if isinstance(r, dict) else None
        emoji = emoji if isinstance(emoji, dict) else {}
        name = emoji.get("name")
        key = emoji.get("id") or name
        if not isinstance(key, (str, int)) or key == "":
            raise _BadRow('a reaction without an emoji; expected "emoji": {"id": ..., "name": ...}')
        common = {
            "ts": when,
            "platform": self.platform,
            "kind": "like",
            "target": author,
            "parent_id": mid,
            "thread_id": thread,
            "visibility": vis,
            "subtype": f"reaction:{name if isinstance(name, str) and name else key}",
        }
        users = dict.fromkeys(
            self.see(u, False, "reactions[].users[].id")
            for u in _list(r, "users")
            if isinstance(u, dict)
        )
        for u in users:
            self.events.add(
                **common, event_id=f"{mid}/like/{key}/{u}", actor=self.person(u), quantity=1
            )
        count = r.get("count")
        if isinstance(count, int) and count > len(users):
            self.events.add(
                **common, event_id=f"{mid}/like/{key}/others", quantity=count - len(users)
            )


def _id(value: Any, name: str) -> str:
    """A Discord id (a snowflake, written as a string of digits)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return value
    if value is None:
        raise _BadRow(f'message has no {name}; expected e.g. "{name}": "1111222233334444"')
    raise _BadRow(f'{name} {value!r} is not a Discord id; expected digits, e.g. "1111222233334444"')


def _list(record: Mapping[str, Any], name: str) -> list[Any]:
    value = record.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _BadRow(f"{name} is not a list; expected {name}: [...]")
    return value


def _named(uid: str, person: tuple[Any, ...], content: str | None) -> bool:
    """Whether a message's text names a mentioned user (see the module notes)."""
    if not content:
        return False
    if f"<@{uid}>" in content or f"<@!{uid}>" in content:
        return True
    return any(isinstance(n, str) and n and f"@{n}" in content for n in person[:2])


def _channel(value: Any, participants: tuple[str, ...] = ()) -> _Channel:
    if not isinstance(value, dict):
        raise _BadRow('channel is not an object; expected "channel": {"id": ..., "type": ...}')
    cid = _id(value.get("id"), "channel.id")
    ctype = value.get("type")
    return _Channel(cid, ctype if isinstance(ctype, str) else "GuildTextChat", participants)


def _participants(messages: Any) -> tuple[str, ...]:
    """Everyone a direct conversation shows: authors, mentioned and reacting users."""
    seen: dict[str, None] = {}
    for m in messages:
        if not isinstance(m, dict):
            continue
        users = [m.get("author"), *(m.get("mentions") or ())]
        for r in m.get("reactions") or ():
            users.extend(r.get("users") or () if isinstance(r, dict) else ())
        for u in users:
            uid = u.get("id") if isinstance(u, dict) else None
            if isinstance(uid, (str, int)) and str(uid).isdigit():
                seen.setdefault(str(uid))
    return tuple(seen)


def parse_discord(
    export: Mapping[str, Any], *, platform: str = "discord", skip_bad_rows: bool = False
) -> tuple[pa.Table, pa.Table, int]:
    """Events, people and the number of skipped messages of one export held in memory.

    ``export`` is the JSON object of one DiscordChatExporter file.

    >>> alice = {"id": "11", "name": "alice", "nickname": "Alice", "isBot": False}
    >>> bob = {"id": "12", "name": "bob", "nickname": "Bob", "isBot": False}
    >>> events, people, bad = parse_discord({
    ...     "channel": {"id": "77", "type": "GuildTextChat"},
    ...     "messages": [
    ...         {"id": "1000", "type": "Default", "timestamp": "2024-03-01T10:00:00+01:00",
    ...          "content": "idea", "author": alice,
    ...          "reactions": [{"emoji": {"id": None, "name": "👍"}, "count": 1, "users": [bob]}]},
    ...         {"id": "1001", "type": "Reply", "timestamp": "2024-03-01T10:05:00+01:00",
    ...          "content": "yes", "author": bob, "mentions": [alice],
    ...          "reference": {"messageId": "1000", "channelId": "77"}},
    ...     ],
    ... })
    >>> for e in events.select(["event_id", "actor", "kind", "target", "parent_id"]).to_pylist():
    ...     print(*e.values())
    1000 discord:11 post None None
    1000/like/👍/12 discord:12 like discord:11 1000
    1001 discord:12 reply discord:11 1000
    >>> people.column("display_name").to_pylist()
    ['Alice', 'Bob']
    """
    messages = export.get("messages")
    if not isinstance(messages, list):
        raise InputError("<export>", f"has no messages list; expected {_EXPECTED}")
    try:
        channel = _channel(export.get("channel"))
    except _BadRow as err:
        raise InputError("<export>", str(err)) from err
    if channel.direct:
        channel = _Channel(channel.id, channel.type, _participants(messages))
    rows = _Rows(platform, batch_rows=1 << 62)
    bad = 0
    for i, m in enumerate(messages):
        try:
            rows.message(m, channel)
        except _BadRow as err:
            if not skip_bad_rows:
                raise InputError("<export>", str(err), where=f"message {i}") from err
            bad += 1
    events = pa.Table.from_batches([rows.events.flush()], schema=EVENTS)
    people = pa.Table.from_batches([rows.people_batch()], schema=PEOPLE)
    return events, people, bad


def read_discord(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    batch_rows: int = 65_536,
) -> Parsed:
    """Read DiscordChatExporter JSON exports: files, or folders of them.

    Parameters
    ----------
    paths
        Export files (``.json``, or compressed ``.json.gz``/``.zst``), and folders whose
        ``*.json`` files (in subfolders too, except ``*_Files`` media folders) are read in
        name order.
    platform
        Community name for the rows and their person ids (default ``discord``).
    skip_bad_rows
        Skip and count messages that cannot be read instead of stopping at the first.
        Malformed JSON stays fatal.
    batch_rows
        Most rows per record batch handed to the store.

    Returns
    -------
    Parsed
        ``events`` rows file by file, message by message, then one ``people`` row per user
        seen, as listed in the module's documentation.

    Raises
    ------
    InputError
        A path is missing, a folder holds no ``.json`` file, a file is empty, not UTF-8,
        not valid JSON or has no ``channel`` before its ``messages``; a message lacks its
        ``id``, ``timestamp`` or ``author.id`` (unless ``skip_bad_rows``). The message
        names the file, the line and what was expected.
    """
    platform = platform or "discord"
    files: list[Path] = []
    for p in [paths] if isinstance(paths, (str, PathLike)) else paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(
                f
                for f in path.rglob("*.json")
                if f.is_file()
                and not any(part.endswith("_Files") for part in f.relative_to(path).parts[:-1])
            )
            if not found:
                raise InputError(path, f"holds no .json file; expected {_EXPECTED}")
            files.extend(found)
        else:
            files.append(path)
    files = check_files(files, _EXPECTED)
    parsed = Parsed(
        format="discord",
        platform=platform,
        paths=files,
        chunks=(),
        options={},
        total_bytes=sum(f.stat().st_size for f in files),
    )
    parsed.chunks = _chunks(parsed, files, skip_bad_rows, batch_rows)
    return parsed


class _File:
    """One export file: its channel and its messages, read as a stream."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.channel_line: int | None = None

    def open(self) -> Generator[tuple[Any, Iterator[tuple[int, Any]]], None, None]:
        """Yields once: the channel record and an iterator over (line, message); the rest
        of the file is checked when the messages are done."""
        with read_errors(self.path, _EXPECTED), open_binary(self.path) as inp:
            reader = JsonStream(inp.stream, self.path, _EXPECTED)
            channel, seen = None, False
            for key in reader.members(_EXPECTED):
                if key == "channel":
                    self.channel_line, channel = reader.value_with_line()
                elif key == "messages":
                    if channel is None:
                        raise reader.error(
                            f"the messages come before the channel; expected {_EXPECTED}"
                        )
                    seen = True
                    yield channel, reader.array("messages: a JSON array")
                else:
                    reader.value()
            reader.end()
            if channel is None:
                raise InputError(self.path, f"has no channel; expected {_EXPECTED}")
            if not seen:
                raise InputError(self.path, f"has no messages list; expected {_EXPECTED}")

    def channel(self) -> Any:
        """The channel record, reading no further than the start of the messages."""
        stream = self.open()
        try:
            return next(stream)[0]
        finally:
            stream.close()

    def participants(self) -> tuple[str, ...]:
        """Everyone the file shows (see :func:`_participants`): a pass of its own."""
        users: tuple[str, ...] = ()
        for _, items in self.open():
            users = _participants(m for _, m in items)
        return users


def _chunks(parsed: Parsed, files: list[Path], skip: bool, batch_rows: int) -> Iterator[Chunk]:
    rows = _Rows(parsed.platform, batch_rows)
    # Channels in several files of this import (overlapping exports): read a message once.
    heads: dict[str, int] = {}
    for path in files:
        try:
            cid = str(_File(path).channel().get("id"))
        except (AttributeError, InputError):
            continue  # reported when the file is read
        heads[cid] = heads.get(cid, 0) + 1
    seen: dict[str, set[str]] = {c: set() for c, n in heads.items() if n > 1}
    done = 0
    for path in files:
        file = _File(path)
        for record, items in file.open():
            try:
                channel = _channel(record)
            except _BadRow as err:
                raise InputError(path, str(err), line=file.channel_line) from err
            if channel.direct:
                channel = _Channel(channel.id, channel.type, _File(path).participants())
            once = seen.get(channel.id)
            rows.known.clear()
            for line, m in items:
                if once is not None and isinstance(m, dict):
                    mid = str(m.get("id"))
                    if mid in once:
                        continue
                    once.add(mid)
                try:
                    rows.message(m, channel)
                except _BadRow as err:
                    if not skip:
                        raise InputError(path, str(err), line=line) from err
                    parsed.bad_rows += 1
                if rows.events.full:
                    yield Chunk("events", rows.events.flush(), path, done)
        done += path.stat().st_size
        if len(rows.events):
            yield Chunk("events", rows.events.flush(), path, done)
    yield Chunk("people", rows.people_batch(), files[-1], done)
