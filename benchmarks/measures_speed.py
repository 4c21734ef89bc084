"""Scoring speed and peak memory: all measures end to end, against networkx's PageRank alone.

    python benchmarks/measures_speed.py                    # 1M and 10M events
    python benchmarks/measures_speed.py --sizes 1000000 10000000 100000000

For each size, a synthetic community (``narrowcast.synthetic``, seed 0) is loaded into a
fresh store, then, each in its own process so that peak memory (max RSS) is its own:

- ``narrowcast.score`` — every measure (ties, broadcast, relational, both PageRanks,
  percentiles) and writing the result to the store;
- networkx (up to --networkx-max events): building the directed weighted graph of the same
  person-to-person events and running ``networkx.pagerank`` on it, nothing else.

The ratio networkx / narrowcast is printed (goal at 1M: > 1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

_LOAD = """
import json, resource, sys, time
import narrowcast
t = time.perf_counter()
r = narrowcast.demo(events=int(sys.argv[2]), seed=0, db=sys.argv[1], score=False)
print(json.dumps({"rows": r.events_added, "seconds": time.perf_counter() - t,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_SCORE = """
import json, resource, sys, time
import narrowcast
t = time.perf_counter()
s = narrowcast.score(sys.argv[1])
print(json.dumps({"events": s.run["events"], "seconds": time.perf_counter() - t,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_NETWORKX = """
import json, resource, sys, time
import duckdb, networkx as nx
con = duckdb.connect(sys.argv[1], read_only=True)
edges = con.execute(
    "SELECT actor_key, target_key, count(*) FROM events WHERE actor_key IS NOT NULL "
    "AND target_key IS NOT NULL AND actor_key <> target_key GROUP BY ALL"
).fetchall()
con.close()
t = time.perf_counter()
g = nx.DiGraph()
g.add_weighted_edges_from(edges)
pr = nx.pagerank(g, weight="weight")
print(json.dumps({"nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
                  "seconds": time.perf_counter() - t,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", nargs="+", type=int, default=[1_000_000, 10_000_000])
    ap.add_argument("--networkx-max", type=int, default=10_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="narrowcast-bench-"))
    print(
        f"# narrowcast scoring benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for size in args.sizes:
        db = work / f"synthetic-{size}.duckdb"
        if db.exists():
            db.unlink()
        t = time.perf_counter()
        load = _run(_LOAD, str(db), str(size))
        print(
            f"load      {load['rows']:>12,} events  {load['seconds']:7.1f} s  "
            f"peak {load['max_rss_mb']:7,.0f} MB   (demo import, {time.perf_counter() - t:.0f} s)"
        )
        sc = _run(_SCORE, str(db))
        print(
            f"score     {sc['events']:>12,} events  {sc['seconds']:7.1f} s  "
            f"peak {sc['max_rss_mb']:7,.0f} MB   (every measure, result stored)"
        )
        if size <= args.networkx_max:
            nx = _run(_NETWORKX, str(db))
            print(
                f"networkx  {nx['edges']:>12,} edges   {nx['seconds']:7.1f} s  "
                f"peak {nx['max_rss_mb']:7,.0f} MB   (graph build + pagerank only)"
            )
            print(f"ratio     networkx / narrowcast = {nx['seconds'] / sc['seconds']:.2f}")
        db.unlink()
    if args.workdir is None:
        for f in work.iterdir():
            f.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
