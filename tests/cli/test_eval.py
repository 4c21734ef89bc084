"""``narrowcast eval`` as a user runs it (issue 5, section 4): each check's JSON names,
Markdown tables, DATA as a store or FORMAT:PATH, the report over a folder of datasets, and a
missing store reported in one line.

Stores are small: the seeded demo community at 5,000 events, and a SNAP edge list of about
1,800 messages in a ring of twelve people (each writes steadily to the two nearest on either
side and briefly, early on, to the next three), so that some ties continue after any split
and others do not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import narrowcast
from narrowcast.cli import main

#: Small attacks, so that the gaming check runs in a second or two.
SMALL_ATTACKS = ("--spray-targets", "20", "--ring-size", "3", "--bots", "5", "--puppet-turns", "10")
METHODS = ["strength", "fitted", "count", "recency", "decayed_count"]
METRICS = ("roc_auc", "average_precision", "precision_at_5")
ATTACKS = ["spray_liker", "like_ring", "bot_amplification", "sock_puppets"]


def _invoke(*args: str, db: Path | None = None):
    env = {"NARROWCAST_DB": str(db)} if db is not None else {}
    return CliRunner().invoke(main, list(args), env=env)


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("eval") / "demo.duckdb"
    narrowcast.demo(events=5_000, db=db, score=False)
    return db


def _edge_list(path: Path) -> Path:
    """SNAP lines ``SRC DST UNIXTS``: the ring described above, over 100 days."""
    t0, day = 1_700_000_000, 86_400
    lines = []
    for n, (a, d) in enumerate((a, d) for a in range(12) for d in (1, 2)):
        b = (a + d) % 12
        for k in range(34):
            t = t0 + (3 * k) * day + n * 60
            lines += [f"{a} {b} {t}", f"{b} {a} {t + day // 2}"]
    for n, (a, d) in enumerate((a, d) for a in range(12) for d in (3, 4, 5)):
        b = (a + d) % 12
        for k in range(4):
            src, dst = (a, b) if k % 2 == 0 else (b, a)
            lines.append(f"{src} {dst} {t0 + (2 + 3 * k) * day + n * 60}")
    path.write_text("\n".join(sorted(lines, key=lambda s: int(s.split()[2]))) + "\n")
    return path


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of datasets holding one: ``college/CollegeMsg.txt``."""
    root = tmp_path_factory.mktemp("data")
    (root / "college").mkdir()
    _edge_list(root / "college" / "CollegeMsg.txt")
    return root


@pytest.fixture(scope="module")
def continuation(demo: Path) -> dict:
    return _json(_invoke("eval", "continuation", "--format", "json", "--bootstrap", "0", db=demo))


def test_continuation_json_names_every_method_and_metric(continuation):
    """With no DATA the store of $NARROWCAST_DB; one dataset prints one object."""
    assert continuation["dataset"] == "demo"
    assert continuation["events"] == 5_000
    c = continuation["continuation"]
    assert c["split"] == 0.7
    assert c["fit_split_at"] < c["split_at"]
    for label in ("again", "mutual"):
        assert list(c[label]["methods"]) == METHODS
        for figures in c[label]["methods"].values():
            assert set(METRICS) <= set(figures)
            assert 0 <= figures["roc_auc"] <= 1
            # --bootstrap 0: no intervals.
            assert "roc_auc_ci" not in figures


def test_gaming_json_names_every_attack_before_and_after(demo):
    out = _json(_invoke("eval", "gaming", "--format", "json", *SMALL_ATTACKS, db=demo))
    g = out["gaming"]
    assert g["sizes"]["spray_targets"] == 20
    assert g["sizes"]["ring_size"] == 3
    assert g["events_injected"]["spray_liker"] == 20
    assert list(g["attacks"]) == ATTACKS
    for attack in g["attacks"].values():
        for measure in ("broadcast", "relational", "naive"):
            assert set(attack[measure]) >= {"before", "after"}
            assert 0 <= attack[measure]["after"] <= 100
    assert len(g["attacks"]["like_ring"]["accounts"]) == 3


def test_scores_json(demo):
    out = _json(_invoke("eval", "scores", "--format", "json", "--bootstrap", "0", db=demo))
    s = out["scores"]
    assert s["people"] > 0
    for target in ("new_mutual_ties", "engagement_after"):
        assert set(s[target]) >= {"broadcast", "relational"}
        assert s[target]["better"] in ("broadcast", "relational")


def test_markdown_prints_tables(demo):
    result = _invoke(
        "eval", "all", "--format", "markdown", "--bootstrap", "0", *SMALL_ATTACKS, db=demo
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("## demo\n")
    assert "| method | ROC AUC | 95% CI (people) | average precision | precision@5 |" in out
    assert "| after the split | broadcast | relational | better |" in out
    assert "| attack | broadcast | relational | naive received count |" in out
    for name in (*METHODS, *ATTACKS):
        assert re.search(rf"^\| {name} \|", out, re.M), name
    # Progress goes to stderr, never into the tables.
    assert "..." not in out


def test_data_given_as_format_and_path(demo, tmp_path):
    """``snap:PATH`` is imported into a scratch store and evaluated; a file named like
    CollegeMsg is read as messages. With two DATA the JSON is a list, one result each, and
    --db is not used."""
    path = _edge_list(tmp_path / "CollegeMsg.txt")
    result = _invoke(
        "eval",
        "continuation",
        str(demo),
        f"snap:{path}",
        "--format",
        "json",
        "--bootstrap",
        "0",
        "-q",
        db=tmp_path / "absent.duckdb",
    )
    out = _json(result)
    assert [r["dataset"] for r in out] == ["demo", "CollegeMsg"]
    snap = out[1]
    assert snap["source"].startswith("snap --kind message")
    assert snap["events"] == 24 * 68 + 36 * 4
    assert snap["continuation"]["pairs"] == 60
    assert snap["continuation"]["again"]["methods"]["strength"]["roc_auc"] == 1.0
    assert not (tmp_path / "absent.duckdb").exists()
    assert result.stderr == ""


@pytest.mark.parametrize("where", ["--db", "DATA"])
def test_a_missing_store_is_one_line_and_exit_2(tmp_path, where):
    missing = tmp_path / "nowhere.duckdb"
    args = ["eval", "continuation", "--format", "json"]
    args += ["--db", str(missing)] if where == "--db" else [str(missing)]
    result = _invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert str(missing) in lines[0]
    assert not missing.exists()


def test_report_over_a_data_root(data_root, tmp_path):
    """``--report OUT --data-root DIR`` writes Markdown naming each dataset folder, the
    command line that regenerates it, the date and the machine."""
    out = tmp_path / "docs" / "EVALUATION.md"
    result = _invoke(
        "eval", "all", "--report", str(out), "--data-root", str(data_root), "--bootstrap", "0"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {out}" in result.stderr
    text = out.read_text()
    assert text.startswith("# Evaluation\n")
    assert f"narrowcast eval all --report {out} --data-root {data_root}" in text
    assert "## college" in text
    assert f"narrowcast eval all {data_root / 'college'} --split 0.7" in text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    assert re.search(r"\d+ cores, Python \d", text)
    assert "| method | ROC AUC |" in text
    assert "| attack | broadcast | relational | naive received count |" in text
