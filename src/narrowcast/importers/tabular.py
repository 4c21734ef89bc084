"""CSV and Parquet files holding the event-log columns directly: the door for any source
narrowcast has no importer for.

Columns are named as in the event log (DESIGN.md). ``ts``, ``actor`` and ``kind`` are
required; any of ``event_id``, ``platform``, ``target``, ``content_id``, ``parent_id``,
``thread_id``, ``visibility``, ``quantity``, ``subtype``, ``text`` may be added. Rules:

- ``ts``: ISO-8601 (``2024-03-01T12:00:00Z``; no offset means UTC) or whole seconds since
  the epoch; in Parquet also a timestamp column (naive means UTC).
- ``kind``: one of :data:`narrowcast.model.KINDS`.
- ``actor`` and ``target``: a person's id on the platform; it is qualified as
  ``platform:id`` unless it already starts with ``platform:``. ``actor`` may be empty
  (anonymous reception).
- ``platform``: the column, else ``--platform``, else ``csv`` / ``parquet``.
- ``visibility``: ``public`` or ``private``; empty means private for messages, else public.
- ``quantity``: empty means 1.
- ``event_id``: empty means the row has no id: it is identified by its content, and
  identical rows are distinct events.

A three-row example::

    ts,actor,kind,target,content_id,parent_id
    2024-03-01T09:00:00Z,ada,post,,p1,
    2024-03-01T09:30:00Z,bob,reply,ada,r1,p1
    2024-03-01T09:31:00Z,ada,like,bob,,r1
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from narrowcast.errors import InputError
from narrowcast.importers._common import (
    check_files,
    iso_to_micros,
    open_binary,
    read_errors,
    total_size,
)
from narrowcast.model import (
    CODED_STRING,
    EVENTS,
    KINDS,
    ROW_GROUP_ROWS,
    VISIBILITIES,
    Chunk,
    Parsed,
)

__all__ = ["REQUIRED", "conform", "read_csv", "read_parquet"]

REQUIRED = ("ts", "actor", "kind")
# Person ids are read as dictionaries where they can be: each distinct id is qualified, and
# looked up in the store, once.
_CODED = ("actor", "target")
_OPTIONAL = tuple(n for n in EVENTS.names if n not in REQUIRED and n != "source")
_EXPECTED = f"the event-log columns: {', '.join(REQUIRED)} and optionally {', '.join(_OPTIONAL)}"


def read_csv(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    block_bytes: int = 16 << 20,
) -> Parsed:
    """Read CSV files of event-log columns (header line first; plain or compressed)."""
    files = check_files(paths, f"a CSV file with a header line of {_EXPECTED}")
    parsed = Parsed("csv", platform or "csv", files, (), total_bytes=total_size(files))
    parsed.chunks = _csv_chunks(parsed, files, platform, skip_bad_rows, block_bytes)
    return parsed


def _csv_chunks(
    parsed: Parsed, files: list[Path], platform: str | None, skip_bad_rows: bool, block_bytes: int
) -> Iterator[Chunk]:
    done = 0
    for path in files:
        with open_binary(path) as inp, read_errors(path, _EXPECTED):
            try:
                reader = pacsv.open_csv(
                    inp.stream,
                    read_options=pacsv.ReadOptions(block_size=block_bytes),
                    convert_options=pacsv.ConvertOptions(
                        column_types={
                            n: CODED_STRING if n in _CODED else pa.string() for n in EVENTS.names
                        },
                        strings_can_be_null=True,
                    ),
                )
                _check_columns(path, reader.schema.names)
                line = 2
                for block in reader:
                    batch, bad = conform(
                        block,
                        platform=platform or parsed.platform,
                        path=path,
                        first_line=line,
                        skip_bad_rows=skip_bad_rows,
                    )
                    parsed.bad_rows += bad
                    line += block.num_rows
                    yield Chunk("events", batch, path, done + inp.bytes_read)
            except pa.ArrowInvalid as err:
                raise _csv_error(path, err) from err
        done += path.stat().st_size


def read_parquet(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
    batch_rows: int = 8 * ROW_GROUP_ROWS,
) -> Parsed:
    """Read Parquet files of event-log columns, in batches of ``batch_rows`` (eight of
    DuckDB's row groups: the store inserts them as they are)."""
    files = check_files(paths, f"a Parquet file of {_EXPECTED}")
    parsed = Parsed("parquet", platform or "parquet", files, (), total_bytes=total_size(files))
    parsed.chunks = _parquet_chunks(parsed, files, platform, skip_bad_rows, batch_rows)
    return parsed


def _parquet_chunks(
    parsed: Parsed, files: list[Path], platform: str | None, skip_bad_rows: bool, batch_rows: int
) -> Iterator[Chunk]:
    done = 0
    for path in files:
        size = path.stat().st_size
        try:
            pf = pq.ParquetFile(path)
            ids = _coded_on_read(pf)
            if ids:
                pf = pq.ParquetFile(path, read_dictionary=ids, metadata=pf.metadata)
        except (pa.ArrowInvalid, OSError) as err:
            raise InputError(path, f"is not a Parquet file ({err}); expected {_EXPECTED}") from err
        _check_columns(path, pf.schema_arrow.names)
        total = max(pf.metadata.num_rows, 1)
        rows = 0
        try:
            for block in pf.iter_batches(batch_size=batch_rows):
                batch, bad = conform(
                    block,
                    platform=platform or parsed.platform,
                    path=path,
                    first_line=None,
                    first_row=rows,
                    skip_bad_rows=skip_bad_rows,
                )
                parsed.bad_rows += bad
                rows += block.num_rows
                yield Chunk("events", batch, path, done + size * rows // total)
        except (pa.ArrowInvalid, OSError) as err:
            raise InputError(path, f"cannot be read: {err}; expected {_EXPECTED}") from err
        done += size


def _coded_on_read(pf: pq.ParquetFile) -> list[str]:
    """The columns of ``_CODED`` to read as dictionaries: those the file holds as plain
    strings. A column the file holds dictionary-encoded would be read with a new dictionary
    each row group, which ends the batch (DuckDB writes row groups of 122,880 rows): it is
    read as strings."""
    meta = pf.metadata
    leaf = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
    return [
        f.name
        for f in pf.schema_arrow
        if f.name in _CODED
        and pa.types.is_string(f.type)
        and f.name in leaf
        and not any(
            meta.row_group(g).column(leaf[f.name]).has_dictionary_page
            for g in range(meta.num_row_groups)
        )
    ]


def _check_columns(path: Path, names: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in names]
    unknown = [c for c in names if c not in EVENTS.names or c == "source"]
    if missing:
        raise InputError(
            path,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"expected {_EXPECTED}",
        )
    if unknown:
        raise InputError(
            path,
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"expected {_EXPECTED}",
        )


def _csv_error(path: Path, err: pa.ArrowInvalid) -> InputError:
    msg = str(err).splitlines()[0]
    if "UTF8" in msg or "utf8" in msg.lower() or "utf-8" in msg.lower():
        line = _first_non_utf8_line(path)
        return InputError(path, f"holds bytes that are not UTF-8; expected {_EXPECTED}", line=line)
    if "Empty CSV file" in msg:
        return InputError(path, f"has no header line; expected {_EXPECTED}")
    return InputError(path, f"is not valid CSV ({msg}); expected {_EXPECTED}")


def _first_non_utf8_line(path: Path) -> int | None:
    with open_binary(path) as inp:
        for n, raw in enumerate(inp.stream, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return n
    return None


def conform(
    block: pa.RecordBatch | pa.Table,
    *,
    platform: str,
    path: str | PathLike[str] = "<rows>",
    first_line: int | None = 2,
    first_row: int = 0,
    skip_bad_rows: bool = False,
) -> tuple[pa.RecordBatch, int]:
    """Event rows of a block of event-log columns, and how many bad rows were skipped.

    ``first_line`` is the file line of the block's first row (CSV); with None, places are
    given as row numbers (Parquet). Dictionary-encoded ``actor`` and ``target`` stay so
    (:data:`~narrowcast.model.CODED_STRING`), each distinct id qualified once.

    >>> rows = pa.table({"ts": ["2024-03-01T09:00:00Z"], "actor": ["ada"], "kind": ["post"]})
    >>> batch, bad = conform(rows, platform="forum")
    >>> batch.column("actor").to_pylist(), batch.column("visibility").to_pylist()
    (['forum:ada'], ['public'])
    """
    n = block.num_rows
    bad = np.zeros(n, dtype=bool)
    problems: list[tuple[int, str]] = []

    def flag(mask: np.ndarray, why: str) -> None:
        new = mask & ~bad
        if new.any():
            problems.append((int(np.flatnonzero(new)[0]), why))
        bad[:] |= mask

    def col(name: str) -> pa.Array:
        if name in block.column_names:
            c = block.column(name)
            return c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
        return pa.nulls(n, pa.string())

    ts, ts_bad = _timestamps(col("ts"))
    flag(ts_bad, "ts {!r} is not a time; expected ISO-8601 (2024-03-01T09:00:00Z) or epoch seconds")
    kind = pc.cast(col("kind"), pa.string())
    flag(
        ~pc.fill_null(pc.is_in(kind, pa.array(list(KINDS))), False).to_numpy(zero_copy_only=False),
        f"kind {{!r}} is not one of {', '.join(KINDS)}",
    )
    plat = pc.fill_null(pc.cast(col("platform"), pa.string()), platform)
    vis = pc.cast(col("visibility"), pa.string())
    vis = pc.coalesce(vis, pc.if_else(pc.equal(kind, "message"), "private", "public"))
    flag(
        ~pc.fill_null(pc.is_in(vis, pa.array(list(VISIBILITIES))), False).to_numpy(
            zero_copy_only=False
        ),
        "visibility {!r} is not public or private",
    )
    qty_text = col("quantity")
    qty = pc.cast(qty_text, pa.string()) if qty_text.type != pa.int64() else qty_text
    qty_ok = (
        pc.fill_null(pc.match_substring_regex(qty, r"^[0-9]+$"), True).to_numpy(
            zero_copy_only=False
        )
        if qty.type == pa.string()
        else np.ones(n, dtype=bool)
    )
    flag(~qty_ok, "quantity {!r} is not a whole number")
    if problems and not skip_bad_rows:
        i, why = min(problems)
        value = col(why.split(" ", 1)[0])[i].as_py()  # each reason starts with its column
        if first_line is not None:
            raise InputError(path, why.format(value), line=first_line + i)
        raise InputError(path, why.format(value), where=f"row {first_row + i + 1}")
    keep = pa.array(~bad)
    qty_int = (
        pc.cast(pc.fill_null(pc.if_else(pa.array(qty_ok), qty, None), "1"), pa.int64())
        if (qty.type == pa.string())
        else pc.fill_null(qty, 1)
    )
    plats = pc.unique(plat)
    # One platform (the usual case): a scalar prefix, no per-row string building.
    prefix = (
        pa.scalar(plats[0].as_py() + ":")
        if len(plats) == 1
        else pc.binary_join_element_wise(plat, ":", "")
    )

    def person(c: pa.Array) -> pa.Array:
        c = _text(c)
        if pa.types.is_dictionary(c.type):
            if isinstance(prefix, pa.Scalar):  # each distinct id once
                return pa.DictionaryArray.from_arrays(c.indices, person(c.dictionary))
            c = pc.cast(c, pa.string())
        c = _blank_null(c)
        starts = _starts(c, prefix)
        if pc.all(starts).as_py() is not False:
            return c
        return pc.if_else(starts, c, pc.binary_join_element_wise(prefix, c, ""))

    cols = {
        "event_id": _blank_null(col("event_id")),
        "ts": ts,
        "platform": plat,
        "actor": person(col("actor")),
        "kind": kind,
        "target": person(col("target")),
        "content_id": _blank_null(col("content_id")),
        "parent_id": _blank_null(col("parent_id")),
        "thread_id": _blank_null(col("thread_id")),
        "visibility": vis,
        "quantity": qty_int,
        "subtype": _blank_null(col("subtype")),
        "text": _blank_null(col("text")),
        "source": pa.nulls(n, pa.string()),
    }
    arrays = [
        c if pa.types.is_dictionary(c.type) else pc.cast(c, f.type)
        for f, c in ((f, cols[f.name]) for f in EVENTS)
    ]
    if bad.any():
        arrays = [a.filter(keep) for a in arrays]
    schema = pa.schema([f.with_type(a.type) for f, a in zip(EVENTS, arrays, strict=True)])
    return pa.RecordBatch.from_arrays(arrays, schema=schema), int(bad.sum())


def _text(c: pa.Array) -> pa.Array:
    """``c`` as strings; dictionary-encoded strings stay so."""
    if pa.types.is_dictionary(c.type) and pa.types.is_string(c.type.value_type):
        return pc.cast(c, CODED_STRING)
    return pc.cast(c, pa.string())


def _starts(c: pa.Array, prefix: pa.Array | pa.Scalar) -> pa.Array:
    """Whether each value already starts with its row's ``platform:`` prefix (null: yes)."""
    if isinstance(prefix, pa.Scalar):
        return pc.fill_null(pc.starts_with(c, prefix.as_py()), True)
    return pa.array(
        [
            v is None or v.startswith(p)
            for v, p in zip(c.to_pylist(), prefix.to_pylist(), strict=True)
        ],
        pa.bool_(),
    )


def _blank_null(c: pa.Array) -> pa.Array:
    c = pc.cast(c, pa.string())
    blank = pc.equal(c, "")
    if not pc.any(blank).as_py():
        return c
    return pc.if_else(blank, None, c)


def _timestamps(c: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """UTC microsecond timestamps and a mask of values that are not times."""
    target = EVENTS.field("ts").type
    n = len(c)
    if pa.types.is_timestamp(c.type):
        if c.type.tz is None:
            c = pc.assume_timezone(c, "UTC")
        out = pc.cast(c, target)
        return out, pc.is_null(out).to_numpy(zero_copy_only=False)
    if pa.types.is_integer(c.type):
        out = pc.cast(pc.multiply(pc.cast(c, pa.int64()), 1_000_000), target)
        return out, pc.is_null(out).to_numpy(zero_copy_only=False)
    text = pc.utf8_trim_whitespace(pc.cast(c, pa.string()))
    digits = pc.fill_null(pc.match_substring_regex(text, r"^-?[0-9]+$"), False)
    try:
        iso = pc.cast(pc.if_else(digits, None, text), target)
        bad = pc.and_(pc.invert(digits), pc.is_null(iso))
        epoch = pc.cast(
            pc.multiply(pc.cast(pc.if_else(digits, text, None), pa.int64()), 1_000_000), target
        )
        return pc.coalesce(epoch, iso), bad.to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        # Arrow's parser gave up on some value: parse one by one to say which.
        micros: list[int | None] = []
        bad_np = np.zeros(n, dtype=bool)
        for i, v in enumerate(text.to_pylist()):
            try:
                if not v:
                    raise ValueError(v)
                micros.append(int(v) * 1_000_000 if v.lstrip("-").isdigit() else iso_to_micros(v))
            except ValueError:
                micros.append(None)
                bad_np[i] = True
        return pa.array(micros, pa.int64()).cast(target), bad_np
