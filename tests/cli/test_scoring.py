"""The scoring commands as a user meets them: score, top, show, circle, suggest, with
--format table, json and csv, the errors a user makes, and what stays private."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrowcast.cli import main
from narrowcast.scoring import COMPONENTS
from narrowcast.store import Store
from tests.measures._logs import table, write_csv

#: julie and bob talk (a reply each way) and bob likes julie's post; bob and carmen talk the
#: same way and carmen shares bob's post; julie has never met carmen. edgar likes julie's
#: post. julie and dmitri exchange private messages only; so do julie and felix, who talks
#: with bob in public.
LOG = """
day  actor   kind     target  content  parent
0    julie   post     -       j1       -
1    bob     reply    julie   b1       j1
1.5  julie   reply    bob     j2       b1
2    bob     like     julie   -        j1
3    bob     post     -       b2       -
4    carmen  reply    bob     c1       b2
4.5  bob     reply    carmen  b3       c1
5    carmen  share    bob     -        b2
6    julie   message  dmitri  -        -
7    dmitri  message  julie   -        -
8    edgar   like     julie   -        j1
9    felix   reply    bob     f1       b2
9.5  bob     reply    felix   b4       f1
10   julie   message  felix   -        -
11   felix   message  julie   -        -
"""
EVENTS = 15


def _invoke(db: Path, *args: str):
    return CliRunner().invoke(main, list(args), env={"NARROWCAST_DB": str(db)})


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory):
    """A store with LOG imported and scored by the CLI; the result of ``score``."""
    folder = tmp_path_factory.mktemp("cli")
    db = folder / "store.duckdb"
    path = write_csv(folder / "log.csv", table(LOG))
    assert _invoke(db, "import", "csv", str(path)).exit_code == 0
    result = _invoke(db, "score", "--format", "json")
    return db, result


@pytest.fixture(scope="module")
def run(scored):
    db, _ = scored

    def invoke(*args: str):
        return _invoke(db, *args)

    return invoke


def _json(result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_score_reports_the_run_it_kept(scored):
    """``score --format json`` prints the run's parameters: as of the last event (day 11),
    the default half-life of 90 days and the default weights, over all the events."""
    _, result = scored
    run = _json(result)
    assert run["as_of"] == "2024-01-12T00:00:00+00:00"
    assert run["half_life_days"] == 90
    assert run["weights"] == "default"
    assert run["events"] == EVENTS
    assert run["engine"] == "duckdb"


def test_score_as_a_table_names_moment_and_parameters(tmp_path):
    db = tmp_path / "s.duckdb"
    _invoke(db, "import", "csv", str(write_csv(tmp_path / "log.csv", table(LOG))))
    result = _invoke(db, "score", "--as-of", "2024-01-06", "--half-life", "2w")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("Scored 8 events as of 2024-01-06T23:59:59.999999+00:00")
    assert "(half-life 14 days, default weights, duckdb)" in first
    assert "Top 10 by broadcast:" in result.stdout and "Top 10 by relational:" in result.stdout


def test_scoring_memory_is_set_by_environment_and_checked(tmp_path):
    """NARROWCAST_SCORING_MEMORY_MB sets DuckDB's memory while scoring: a small figure
    still scores this log (the rest goes to disk); a figure that is not a positive whole
    number is refused with exit code 2, naming the variable, and nothing is scored."""
    db = tmp_path / "s.duckdb"
    _invoke(db, "import", "csv", str(write_csv(tmp_path / "log.csv", table(LOG))))

    def score(mb: str):
        env = {"NARROWCAST_DB": str(db), "NARROWCAST_SCORING_MEMORY_MB": mb}
        return CliRunner().invoke(main, ["score", "--format", "json"], env=env)

    for bad in ("lots", "0", "-5"):
        refused = score(bad)
        assert refused.exit_code == 2
        assert "NARROWCAST_SCORING_MEMORY_MB must be a whole number above 0" in refused.output
    assert _invoke(db, "top").exit_code != 0  # not scored
    assert _json(score("200"))["events"] == EVENTS


def test_top_as_json_lists_people_with_both_scores(run):
    rows = _json(run("top", "--format", "json"))
    assert len(rows) == 6
    for r in rows:
        assert {"person", "handle", "broadcast", "relational"} <= set(r)
        assert 0 <= r["broadcast"] <= 100 and 0 <= r["relational"] <= 100
        assert r["person"] == f"csv:{r['handle']}"
    assert [r["relational"] for r in rows] == sorted((r["relational"] for r in rows), reverse=True)


def test_top_by_a_component_gives_its_score_raw_and_why(run):
    rows = _json(run("top", "--by", "reach", "-n", "2", "--format", "json"))
    assert len(rows) == 2
    assert {"reach", "reach_raw", "why"} <= set(rows[0])
    assert rows[0]["reach"] >= rows[1]["reach"]


def test_show_as_json_has_scores_components_and_explanation(run):
    data = _json(run("show", "julie", "--format", "json"))
    assert {"person", "broadcast", "relational", "components", "explanation"} <= set(data)
    assert data["person"] == "csv:julie"
    assert set(data["components"]) == set(COMPONENTS)
    for c in data["components"].values():
        assert {"score", "raw", "family", "explanation"} <= set(c)
        assert c["family"] in ("broadcast", "relational")
    assert data["explanation"].startswith(f"Broadcast {data['broadcast']:.0f}/100: ")


def test_circle_as_json_lists_the_ties_that_matter_most(run):
    """julie's circle by value to her: bob (a reply, a like, a turn, mutual) before edgar
    (one like, not mutual); dmitri and felix are private-only and left out."""
    rows = _json(run("circle", "julie", "-n", "2", "--format", "json"))
    assert [r["handle"] for r in rows] == ["bob", "edgar"]
    for r in rows:
        assert {"person", "handle", "strength", "value_to_me", "reasons"} <= set(r)
        assert set(r["reasons"]) == {"support", "feedback", "amplification", "conversation"}
    assert rows[0]["value_to_me"] > rows[1]["value_to_me"] > 0


def test_circle_shows_private_only_ties_only_when_asked(run):
    default = {r["handle"] for r in _json(run("circle", "julie", "--format", "json"))}
    asked = _json(run("circle", "julie", "--include-private", "--format", "json"))
    assert default == {"bob", "edgar"}
    assert {r["handle"] for r in asked} == {"bob", "edgar", "dmitri", "felix"}


def test_csv_output_parses_with_the_csv_module(run):
    result = run("top", "-n", "3", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3
    assert {"person", "handle", "broadcast", "relational", "why"} <= set(rows[0])
    assert all(0 <= float(r["relational"]) <= 100 for r in rows)

    rows = list(csv.DictReader(io.StringIO(run("circle", "julie", "--format", "csv").stdout)))
    assert [r["handle"] for r in rows] == ["bob", "edgar"]
    assert {"reasons.support", "reasons.feedback", "value_to_me"} <= set(rows[0])


def test_the_table_format_is_aligned_text(run):
    out = run("top", "-n", "2").stdout.splitlines()
    assert out[0].split()[:3] == ["handle", "broadcast", "relational"]
    assert len(out) == 3


def test_an_unknown_person_names_the_closest_handles(run):
    result = run("show", "julia")
    assert result.exit_code == 2
    assert result.stderr == "Error: no person 'julia' in the store; closest handles: julie\n"


def test_an_unknown_person_without_a_near_handle(run):
    result = run("circle", "nobody-by-this-name")
    assert result.exit_code == 2
    assert result.stderr == "Error: no person 'nobody-by-this-name' in the store\n"


def test_top_before_score_says_to_run_score(tmp_path):
    db = tmp_path / "s.duckdb"
    _invoke(db, "import", "csv", str(write_csv(tmp_path / "log.csv", table(LOG))))
    result = _invoke(db, "top")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "run 'narrowcast score' first" in result.stderr


def test_suggest_names_someone_not_yet_met(run):
    """julie's circle holds bob, who values carmen (she replies and shares): carmen is
    suggested, valued by bob, and julie never interacted with her."""
    rows = _json(run("suggest", "julie", "--format", "json"))
    assert rows[0]["handle"] == "carmen"
    assert [v["handle"] for v in rows[0]["valued_by"]] == ["bob"]
    assert rows[0]["score"] > 0
    assert not {r["handle"] for r in rows} & {"julie", "bob", "edgar"}


def test_suggest_leaves_out_people_met_in_private(run):
    """The docstring: "people p has interacted with are left out". julie and felix exchange
    private messages; felix also talks with bob in public, so bob's value makes him a
    candidate, but julie has met him."""
    rows = _json(run("suggest", "julie", "--format", "json"))
    assert "felix" not in {r["handle"] for r in rows}


def test_top_does_not_count_private_messages_in_its_reasons(run):
    """Community views never show private-channel figures (DESIGN.md, Privacy). dmitri was
    addressed only by a private message: a top list must not say how many."""
    rows = _json(run("top", "--by", "listening", "--format", "json"))
    why = next(r["why"] for r in rows if r["handle"] == "dmitri")
    assert not re.search(r"of the \d+ replies, mentions and messages", why), why


def test_the_listening_sentence_gives_the_share_answered_in_public(run):
    """Addressed to julie: bob's reply (answered the same day), dmitri's and felix's
    private messages. Sentences are shown in community views, so they count the public
    conversation only: 1 of 1, 100% (not the shrunk listening figure, 1/3)."""
    sentence = _json(run("show", "julie", "--format", "json"))["components"]["listening"]
    assert sentence["explanation"].startswith("answers 100% of the 1 public ")


def test_the_time_reported_and_kept_includes_storing_the_result(scored):
    """What ``score`` says it took is what is kept with the stored run's parameters."""
    db, result = scored
    said = _json(result)["seconds"]
    with Store(db, read_only=True) as store:
        assert store.score_run()["seconds"] == said > 0
