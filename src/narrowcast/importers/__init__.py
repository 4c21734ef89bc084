"""Importers: one module per source, files in, event-log rows out.

Each module offers ``read_<format>(paths, *, platform=..., skip_bad_rows=..., ...)`` which
opens files and returns a :class:`~narrowcast.model.Parsed`, and where it helps a
``parse_<format>(...)`` that works on in-memory records. Importers import only the model:
they never score and never open the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module
from os import PathLike
from typing import Any

from narrowcast.errors import ParameterError
from narrowcast.model import Parsed

__all__ = ["FORMATS", "read"]

#: format name -> (module, reader function, one line of help)
FORMATS: dict[str, tuple[str, str, str]] = {
    "snap": ("snap", "read_snap", "temporal edge lists 'SRC DST UNIXTS [TYPE]', plain or .gz"),
    "stackexchange": ("stackexchange", "read_stackexchange", "a Stack Exchange dump folder"),
    "mbox": ("mbox", "read_mbox", "mailing-list archives: mbox or Mailman pipermail text"),
    "csv": ("tabular", "read_csv", "the event-log columns as CSV (see README)"),
    "parquet": ("tabular", "read_parquet", "the event-log columns as Parquet"),
    "twitter": (
        "twitter",
        "read_twitter",
        "an X/Twitter archive: the .zip or its folder (data/*.js)",
    ),
    "mastodon": (
        "mastodon",
        "read_mastodon",
        "a Mastodon account export (.zip, .tar.gz or folder), optionally following_accounts.csv",
    ),
    "slack": ("slack", "read_slack", "a Slack workspace export: the .zip or its folder"),
    "discord": ("discord", "read_discord", "DiscordChatExporter JSON exports: files or a folder"),
    "reddit": (
        "reddit",
        "read_reddit",
        "Reddit NDJSON dumps (Pushshift, Arctic Shift): submissions and comments, .gz/.zst",
    ),
    "github": (
        "github",
        "read_github",
        "GitHub REST API JSON (gh api): issues, PRs, comments, reviews, reactions",
    ),
    "identities": (
        "identities",
        "read_identities",
        "person,account CSV: accounts that are one person",
    ),
}


def reader(format: str) -> Callable[..., Parsed]:
    """The reader function of a format."""
    if format not in FORMATS:
        raise ParameterError.expected("format", "import", f"one of {', '.join(FORMATS)}", format)
    module, func, _ = FORMATS[format]
    return getattr(import_module(f"narrowcast.importers.{module}"), func)  # type: ignore[no-any-return]


def read(format: str, paths: Sequence[str | PathLike[str]], **options: Any) -> Parsed:
    """Open ``paths`` with the importer for ``format``."""
    return reader(format)(paths, **options)
