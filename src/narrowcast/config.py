"""Settings: one table of name, default, environment variable and help.

Feeds the CLI's options, the docs and their test. An argument wins over the environment,
which wins over the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SETTINGS", "Setting", "default_db"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    envvar: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "db",
        "narrowcast.duckdb",
        "NARROWCAST_DB",
        "The store: a DuckDB file holding the event log. Created by the first import.",
    ),
)


def default_db(db: str | os.PathLike[str] | None = None) -> Path:
    """The store path: the argument, else $NARROWCAST_DB, else ./narrowcast.duckdb."""
    if db is not None:
        return Path(db)
    return Path(os.environ.get("NARROWCAST_DB") or "narrowcast.duckdb")
