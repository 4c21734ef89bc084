"""The faces' commands as a user meets them: 'report', 'serve' and 'score --history'."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from narrowcast.cli import main
from tests.faces._community import HOSTILE


def _invoke(db: Path, *args: str):
    return CliRunner().invoke(main, list(args), env={"NARROWCAST_DB": str(db)})


def test_report_writes_one_file_and_says_so(community: Path, tmp_path: Path):
    out = tmp_path / "report.html"
    result = _invoke(community, "report", "--out", str(out), "--person", "julie")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"wrote {re.escape(str(out))} \([\d,]+ bytes\)\n", result.stderr)
    html = out.read_text()
    assert "julie" in html and HOSTILE not in html


def test_report_on_an_unknown_person_is_one_line(community: Path, tmp_path: Path):
    result = _invoke(community, "report", "--out", str(tmp_path / "r.html"), "--person", "nobody")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no person 'nobody' in the store")
    assert "Traceback" not in result.output


def test_serve_on_a_store_without_scores_is_one_line(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    (tmp_path / "m.txt").write_text("1 2 1082040961\n")
    assert (
        _invoke(db, "import", "snap", "--kind", "message", str(tmp_path / "m.txt")).exit_code == 0
    )
    result = _invoke(db, "serve", "--port", "0")
    assert result.exit_code == 2
    assert result.stderr == "Error: the store has no scores yet; run 'narrowcast score' first\n"


def test_serve_on_a_port_in_use_is_one_line(community: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _invoke(community, "serve", "--port", str(port))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}")
    assert "choose another --port" in result.stderr


def test_serve_prints_its_url_and_answers_there(community: Path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from narrowcast.cli import main; main()",
            "serve",
            "--port",
            "0",
            "--db",
            str(community),
            "-q",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+/)$", line.strip())
        assert url, line
        with urllib.request.urlopen(url.group(1) + "api/summary", timeout=10) as r:
            assert json.load(r)["scored_people"] == 6
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_score_history_keeps_the_months_it_names(tmp_path: Path, community: Path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(community.read_bytes())
    result = _invoke(copy, "score", "--history", "1", "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["history"] == ["2024-02"]
