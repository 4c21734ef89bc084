"""Mailing-list archives: mbox files and Mailman 2 "pipermail" text archives.

A message is a ``post``, or a ``reply`` when its ``In-Reply-To`` or ``References`` header
names the message it answers. Pipermail keeps only ``From``, ``Date``, ``Subject``,
``In-Reply-To``, ``References`` and ``Message-ID``, so recipients are unknown: a reply's
target is left null and the store fills it with the author of the parent message when that
message is in the log (a reply to a message outside the archive keeps a null target).

Splitting messages
------------------
A message starts at an *envelope line*, and only there. Two forms are recognised:

- pipermail: ``From <sender>  <Day> <Mon> <dd> <HH:MM:SS> <YYYY>`` -- two spaces before
  the weekday, the sender possibly obfuscated with spaces in it
  (``From edd at debian.org  Fri May 22 13:38:22 2015``);
- standard mbox: ``From <addr> <Day> <Mon> <dd> <HH:MM:SS> [+hhmm ]<YYYY>``, the sender one
  word (``From edd@debian.org Fri May 22 13:38:22 2015``; the optional zone is Gmail's).

Pipermail does not escape body lines starting with "From ", so splitting on every such
line (as :class:`mailbox.mbox` does) cuts 33 messages of the R-package-devel archive in two;
a body line such as "From here on, ..." never matches the whole envelope form. In standard
mbox bodies, ``>From `` lines are unescaped (mboxrd: one ``>`` removed).

The event of a message
----------------------
``content_id``
    The ``Message-ID`` without its angle brackets. A message without one gets the sha1 hex
    digest of its raw ``From`` (or envelope sender), ``Date`` (or envelope date) and
    ``Subject`` values joined by newlines, so re-importing it gives the same id.
``parent_id``
    The first ``<...>`` of ``In-Reply-To`` (text after it, such as
    ``(Uwe Ligges's message of "...")``, is ignored), else the last id of ``References``.
``thread_id``
    The first id of ``References``; else null for a reply (the store follows the parent
    chain) and the message's own id for a post.
``event_id``
    ``content_id + "@" + ts`` in whole UTC seconds: the R-package-devel archive holds three
    Message-IDs twice for distinct messages, which this keeps apart, while importing the same
    archive again adds nothing.
``ts``
    The ``Date`` header in UTC (no offset, or ``-0000``, is taken as UTC); when it is
    missing or not a date, the envelope line's date. A message with neither is a bad row.
``text``
    ``Subject + "\\n\\n" + body``, used only for echo detection, with the body in the
    sender's own words: lines quoting another message (starting with ``>``; in a standard
    mbox, after its ``>From`` escaping is undone) are left out. In R-package-devel they are
    half the text, and a link quoted in a reply is not the replier's use of it: kept, every
    reply quoting a link counted as an echo of it.

One sender is one person: the identity rule
-------------------------------------------
Pipermail obfuscates sender addresses, and the style changed over the years:

=================  ==============================================================
2015 -- 2018Q2     ``edd at debian.org (Dirk Eddelbuettel)``
2018Q3 -- 2018Q4   ``bbolker @ending from gm@il@com (Ben Bolker)``  (a, s, '.' -> @)
2019Q1 onward      ``||gge@ @end|ng |rom @t@t|@t|k@tu-dortmund@de (Uwe Ligges)``
                   (a, s, '.' -> @; i, l, f -> |)
no display name    ``luke-tier@ey m@ili@g off uiow@@edu (luke-tier@ey m@ili@g off ...)``
                   (a, n, '.' -> @; from 2019 i, l, f -> i), the address doubled as name
=================  ==============================================================

A sender's person id is ``person_id(platform, address_skeleton(address))``:

1. the address is lowercased and its separator -- ``" at "``, ``" @ending from "``,
   ``" @end|ng |rom "``, ``" m@ili@g off "``, ``" m@iii@g oii "`` or a plain
   ``" sending from "`` -- becomes ``@``;
2. the *skeleton* maps every character some style substitutes to one class:
   ``a s n . @`` -> ``@`` and ``i l f |`` -> ``|``.

Every style of one address, and the clean ``name@host`` of a standard mbox, thus gives one
skeleton, so a list imported from both formats agrees. The handle is the latest display
name (by message time; the part in parentheses, or before ``<addr>``; MIME encoded-words
decoded, quotes removed, whitespace collapsed), else the latest address seen in a clean style
(``at`` or a standard mbox), else the latest normalised address. A display name that is only
the address again counts as none. The people table lists the other display names and the
address forms seen in ``attributes``, and ``email``, the latest address seen in a clean
style (``narrowcast link --suggest`` offers links by it).

On the 2015Q2--2022Q4 part of R-package-devel (8,087 messages, 1,140 address strings, 882
distinct display names ignoring case) this gives 882 people: Dirk Eddelbuettel, Ben Bolker,
Uwe Ligges and Duncan Murdoch are one person each across the styles. 45 people posted
under several display names (all variants of one name: "J C Nash"/"ProfJCNash",
"Fox, John"/"John Fox"); 31 display names belong to several skeletons (people who posted from
two addresses, e.g. Martin Maechler, Henrik Bengtsson): linking those is a matter for the
``identities`` table, not for this rule. The skeleton is lossy by design; two different
clean addresses of this archive never share one.

Reading is streaming: the archive is read in blocks of whole lines, envelope lines are
found among each block's lines starting with "From ", and only the current block, the
message it leaves unfinished and the per-person table are held in memory. The messages a block
completes are read a column at a time where they have the usual form (a blank line after
the headers, ``From``, ``Date`` and ``Message-ID`` present, the date in RFC 2822's numeric
form, ids in ``<...>``: 99.7% of R-package-devel): a C module (``_mboxscan.c``) finds
the envelope lines and walks each message's lines for its headers, date, ids and the
sender's own lines, without Python's lock, and Arrow's kernels read the senders and
subjects, in about a third of the time message by message takes; any other message is read
by itself. Both ways give the same events, by the rules above (the tests hold them equal).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import queue
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from narrowcast.errors import InputError
from narrowcast.importers import _mboxscan
from narrowcast.importers._common import Input, check_files, open_binary, read_errors, total_size
from narrowcast.model import EVENTS, PEOPLE, Chunk, Parsed, RowBuffer, person_id

__all__ = ["address_skeleton", "parse_mbox", "read_mbox"]

_EXPECTED = "an mbox or pipermail archive"
_EXPECTED_MESSAGES = (
    "expected an mbox or pipermail archive: messages starting with "
    "'From sender  Day Mon dd HH:MM:SS YYYY' lines"
)
_DATE_EXAMPLE = "expected e.g. 'Date: Fri, 22 May 2015 06:38:22 -0500'"

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}

# The pattern starts with a literal "\n" (the text is searched with one prepended) rather
# than "^": a literal prefix lets the regex engine skip to candidates, ten times faster.
# Groups: sender, date text, month, day, hour, minute, second, zone, year.
_ENVELOPE = re.compile(
    r"\nFrom (\S+|.+ ) "
    r"((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (" + "|".join(_MONTH_NAMES) + r") ([ 0-9]?[0-9]) "
    r"([0-9][0-9]):([0-9][0-9]):([0-9][0-9]) (?:([+-][0-9]{4}) )?([0-9]{4}))[ \t]*$",
    re.MULTILINE,
)
# A header: name, and value with its continuation lines. Also searched from a newline.
_HEADER = re.compile(r"\n([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)")
_WANTED = frozenset({"from", "date", "subject", "message-id", "in-reply-to", "references"})
_NON_BLANK = re.compile(r"\S")
_ANGLE = re.compile(r"<([^<>]*)>")
_QUOTED_FROM = re.compile(r"^>(>*From )", re.MULTILINE)
_QUOTED_LINE = re.compile(r"^>[^\n]*\n?", re.MULTILINE)
_DATE = re.compile(
    r"\s*(?:[A-Za-z]{3},\s*)?([0-9]{1,2})\s+([A-Za-z]{3})\s+([0-9]{4})\s+"
    r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\s+([+-])([0-9]{2})([0-9]{2})\s*(?:\(.*\))?\s*"
)
# The separators pipermail puts between the local part and the domain, lowercased.
_SEPARATOR = re.compile(
    r"\s+(?:at|@ending from|@end\|ng \|rom|m@ili@g off|m@iii@g oii|sending from)\s+"
)
_CLEAN_SEPARATORS = frozenset({"at", "sending from"})
_SKELETON = str.maketrans(dict.fromkeys("asn.", "@") | dict.fromkeys("ilf", "|"))
#: A block of whole lines of an archive: its bytes, its first line's number, where its
#: newlines are.
_Block = tuple[bytes, int, np.ndarray]
_EPOCH = datetime(1970, 1, 1)
_EPOCH_DAY = date(1970, 1, 1)
_NEVER = -(1 << 62)  # before any message

# What str.strip() strips: every character for which str.isspace() holds (all below U+3001).
_SPACES = "".join(filter(str.isspace, map(chr, range(0x3001))))
# The headers _mboxscan.scan reads, in the order of its HEADERS.
_USUAL_HEADERS = (b"from", b"date", b"subject", b"message-id", b"in-reply-to", b"references")


def read_mbox(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    block_bytes: int = 8 << 20,
) -> Parsed:
    """Read mbox files or Mailman pipermail text archives.

    Parameters
    ----------
    paths
        Archive files in the order to read them (pipermail quarters in name order give the
        archive in arrival order), plain or ``.gz``/``.bz2``/``.xz``/``.zst``.
    platform
        Community name for the rows and their person ids (default ``mbox``).
    skip_bad_rows
        Skip and count messages that have no usable date instead of stopping at the first.
    block_bytes
        How many bytes to decode at a time.

    Returns
    -------
    Parsed
        A lazy stream of ``events`` batches (one row per message, see the module notes),
        then the ``people`` rows: ``id``, ``platform``, ``handle``, ``display_name`` and
        ``attributes`` (JSON: ``other_display_names``, ``addresses``).

    Notes
    -----
    A file in which no line has the envelope form is not an mbox: it raises an
    :class:`~narrowcast.errors.InputError`, as do a non-UTF-8 byte (naming the line) and a
    truncated compressed file.
    """
    platform = platform or "mbox"
    files = check_files(paths, _EXPECTED)
    parsed = Parsed(
        format="mbox",
        platform=platform,
        paths=files,
        chunks=(),
        total_bytes=total_size(files),
    )
    parsed.chunks = _chunks(parsed, files, skip_bad_rows, block_bytes)
    return parsed


def parse_mbox(
    text: str | Iterable[str],
    *,
    platform: str = "mbox",
    path: str | PathLike[str] = "<text>",
    skip_bad_rows: bool = False,
) -> tuple[pa.Table, pa.Table, int]:
    """Events, people and the number of skipped messages of one archive held in memory.

    ``text`` is the archive as one string or as lines (with or without their newlines).

    >>> events, people, bad = parse_mbox(
    ...     "From edd at debian.org  Fri May 22 13:38:22 2015\\n"
    ...     "From: edd at debian.org (Dirk Eddelbuettel)\\n"
    ...     "Date: Fri, 22 May 2015 06:38:22 -0500\\n"
    ...     "Subject: Welcome all!\\n"
    ...     "Message-ID: <1@max>\\n"
    ...     "\\n"
    ...     "Thanks to all.\\n"
    ... )
    >>> events.column("event_id").to_pylist(), events.column("actor").to_pylist()
    (['1@max@1432294702'], ['mbox:edd@deb|@@@org'])
    >>> people.column("handle").to_pylist(), bad
    (['Dirk Eddelbuettel'], 0)
    """
    parser = _Parser(platform, skip_bad_rows)
    path = Path(path)
    if isinstance(text, str):
        text = text.replace("\r\n", "\n")
        blocks: Iterable[_Block] = [_block(text if text.endswith("\n") else text + "\n", 1)]
    else:
        blocks = _line_blocks(text)
    batches = list(parser.file(blocks, path))
    events = pa.Table.from_batches(batches, schema=EVENTS)
    people = pa.Table.from_batches([parser.people()], schema=PEOPLE)
    return events, people, parser.bad_rows


def address_skeleton(address: str) -> str:
    """The style-independent form of a sender address: one person, one skeleton.

    The address is lowercased, its pipermail separator (``" at "``, ``" @ending from "``,
    ``" @end|ng |rom "``, ``" m@ili@g off "``, ...) becomes ``@``, and the characters some
    obfuscation style substitutes map to one class each: ``a s n . @`` -> ``@``,
    ``i l f |`` -> ``|``.

    >>> address_skeleton("ligges at statistik.tu-dortmund.de")
    '||gge@@@t@t|@t|k@tu-dortmu@d@de'
    >>> address_skeleton("||gge@ @end|ng |rom @t@t|@t|k@tu-dortmund@de")
    '||gge@@@t@t|@t|k@tu-dortmu@d@de'
    >>> address_skeleton("<Ligges@Statistik.TU-Dortmund.de>")
    '||gge@@@t@t|@t|k@tu-dortmu@d@de'
    """
    return _normal_address(address)[0].translate(_SKELETON)


class _Sender:
    """One From value as parsed, and when it was last used: the people table is built from
    these at the end (a sender's messages repeat the same value, so each is parsed once)."""

    __slots__ = ("actor", "address", "clean", "latest", "name", "skeleton")

    def __init__(self, value: str, platform: str) -> None:
        self.skeleton, self.name, self.address, self.clean = _sender(value)
        self.actor = person_id(platform, self.skeleton)
        self.latest = _NEVER


class _Events:
    """Event rows column by column, as :class:`~narrowcast.model.RowBuffer` keeps them, but
    filled without its keyword call per row, which costs more than parsing a message."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.clear()

    def clear(self) -> None:
        self.event_id: list[str] = []
        self.ts: list[int] = []
        self.actor: list[str] = []
        self.kind: list[str] = []
        self.content_id: list[str] = []
        self.parent_id: list[str | None] = []
        self.thread_id: list[str | None] = []
        self.text: list[str] = []

    def __len__(self) -> int:
        return len(self.ts)

    def flush(self) -> pa.RecordBatch:
        """The rows so far as one record batch of the EVENTS schema; empty again after."""
        n = len(self.ts)
        given = {
            "event_id": self.event_id,
            "actor": self.actor,
            "kind": self.kind,
            "content_id": self.content_id,
            "parent_id": self.parent_id,
            "thread_id": self.thread_id,
            "text": self.text,
            "platform": [self.platform] * n,
            "visibility": ["public"] * n,
        }
        arrays = []
        for f in EVENTS:
            if f.name == "ts":
                arrays.append(pa.array(self.ts, pa.int64()).cast(f.type))
            elif f.name == "quantity":
                arrays.append(pa.array(np.ones(n, dtype=np.int64)))
            elif f.name in given:
                arrays.append(pa.array(given[f.name], f.type))
            else:
                arrays.append(pa.nulls(n, f.type))
        self.clear()
        return pa.RecordBatch.from_arrays(arrays, schema=EVENTS)


class _Parser:
    """Turns the text of one or more archives into event batches and a people table."""

    #: Read the usual messages a column at a time (:func:`_usual`); False reads each message
    #: by itself, the rules' plain statement, which the tests hold the columns to.
    columns = True

    def __init__(self, platform: str, skip_bad_rows: bool) -> None:
        self.platform = platform
        self.skip_bad_rows = skip_bad_rows
        self.bad_rows = 0
        self.rows = _Events(platform)
        self._senders: dict[str, _Sender] = {}
        self._days: dict[tuple[str, str, str], int] = {}  # (dd, Mon, yyyy) -> days since epoch

    def file(self, blocks: Iterable[_Block], path: Path) -> Iterator[pa.RecordBatch]:
        """Event batches of one file, given as blocks of whole lines (UTF-8, LF line ends)
        with their first line's number and their newlines: a batch of the messages each
        block completes (the last block completes the file's last message)."""
        pieces: list[bytes] = []  # the message not yet complete, from its envelope line on
        piece_newlines: list[np.ndarray] = []  # where the newlines of each piece are
        carried: tuple[int, int, bool] = (0, 0, False)  # its envelope, as _envelopes gives it
        junk_line: int | None = None  # the first non-blank line before the first message
        started = False
        for data, first_line, newlines, last_block in _with_last(blocks):
            found = _envelopes(data)
            if not started:  # no message yet: anything before the first one is junk
                lead = (data[: found[0][0]] if found else data).decode("utf-8")
                if junk_line is None and (m := _NON_BLANK.search(lead)):
                    junk_line = first_line + lead.count("\n", 0, m.start())
                if not found:
                    continue
                if junk_line is not None:
                    why = f"text before the first message; {_EXPECTED_MESSAGES}"
                    self._bad(InputError(path, why, line=junk_line))
                started = True
            # The message carried over ends at the block's first envelope line, or its end.
            if not found and not last_block:
                pieces.append(data)
                piece_newlines.append(newlines)
                continue
            if pieces:
                end = found[0][0] if found else len(data)
                upto = int(np.searchsorted(newlines, end))
                offsets = np.cumsum([0, *map(len, pieces)])
                message = b"".join([*pieces, data[:end]])
                message_newlines = np.concatenate(
                    [nl + o for nl, o in zip(piece_newlines, offsets, strict=False)]
                    + [newlines[:upto] + offsets[-1]]
                )
                line = first_line - sum(map(len, piece_newlines))
                batch = self._messages(
                    message, message_newlines, [carried], line, path, one_by_one=True
                )
                if batch is not None:
                    yield batch
                pieces, piece_newlines = [], []
            if not found:
                continue
            # The messages the block holds whole: to its last envelope line, or to its end.
            first = found[0][0]
            complete, cut = (found, len(data)) if last_block else (found[:-1], found[-1][0])
            upto = int(np.searchsorted(newlines, cut))  # the newlines before the cut
            if not last_block:
                pieces, piece_newlines = [data[cut:]], [newlines[upto:] - cut]
                carried = (0, found[-1][1] - cut, found[-1][2])
            if complete:
                skip = int(np.searchsorted(newlines, first))
                whole = memoryview(data)[first:cut]
                starts = [(i - first, j - first, p) for i, j, p in complete]
                batch = self._messages(
                    whole, newlines[skip:upto] - first, starts, first_line + skip, path
                )
                if batch is not None:
                    yield batch
        if not started:
            raise InputError(path, f"no message found; {_EXPECTED_MESSAGES}")

    def _messages(
        self,
        buf: bytes | memoryview,
        newlines: np.ndarray,
        found: list[tuple[int, int, bool]],
        first_line: int,
        path: Path,
        *,
        one_by_one: bool = False,
    ) -> pa.RecordBatch | None:
        """The events of the whole messages in ``buf``, one starting at each envelope line of
        ``found`` (its start, the end of that line, whether it is pipermail's form).

        The messages of the usual form are read a column at a time (:func:`_usual`); the
        others, one by one, by :meth:`_message`, whose rules the columns follow exactly.
        """
        columns = self.columns and not one_by_one  # one message: columns cost more
        fast = _usual(buf, found) if columns else _Columns(len(found))
        others: list[int] = []
        for i in fast.others.tolist():
            start = found[i][0]
            stop = found[i + 1][0] if i + 1 < len(found) else len(buf)
            text = "\n" + bytes(buf[start:stop]).decode("utf-8")
            m = _ENVELOPE.match(text)
            assert m is not None  # found by _envelopes
            line = first_line + int(np.searchsorted(newlines, start))
            before = len(self.rows)
            self._message(text, 1, len(text), (m.groups(), m.end() - 1, text, 1, line), path)
            if len(self.rows) > before:
                others.append(i)
        for raw, latest in zip(fast.senders, fast.latest.tolist(), strict=True):
            sender = self._senders.get(raw)
            if sender is None:
                sender = self._senders[raw] = _Sender(raw, self.platform)
            if latest > sender.latest:
                sender.latest = latest
        slow = self.rows.flush() if len(self.rows) else None
        if not len(fast.rows):
            return slow
        actors = pa.array([self._senders[raw].actor for raw in fast.senders], pa.string())
        batch = fast.batch(self.platform, actors)
        if slow is None:
            return batch
        table = pa.Table.from_batches([batch, slow])
        order = np.argsort(np.concatenate([fast.rows, np.array(others, np.int64)]), kind="stable")
        return table.take(order).combine_chunks().to_batches()[0]

    def people(self) -> pa.RecordBatch:
        """One row per person, sorted by id (see the module notes for the rule)."""
        by_person: dict[str, list[_Sender]] = {}
        for sender in self._senders.values():
            if sender.latest is not _NEVER:
                by_person.setdefault(sender.skeleton, []).append(sender)
        buf = RowBuffer("people", batch_rows=len(by_person) + 1)
        for skeleton in sorted(by_person):
            senders = by_person[skeleton]
            # Latest by (time, text), so that the order of the files does not matter.
            named = [(s.latest, s.name) for s in senders if s.name is not None]
            clean = [(s.latest, s.address) for s in senders if s.clean]
            name = max(named)[1] if named else None
            handle = name or max(clean or [(s.latest, s.address) for s in senders])[1]
            attributes = {
                "other_display_names": sorted({n for _, n in named} - {name}),
                "addresses": sorted({s.address for s in senders}),
                # The latest address seen unobfuscated: what 'link --suggest' matches.
                "email": max(clean)[1] if clean else None,
            }
            buf.add(
                id=senders[0].actor,
                platform=self.platform,
                handle=handle,
                display_name=name,
                attributes=json.dumps(attributes, ensure_ascii=False),
            )
        return buf.flush()

    def _bad(self, err: InputError) -> None:
        if not self.skip_bad_rows:
            raise err
        self.bad_rows += 1

    def _message(
        self, buf: str, start: int, stop: int, envelope: tuple[Any, ...], path: Path
    ) -> None:
        """Add the event of the message buf[start:stop]."""
        groups = envelope[0]
        head = start + envelope[1]  # the newline ending the envelope line
        end = buf.find("\n\n", head, stop)
        if end < 0:
            end = stop
        h: dict[str, str] = {}
        for name, value in _HEADER.findall(buf, head, end + 1):
            key = name.lower()
            if key in _WANTED and key not in h:
                h[key] = value.replace("\n", "").strip() if "\n" in value else value.strip()

        date = h.get("date")
        ts = self._date_seconds(date) if date else None
        if ts is None:
            ts = _envelope_seconds(groups)
            if ts is None:
                if date:
                    why = f"neither the Date header {date!r} nor the envelope's date {groups[1]!r}"
                    why += " is a valid date"
                else:
                    why = f"no Date header, and the envelope's date {groups[1]!r} is not valid"
                line = _line_of(*envelope[2:])
                self._bad(InputError(path, f"{why}; {_DATE_EXAMPLE}", line=line))
                return

        raw_from = h.get("from") or groups[0].strip()
        sender = self._senders.get(raw_from)
        if sender is None:
            sender = self._senders[raw_from] = _Sender(raw_from, self.platform)
        if ts > sender.latest:
            sender.latest = ts

        subject = h.get("subject", "")
        mid = _message_id(h.get("message-id"))
        if mid is None:
            key = "\n".join((raw_from, date or groups[1], subject))
            mid = hashlib.sha1(key.encode("utf-8")).hexdigest()
        refs = h.get("references")
        parent = _reply_id(h.get("in-reply-to"))
        thread = None
        if refs:
            ids = _reference_ids(refs)
            if ids:
                thread = ids[0]
                if parent is None:
                    parent = ids[-1]
        if thread is None and parent is None:
            thread = mid  # a post is its own thread; a reply's comes from its parent (store)

        if "=?" in subject:
            subject = _decode(subject)
        body = buf[end + 2 : stop]
        if ">" in body:
            if ">From " in body and not groups[0].endswith(" "):
                body = _QUOTED_FROM.sub(r"\1", body)  # standard mbox (mboxrd) escaping
            body = _QUOTED_LINE.sub("", body)
        body = body.strip("\n")
        text = subject + "\n\n" + body
        rows = self.rows
        rows.event_id.append(f"{mid}@{ts}")
        rows.ts.append(ts * 1_000_000)
        rows.actor.append(sender.actor)
        rows.kind.append("reply" if parent else "post")
        rows.content_id.append(mid)
        rows.parent_id.append(parent)
        rows.thread_id.append(thread)
        rows.text.append(text)

    def _date_seconds(self, text: str) -> int | None:
        """Seconds since the epoch of an RFC 2822 date (no offset: UTC), or None."""
        m = _DATE.fullmatch(text)
        if m is not None:
            day, mon, year, hour, minute, second, sign, oh, om = m.groups()
            key = (day, mon, year)
            days = self._days.get(key)
            if days is None:
                days = _days(key)
                if days is not None and len(self._days) < 100_000:
                    self._days[key] = days
            if days is not None and (h := int(hour)) < 24 and (mi := int(minute)) < 60:
                s = int(second) if second else 0
                if s < 60:
                    offset = int(oh) * 3600 + int(om) * 60
                    t = days * 86_400 + h * 3600 + mi * 60 + s
                    return t - offset if sign == "+" else t + offset
        return _parsed_date_seconds(text)


def _envelopes(data: bytes) -> list[tuple[int, int, bool]]:
    """The envelope lines of a block: where each starts, where it ends (its newline), and
    whether it is pipermail's form (the sender group ends with a space)."""
    found = np.frombuffer(_mboxscan.envelopes(data), np.int64).reshape(-1, 3).tolist()
    # A line that is not ASCII, or holds one of the separators \x1c-\x1f (which the text
    # form counts as spaces), is held to the text form.
    out = []
    for start, end, flags in found:
        if not flags & 2:
            out.append((start, end, bool(flags & 1)))
            continue
        strict = _ENVELOPE.match("\n" + data[start:end].decode("utf-8"))
        if strict is not None:
            out.append((start, end, strict.group(1).endswith(" ")))
    return out


def _newlines(buf: bytes) -> np.ndarray:
    """Where the newlines of ``buf`` are."""
    return np.frombuffer(_mboxscan.newlines(buf), np.int64)


def _slices(
    buf: bytes | memoryview, start: np.ndarray, stop: np.ndarray, valid: np.ndarray
) -> pa.Array:
    """``buf[start[i]:stop[i]]`` as strings, null where not ``valid``; the slices follow
    each other in ``buf`` (``stop[i] <= start[i + 1]``)."""
    n = len(start)
    offsets = np.empty(2 * n, np.int64)
    offsets[0::2], offsets[1::2] = start, stop
    # The slices and the gaps between them, one array over buf; the slices taken out.
    both = pa.Array.from_buffers(
        pa.large_binary(), 2 * n - 1, [None, pa.py_buffer(offsets), pa.py_buffer(buf)]
    )
    values = both.take(pa.array(np.arange(0, 2 * n - 1, 2)))
    values = pc.if_else(pa.array(valid), values, pa.scalar(None, pa.large_binary()))
    return values.cast(pa.large_string())


class _Columns:
    """The events of the usual messages of a block, a column at a time (:func:`_usual`)."""

    def __init__(self, n: int) -> None:
        self.rows = np.zeros(0, np.int64)  # the message each row is of
        self.others = np.arange(n)  # the messages to read one by one
        self.senders: list[str] = []  # distinct From values
        self.latest = np.zeros(0, np.int64)  # the latest message of each, in seconds
        self.columns: dict[str, pa.Array] = {}
        self.sender_of = np.zeros(0, np.int64)  # each row's index in senders

    def batch(self, platform: str, actors: pa.Array) -> pa.RecordBatch:
        """The rows, given each sender's actor, as a batch of the EVENTS schema."""
        n = len(self.rows)
        given = {
            **self.columns,
            "actor": actors.take(pa.array(self.sender_of)),
            "platform": pa.array([platform] * n, pa.string()),
            "visibility": pa.array(["public"] * n, pa.string()),
            "quantity": pa.array(np.ones(n, dtype=np.int64)),
        }
        arrays = [
            given[f.name].cast(f.type) if f.name in given else pa.nulls(n, f.type) for f in EVENTS
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=EVENTS)


def _usual(buf: bytes | memoryview, found: list[tuple[int, int, bool]]) -> _Columns:
    """The events of the messages of ``buf`` that have the usual form, read a column at a
    time; the others are left to :meth:`_Parser._message`.

    Usual: a blank line ends the headers, From, Date and Message-ID are there (no space
    before a colon), the Date has RFC 2822's numeric form in printable ASCII and is a real
    day and time, and the ids are in clean ``<...>``. For those, each column is what
    :meth:`_Parser._message` makes of the message (tests hold the two equal): the walk over
    each message's lines, its date and ids are :func:`_mboxscan.scan`'s, the sender and the
    subject Arrow's kernels'.
    """
    n = len(found)
    out = _Columns(n)
    starts = np.array([f[0] for f in found], np.int64)
    heads = np.array([f[1] for f in found], np.int64)
    pipermail = np.array([f[2] for f in found], bool)
    scanned = _mboxscan.scan(buf, starts, heads, pipermail)
    bounds, given, form, seconds, ids, has, offsets, texts = scanned
    bounds = np.frombuffer(bounds, np.int64).reshape(n, len(_USUAL_HEADERS), 2)
    given = np.frombuffer(given, bool).reshape(n, len(_USUAL_HEADERS))
    ids = np.frombuffer(ids, np.int64).reshape(n, 3, 2)
    has = np.frombuffer(has, bool).reshape(n, 3)

    def value(h: int) -> pa.Array:  # as _Parser._message reads it: unfolded, stripped
        raw = _slices(buf, *bounds[:, h].T, given[:, h])
        return pc.utf8_trim(pc.replace_substring(raw, "\n", ""), _SPACES)

    sender = value(_USUAL_HEADERS.index(b"from"))
    usual = np.frombuffer(form, bool) & pc.fill_null(
        pc.greater(pc.binary_length(sender), 0), False
    ).to_numpy(False)
    rows = np.flatnonzero(usual)
    out.others = np.flatnonzero(~usual)
    if not len(rows):
        return out
    take = pa.array(rows)
    mid, parent, thread = (
        _slices(buf, *ids[rows, k].T, has[rows, k]).cast(pa.large_string()) for k in range(3)
    )
    seconds = np.frombuffer(seconds, np.int64)[rows]
    subject = pc.fill_null(value(_USUAL_HEADERS.index(b"subject")).take(take), "")
    encoded = np.flatnonzero(pc.match_substring(subject, "=?").to_numpy(False))
    if len(encoded):
        words = subject.take(pa.array(encoded)).to_pylist()
        decoded = pa.array([_decode(w) for w in words], pa.large_string())
        subject = pc.replace_with_mask(
            subject, pa.array(np.isin(np.arange(len(rows)), encoded)), decoded
        )
    bodies = pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(texts)]
    ).take(take)
    text = pc.binary_join_element_wise(
        subject.cast(pa.large_string()), bodies, pa.scalar("\n\n", pa.large_string())
    )

    senders = sender.take(take).dictionary_encode()
    sender_of = senders.indices.to_numpy(False).astype(np.int64)
    latest = np.full(len(senders.dictionary), _NEVER, np.int64)
    np.maximum.at(latest, sender_of, seconds)
    out.rows, out.sender_of, out.latest = rows, sender_of, latest
    out.senders = senders.dictionary.to_pylist()
    out.columns = {
        "event_id": pc.binary_join_element_wise(
            mid, pc.cast(seconds, pa.large_string()), pa.scalar("@", pa.large_string())
        ),
        "ts": pa.array(seconds * 1_000_000, pa.int64()),
        "kind": pc.if_else(parent.is_valid(), "reply", "post"),
        "content_id": mid,
        "parent_id": parent,
        "thread_id": thread,
        "text": text,
    }
    return out


def _chunks(
    parsed: Parsed, files: list[Path], skip_bad_rows: bool, block_bytes: int
) -> Iterator[Chunk]:
    parser = _Parser(parsed.platform, skip_bad_rows)
    done = 0
    for path in files:
        line = [1]
        with open_binary(path) as inp, read_errors(path, _EXPECTED, line):
            reader = _BlockReader(inp, block_bytes)
            try:
                for batch in parser.file(reader.blocks(line), path):
                    parsed.bad_rows = parser.bad_rows
                    yield Chunk("events", batch, path, done + reader.bytes_read)
            finally:
                reader.close()
        parsed.bad_rows = parser.bad_rows
        done += path.stat().st_size
    yield Chunk("people", parser.people(), files[-1], done)


class _BlockReader:
    """Reads an input on a thread, in blocks that end at a line's end.

    Decompression releases the GIL, so it runs beside the parsing; at most a few blocks
    wait in the queue, which keeps memory flat.
    """

    def __init__(self, inp: Input, block_bytes: int) -> None:
        self._inp = inp
        self._block_bytes = block_bytes
        self._queue: queue.Queue[tuple[bytes, int] | BaseException | None] = queue.Queue(4)
        self._stop = threading.Event()
        self.bytes_read = 0
        self._thread = threading.Thread(target=self._run, name="narrowcast-mbox", daemon=True)
        self._thread.start()

    def _put(self, item: tuple[bytes, int] | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        read = self._inp.stream.read
        rest = b""
        size = min(self._block_bytes, 1 << 20)  # a small first block: parsing starts sooner
        try:
            while True:
                data = read(size)
                size = self._block_bytes
                if not data:
                    break
                if rest:
                    data = rest + data
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # a line longer than a block: read on
                    rest = data
                    continue
                rest = data[cut:]
                if not self._put((*_prepared(data[:cut] if rest else data), self._inp.bytes_read)):
                    return
            if rest:
                self._put((*_prepared(rest + b"\n"), self._inp.bytes_read))
            self._put(None)
        except BaseException as err:  # handed to the reading thread, which reports it
            self._put(err)

    def blocks(self, line: list[int]) -> Iterator[_Block]:
        """The input in blocks of whole lines (see :func:`_prepared`), each with the number
        of its first line.

        ``line[0]`` follows the reading, so that a read error can name where it happened:
        for a byte that is not UTF-8, its own line.
        """
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            data, newlines, self.bytes_read = item
            if isinstance(data, UnicodeDecodeError):
                line[0] += len(newlines)
                raise data
            yield data, line[0], newlines
            line[0] += len(newlines)

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()


def _with_last(blocks: Iterable[_Block]) -> Iterator[tuple[bytes, int, np.ndarray, bool]]:
    """Each block, and whether it is the last."""
    it = iter(blocks)
    held = next(it, None)
    for block in it:
        yield (*held, False)  # type: ignore[misc]
        held = block
    if held is not None:
        yield (*held, True)


def _prepared(data: bytes) -> tuple[bytes | UnicodeDecodeError, np.ndarray]:
    """A block of whole lines, with CRLF line ends as LF, and where its newlines are; or,
    for a block that is not UTF-8, the error and the newlines before the first bad byte.
    (On the reading thread, beside the parsing.)"""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return err, _newlines(data[: err.start])
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    return data, _newlines(data)


def _line_blocks(lines: Iterable[str], size: int = 10_000) -> Iterator[_Block]:
    block: list[str] = []
    first = 1
    for ln in lines:
        block.append(ln.replace("\r\n", "\n") if ln.endswith("\n") else ln + "\n")
        if len(block) == size:
            yield _block("".join(block), first)
            first += size
            block = []
    if block:
        yield _block("".join(block), first)


def _block(text: str, first_line: int) -> _Block:
    """Whole lines of text (LF line ends) as a block starting at line ``first_line``."""
    data = text.encode("utf-8")
    return data, first_line, _newlines(data)


def _line_of(buf: str, start: int, first_line: int) -> int:
    """Number of the line starting at buf[start] (buf is a block with "\\n" prepended)."""
    return first_line + buf.count("\n", 1, start)


def _days(key: tuple[str, str, str]) -> int | None:
    """Days since the epoch of a (day, month name, year) date; None if there is no such day."""
    day, mon, year = key
    month = _MONTH.get(mon.title())
    if month is None:
        return None
    try:
        return (date(int(year), month, int(day)) - _EPOCH_DAY).days
    except ValueError:
        return None


def _seconds(year: int, month: int, day: int, hour: int, minute: int, second: int) -> int:
    """Seconds since the epoch of a UTC time; ValueError if it is not a real time."""
    delta = datetime(year, month, day, hour, minute, second) - _EPOCH
    return delta.days * 86_400 + delta.seconds


def _parsed_date_seconds(text: str) -> int | None:
    """The slow path of dates: whatever :func:`email.utils.parsedate_to_datetime` reads
    (named zones, two-digit years, no offset -- taken as UTC)."""
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    offset = dt.utcoffset()
    try:
        t = _seconds(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)
    except ValueError:
        return None
    return t - int(offset.total_seconds()) if offset else t


def _envelope_seconds(groups: tuple[Any, ...]) -> int | None:
    _, _, mon, day, hour, minute, second, zone, year = groups
    try:
        t = _seconds(int(year), _MONTH[mon], int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    if zone:
        offset = int(zone[1:3]) * 3600 + int(zone[3:5]) * 60
        t = t - offset if zone[0] == "+" else t + offset
    return t


def _angle_id(value: str, last: bool = False) -> str | None:
    """The id inside the first (or last) ``<...>`` of a header value, if any."""
    i = value.rfind("<") if last else value.find("<")
    if i >= 0:
        j = value.find(">", i)
        if j > 0 and "<" not in value[i + 1 : j]:
            found = value[i + 1 : j].strip()
            if found:
                return found
    ids = _reference_ids(value)  # unusual values: "<<a>", "<a", "<>"
    if ids:
        return ids[-1] if last else ids[0]
    return None


def _message_id(value: str | None) -> str | None:
    """The id inside the first <...>, else the first word; None when there is none."""
    if not value:
        return None
    if "<" in value:
        found = _angle_id(value)
        if found is not None:
            return found
    words = value.split()
    return words[0] if words else None


def _reply_id(value: str | None) -> str | None:
    """The id an In-Reply-To names: its first <...>; a bare word only if it has an @."""
    if not value:
        return None
    if "<" in value:
        return _angle_id(value)
    words = value.split()
    return words[0] if words and "@" in words[0] else None


def _reference_ids(value: str) -> list[str]:
    """The ids of a References value, in order (commas and stray words ignored)."""
    return [r for r in map(str.strip, _ANGLE.findall(value)) if r]


@functools.lru_cache(maxsize=4096)  # a thread's messages repeat its encoded subject
def _decode(value: str) -> str:
    """MIME encoded-words decoded; the value as it is when they cannot be."""
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return value


def _normal_address(address: str) -> tuple[str, bool]:
    """The address lowercased with its separator as @, and whether it was in a clean style
    (no characters substituted)."""
    a = address.strip().lower()
    if a.startswith("<") and a.endswith(">"):
        a = a[1:-1].strip()
    m = _SEPARATOR.search(a)
    if m is None:
        return a, True
    sep = " ".join(m.group().split())
    return a[: m.start()] + "@" + a[m.end() :], sep in _CLEAN_SEPARATORS


def _sender(value: str) -> tuple[str, str | None, str, bool]:
    """(skeleton, display name, normalised address, clean style) of a From value:
    ``addr (Name)``, ``Name <addr>``, ``<addr>`` or ``addr``."""
    v = value.strip()
    name: str | None = None
    if v.endswith(">") and "<" in v:
        i = v.rindex("<")
        address, name = v[i + 1 : -1], v[:i]
    elif v.endswith(")") and "(" in v:
        i = v.index("(")
        address, name = v[:i], v[i + 1 : -1]
    else:
        address = v
    normal, clean = _normal_address(address)
    skeleton = normal.translate(_SKELETON)
    if name is not None:
        name = _display_name(name)
        if name is not None and (
            name.lower() == normal or _normal_address(name)[0].translate(_SKELETON) == skeleton
        ):
            name = None  # the address again, not a name
    return skeleton, name, normal, clean


def _display_name(raw: str) -> str | None:
    name = _unquote(raw.strip())
    if "=?" in name:
        name = _unquote(_decode(name).strip())
    name = " ".join(name.split())
    return name or None


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text
