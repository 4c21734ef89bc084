"""The command line: a thin layer over the library (``narrowcast.api``).

Each command parses options, calls one library function and formats its result. Data goes
to stdout, messages to stderr. Errors narrowcast raises on purpose become one line on stderr
and exit code 2, without a traceback.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from narrowcast import __version__, api, faces
from narrowcast.cli.progress import ProgressBar
from narrowcast.config import SETTINGS
from narrowcast.errors import NarrowcastError
from narrowcast.importers import FORMATS

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])
_DB = next(s for s in SETTINGS if s.name == "db")


def db_option(f: F) -> F:
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=_DB.envvar,
        default=_DB.default,
        show_default=True,
        show_envvar=True,
        help=_DB.help,
    )(f)


def format_option(*choices: str) -> Callable[[F], F]:
    def deco(f: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help="How to print the result.",
        )(f)

    return deco


def quiet_option(f: F) -> F:
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar.")(f)


def friendly_errors(f: F) -> F:
    """One line on stderr and exit 2 for errors narrowcast raises on purpose."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except NarrowcastError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted: nothing of this command was written.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="narrowcast")
def main() -> None:
    """narrowcast: social influence as people experience it.

    Broadcast (what a person receives) and relating (what they give, whether they listen
    and answer, how mutual their ties are), side by side, from one event log.

    Start with 'narrowcast demo', or import your own data with 'narrowcast import'.
    """


def _type_map(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, kind = value.partition("=")
        if not sep or not key or not kind:
            raise click.BadParameter(f"{value!r} is not TYPE=KIND, e.g. RT=share")
        out[key] = kind
    return out


@main.command("import")
@click.argument("format", type=click.Choice(list(FORMATS)), metavar="FORMAT")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--platform", help="Community name for these rows and their person ids.")
@click.option(
    "--kind",
    help="snap: what every row without a TYPE column is (message, reply, like, ...).",
)
@click.option(
    "--type-map",
    multiple=True,
    callback=_type_map,
    metavar="TYPE=KIND",
    help="snap: map a TYPE column value to a kind (repeatable); a2q/c2q/c2a, RT, MT, RE are known.",
)
@click.option(
    "--visibility",
    type=click.Choice(["public", "private"]),
    help="snap: visibility of the rows (default: private for messages, else public).",
)
@click.option(
    "--skip-bad-rows", is_flag=True, help="Skip and count malformed rows instead of stopping."
)
@db_option
@quiet_option
@friendly_errors
def import_(
    format: str,
    paths: tuple[Path, ...],
    platform: str | None,
    kind: str | None,
    type_map: dict[str, str],
    visibility: str | None,
    skip_bad_rows: bool,
    db: Path,
    quiet: bool,
) -> None:
    """Import files of FORMAT into the store, all or nothing.

    Importing the same input again adds nothing. A bad row stops the import with a message
    naming file and line, and the store stays as it was (or use --skip-bad-rows).
    """
    options: dict[str, Any] = {"skip_bad_rows": skip_bad_rows}
    if platform:
        options["platform"] = platform
    snap_only = {"kind": kind, "type_map": type_map, "visibility": visibility}
    for name, value in snap_only.items():
        if value:
            if format != "snap":
                raise click.UsageError(f"--{name.replace('_', '-')} is for the snap format only")
            options[name] = value
    with ProgressBar(f"import {format}", quiet=quiet) as bar:
        result = api.import_files(format, paths, db=db, progress=bar, **options)
    click.echo(result.summary(), err=True)


import_.help = (
    inspect.cleandoc(import_.help or "")
    + "\n\n\b\nFORMAT is one of:\n"
    + "\n".join(f"  {name:<14} {text}" for name, (_, _, text) in FORMATS.items())
)


@main.command()
@format_option("table", "json")
@db_option
@friendly_errors
def info(fmt: str, db: Path) -> None:
    """What the store holds: events and people, events by kind and platform, time span."""
    facts = api.info(db=db)
    if fmt == "json":
        click.echo(json.dumps(facts, indent=2))
        return
    click.echo(_info_table(facts))


def _info_table(facts: dict[str, Any]) -> str:
    lines = [
        f"store      {facts['store']}",
        f"events     {facts['events']:,}",
        f"people     {facts['people']:,}",
        f"first      {facts['first_ts'] or '-'}",
        f"last       {facts['last_ts'] or '-'}",
        f"imports    {facts['imports']:,}",
    ]
    for title, counts in (("platform", facts["platforms"]), ("kind", facts["kinds"])):
        if counts:
            lines.append("")
            width = max(len(title), *(len(k) for k in counts))
            lines.append(f"{title:<{width}}  {'events':>12}")
            lines += [f"{k:<{width}}  {v:>12,}" for k, v in counts.items()]
    return "\n".join(lines)


@main.command()
@click.option(
    "--events",
    "n_events",
    type=click.IntRange(1_000, 100_000_000),
    default=50_000,
    show_default=True,
    help="Size of the synthetic community, in events.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@db_option
@quiet_option
@friendly_errors
def demo(n_events: int, seed: int, db: Path, quiet: bool) -> None:
    """Build a synthetic community with planted roles into the store and describe it.

    The community is seeded and reproducible: a broadcaster who answers almost nobody,
    connectors who give and answer, quiet listeners, and four kinds of attacker (a
    spray-liker, a like ring, bot amplification, sock-puppets).
    """
    with ProgressBar("demo", quiet=quiet) as bar:
        result = api.demo(events=n_events, seed=seed, db=db, progress=bar, score=False)
    click.echo(result.summary(), err=True)
    click.echo(_info_table(api.info(db=db)))
    scores = _score_with_status(db, quiet=quiet)
    click.echo(f"\nScored as of {scores.run['as_of']} in {scores.run['seconds']} s.")
    for title, by in (("Connectors to thank", "relational"), ("Broadcasters", "broadcast")):
        click.echo(f"\n{title} (top 5 by {by}):")
        click.echo(_table(api.top(by, 5, db=db), ["handle", "broadcast", "relational", "why"]))
    click.echo(
        "\nNext: narrowcast show HANDLE, narrowcast circle HANDLE, narrowcast top --by listening,"
        "\nor look at it all: narrowcast serve"
    )


def _score_with_status(db: Path, *, quiet: bool, **options: Any) -> api.Scores:
    steps: list[str] = []

    def progress(step: str) -> None:
        steps.append(step)

    if quiet or not sys.stderr.isatty():
        return api.score(db, progress=progress, **options)
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("scoring...") as status:

        def show_step(step: str) -> None:
            status.update(f"scoring: {step} done")

        return api.score(db, progress=show_step, **options)


# -- output formats ----------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 1 or value == 0 else f"{value:.3g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items())
    return str(value)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Aligned columns; the last column may be long text and is not padded."""
    if not rows:
        return "(none)"
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = lambda vals: "  ".join(  # noqa: E731
        v.ljust(w) if i < len(vals) - 1 else v
        for i, (v, w) in enumerate(zip(vals, widths, strict=True))
    )
    return "\n".join([line(columns), *(line(r) for r in cells)])


def _csv(rows: list[dict[str, Any]]) -> str:
    import csv
    import io

    if not rows:
        return ""
    flat = [_flatten(r) for r in rows]
    names: list[str] = []
    for r in flat:
        names += [k for k in r if k not in names]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    w.writeheader()
    w.writerows(flat)
    return out.getvalue().rstrip("\n")


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        elif isinstance(v, list):
            out[f"{prefix}{k}"] = json.dumps(v)
        else:
            out[f"{prefix}{k}"] = v
    return out


def _emit(data: Any, fmt: str, table: Callable[[], str]) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, default=str))
    elif fmt == "csv":
        click.echo(_csv(data if isinstance(data, list) else [data]))
    else:
        click.echo(table())


def _spark_conf(_ctx: Any, _param: Any, values: tuple[str, ...]) -> dict[str, str]:
    conf = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}")
        conf[key.strip()] = value.strip()
    return conf


def engine_options(f: F) -> F:
    """--engine, --spark-master and --spark-conf: where the measures run."""
    f = click.option(
        "--spark-conf",
        multiple=True,
        metavar="KEY=VALUE",
        callback=_spark_conf,
        help="Spark configuration passed through (spark.driver.memory=8g); repeatable.",
    )(f)
    f = click.option(
        "--spark-master",
        metavar="URL",
        help="With --engine spark: local[*] (the default: every core here), local[N], or a "
        "cluster's master URL (yarn, spark://HOST:7077, k8s://...); under spark-submit, "
        "its --master.",
    )(f)
    return click.option(
        "--engine",
        type=click.Choice(["duckdb", "spark"]),
        default="duckdb",
        show_default=True,
        help="Where the measures run: the store's DuckDB, or Apache Spark (needs "
        "pyspark and Java); both give the same scores.",
    )(f)


def private_option(f: F) -> F:
    return click.option(
        "--include-private",
        is_flag=True,
        help="Show private-channel figures and ties made only of private messages "
        "(for the person themself).",
    )(f)


@main.command()
@click.option("--as-of", help="Score as of this date or time (ISO); default: the last event.")
@click.option(
    "--half-life",
    default="90d",
    show_default=True,
    help="How fast old events fade: 90d, 12w, 36h, or days.",
)
@click.option(
    "--weights",
    type=click.Choice(["default", "fitted"]),
    default="default",
    show_default=True,
    help="Tie-strength weights: the defaults, or those 'narrowcast fit' learned.",
)
@engine_options
@click.option(
    "--events",
    "events",
    multiple=True,
    metavar="PATH",
    help="With --engine spark: score this Parquet event log (files, a month-partitioned "
    "folder, or URIs such as s3a://bucket/log/) instead of the store; repeatable.",
)
@click.option(
    "--out",
    metavar="PATH",
    help="With --events: the results folder or URI (people/, ties/, run/ as Parquet); "
    "load it into a store with 'narrowcast load-scores'.",
)
@click.option(
    "--history",
    "history_months",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    metavar="MONTHS",
    help="Also keep everyone's scores as of the end of each of the last MONTHS months "
    "(a scoring run each), for the dashboard's history and rising people.",
)
@format_option("table", "json", "csv")
@db_option
@quiet_option
@friendly_errors
def score(
    as_of: str | None,
    half_life: str,
    weights: str,
    engine: str,
    spark_master: str | None,
    spark_conf: dict[str, str],
    events: tuple[str, ...],
    out: str | None,
    history_months: int,
    fmt: str,
    db: Path,
    quiet: bool,
) -> None:
    """Score everyone as of a moment and keep the result (and its parameters) in the store.

    Prints the top 10 by each score; 'top', 'show' and 'circle' then read the stored result.
    --engine spark runs the same measures on Apache Spark (local mode by default, or the
    cluster of --spark-master); with --events and --out it scores a Parquet event log
    where it lives, without a store.
    """
    options: dict[str, Any] = {"as_of": as_of, "half_life": half_life, "weights": weights}
    if events or out:
        if not (events and out):
            raise click.UsageError("--events and --out go together")
        if engine != "spark":
            raise click.UsageError("--events needs --engine spark")
        if weights == "fitted":
            raise click.UsageError("--weights fitted reads a store; not with --events")
        if history_months:
            raise click.UsageError("--history reads a store; not with --events")
        run = api.score_parquet(
            list(events), out, spark_master=spark_master, spark_conf=spark_conf, **options
        )
        if fmt != "table":
            _emit(run, fmt, lambda: "")
        else:
            click.echo(
                f"Scored {run['events']:,} events as of {run['as_of']} on Spark "
                f"({run['spark_master']}) in {run['seconds']} s; results in {out}.\n"
                f"Load them into a store with: narrowcast load-scores {out}"
            )
        return
    scores = _score_with_status(
        db,
        quiet=quiet,
        engine=engine,
        spark_master=spark_master,
        spark_conf=spark_conf,
        history_months=history_months,
        **options,
    )
    run = scores.run
    if fmt != "table":
        _emit(run, fmt, lambda: "")
        return
    click.echo(
        f"Scored {run['events']:,} events as of {run['as_of']} (half-life "
        f"{run['half_life_days']:g} days, {run['weights']} weights, {run['engine']}) "
        f"in {run['seconds']} s."
    )
    for by in ("broadcast", "relational"):
        click.echo(f"\nTop 10 by {by}:")
        click.echo(_table(api.top(by, 10, db=db), ["handle", "broadcast", "relational"]))


@main.command("load-scores")
@click.argument("results", type=click.Path(exists=True, file_okay=False, path_type=Path))
@db_option
@friendly_errors
def load_scores(results: Path, db: Path) -> None:
    """Keep the results of 'narrowcast score --events ... --out RESULTS' (a folder with
    people/, ties/ and run/) as the store's scores, for top, show, circle and the faces.

    People the store does not know yet get a row (id and handle), so results scored on a
    cluster can be looked at from a store that never held the whole event log.
    """
    run = api.load_scores(results, db=db)
    click.echo(
        f"Loaded scores of {run['events']:,} events as of {run['as_of']} "
        f"({run.get('engine', '?')}) into {db}."
    )


@main.command("export")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@db_option
@friendly_errors
def export(out: Path, db: Path) -> None:
    """Write the store's event log as Parquet partitioned by month (OUT/month=YYYY-MM/),
    people by id: what 'narrowcast score --engine spark --events' and 'import parquet'
    read. Copy it to the cluster's storage to score it there."""
    n = api.export_log(out, db=db)
    click.echo(f"Wrote {n:,} events to {out}.")


_BY = ["broadcast", "relational", *api.COMPONENTS]


@main.command()
@click.option(
    "--by",
    type=click.Choice(_BY),
    default="relational",
    show_default=True,
    help="The score or component to rank by.",
)
@click.option("-n", "n", type=click.IntRange(1), default=20, show_default=True, help="How many.")
@format_option("table", "json", "csv")
@db_option
@friendly_errors
def top(by: str, n: int, fmt: str, db: Path) -> None:
    """The people highest on a score or component, with why."""
    rows = api.top(by, n, db=db)
    cols = ["handle", "broadcast", "relational"]
    if by not in ("broadcast", "relational"):
        cols.append(by)
    _emit(rows, fmt, lambda: _table(rows, [*cols, "why"]))


@main.command()
@click.argument("person")
@format_option("table", "json", "csv")
@private_option
@db_option
@friendly_errors
def show(person: str, fmt: str, include_private: bool, db: Path) -> None:
    """One person's two scores, every component with its explanation, and who counts most.

    PERSON is a person id (platform:id) or a handle.
    """
    data = api.show(person, db=db, include_private=include_private)

    def table() -> str:
        lines = [
            f"{data['handle']} ({', '.join(data['accounts'])}), as of {data['as_of']}",
            f"broadcast  {data['broadcast']:.0f}/100    relational  {data['relational']:.0f}/100",
            data["explanation"],
            "",
        ]
        rows = [{"component": k, **v} for k, v in data["components"].items()]
        lines.append(_table(rows, ["family", "component", "score", "raw", "explanation"]))
        for family, people in data["top_people"].items():
            if people:
                names = ", ".join(p["handle"] or p["person"] for p in people)
                lines.append(f"\nmost {family} weight from: {names}")
        return "\n".join(lines)

    _emit(data, fmt, table)


@main.command()
@click.argument("person")
@click.option("-n", "n", type=click.IntRange(1), default=5, show_default=True, help="How many.")
@format_option("table", "json", "csv")
@private_option
@db_option
@friendly_errors
def circle(person: str, n: int, fmt: str, include_private: bool, db: Path) -> None:
    """The connections that matter most to PERSON: top ties by value to them, with reasons."""
    rows = api.circle(person, n, db=db, include_private=include_private)
    _emit(rows, fmt, lambda: _table(rows, ["handle", "strength", "value_to_me", "why"]))


@main.command()
@click.argument("person")
@click.option("-n", "n", type=click.IntRange(1), default=5, show_default=True, help="How many.")
@format_option("table", "json", "csv")
@db_option
@friendly_errors
def suggest(person: str, n: int, fmt: str, db: Path) -> None:
    """People worth knowing: valued by PERSON's circle, not yet met, and by whom."""
    rows = api.suggest(person, n, db=db)
    _emit(rows, fmt, lambda: _table(rows, ["handle", "score", "why"]))


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default is this machine only: the dashboard shows a "
    "community's data and has no login, so bind another address only on a network you trust.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=faces.DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@private_option
@db_option
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")
@friendly_errors
def serve(host: str, port: int, include_private: bool, db: Path, quiet: bool) -> None:
    """Open the local dashboard on the scored store: the community map, each person's page
    (scores, history, circle, what they give), top lists, search.

    Read-only: it never writes to the store, and everything it serves (script, style) comes
    from the installed package, so it works offline. Ctrl-C stops it.
    """
    try:
        server = faces.make_server(
            db, host=host, port=port, include_private=include_private, quiet=quiet
        )
    except OSError as err:
        raise NarrowcastError(
            f"cannot listen on {host}:{port} ({err.strerror or err}); choose another --port"
        ) from err
    private = " (private-channel figures shown)" if include_private else ""
    click.echo(f"narrowcast dashboard on {db}{private}: {server.url}", err=True)
    click.echo("Read-only; press Ctrl-C to stop.", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default="report.html",
    show_default=True,
    help="The HTML file to write.",
)
@click.option(
    "--person", help="Add this person's page (id or handle), with the events behind each tie."
)
@click.option(
    "--evaluation",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Add evaluation tables from a file of 'narrowcast eval ... --format json'.",
)
@private_option
@db_option
@friendly_errors
def report(
    out: Path, person: str | None, evaluation: Path | None, include_private: bool, db: Path
) -> None:
    """Write one self-contained HTML file: the community, the map, top connectors and
    broadcasters with why, the fitted weights' quality when present, and optionally one
    person's page.

    It loads nothing from anywhere (it opens offline and can be e-mailed).
    """
    path = faces.write_report(
        out, db=db, person=person, include_private=include_private, evaluation=evaluation
    )
    click.echo(f"wrote {path} ({path.stat().st_size:,} bytes)", err=True)


@main.command()
@click.option(
    "--split",
    type=click.FloatRange(0.05, 0.95),
    default=0.7,
    show_default=True,
    help="Learn from ties measured when this share of the events had happened.",
)
@click.option("--half-life", default="90d", show_default=True, help="Decay half-life.")
@click.option("--seed", type=int, default=0, show_default=True, help="Which pairs are held out.")
@format_option("table", "json")
@db_option
@friendly_errors
def fit(split: float, half_life: str, seed: int, fmt: str, db: Path) -> None:
    """Learn tie-strength weights from this community's history (which tie features predict
    that a relationship continues), and keep them for 'score --weights fitted'."""
    result = api.fit(db, split=split, half_life=half_life, seed=seed)

    def table() -> str:
        def auc(x: float | None) -> str:
            return "-" if x is None else f"{x:.3f}"

        lines = [
            f"Fitted on {result['pairs']:,} pairs measured as of {result['split_at']} "
            f"({result['continued']:,} continued afterwards).",
            f"ROC AUC on held-out pairs: fitted {auc(result['roc_auc_fitted'])}, "
            f"default {auc(result['roc_auc_default'])}.",
            "",
        ]
        rows = [{"feature": k, "weight": v} for k, v in result["weights"].items()]
        lines.append(_table(rows, ["feature", "weight"]))
        lines.append("\nUse them with: narrowcast score --weights fitted")
        return "\n".join(lines)

    _emit(result, fmt, table)


@main.command("eval")
@click.argument("check", type=click.Choice(["continuation", "scores", "gaming", "all"]))
@click.argument("data", nargs=-1)
@click.option(
    "--split",
    type=click.FloatRange(0.05, 0.95),
    default=0.7,
    show_default=True,
    help="Share of the events (by time) before the split point.",
)
@click.option("--half-life", default="90d", show_default=True, help="Decay half-life.")
@click.option("--seed", type=int, default=0, show_default=True, help="Makes the run reproducible.")
@click.option(
    "--bootstrap",
    type=click.IntRange(0),
    default=200,
    show_default=True,
    help="Bootstrap resamples (over people) for confidence intervals; 0 for none.",
)
@click.option(
    "--spray-targets",
    type=click.IntRange(1),
    default=200,
    show_default=True,
    help="gaming: strangers the spray-liker likes.",
)
@click.option(
    "--ring-size",
    type=click.IntRange(2),
    default=8,
    show_default=True,
    help="gaming: accounts in the like ring.",
)
@click.option(
    "--bots",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="gaming: fresh accounts amplifying one account.",
)
@click.option(
    "--puppet-turns",
    type=click.IntRange(1),
    default=200,
    show_default=True,
    help="gaming: replies between the two sock-puppets.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Regenerate this Markdown report (docs/EVALUATION.md) from every dataset folder "
    "under --data-root, instead of printing.",
)
@click.option(
    "--data-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/data"),
    show_default=True,
    help="With --report: the folder of datasets.",
)
@engine_options
@format_option("table", "json", "markdown")
@db_option
@quiet_option
@friendly_errors
def eval_(
    check: str,
    data: tuple[str, ...],
    split: float,
    half_life: str,
    seed: int,
    bootstrap: int,
    spray_targets: int,
    ring_size: int,
    bots: int,
    puppet_turns: int,
    report: Path | None,
    data_root: Path,
    engine: str,
    spark_master: str | None,
    spark_conf: dict[str, str],
    fmt: str,
    db: Path,
    quiet: bool,
) -> None:
    """Prove the measures on real logs: CHECK is continuation, scores, gaming or all.

    DATA are stores (.duckdb), FORMAT:PATH (snap:CollegeMsg.txt) or dataset folders (a
    Stack Exchange dump, a pipermail archive, SNAP edge lists); with none, the store of
    --db. continuation: does tie strength predict that a pair interacts again after a time
    split, against count, recency and decayed-count baselines (ROC AUC, average precision,
    precision@5, bootstrap intervals over people)? scores: does relational foresee new
    mutual ties and broadcast received engagement? gaming: attackers' percentiles before
    and after injected attacks.
    """

    def say(step: str) -> None:
        if not quiet:
            click.echo(f"... {step}", err=True)

    if report is not None:
        path = api.write_report(
            data_root,
            report,
            split=split,
            seed=seed,
            bootstrap=bootstrap,
            progress=say,
            engine=engine,
            spark_master=spark_master,
            spark_conf=spark_conf,
        )
        click.echo(f"wrote {path}", err=True)
        return
    sizes = {
        "spray_targets": spray_targets,
        "ring_size": ring_size,
        "bots": bots,
        "puppet_turns": puppet_turns,
    }
    results = api.evaluate(
        check,
        data,
        db=db,
        split=split,
        half_life=half_life,
        seed=seed,
        bootstrap=bootstrap,
        sizes=sizes,
        engine=engine,
        spark_master=spark_master,
        spark_conf=spark_conf,
        progress=say,
    )
    if fmt == "json":
        click.echo(json.dumps(results if len(results) > 1 else results[0], indent=2, default=str))
    else:
        click.echo(api.markdown(results))


@main.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--suggest",
    is_flag=True,
    help="List ids on different platforms with the same handle or e-mail address, as "
    "'narrowcast link' commands to run; nothing is linked.",
)
@format_option("table", "json")
@db_option
@friendly_errors
def link(ids: tuple[str, ...], suggest: bool, fmt: str, db: Path) -> None:
    """Record that several platform ids (IDS) are one person.

    Every measure then treats them as one person, shown under the first id; run 'narrowcast
    score' again. 'narrowcast unlink' undoes it; 'narrowcast import identities FILE.csv'
    links many at once.
    """
    if suggest:
        rows = api.link_suggestions(db=db)
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2))
        elif not rows:
            click.echo("No ids share a handle or e-mail address across platforms.")
        else:
            for r in rows:
                click.echo(
                    f"narrowcast link {' '.join(r['ids'])}    # same {r['same']}: {r['value']}"
                )
        return
    if len(ids) < 2:
        raise click.UsageError("give at least two person ids to link, or --suggest")
    result = api.link(ids, db=db)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(f"{result['person']} is now one person with {', '.join(result['accounts'][1:])}")


@main.command()
@click.argument("ids", nargs=-1, required=True)
@db_option
@friendly_errors
def unlink(ids: tuple[str, ...], db: Path) -> None:
    """Undo links: each of IDS is its own person again (run 'narrowcast score' again)."""
    n = api.unlink(ids, db=db)
    click.echo(f"removed {n} link{'s' if n != 1 else ''}")
