"""The library's front: what the CLI and the other faces call. Re-exported from narrowcast."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from typing import Any

from narrowcast.config import default_db
from narrowcast.evaluation import evaluate, markdown, write_report
from narrowcast.importers import read
from narrowcast.model import ProgressCallback
from narrowcast.scoring import (
    COMPONENTS,
    Scores,
    circle,
    export_log,
    fit,
    gives,
    history,
    load_scores,
    rising,
    score,
    score_parquet,
    show,
    suggest,
    tie_events,
    top,
)
from narrowcast.store import ImportResult, Store

__all__ = [
    "COMPONENTS",
    "Scores",
    "circle",
    "demo",
    "evaluate",
    "export_log",
    "fit",
    "gives",
    "history",
    "import_files",
    "info",
    "link",
    "link_suggestions",
    "load_scores",
    "markdown",
    "rising",
    "score",
    "score_parquet",
    "show",
    "suggest",
    "tie_events",
    "top",
    "unlink",
    "write_report",
]


def import_files(
    format: str,
    paths: Sequence[str | PathLike[str]],
    *,
    db: str | PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> ImportResult:
    """Import files of one format into the store, all or nothing (seen by readers only once
    the whole import is recorded).

    Parameters
    ----------
    format
        One of :data:`narrowcast.importers.FORMATS` (``snap``, ``stackexchange``, ``mbox``,
        ``csv``, ``parquet``).
    paths
        The files (or, for ``stackexchange``, the dump folder).
    db
        The store; default ``$NARROWCAST_DB`` or ``./narrowcast.duckdb``.
    progress
        Called with (rows so far, input bytes so far, input bytes in all).
    **options
        The importer's own options: ``platform``, ``skip_bad_rows``, ``kind`` (snap), ...

    Returns
    -------
    ImportResult
        Rows added and skipped, people added, sha256 of each file.

    Examples
    --------
    >>> import narrowcast, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "msgs.txt").write_text("1 2 1082040961\\n2 1 1082041000\\n")
    >>> r = narrowcast.import_files("snap", [d / "msgs.txt"], db=d / "s.duckdb", kind="message")
    >>> r.events_added, r.people_added
    (2, 2)
    """
    parsed = read(format, paths, **options)
    with Store(default_db(db)) as store:
        return store.load(parsed, progress=progress)


def info(*, db: str | PathLike[str] | None = None) -> dict[str, Any]:
    """Counts of the store: events, people, events by kind and platform, first and last time.

    Keys: ``events``, ``people``, ``kinds``, ``platforms``, ``first_ts``, ``last_ts``,
    ``imports``, ``store``.
    """
    with Store(default_db(db), create=False, read_only=True) as store:
        return store.info()


def demo(
    *,
    events: int = 50_000,
    seed: int = 0,
    db: str | PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
    score: bool = True,
) -> ImportResult:
    """Add a seeded synthetic community with planted roles to the store, and score it.

    See :func:`narrowcast.synthetic.generate`. Running it again with the same size and seed
    adds nothing. With ``score`` (default), the store is scored as of its last event.
    """
    from narrowcast.synthetic import generate

    community = generate(events, seed=seed)
    with Store(default_db(db)) as store:
        result = store.load(community.parsed, progress=progress)
    if score:
        from narrowcast.scoring import score as score_store

        score_store(db)
    return result


def link(ids: Sequence[str], *, db: str | PathLike[str] | None = None) -> dict[str, Any]:
    """Record that several platform ids are one person; every measure then treats them as
    one (after the next ``score``). Returns the person and all their accounts.

    >>> import narrowcast, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("1 2 1082040961\\n")
    >>> _ = narrowcast.import_files(
    ...     "snap", [d / "a.txt"], db=d / "s.duckdb", platform="x", kind="message"
    ... )
    >>> narrowcast.link(["x:1", "x:2"], db=d / "s.duckdb")["accounts"]
    ['x:1', 'x:2']
    """
    with Store(default_db(db), create=False) as store:
        person = store.link(list(ids))
        return {"person": person, "accounts": store.accounts(person)}


def unlink(ids: Sequence[str], *, db: str | PathLike[str] | None = None) -> int:
    """Undo links: each id is its own person again. Returns how many links were removed."""
    with Store(default_db(db), create=False) as store:
        return store.unlink(list(ids))


def link_suggestions(*, db: str | PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Ids on different platforms with exactly the same handle or e-mail address: offered
    as links to make, never merged silently."""
    with Store(default_db(db), create=False, read_only=True) as store:
        return store.link_suggestions()
