"""What a data argument is: a store, FORMAT:PATH, or a folder of ../shared/data."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Dataset", "detect"]


@dataclass
class Dataset:
    """An input to evaluate: a store, or files with the format and options to import them."""

    name: str
    store: Path | None = None
    format: str | None = None
    paths: list[Path] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


def _is_duckdb(path: Path) -> bool:
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        head = f.read(16)
    return head[8:12] == b"DUCK"


def detect(arg: str) -> Dataset:
    """A data argument as a dataset.

    - ``PATH.duckdb`` (any DuckDB file): a narrowcast store;
    - ``FORMAT:PATH[,PATH...]``: files of an import format (``snap:CollegeMsg.txt``);
    - a folder: a Stack Exchange dump (``Posts.xml``), a pipermail archive (``*.txt.gz``
      with mail headers) or SNAP edge lists (``*.txt``; ``kind`` message for files named
      like CollegeMsg or email-*, else reply), named after the folder.
    """
    from narrowcast.errors import InputError

    if ":" in arg and not Path(arg).exists():
        fmt, _, rest = arg.partition(":")
        paths = [Path(p) for p in rest.split(",") if p]
        opts = {"kind": "message"} if fmt == "snap" and _messages(paths) else {}
        if fmt == "snap" and not opts:
            opts = {"kind": "reply"}
        return Dataset(paths[0].stem if paths else fmt, format=fmt, paths=paths, options=opts)
    path = Path(arg)
    if not path.exists():
        raise InputError(
            path,
            "no such store, file or folder; expected a store (.duckdb), "
            "FORMAT:PATH, or a dataset folder",
        )
    if _is_duckdb(path):
        return Dataset(path.stem, store=path)
    if path.is_dir():
        name = path.name
        if (path / "Posts.xml").is_file():
            return Dataset(name, format="stackexchange", paths=[path], options={"platform": name})
        gz = sorted(path.glob("*.txt.gz"))
        if gz and _looks_like_mail(gz[0]):
            return Dataset(name, format="mbox", paths=gz, options={"platform": name})
        txt = sorted(p for p in path.glob("*.txt*") if p.is_file())
        if txt:
            kind = "message" if _messages(txt) else "reply"
            return Dataset(name, format="snap", paths=txt, options={"kind": kind, "platform": name})
    raise InputError(
        path, "is not a store or a dataset folder narrowcast recognises; give FORMAT:PATH instead"
    )


def _messages(paths: list[Path]) -> bool:
    return any(p.name.lower().startswith(("collegemsg", "email")) for p in paths)


def _looks_like_mail(path: Path) -> bool:
    with gzip.open(path, "rt", errors="replace") as f:
        head = f.read(2000)
    return head.startswith("From ") or "\nFrom: " in head or "\nMessage-ID:" in head
