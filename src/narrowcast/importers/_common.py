"""What every importer needs: opening inputs (plain, .gz, .bz2, .zst), hashing them, and
turning low-level read failures into an :class:`~narrowcast.errors.InputError` that names
the file and says what was expected."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import IO, Any

from narrowcast.errors import InputError

__all__ = [
    "check_files",
    "iso_to_micros",
    "open_binary",
    "open_text",
    "read_errors",
    "sha256_of",
    "total_size",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_hash_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="narrowcast-sha256")


def check_files(paths: Iterable[str | PathLike[str]], what: str) -> list[Path]:
    """The paths as Path objects, each an existing, non-empty file; else an InputError."""
    out = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise InputError(path, f"no such file; expected {what}")
        if path.is_dir():
            raise InputError(path, f"is a folder; expected {what}")
        if path.stat().st_size == 0:
            raise InputError(path, f"is empty; expected {what}")
        out.append(path)
    if not out:
        raise InputError("(no files)", f"nothing to import; expected {what}")
    return out


def sha256_of(path: Path) -> Future[str]:
    """The file's sha256, computed on a background thread (hashlib releases the GIL)."""

    def run() -> str:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        return h.hexdigest()

    return _hash_pool.submit(run)


class _Counted(io.RawIOBase):
    """A raw file that counts the bytes read from disk, for progress on compressed input."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self.raw.readinto(b)  # type: ignore[attr-defined]
        self.count += n or 0
        return n  # type: ignore[no-any-return]

    def close(self) -> None:
        self.raw.close()
        super().close()


class Input:
    """An opened input: a decompressed byte stream and how many disk bytes it has consumed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._counted = _Counted(open(path, "rb"))  # noqa: SIM115 - closed by close()
        raw: IO[bytes] = io.BufferedReader(self._counted, buffer_size=1 << 20)
        name = path.name.lower()
        if name.endswith(".gz"):
            self.stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb")
        elif name.endswith(".bz2"):
            self.stream = bz2.BZ2File(raw, mode="rb")
        elif name.endswith(".xz"):
            self.stream = lzma.LZMAFile(raw, mode="rb")  # noqa: SIM115 - closed by close()
        elif name.endswith(".zst"):
            try:
                import zstandard
            except ImportError as err:
                raise InputError(
                    path, "reading .zst needs zstandard: pip install zstandard"
                ) from err
            # Pushshift's Reddit dumps are compressed with a 2 GiB window.
            self.stream = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(
                raw, read_across_frames=True
            )
        else:
            self.stream = raw

    @property
    def bytes_read(self) -> int:
        return self._counted.count

    def close(self) -> None:
        self.stream.close()
        self._counted.close()

    def __enter__(self) -> Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_binary(path: Path) -> Input:
    """Open an input for reading bytes, decompressing by its name's ending."""
    return Input(path)


def open_text(inp: Input) -> io.TextIOWrapper:
    """The input as strict UTF-8 text with universal newlines."""
    return io.TextIOWrapper(inp.stream, encoding="utf-8", errors="strict", newline=None)  # type: ignore[arg-type]


try:
    from zstandard import ZstdError as _ZstdError
except ImportError:  # pragma: no cover - zstandard is a dependency

    class _ZstdError(Exception):  # type: ignore[no-redef]
        """Stands in when zstandard is missing (then .zst inputs are refused up front)."""


@contextlib.contextmanager
def read_errors(
    path: str | PathLike[str], expected: str, line: list[int] | None = None
) -> Iterator[None]:
    """Turn decompression, decoding and OS errors while reading ``path`` into InputError.

    Decompression covers ``.gz``, ``.bz2``, ``.xz``, ``.zst`` and the members of a ``.zip`` or
    ``.tar`` archive.

    ``line`` is a one-element list the caller keeps at the current line number, so the error
    can say where reading stopped.
    """
    where = line[0] if line else None
    try:
        yield
    except InputError:
        raise
    except UnicodeDecodeError as err:
        where = line[0] if line else None
        bad = err.object[err.start : err.start + 1].hex()
        raise InputError(
            path, f"byte 0x{bad} is not UTF-8; expected {expected} in UTF-8", line=where
        ) from err
    except (
        EOFError,
        gzip.BadGzipFile,
        zlib.error,
        OSError,
        lzma.LZMAError,
        _ZstdError,
        zipfile.BadZipFile,
        tarfile.TarError,
    ) as err:
        where = line[0] if line else None
        detail = str(err) or type(err).__name__
        if isinstance(err, EOFError):
            detail = "the compressed file ends early (truncated download?)"
        raise InputError(
            path, f"cannot be read: {detail}; expected {expected}", line=where
        ) from err


def iso_to_micros(text: str) -> int:
    """Microseconds since the epoch of an ISO-8601 time; no offset means UTC.

    >>> iso_to_micros("1970-01-01T00:00:01.500")
    1500000
    """
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def total_size(paths: Sequence[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def files_in(
    paths: Sequence[str | PathLike[str]] | str | PathLike[str],
    accept: Callable[[str], bool],
    none_found: str,
) -> list[Path]:
    """Each path given, a folder replaced by the files in it (recursively, sorted, hidden
    ones left out) whose name ``accept`` takes; a folder with none raises InputError with
    ``none_found``. Missing or empty files are left for :func:`check_files` to report."""
    out: list[Path] = []
    for p in [paths] if isinstance(paths, (str, PathLike)) else paths:
        path = Path(p)
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted(
            f
            for f in path.rglob("*")
            if f.is_file() and not f.name.startswith(".") and accept(f.name)
        )
        if not found:
            raise InputError(path, none_found)
        out.extend(found)
    return out


def add_direct_message(
    add: Callable[..., None],
    common: dict[str, Any],
    event_id: str,
    recipients: list[str | None],
    person: Callable[[str], str],
    **fields: Any,
) -> None:
    """One private ``message`` row per recipient of a direct message (one row without a
    target when nobody else is known). Only the first row carries the item (``content_id``)
    and its text, so the message counts once as an item; the others get event ids
    ``<id>/to/<recipient>``."""
    text = fields.pop("text", None)
    for i, other in enumerate(recipients or [None]):
        first = i == 0
        add(
            **common,
            event_id=event_id if first else f"{event_id}/to/{other}",
            kind="message",
            target=None if other is None else person(other),
            content_id=event_id if first else None,
            text=text if first else None,
            quantity=1,
            **fields,
        )
