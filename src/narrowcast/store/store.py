"""The store: the event log, people and identities in one embedded DuckDB file.

Loading rules (issue #3, DESIGN.md):

- An import is all or nothing. If it fails half way (a bad row, a full disk, Ctrl-C, a
  killed process), the store, as every reader sees it, is exactly as it was before. Its
  rows are written in bounded batches, each committed but *pending*: they sit in
  ``event_rows`` under the import's id, and readers read ``events``, a view holding only the
  rows of imports recorded in ``imports``. The import's people and identities wait in
  ``pending_people`` and ``pending_identities``. One final small transaction records the
  import in ``imports``, adds its people and identities, and so makes everything visible at
  once. So memory stays bounded whatever the input's size, and nothing half-written is ever
  seen, even after ``kill -9``: the next writable open deletes a dead import's pending rows.
- Importing the same input twice adds nothing: a row whose ``(platform, event_id)`` is
  already in the store is skipped and counted. Distinct real events are never merged: a row
  without an id (an edge list's line) is identified by its content and ``seq``, its
  occurrence number among identical rows of its import, so two identical lines are two
  events, and the same file gives the same rows every time.
- References are resolved across imports: a row's null ``target`` becomes the author of its
  ``parent_id``, a null ``thread_id`` the parent's thread, a null ``accept`` actor the
  thread root's author, as soon as the item they name is in the store, whichever import
  brought it. While a reply has references left to resolve (a null target or thread), a
  ``thread_id`` of it that names another reply (all an importer can give when it knows
  only the parent) becomes that reply's thread.
- Every import is recorded in ``imports``: format, platform, files with their sha256, rows
  read / added / skipped, bad rows skipped, people added, options, when.
- Every actor and target gets a ``people`` row; an importer's own people rows (handles,
  display names) take precedence, a later non-null value over an earlier one.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from narrowcast import __version__
from narrowcast.config import import_commit_rows
from narrowcast.errors import ParameterError, StoreError
from narrowcast.model import EVENTS, IDENTITIES, PEOPLE, ROW_GROUP_ROWS, ProgressCallback
from narrowcast.model.batches import Chunk, Parsed, ahead

__all__ = ["SCHEMA_VERSION", "STAGED_TIES", "ImportResult", "Store"]

#: A scoring run's ties, made in the store by the run itself (see :meth:`Store.save_scores`)
#: until they are kept as ``ties``, or dropped with the run.
STAGED_TIES = "_nc_staged_ties"

SCHEMA_VERSION = 2

#: DuckDB's memory during an import.
IMPORT_MEMORY_MB = 300

#: An import commits its pending rows every ``import_commit_rows`` rows (the setting, 1M by
#: default) or this many bytes of Arrow data (long texts: mail, posts), whichever comes
#: first (the latter at the end of the row group being filled, :class:`_Commits`): DuckDB
#: holds a transaction's new rows in memory, so this bounds an import's.
IMPORT_COMMIT_BYTES = 128 * 2**20

#: Event batches of one file are regrouped for DuckDB (:func:`_merged`): held until they
#: make a row group or more, inserted in whole row groups, or until they hold this many
#: bytes (long texts: mail), whichever comes first. An INSERT costs ~1.7 ms whatever its
#: size, and mail comes in batches of ~1,000 messages (~1.6 MB). A batch of long rows,
#: fewer than a row group and a quarter of the bytes or more, is inserted alone: joining
#: large batches (Stack Exchange posts, ~7 MB) gained nothing and held more memory.
INSERT_BYTES = 16 * 2**20

#: A batch whose rows average more than this many bytes holds long rows: a row group of
#: them is over 60 MB, and a large such batch (Stack Exchange posts) is inserted alone
#: (:func:`_merged`).
LONG_ROW_BYTES = 512

_SQL_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}

# In the store, actor and target are integer keys into people: grouping and joining on
# integers is what keeps measures over 100M events fast, and a store of ints loads at
# millions of rows a second. The view event_log shows them as person ids again.
_PERSON_COLS = {"actor": "actor_key", "target": "target_key"}


def _columns(schema: pa.Schema) -> str:
    return ", ".join(
        f"{_PERSON_COLS.get(f.name, f.name)} "
        f"{'INTEGER' if f.name in _PERSON_COLS else _SQL_TYPES[f.type]}"
        f"{'' if f.nullable else ' NOT NULL'}"
        for f in schema
    )


_EVENT_LOG = (
    "CREATE VIEW event_log AS SELECT "
    + ", ".join(
        {"actor": "a.id AS actor", "target": "t.id AS target"}.get(c, f"e.{c}")
        for c in EVENTS.names
    )
    + " FROM events e LEFT JOIN people a ON a.key = e.actor_key"
    " LEFT JOIN people t ON t.key = e.target_key"
)

# What an import writes before it is recorded: see the loading rules above.
_STAGING = [
    # seq tells apart identical rows that have no event_id (an edge list's repeated lines).
    f"CREATE TABLE event_rows ({_columns(EVENTS)}, seq INTEGER NOT NULL, "
    "import_id INTEGER NOT NULL)",
    # guessed: a row made from an id seen in the events, not one the importer gave; ord:
    # arrival order, so that a later value wins; -1 once merged into one row per person.
    "CREATE TABLE pending_people (import_id INTEGER NOT NULL, ord BIGINT NOT NULL, "
    f"guessed BOOLEAN NOT NULL, key INTEGER NOT NULL, {_columns(PEOPLE)})",
    "CREATE TABLE pending_identities (import_id INTEGER NOT NULL, ord BIGINT NOT NULL, "
    f"{_columns(IDENTITIES)})",
    # A semi-join on the small imports table: measured nearly free (10 ms over 10M rows).
    "CREATE VIEW events AS SELECT * FROM event_rows "
    "WHERE import_id IN (SELECT import_id FROM imports)",
]

_DDL = [
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    f"CREATE TABLE people (key INTEGER NOT NULL, {_columns(PEOPLE)}, PRIMARY KEY (id))",
    f"CREATE TABLE identities ({_columns(IDENTITIES)}, PRIMARY KEY (account))",
    """CREATE TABLE imports (
        import_id INTEGER PRIMARY KEY,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ NOT NULL,
        format VARCHAR NOT NULL,
        platform VARCHAR NOT NULL,
        paths VARCHAR[] NOT NULL,
        sha256 VARCHAR[] NOT NULL,
        bytes BIGINT NOT NULL,
        options VARCHAR,
        events_read BIGINT NOT NULL,
        events_added BIGINT NOT NULL,
        events_skipped BIGINT NOT NULL,
        bad_rows BIGINT NOT NULL,
        people_added BIGINT NOT NULL,
        version VARCHAR NOT NULL
    )""",
    *_STAGING,
    _EVENT_LOG,
]


def _shared_hash(key: str, where: str) -> str:
    """A condition on ``event_rows``: the hash of ``key`` is another row's of ``where`` too.
    It finds the few rows that may repeat cheaply, before a window sorts only those."""
    return (
        f"hash({key}) IN (SELECT hash({key}) AS h FROM event_rows WHERE {where} "
        "GROUP BY h HAVING count(*) > 1)"
    )


# Columns that make up the identity of a row without an event_id.
_CONTENT = [_PERSON_COLS.get(c, c) for c in EVENTS.names if c not in ("event_id", "source")]


@dataclass(frozen=True)
class ImportResult:
    """What one import did, as recorded in the import log."""

    import_id: int
    format: str
    platform: str
    paths: list[str]
    sha256: list[str]
    events_read: int
    events_added: int
    events_skipped: int
    bad_rows: int
    people_added: int
    seconds: float
    options: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for people: what was added, skipped and how fast."""
        if not self.paths:
            files = "(generated)"
        elif len(self.paths) == 1:
            files = self.paths[0]
        else:
            files = f"{len(self.paths)} files"
        rate = self.events_read / self.seconds if self.seconds > 0 else 0.0
        parts = [
            f"{self.events_added:,} events added",
            f"{self.events_skipped:,} already present",
        ]
        if self.bad_rows:
            parts.append(f"{self.bad_rows:,} bad rows skipped")
        parts.append(f"{self.people_added:,} new people")
        return (
            f"{self.format} {files} -> {self.platform}: {', '.join(parts)} "
            f"in {self.seconds:.1f} s ({rate:,.0f} rows/s)"
        )


@contextmanager
def _import_allocator() -> Iterator[None]:
    """Arrow allocates from jemalloc while the rows are read and staged, where pyarrow has
    it and ``ARROW_DEFAULT_MEMORY_POOL`` does not choose: its default, mimalloc, gives freed
    batches back to the system and faults them in again for the next (a 6M-row Parquet
    import: 1.1-1.4 s of system time instead of 0.5, 3.85-4.20 s instead of 3.44-3.54 s in
    all; benchmarks/RESULTS.md).
    The default pool is restored afterwards."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without it
        yield
        return
    before = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(before)


def _handles(ids: pa.Array, platforms: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Each id without its ``platform:`` prefix (the id itself where it has none)."""
    plats = pc.unique(platforms)
    if len(plats) == 1:
        prefix = plats[0].as_py() + ":"
        cut = pc.utf8_slice_codeunits(ids, len(prefix))
        return pc.if_else(pc.starts_with(ids, prefix), cut, ids)
    return pa.array(
        [
            i[len(p) + 1 :] if i.startswith(p + ":") else i
            for i, p in zip(ids.to_pylist(), platforms.to_pylist(), strict=True)
        ],
        pa.string(),
    )


#: The people rows of a lookup that met nobody new.
_NO_NEW_PEOPLE = pa.table(
    {
        n: pa.array([], pa.int32() if n == "key" else pa.string())
        for n in ("key", "id", "platform", "handle")
    }
)


class _PersonKeys:
    """Person id -> integer key, for the duration of one import.

    Ids are found by their 64-bit hash (DuckDB's ``hash``, on a private in-memory
    connection) in sorted NumPy arrays kept as levels of doubling size, as a log-structured
    merge tree keeps its runs: each batch costs a binary search per id, not a pass over
    everyone known. (Arrow's ``index_in`` hashes its whole value set on every call: with
    millions of people known, that was most of a 100M-event import's time.) A hash match is
    confirmed by comparing the ids themselves; the rare mismatch is looked up exactly.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._hasher = duckdb.connect(config={"threads": 1})
        known = con.sql("SELECT id, key FROM people").to_arrow_table()
        ids = known.column("id").combine_chunks()
        self._known_keys = known.column("key").to_numpy().astype(np.int32)
        self._n_known = len(ids)
        self.next = int(self._known_keys.max()) + 1 if len(ids) else 1
        self._first_new = self.next
        # Position p < n_known is a known person (key _known_keys[p]); a later position is
        # the (p - n_known)th new one, key _first_new + (p - n_known).
        self._chunks: list[pa.Array] = [ids]
        self._size = len(ids)
        self._levels: list[tuple[np.ndarray, np.ndarray]] = []
        if len(ids):
            self._add_level(self._hash(ids), np.arange(len(ids), dtype=np.int64))

    def _hash(self, ids: pa.Array) -> np.ndarray:
        self._hasher.register("_nc_ids", pa.table({"id": ids}))
        try:
            h = self._hasher.execute("SELECT hash(id) AS h FROM _nc_ids").fetchnumpy()["h"]
        finally:
            self._hasher.unregister("_nc_ids")
        return np.asarray(h, dtype=np.uint64)

    def _add_level(self, hashes: np.ndarray, positions: np.ndarray) -> None:
        order = np.argsort(hashes, kind="stable")
        self._levels.append((hashes[order], positions[order]))
        # Merge while the newest level is at least half the one before: log2(n) levels.
        while len(self._levels) > 1 and 2 * len(self._levels[-1][0]) >= len(self._levels[-2][0]):
            (h2, p2), (h1, p1) = self._levels.pop(), self._levels.pop()
            h, pos = np.concatenate([h1, h2]), np.concatenate([p1, p2])
            order = np.argsort(h, kind="stable")
            self._levels.append((h[order], pos[order]))

    def _all_ids(self) -> pa.ChunkedArray:
        if len(self._chunks) > 64:
            self._chunks = [pa.concat_arrays(self._chunks)]
        return pa.chunked_array(self._chunks, pa.string())

    def _positions_of_distinct(self, ids: pa.Array) -> np.ndarray:
        h = self._hash(ids)
        # Sorted needles walk each level in order: 7x faster than random probes at 3M.
        order = np.argsort(h)
        h = h[order]
        sorted_pos = np.full(len(ids), -1, dtype=np.int64)
        for hashes, positions in self._levels:
            i = np.minimum(np.searchsorted(hashes, h), len(hashes) - 1)
            hit = (hashes[i] == h) & (sorted_pos < 0)
            sorted_pos[hit] = positions[i[hit]]
        pos = np.empty_like(sorted_pos)
        pos[order] = sorted_pos
        valid = pc.is_valid(ids).to_numpy(zero_copy_only=False)
        pos[~valid] = -1
        found = np.flatnonzero(pos >= 0)
        if len(found):
            same = pc.equal(pc.take(self._all_ids(), pa.array(pos[found])), ids.take(found))
            wrong = found[~same.to_numpy(zero_copy_only=False)]
            if len(wrong):  # two ids with one hash: look those few up exactly
                exact = pc.index_in(ids.take(wrong), value_set=self._all_ids().combine_chunks())
                pos[wrong] = exact.fill_null(-1).to_numpy(zero_copy_only=False)
        return pos

    def _keys(self, pos: np.ndarray) -> pa.Array:
        known = pos < self._n_known
        keys = np.where(
            known,
            self._known_keys[np.where(known & (pos >= 0), pos, 0)] if self._n_known else 0,
            self._first_new + pos - self._n_known,
        ).astype(np.int32)
        return pa.array(keys, mask=pos < 0)

    def lookup(self, ids: pa.Array, platforms: pa.Array | str) -> tuple[pa.Array, pa.Table]:
        """Keys of ``ids`` (null stays null), and the people rows of ids seen for the first time,
        on the platform of the first row naming them (``platforms``: each row's, or all rows').

        Each distinct id is looked up once: ``ids`` may come dictionary-encoded (a Parquet
        file's id columns are read so), and plain ids are encoded here when they repeat (an
        event log names the same people again and again: a 1M-row batch of an edge list
        names ~200k).
        """
        ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
        if ids.null_count == len(ids):  # nobody (a mail's target, say): nothing to look up
            return pa.nulls(len(ids), pa.int32()), _NO_NEW_PEOPLE
        if not pa.types.is_dictionary(ids.type):
            encoded = pc.dictionary_encode(ids)
            if len(encoded.dictionary) <= len(ids) // 2:
                ids = encoded
        if pa.types.is_dictionary(ids.type):
            values = ids.dictionary
            at = ids.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        else:
            values, at = ids, np.arange(len(ids), dtype=np.int64)
        pos = self._positions_of_distinct(values)
        # A value no row names (a dictionary may hold more) is nobody.
        named = np.zeros(len(values) + 1, dtype=bool)
        named[at] = True  # a null row's -1 marks the spare last slot
        missing = (pos < 0) & named[:-1] & pc.is_valid(values).to_numpy(zero_copy_only=False)
        new = self._add(values, missing, at, platforms, pos) if missing.any() else _NO_NEW_PEOPLE
        return self._keys(np.append(pos, -1)[at]), new  # a null row's -1: the -1 appended

    def _add(
        self,
        values: pa.Array,
        missing: np.ndarray,
        at: np.ndarray,
        platforms: pa.Array | str,
        pos: np.ndarray,
    ) -> pa.Table:
        """Give the ``missing`` values keys (their positions into ``pos``); their people rows.

        A person's platform is that of the first row naming them.
        """
        rows = np.flatnonzero(missing)
        first_row = np.full(len(values), len(at), dtype=np.int64)
        if isinstance(platforms, str):
            platform = pa.array([platforms] * len(rows), pa.string())
        else:
            np.minimum.at(first_row, at[at >= 0], np.flatnonzero(at >= 0))
            platform = pc.cast(platforms.take(pa.array(first_row[rows])), pa.string())
        new = pa.table(
            {"id": values.take(pa.array(rows)), "platform": platform, "first": first_row[rows]}
        )
        # A dictionary's values need not be distinct: one row per id.
        new = (
            new.sort_by("first")
            .group_by("id", use_threads=False)
            .aggregate([("platform", "first")])
        )
        new_ids = new.column("id").combine_chunks()
        n = len(new_ids)
        start = self._size
        self._chunks.append(new_ids)
        self._size += n
        self._add_level(self._hash(new_ids), np.arange(start, start + n, dtype=np.int64))
        at_new = pc.index_in(values.take(pa.array(rows)), value_set=new_ids)
        pos[rows] = start + at_new.to_numpy(zero_copy_only=False)
        keys = pa.array(np.arange(self.next, self.next + n, dtype=np.int32))
        self.next += n
        platform = new.column("platform_first")
        # The handle is the id without its "platform:" prefix, until an importer says more.
        return pa.table(
            {
                "key": keys,
                "id": new_ids,
                "platform": platform,
                "handle": _handles(new_ids, platform),
            }
        )


class _Commits:
    """Where a staged import commits: after ``rows`` event rows, or once the rows and
    people since the last commit hold :data:`IMPORT_COMMIT_BYTES` of Arrow data.

    Where ``rows`` is a row group or more, a commit for the byte bound comes at the end of
    the row group being filled (:data:`ROW_GROUP_ROWS`), the batch split there
    (:meth:`parts`). DuckDB writes the rows of a commit of a row group or more to the
    database file once; those of a smaller commit go to its write-ahead log, and again to
    the file at the next checkpoint. Mail, ~1.4 KB a row, reached the byte bound at ~90k
    rows, so every row was written twice. Committing at the first row group past the
    bound instead left a part-filled row group each time, and the checkpoint after the
    archive x100 merged them, rewriting 1.3 GB in 9.9 s.
    """

    def __init__(self, rows: int) -> None:
        self._every = rows
        self._whole = rows >= ROW_GROUP_ROWS  # byte-bound commits at a row group's end
        self._rows = self._bytes = 0  # event rows and bytes since the last commit
        self._due = rows  # commit once this many event rows are written
        self._cut = False  # split a batch where the commit falls

    def parts(self, batch: pa.RecordBatch | pa.Table) -> Iterator[pa.RecordBatch | pa.Table]:
        """``batch`` in parts, the first ending where a commit falls within it; the caller
        :meth:`add` s each part once it is written."""
        start = 0
        while start < batch.num_rows:
            room = batch.num_rows - start
            if self._cut:
                room = min(room, self._due - self._rows)
            yield batch.slice(start, room)
            start += room

    def add(self, rows: int, nbytes: int) -> bool:
        """Count what was written; whether to commit now (the counts start again)."""
        self._rows += rows
        self._bytes += nbytes
        if self._bytes >= IMPORT_COMMIT_BYTES and not self._cut:
            due = -(-self._rows // ROW_GROUP_ROWS) * ROW_GROUP_ROWS if self._whole else self._rows
            if due < self._due:
                self._due, self._cut = due, self._whole
        if self._rows < self._due:
            return False
        self._rows = self._bytes = 0
        self._due, self._cut = self._every, False
        return True


def _the_one(c: pa.Array) -> str | None:
    """The value of every row of ``c``, if they all hold the same one."""
    if pa.types.is_dictionary(c.type):
        c = c.dictionary.take(pc.unique(c.indices))
    if not len(c) or c.null_count:
        return None
    least, most = pc.min_max(c).values()
    return least.as_py() if least == most else None


def _keyed(
    parsed: Parsed, keys: _PersonKeys
) -> Iterator[tuple[str, pa.RecordBatch, list[pa.Table], Chunk]]:
    """Each chunk with actor and target (or a people row's id) turned into person keys.

    Yields (table, batch to insert, people rows first seen in it, the chunk). Touches no
    database: it runs on a thread beside the inserts.
    """
    names = EVENTS.names
    for chunk in parsed:
        batch = chunk.batch
        new_people: list[pa.Table] = []
        if chunk.table == "events":
            arrays = list(batch.columns)
            platforms = _the_one(batch.column("platform")) or batch.column("platform")
            for col in ("actor", "target"):
                key, new = keys.lookup(batch.column(col), platforms)
                arrays[names.index(col)] = key
                if new.num_rows:
                    new_people.append(new)
            batch = pa.RecordBatch.from_arrays(arrays, names=names)
        elif chunk.table == "people":
            # The people rows themselves are upserted: no separate new rows to add.
            key, _ = keys.lookup(batch.column("id"), batch.column("platform"))
            batch = batch.add_column(0, "key", key)
        yield chunk.table, batch, new_people, chunk


def _merged(
    items: Iterator[tuple[str, pa.RecordBatch, list[pa.Table], Chunk]],
) -> Iterator[tuple[str, pa.RecordBatch | pa.Table, list[pa.Table], Chunk]]:
    """``items`` (from :func:`_keyed`) with the event batches of one file regrouped into
    inserts that keep DuckDB's row groups whole (see :data:`INSERT_BYTES`), each with the
    new people of the batches it ends and the last chunk of them; the order is kept.

    An insert of a row group or more starts row groups of its own, leaving the last one
    part-filled, and so does a commit; an insert of fewer rows fills on from where the last
    stopped. Part-filled row groups in the middle of the table are merged by the next
    checkpoint of whoever writes next: the first scoring after importing 1M synthetic
    events, in batches of 131,072, paid 0.37 s for it, 10M events 1.0 s. So rows are
    inserted in whole row groups, a row group or more held back for the file's last insert:
    its part-filled row group is then written with whole ones, straight to the database
    file, where a small last insert would go through the write-ahead log.
    """
    held: list[pa.RecordBatch] = []
    people: list[pa.Table] = []
    last: Chunk | None = None

    for table, batch, new_people, chunk in items:
        rows = sum(b.num_rows for b in held)
        # Under a row group: a large batch of long rows goes alone, smaller ones together up
        # to the byte bound. A file's last batch joins the row group or more held for it.
        small = rows + batch.num_rows < ROW_GROUP_ROWS
        alone = table != "events" or (
            rows < ROW_GROUP_ROWS
            and batch.num_rows < ROW_GROUP_ROWS
            and batch.nbytes >= INSERT_BYTES // 4
            and batch.nbytes > LONG_ROW_BYTES * batch.num_rows
        )
        if last is not None and (
            alone
            or chunk.path != last.path
            or (small and sum(b.nbytes for b in held) + batch.nbytes > INSERT_BYTES)
        ):
            yield "events", _one_insert(held), people, last
            held, people, last = [], [], None
        if alone:
            yield table, batch, new_people, chunk
            continue
        held.append(batch)
        people.extend(new_people)
        last = chunk
        rows = sum(b.num_rows for b in held)
        if rows >= 2 * ROW_GROUP_ROWS:
            whole = (rows - ROW_GROUP_ROWS) // ROW_GROUP_ROWS * ROW_GROUP_ROWS
            joined = pa.Table.from_batches(held)
            yield "events", _one_insert(joined.slice(0, whole).to_batches()), people, last
            held, people = [b for b in joined.slice(whole).to_batches() if b.num_rows], []
    if last is not None:
        yield "events", _one_insert(held), people, last


def _one_insert(batches: list[pa.RecordBatch]) -> pa.Table:
    """The batches as one insert's table, each Arrow chunk but the last whole row groups.

    DuckDB starts a row group anew at each chunk of an insert of a row group or more, so
    the rows around each place where a batch ends within a row group, from the row group's
    start to its end, are copied into one chunk (synthetic and Parquet batches are whole
    row groups, and go without a copy)."""
    if sum(b.num_rows for b in batches) < ROW_GROUP_ROWS:
        return pa.Table.from_batches(batches)
    chunks: list[pa.RecordBatch] = []
    filling: list[pa.RecordBatch] = []  # the rows of the row group being filled
    filled = 0  # how many
    for batch in batches:
        start = 0
        if filling:
            start = min(ROW_GROUP_ROWS - filled, batch.num_rows)
            filling.append(batch.slice(0, start))
            filled += start
            if filled < ROW_GROUP_ROWS:
                continue
            chunks.append(pa.concat_batches(filling))
            filling, filled = [], 0
        whole = (batch.num_rows - start) // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        if whole:
            chunks.append(batch.slice(start, whole))
        if start + whole < batch.num_rows:
            filling.append(batch.slice(start + whole))
            filled = batch.num_rows - start - whole
    if filling:
        chunks.append(filling[0] if len(filling) == 1 else pa.concat_batches(filling))
    return pa.Table.from_batches(chunks)


class Store:
    """An open narrowcast store (a DuckDB file).

    Parameters
    ----------
    path
        The DuckDB file. Created with the tables when ``create`` is true and it does not
        exist.
    create
        Create a missing store instead of raising :class:`~narrowcast.errors.StoreError`.
    read_only
        Open without taking the write lock, so several readers can share the file.
    """

    def __init__(
        self, path: str | PathLike[str], *, create: bool = True, read_only: bool = False
    ) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise StoreError(
                f"no store at {self.path}; import data first (narrowcast import ...) "
                "or choose a store with --db / NARROWCAST_DB"
            )
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; expected a narrowcast store file")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only and self.path.exists())
        except duckdb.IOException as err:
            msg = str(err)
            if "lock" in msg.lower():
                raise StoreError(
                    f"the store {self.path} is in use by another process; "
                    "wait for it to finish or choose another store with --db"
                ) from err
            if "not a valid DuckDB database" in msg:
                raise StoreError(
                    f"{self.path} is not a narrowcast store (not a DuckDB file)"
                ) from err
            raise StoreError(f"cannot open the store {self.path}: {msg.splitlines()[0]}") from err
        except duckdb.Error as err:
            raise StoreError(
                f"{self.path} is not a narrowcast store (DuckDB says: {str(err).splitlines()[0]})"
            ) from err
        self._q("SET TimeZone = 'UTC'")
        self._q("SET enable_progress_bar = false")
        try:
            if not read_only:
                self._create()
                self._upgrade()
            self._check_version(read_only=read_only)
            if not read_only:
                self._discard_pending()
        except BaseException:
            self.con.close()
            raise

    # -- schema --------------------------------------------------------------------------

    def _create(self) -> None:
        tables = {r[0] for r in self._q("SELECT table_name FROM duckdb_tables()")}
        if tables and "meta" not in tables:
            raise StoreError(f"{self.path} is a DuckDB file but not a narrowcast store")
        if "meta" in tables:
            return
        with self.transaction():
            for ddl in _DDL:
                self._q(ddl)
            self._q(
                "INSERT INTO meta VALUES ('schema_version', ?), ('created_by', ?)",
                [str(SCHEMA_VERSION), f"narrowcast {__version__}"],
            )

    def _schema_version(self) -> int | None:
        try:
            rows = self._q("SELECT value FROM meta WHERE key = 'schema_version'")
        except duckdb.CatalogException as err:
            raise StoreError(f"{self.path} is a DuckDB file but not a narrowcast store") from err
        return int(rows[0][0]) if rows else None

    def _upgrade(self) -> None:
        """Bring a schema 1 store (one ``events`` table, imports in one transaction) to 2."""
        if self._schema_version() != 1:
            return
        with self.transaction():
            self._q("DROP VIEW event_log")
            self._q("ALTER TABLE events RENAME TO event_rows")
            for ddl in [*_STAGING[1:], _EVENT_LOG]:
                self._q(ddl)
            self._q("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])

    def _check_version(self, *, read_only: bool) -> None:
        version = self._schema_version()
        # A schema 1 store reads the same (its events table has every row committed); it
        # is upgraded the first time it is opened for writing.
        if version == SCHEMA_VERSION or (read_only and version == 1):
            return
        raise StoreError(
            f"{self.path} has store schema {version if version is not None else '?'}; this "
            f"narrowcast reads schemas 1 and {SCHEMA_VERSION}: upgrade narrowcast to open it"
        )

    def _q(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and fetch its rows (DuckDB wants every result consumed)."""
        return self.con.execute(sql, params).fetchall()

    def _one(self, sql: str, params: list[Any] | None = None) -> Any:
        """The first value of the first row of a statement."""
        return self._q(sql, params)[0][0]

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: commits at the end, rolls back on any exception, Ctrl-C included."""
        self._q("BEGIN TRANSACTION")
        try:
            yield self.con
            self._q("COMMIT")
        except duckdb.Error as err:
            self._rollback()
            raise StoreError(
                f"the store {self.path} could not be written, nothing was changed: "
                f"{str(err).splitlines()[0]}"
            ) from err
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # DuckDB may already have ended a failed transaction; nothing was committed either way.
        with contextlib.suppress(duckdb.Error):
            self._q("ROLLBACK")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading -------------------------------------------------------------------------

    def load(
        self,
        parsed: Parsed,
        *,
        progress: ProgressCallback | None = None,
        commit_rows: int | None = None,
    ) -> ImportResult:
        """Add what an importer read, all or nothing, and record the import.

        Parameters
        ----------
        parsed
            An importer's output (:func:`narrowcast.importers.read`).
        progress
            Called with (rows so far, input bytes so far, input bytes in all) after each
            batch.
        commit_rows
            Pending rows written between two commits (default
            ``$NARROWCAST_IMPORT_COMMIT_ROWS``, else 1,000,000): what bounds the memory of
            an import. Readers see none of them until the import is recorded.

        Returns
        -------
        ImportResult
            Rows read, added and skipped, people added, the files' sha256.
        """
        from narrowcast.importers._common import sha256_of

        commit_rows = import_commit_rows(commit_rows)
        if commit_rows < 1:
            raise ParameterError.expected(
                "commit_rows", "load", "an int of at least 1", commit_rows
            )
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        real_files = [p for p in parsed.paths if p.is_file()]
        hashes = {p: sha256_of(p) for p in real_files}
        self._q(f"SET memory_limit = '{IMPORT_MEMORY_MB}MB'")
        try:
            import_id = self._begin_import()
            try:
                with _import_allocator():
                    read = self._stage(parsed, import_id, commit_rows, progress)
                with self.transaction():
                    self._number_repeats(import_id)
                with self.transaction():
                    skipped = self._drop_known(import_id)
                with self.transaction():
                    self._resolve_references(
                        f"import_id = {import_id}",
                        f"import_id = {import_id} OR import_id IN (SELECT import_id FROM imports)",
                    )
                sha = [hashes[p].result() for p in real_files]
                result = ImportResult(
                    import_id=import_id,
                    format=parsed.format,
                    platform=parsed.platform,
                    paths=[str(p) for p in parsed.paths],
                    sha256=sha,
                    events_read=read,
                    events_added=read - skipped,
                    events_skipped=skipped,
                    bad_rows=parsed.bad_rows,
                    people_added=0,  # known once they are added
                    seconds=0.0,
                    options=parsed.options,
                )
                with self.transaction():
                    self._merge_people(import_id)
                with self.transaction():
                    result = self._publish(result, started_at, parsed.total_bytes)
            except BaseException:
                # Tidy up now where possible; otherwise the next writable open does.
                with contextlib.suppress(Exception):
                    self._discard_pending()
                raise
        finally:
            self._q("RESET memory_limit")
        return replace(result, seconds=time.perf_counter() - started)

    def _begin_import(self) -> int:
        """A fresh import id, marked pending in ``meta`` until the import is recorded."""
        self._discard_pending()
        with self.transaction():
            import_id = int(self._one("SELECT coalesce(max(import_id), 0) + 1 FROM imports"))
            self._q("INSERT INTO meta VALUES ('pending_import', ?)", [str(import_id)])
        return import_id

    def _discard_pending(self) -> None:
        """Delete what an unfinished import left (a crash, a kill): readers never saw it."""
        if not self._q("SELECT 1 FROM meta WHERE key = 'pending_import'"):
            return
        with self.transaction():
            recorded = "(SELECT import_id FROM imports)"
            self._q(f"DELETE FROM event_rows WHERE import_id NOT IN {recorded}")
            self._q("DELETE FROM pending_people")
            self._q("DELETE FROM pending_identities")
            self._q("DELETE FROM meta WHERE key = 'pending_import'")
        # Give the deleted rows' space back now rather than at some later checkpoint.
        self._q("CHECKPOINT")

    def _stage(
        self,
        parsed: Parsed,
        import_id: int,
        commit_rows: int,
        progress: ProgressCallback | None,
    ) -> int:
        """Write the import's rows as pending, committing every ``commit_rows`` rows.

        Returns the rows read.
        """
        read = ord_ = 0
        commits = _Commits(commit_rows)
        keys = _PersonKeys(self.con)
        with self.transaction():
            # Keys are looked up on a thread while the previous batch is written.
            for table, batch, new_rows, chunk in ahead(_merged(_keyed(parsed, keys))):
                for new in new_rows:
                    self._insert(
                        "INSERT INTO pending_people (import_id, ord, guessed, key, id, "
                        "platform, handle) SELECT $1, $2, true, key, id, platform, handle "
                        "FROM _nc_batch",
                        new,
                        [import_id, ord_],
                    )
                ord_ += 1
                if table == "events":
                    source = f"{parsed.format}:{chunk.path.name}"
                    cols = ", ".join("$1" if c == "source" else c for c in EVENTS.names)
                    for part in commits.parts(batch):
                        self._insert(
                            f"INSERT INTO event_rows SELECT {cols}, 0, $2 FROM _nc_batch",
                            part,
                            [source, import_id],
                        )
                        read += part.num_rows
                        if commits.add(part.num_rows, part.nbytes):
                            self._q("COMMIT")
                            self._q("BEGIN TRANSACTION")
                else:
                    pending = "pending_people" if table == "people" else "pending_identities"
                    self._insert(
                        f"INSERT INTO {pending} BY NAME "
                        "SELECT $1 AS import_id, $2 + row_number() OVER () AS ord, "
                        f"{'false AS guessed, ' if table == 'people' else ''}* FROM _nc_batch",
                        batch,
                        [import_id, ord_ * 2**32],
                    )
                    if commits.add(0, batch.nbytes):
                        self._q("COMMIT")
                        self._q("BEGIN TRANSACTION")
                if progress is not None:
                    progress(read, chunk.bytes_read, parsed.total_bytes)
        return read

    def _merge_people(self, import_id: int) -> None:
        """One pending row per person of this import, still pending: an importer's own
        non-null values win over what the store guessed from ids (ranked lowest), a later
        one over an earlier one. Done before the final transaction to keep that one small.

        Only people with several pending rows are merged; a person's only row is already
        what merging it would give, and is marked merged where it is."""
        mine = "import_id = $1 AND ord >= 0"
        self._q(
            f"""CREATE OR REPLACE TEMP TABLE _nc_several AS
                SELECT id FROM pending_people WHERE {mine} GROUP BY id HAVING count(*) > 1""",
            [import_id],
        )
        several = f"{mine} AND id IN (SELECT id FROM _nc_several)"
        rank = "CASE WHEN guessed THEN -1 ELSE ord END"
        latest = ", ".join(
            f"arg_max({c}, {rank}) FILTER (WHERE {c} IS NOT NULL) AS {c}" for c in PEOPLE.names[1:]
        )
        self._q(
            f"""INSERT INTO pending_people BY NAME
                SELECT $1 AS import_id, -1 AS ord, false AS guessed, min(key) AS key, id, {latest}
                FROM pending_people WHERE {several} GROUP BY id""",
            [import_id],
        )
        self._q(f"DELETE FROM pending_people WHERE {several}", [import_id])
        self._q(f"UPDATE pending_people SET ord = -1, guessed = false WHERE {mine}", [import_id])
        self._q("DROP TABLE _nc_several")

    def _publish(
        self, result: ImportResult, started_at: datetime, total_bytes: int
    ) -> ImportResult:
        """Record the import: its people, identities and rows become visible together.

        Returns ``result`` with the people added.
        """
        import_id = result.import_id
        people_before = self._one("SELECT count(*) FROM people")
        # Updates first, while people holds only what is committed: the join stays small.
        rest = PEOPLE.names[1:]
        changes = " OR ".join(
            f"(n.{c} IS NOT NULL AND n.{c} IS DISTINCT FROM people.{c})" for c in rest
        )
        self._q(
            f"""UPDATE people SET {", ".join(f"{c} = coalesce(n.{c}, people.{c})" for c in rest)}
                FROM pending_people n
                WHERE n.import_id = ? AND people.id = n.id AND ({changes})""",
            [import_id],
        )
        # Plain inserts for people new to the store, updates only where a value changes:
        # an upsert of a 100M-event import's 4M people ran out of the import's memory.
        cols = ", ".join(PEOPLE.names)
        self._q(
            f"""INSERT INTO people (key, {cols}) SELECT key, {cols} FROM pending_people n
                WHERE import_id = ? AND NOT EXISTS (SELECT 1 FROM people p WHERE p.id = n.id)""",
            [import_id],
        )
        self._q(
            f"""INSERT INTO identities SELECT {", ".join(IDENTITIES.names)}
                FROM pending_identities WHERE import_id = ?
                QUALIFY row_number() OVER (PARTITION BY account ORDER BY ord) = 1
                ON CONFLICT DO NOTHING""",
            [import_id],
        )
        result = replace(
            result, people_added=self._one("SELECT count(*) FROM people") - people_before
        )
        self._q(
            "INSERT INTO imports VALUES (?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                import_id,
                started_at,
                result.format,
                result.platform,
                result.paths,
                result.sha256,
                total_bytes,
                json.dumps(result.options, sort_keys=True, default=str),
                result.events_read,
                result.events_added,
                result.events_skipped,
                result.bad_rows,
                result.people_added,
                __version__,
            ],
        )
        # Earlier imports' rows that point at this import's items (a reply that came
        # before its post): they are visible, so they change in this transaction. This
        # import's own rows are settled already: only an earlier row lacking something, or
        # whose thread names a reply of this import, can change (and then rows pointing at
        # it, this import's too).
        recorded = "import_id IN (SELECT import_id FROM imports)"
        self._resolve_references(
            recorded,
            unsettled=f"{recorded} AND import_id <> {import_id}",
            new_items=f"import_id = {import_id}",
        )
        self._q("DELETE FROM pending_people WHERE import_id = ?", [import_id])
        self._q("DELETE FROM pending_identities WHERE import_id = ?", [import_id])
        self._q("DELETE FROM meta WHERE key = 'pending_import'")
        return result

    def _insert(
        self, sql: str, batch: pa.RecordBatch | pa.Table, params: list[Any] | None = None
    ) -> None:
        """Run an INSERT that reads the batch as ``_nc_batch``."""
        self.con.register("_nc_batch", batch)
        try:
            self._q(sql, params)
        finally:
            self.con.unregister("_nc_batch")

    def _number_repeats(self, import_id: int) -> None:
        """Number apart identical id-less rows of this import: seq 0, 1, 2 by arrival."""
        content = ", ".join(_CONTENT)
        # A hash of a few fixed-width columns finds the few candidates cheaply (hashing every
        # column took twice as long); the window then compares whole rows.
        mine = "import_id = $1 AND event_id IS NULL"
        self._q(
            f"""
            UPDATE event_rows SET seq = r.k
            FROM (
                SELECT rowid AS rid,
                       row_number() OVER (PARTITION BY {content} ORDER BY rowid) - 1 AS k
                FROM event_rows
                WHERE {mine} AND {_shared_hash("ts, actor_key, target_key, kind", mine)}
                QUALIFY k > 0
            ) AS r
            WHERE event_rows.rowid = r.rid
            """,
            [import_id],
        )

    def _drop_known(self, import_id: int) -> int:
        """Delete this import's rows the store already had; return how many.

        A row with an event_id is known when its platform has that id (in an earlier import,
        or earlier in this one); a row without one when an identical row with the same seq
        is there. ``events`` holds the earlier imports' rows only: this one is pending.
        """
        # The same event twice in one import (overlapping dump files): keep the first.
        mine = "import_id = $1 AND event_id IS NOT NULL"
        skipped = self._one(
            f"""DELETE FROM event_rows WHERE {mine} AND rowid IN (
                   SELECT rowid FROM event_rows
                   WHERE {mine} AND {_shared_hash("platform, event_id", mine)}
                   QUALIFY row_number() OVER (PARTITION BY platform, event_id ORDER BY rowid) > 1
               )""",
            [import_id],
        )
        platforms = [
            r[0]
            for r in self._q(
                "SELECT DISTINCT platform FROM event_rows WHERE import_id = ?", [import_id]
            )
        ]
        for platform in platforms:
            earlier = self._one(
                "SELECT count(*) FROM (SELECT 1 FROM events WHERE platform = ? LIMIT 1)",
                [platform],
            )
            if not earlier:
                continue
            skipped += self._one(
                """DELETE FROM event_rows WHERE import_id = $1 AND platform = $2
                   AND event_id IN (SELECT event_id FROM events WHERE platform = $2)""",
                [import_id, platform],
            )
            same = " AND ".join(f"n.{c} IS NOT DISTINCT FROM o.{c}" for c in _CONTENT)
            skipped += self._one(
                f"""DELETE FROM event_rows WHERE rowid IN (
                        SELECT n.rowid FROM event_rows n JOIN events o ON {same} AND n.seq = o.seq
                        WHERE n.import_id = $1 AND n.platform = $2 AND n.event_id IS NULL
                          AND o.platform = $2 AND o.event_id IS NULL)""",
                [import_id, platform],
            )
        return skipped

    def _resolve_references(
        self,
        rows: str,
        items: str | None = None,
        *,
        unsettled: str | None = None,
        new_items: str | None = None,
    ) -> None:
        """Fill null threads, targets and accept actors from the items the rows point at,
        and move a reply whose thread names another reply into that reply's thread.

        ``rows`` is the condition on ``event_rows`` of the rows that may change, ``items``
        that of the rows whose items they may point at (by default the same). Nothing is
        done unless a row of ``unsettled`` (by default ``rows``) is a reply lacking a
        thread, target or accept actor, or one whose thread names an item of ``new_items``
        (by default ``items``) that is in another item's thread.
        """
        items = items or rows

        def a_reply(where: str) -> bool:
            return bool(
                self._one(
                    f"""SELECT count(*) FROM (SELECT 1 FROM event_rows
                        WHERE ({unsettled or rows}) AND parent_id IS NOT NULL AND ({where})
                        LIMIT 1)"""
                )
            )

        def a_thread_names_a_reply() -> bool:
            # Whether a reply's thread names an item in another item's thread, by the hashes
            # of both ids in one aggregation, which DuckDB moves to disk within the import's
            # memory as it goes. A join of the ids themselves ran out of it (100M events,
            # DuckDB 2.0.1: the 84M replies' threads against the 28M items in a thread),
            # and took 21 s against 6 s (2.0.0). Two ids that hash alike by chance only send
            # the import through the updates below, which then change nothing.
            return bool(
                self._one(
                    f"""SELECT count(*) FROM (
                        SELECT h FROM (
                            SELECT hash(platform, thread_id) AS h, true AS reply
                            FROM event_rows WHERE ({unsettled or rows})
                              AND parent_id IS NOT NULL AND thread_id IS NOT NULL
                            UNION ALL
                            SELECT hash(platform, content_id), false
                            FROM event_rows WHERE ({new_items or items})
                              AND thread_id <> content_id)
                        GROUP BY h HAVING bool_or(reply) AND NOT bool_and(reply) LIMIT 1)"""
                )
            )

        # Cheapest first: the last reads the ids of every item (the whole store before
        # publishing), so it runs only for replies with a thread and nothing lacking.
        if not (
            a_reply(
                "thread_id IS NULL OR target_key IS NULL OR (kind = 'accept' AND actor_key IS NULL)"
            )
            or (a_reply("thread_id IS NOT NULL") and a_thread_names_a_reply())
        ):
            return

        def pointed_at(column: str, where: str) -> str:
            # Only the items some row points at: the group-by stays small whatever the store.
            return f"""(SELECT platform, content_id, any_value(actor_key) AS actor_key,
                               any_value(thread_id) AS thread_id
                        FROM event_rows WHERE ({items}) AND content_id IS NOT NULL
                          AND content_id IN (SELECT {column} FROM event_rows
                                             WHERE ({rows}) AND {where})
                        GROUP BY ALL)"""

        def until_settled(update: str) -> None:
            # A chain of replies moves one link a pass: repeat until nothing changes.
            for _ in range(100):
                if not self._one(update):
                    break

        # A reply to a reply takes its thread from its parent.
        until_settled(
            f"""UPDATE event_rows SET thread_id = p.thread_id
                FROM {pointed_at("parent_id", "thread_id IS NULL")} AS p
                WHERE ({rows}) AND event_rows.thread_id IS NULL AND p.thread_id IS NOT NULL
                  AND event_rows.platform = p.platform
                  AND event_rows.parent_id = p.content_id"""
        )
        # A thread is named by its root. An importer that knows only a reply's parent (an
        # e-mail whose References keep the last id alone) names the parent; where that item
        # is itself a reply in a thread, the row is in that thread.
        until_settled(
            f"""UPDATE event_rows SET thread_id = p.thread_id
                FROM {pointed_at("thread_id", "parent_id IS NOT NULL")} AS p
                WHERE ({rows}) AND event_rows.parent_id IS NOT NULL
                  AND event_rows.platform = p.platform
                  AND event_rows.thread_id = p.content_id
                  AND p.thread_id IS NOT NULL AND p.thread_id <> p.content_id"""
        )
        self._q(
            f"""UPDATE event_rows SET target_key = p.actor_key
                FROM {pointed_at("parent_id", "target_key IS NULL")} AS p
                WHERE ({rows}) AND event_rows.target_key IS NULL AND p.actor_key IS NOT NULL
                  AND event_rows.platform = p.platform AND event_rows.parent_id = p.content_id"""
        )
        self._q(
            f"""UPDATE event_rows SET actor_key = r.actor_key
                FROM {pointed_at("thread_id", "kind = 'accept' AND actor_key IS NULL")} AS r
                WHERE ({rows}) AND event_rows.kind = 'accept' AND event_rows.actor_key IS NULL
                  AND r.actor_key IS NOT NULL
                  AND event_rows.platform = r.platform AND event_rows.thread_id = r.content_id"""
        )

    # -- reading -------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Counts of events and people, events by kind and platform, first and last time."""
        # Naive UTC out (the session's time zone is UTC): no pytz needed to fetch.
        events, first, last = self._q(
            "SELECT count(*), min(ts)::TIMESTAMP, max(ts)::TIMESTAMP FROM events"
        )[0]
        people = self._one("SELECT count(*) FROM people")
        kinds = dict(self._q("SELECT kind, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1"))
        platforms = dict(
            self._q("SELECT platform, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1")
        )
        imports = self._one("SELECT count(*) FROM imports")
        return {
            "store": str(self.path),
            "events": events,
            "people": people,
            "kinds": kinds,
            "platforms": platforms,
            "first_ts": first.isoformat() + "+00:00" if first else None,
            "last_ts": last.isoformat() + "+00:00" if last else None,
            "imports": imports,
        }

    def imports(self) -> list[dict[str, Any]]:
        """The import log, oldest first."""
        cur = self.con.execute("SELECT * FROM imports ORDER BY import_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # -- scores --------------------------------------------------------------------------

    def save_scores(
        self,
        people_table: str,
        ties_table: str,
        run: dict[str, Any],
        tie_columns: list[str] | None = None,
        *,
        history_table: str | None = None,
    ) -> None:
        """Keep a scoring run's results (from the connection's tables or parenthesised
        queries of those SQL names, the ties' ``tie_columns`` or all), replacing the previous
        run's, in one transaction.

        ``ties_table`` may be :data:`STAGED_TIES`, a table the run made in the store: it
        becomes ``ties`` as it is, renamed rather than copied (the copy of 1M events' 370k
        ties took 0.32 s; 10M events scored in 26.7-27.8 s without it, 29.9-32.5 s with).

        ``history_table`` holds the run's scores as of earlier months (``score_history``);
        without it, an earlier run's history is dropped, as it belongs to that run.
        """
        staged = ties_table == STAGED_TIES
        if staged and tie_columns:
            raise ValueError("the staged ties are kept whole: give no tie_columns with them")
        tie_cols = ", ".join(f'"{c}"' for c in tie_columns) if tie_columns else "*"
        with self.transaction():
            if history_table is None:
                self._q("DROP TABLE IF EXISTS score_history")
            else:
                self._q(
                    "CREATE OR REPLACE TABLE score_history AS "
                    f"SELECT * FROM {history_table} ORDER BY as_of, key"
                )
            self._q(
                f"""CREATE OR REPLACE TABLE scores AS
                    SELECT p.id AS person, p.handle, p.platform, p.display_name,
                           s.* RENAME (person AS key)
                    FROM {people_table} s JOIN people p ON p.key = s.person"""
            )
            if staged:
                self._q("DROP TABLE IF EXISTS ties")
                self._q(f"ALTER TABLE {STAGED_TIES} RENAME TO ties")
            else:
                self._q(f"CREATE OR REPLACE TABLE ties AS SELECT {tie_cols} FROM {ties_table}")
            self._q("CREATE OR REPLACE TABLE score_run (key VARCHAR, value VARCHAR)")
            self._q(
                "INSERT INTO score_run VALUES " + ", ".join(["(?, ?)"] * len(run)),
                [x for k, v in run.items() for x in (k, json.dumps(v, default=str))],
            )

    def update_score_run(self, **values: Any) -> None:
        """Change entries of the stored run's parameters (the time it took, once stored)."""
        with self.transaction():
            for key, value in values.items():
                self._q("DELETE FROM score_run WHERE key = ?", [key])
                entry = json.dumps(value, default=str)
                self._q("INSERT INTO score_run VALUES (?, ?)", [key, entry])

    def score_run(self) -> dict[str, Any] | None:
        """The parameters of the stored scores, or None if nothing was scored yet."""
        if "score_run" not in self.tables():
            return None
        return {k: json.loads(v) for k, v in self._q("SELECT key, value FROM score_run")}

    def tables(self) -> set[str]:
        """The names of the store's tables (``scores``, ``score_history`` once made, ...)."""
        return {r[0] for r in self._q("SELECT table_name FROM duckdb_tables()")}

    def save_fitted_weights(self, weights: dict[str, float], fit: dict[str, Any]) -> None:
        """Keep learned tie weights and their fit quality, replacing earlier ones."""
        with self.transaction():
            self._q("CREATE OR REPLACE TABLE fitted_weights (feature VARCHAR, weight DOUBLE)")
            self._q(
                "INSERT INTO fitted_weights VALUES " + ", ".join(["(?, ?)"] * len(weights)),
                [x for kv in weights.items() for x in kv],
            )
            self._q("CREATE OR REPLACE TABLE fit_info (key VARCHAR, value VARCHAR)")
            self._q(
                "INSERT INTO fit_info VALUES " + ", ".join(["(?, ?)"] * len(fit)),
                [x for k, v in fit.items() for x in (k, json.dumps(v, default=str))],
            )

    # -- identities ----------------------------------------------------------------------

    def _known_ids(self, ids: list[str]) -> None:
        rows = self._q("SELECT id FROM people WHERE id IN (SELECT unnest(?))", [ids])
        missing = sorted(set(ids) - {r[0] for r in rows})
        if missing:
            raise StoreError(
                f"no person {missing[0]!r} in the store; give platform-qualified ids as "
                "'narrowcast info' and 'narrowcast top' show them"
            )

    def canonical(self, account: str) -> str:
        """The person an account belongs to (itself when it is linked to no one)."""
        rows = self._q("SELECT person FROM identities WHERE account = ?", [account])
        return rows[0][0] if rows else account

    def link(self, ids: list[str], origin: str = "manual") -> str:
        """Record that ``ids`` are one person; returns that person's id (the first id's
        person). Accounts already linked to any of them come along."""
        if len(set(ids)) < 2:
            raise StoreError("link needs at least two different person ids")
        self._known_ids(ids)
        with self.transaction():
            person = self.canonical(ids[0])
            groups = {self.canonical(i) for i in ids}
            accounts = set(ids) | groups
            for g in groups:
                accounts |= {
                    r[0] for r in self._q("SELECT account FROM identities WHERE person = ?", [g])
                }
            accounts.discard(person)
            self._q(
                "DELETE FROM identities WHERE account IN (SELECT unnest(?))", [sorted(accounts)]
            )
            self._q("DELETE FROM identities WHERE person IN (SELECT unnest(?))", [sorted(groups)])
            for a in sorted(accounts):
                self._q("INSERT INTO identities VALUES (?, ?, ?)", [person, a, origin])
        return person

    def unlink(self, ids: list[str]) -> int:
        """Make each id its own person again; returns how many links were removed. Unlinking
        a person's main id dissolves the whole group."""
        self._known_ids(ids)
        with self.transaction():
            removed = self._one(
                "SELECT count(*) FROM identities WHERE account IN (SELECT unnest($1)) "
                "OR person IN (SELECT unnest($1))",
                [ids],
            )
            self._q(
                "DELETE FROM identities WHERE account IN (SELECT unnest($1)) "
                "OR person IN (SELECT unnest($1))",
                [ids],
            )
        return int(removed)

    def accounts(self, person: str) -> list[str]:
        """Every platform id of a person, theirs first."""
        main = self.canonical(person)
        rest = [
            r[0]
            for r in self._q("SELECT account FROM identities WHERE person = ? ORDER BY 1", [main])
        ]
        return [main, *rest]

    def link_suggestions(self) -> list[dict[str, Any]]:
        """People on different platforms whose handle or e-mail address is exactly the same
        (case-insensitive): offered, never merged."""
        rows = self._q(
            """
            WITH keys AS (
                SELECT id, platform, lower(handle) AS k, 'handle' AS why FROM people
                WHERE handle IS NOT NULL AND length(handle) > 2
                UNION ALL
                SELECT id, platform, lower(regexp_extract(id, '[^:]+@[^:]+$')) AS k, 'e-mail'
                FROM people WHERE regexp_matches(id, '@[^:]+\\.[^:]+$')
                UNION ALL
                SELECT id, platform, lower(json_extract_string(attributes, '$.email')) AS k,
                       'e-mail'
                FROM people WHERE json_extract_string(attributes, '$.email') IS NOT NULL
            )
            SELECT k, why, list(DISTINCT id ORDER BY id) AS ids
            FROM keys WHERE k IS NOT NULL AND k <> ''
            GROUP BY k, why
            HAVING count(DISTINCT platform) > 1
            ORDER BY k
            """
        )
        linked = {r[0] for r in self._q("SELECT account FROM identities")}
        out = []
        for key, why, ids in rows:
            fresh = [i for i in ids if i not in linked]
            if len(fresh) > 1:
                out.append({"ids": fresh, "same": why, "value": key})
        return out
