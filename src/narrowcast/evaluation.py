"""The evaluation harness's front: run the checks on stores or real logs, and write the report.

``evaluate`` runs ``continuation``, ``scores`` and ``gaming`` (:mod:`narrowcast.evaluate`)
on each dataset; ``markdown`` renders results as the tables of ``docs/EVALUATION.md``;
``write_report`` regenerates that file from every dataset in a folder.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from narrowcast import __version__
from narrowcast.config import default_db
from narrowcast.distributed import ENGINES, SparkOptions, runner_for
from narrowcast.errors import NarrowcastError, ParameterError
from narrowcast.evaluate.datasets import Dataset, detect
from narrowcast.scoring import parse_half_life
from narrowcast.store import Store

__all__ = ["CHECKS", "evaluate", "markdown", "write_report"]

CHECKS = ("continuation", "scores", "gaming")

Say = Callable[[str], None]


def _store_for(ds: Dataset, work: Path, say: Say) -> Path:
    """A store holding the dataset: the store itself, or the files imported into a new one."""
    if ds.store is not None:
        return ds.store
    from narrowcast.importers import read

    path = work / f"{ds.name}.duckdb"
    say(f"importing {ds.name}")
    with Store(path) as store:
        store.load(read(ds.format, ds.paths, **ds.options))
    return path


def evaluate(
    check: str = "all",
    data: Sequence[str] = (),
    *,
    db: str | os.PathLike[str] | None = None,
    split: float = 0.7,
    half_life: str | float = 90.0,
    seed: int = 0,
    bootstrap: int = 200,
    sizes: dict[str, int] | None = None,
    engine: str = "duckdb",
    spark_master: str | None = None,
    spark_conf: dict[str, str] | None = None,
    progress: Say | None = None,
) -> list[dict[str, Any]]:
    """Run ``continuation``, ``scores``, ``gaming`` or ``all`` on each dataset.

    Parameters
    ----------
    check
        Which check, or ``all``.
    data
        Stores (``.duckdb``), ``FORMAT:PATH`` or dataset folders; none means the store
        chosen by ``db`` / ``$NARROWCAST_DB``.
    split
        The share of the events (by time) before the split point.
    seed
        Makes held-out pairs, bootstrap resamples and injected attacks reproducible.
    sizes
        Attack sizes (:class:`narrowcast.evaluate.gaming.AttackSizes` fields).
    engine, spark_master, spark_conf
        Where the measures run, as for :func:`narrowcast.score`.

    Returns
    -------
    list of dict
        One result per dataset: ``dataset``, ``events``, and one block per check.
    """
    if check not in (*CHECKS, "all"):
        raise ParameterError.expected(
            "check", "evaluate", f"one of {', '.join(CHECKS)}, all", check
        )
    if not 0 < split < 1:
        raise ParameterError.expected("split", "evaluate", "a fraction between 0 and 1", split)
    if engine not in ENGINES:
        raise ParameterError.expected("engine", "evaluate", " or ".join(map(repr, ENGINES)), engine)
    spark = SparkOptions(spark_master, spark_conf or {})
    say = progress or (lambda _: None)
    days = parse_half_life(half_life)
    datasets = [detect(d) for d in data] or [Dataset(default_db(db).stem, store=default_db(db))]
    checks = CHECKS if check == "all" else (check,)
    results = []
    with tempfile.TemporaryDirectory(prefix="narrowcast-eval-") as tmp:
        work = Path(tmp)
        for ds in datasets:
            if ds.store is not None and not ds.store.exists():
                raise NarrowcastError(
                    f"no store at {ds.store}; import data first or give DATA to evaluate"
                )
            store = _store_for(ds, work, say)
            started = time.perf_counter()
            result: dict[str, Any] = {"dataset": ds.name, "source": _describe(ds)}
            with Store(store, create=False, read_only=True) as s:
                result["events"] = s.info()["events"]
            if not result["events"]:
                raise NarrowcastError(f"{ds.name} has no events to evaluate")
            for c in checks:
                say(f"{ds.name}: {c}")
                if c == "gaming":
                    result[c] = _gaming(store, work, seed, days, sizes or {}, say, engine, spark)
                else:
                    result[c] = _on_store(
                        store, c, split, days, seed, bootstrap, say, engine, spark
                    )
            result["seconds"] = round(time.perf_counter() - started, 1)
            results.append(result)
    return results


def _describe(ds: Dataset) -> str:
    if ds.store is not None:
        return f"store {ds.store}"
    opts = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in ds.options.items())
    files = " ".join(p.name for p in ds.paths[:3]) + (" ..." if len(ds.paths) > 3 else "")
    return f"{ds.format} {opts} {files}".replace("  ", " ")


def _on_store(
    store: Path,
    check: str,
    split: float,
    days: float,
    seed: int,
    bootstrap: int,
    say: Say,
    engine: str,
    spark: SparkOptions,
) -> dict[str, Any]:
    from narrowcast.evaluate.continuation import continuation
    from narrowcast.evaluate.scores import score_validity

    with (
        Store(store, create=False, read_only=True) as s,
        runner_for(s, engine, spark) as (runner, events),
    ):
        if check == "continuation":
            return continuation(
                runner,
                events,
                split=split,
                half_life_days=days,
                seed=seed,
                bootstrap=bootstrap,
                progress=say,
            )
        return score_validity(
            runner, events, split=split, half_life_days=days, seed=seed, bootstrap=bootstrap
        )


def _percentiles(store: Path) -> dict[str, dict[str, float]]:
    """Each scored person's broadcast, relational and naive (received events) percentile."""
    with Store(store, create=False, read_only=True) as s:
        rows = s.con.execute(
            """
            WITH got AS (
                SELECT target_key AS key, count(*) AS n FROM events
                WHERE target_key IS NOT NULL
                  AND (actor_key IS NULL OR actor_key <> target_key)
                GROUP BY 1
            )
            SELECT s.person, s.broadcast, s.relational,
                   100 * percent_rank() OVER (ORDER BY coalesce(g.n, 0)) AS naive
            FROM scores s LEFT JOIN got g ON g.key = s.key
            """
        ).fetchall()
    return {p: {"broadcast": b, "relational": r, "naive": n} for p, b, r, n in rows}


def _gaming(
    store: Path,
    work: Path,
    seed: int,
    days: float,
    sizes: dict[str, int],
    say: Say,
    engine: str,
    spark: SparkOptions,
) -> dict[str, Any]:

    from narrowcast.evaluate.gaming import ATTACKS, AttackSizes, inject
    from narrowcast.model import EVENTS, Chunk, Parsed
    from narrowcast.scoring import score

    engine_args = {
        "engine": engine,
        "spark_master": spark.master,
        "spark_conf": dict(spark.conf),
    }
    copy = work / f"gaming-{store.stem}.duckdb"
    shutil.copyfile(store, copy)
    with Store(copy, create=False, read_only=True) as s:
        cols = ", ".join(EVENTS.names)
        log = s.con.sql(f"SELECT {cols} FROM event_log").to_arrow_table()
    attack_sizes = AttackSizes(**sizes)
    attack = inject(log, sizes=attack_sizes, seed=seed)
    say("scoring before the attacks")
    score(copy, half_life=days, **engine_args)
    before = _percentiles(copy)
    batch = attack.events.cast(EVENTS)
    parsed = Parsed(
        format="attack",
        platform=str(log.column("platform")[0]) if log.num_rows else "attack",
        paths=[],
        chunks=[Chunk("events", b, Path("injected-attacks"), 0) for b in batch.to_batches()],
    )
    with Store(copy) as s:
        s.load(parsed)
    say("scoring after the attacks")
    score(copy, half_life=days, **engine_args)
    after = _percentiles(copy)
    out: dict[str, Any] = {
        "sizes": asdict(attack_sizes),
        "events_injected": attack.counts,
        "attacks": {},
    }
    for name in ATTACKS:
        people = attack.attackers.get(name, [])
        if not people:
            continue
        block: dict[str, Any] = {"accounts": people}
        for measure in ("broadcast", "relational", "naive"):
            b = [before.get(p, {}).get(measure) or 0.0 for p in people]
            a = [after.get(p, {}).get(measure) or 0.0 for p in people]
            block[measure] = {
                "before": round(sum(b) / len(b), 2),
                "after": round(sum(a) / len(a), 2),
                "gain": round((sum(a) - sum(b)) / len(a), 2),
            }
        block["below_median_relational"] = block["relational"]["after"] < 50
        out["attacks"][name] = block
    amp = out["attacks"].get("bot_amplification")
    if amp and amp["naive"]["gain"] > 0:
        out["amplification_gain_ratio"] = round(amp["broadcast"]["gain"] / amp["naive"]["gain"], 3)
    return out


# -- the report ----------------------------------------------------------------------------


def _f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def markdown(results: list[dict[str, Any]], command: str | None = None) -> str:
    """The results as Markdown tables, each dataset under its command line, date and machine."""
    lines: list[str] = []
    for r in results:
        lines += [f"## {r['dataset']}", ""]
        if command:
            lines += ["```", command, "```", ""]
        lines += [
            f"{r['events']:,} events ({r['source']}); {_when()}; {_machine()}; "
            f"narrowcast {__version__}; {r.get('seconds', '?')} s.",
            "",
        ]
        if "continuation" in r:
            c = r["continuation"]
            lines += [
                f"**Tie strength predicts continuation.** Split at {c['split']:.0%} of the "
                f"events ({c['split_at'][:10]}); {c['pairs']:,} pairs met before it. "
                f"Fitted weights learned on the past only (inner split at "
                f"{c['fit_split_at'][:10]}).",
                "",
            ]
            for label, title in (
                ("again", "interacts again"),
                ("mutual", "interacts again both ways"),
            ):
                b = c[label]
                lines += [
                    f"Label: *{title}* ({b['positives']:,} of {c['pairs']:,} pairs).",
                    "",
                    "| method | ROC AUC | 95% CI (people) | average precision | precision@5 |",
                    "|---|---|---|---|---|",
                ]
                for m, f in b["methods"].items():
                    ci = f.get("roc_auc_ci")
                    ci_s = f"{ci[0]:.3f}–{ci[1]:.3f}" if ci else "–"
                    lines.append(
                        f"| {m} | {_f(f['roc_auc'])} | {ci_s} | {_f(f['average_precision'])} "
                        f"| {_f(f['precision_at_5'])} |"
                    )
                lines.append("")
        if "scores" in r:
            s = r["scores"]
            lines += [
                f"**The two scores measure different things.** Spearman correlation over "
                f"{s['people']:,} people scored at the split ({s['split_at'][:10]}).",
                "",
                "| after the split | broadcast | relational | better |",
                "|---|---|---|---|",
            ]
            for target, title in (
                ("new_mutual_ties", "new mutual ties formed"),
                ("engagement_after", "engagement received"),
            ):
                b = s[target]
                lines.append(
                    f"| {title} | {_f(b['broadcast']['spearman'])} | "
                    f"{_f(b['relational']['spearman'])} | {b.get('better', '–')} |"
                )
            lines.append("")
        if "gaming" in r:
            g = r["gaming"]
            sizes = ", ".join(f"{k} {v}" for k, v in g["sizes"].items())
            lines += [
                f"**Gaming does not pay.** Attacks injected ({sizes}); each attacker's "
                "percentile before → after.",
                "",
                "| attack | broadcast | relational | naive received count |",
                "|---|---|---|---|",
            ]
            for name, a in g["attacks"].items():
                cells = [
                    f"{a[m]['before']:.0f} → {a[m]['after']:.0f}"
                    for m in ("broadcast", "relational", "naive")
                ]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            if "amplification_gain_ratio" in g:
                lines.append("")
                lines.append(
                    "Bot amplification: broadcast gain / naive gain = "
                    f"{g['amplification_gain_ratio']:.2f} (goal < 0.5)."
                )
            lines.append("")
    return "\n".join(lines)


def _when() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


_INTRO = """# Evaluation

Produced by `{command}`: nothing here is typed by hand. Each section is one real log from
`../shared/data` (see its `SOURCE.md`), with the command line, date and machine above its
tables. The checks are described in DESIGN.md ("Measuring that the measures are true"):

- *continuation*: ties measured before a time split; does the pair interact again after it?
  Candidates are only pairs that had met (historical negatives). Baselines: interaction
  count, recency, decayed count (EdgeBank-style).
- *scores*: does relational foresee new mutual ties better than broadcast, and broadcast
  foresee received engagement better than relational?
- *gaming*: attacks injected into the real log; an attacker's percentile before and after.
"""


def write_report(
    root: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    split: float = 0.7,
    seed: int = 0,
    bootstrap: int = 200,
    progress: Say | None = None,
    **engine: Any,
) -> Path:
    """Regenerate the evaluation report from every dataset folder under ``root``
    (``engine``: ``engine``, ``spark_master``, ``spark_conf`` as for :func:`evaluate`)."""
    root = Path(root)
    if not root.is_dir():
        raise NarrowcastError(f"no data folder at {root}")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    command = f"narrowcast eval all --report {out} --data-root {root} --seed {seed}"
    parts = [_INTRO.format(command=command)]
    for folder in folders:
        results = evaluate(
            "all",
            [str(folder)],
            split=split,
            seed=seed,
            bootstrap=bootstrap,
            progress=progress,
            **engine,
        )
        line = f"narrowcast eval all {folder} --split {split} --seed {seed} --format markdown"
        parts.append(markdown(results, command=line))
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
    return path
