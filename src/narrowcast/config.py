"""Settings: one table of name, default, environment variable and help.

Feeds the CLI's options, the docs and their test. An argument wins over the environment,
which wins over the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from narrowcast.errors import NarrowcastError

__all__ = ["SETTINGS", "Setting", "default_db", "import_commit_rows", "scoring_memory_mb"]


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
    Setting(
        "scoring_memory_mb",
        3000,
        "NARROWCAST_SCORING_MEMORY_MB",
        "DuckDB's memory while scoring, in MB; intermediate results beyond it go to disk.",
    ),
)


def default_db(db: str | os.PathLike[str] | None = None) -> Path:
    """The store path: the argument, else $NARROWCAST_DB, else ./narrowcast.duckdb."""
    if db is not None:
        return Path(db)
    return Path(os.environ.get("NARROWCAST_DB") or "narrowcast.duckdb")


def import_commit_rows(rows: int | None = None) -> int:
    """Rows between two commits of an import: the argument, else the environment, else 1M."""
    return _positive_int("import_commit_rows", rows)


def scoring_memory_mb(mb: int | None = None) -> int:
    """DuckDB's memory limit while scoring, in MB: the argument, else the environment,
    else 3,000."""
    return _positive_int("scoring_memory_mb", mb)


def _positive_int(name: str, value: int | None) -> int:
    """A whole-number setting: the argument, else its environment variable, else its default.

    >>> _positive_int("scoring_memory_mb", 512)
    512
    """
    if value is not None:
        return value
    setting = next(s for s in SETTINGS if s.name == name)
    raw = os.environ.get(str(setting.envvar)) or str(setting.default)
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number <= 0:
        raise NarrowcastError(f"{setting.envvar} must be a whole number above 0; got {raw!r}")
    return number
