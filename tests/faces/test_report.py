"""The report file itself: self-contained, escaped, its policy naming exactly its own inline
script and style, and the data each part needs."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from narrowcast.errors import NarrowcastError
from narrowcast.faces import write_report
from narrowcast.faces.report import evaluation_blocks
from narrowcast.scoring import PersonNotFound
from narrowcast.store import Store
from tests.faces._community import HOSTILE, PEOPLE


def _payload(html: str) -> dict:
    m = re.search(
        r'<script type="application/json" id="narrowcast-data">(.*?)</script>', html, re.S
    )
    assert m
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def report(community: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(out, db=community).read_text()


def test_the_report_loads_nothing_from_anywhere(report: str):
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", report, re.I)
    # The only address in it is the SVG namespace, a name that is never fetched.
    assert set(re.findall(r"https?://[^\s\"']+", report)) == {"http://www.w3.org/2000/svg"}
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', report).group(1)
    assert policy.startswith("default-src 'none';")


def test_its_policy_allows_exactly_its_own_script_and_style(report: str):
    policy = re.search(r'content="(default-src[^"]+)"', report).group(1)
    script = re.findall(r"<script>(.*?)</script>", report, re.S)
    style = re.findall(r"<style>(.*?)</style>", report, re.S)
    assert len(script) == 1 and len(style) == 1

    def digest(text: str) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src '{digest(script[0])}'" in policy
    assert f"style-src '{digest(style[0])}'" in policy


def test_strangers_text_never_appears_as_markup(report: str):
    assert HOSTILE not in report
    assert HOSTILE in json.dumps(_payload(report), ensure_ascii=False)


def test_the_report_holds_summary_map_and_top_lists(report: str):
    data = _payload(report)
    assert data["summary"]["scored_people"] == PEOPLE
    assert data["map"]["total"] == PEOPLE and len(data["map"]["points"]["rows"]) == PEOPLE
    assert data["top"]["connectors"][0]["handle"] == "bob"
    assert data["person"] is None and data["evaluation"] is None


def test_a_person_page_in_the_report_carries_the_events_behind_its_ties(
    community: Path, tmp_path: Path
):
    html = write_report(tmp_path / "r.html", db=community, person="julie").read_text()
    page = _payload(html)["person"]
    assert [t["handle"] for t in page["circle"]] == ["bob", HOSTILE, "edgar"]
    assert page["events"]["csv:bob"]["total"] == 5
    assert "<title>narrowcast report · store.duckdb · julie</title>" in html
    with pytest.raises(PersonNotFound):
        write_report(tmp_path / "x.html", db=community, person="nobody")


def test_fitted_weights_show_when_the_store_has_them(community: Path, tmp_path: Path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(community.read_bytes())
    with Store(copy, create=False) as store:
        store.save_fitted_weights(
            {"intensity": 1.0}, {"roc_auc_fitted": 0.71, "roc_auc_default": 0.69, "pairs": 9}
        )
    fit = _payload(write_report(tmp_path / "r.html", db=copy).read_text())["summary"]["fit"]
    assert (fit["roc_auc_fitted"], fit["roc_auc_default"], fit["pairs"]) == (0.71, 0.69, 9)


def test_evaluation_results_become_tables(community: Path, tmp_path: Path):
    result = {
        "dataset": "tiny",
        "source": "store tiny.duckdb",
        "events": 16,
        "seconds": 1.0,
        "scores": {
            "split_at": "2024-02-01T00:00:00+00:00",
            "people": 6,
            "new_mutual_ties": {
                "broadcast": {"spearman": 0.1},
                "relational": {"spearman": 0.5},
                "better": "relational",
            },
            "engagement_after": {
                "broadcast": {"spearman": 0.4},
                "relational": {"spearman": 0.2},
                "better": "broadcast",
            },
        },
    }
    path = tmp_path / "eval.json"
    path.write_text(json.dumps(result))  # one dataset: eval prints the object alone
    blocks = evaluation_blocks([result])
    html = write_report(tmp_path / "r.html", db=community, evaluation=path).read_text()
    assert _payload(html)["evaluation"] == blocks
    assert blocks[0] == {"type": "heading", "text": "tiny"}
    table = next(b for b in blocks if b["type"] == "table")
    assert table["rows"][0] == ["after the split", "broadcast", "relational", "better"]
    assert table["rows"][1][0] == "new mutual ties formed" and table["rows"][1][3] == "relational"


def test_a_file_that_is_not_an_evaluation_is_refused(community: Path, tmp_path: Path):
    path = tmp_path / "eval.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(NarrowcastError, match="not the JSON of 'narrowcast eval"):
        write_report(tmp_path / "r.html", db=community, evaluation=path)
