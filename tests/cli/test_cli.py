"""The command line as a user meets it: commands, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrowcast.cli import main
from tests.conftest import FIXTURES

MESSAGES = FIXTURES / "snap" / "messages.txt"


@pytest.fixture
def run(tmp_path: Path):
    runner = CliRunner()
    db = tmp_path / "cli.duckdb"

    def invoke(*args: str):
        return runner.invoke(
            main, list(args), env={"NARROWCAST_DB": str(db)}, catch_exceptions=False
        )

    return invoke


def test_help_lists_the_commands(run):
    out = run("--help").output
    for command in ("import", "info", "demo"):
        assert f"  {command} " in out


def test_import_then_info_as_json(run):
    result = run("import", "snap", "--kind", "message", str(MESSAGES))
    assert result.exit_code == 0
    assert "4 events added, 0 already present" in result.stderr
    facts = json.loads(run("info", "--format", "json").stdout)
    assert {k: facts[k] for k in ("events", "people", "kinds", "platforms")} == {
        "events": 4,
        "people": 3,
        "kinds": {"message": 4},
        "platforms": {"snap": 4},
    }
    assert facts["first_ts"] == "2004-04-15T14:56:01+00:00"
    assert facts["last_ts"] == "2004-04-15T15:13:20+00:00"


def test_info_as_a_table(run):
    run("import", "snap", "--kind", "message", str(MESSAGES))
    out = run("info").stdout
    assert "events     4" in out
    assert "message" in out


def test_a_bad_input_is_one_line_on_stderr_and_exit_2(run, tmp_path: Path):
    missing = tmp_path / "missing.csv"
    missing.write_text("actor,ts\nalice,yesterday\n")
    result = run("import", "csv", str(missing))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {missing}: missing column kind;")


def test_info_without_a_store_says_how_to_make_one(run):
    result = run("info")
    assert result.exit_code == 2
    assert "no store at" in result.stderr and "narrowcast import" in result.stderr


def test_snap_options_are_refused_for_other_formats(run, tmp_path: Path):
    f = tmp_path / "x.csv"
    f.write_text("ts,actor,kind\n1,a,post\n")
    result = run("import", "csv", "--kind", "message", str(f))
    assert result.exit_code == 2
    assert "--kind is for the snap format only" in result.output


def test_type_map_must_be_type_equals_kind(run):
    result = run("import", "snap", "--type-map", "RT", str(MESSAGES))
    assert result.exit_code == 2
    assert "'RT' is not TYPE=KIND" in result.output
