"""How fast the dashboard opens on a large community, and how long the report takes.

    python benchmarks/faces_speed.py                      # 2.5M events: ~100k people
    python benchmarks/faces_speed.py --events 250000 --history 1

A synthetic community (``narrowcast.synthetic``, seed 0; about one person per 25 events) is
loaded into a fresh store and scored with ``--history`` months kept (so that the top lists
have rising people). Then, in a fresh process, the dashboard server runs on a free port and:

- *first page*: the requests a browser makes to open it — ``/``, ``app.js``, ``app.css``,
  ``/api/summary``, ``/api/map`` — one after another, the first time (cold) and the median
  of the next five;
- each other endpoint (top lists, a person's page, a tie's events, search), likewise;
- in Chromium (when ``/usr/bin/chromium`` and Playwright are there): from navigation to
  the map's points drawn, and to a person's page drawn;
- the report: writing it, and its size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

_BUILD = """
import json, sys, time
import narrowcast
t = time.perf_counter()
r = narrowcast.demo(events=int(sys.argv[2]), seed=0, db=sys.argv[1], score=False)
load = time.perf_counter() - t
t = time.perf_counter()
s = narrowcast.score(sys.argv[1], history_months=int(sys.argv[3]))
print(json.dumps({"events": r.events_added, "load_s": load, "score_s": time.perf_counter() - t,
                  "history": s.run["history"]}))
"""

_MEASURE = r"""
import json, statistics, sys, time, urllib.parse, urllib.request
from pathlib import Path
from narrowcast.faces import data, write_report
from narrowcast.faces.server import make_server, serve_in_thread

db = sys.argv[1]
out = {}
t = time.perf_counter()
srv = make_server(db, port=0, quiet=True)
out["server_start_s"] = time.perf_counter() - t
serve_in_thread(srv)
url = srv.url.rstrip("/")


def get(path):
    with urllib.request.urlopen(url + path, timeout=120) as r:
        return r.read()


def timed(paths, repeat=5):
    runs = []
    for _ in range(repeat + 1):
        t = time.perf_counter()
        size = sum(len(get(p)) for p in paths)
        runs.append(time.perf_counter() - t)
    return {"cold_s": runs[0], "warm_median_s": statistics.median(runs[1:]), "bytes": size}


summary = json.loads(get("/api/summary"))
out["people"] = summary["scored_people"]
first = ["/", "/static/app.js", "/static/app.css", "/api/summary", "/api/map"]
# The first page, cold: measured before anything else asks for the map.
out["first_page"] = timed(first)
mp = json.loads(get("/api/map"))
out["map_points"] = len(mp["points"]["rows"])
out["map_sampled"] = mp["sampled"]
top = json.loads(get("/api/top"))
who = top["connectors"][0]["person"]
handle = top["connectors"][0]["handle"] or who
page = json.loads(get("/api/person?id=" + urllib.parse.quote(who)))
other = page["circle"][0]["person"] if page["circle"] else who
q = urllib.parse.quote
out["endpoints"] = {
    "top": timed(["/api/top"]),
    "person": timed(["/api/person?id=" + q(who)]),
    "events": timed([f"/api/events?a={q(who)}&b={q(other)}"]),
    "search": timed(["/api/search?q=" + q(handle[:3])]),
    "map_active_30": timed(["/api/map?active=30"]),
}
try:
    from playwright.sync_api import sync_playwright
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        raise ImportError("no /usr/bin/chromium")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=args)
        browser = {"map": [], "person": []}
        for _ in range(3):
            pg = b.new_page(viewport={"width": 1200, "height": 900})
            t = time.perf_counter()
            pg.goto(srv.url)
            pg.wait_for_selector("svg.map circle.point")
            browser["map"].append(time.perf_counter() - t)
            t = time.perf_counter()
            pg.goto(srv.url + "#/person/" + q(who, safe=""))
            pg.wait_for_selector(".person h2")
            browser["person"].append(time.perf_counter() - t)
            pg.close()
        b.close()
    out["browser"] = {k: {"first_s": v[0], "median_s": statistics.median(v)}
                      for k, v in browser.items()}
except ImportError as err:
    out["browser"] = f"skipped: {err}"
srv.shutdown()
t = time.perf_counter()
report = write_report(Path(db).with_suffix(".html"), db=db, person=who)
out["report_s"] = time.perf_counter() - t
out["report_bytes"] = report.stat().st_size
report.unlink()
print(json.dumps(out))
"""


def _run(code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=2_500_000)
    ap.add_argument("--history", type=int, default=3, help="months of history to keep")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="narrowcast-bench-"))
    db = work / f"faces-{args.events}.duckdb"
    print(
        f"# narrowcast faces benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    if db.exists():
        db.unlink()
    built = _run(_BUILD, str(db), str(args.events), str(args.history))
    print(
        f"store     {built['events']:>12,} events  load {built['load_s']:.1f} s, score with "
        f"{len(built['history'])} months of history {built['score_s']:.1f} s"
    )
    m = _run(_MEASURE, str(db))
    print(f"people    {m['people']:>12,} scored; server ready in {m['server_start_s']:.2f} s")
    f = m["first_page"]
    print(
        f"first page (/, app.js, app.css, summary, map): cold {f['cold_s']:.2f} s, "
        f"warm {f['warm_median_s']:.2f} s, {f['bytes']:,} bytes; map draws "
        f"{m['map_points']:,} points (sampled: {m['map_sampled']})"
    )
    for name, e in m["endpoints"].items():
        print(
            f"  {name:<14} cold {e['cold_s']:.3f} s  warm {e['warm_median_s']:.3f} s  "
            f"{e['bytes']:>9,} bytes"
        )
    if isinstance(m["browser"], dict):
        for name, b in m["browser"].items():
            print(
                f"chromium  {name:<7} navigation to drawn: first {b['first_s']:.2f} s, "
                f"median of 3 {b['median_s']:.2f} s"
            )
    else:
        print(f"chromium  {m['browser']}")
    print(f"report    {m['report_s']:.1f} s, {m['report_bytes']:,} bytes (with one person)")
    db.unlink()
    if args.workdir is None:
        for p in work.iterdir():
            p.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
