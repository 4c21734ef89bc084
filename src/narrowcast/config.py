"""Settings: one table of name, default, environment variable and help.

Feeds the CLI's options, the docs and their test. An argument wins over the environment,
which wins over the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SETTINGS", "Setting", "default_db", "import_commit_rows"]


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
    Setting(
        "import_commit_rows",
        1_000_000,
        "NARROWCAST_IMPORT_COMMIT_ROWS",
        "Rows an import writes between two commits of its pending rows: bounds its memory.",
    ),
)


def default_db(db: str | os.PathLike[str] | None = None) -> Path:
    """The store path: the argument, else $NARROWCAST_DB, else ./narrowcast.duckdb."""
    if db is not None:
        return Path(db)
    return Path(os.environ.get("NARROWCAST_DB") or "narrowcast.duckdb")


def import_commit_rows(rows: int | None = None) -> int:
    """Rows between two commits of an import: the argument, else the environment, else 1M."""
    if rows is not None:
        return rows
    setting = next(s for s in SETTINGS if s.name == "import_commit_rows")
    value = os.environ.get(str(setting.envvar)) or setting.default
    return int(str(value))
