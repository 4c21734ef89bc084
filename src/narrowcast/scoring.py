"""The library's scoring front: score a store, then ask about people, ties and circles.

``score`` runs every measure (``narrowcast.measures``) on an engine and keeps the result in
the store with its parameters; ``top``, ``show``, ``circle`` and ``suggest`` read it.
Functions return plain data (dicts, lists, pandas frames) for the faces to format.
Privacy (DESIGN.md): pair-level outputs use public figures only and leave out ties made only
of private messages, unless ``include_private`` is true; community-wide outputs never show
private figures.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from narrowcast import __version__
from narrowcast.config import default_db
from narrowcast.distributed import ENGINES, SparkOptions, score_store_on_spark
from narrowcast.errors import NarrowcastError, ParameterError
from narrowcast.measures.explain import component_sentences, explanation
from narrowcast.measures.params import TIE_FEATURES, TIE_WEIGHTS, Params
from narrowcast.measures.people import BROADCAST_COMPONENTS, RELATIONAL_COMPONENTS
from narrowcast.store import STAGED_TIES, Store

__all__ = [
    "COMPONENTS",
    "NotScored",
    "PersonNotFound",
    "Scores",
    "circle",
    "export_log",
    "fit",
    "gives",
    "history",
    "load_scores",
    "open_scored",
    "parse_as_of",
    "parse_half_life",
    "rising",
    "score",
    "score_parquet",
    "show",
    "suggest",
    "tie_events",
    "top",
]

COMPONENTS = (*BROADCAST_COMPONENTS, *RELATIONAL_COMPONENTS)
_PARTS = ("support", "feedback", "amplification", "conversation")

Db = str | PathLike[str] | None


class PersonNotFound(NarrowcastError, LookupError):
    """No person with that id or handle in the store."""


class NotScored(NarrowcastError, RuntimeError):
    """The store has no scores yet."""


def parse_as_of(value: str | datetime | None) -> datetime | None:
    """A moment from ISO text; a bare date means the end of that day (UTC).

    >>> parse_as_of("2024-05-01")
    datetime.datetime(2024, 5, 1, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc)
    """
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day + timedelta(days=1) - timedelta(microseconds=1)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ParameterError.expected(
            "as_of", "score", "an ISO date or time such as 2024-05-01", value
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_half_life(value: str | float | int) -> float:
    """Days from ``90d``, ``12w``, ``36h`` or a number of days.

    >>> parse_half_life("12w"), parse_half_life("36h"), parse_half_life(30)
    (84.0, 1.5, 30.0)
    """
    if isinstance(value, int | float):
        days = float(value)
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([dwhy]?)\s*", str(value))
        if not m:
            raise ParameterError.expected(
                "half_life", "score", "a duration such as 90d, 12w or 36h", value
            )
        days = float(m.group(1)) * {"": 1, "d": 1, "w": 7, "h": 1 / 24, "y": 365}[m.group(2)]
    if days <= 0:
        raise ParameterError.expected("half_life", "score", "a duration > 0", value)
    return days


@dataclass
class Scores:
    """A stored scoring run: its parameters and, on demand, its tables as data frames."""

    db: str
    run: dict[str, Any]

    @property
    def people(self) -> pd.DataFrame:
        """Every person: id, handle, broadcast, relational, each component raw and ``_pct``."""
        with Store(self.db, create=False, read_only=True) as store:
            return store.con.execute("SELECT * EXCLUDE (key) FROM scores ORDER BY person").df()

    def ties(self, *, include_private: bool = False) -> pd.DataFrame:
        """Every tie (a, b person ids) with features, strength and each side's value.

        Without ``include_private``, ties made only of private messages are left out and
        the figures are the public ones.
        """
        with Store(self.db, create=False, read_only=True) as store:
            return _ties_frame(store, include_private)


def _ties_frame(store: Store, include_private: bool) -> pd.DataFrame:
    feats = [f for f in TIE_FEATURES if f not in ("embeddedness", "private")]
    if include_private:
        cols = [f"t.{f}" for f in feats] + [
            "t.embeddedness",
            "t.private_feature AS private",
            "t.strength",
            "t.value_to_lo AS value_to_a",
            "t.value_to_hi AS value_to_b",
            "t.events",
        ]
        where = ""
    else:
        cols = [f"t.{f}_public AS {f}" for f in feats] + [
            "t.embeddedness",
            "t.strength_public AS strength",
            "t.value_to_lo_public AS value_to_a",
            "t.value_to_hi_public AS value_to_b",
            "t.events_public AS events",
        ]
        where = "WHERE t.events_public > 0"
    return store.con.execute(
        f"""SELECT a.id AS a, b.id AS b, {", ".join(cols)}
            FROM ties t JOIN people a ON a.key = t.lo JOIN people b ON b.key = t.hi
            {where} ORDER BY strength DESC"""
    ).df()


def score(
    db: Db = None,
    *,
    as_of: str | datetime | None = None,
    half_life: str | float = 90.0,
    weights: str | dict[str, float] = "default",
    engine: str = "duckdb",
    spark_master: str | None = None,
    spark_conf: dict[str, str] | None = None,
    history_months: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Scores:
    """Score everyone in the store as of a moment, and keep the result in the store.

    Parameters
    ----------
    db
        The store; default ``$NARROWCAST_DB`` or ``./narrowcast.duckdb``.
    as_of
        The moment T (ISO date or time); default the last event. Later events are ignored.
    half_life
        Decay half-life: days, or text such as ``90d``, ``12w``.
    weights
        Tie-strength weights: ``default``, ``fitted`` (from :func:`fit`), or a dict.
    engine
        ``duckdb`` (the store's own engine) or ``spark`` (the event log exported as Parquet,
        scored by Spark, the results loaded back; needs pyspark and Java). Both give the
        same scores.
    spark_master
        With ``spark``: ``local[*]`` (this machine's cores; the default, except under
        ``spark-submit``, whose ``--master`` then holds), ``local[N]`` or a cluster's
        master URL.
    spark_conf
        With ``spark``: Spark configuration passed through (``{"spark.driver.memory":
        "8g"}``).
    history_months
        Also score as of the end of each of the last ``history_months`` calendar months
        before the moment (months before the first event are skipped) and keep both scores
        of everyone at each: :func:`history` and :func:`rising` read them. Each month is a
        whole scoring run (on DuckDB). 0 (default) keeps no history, and a run replaces any
        history an earlier run kept, so the history always belongs to the stored scores.
    progress
        Called with the name of each step as it finishes (on DuckDB, from the thread that
        runs the steps).

    Returns
    -------
    Scores
        ``.people`` and ``.ties()`` as data frames, ``.run`` the parameters.

    Examples
    --------
    >>> import narrowcast, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = narrowcast.demo(events=5_000, db=d / "s.duckdb", score=False)
    >>> s = narrowcast.score(d / "s.duckdb")
    >>> people = s.people
    >>> bool(people.broadcast.between(0, 100).all() and people.relational.between(0, 100).all())
    True
    """
    from narrowcast.engines import DuckDBRunner
    from narrowcast.measures.score import measure

    if engine not in ENGINES:
        raise ParameterError.expected("engine", "score", " or ".join(map(repr, ENGINES)), engine)
    if not isinstance(history_months, int) or history_months < 0:
        raise ParameterError.expected("history_months", "score", "an integer >= 0", history_months)
    if history_months and engine != "duckdb":
        raise ParameterError.expected(
            "history_months",
            "score with engine='spark'",
            "0 (history is kept by duckdb)",
            history_months,
        )
    path = default_db(db)
    started = time.perf_counter()
    with _old_objects_left_alone(), Store(path, create=False) as store:
        params = _params(as_of, half_life, weights, store)
        tie_weights, weights_name = params.tie_weights, params.weights_name
        if not store.con.execute("SELECT 1 FROM events LIMIT 1").fetchall():
            raise NarrowcastError(f"the store {path} has no events to score; import some first")
        stamp = {
            "scored_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "version": __version__,
        }
        if engine == "spark":
            spark = SparkOptions(spark_master, spark_conf or {})
            run = score_store_on_spark(store, params, spark, progress=progress, extra=stamp)
            return Scores(str(path), {**run, "seconds": round(time.perf_counter() - started, 2)})
        # The ties are made where they are kept, in the store: not copied there at the end.
        runner = DuckDBRunner(store.con, progress=progress, results={"ties": STAGED_TIES})
        try:
            measured = measure(runner.events(), params, runner)
            people = runner.query(measured.people)  # compiled while the last steps run
            events = runner.scalar(runner.events().filter(lambda e: e.ts <= measured.as_of).count())
            past = _month_ends(runner.scalar(runner.events().ts.min()), measured.as_of)
            past = past[len(past) - history_months :] if history_months else []
            history_table = _score_history(store, params, past, progress)
            run = {
                "as_of": measured.as_of.isoformat(),
                "half_life_days": params.half_life_days,
                "weights": weights_name,
                "tie_weights": tie_weights,
                "engine": engine,
                "events": int(events),
                "history": [f"{m:%Y-%m}" for m in past],
                **stamp,
                "seconds": round(time.perf_counter() - started, 2),
            }
            store.save_scores(
                people,
                STAGED_TIES,
                run,
                history_table=history_table,
            )
            # The time a user waited: measuring and storing the result.
            run["seconds"] = round(time.perf_counter() - started, 2)
            store.update_score_run(seconds=run["seconds"])
        finally:
            runner.close()
    return Scores(str(path), run)


@contextlib.contextmanager
def _old_objects_left_alone() -> Iterator[None]:
    """Python's garbage collector leaves alone the objects that exist when this starts (the
    modules loaded, ...) until it ends.

    Building and compiling the measures' expressions makes enough short-lived objects to
    set off full collections, each of which went through every object of the process:
    ~0.15 s of the ~1.5 s of Python work in scoring 1M events. Nothing changes where the
    caller keeps objects frozen (``gc.freeze``) of its own.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _params(
    as_of: str | datetime | None,
    half_life: str | float,
    weights: str | dict[str, float],
    store: Store | None,
) -> Params:
    """The scoring parameters from the public functions' arguments."""
    if isinstance(weights, str):
        if weights == "default":
            tie_weights, weights_name = dict(TIE_WEIGHTS), "default"
        elif weights == "fitted" and store is not None:
            tie_weights, weights_name = _fitted_weights(store), "fitted"
        else:
            expected = "'default', 'fitted' or a dict" if store else "'default' or a dict"
            raise ParameterError.expected("weights", "score", expected, weights)
    else:
        tie_weights, weights_name = dict(weights), "custom"
    return Params(
        as_of=parse_as_of(as_of),
        half_life_days=parse_half_life(half_life),
        tie_weights=tie_weights,
        weights_name=weights_name,
    )


def score_parquet(
    events: str | PathLike[str] | list[str],
    out: str | PathLike[str],
    *,
    as_of: str | datetime | None = None,
    half_life: str | float = 90.0,
    weights: str | dict[str, float] = "default",
    spark_master: str | None = None,
    spark_conf: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Score an event log stored as Parquet on Spark, without a store; write the results.

    The way to score a community too large for one machine: run it under ``spark-submit``
    (or with ``spark_master`` a cluster's URL) where the log lives, then copy the results
    folder home and :func:`load_scores` it into a store for ``top``, ``show`` and the faces.

    Parameters
    ----------
    events
        Parquet files, a folder (``month=YYYY-MM`` partitions, as :func:`export_log` writes)
        or URIs (``s3a://bucket/log/``): the event-log columns, people by id or by integer
        key.
    out
        The results folder or URI: ``people/``, ``ties/`` (Parquet) and ``run/`` (the
        parameters), replaced if there.

    Returns
    -------
    dict
        The run's parameters, as written to ``out/run/``.
    """
    from narrowcast.distributed import score_parquet as on_spark

    params = _params(as_of, half_life, weights, None)
    started = time.perf_counter()
    paths = [str(e) for e in events] if isinstance(events, list) else str(events)
    run = on_spark(paths, str(out), params, SparkOptions(spark_master, spark_conf or {}), progress)
    return {**run, "seconds": round(time.perf_counter() - started, 2)}


def load_scores(results: str | PathLike[str], db: Db = None) -> dict[str, Any]:
    """Keep a results folder written by :func:`score_parquet` as the store's scores
    (replacing the stored ones); returns the run's parameters."""
    from narrowcast.distributed import load_results

    path = default_db(db)
    with Store(path) as store:
        return load_results(store, Path(results))


def export_log(out: str | PathLike[str], db: Db = None) -> int:
    """Write the store's event log as Parquet partitioned by month (``out/month=YYYY-MM/``),
    people by id: what :func:`score_parquet` and ``narrowcast import parquet`` read.
    Returns the number of events written."""
    from narrowcast.distributed import export_log as export

    with Store(default_db(db), create=False, read_only=True) as store:
        return export(store, Path(out))


def _month_ends(first: datetime, moment: datetime) -> list[datetime]:
    """The last instant of each calendar month from the first event's month up to the month
    before ``moment``'s, oldest first.

    >>> from datetime import datetime, UTC
    >>> [m.isoformat() for m in _month_ends(datetime(2024, 1, 9, tzinfo=UTC),
    ...                                     datetime(2024, 3, 5, tzinfo=UTC))]
    ['2024-01-31T23:59:59.999999+00:00', '2024-02-29T23:59:59.999999+00:00']
    """
    out = []
    year, month = first.year, first.month
    while (year, month) < (moment.year, moment.month):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        out.append(datetime(year, month, 1, tzinfo=UTC) - timedelta(microseconds=1))
    return out


_HISTORY = "_nc_score_history"


def _score_history(
    store: Store,
    params: Params,
    month_ends: list[datetime],
    progress: Callable[[str], None] | None,
) -> str | None:
    """Score as of each month end; everyone's scores at each in a temporary table (its name),
    or None with no months."""
    from narrowcast.engines import DuckDBRunner
    from narrowcast.measures.score import measure

    if not month_ends:
        return None
    store.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_HISTORY} (
                as_of TIMESTAMPTZ, month VARCHAR, key INTEGER, broadcast DOUBLE,
                relational DOUBLE, broadcast_raw DOUBLE, relational_raw DOUBLE, last_t DOUBLE)"""
    ).fetchall()
    for moment in month_ends:
        # Each month in its own runner: its intermediate tables never touch the main run's.
        runner = DuckDBRunner(store.con)
        try:
            measured = measure(runner.events(), replace(params, as_of=moment), runner)
            people = runner.query(measured.people)
            store.con.execute(
                f"INSERT INTO {_HISTORY} SELECT $1, $2, person, broadcast, relational, "
                f"broadcast_raw, relational_raw, last_t FROM {people}",
                [moment, f"{moment:%Y-%m}"],
            ).fetchall()
        finally:
            runner.close()
        if progress is not None:
            progress(f"history {moment:%Y-%m}")
    return _HISTORY


def _fitted_weights(store: Store) -> dict[str, float]:
    if "fitted_weights" not in store.tables():
        raise NarrowcastError("no fitted weights in this store; run 'narrowcast fit' first")
    return dict(store.con.execute("SELECT feature, weight FROM fitted_weights").fetchall())


def open_scored(db: Db = None) -> Store:
    """The store, opened read-only, when it holds scores; :class:`NotScored` otherwise."""
    store = Store(default_db(db), create=False, read_only=True)
    if store.score_run() is None:
        store.close()
        raise NotScored("the store has no scores yet; run 'narrowcast score' first")
    return store


def _resolve(store: Store, person: str) -> tuple[int, str, str]:
    """(key, id, handle) of a person id or handle, a linked account resolving to its
    person; a clear error with the closest handles."""
    key, pid, handle = _find(store, person)
    main = store.canonical(pid)
    if main != pid:
        return _find(store, main)
    return key, pid, handle


def _find(store: Store, person: str) -> tuple[int, str, str]:
    con = store.con
    row = con.execute("SELECT key, id, handle FROM people WHERE id = ?", [person]).fetchall()
    if row:
        return row[0]
    rows = con.execute(
        "SELECT key, id, handle FROM people WHERE lower(handle) = lower(?) ORDER BY id", [person]
    ).fetchall()
    if len(rows) == 1:
        return rows[0]
    if len({store.canonical(r[1]) for r in rows}) == 1:
        # Several accounts, one person (linked): that person.
        main = store.canonical(rows[0][1])
        return next((r for r in rows if r[1] == main), rows[0])
    if len(rows) > 1:
        ids = ", ".join(r[1] for r in rows[:10])
        raise PersonNotFound(f"{person!r} is the handle of several people; give one of: {ids}")
    handles = [
        r[0] for r in con.execute("SELECT handle FROM people WHERE handle IS NOT NULL").fetchall()
    ]
    close = difflib.get_close_matches(person, handles, n=5, cutoff=0.6)
    hint = f"; closest handles: {', '.join(close)}" if close else ""
    raise PersonNotFound(f"no person {person!r} in the store{hint}")


def _row(store: Store, key: int) -> dict[str, Any]:
    cur = store.con.execute("SELECT * FROM scores WHERE key = ?", [key])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        return {}
    return dict(zip(names, rows[0], strict=True))


def _iso(moment: datetime) -> str:
    """A naive UTC moment (as the store's session hands them out) in ISO form with offset."""
    return moment.replace(tzinfo=UTC).isoformat()


def _clean(value: Any) -> Any:
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    return value


def top(by: str = "relational", n: int = 20, *, db: Db = None) -> list[dict[str, Any]]:
    """The ``n`` people highest on ``broadcast``, ``relational`` or a component.

    Each entry: person, handle, broadcast, relational, the ``by`` figure (score and raw)
    and a one-sentence explanation.
    """
    choices = ("broadcast", "relational", *COMPONENTS)
    if by not in choices:
        raise ParameterError.expected("by", "top", f"one of {', '.join(choices)}", by)
    if n < 1:
        raise ParameterError.expected("n", "top", "an integer >= 1", n)
    order = by if by in ("broadcast", "relational") else f"{by}_pct"
    raw = f"{by}_raw" if by in ("broadcast", "relational") else by
    with open_scored(db) as store:
        cur = store.con.execute(
            f'SELECT * FROM scores ORDER BY "{order}" DESC, "{raw}" DESC, person LIMIT ?', [n]
        )
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    out = []
    for r in rows:
        entry = {
            "person": r["person"],
            "handle": r["handle"],
            "broadcast": _clean(r["broadcast"]),
            "relational": _clean(r["relational"]),
        }
        if by not in ("broadcast", "relational"):
            entry[by] = _clean(r[f"{by}_pct"])
            entry[f"{by}_raw"] = _clean(r[by])
            entry["why"] = component_sentences(r)[by]
        else:
            entry["why"] = explanation(r)
        out.append(entry)
    return out


def show(person: str, *, db: Db = None, include_private: bool = False) -> dict[str, Any]:
    """One person: both scores, every component (score, raw, sentence), the explanation,
    and the people who contribute most to each score."""
    with open_scored(db) as store:
        key, pid, handle = _resolve(store, person)
        r = _row(store, key)
        if not r:
            raise PersonNotFound(f"{pid} has no events as of the scored moment")
        sentences = component_sentences(r)
        components = {
            c: {
                "score": _clean(r[f"{c}_pct"]),
                "raw": _clean(r[c]),
                "family": "broadcast" if c in BROADCAST_COMPONENTS else "relational",
                "explanation": sentences[c],
            }
            for c in COMPONENTS
        }
        ties = _person_ties(store, key, include_private)
        run = store.score_run()
        accounts = store.accounts(pid)
    engaged = sorted(ties, key=lambda t: -t["gives_me"])[:5]
    strongest = sorted(ties, key=lambda t: -t["strength"])[:5]
    return {
        "person": pid,
        "handle": handle,
        "display_name": r.get("display_name"),
        "accounts": accounts,
        "broadcast": _clean(r["broadcast"]),
        "relational": _clean(r["relational"]),
        "broadcast_raw": _clean(r["broadcast_raw"]),
        "relational_raw": _clean(r["relational_raw"]),
        "components": components,
        "explanation": explanation(r),
        "top_people": {
            "broadcast": [
                {"person": t["person"], "handle": t["handle"], "gives": round(t["gives_me"], 4)}
                for t in engaged
                if t["gives_me"] > 0
            ],
            "relational": [
                {"person": t["person"], "handle": t["handle"], "strength": round(t["strength"], 4)}
                for t in strongest
                if t["mutual"]
            ],
        },
        "as_of": run["as_of"],
        "half_life_days": run["half_life_days"],
        "weights": run["weights"],
    }


def _person_ties(store: Store, key: int, include_private: bool) -> list[dict[str, Any]]:
    """The ties of one person, from their side, with the figures the privacy rule allows."""
    sfx = "" if include_private else "_public"
    # What the other gives me (support, ...), and what I give them (their_support, ...).
    parts = ", ".join(
        f"CASE WHEN t.lo = $1 THEN t.{p}_to_lo{sfx} ELSE t.{p}_to_hi{sfx} END AS {p}, "
        f"CASE WHEN t.lo = $1 THEN t.{p}_to_hi{sfx} ELSE t.{p}_to_lo{sfx} END AS their_{p}"
        for p in (*_PARTS, "value")
    )
    gives = "given_hi" if include_private else "given_public_hi"
    gives_lo = "given_lo" if include_private else "given_public_lo"
    where = "" if include_private else "AND t.events_public > 0"
    cur = store.con.execute(
        f"""SELECT o.id AS person, o.handle, t.strength{sfx} AS strength, {parts},
                   CASE WHEN t.lo = $1 THEN t.{gives} ELSE t.{gives_lo} END AS gives_me,
                   CASE WHEN t.lo = $1 THEN t.{gives_lo} ELSE t.{gives} END AS i_give,
                   t.reciprocity{sfx} AS reciprocity, t.dialogue{sfx} AS dialogue,
                   t.events{sfx} AS events
            FROM ties t JOIN people o ON o.key = CASE WHEN t.lo = $1 THEN t.hi ELSE t.lo END
            WHERE (t.lo = $1 OR t.hi = $1) {where}""",
        [key],
    )
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        d = dict(zip(names, row, strict=True))
        d["mutual"] = d["gives_me"] > 0 and d["i_give"] > 0
        out.append(d)
    return out


def _reasons(tie: dict[str, Any], prefix: str = "") -> dict[str, float]:
    return {p: round(float(tie[prefix + p] or 0.0), 4) for p in _PARTS}


def _why(tie: dict[str, Any]) -> str:
    words = {
        "support": "supports you (likes, accepts, help)",
        "feedback": "answers your posts",
        "amplification": "shares and mentions you",
        "conversation": "talks with you back and forth",
    }
    ranked = sorted(_PARTS, key=lambda p: -(tie[p] or 0))
    said = [words[p] for p in ranked if (tie[p] or 0) > 0.05][:2]
    mutual = f"; {tie['reciprocity'] * 100:.0f}% mutual" if tie.get("reciprocity") else ""
    return (" and ".join(said) if said else "little so far") + mutual


def circle(
    person: str, n: int = 5, *, db: Db = None, include_private: bool = False
) -> list[dict[str, Any]]:
    """The ``n`` connections that matter most to a person: top ties by value to them.

    Each entry: person, handle, strength (symmetric), value_to_me (what they give this
    person), reasons (support, feedback, amplification, conversation, each 0-1) and why.
    Ties made only of private messages appear only with ``include_private``.
    """
    if n < 1:
        raise ParameterError.expected("n", "circle", "an integer >= 1", n)
    with open_scored(db) as store:
        key, _, _ = _resolve(store, person)
        ties = _person_ties(store, key, include_private)
    ties.sort(key=lambda t: (-(t["value"] or 0), -(t["strength"] or 0), t["person"]))
    return [
        {
            "person": t["person"],
            "handle": t["handle"],
            "strength": round(float(t["strength"] or 0), 4),
            "value_to_me": round(float(t["value"] or 0), 4),
            "reasons": _reasons(t),
            "why": _why(t),
        }
        for t in ties[:n]
        if (t["value"] or 0) > 0
    ]


def gives(
    person: str, n: int = 10, *, db: Db = None, include_private: bool = False
) -> list[dict[str, Any]]:
    """What a person gives, and to whom: the ``n`` people they give most to (decayed,
    kind-weighted engagement) with the value that has for each.

    Each entry: person, handle, given (what this person gives them, decayed and weighted
    by kind as in generosity), value_to_them and its reasons (support, feedback,
    amplification, conversation, each 0-1), and whether the tie is mutual. Public figures
    only unless ``include_private``, as for :func:`circle`.
    """
    if n < 1:
        raise ParameterError.expected("n", "gives", "an integer >= 1", n)
    with open_scored(db) as store:
        key, _, _ = _resolve(store, person)
        ties = [t for t in _person_ties(store, key, include_private) if t["i_give"] > 0]
    ties.sort(key=lambda t: (-t["i_give"], -(t["their_value"] or 0), t["person"]))
    return [
        {
            "person": t["person"],
            "handle": t["handle"],
            "given": round(float(t["i_give"]), 4),
            "value_to_them": round(float(t["their_value"] or 0), 4),
            "reasons": _reasons(t, "their_"),
            "mutual": t["mutual"],
        }
        for t in ties[:n]
    ]


def history(person: str, *, db: Db = None) -> list[dict[str, Any]]:
    """A person's two scores as of each month end the stored run kept
    (``score(history_months=...)``), then as of the scored moment itself; oldest first.

    Each entry: as_of, month (``YYYY-MM``), broadcast, relational (0-100, percentiles in
    the community as it was then). Months before the person's first event are absent;
    without a kept history, only the scored moment.
    """
    with open_scored(db) as store:
        key, _, _ = _resolve(store, person)
        run = store.score_run() or {}
        rows = []
        if "score_history" in store.tables():
            rows = store.con.execute(
                """SELECT as_of::TIMESTAMP, month, broadcast, relational
                   FROM score_history WHERE key = ? ORDER BY as_of""",
                [key],
            ).fetchall()
        now = _row(store, key)
    out = [
        {"as_of": _iso(a), "month": m, "broadcast": _clean(b), "relational": _clean(r)}
        for a, m, b, r in rows
    ]
    if now:
        out.append(
            {
                "as_of": run["as_of"],
                "month": run["as_of"][:7],
                "broadcast": _clean(now["broadcast"]),
                "relational": _clean(now["relational"]),
            }
        )
    return out


def rising(n: int = 20, *, db: Db = None, months: int = 3) -> dict[str, Any]:
    """The people whose relational score rose most over about the last ``months`` months.

    Rising is the change in the relational score (a percentile, so a rise *against the
    community*) from the kept month end closest to ``months`` x 30.4 days before the scored
    moment (the oldest kept one if the history is shorter) to the scored moment. Only people
    already scored then are compared: newcomers have no earlier score to rise from. Needs a
    history (``score(history_months=...)``); without one, ``people`` is empty.

    Returns
    -------
    dict
        ``since`` (the earlier moment, or None), ``months`` and ``people``: person, handle,
        relational_then, relational (now), change, broadcast, broadcast_change; only rises.
    """
    if n < 1:
        raise ParameterError.expected("n", "rising", "an integer >= 1", n)
    if months < 1:
        raise ParameterError.expected("months", "rising", "an integer >= 1", months)
    with open_scored(db) as store:
        run = store.score_run() or {}
        if "score_history" not in store.tables():
            return {"since": None, "months": months, "people": []}
        target = datetime.fromisoformat(run["as_of"]) - timedelta(days=30.4 * months)
        since = store.con.execute(
            """SELECT as_of::TIMESTAMP FROM (SELECT DISTINCT as_of FROM score_history)
               ORDER BY abs(epoch(as_of) - epoch($1::TIMESTAMPTZ)), as_of LIMIT 1""",
            [target],
        ).fetchall()
        if not since:
            return {"since": None, "months": months, "people": []}
        rows = store.con.execute(
            """SELECT s.person, s.handle, h.relational, s.relational,
                      s.relational - h.relational AS change, s.broadcast,
                      s.broadcast - h.broadcast
               FROM scores s JOIN score_history h
                    ON h.key = s.key AND h.as_of::TIMESTAMP = $1
               WHERE s.relational > h.relational
               ORDER BY change DESC, s.relational DESC, s.person LIMIT $2""",
            [since[0][0], n],
        ).fetchall()
    names = (
        "person",
        "handle",
        "relational_then",
        "relational",
        "change",
        "broadcast",
        "broadcast_change",
    )
    return {
        "since": _iso(since[0][0]),
        "months": months,
        "people": [{k: _clean(v) for k, v in zip(names, r, strict=True)} for r in rows],
    }


def tie_events(
    a: str,
    b: str,
    *,
    db: Db = None,
    include_private: bool = False,
    limit: int = 100,
) -> dict[str, Any]:
    """The events behind the tie between two people: every event one addressed to the
    other (either way, any of their linked accounts) up to the scored moment, newest first.

    Private events (messages) are left out unless ``include_private``, so that nothing about
    a pair's private channel reaches anyone but the two of them.

    Returns
    -------
    dict
        ``a``, ``b`` (person ids), ``total`` (events found) and ``events`` (at most
        ``limit``): ts, actor, actor_handle, kind, target, target_handle, content_id,
        parent_id, thread_id, visibility, text (tags stripped, at most 280 characters).
    """
    if limit < 1:
        raise ParameterError.expected("limit", "tie_events", "an integer >= 1", limit)
    with open_scored(db) as store:
        _, pa_, _ = _resolve(store, a)
        _, pb, _ = _resolve(store, b)
        run = store.score_run() or {}
        private = "" if include_private else "AND e.visibility = 'public'"
        keys = "SELECT key FROM people WHERE id IN (SELECT unnest(?))"
        mine, theirs = store.accounts(pa_), store.accounts(pb)
        # One pass over the events by integer keys; people's ids only for the rows shown.
        store.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _nc_between AS
                SELECT * FROM events e
                WHERE ((e.actor_key IN ({keys}) AND e.target_key IN ({keys}))
                    OR (e.actor_key IN ({keys}) AND e.target_key IN ({keys})))
                  AND e.ts <= ?::TIMESTAMPTZ {private}""",
            [mine, theirs, theirs, mine, run["as_of"]],
        ).fetchall()
        try:
            total = store.con.execute("SELECT count(*) FROM _nc_between").fetchall()[0][0]
            cur = store.con.execute(
                """SELECT e.ts::TIMESTAMP AS ts, x.id AS actor, x.handle AS actor_handle, e.kind,
                          y.id AS target, y.handle AS target_handle, e.content_id, e.parent_id,
                          e.thread_id, e.visibility, e.text
                   FROM _nc_between e
                   JOIN people x ON x.key = e.actor_key JOIN people y ON y.key = e.target_key
                   ORDER BY e.ts DESC, e.event_id LIMIT ?""",
                [limit],
            )
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        finally:
            store.con.execute("DROP TABLE IF EXISTS _nc_between").fetchall()
    for r in rows:
        r["ts"] = _iso(r["ts"])
        r["text"] = _snippet(r["text"])
    return {"a": pa_, "b": pb, "total": int(total), "events": rows}


def _snippet(text: str | None, size: int = 280) -> str | None:
    """Plain words of an event's text for display: markup tags dropped, spaces collapsed,
    cut at ``size`` characters.

    >>> _snippet("<p>Try a <b>saison</b>,\\n really.</p>")
    'Try a saison , really.'
    """
    if not text:
        return None
    plain = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return plain if len(plain) <= size else plain[: size - 1].rstrip() + "…"


def suggest(
    person: str, n: int = 5, *, db: Db = None, circle_size: int = 10
) -> list[dict[str, Any]]:
    """People worth knowing: valued highly by the person's circle, not yet met.

    A candidate x scores :math:`\\sum_{c} v(c \\to p)\\, v(x \\to c)` over the person p's
    circle c (``circle_size`` top ties by value to p), where v(a → b) is what a gives b;
    people p has interacted with are left out. Public figures only: the circle's ties to
    others are third parties' business.
    """
    if n < 1:
        raise ParameterError.expected("n", "suggest", "an integer >= 1", n)
    with open_scored(db) as store:
        key, _, _ = _resolve(store, person)
        rows = store.con.execute(
            """
            WITH mine AS (
                SELECT CASE WHEN lo = $1 THEN hi ELSE lo END AS c,
                       CASE WHEN lo = $1 THEN value_to_lo_public ELSE value_to_hi_public END AS v
                FROM ties WHERE (lo = $1 OR hi = $1) AND events_public > 0
            ),
            circle AS (SELECT * FROM mine WHERE v > 0 ORDER BY v DESC, c LIMIT $2),
            -- Anyone met, in public or in private, is not a suggestion.
            known AS (SELECT CASE WHEN lo = $1 THEN hi ELSE lo END AS c
                      FROM ties WHERE lo = $1 OR hi = $1),
            theirs AS (
                SELECT ci.c, ci.v,
                       CASE WHEN t.lo = ci.c THEN t.hi ELSE t.lo END AS x,
                       CASE WHEN t.lo = ci.c THEN t.value_to_lo_public
                            ELSE t.value_to_hi_public END AS vx,
                       CASE WHEN t.lo = ci.c THEN t.feedback_to_lo_public
                            ELSE t.feedback_to_hi_public END AS feedback,
                       CASE WHEN t.lo = ci.c THEN t.support_to_lo_public
                            ELSE t.support_to_hi_public END AS support,
                       CASE WHEN t.lo = ci.c THEN t.amplification_to_lo_public
                            ELSE t.amplification_to_hi_public END AS amplification,
                       CASE WHEN t.lo = ci.c THEN t.conversation_to_lo_public
                            ELSE t.conversation_to_hi_public END AS conversation
                FROM circle ci JOIN ties t ON (t.lo = ci.c OR t.hi = ci.c)
                WHERE t.events_public > 0
            )
            SELECT x, c, v * vx AS s, feedback, support, amplification, conversation
            FROM theirs
            WHERE x <> $1 AND vx > 0 AND x NOT IN (SELECT c FROM known)
            """,
            [key, circle_size],
        ).fetchall()
        ids = (
            dict(
                (k, (i, h))
                for k, i, h in store.con.execute("SELECT key, id, handle FROM people").fetchall()
            )
            if rows
            else {}
        )
    by: dict[int, dict[str, Any]] = {}
    for x, c, s, *parts in rows:
        entry = by.setdefault(x, {"score": 0.0, "valued_by": []})
        entry["score"] += s
        named = zip(("feedback", "support", "amplification", "conversation"), parts, strict=True)
        best = max(named, key=lambda p: p[1] or 0)
        entry["valued_by"].append(
            {"person": ids[c][0], "handle": ids[c][1], "value": round(s, 4), "mostly": best[0]}
        )
    ranked = sorted(by.items(), key=lambda kv: (-kv[1]["score"], ids[kv[0]][0]))[:n]
    return [
        {
            "person": ids[x][0],
            "handle": ids[x][1],
            "score": round(e["score"], 4),
            "valued_by": sorted(e["valued_by"], key=lambda v: -v["value"]),
            "why": "valued by "
            + ", ".join(
                f"{v['handle']} ({v['mostly']})"
                for v in sorted(e["valued_by"], key=lambda v: -v["value"])[:3]
            ),
        }
        for x, e in ranked
    ]


def fit(
    db: Db = None,
    *,
    split: float = 0.7,
    half_life: str | float = 90.0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Learn tie-strength weights from the store's own history and keep them.

    Ties are measured as of the moment ``split`` of the events had happened; each pair is
    labelled by whether it interacts again afterwards; a logistic regression on the tie
    features gives the weights (:func:`narrowcast.evaluate.fit_tie_weights`). Returns the
    weights with their fit quality (ROC AUC on held-out pairs, fitted and default).
    ``score(weights="fitted")`` then uses them.
    """
    from narrowcast.engines import DuckDBRunner
    from narrowcast.evaluate import continuation_labels, fit_tie_weights, split_moment
    from narrowcast.measures.score import measure

    if not 0 < split < 1:
        raise ParameterError.expected("split", "fit", "a fraction between 0 and 1", split)
    path = default_db(db)
    with Store(path, create=False) as store:
        runner = DuckDBRunner(store.con, progress=progress)
        try:
            events = runner.events()
            moment = runner.scalar(split_moment(events, split))
            if moment is None:
                raise NarrowcastError(f"the store {path} has no events; import some first")
            params = Params(as_of=moment, half_life_days=parse_half_life(half_life))
            measured = measure(events, params, runner)
            labels = continuation_labels(events, moment)
            ties = measured.ties
            joined = ties.left_join(labels, ["lo", "hi"]).drop("lo_right", "hi_right")
            frame = runner.to_arrow(joined.order_by(["lo", "hi"])).to_pandas()
        finally:
            runner.close()
        result = fit_tie_weights(frame, frame["again"].fillna(False).to_numpy(bool), seed=seed)
        info = {
            "split": split,
            "split_at": moment.isoformat(),
            "half_life_days": params.half_life_days,
            "pairs": result.pairs,
            "continued": result.positives,
            "roc_auc_fitted": result.auc_fitted,
            "roc_auc_default": result.auc_default,
            "coefficients": result.coefficients,
            "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **result.details,
        }
        store.save_fitted_weights(result.weights, info)
    return {"weights": result.weights, **info}
