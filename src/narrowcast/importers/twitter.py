"""X/Twitter archives: the owner's tweets, likes, direct messages and follows as event rows.

Where to get it: on x.com, *Settings and privacy > Your account > Download an archive of your
data*; a day or so later a link gives ``twitter-YYYY-MM-DD-<hash>.zip``. Import the zip or
the folder it unzips to (``narrowcast import twitter twitter-2024-03-01-abc.zip``).

The archive's ``data/`` folder holds one JavaScript file per table, each a JSON array behind
an assignment, ``window.YTD.tweets.part0 = [ {...}, ... ]``; a large table is split into
``tweets.js``, ``tweets-part1.js``, ``tweets-part2.js`` ... (``window.YTD.tweets.part1``,
...), read in that order. The prefix is dropped and the array read item by item, so memory
holds one item (one tweet, one direct-message conversation) at a time. Person ids are the
numeric user ids, ``platform:id`` (``twitter:1001``), which unlike screen names never
change; items (tweets) keep their global ids, so two people's archives imported under one
platform meet on the same tweets, messages and follows without duplicates.

``account.js`` (required) -> the owner, and a ``people`` row
    ``accountId`` is the owner's id, the actor of everything the archive holds but the
    messages and follows others made; ``username`` the handle, ``accountDisplayName`` the
    display name, ``createdAt`` the ``created_at``. ``audience_size`` is the number of
    followers in ``follower.js`` when the archive has one. ``email`` is not kept.

``manifest.js`` (optional) -> when the archive was made
    ``window.__THAR_CONFIG = {...}``; ``archiveInfo.generationDate`` is the *archive time*
    that dates what the archive does not date (likes of old tweets, follows; see below).

``tweets.js`` (or the older ``tweet.js``) -> one row per tweet, ``event_id`` ``tweet:<id>``
    Each item is ``{"tweet": {...}}`` (older archives: the bare tweet). ``id_str`` (or
    ``id``) and ``created_at`` (``Wed Oct 10 20:19:24 +0000 2018``) are required; ``ts`` is
    ``created_at`` in UTC, the actor the owner. The kind is the first that applies:

    ======  =============================================================================
    share   a retweet: ``full_text`` starts ``RT @name:`` (or the tweet has
            ``retweeted_status``). ``target`` the retweeted user: ``retweeted_status.user``,
            else the ``entities.user_mentions`` entry with that screen name (archives keep
            no id of the original tweet, so ``parent_id`` is only set from
            ``retweeted_status``); no ``content_id``: a retweet is not an item of its own.
            ``subtype`` ``RT``.
    reply   ``in_reply_to_status_id_str`` or ``in_reply_to_user_id_str`` is set.
            ``target`` ``in_reply_to_user_id_str`` (else the user mentioned under
            ``in_reply_to_screen_name``), ``parent_id`` ``in_reply_to_status_id_str``,
            ``thread_id`` null (the store takes the parent's thread when the parent is in
            the log). A reply to oneself (a thread) has the owner as target.
            ``subtype`` ``reply``.
    quote   ``quoted_status_id_str`` is set, or an ``entities.urls`` link expands to a
            status, ``https://twitter.com/<name>/status/<id>`` (or ``x.com``,
            ``/i/web/status/<id>``). ``parent_id`` that status; ``target``
            ``quoted_status.user``, else the mentioned user or the owner of that screen
            name, else null (the store fills it when the quoted tweet is in the log).
            ``subtype`` ``quote``.
    post    anything else: ``content_id`` and ``thread_id`` the tweet's id.
            ``subtype`` ``tweet``.
    ======  =============================================================================

    Every kind but ``share`` has ``content_id`` the tweet's id. A post, reply or quote
    also gives one ``mention`` row per other user in ``entities.user_mentions`` (not the
    owner, not the row's target, not an unknown user of id ``-1``): ``event_id``
    ``tweet:<id>:mention:<user id>``, same ``ts``, ``target`` that user, ``thread_id`` the
    tweet's, no ``content_id`` (the tweet row made the item). A retweet's mentions are the
    original author's, not the owner's: none.

    ``text`` is ``full_text`` with HTML entities (``&amp;``, ``&lt;``, ``&gt;``) undone and
    each ``t.co`` link of ``entities.urls`` replaced by its ``expanded_url``, so that one
    link tweeted twice reads the same (echo detection compares links and hashtags).

    The owner's tweets (not retweets) with ``favorite_count`` or ``retweet_count`` above 0
    also give what they received, as anonymous aggregates like Stack Exchange's view
    counts: a ``like`` (``event_id`` ``favorite_count:<id>``) and a ``share``
    (``retweet_count:<id>``) with null actor, ``quantity`` the count, ``parent_id`` the
    tweet, ``ts`` and ``thread_id`` the tweet's, ``subtype`` the field's name; the store
    makes the owner their target. The archive has nothing else about who engaged with the
    owner.

``direct-messages.js`` -> ``message`` rows, ``private``
    Each item is ``{"dmConversation": {"conversationId", "messages": [...]}}``; every
    ``messageCreate`` entry is one row, ``event_id`` and ``content_id`` ``dm:<id>``,
    ``actor`` ``senderId``, ``target`` ``recipientId``, ``ts`` ``createdAt`` (ISO),
    ``thread_id`` ``dm:<conversationId>``, ``text`` the ``text`` with its ``urls`` expanded,
    ``subtype`` ``messageCreate``. Its ``reactions`` (``senderId``, ``reactionKey``,
    ``eventId``, ``createdAt``) are ``like`` rows on the message, private, ``event_id``
    ``dm-reaction:<eventId>``, ``target`` the message's sender, ``subtype``
    ``reaction:<reactionKey>``. Other entries (a conversation's name changed, ...) and
    ``direct-messages-group.js`` (group conversations, without recipients) are not read.

``like.js`` -> ``like`` rows, ``event_id`` ``like:<owner id>:<tweetId>``
    ``{"like": {"tweetId", "fullText", "expandedUrl"}}``: ``parent_id`` ``tweetId``,
    ``target`` null (a like names no author: the store fills it when the liked tweet is in
    the log, as the owner's own tweets or another imported archive's are), ``text``
    ``fullText`` (the author's words: a like makes no item, so they are never read as the
    owner's), ``subtype`` ``like``. Archives do not date likes. A tweet id since November
    2010 is a *snowflake* that holds the tweet's creation time,
    ``(id >> 22) + 1288834974657`` ms since the epoch; a like is dated then, the earliest
    it can have happened (most likes come within a day of the tweet). A like of an older
    tweet is dated at the archive time.

``follower.js``, ``following.js`` -> ``follow`` rows
    ``{"follower": {"accountId", "userLink"}}`` is that account following the owner,
    ``{"following": {...}}`` the owner following it; ``event_id``
    ``follow:<follower id>:<followed id>`` (one follow seen from both sides' archives is one
    event), ``subtype`` the file's table name. Archives do not date follows: they are the
    state on the day the archive was made, so they are dated at the archive time.

The *archive time* is ``manifest.js``'s ``generationDate``; without a manifest, the latest
tweet or message of the archive; without any, the account's ``createdAt``. An archive that
needs it and has none of the three is refused.

A ``people`` row is written for the owner and for every user named in a tweet
(``user_mentions``: ``screen_name`` as handle, ``name`` as display name; or
``in_reply_to_screen_name``), keeping the names of the latest tweet naming them. Users seen
only by id (followers, message partners) get the store's default row.

Other files (``deleted-tweets.js``, ``note-tweet.js``, ``profile.js``, ``block.js``,
``mute.js``, ads, ...) are not read. Everything but messages is ``public``; ``quantity`` is 1
but for the aggregates. A file that is not UTF-8 or not the ``window.YTD`` form, malformed
JSON, or an item without a required field raises an
:class:`~narrowcast.errors.InputError` naming the file, the line and the item (an item's
fault is skipped and counted under ``skip_bad_rows``).
"""

from __future__ import annotations

import html
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import IO, Any, TypeGuard

import pyarrow as pa

from narrowcast.errors import InputError, ParameterError
from narrowcast.importers._common import iso_to_micros
from narrowcast.importers._json import JsonStream
from narrowcast.model import EVENTS, PEOPLE, Chunk, Parsed, RowBuffer

__all__ = ["parse_twitter", "read_twitter"]

_ARCHIVE = "an X/Twitter archive: its .zip, or the folder holding data/account.js"
_EXPECTED_JS = "window.YTD.<name>.part<N> = [ ... ] (a JSON array)"
_TIME_EXAMPLE = "'Wed Oct 10 20:19:24 +0000 2018'"
_ISO_EXAMPLE = "'2018-10-10T20:19:24.000Z'"

#: The tables read, in order: (file stem, item key, optional older stem). Tweets and
#: messages come before likes and follows, which may need the archive time they give.
_TABLES: tuple[tuple[str, str, str | None], ...] = (
    ("tweets", "tweet", "tweet"),
    ("direct-messages", "dmConversation", None),
    ("like", "like", None),
    ("follower", "follower", None),
    ("following", "following", None),
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Twitter's snowflake epoch (2010-11-04T01:42:54.657Z) in ms, and the smallest id taken as
#: a snowflake: sequential ids before them stayed below 3e10, snowflakes of 2010-11-06 on
#: are above 1e15.
_SNOWFLAKE_EPOCH_MS = 1288834974657
_SNOWFLAKE_MIN = 10**15
_RT = re.compile(r"RT @(\w+):")
_STATUS_URL = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?:i/web|(\w+))/status(?:es)?/(\d+)",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"[0-9]+")


class _BadRow(ValueError):
    """An item that cannot become rows; the message says which field and why."""


# --- folders and archives ----------------------------------------------------------------


class _Container:
    """A folder, ``.zip`` or ``.tar(.gz)`` holding an export's files, by relative name.

    ``find`` and ``members`` list files without reading them; ``open`` gives a file's bytes.
    """

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.tar: tarfile.TarFile | None = None
        self.entries: dict[str, Any] = {}
        if not path.exists():
            raise InputError(path, f"no such file or folder; expected {what}")
        if path.is_dir():
            return
        name = path.name.lower()
        try:
            if zipfile.is_zipfile(path):
                self.zip = zipfile.ZipFile(path)
                self.entries = {i.filename: i for i in self.zip.infolist() if not i.is_dir()}
            elif name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
                self.tar = tarfile.open(path)  # noqa: SIM115 - closed by close()
                self.entries = {m.name: m for m in self.tar.getmembers() if m.isfile()}
            else:
                raise InputError(path, f"is not a folder, a .zip or a .tar.gz; expected {what}")
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError) as err:
            detail = str(err) or type(err).__name__
            raise InputError(path, f"cannot be read: {detail}; expected {what}") from err

    @property
    def is_archive(self) -> bool:
        return self.zip is not None or self.tar is not None

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()
        if self.tar is not None:
            self.tar.close()

    def __enter__(self) -> _Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def members(self, folder: str) -> list[str]:
        """Names of the files directly in ``folder`` ("" the top, else ending in "/")."""
        if not self.is_archive:
            base = self.path / folder
            if not base.is_dir():
                return []
            return [folder + p.name for p in base.iterdir() if p.is_file()]
        return [n for n in self.entries if n.startswith(folder) and "/" not in n[len(folder) :]]

    def find(self, name: str) -> str | None:
        """The folder (e.g. "" or "data/") of the shallowest file called ``name``."""
        if not self.is_archive:
            if (self.path / name).is_file():
                return ""
            for sub in sorted(self.path.iterdir()):
                if sub.is_dir() and (sub / name).is_file():
                    return sub.name + "/"
            return None
        found = [n for n in self.entries if n == name or n.endswith("/" + name)]
        if not found:
            return None
        best = min(found, key=lambda n: (n.count("/"), n))
        return best[: len(best) - len(name)]

    def display(self, name: str) -> Path:
        """The path of a file for messages: inside an archive, archive/name."""
        return self.path / name

    def size(self, name: str) -> tuple[int, int]:
        """(bytes on disk, bytes once read): they differ for compressed archive members."""
        if self.zip is not None:
            info = self.entries[name]
            return info.compress_size, info.file_size
        if self.tar is not None:
            return self.entries[name].size, self.entries[name].size
        n = (self.path / name).stat().st_size
        return n, n

    def open(self, name: str) -> IO[bytes]:
        if self.zip is not None:
            return self.zip.open(self.entries[name])
        if self.tar is not None:
            f = self.tar.extractfile(self.entries[name])
            assert f is not None  # a regular file
            return f
        return open(self.path / name, "rb")


def _parts(container: _Container, folder: str, stem: str) -> list[str]:
    """``stem.js``, ``stem-part1.js``, ``stem-part2.js`` ... in ``folder``, in part order."""
    pattern = re.compile(re.escape(stem) + r"(?:-part([0-9]+))?\.js")
    found = []
    for name in container.members(folder):
        m = pattern.fullmatch(name[len(folder) :])
        if m:
            found.append((int(m.group(1) or 0), name))
    return [name for _, name in sorted(found)]


# --- the reader ---------------------------------------------------------------------------


def read_twitter(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    batch_rows: int = 65_536,
    block_bytes: int = 1 << 20,
) -> Parsed:
    """Read an X/Twitter archive: the ``.zip`` or the folder it unzips to.

    Parameters
    ----------
    paths
        One archive: the ``.zip``, the folder holding ``data/``, or ``data/`` itself.
    platform
        Community name for the rows and their person ids (default ``twitter``).
    skip_bad_rows
        Skip and count items without a usable id or time instead of stopping at the first.
        Malformed JSON stays fatal: the rest of the file cannot be found after it.
    batch_rows
        Most rows per record batch handed to the store.
    block_bytes
        How many bytes are read from a file at a time.

    Returns
    -------
    Parsed
        ``events`` rows file by file (tweets, messages, likes, followers, following), then
        the ``people`` rows, as listed in the module's documentation. ``paths`` are the
        files read, or the zip.

    Raises
    ------
    InputError
        The path is missing or holds no ``account.js``; a file is empty, not UTF-8, not of
        the ``window.YTD... = [...]`` form or malformed JSON; an item lacks a required field
        (unless ``skip_bad_rows``). The message names the file, the line and what was
        expected.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = Path(folder, "data")
    ...     data.mkdir()
    ...     _ = (data / "account.js").write_text(
    ...         'window.YTD.account.part0 = [{"account": {"accountId": "1", "username": "ann"}}]'
    ...     )
    ...     _ = (data / "tweets.js").write_text(
    ...         'window.YTD.tweets.part0 = [{"tweet": {"id_str": "10", "full_text": "@bo yes",'
    ...         ' "created_at": "Fri Mar 01 09:00:00 +0000 2024", "in_reply_to_status_id_str":'
    ...         ' "9", "in_reply_to_user_id_str": "2", "entities": {"user_mentions": ['
    ...         '{"id_str": "2", "screen_name": "bo", "name": "Bo"}]}}}]'
    ...     )
    ...     chunks = list(read_twitter([folder]))
    >>> events = chunks[0].batch.select(["event_id", "actor", "kind", "target", "parent_id"])
    >>> for row in events.to_pylist():
    ...     print(*row.values())
    tweet:10 twitter:1 reply twitter:2 9
    >>> chunks[1].batch.select(["id", "handle"]).to_pylist()
    [{'id': 'twitter:1', 'handle': 'ann'}, {'id': 'twitter:2', 'handle': 'bo'}]
    """
    platform = platform or "twitter"
    if isinstance(paths, (str, PathLike)) or len(paths) != 1:
        raise ParameterError.expected("paths", "read_twitter", "a list of one archive", paths)
    with _Container(Path(paths[0]), _ARCHIVE) as container:
        folder = container.find("account.js")
        if folder is None:
            raise InputError(
                container.path,
                f"is not an X/Twitter archive: no data/account.js; expected {_ARCHIVE}",
            )
        files: list[tuple[str, str, str]] = [("account", "account", folder + "account.js")]
        manifest = folder + "manifest.js"
        if manifest in container.members(folder):
            files.append(("manifest", "manifest", manifest))
        for stem, key, older in _TABLES:
            names = _parts(container, folder, stem)
            if not names and older:
                names = _parts(container, folder, older)
            files += [(stem, key, name) for name in names]
        for _, _, name in files:
            if container.size(name)[1] == 0:
                raise InputError(container.display(name), f"is empty; expected {_EXPECTED_JS}")
        sizes = {name: container.size(name) for _, _, name in files}
        archive = container.is_archive
        shown = [container.path] if archive else [container.display(n) for _, _, n in files]
    parsed = Parsed(
        format="twitter",
        platform=platform,
        paths=shown,
        chunks=(),
        total_bytes=sum(disk for disk, _ in sizes.values()),
    )
    parsed.chunks = _chunks(
        parsed, Path(paths[0]), files, sizes, skip_bad_rows, batch_rows, block_bytes
    )
    return parsed


def _chunks(
    parsed: Parsed,
    path: Path,
    files: list[tuple[str, str, str]],
    sizes: dict[str, tuple[int, int]],
    skip_bad_rows: bool,
    batch_rows: int,
    block_bytes: int,
) -> Iterator[Chunk]:
    tw = _Twitter(parsed.platform, skip_bad_rows)
    buf = RowBuffer("events", batch_rows=batch_rows)
    done = 0
    with _Container(path, _ARCHIVE) as container:
        for stem, key, name in files:
            shown = container.display(name)
            disk, length = sizes[name]
            with container.open(name) as raw:
                stream = JsonStream(raw, shown, _EXPECTED_JS, block_bytes=block_bytes)
                stream.skip_assignment()
                if stem == "manifest":
                    tw.manifest(stream.value(), shown)
                else:
                    for index, (line, item) in enumerate(stream.array(_EXPECTED_JS)):
                        for row in tw.rows(stem, key, item, shown, line, index):
                            buf.add(**row)
                        if buf.full:
                            parsed.bad_rows = tw.bad_rows
                            at = done + disk * min(stream.bytes_read, length) // max(length, 1)
                            yield Chunk("events", buf.flush(), shown, at)
                stream.end()
                tw.done(stem, shown)
                parsed.bad_rows = tw.bad_rows
                if len(buf):
                    yield Chunk("events", buf.flush(), shown, done + disk)
            done += disk
    yield Chunk("people", tw.people(), path, done)


def parse_twitter(
    tables: Mapping[str, Any],
    *,
    platform: str = "twitter",
    skip_bad_rows: bool = False,
) -> tuple[pa.Table, pa.Table, int]:
    """Events, people and the number of skipped items of an archive held in memory.

    ``tables`` maps a file's name without ``.js`` (``account``, ``manifest``, ``tweets`` or
    ``tweet``, ``direct-messages``, ``like``, ``follower``, ``following``) to its content
    after the ``window.YTD... =``: a list of items (the manifest: its object). ``account``
    is required; the others are read in the order of the module's documentation.

    >>> events, people, bad = parse_twitter({
    ...     "account": [{"account": {"accountId": "1", "username": "ann"}}],
    ...     "manifest": {"archiveInfo": {"generationDate": "2024-03-02T00:00:00.000Z"}},
    ...     "following": [{"following": {"accountId": "7"}}],
    ... })
    >>> row = events.to_pylist()[0]
    >>> row["event_id"], row["actor"], row["kind"], row["target"], str(row["ts"])
    ('follow:1:7', 'twitter:1', 'follow', 'twitter:7', '2024-03-02 00:00:00+00:00')
    >>> people.column("handle").to_pylist(), bad
    (['ann'], 0)
    """
    tw = _Twitter(platform, skip_bad_rows)
    steps = [("account", "account", "account")]
    for stem, key, older in _TABLES:
        if stem in tables:
            steps.append((stem, key, stem))
        elif older and older in tables:
            steps.append((stem, key, older))
    buf = RowBuffer("events")
    for stem, key, name in steps:
        shown = Path(f"{name}.js")
        for index, item in enumerate(tables.get(name, ())):
            for row in tw.rows(stem, key, item, shown, None, index):
                buf.add(**row)
        tw.done(stem, shown)
        if stem == "account" and "manifest" in tables:
            tw.manifest(tables["manifest"], Path("manifest.js"))
    events = pa.Table.from_batches([buf.flush()], schema=EVENTS)
    people = pa.Table.from_batches([tw.people()], schema=PEOPLE)
    return events, people, tw.bad_rows


# --- items to rows ------------------------------------------------------------------------


class _Twitter:
    """Turns archive items into event rows (dicts of columns), remembering the owner, the
    archive time and the people named."""

    def __init__(self, platform: str, skip_bad_rows: bool) -> None:
        self.platform = platform
        self.skip_bad_rows = skip_bad_rows
        self.bad_rows = 0
        self.prefix = platform + ":"
        self.owner: str | None = None  # raw id
        self.owner_row: dict[str, Any] = {}
        self.generated: int | None = None  # manifest generationDate
        self.latest: int | None = None  # latest tweet or message
        self.followers: int | None = None
        # raw id -> (ts of the latest tweet naming them, handle, display name)
        self.named: dict[str, tuple[int, str | None, str | None]] = {}
        # Faults of the current item: (why, which message of a conversation or None).
        self._faults: list[tuple[str, int | None]] = []
        self.handlers: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
            "account": self._account,
            "tweets": self._tweet,
            "direct-messages": self._conversation,
            "like": self._like,
            "follower": self._follower,
            "following": self._following,
        }

    # -- plumbing

    def rows(
        self, stem: str, key: str, item: Any, path: Path, line: int | None, index: int
    ) -> list[dict[str, Any]]:
        """The rows of one item of the table ``stem``: [] for a bad item under
        ``skip_bad_rows`` (counted), else an InputError naming file, line and item."""
        try:
            rows = self._item(stem, key, item)
        except _BadRow as err:
            self._faults = [(str(err), None)]
            rows = []
        faults, self._faults = self._faults, []
        if faults:
            if not self.skip_bad_rows:
                why, n = faults[0]
                where = f"item {index + 1}" + (f", message {n}" if n else "")
                raise InputError(path, why, line=line, where=where)
            self.bad_rows += len(faults)
        return rows

    def _item(self, stem: str, key: str, item: Any) -> list[dict[str, Any]]:
        if not isinstance(item, dict):
            raise _BadRow(f"item is {_json_type(item)}; expected an object {{{key!r}: {{...}}}}")
        body = item.get(key)
        if body is None and stem == "tweets" and ("id_str" in item or "id" in item):
            body = item  # archives of 2018-2019 hold bare tweets
        if not isinstance(body, dict):
            have = ", ".join(repr(k) for k in list(item)[:3]) or "no keys"
            raise _BadRow(f"item has {have}; expected an object {{{key!r}: {{...}}}}")
        if stem == "account" and self.owner is not None:
            return []  # one owner: the first account item
        return self.handlers[stem](body)

    def done(self, stem: str, path: Path) -> None:
        """After a file: the account file must have given the owner."""
        if stem == "account" and self.owner is None:
            raise InputError(path, f"names no account; expected {_ARCHIVE}")

    def _pid(self, raw: str) -> str:
        return self.prefix + raw

    def _name(self, ts: int, uid: Any, handle: Any, name: Any) -> None:
        if not _is_id(uid) or uid == self.owner:
            return
        old = self.named.get(uid)
        handle = handle if isinstance(handle, str) and handle else None
        name = name if isinstance(name, str) and name else None
        if old is None or ts >= old[0]:
            self.named[uid] = (ts, handle or (old and old[1]), name or (old and old[2]))
        else:
            self.named[uid] = (old[0], old[1] or handle, old[2] or name)

    def archive_time(self, what: str) -> int:
        for when in (self.generated, self.latest, self.owner_row.get("created_at")):
            if when is not None:
                return int(when)
        raise _BadRow(
            f"{what} has no date and the archive gives none: expected data/manifest.js "
            "(archiveInfo.generationDate), a tweet or a message, or account.js createdAt"
        )

    def manifest(self, value: Any, path: Path) -> None:
        info = value.get("archiveInfo") if isinstance(value, dict) else None
        when = info.get("generationDate") if isinstance(info, dict) else None
        if when is None:
            return
        try:
            self.generated = iso_to_micros(when)
        except (TypeError, ValueError) as err:
            raise InputError(
                path,
                f"archiveInfo.generationDate {when!r} is not a time; expected e.g. {_ISO_EXAMPLE}",
            ) from err

    def _seen(self, ts: int) -> None:
        if self.latest is None or ts > self.latest:
            self.latest = ts

    # -- tables

    def _account(self, a: dict[str, Any]) -> list[dict[str, Any]]:
        uid = a.get("accountId")
        if not _is_id(uid):
            raise _BadRow(f"account has accountId {uid!r}; expected the owner's numeric id")
        created = a.get("createdAt")
        self.owner = uid
        self.owner_row = {
            "id": self._pid(uid),
            "platform": self.platform,
            "handle": a.get("username"),
            "display_name": a.get("accountDisplayName"),
            "created_at": _iso(created, "createdAt") if created else None,
        }
        return []

    def _tweet(self, t: dict[str, Any]) -> list[dict[str, Any]]:
        tid = t.get("id_str", t.get("id"))
        if isinstance(tid, int):
            tid = str(tid)
        if not _is_id(tid):
            raise _BadRow(f"tweet has id_str {tid!r}; expected the tweet's numeric id")
        ts = _twitter_time(t.get("created_at"))
        self._seen(ts)
        owner = self.owner
        entities: dict[str, Any] = t["entities"] if isinstance(t.get("entities"), dict) else {}
        mentions = [m for m in _list(entities.get("user_mentions")) if isinstance(m, dict)]
        by_name = {
            m["screen_name"].lower(): m.get("id_str")
            for m in mentions
            if isinstance(m.get("screen_name"), str) and _is_id(m.get("id_str"))
        }
        for m in mentions:
            self._name(ts, m.get("id_str"), m.get("screen_name"), m.get("name"))
        raw_text = t.get("full_text", t.get("text"))
        text = _expand(raw_text, entities.get("urls"), "expanded_url")
        if isinstance(text, str):
            text = html.unescape(text)

        target: str | None = None
        parent: str | None = None
        content: str | None = tid
        thread: str | None = None
        rt = _RT.match(raw_text) if isinstance(raw_text, str) else None
        retweeted = t.get("retweeted_status")
        reply_status = _str_id(t.get("in_reply_to_status_id_str"))
        reply_user = _str_id(t.get("in_reply_to_user_id_str"))
        quoted = _str_id(t.get("quoted_status_id_str"))
        quoted_user: str | None = None
        quoted_name: str | None = None
        if quoted is not None:
            user = _dig(t, "quoted_status", "user")
            quoted_user = _str_id(user.get("id_str")) if isinstance(user, dict) else None
        else:
            for u in _list(entities.get("urls")):
                url = u.get("expanded_url") if isinstance(u, dict) else None
                found = _STATUS_URL.match(url) if isinstance(url, str) else None
                if found:
                    quoted_name, quoted = found.group(1), found.group(2)
                    break
        if rt or isinstance(retweeted, dict):
            kind, subtype, content = "share", "RT", None
            if isinstance(retweeted, dict):
                parent = _str_id(retweeted.get("id_str"))
                user = retweeted.get("user")
                if isinstance(user, dict):
                    target = _str_id(user.get("id_str"))
                    self._name(ts, target, user.get("screen_name"), user.get("name"))
            if target is None and rt:
                target = by_name.get(rt.group(1).lower())
        elif reply_status is not None or reply_user is not None:
            kind, subtype = "reply", "reply"
            parent = reply_status
            target = reply_user
            screen = t.get("in_reply_to_screen_name")
            if target is None and isinstance(screen, str):
                target = by_name.get(screen.lower())
            if target is not None:
                self._name(ts, target, screen, None)
        elif quoted is not None:
            kind, subtype = "quote", "quote"
            parent = quoted
            target = quoted_user
            if target is None and quoted_name:
                if quoted_name.lower() == str(self.owner_row.get("handle") or "").lower():
                    target = owner
                else:
                    target = by_name.get(quoted_name.lower())
        else:
            kind, subtype, thread = "post", "tweet", tid
        rows = [
            _event(
                f"tweet:{tid}",
                ts,
                self.platform,
                self._pid(owner),  # type: ignore[arg-type]
                kind,
                target=self._pid(target) if target else None,
                content_id=content,
                parent_id=parent,
                thread_id=thread,
                subtype=subtype,
                text=text,
            )
        ]
        if kind != "share":
            named: set[str] = set()
            for m in mentions:
                uid = m.get("id_str")
                if not _is_id(uid) or uid in (owner, target) or uid in named:
                    continue
                named.add(uid)
                rows.append(
                    _event(
                        f"tweet:{tid}:mention:{uid}",
                        ts,
                        self.platform,
                        self._pid(owner),  # type: ignore[arg-type]
                        "mention",
                        target=self._pid(uid),
                        thread_id=thread,
                        subtype="user_mentions",
                    )
                )
            for field, agg in (("favorite_count", "like"), ("retweet_count", "share")):
                n = _count(t.get(field))
                if n:
                    rows.append(
                        _event(
                            f"{field}:{tid}",
                            ts,
                            self.platform,
                            None,
                            agg,
                            parent_id=tid,
                            thread_id=thread,
                            subtype=field,
                            quantity=n,
                        )
                    )
        return rows

    def _conversation(self, c: dict[str, Any]) -> list[dict[str, Any]]:
        conv = c.get("conversationId")
        if not isinstance(conv, str) or not conv:
            raise _BadRow(f"dmConversation has conversationId {conv!r}; expected e.g. '1-2'")
        thread = f"dm:{conv}"
        rows = []
        for n, entry in enumerate(_list(c.get("messages")), 1):
            m = entry.get("messageCreate") if isinstance(entry, dict) else None
            if not isinstance(m, dict):
                continue
            try:
                rows += self._message(m, thread)
            except _BadRow as err:
                self._faults.append((str(err), n))
        return rows

    def _message(self, m: dict[str, Any], thread: str) -> list[dict[str, Any]]:
        mid, sender = m.get("id"), m.get("senderId")
        if not _is_id(mid):
            raise _BadRow(f"messageCreate has id {mid!r}; expected the message's numeric id")
        if not _is_id(sender):
            raise _BadRow(f"messageCreate has senderId {sender!r}; expected a numeric user id")
        ts = _iso(m.get("createdAt"), "createdAt")
        self._seen(ts)
        recipient = m.get("recipientId")
        item = f"dm:{mid}"
        rows = [
            _event(
                item,
                ts,
                self.platform,
                self._pid(sender),
                "message",
                target=self._pid(recipient) if _is_id(recipient) else None,
                content_id=item,
                thread_id=thread,
                visibility="private",
                subtype="messageCreate",
                text=_expand(m.get("text"), m.get("urls"), "expanded"),
            )
        ]
        for r in _list(m.get("reactions")):
            if not isinstance(r, dict) or not _is_id(r.get("senderId")):
                continue
            key = r.get("reactionKey") or "reaction"
            eid = r.get("eventId")
            rows.append(
                _event(
                    f"dm-reaction:{eid}" if eid else f"dm-reaction:{mid}:{r['senderId']}:{key}",
                    _iso(r.get("createdAt"), "reactions.createdAt") if r.get("createdAt") else ts,
                    self.platform,
                    self._pid(r["senderId"]),
                    "like",
                    target=self._pid(sender),
                    parent_id=item,
                    thread_id=thread,
                    visibility="private",
                    subtype=f"reaction:{key}",
                )
            )
        return rows

    def _like(self, like: dict[str, Any]) -> list[dict[str, Any]]:
        tid = like.get("tweetId")
        if not _is_id(tid):
            raise _BadRow(f"like has tweetId {tid!r}; expected the liked tweet's numeric id")
        ts = _snowflake_micros(tid)
        if ts is None:
            ts = self.archive_time("a like of a tweet older than November 2010")
        text = like.get("fullText")
        return [
            _event(
                f"like:{self.owner}:{tid}",
                ts,
                self.platform,
                self._pid(self.owner),  # type: ignore[arg-type]
                "like",
                parent_id=tid,
                subtype="like",
                text=text if isinstance(text, str) else None,
            )
        ]

    def _follow(self, f: dict[str, Any], table: str) -> list[dict[str, Any]]:
        uid = f.get("accountId")
        if not _is_id(uid):
            raise _BadRow(f"{table} has accountId {uid!r}; expected a numeric user id")
        follower, followed = (uid, self.owner) if table == "follower" else (self.owner, uid)
        return [
            _event(
                f"follow:{follower}:{followed}",
                self.archive_time("a follow"),
                self.platform,
                self._pid(follower),  # type: ignore[arg-type]
                "follow",
                target=self._pid(followed),  # type: ignore[arg-type]
                subtype=table,
            )
        ]

    def _follower(self, f: dict[str, Any]) -> list[dict[str, Any]]:
        self.followers = (self.followers or 0) + 1
        return self._follow(f, "follower")

    def _following(self, f: dict[str, Any]) -> list[dict[str, Any]]:
        return self._follow(f, "following")

    def people(self) -> pa.RecordBatch:
        """The owner, then everyone named in a tweet, by id."""
        buf = RowBuffer("people", batch_rows=len(self.named) + 2)
        if self.owner_row:
            buf.add(**self.owner_row, audience_size=self.followers)
        for uid in sorted(self.named, key=lambda u: (len(u), u)):
            _, handle, name = self.named[uid]
            buf.add(id=self._pid(uid), platform=self.platform, handle=handle, display_name=name)
        return buf.flush()


# --- small helpers ------------------------------------------------------------------------


def _event(
    event_id: str,
    ts: int,
    platform: str,
    actor: str | None,
    kind: str,
    *,
    target: str | None = None,
    content_id: str | None = None,
    parent_id: str | None = None,
    thread_id: str | None = None,
    visibility: str = "public",
    quantity: int = 1,
    subtype: str | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    """One event row as RowBuffer.add takes it."""
    return {
        "event_id": event_id,
        "ts": ts,
        "platform": platform,
        "actor": actor,
        "kind": kind,
        "target": target,
        "content_id": content_id,
        "parent_id": parent_id,
        "thread_id": thread_id,
        "visibility": visibility,
        "quantity": quantity,
        "subtype": subtype,
        "text": text,
    }


def _is_id(value: Any) -> TypeGuard[str]:
    """A numeric id as the archive writes it: a string of digits (``-1`` is no one)."""
    return isinstance(value, str) and _DIGITS.fullmatch(value) is not None


def _str_id(value: Any) -> str | None:
    if isinstance(value, int) and value >= 0:
        return str(value)
    return value if _is_id(value) else None


def _count(value: Any) -> int:
    """A count the archive writes as text ("3") or a number; 0 if neither."""
    if isinstance(value, int):
        return max(value, 0)
    return int(value) if _is_id(value) else 0


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dig(d: Any, *keys: str) -> Any:
    for k in keys:
        d = d.get(k) if isinstance(d, dict) else None
    return d


def _json_type(value: Any) -> str:
    return {
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), "a value")


def _expand(text: Any, urls: Any, field: str) -> str | None:
    """The text with each short link of ``urls`` replaced by its expanded form."""
    if not isinstance(text, str):
        return None
    out: str = text
    for u in _list(urls):
        if isinstance(u, dict):
            short, long = u.get("url"), u.get(field)
            if isinstance(short, str) and short and isinstance(long, str) and long:
                out = out.replace(short, long)
    return out


def _twitter_time(text: Any) -> int:
    """Microseconds since the epoch of ``Wed Oct 10 20:19:24 +0000 2018``.

    >>> _twitter_time("Thu Jan 01 00:00:01 +0000 1970")
    1000000
    """
    try:
        _, month, day, hms, zone, year = text.split()
        hour, minute, second = hms.split(":")
        when = datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
        if len(zone) != 5 or zone[0] not in "+-" or not zone[1:].isdigit():
            raise ValueError(zone)
        offset = (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60) * (-1 if zone[0] == "-" else 1)
    except (AttributeError, ValueError, KeyError, TypeError):
        if text is None:
            raise _BadRow(f"tweet has no created_at; expected e.g. {_TIME_EXAMPLE}") from None
        raise _BadRow(f"created_at {text!r} is not a time; expected e.g. {_TIME_EXAMPLE}") from None
    delta = when - _EPOCH
    return ((delta.days * 86_400 + delta.seconds) - offset) * 1_000_000


def _iso(text: Any, name: str) -> int:
    try:
        return iso_to_micros(text)
    except (TypeError, ValueError):
        if text is None:
            raise _BadRow(f"no {name}; expected a time such as {_ISO_EXAMPLE}") from None
        raise _BadRow(f"{name} {text!r} is not a time; expected e.g. {_ISO_EXAMPLE}") from None


def _snowflake_micros(tweet_id: str) -> int | None:
    """When a tweet was made, read from its snowflake id; None for ids before them.

    >>> _snowflake_micros("1050118621198921728")  # 2018-10-10T20:19:24.xxx
    1539202764211000
    >>> _snowflake_micros("20") is None  # sequential ids of 2006-2010
    True
    """
    n = int(tweet_id)
    if n < _SNOWFLAKE_MIN:
        return None
    return ((n >> 22) + _SNOWFLAKE_EPOCH_MS) * 1000
