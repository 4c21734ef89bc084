"""How rows travel from an importer to the store: chunks of Arrow record batches.

An importer is a function that returns a :class:`Parsed`: what was read (files, options) and
a lazy stream of :class:`Chunk` s, each a record batch for one table of the event log. The
store drains the stream in bounded batches, committed as pending and made visible together
when the import is recorded, so nothing is held in memory beyond a batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from narrowcast.model.schema import EVENTS, IDENTITIES, PEOPLE

__all__ = [
    "CODED_STRING",
    "ROW_GROUP_ROWS",
    "TABLES",
    "Chunk",
    "Parsed",
    "ProgressCallback",
    "RowBuffer",
    "ahead",
    "fits",
]

T = TypeVar("T")

#: Rows in a row group of DuckDB's tables (its default). The store inserts events in whole
#: row groups; an importer whose batches are whole row groups spares it a copy.
ROW_GROUP_ROWS = 122_880

#: The tables an importer may fill, with their schemas.
TABLES: dict[str, pa.Schema] = {"events": EVENTS, "people": PEOPLE, "identities": IDENTITIES}

#: A string column may come dictionary-encoded so (CSV and Parquet person ids are read
#: so): the store then looks each distinct person id up once.
CODED_STRING = pa.dictionary(pa.int32(), pa.string())


def fits(batch: pa.RecordBatch, table: str) -> bool:
    """Whether ``batch`` has the columns of ``table`` with their types, a string column
    plain or as :data:`CODED_STRING`.

    >>> person, account = pa.array(["x:ada"]), pa.array(["y:ada"]).dictionary_encode()
    >>> names = TABLES["identities"].names
    >>> fits(pa.record_batch([person, account, pa.array(["manual"])], names), "identities")
    True
    >>> fits(pa.record_batch([person, account], ["person", "account"]), "identities")
    False
    """
    schema = TABLES[table]
    if batch.schema.names != schema.names:
        return False
    return all(
        got == want.type or (want.type == pa.string() and got == CODED_STRING)
        for got, want in zip(batch.schema.types, schema, strict=True)
    )


#: Called with (rows so far, input bytes so far, input bytes in all).
ProgressCallback = Callable[[int, int, int], None]


@dataclass(frozen=True)
class Chunk:
    """One record batch for one table, read from one input file.

    ``batch`` :func:`fits` ``table``. ``bytes_read`` is how far into the whole input (all
    files together) the importer is once this batch is out: the natural unit for a progress
    bar.
    """

    table: str
    batch: pa.RecordBatch
    path: Path
    bytes_read: int


@dataclass
class Parsed:
    """What an importer read, and the rows it yields as they are read.

    ``chunks`` is consumed once. ``bad_rows`` counts rows skipped under ``skip_bad_rows``;
    it is final once ``chunks`` is exhausted.
    """

    format: str
    platform: str
    paths: list[Path]
    chunks: Iterable[Chunk]
    options: dict[str, Any] = field(default_factory=dict)
    bad_rows: int = 0
    total_bytes: int = 0

    def __iter__(self) -> Iterator[Chunk]:
        return iter(self.chunks)


class RowBuffer:
    """Collects rows of one table column by column and hands them out as record batches.

    For importers that build rows one by one in Python (XML, mail). Columns left out of a
    row are null; ``ts`` is given as integer microseconds since the epoch.

    >>> buf = RowBuffer("events", batch_rows=2)
    >>> buf.add(ts=0, platform="p", kind="post", actor="p:1", visibility="public", quantity=1)
    >>> buf.full
    False
    >>> buf.flush().num_rows
    1
    """

    def __init__(self, table: str, *, batch_rows: int = 65_536) -> None:
        self.schema = TABLES[table]
        self.batch_rows = batch_rows
        self._names = self.schema.names
        self._cols: dict[str, list[Any]] = {n: [] for n in self._names}
        self._n = 0

    def add(self, **row: Any) -> None:
        for name in self._names:
            self._cols[name].append(row.get(name))
        self._n += 1

    def __len__(self) -> int:
        return self._n

    @property
    def full(self) -> bool:
        return self._n >= self.batch_rows

    def flush(self) -> pa.RecordBatch:
        """The rows so far as one record batch; the buffer starts empty again."""
        arrays = []
        for f in self.schema:
            values = self._cols[f.name]
            if pa.types.is_timestamp(f.type):
                arrays.append(pa.array(values, pa.int64()).cast(f.type))
            else:
                arrays.append(pa.array(values, f.type))
        self._cols = {n: [] for n in self._names}
        self._n = 0
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


def ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """The items of ``items``, computed on a thread up to ``depth`` ahead of the consumer.

    Arrow kernels, decompression and DuckDB release the GIL, so reading the next batch runs
    beside writing this one. An exception in ``items`` is raised here, in the consumer; when
    the consumer stops early (an error, Ctrl-C), the thread stops after its current item and
    ``items`` is closed, so its files are too.

    >>> list(ahead(range(5)))
    [0, 1, 2, 3, 4]
    """
    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(depth)
    stop = threading.Event()
    done = object()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((False, done))
        except BaseException as err:  # handed to the consumer, which raises it
            put((False, err))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=run, name="narrowcast-ahead", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = slots.get()
            if ok:
                yield item
            elif item is done:
                return
            else:
                raise item
    finally:
        stop.set()
        thread.join()
