"""DuckDB against Spark: the same measures on the same synthetic events, wall time and peak
memory, with Spark's time per stage (for estimating a cluster's).

    python benchmarks/engines_speed.py                          # 1M and 10M events
    python benchmarks/engines_speed.py --sizes 1000000 --spark-master 'local[2]'
    python benchmarks/engines_speed.py --store big.duckdb --engines spark   # a store made before
    python benchmarks/engines_speed.py --spark-conf spark.sql.shuffle.partitions=200

For each size, a synthetic community (``narrowcast.synthetic``, seed 0) is loaded into a
fresh store, then scored, each engine in its own process: ``narrowcast.score(db)`` and
``narrowcast.score(db, engine="spark")`` (the store's log exported as month-partitioned
Parquet, scored by Spark, the results loaded back). Peak memory is the largest
proportional set size (PSS) of the scoring process and its children (Spark's JVM is one),
sampled every 0.2 s.
With ``--store``, an existing store is scored instead (at 100M events its load alone takes
a quarter of an hour). CPU time is the user and system time of the scoring process and
every child it waited for, so a run on a shared machine still says how much work it was.
Spark's stages are timed from the runner's progress calls: each line is the time until that
step's result was materialised (PageRank steps summed per graph). Each step is also written
to standard error as it ends, beside the scoring process's own messages (Spark's log), so
that a run of hours shows where it is and, if it stops, why.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

_LOAD = """
import json, sys, time
import narrowcast
t = time.perf_counter()
r = narrowcast.demo(events=int(sys.argv[2]), seed=0, db=sys.argv[1], score=False)
print(json.dumps({"rows": r.events_added, "seconds": time.perf_counter() - t}))
"""

_SCORE = """
import json, re, sys, time
import narrowcast
engine, master, conf = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
stages, last = {}, [time.perf_counter()]
def progress(step):
    now = time.perf_counter()
    name = re.sub(r"_r[0-9]+$", "_pagerank_steps", step)
    stages[name] = stages.get(name, 0.0) + now - last[0]
    print(f"  [{engine} {now - t:8.1f} s] {step} ({now - last[0]:.1f} s)", file=sys.stderr,
          flush=True)
    last[0] = now
t = time.perf_counter()
options = {"spark_master": master, "spark_conf": conf} if engine == "spark" else {}
s = narrowcast.score(sys.argv[1], engine=engine, progress=progress, **options)
print(json.dumps({"events": s.run["events"], "seconds": time.perf_counter() - t,
                  "stages": stages}))
"""


def _tree_memory_mb(pid: int) -> float:
    """Memory of a process and all its descendants, in MB: the sum of their proportional
    set sizes (PSS), so that pages the processes share (PySpark's forked Python workers
    share most of theirs) count once, not once per process as a sum of RSS would."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(entry))
    total_kb, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total_kb += _pss_kb(p)
        todo.extend(children.get(p, []))
    return total_kb / 1024


def _pss_kb(pid: int) -> int:
    """A process's proportional set size in kB (its RSS where the kernel gives no PSS)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0


def _run(code: str, *args: str) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_memory_mb(proc.pid))
            time.sleep(0.2)

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed (exit {proc.returncode}); its messages are above")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = peak[0]
    result["cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", nargs="+", type=int, default=[1_000_000, 10_000_000])
    ap.add_argument("--spark-master", default="local[*]")
    ap.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Spark configuration for the Spark runs (repeatable)",
    )
    ap.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--store", type=Path, default=None, help="score this store; skip loading")
    args = ap.parse_args()
    conf = {}
    for item in args.spark_conf:
        key, sep, value = item.partition("=")
        if not sep or not key:
            ap.error(f"--spark-conf {item!r}: expected KEY=VALUE")
        conf[key] = value
    print(
        f"# narrowcast engines benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Spark master {args.spark_master}" + "".join(f", {k}={v}" for k, v in conf.items()),
        flush=True,
    )
    if args.store is not None:
        if not args.store.exists():
            raise SystemExit(f"{args.store}: no such store")
        _score(args.store, args.engines, args.spark_master, conf)
        return
    with tempfile.TemporaryDirectory(prefix="narrowcast-bench-", dir=args.workdir) as tmp:
        for size in args.sizes:
            db = Path(tmp) / f"synthetic-{size}.duckdb"
            _compare(db, size, args.engines, args.spark_master, conf)


def _compare(db: Path, size: int, engines: list[str], master: str, conf: dict[str, str]) -> None:
    load = _run(_LOAD, str(db), str(size))
    print(f"load    {load['rows']:>12,} events  {load['seconds']:8.1f} s", flush=True)
    _score(db, engines, master, conf)
    db.unlink()


def _score(db: Path, engines: list[str], master: str, conf: dict[str, str]) -> None:
    for engine in engines:
        sc = _run(_SCORE, str(db), engine, master, json.dumps(conf))
        print(
            f"{engine:7s} {sc['events']:>12,} events  {sc['seconds']:8.1f} s  "
            f"peak {sc['peak_mb']:8,.0f} MB  cpu {sc['cpu_seconds']:8.1f} s",
            flush=True,
        )
        if engine == "spark":
            for stage, seconds in sorted(sc["stages"].items(), key=lambda kv: -kv[1]):
                print(f"          {stage:32s} {seconds:8.1f} s", flush=True)
            rest = sc["seconds"] - sum(sc["stages"].values())
            print(f"          {'loading the results back':32s} {rest:8.1f} s", flush=True)


if __name__ == "__main__":
    main()
