"""Import speed and peak memory: prints one line per measurement, for benchmarks/RESULTS.md.

    python benchmarks/import_speed.py                # everything (several minutes)
    python benchmarks/import_speed.py --only snap parquet --snap-rows 2000000

Each import runs in a fresh process (``narrowcast import``, as a user runs it) so that its
peak memory (max RSS) is its own. Measured:

- snap: a generated edge list of --snap-rows lines ``SRC DST UNIXTS`` (goal >= 1M rows/s);
- parquet: the same events exported as a Parquet event log, imported again (goal >= 2M rows/s);
- stackexchange-100x: ../shared/data/se-beer made --scale times larger by repetition with
  fresh ids (goal >= 100k rows/s, peak memory < 1 GB whatever the size);
- mbox-100x: ../shared/data/r-package-devel likewise (goal >= 100k rows/s, < 1 GB);
- each real dataset in ../shared/data: rows, seconds, peak memory.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Run inside the child: import, then report rows and own peak RSS as JSON on the last line.
_CHILD = """
import json, resource, sys, time
import narrowcast
fmt, db, paths, opts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
t = time.perf_counter()
r = narrowcast.import_files(fmt, paths, db=db, **opts)
s = time.perf_counter() - t
print(json.dumps({"rows": r.events_read, "added": r.events_added, "seconds": s,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(name: str, fmt: str, paths: list[Path], db: Path, **opts: object) -> dict:
    os.sync()  # the inputs just written reach the disk now, not while the import is timed
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            fmt,
            str(db),
            json.dumps([str(p) for p in paths]),
            json.dumps(opts),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    fig = json.loads(out.stdout.strip().splitlines()[-1])
    fig["rows_per_s"] = fig["rows"] / fig["seconds"]
    print(
        f"{name:<28} {fig['rows']:>12,} rows {fig['seconds']:>8.1f} s "
        f"{fig['rows_per_s']:>12,.0f} rows/s   peak {fig['max_rss_mb']:>7,.0f} MB",
        flush=True,
    )
    return fig


def snap_file(path: Path, rows: int) -> Path:
    rng = random.Random(7)
    people = max(rows // 30, 100)
    with open(path, "w") as f:
        for start in range(0, rows, 100_000):
            f.write(
                "".join(
                    f"{rng.randrange(people)} {rng.randrange(people)} {1_500_000_000 + i}\n"
                    for i in range(start, min(start + 100_000, rows))
                )
            )
    return path


def parquet_of(store: Path, out: Path) -> Path:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    con.execute(
        "COPY (SELECT ts, platform, actor, kind, target, visibility, quantity FROM event_log) "
        f"TO '{out}' (FORMAT parquet)"
    ).fetchall()
    con.close()
    return out


_SE_IDS = {
    "Posts.xml": ("Id", "ParentId", "AcceptedAnswerId", "OwnerUserId", "LastEditorUserId"),
    "Comments.xml": ("Id", "PostId", "UserId"),
    "Votes.xml": ("Id", "PostId", "UserId"),
    "PostHistory.xml": ("Id", "PostId", "UserId"),
    "Users.xml": ("Id", "AccountId"),
}


def stackexchange_scaled(src: Path, out: Path, scale: int) -> Path:
    """The dump ``scale`` times over; copy k adds k * 10**7 to every id (users included).

    Each copy is the original's lines with only the ids rewritten, so the copies are
    written exactly as Stack Exchange writes its dumps (escapes, quoting, one row a line).
    """
    out.mkdir(parents=True, exist_ok=True)
    for name, id_attrs in _SE_IDS.items():
        if not (src / name).exists():
            continue
        text = (src / name).read_bytes().decode("utf-8-sig")
        lines = [x + "\n" for x in text.split("\n") if x]  # only LF ends a line
        head = [x for x in lines if not x.lstrip().startswith(("<row ", "</"))]
        rows = [x for x in lines if x.lstrip().startswith("<row ")]
        tail = [x for x in lines if x.lstrip().startswith("</")]
        ids = re.compile(r" (" + "|".join(id_attrs) + r')="(\d+)"')
        guid = re.compile(r' RevisionGUID="([^"]*)"')
        with open(out / name, "w", encoding="utf-8") as f:
            f.writelines(head)
            for k in range(scale):
                shift = k * 10**7

                def shifted(m: re.Match[str], shift: int = shift) -> str:
                    return f' {m.group(1)}="{int(m.group(2)) + shift}"'

                def copied(m: re.Match[str], k: int = k) -> str:
                    return f' RevisionGUID="{m.group(1)}-{k}"'

                for row in rows:
                    f.write(guid.sub(copied, ids.sub(shifted, row)))
            f.writelines(tail)
    return out


_MSGID = re.compile(r"<([^<>@\s]+@[^<>\s]+)>")


def mbox_scaled(src: Path, out: Path, scale: int) -> list[Path]:
    """The archive ``scale`` times over; copy k rewrites every <id@host> as <id.k@host>."""
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(src.glob("*.txt.gz"))
    texts = [gzip.decompress(f.read_bytes()).decode("utf-8") for f in files]
    paths = []
    for k in range(scale):
        path = out / f"copy{k:03d}.txt"
        with open(path, "w", encoding="utf-8") as f:
            for text in texts:
                f.write(
                    _MSGID.sub(lambda m, k=k: f"<{m.group(1).replace('@', f'.{k}@', 1)}>", text)
                )
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", nargs="*", default=None, help="snap parquet stackexchange mbox real")
    ap.add_argument("--snap-rows", type=int, default=6_000_000)
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    want = set(args.only or ["snap", "parquet", "stackexchange", "mbox", "real"])
    work = Path(args.workdir or tempfile.mkdtemp(prefix="narrowcast-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"# narrowcast import benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    try:
        if want & {"snap", "parquet"}:
            edges = snap_file(work / "edges.txt", args.snap_rows)
            measure("snap", "snap", [edges], work / "snap.duckdb", kind="reply")
            if "parquet" in want:
                pq_path = parquet_of(work / "snap.duckdb", work / "events.parquet")
                measure("parquet", "parquet", [pq_path], work / "parquet.duckdb", platform="p")
        if "stackexchange" in want and (DATA / "se-beer").exists():
            t = time.perf_counter()
            dump = stackexchange_scaled(DATA / "se-beer", work / "se", args.scale)
            print(f"(built the {args.scale}x dump in {time.perf_counter() - t:.0f} s)")
            measure(f"stackexchange-{args.scale}x", "stackexchange", [dump], work / "se.duckdb")
            shutil.rmtree(dump)
        if "mbox" in want and (DATA / "r-package-devel").exists():
            t = time.perf_counter()
            files = mbox_scaled(DATA / "r-package-devel", work / "mbox", args.scale)
            print(f"(built the {args.scale}x archive in {time.perf_counter() - t:.0f} s)")
            measure(f"mbox-{args.scale}x", "mbox", files, work / "mbox.duckdb")
            shutil.rmtree(work / "mbox")
        if "real" in want:
            if not DATA.exists():
                print(f"(no real data at {DATA}: skipped)")
            else:
                real = [
                    (
                        "collegemsg",
                        "snap",
                        sorted((DATA / "collegemsg").glob("CollegeMsg.txt*")),
                        {"kind": "message"},
                    ),
                    (
                        "email-eu-core",
                        "snap",
                        sorted((DATA / "email-eu-core").glob("*.txt*")),
                        {"kind": "message"},
                    ),
                    (
                        "sx-mathoverflow",
                        "snap",
                        sorted((DATA / "sx-mathoverflow").glob("*.txt")),
                        {"kind": "reply"},
                    ),
                    ("se-beer", "stackexchange", [DATA / "se-beer"], {}),
                    (
                        "r-package-devel",
                        "mbox",
                        sorted((DATA / "r-package-devel").glob("*.txt.gz")),
                        {},
                    ),
                ]
                for name, fmt, paths, opts in real:
                    if paths and all(p.exists() for p in paths):
                        measure(name, fmt, paths, work / f"{name}.duckdb", platform=name, **opts)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
