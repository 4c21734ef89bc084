"""GitHub: issues, pull requests, comments, reviews and reactions as the REST API returns
them, as event-log rows and people.

Where to get them: save the API's answers as files, one folder per repository, e.g. with the
GitHub CLI (``gh api`` signs the requests; ``--paginate`` fetches every page)::

    gh api 'repos/OWNER/REPO/issues?state=all' --paginate > issues.json
    gh api 'repos/OWNER/REPO/pulls?state=all' --paginate > pulls.json
    gh api repos/OWNER/REPO/issues/comments --paginate > issues-comments.json
    gh api repos/OWNER/REPO/pulls/comments --paginate > pulls-comments.json
    gh api repos/OWNER/REPO/pulls/12/reviews --paginate > pulls-12-reviews.json
    gh api repos/OWNER/REPO/issues/12/reactions --paginate > issues-12-reactions.json
    gh api repos/OWNER/REPO/issues/comments/99/reactions > issues-comments-99-reactions.json
    gh api repos/OWNER/REPO/pulls/comments/7/reactions > pulls-comments-7-reactions.json

(``issues`` lists pull requests too, so ``pulls.json`` is optional; reviews and reactions
have no repository-wide list: one file per pull request, issue or comment, e.g. ``for n in
$(jq '.[].number' issues.json); do gh api repos/OWNER/REPO/issues/$n/reactions --paginate
> issues-$n-reactions.json; done``.) A file may hold
one JSON object, an array, or several arrays one after another -- what ``gh api
--paginate`` writes, one array per page --, or an array of arrays (``--slurp``), or one
object per line (``--jq '.[]'``); plain or ``.gz``/``.zst``/``.bz2``/``.xz``. A search
answer (``{"total_count": ..., "items": [...]}``) is read as its items. A folder is read
with its subfolders: every ``*.json``, ``*.jsonl`` and ``*.ndjson`` file, in name order,
reactions last.

What each record is
-------------------
A record's type is told by its fields, whichever file it is in:

===============================  =====================================================
fields, tried in this order      record
===============================  =====================================================
``number`` and ``title``         issue or pull request (``pull_request``, ``head`` or a
                                 ``/pulls/`` url mark a pull request)
``content``, no ``body``         reaction
``pull_request_url``, ``state``  pull request review
``pull_request_url``             pull request review comment (a comment on the diff)
``issue_url``                    issue comment (also on a pull request's conversation)
===============================  =====================================================

Item ids carry their repository, lowercased (``owner/repo``), read from the record's
``url``, ``html_url``, ``issue_url`` or ``pull_request_url`` (API or web addresses, GitHub
Enterprise's ``/api/v3/`` too), and follow GitHub's own anchors:

==================  ======  =====================================  ===============  ===========
record              kind    content_id (= ``event_id``)            parent_id        subtype
==================  ======  =====================================  ===============  ===========
issue               post    ``owner/repo#N``                       null             issue
pull request        post    ``owner/repo#N``                       null             pull_request
issue comment       reply   ``owner/repo#issuecomment-ID``         the issue        issue_comment
review comment      reply   ``owner/repo#discussion_rID``          the comment of   review_comment
                                                                   ``in_reply_to_id``,
                                                                   else the PR
review              reply   ``owner/repo#pullrequestreview-ID``    the PR           its ``state``
==================  ======  =====================================  ===============  ===========

- ``thread_id`` the issue or pull request (an issue's or PR's own ``owner/repo#N``).
- ``actor`` ``github:<login>`` of ``user.login``, lowercased: logins are case-insensitive and
  an ``@Mention`` must meet its author. A null ``user`` gives a null actor (accounts GitHub
  deleted show as ``ghost``, which is kept as a person). Every user seen gives a ``people``
  row: ``handle`` the login as written, ``attributes`` its numeric ``id`` and ``type``
  (``User``, ``Bot``, ``Organization``).
- ``target`` null: the store fills it with the author of the parent when that item is in
  the log, so import the issues with their comments.
- ``ts`` ``created_at``, for a review ``submitted_at``. ``text`` the ``title`` and ``body``
  on a line each, or the ``body``; null when empty.
- A review's ``state`` is ``APPROVED``, ``CHANGES_REQUESTED``, ``COMMENTED`` or
  ``DISMISSED``. Two kinds of review give no row: a ``PENDING`` review, not yet submitted,
  so nothing has happened; and a ``COMMENTED`` review with an empty body, which GitHub makes
  around review comments left without a summary -- the comments themselves are the replies,
  so counting the review too would count one act twice.

Reactions -> ``like`` (``dislike`` for ``-1``), ``event_id`` ``owner/repo#reaction-ID``:
actor the ``user``, ``subtype`` the ``content`` (``+1``, ``-1``, ``laugh``, ``confused``,
``heart``, ``hooray``, ``rocket``, ``eyes``), ``parent_id`` the item reacted to, ``target``
and ``thread_id`` null (the store fills both from the item), ``ts`` ``created_at``. The API
does not say which item a reaction is on, so it is taken from, in order:

1. the record's ``subject_url`` (or ``issue_url``), the API or web address of the item,
   which you add yourself, e.g. ``gh api repos/OWNER/REPO/issues/12/reactions --paginate --jq
   '.[] + {subject_url: "https://api.github.com/repos/OWNER/REPO/issues/12"}'``;
2. the file name: ``issues-N-reactions``, ``pulls-N-reactions``,
   ``issues-comments-ID-reactions``, ``pulls-comments-ID-reactions`` (``-``, ``_``, ``.``
   or ``/`` between the parts, so ``issues/12/reactions.json`` works too), in the one
   repository the import's other records name. With several repositories in one import,
   use ``subject_url``.

The ``reactions`` summary inside issues and comments (counts without names) is not read:
it would count again the reactions the reaction files list by person.

Mentions -> ``mention``, ``event_id`` ``<content_id>@<login>``: one per distinct ``@login``
in an item's title and body, outside fenced code blocks, code spans and quoted lines (``>``)
-- ``@pytest.fixture`` in code is no person, and a quote repeats someone else's words.
``actor`` the item's author, ``target`` ``github:<login>`` lowercased, ``thread_id`` the
item's thread, ``subtype`` ``@mention``, no content or parent. Team mentions
(``@org/team``) and e-mail addresses are not mentions.

Everything is ``public`` with ``quantity`` 1. The same item met twice in one import (a pull
request in both ``issues.json`` and ``pulls.json``) gives its rows once; importing again
adds nothing.

Errors. A file that is not JSON (named by line and column), a record of none of the types
above, one without its ``id``, ``created_at``, ``number`` or a url naming its repository,
and a reaction whose item cannot be told raise an :class:`~narrowcast.errors.InputError`
naming the file and the line where the record starts; with ``skip_bad_rows`` bad records
are skipped and counted. Each file is read whole: API answers are pages of 100 records,
megabytes even for large repositories.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa

from narrowcast.errors import InputError
from narrowcast.importers._common import (
    check_files,
    files_in,
    iso_to_micros,
    open_binary,
    read_errors,
    total_size,
)
from narrowcast.model import EVENTS, PEOPLE, Chunk, Parsed, RowBuffer, person_id

__all__ = ["parse_github", "read_github"]

_EXPECTED = "GitHub REST API JSON: issues, pull requests, comments, reviews or reactions"
_TS_EXAMPLE = "2024-03-01T09:00:00Z"
_SUFFIXES = (".json", ".jsonl", ".ndjson")
_COMPRESSED = (".gz", ".zst", ".bz2", ".xz")

# An API address of an item: .../repos/OWNER/REPO/(issues|pulls)[/comments]/NUMBER
_API_URL = re.compile(
    r"^https?://[^/]+/(?:api/v3/)?repos/([^/]+)/([^/]+)/(issues|pulls)(/comments)?/([0-9]+)/?$"
)
# A web address: github.com/OWNER/REPO/(issues|pull)/N[#issuecomment-ID|#discussion_rID|...]
_WEB_URL = re.compile(
    r"^https?://[^/]+/([^/]+)/([^/]+)/(issues|pull)/([0-9]+)(?:/[a-z]*)?/?"
    r"(?:#(issuecomment-|discussion_r|pullrequestreview-)([0-9]+))?$"
)
_REPO_URL = re.compile(r"^https?://[^/]+/(?:api/v3/)?repos/([^/]+)/([^/]+)/?$")
# A reactions file's name: issues-12-reactions, pulls-comments-7-reactions, issues/12/...
_REACTIONS_NAME = re.compile(
    r"(?:^|[-_./])(issues|pulls)[-_./](?:(comments)[-_./])?([0-9]+)[-_./]reactions$"
)
_FENCE = re.compile(
    r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL
)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_QUOTE_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
# A login: letters, digits and single inner hyphens, at most 39; not inside an e-mail
# address or a path, not a team (@org/team).
_MENTION = re.compile(
    r"(?<![A-Za-z0-9_.+/@`-])@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})"
    r"(?![A-Za-z0-9_/@-])"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_WS = re.compile(r"[ \t\r\n]*")
_NOT_SUBMITTED = frozenset({"PENDING"})


class _BadRow(ValueError):
    """A record that cannot become rows; the message says which field and why."""


def read_github(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    batch_rows: int = 65_536,
) -> Parsed:
    """Read GitHub REST API answers saved as JSON files.

    Parameters
    ----------
    paths
        JSON files or folders of them, as listed in the module's documentation.
    platform
        Community name for the rows and their person ids (default ``github``).
    skip_bad_rows
        Skip and count bad records instead of stopping at the first. A file that is not
        JSON stays fatal.
    batch_rows
        Most rows per record batch handed to the store.

    Returns
    -------
    Parsed
        ``events`` batches, file by file, then the ``people`` rows of every user seen
        (``id``, ``handle``, ``attributes``).

    Raises
    ------
    InputError
        A path is missing or empty, a folder holds no JSON file, a file is not JSON or not
        UTF-8, or a record is bad (see the module's documentation); the message names the
        file and the line.

    Examples
    --------
    An issue, a comment on it naming its author, and a reaction to the comment (files are
    read in name order, ``issues-comments.json`` before ``issues.json``, reactions last):

    >>> import tempfile
    >>> api = "https://api.github.com/repos/octo/hello"
    >>> issues = [{"number": 1, "title": "Crash", "body": "It crashes.",
    ...            "url": f"{api}/issues/1", "user": {"login": "Ada", "id": 7},
    ...            "created_at": "2024-03-01T09:00:00Z"}]
    >>> comments = [{"id": 99, "issue_url": f"{api}/issues/1", "body": "@ada fixed",
    ...              "user": {"login": "bob", "id": 8}, "created_at": "2024-03-01T10:00:00Z"}]
    >>> reactions = [{"id": 5, "content": "heart", "user": {"login": "Ada", "id": 7},
    ...               "created_at": "2024-03-01T11:00:00Z"}]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for name, records in [("issues", issues), ("issues-comments", comments),
    ...                           ("issues-comments-99-reactions", reactions)]:
    ...         _ = Path(folder, name + ".json").write_text(json.dumps(records))
    ...     chunks = list(read_github([folder]))
    >>> cols = ["event_id", "actor", "kind", "target", "parent_id", "subtype"]
    >>> for chunk in chunks[:-1]:
    ...     for row in chunk.batch.select(cols).to_pylist():
    ...         print(*row.values())
    octo/hello#issuecomment-99 github:bob reply None octo/hello#1 issue_comment
    octo/hello#issuecomment-99@ada github:bob mention github:ada None @mention
    octo/hello#1 github:ada post None None issue
    octo/hello#reaction-5 github:ada like None octo/hello#issuecomment-99 heart
    >>> chunks[-1].batch.select(["id", "handle"]).to_pylist()
    [{'id': 'github:bob', 'handle': 'bob'}, {'id': 'github:ada', 'handle': 'Ada'}]
    """
    platform = platform or "github"
    files = check_files(
        files_in(
            paths,
            _is_json,
            "holds no JSON file; expected files saved from the GitHub REST API such as "
            "issues.json (gh api 'repos/OWNER/REPO/issues?state=all' --paginate)",
        ),
        _EXPECTED,
    )
    # Reaction files last: their repository may be known only from the other files.
    files.sort(key=lambda f: _subject_of_file(f) is not None)
    parsed = Parsed(
        format="github",
        platform=platform,
        paths=files,
        chunks=(),
        total_bytes=total_size(files),
    )
    parsed.chunks = _chunks(parsed, files, skip_bad_rows, batch_rows)
    return parsed


def parse_github(
    records: Iterable[Any],
    *,
    platform: str = "github",
    subject: str | None = None,
    skip_bad_rows: bool = False,
) -> tuple[pa.Table, pa.Table, int]:
    """Events, people and the number of skipped records of API records held in memory.

    ``subject`` is the API or web address of the item that reactions without a
    ``subject_url`` are on.

    >>> events, people, bad = parse_github(
    ...     [{"id": 3, "content": "-1", "user": {"login": "eve", "id": 9},
    ...       "created_at": "2024-03-01T11:00:00Z"}],
    ...     subject="https://github.com/octo/hello/pull/4",
    ... )
    >>> events.select(["event_id", "kind", "parent_id", "subtype"]).to_pylist()
    [{'event_id': 'octo/hello#reaction-3', 'kind': 'dislike', 'parent_id': 'octo/hello#4', 'subtype': '-1'}]
    """  # noqa: E501
    rows = _Rows(platform, batch_rows=1 << 62)
    fallback = None
    if subject is not None:
        found = _item(subject)
        if found is None:
            raise InputError("<records>", f"subject {subject!r} is not the address of an item")
        fallback = found[1]
    bad = 0
    for n, record in enumerate(_flatten(records), 1):
        try:
            rows.record(record, fallback)
        except _BadRow as err:
            if not skip_bad_rows:
                raise InputError("<records>", str(err), where=f"record {n}") from err
            bad += 1
    events = pa.Table.from_batches([rows.events.flush()], schema=EVENTS)
    people = pa.Table.from_batches([rows.people()], schema=PEOPLE)
    return events, people, bad


# -- files ---------------------------------------------------------------------------------


def _is_json(name: str) -> bool:
    name = name.lower()
    for suffix in _COMPRESSED:
        name = name.removesuffix(suffix)
    return name.endswith(_SUFFIXES)


def _stem(path: Path) -> str:
    """The path's last four parts joined by '/', without the file's JSON and compression
    suffixes: where a reactions file's name says which item it is about."""
    name = path.name.lower()
    for suffix in _COMPRESSED:
        name = name.removesuffix(suffix)
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return "/".join([*path.parent.parts[-3:], name]).lower()


def _subject_of_file(path: Path) -> str | None:
    """The item a reactions file is about, without its repository (``#12``,
    ``#issuecomment-99``, ``#discussion_r7``), or None for another file."""
    m = _REACTIONS_NAME.search(_stem(path))
    if m is None:
        return None
    kind, comments, number = m.groups()
    if comments is None:
        return "#" + number
    return ("#issuecomment-" if kind == "issues" else "#discussion_r") + number


def _chunks(
    parsed: Parsed, files: list[Path], skip_bad_rows: bool, batch_rows: int
) -> Iterator[Chunk]:
    rows = _Rows(parsed.platform, batch_rows)
    done = 0
    for path in files:
        line = [0]
        with open_binary(path) as inp, read_errors(path, _EXPECTED, line):
            data = inp.stream.read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as err:
                line[0] = data.count(b"\n", 0, err.start) + 1
                raise
            fallback = _fallback_subject(path, rows)
            for value, line[0] in _records(text, path):
                for record in _unwrap(value):
                    try:
                        rows.record(record, fallback)
                    except _BadRow as err:
                        if not skip_bad_rows:
                            raise InputError(path, str(err), line=line[0]) from err
                        parsed.bad_rows += 1
                if rows.events.full:
                    yield Chunk("events", rows.events.flush(), path, done + inp.bytes_read)
            if len(rows.events):
                yield Chunk("events", rows.events.flush(), path, done + inp.bytes_read)
        done += path.stat().st_size
    people = rows.people()
    if people.num_rows:
        yield Chunk("people", people, files[-1], done)


def _fallback_subject(path: Path, rows: _Rows) -> str | Path | None:
    """The item id a reactions file's reactions are on, from its name and the import's
    one repository; the path itself (for the error message) when the repository is not
    one; None for other files."""
    item = _subject_of_file(path)
    if item is None:
        return None
    if len(rows.repos) != 1:
        return path
    return next(iter(rows.repos)) + item


def _records(text: str, path: Path) -> Iterator[tuple[Any, int]]:
    """The records of a file and the line each starts on: the elements of its top-level
    arrays (arrays of arrays flattened), or its top-level values themselves. An empty
    array (an item without reactions) has none, and is fine."""
    decode = json.JSONDecoder().raw_decode
    ws = _WS.match
    n = len(text)
    lines = [1, 0]  # line number at position

    def line_at(pos: int) -> int:
        lines[0] += text.count("\n", lines[1], pos)
        lines[1] = pos
        return lines[0]

    def value(pos: int) -> Generator[tuple[Any, int], None, int]:
        """Yield the records of the value at pos; return where it ends."""
        if pos >= n:
            raise json.JSONDecodeError("Expecting value", text, pos)
        if text[pos] != "[":
            record, end = decode(text, pos)
            yield record, line_at(pos)
            return end
        pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
        if pos < n and text[pos] == "]":
            return pos + 1
        while True:
            end = yield from value(pos)
            pos = ws(text, end).end()  # type: ignore[union-attr]
            if pos < n and text[pos] == ",":
                pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
                continue
            if pos < n and text[pos] == "]":
                return pos + 1
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)

    pos = ws(text, 1 if text.startswith("\ufeff") else 0).end()  # type: ignore[union-attr]
    if pos == n:
        raise InputError(path, f"holds no JSON value; expected {_EXPECTED}")
    try:
        while pos < n:
            end = yield from value(pos)
            pos = ws(text, end).end()  # type: ignore[union-attr]
    except json.JSONDecodeError as err:
        raise InputError(
            path,
            f"not JSON: {err.msg} at column {err.colno}; expected {_EXPECTED}",
            line=err.lineno,
        ) from err
    except RecursionError as err:
        raise InputError(path, f"arrays nested too deep; expected {_EXPECTED}") from err


def _flatten(records: Iterable[Any]) -> Iterator[Any]:
    """The records, lists flattened, a search answer replaced by its items."""
    for record in records:
        if isinstance(record, list):
            yield from _flatten(record)
        else:
            yield from _unwrap(record)


def _unwrap(record: Any) -> Iterable[Any]:
    """A search answer's items (``{"total_count": ..., "items": [...]}``), else the record."""
    if isinstance(record, dict) and "total_count" in record:
        items = record.get("items")
        if isinstance(items, list):
            return items
    return (record,)


# -- records -------------------------------------------------------------------------------


class _Rows:
    """Turns API records into event rows; gathers the people and repositories seen."""

    def __init__(self, platform: str, batch_rows: int) -> None:
        self.platform = platform
        self.events = RowBuffer("events", batch_rows=batch_rows)
        self.users: dict[str, tuple[str, str]] = {}  # person id -> (login, attributes)
        self.repos: set[str] = set()
        self.seen: set[str] = set()  # event ids given, so an item met twice is added once

    def people(self) -> pa.RecordBatch:
        out = RowBuffer("people")
        for pid, (login, attributes) in self.users.items():
            out.add(id=pid, platform=self.platform, handle=login, attributes=attributes)
        return out.flush()

    def record(self, r: Any, fallback: str | Path | None) -> None:
        """Add the rows of one record, or raise :class:`_BadRow` leaving nothing behind."""
        if not isinstance(r, dict):
            raise _BadRow(f"a JSON {type(r).__name__}, not an object; expected {_EXPECTED}")
        if "number" in r and "title" in r:
            self._issue(r)
        elif "content" in r and "body" not in r:
            self._reaction(r, fallback)
        elif "pull_request_url" in r and "state" in r:
            self._review(r)
        elif "pull_request_url" in r:
            self._comment(r, "pull_request_url", "review_comment")
        elif "issue_url" in r:
            self._comment(r, "issue_url", "issue_comment")
        else:
            raise _BadRow(
                "record is none of issue, pull request, comment, review or reaction: it has "
                "no number and title, issue_url, pull_request_url or content; expected " + _EXPECTED
            )

    def _issue(self, r: dict[str, Any]) -> None:
        number = r["number"]
        if not isinstance(number, int) or isinstance(number, bool):
            raise _BadRow(f'number {number!r} is not an integer; expected e.g. "number": 12')
        repo = None
        for key in ("url", "html_url", "repository_url"):
            url = r.get(key)
            found = _item(url) if key != "repository_url" else _repo(url)
            if found is not None:
                repo = found[0]
                break
        if repo is None:
            raise _BadRow(
                "issue has no url naming its repository; expected e.g. "
                '"url": "https://api.github.com/repos/OWNER/REPO/issues/12"'
            )
        item = f"{repo}#{number}"
        pull = (
            "pull_request" in r
            or "head" in r
            or "/pulls/" in str(r.get("url"))
            or "/pull/" in str(r.get("html_url"))
        )
        ts = _micros(r, "created_at")
        text = _text(r.get("title"), r.get("body"))
        subtype = "pull_request" if pull else "issue"
        self._add(r, ts, item, "post", None, item, subtype, text, repo)

    def _comment(self, r: dict[str, Any], url_key: str, subtype: str) -> None:
        cid = _id(r)
        found = _item(r[url_key])
        if found is None or "#" not in found[1] or not found[1].split("#")[1].isdigit():
            what = "pulls" if url_key == "pull_request_url" else "issues"
            raise _BadRow(
                f"{url_key} {r[url_key]!r} is not the address of an issue or pull request; "
                f'expected e.g. "{url_key}": "https://api.github.com/repos/OWNER/REPO/'
                f'{what}/12"'
            )
        repo, thread = found
        ts = _micros(r, "created_at")
        if subtype == "issue_comment":
            item, parent = f"{repo}#issuecomment-{cid}", thread
        else:
            item, parent = f"{repo}#discussion_r{cid}", thread
            answered = r.get("in_reply_to_id")
            if isinstance(answered, int) and not isinstance(answered, bool):
                parent = f"{repo}#discussion_r{answered}"
        self._add(r, ts, item, "reply", parent, thread, subtype, _text(r.get("body")), repo)

    def _review(self, r: dict[str, Any]) -> None:
        rid = _id(r)
        state = r["state"]
        if not isinstance(state, str):
            raise _BadRow(f'state {state!r} is not text; expected e.g. "state": "APPROVED"')
        found = _item(r["pull_request_url"])
        if found is None or not found[1].split("#")[1].isdigit():
            raise _BadRow(
                f"pull_request_url {r['pull_request_url']!r} is not the address of a pull "
                'request; expected e.g. "pull_request_url": '
                '"https://api.github.com/repos/OWNER/REPO/pulls/12"'
            )
        repo, thread = found
        body = r.get("body")
        if state in _NOT_SUBMITTED or (state == "COMMENTED" and not body):
            return  # not submitted, or only the envelope of review comments
        ts = _micros(r, "submitted_at")
        item = f"{repo}#pullrequestreview-{rid}"
        self._add(r, ts, item, "reply", thread, thread, state, _text(body), repo)

    def _reaction(self, r: dict[str, Any], fallback: str | Path | None) -> None:
        rid = _id(r)
        content = r["content"]
        if not isinstance(content, str) or not content:
            raise _BadRow(f'content {content!r} is not a reaction; expected e.g. "heart"')
        ts = _micros(r, "created_at")
        key = "subject_url" if "subject_url" in r else "issue_url"
        subject = r.get(key)
        if subject is not None:
            found = _item(subject)
            if found is None:
                raise _BadRow(
                    f"{key} {subject!r} is not the address of an issue, pull request "
                    "or comment; expected e.g. "
                    '"https://api.github.com/repos/OWNER/REPO/issues/12"'
                )
            repo, parent = found
        elif isinstance(fallback, str):
            repo, parent = fallback.split("#")[0], fallback
        elif isinstance(fallback, Path):
            raise _BadRow(
                f"the file's name says which item these reactions are on but not its "
                f"repository, and this import has {len(self.repos)} repositories; give each "
                "reaction a subject_url, or import one repository's files at a time"
            )
        else:
            raise _BadRow(
                "reaction has no subject_url and the file's name does not say which item it is "
                "on; expected a file named like issues-12-reactions.json or "
                "issues-comments-99-reactions.json, or a subject_url in each reaction"
            )
        event_id = f"{repo}#reaction-{rid}"
        if event_id in self.seen:
            return
        kind = "dislike" if content == "-1" else "like"
        actor = self._user(r.get("user"))
        self.seen.add(event_id)
        self.events.add(
            event_id=event_id,
            ts=ts,
            platform=self.platform,
            actor=actor,
            kind=kind,
            parent_id=parent,
            visibility="public",
            quantity=1,
            subtype=content,
        )

    def _add(
        self,
        r: dict[str, Any],
        ts: int,
        item: str,
        kind: str,
        parent: str | None,
        thread: str,
        subtype: str,
        text: str | None,
        repo: str,
    ) -> None:
        """An item's row and its mentions' rows, unless this import has given them."""
        self.repos.add(repo)
        if item in self.seen:
            return
        actor = self._user(r.get("user"))
        self.seen.add(item)
        add = self.events.add
        common = {"ts": ts, "platform": self.platform, "visibility": "public", "quantity": 1}
        add(
            event_id=item,
            actor=actor,
            kind=kind,
            content_id=item,
            parent_id=parent,
            thread_id=thread,
            subtype=subtype,
            text=text,
            **common,
        )
        for login in _mentions(text):
            add(
                event_id=f"{item}@{login}",
                actor=actor,
                kind="mention",
                target=person_id(self.platform, login),
                thread_id=thread,
                subtype="@mention",
                **common,
            )

    def _user(self, user: Any) -> str | None:
        """The person id of a ``user`` object, remembered for the people table."""
        if not isinstance(user, dict):
            return None
        login = user.get("login")
        if not isinstance(login, str) or not login:
            return None
        pid = person_id(self.platform, login.lower())
        if pid not in self.users:
            extra = {k: user[k] for k in ("id", "type") if k in user}
            self.users[pid] = (login, json.dumps(extra))
        return pid


def _id(r: dict[str, Any]) -> int:
    value = r.get("id")
    if not isinstance(value, int) or isinstance(value, bool):
        if value is None:
            raise _BadRow('record has no id; expected an integer id such as "id": 1234')
        raise _BadRow(f'id {value!r} is not an integer; expected e.g. "id": 1234')
    return value


def _micros(r: dict[str, Any], key: str) -> int:
    value = r.get(key)
    if value is None:
        raise _BadRow(f"record has no {key}; expected a time such as {_TS_EXAMPLE}")
    try:
        return iso_to_micros(value)
    except (TypeError, ValueError) as err:
        raise _BadRow(f"{key} {value!r} is not a time; expected e.g. {_TS_EXAMPLE}") from err


def _item(url: Any) -> tuple[str, str] | None:
    """(repository, item id) of an API or web address of an issue, pull request, comment or
    review; None for anything else."""
    if not isinstance(url, str):
        return None
    m = _API_URL.match(url)
    if m is not None:
        owner, name, kind, comments, number = m.groups()
        repo = f"{owner}/{name}".lower()
        if comments is None:
            return repo, f"{repo}#{number}"
        anchor = "issuecomment-" if kind == "issues" else "discussion_r"
        return repo, f"{repo}#{anchor}{number}"
    m = _WEB_URL.match(url)
    if m is not None:
        owner, name, _, number, anchor, aid = m.groups()
        repo = f"{owner}/{name}".lower()
        return repo, f"{repo}#{anchor}{aid}" if anchor else f"{repo}#{number}"
    return None


def _repo(url: Any) -> tuple[str, str] | None:
    if not isinstance(url, str):
        return None
    m = _REPO_URL.match(url)
    if m is None:
        return None
    repo = f"{m.group(1)}/{m.group(2)}".lower()
    return repo, repo


def _text(*parts: Any) -> str | None:
    text = "\n".join(p for p in parts if isinstance(p, str) and p)
    if not text:
        return None
    return _SURROGATE.sub("\ufffd", text)


def _mentions(text: str | None) -> list[str]:
    """The distinct logins ``@``-mentioned in a text, lowercased, in order; code and
    quoted lines left out."""
    if not text or "@" not in text:
        return []
    text = text.replace("\r\n", "\n")
    if "```" in text or "~~~" in text:
        text = _FENCE.sub("", text)
    if "`" in text:
        text = _CODE_SPAN.sub("", text)
    if ">" in text:
        text = _QUOTE_LINE.sub("", text)
    return list(dict.fromkeys(m.lower() for m in _MENTION.findall(text)))
