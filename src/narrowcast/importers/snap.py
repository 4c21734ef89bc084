"""SNAP temporal edge lists: ``SRC DST UNIXTS [TYPE]``, one interaction a line.

The format of the Stanford Network Analysis Project's temporal networks (CollegeMsg,
email-Eu-core-temporal, sx-mathoverflow, ...): whitespace-separated integers, no header,
plain or compressed. Lines starting with ``#`` or ``%`` are comments. A row says that
``SRC`` acted toward ``DST`` at ``UNIXTS`` (seconds since the epoch, or since an anonymised
origin where the data set says so); what the act was comes from ``--kind`` or, for files
that carry a fourth column, from a type map (Stack Exchange ``a2q``/``c2q``/``c2a`` are
replies; Twitter ``RT`` is a share, ``MT`` a mention, ``RE`` a reply).

Edge lists have no event ids: two identical lines are two real events (SNAP keeps them:
CollegeMsg has 37), so rows are left without ``event_id`` and the store tells identical
rows apart by their occurrence number. Ids are read as integers: ``007`` is person ``7``.

Parsing is vectorised with Arrow: lines are read in blocks, split on whitespace and cast in
bulk, which is what makes an edge list import at millions of rows a second.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from narrowcast.errors import InputError, ParameterError
from narrowcast.importers._common import (
    Input,
    check_files,
    open_binary,
    read_errors,
    total_size,
)
from narrowcast.model import EVENTS, KINDS, Chunk, Parsed

__all__ = ["DEFAULT_TYPE_MAP", "parse_snap", "read_snap"]

#: The fourth column's values in SNAP files that carry one, and the kind each means.
DEFAULT_TYPE_MAP: Mapping[str, str] = {
    "a2q": "reply",
    "c2q": "reply",
    "c2a": "reply",
    "RT": "share",
    "MT": "mention",
    "RE": "reply",
}

_EXPECTED = "lines 'SRC DST UNIXTS [TYPE]' of whitespace-separated integers"
_INT = r"^-?[0-9]+$"


def read_snap(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    kind: str | None = None,
    type_map: Mapping[str, str] | None = None,
    visibility: str | None = None,
    skip_bad_rows: bool = False,
    block_bytes: int = 16 << 20,
) -> Parsed:
    """Read SNAP temporal edge lists.

    Parameters
    ----------
    paths
        One or more edge-list files, plain or ``.gz``/``.bz2``/``.xz``/``.zst``.
    platform
        Community name for the rows and their person ids (default ``snap``).
    kind
        Kind of every row without a TYPE column, e.g. ``message`` for CollegeMsg.
    type_map
        TYPE value -> kind, added to :data:`DEFAULT_TYPE_MAP`.
    visibility
        ``public`` or ``private``; default private for messages, public otherwise.
    skip_bad_rows
        Skip and count malformed lines instead of stopping at the first.

    Returns
    -------
    Parsed
        Event rows; people are added by the store from the ids seen.
    """
    platform = platform or "snap"
    if kind is not None and kind not in KINDS:
        raise ParameterError.expected("kind", "read_snap", f"one of {', '.join(KINDS)}", kind)
    types = {**DEFAULT_TYPE_MAP, **(type_map or {})}
    for t, k in types.items():
        if k not in KINDS:
            raise ParameterError.expected(
                "type_map", "read_snap", f"a map to kinds ({', '.join(KINDS)})", f"{t}={k}"
            )
    if visibility is not None and visibility not in ("public", "private"):
        raise ParameterError.expected("visibility", "read_snap", "public or private", visibility)
    files = check_files(paths, _EXPECTED)
    parsed = Parsed(
        format="snap",
        platform=platform,
        paths=files,
        chunks=(),
        options={"kind": kind, "type_map": dict(type_map or {}), "visibility": visibility},
        total_bytes=total_size(files),
    )
    parsed.chunks = _chunks(parsed, files, kind, types, visibility, skip_bad_rows, block_bytes)
    return parsed


def _chunks(
    parsed: Parsed,
    files: list[Path],
    kind: str | None,
    types: Mapping[str, str],
    visibility: str | None,
    skip_bad_rows: bool,
    block_bytes: int,
) -> Iterator[Chunk]:
    opts = {"platform": parsed.platform, "kind": kind, "visibility": visibility}
    done = 0
    for path in files:
        # Most files are clean 'a b t' lines: Arrow's CSV reader parses them in parallel. At
        # the first line it cannot take (comments, tabs, a bad row) the file is read again
        # line by line from where the fast reader stopped.
        rows = 0
        with open_binary(path) as inp, read_errors(path, _EXPECTED):
            try:
                for batch in _fast(inp, _width(path), types, opts, block_bytes):
                    rows += batch.num_rows
                    yield Chunk("events", batch, path, done + inp.bytes_read)
                rows = -1
            except (pa.ArrowInvalid, _NotSimple):
                pass
        if rows >= 0:
            with open_binary(path) as inp, read_errors(path, _EXPECTED):
                for batch, bad in _slow(inp, path, rows, types, opts, skip_bad_rows, block_bytes):
                    parsed.bad_rows += bad
                    if batch.num_rows:
                        yield Chunk("events", batch, path, done + inp.bytes_read)
        done += path.stat().st_size


class _NotSimple(Exception):
    """The file is not plain 'a b t [type]' lines: read it line by line."""


def _width(path: Path) -> int:
    """Fields on the first non-blank line (3 or 4 for the fast reader)."""
    with open_binary(path) as inp, read_errors(path, _EXPECTED):
        for raw in inp.stream:
            if raw.strip():
                return len(raw.split())
    return 0


def _fast(
    inp: Input, width: int, types: Mapping[str, str], opts: dict[str, Any], block_bytes: int
) -> Iterator[pa.RecordBatch]:
    if width not in (3, 4) or (width == 3 and opts["kind"] is None):
        raise _NotSimple
    names = ["src", "dst", "ts", "type"][:width]
    col_types = {"src": pa.int64(), "dst": pa.int64(), "ts": pa.int64(), "type": pa.string()}
    reader = pacsv.open_csv(
        inp.stream,
        read_options=pacsv.ReadOptions(column_names=names, block_size=block_bytes),
        parse_options=pacsv.ParseOptions(delimiter=" ", quote_char=False, escape_char=False),
        convert_options=pacsv.ConvertOptions(
            column_types={n: col_types[n] for n in names}, strings_can_be_null=False
        ),
    )
    for block in reader:
        type_col = block.column(3) if width == 4 else None
        if (
            type_col is not None
            and not pc.all(pc.is_in(type_col, pa.array(list(types), pa.string()))).as_py()
        ):
            raise _NotSimple
        yield _rows(block.column(0), block.column(1), block.column(2), type_col, types, **opts)


def _slow(
    inp: Input,
    path: Path,
    skip: int,
    types: Mapping[str, str],
    opts: dict[str, Any],
    skip_bad_rows: bool,
    block_bytes: int,
) -> Iterator[tuple[pa.RecordBatch, int]]:
    first_line = 1
    for lines in _lines(inp, path, block_bytes):
        # Lines the fast reader already handed out (non-blank, all data) are not read again.
        if skip:
            nonblank = np.flatnonzero(
                pc.not_equal(pc.utf8_trim_whitespace(lines), "").to_numpy(zero_copy_only=False)
            )
            cut = int(nonblank[skip - 1]) + 1 if len(nonblank) >= skip else len(lines)
            skip -= min(skip, len(nonblank))
            first_line += cut
            lines = lines.slice(cut)
        yield parse_snap(
            lines,
            type_map=types,
            first_line=first_line,
            path=path,
            skip_bad_rows=skip_bad_rows,
            **opts,
        )
        first_line += len(lines)


def _lines(inp: Input, path: Path, block_bytes: int) -> Iterator[pa.Array]:
    """The input's lines, a block at a time, with Arrow's read errors as InputError."""
    try:
        reader = pacsv.open_csv(
            inp.stream,
            read_options=pacsv.ReadOptions(column_names=["line"], block_size=block_bytes),
            parse_options=pacsv.ParseOptions(
                delimiter="\x1f", quote_char=False, escape_char=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={"line": pa.string()}, strings_can_be_null=False
            ),
        )
        for block in reader:
            yield block.column(0)
    except pa.ArrowInvalid as err:
        raise InputError(path, f"{_arrow_message(err)}; expected {_EXPECTED}") from err


def parse_snap(
    lines: pa.Array | Sequence[str],
    *,
    platform: str = "snap",
    kind: str | None = None,
    type_map: Mapping[str, str] = DEFAULT_TYPE_MAP,
    visibility: str | None = None,
    first_line: int = 1,
    path: str | PathLike[str] = "<lines>",
    skip_bad_rows: bool = False,
) -> tuple[pa.RecordBatch, int]:
    """Event rows of edge-list lines, and how many malformed lines were skipped.

    >>> batch, bad = parse_snap(["1 2 60", "# comment", "2 1 120"], kind="message")
    >>> batch.column("actor").to_pylist(), batch.column("kind").to_pylist(), bad
    (['snap:1', 'snap:2'], ['message', 'message'], 0)
    """
    lines = pa.array(lines, pa.string()) if not isinstance(lines, pa.Array) else lines
    stripped = pc.utf8_trim_whitespace(lines)
    blank = pc.equal(stripped, "")
    comment = pc.or_(pc.starts_with(stripped, "#"), pc.starts_with(stripped, "%"))
    data = np.flatnonzero(~pc.or_(blank, comment).to_numpy(zero_copy_only=False))
    stripped = stripped.take(pa.array(data))
    fields = pc.utf8_split_whitespace(stripped)
    width = pc.list_value_length(fields).to_numpy(zero_copy_only=False)
    # A line is good with three integers and, where a fourth field is given, a known TYPE.
    padded = pc.list_slice(fields, 0, 4, return_fixed_size_list=True)
    col = [pc.list_element(padded, i) for i in range(4)]
    good = (width == 3) | (width == 4)
    if kind is None:
        good &= width == 4
    for c in col[:3]:
        good &= pc.fill_null(pc.match_substring_regex(c, _INT), False).to_numpy(
            zero_copy_only=False
        )
    known = pc.fill_null(pc.is_in(col[3], pa.array(list(type_map), pa.string())), False)
    good &= (width != 4) | known.to_numpy(zero_copy_only=False)
    bad = int(len(good) - good.sum())
    if bad and not skip_bad_rows:
        i = int(np.flatnonzero(~good)[0])
        raise InputError(
            path, _why_bad(stripped[i].as_py(), kind, type_map), line=first_line + int(data[i])
        )
    if bad:
        keep = pa.array(np.flatnonzero(good))
        col = [c.take(keep) for c in col]
    src, dst, ts = (pc.cast(c, pa.int64()) for c in col[:3])
    type_col = col[3] if (width == 4).any() else None
    batch = _rows(
        src, dst, ts, type_col, type_map, platform=platform, kind=kind, visibility=visibility
    )
    return batch, bad


def _rows(
    src: pa.Array,
    dst: pa.Array,
    ts_s: pa.Array,
    type_col: pa.Array | None,
    type_map: Mapping[str, str],
    *,
    platform: str,
    kind: str | None,
    visibility: str | None,
) -> pa.RecordBatch:
    """Event rows from the parsed columns (integer ids and seconds, the TYPE text or None)."""
    n = len(src)
    if type_col is not None:
        mapped = pc.take(
            pa.array(list(type_map.values()), pa.string()),
            pc.index_in(type_col, pa.array(list(type_map), pa.string())),
        )
        kinds = pc.if_else(pc.is_null(type_col), pa.scalar(kind, pa.string()), mapped)
    else:
        kinds = pa.repeat(pa.scalar(kind, pa.string()), n)
    if visibility is None:
        vis = pc.if_else(pc.equal(kinds, "message"), "private", "public")
    else:
        vis = pa.repeat(pa.scalar(visibility, pa.string()), n)
    prefix = platform + ":"
    cols = {
        "ts": pc.cast(pc.multiply(ts_s, 1_000_000), EVENTS.field("ts").type),
        "platform": pa.repeat(pa.scalar(platform, pa.string()), n),
        "actor": pc.binary_join_element_wise(prefix, pc.cast(src, pa.string()), ""),
        "kind": kinds,
        "target": pc.binary_join_element_wise(prefix, pc.cast(dst, pa.string()), ""),
        "visibility": vis,
        "quantity": pa.repeat(pa.scalar(1, pa.int64()), n),
        "subtype": type_col if type_col is not None else pa.nulls(n, pa.string()),
    }
    arrays = [cols.get(f.name, pa.nulls(n, f.type)) for f in EVENTS]
    return pa.RecordBatch.from_arrays(arrays, schema=EVENTS)


def _why_bad(text: str, kind: str | None, type_map: Mapping[str, str]) -> str:
    parts = text.split()
    if len(parts) in (3, 4) and all(p.lstrip("-").isdigit() for p in parts[:3]):
        if len(parts) == 4:
            known = ", ".join(f"{k}={v}" for k, v in type_map.items())
            return (
                f"TYPE {parts[3]!r} is not in the type map ({known}); "
                f"add it with --type-map {parts[3]}=KIND"
            )
        return (
            "the line has no TYPE column and no --kind was given; "
            "say what the rows are with --kind (e.g. --kind message)"
        )
    return f"{_shorten(text)!r} is not {_EXPECTED[6:]}"


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _arrow_message(err: Exception) -> str:
    msg = str(err)
    if "UTF8" in msg or "utf8" in msg.lower():
        return "holds bytes that are not UTF-8 text"
    return msg.splitlines()[0]
