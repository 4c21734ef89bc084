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

from narrowcast import __version__, api
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
        result = api.demo(events=n_events, seed=seed, db=db, progress=bar)
    click.echo(result.summary(), err=True)
    click.echo(_info_table(api.info(db=db)))
