"""What the pages show, as data: the map, its sampling and filters, search, a person's page,
the top lists, and JSON that is safe inside HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narrowcast.errors import ParameterError
from narrowcast.faces import data
from tests.faces._community import HOSTILE, PEOPLE


def test_to_json_escapes_what_could_close_a_script_element():
    text = data.to_json({"h": HOSTILE, "s": "</script><script>x()</script>", "a": "a&b"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"h": HOSTILE, "s": "</script><script>x()</script>", "a": "a&b"}


def test_to_json_writes_no_nan():
    assert data.to_json([float("nan"), float("inf"), 1.5]) == "[null, null, 1.5]"


def test_the_map_has_everyone_with_both_scores(community: Path):
    m = data.community_map(community)
    assert m["total"] == PEOPLE and not m["sampled"] and m["density"] is None
    rows = [dict(zip(m["points"]["columns"], r, strict=True)) for r in m["points"]["rows"]]
    assert {r["handle"] for r in rows} == {"julie", "bob", "carmen", "dmitri", "edgar", HOSTILE}
    assert all(0 <= r["broadcast"] <= 100 and 0 <= r["relational"] <= 100 for r in rows)
    assert sum(m["quadrants"].values()) == PEOPLE
    # edgar only liked a post: nothing received, no relationship; he alone is at 0 on both.
    assert m["at_zero"] == {"broadcast": 1, "relational": 1}


def test_quadrants_split_at_the_median_of_each_score(community: Path):
    m = data.community_map(community)
    rows = [dict(zip(m["points"]["columns"], r, strict=True)) for r in m["points"]["rows"]]
    for name, b_high, r_high, _ in data.QUADRANTS:
        inside = [
            r
            for r in rows
            if (r["broadcast"] >= 50) == b_high and (r["relational"] >= 50) == r_high
        ]
        assert m["quadrants"][name] == len(inside)


def test_a_large_map_is_a_sample_over_a_density_grid(community: Path):
    """With room for 4 points: the top of each score (one each) and random others; the grid
    still counts all six people."""
    m = data.community_map(community, max_points=4)
    assert m["sampled"] and m["total"] == PEOPLE
    handles = [r[1] for r in m["points"]["rows"]]
    assert len(handles) <= 4 and "bob" in handles  # bob tops both scores
    assert sum(c[2] for c in m["density"]["cells"]) == PEOPLE
    assert m == data.community_map(community, max_points=4)  # the same draw every time


def test_the_map_filters_by_activity_and_platform(community: Path):
    """In the last 7 days before 11 March only bob, julie (66.5) and carmen (70) acted."""
    recent = data.community_map(community, active_days=7)
    assert sorted(r[1] for r in recent["points"]["rows"]) == ["bob", "carmen", "julie"]
    assert data.community_map(community, platform="csv")["total"] == PEOPLE
    assert data.community_map(community, platform="elsewhere")["total"] == 0


def test_the_map_as_of_a_month_reads_the_history(community: Path):
    """At the end of January carmen had not acted yet."""
    m = data.community_map(community, month="2024-01")
    assert m["month"] == "2024-01" and m["as_of"].startswith("2024-01-31")
    assert "carmen" not in {r[1] for r in m["points"]["rows"]}
    with pytest.raises(ParameterError, match="a month the history holds"):
        data.community_map(community, month="1999-01")


def test_search_finds_handles_by_any_part(community: Path):
    assert [p["handle"] for p in data.search("img", db=community)] == [HOSTILE]
    assert [p["handle"] for p in data.search("JUL", db=community)] == ["julie"]
    assert data.search("  ", db=community) == []


def test_a_person_page_has_scores_history_circle_and_gifts(community: Path):
    page = data.person_page("julie", db=community)
    assert page["person"]["handle"] == "julie"
    assert set(page["person"]["components"]) >= {"reach", "listening", "dialogue"}
    assert [h["month"] for h in page["history"]] == ["2024-01", "2024-02", "2024-03"]
    assert [t["handle"] for t in page["circle"]] == ["bob", HOSTILE, "edgar"]
    assert [g["handle"] for g in page["gives"]] == ["bob", HOSTILE]
    assert "events" not in page


def test_a_person_page_for_the_report_carries_each_ties_events(community: Path):
    page = data.person_page("julie", db=community, with_events=True)
    assert set(page["events"]) == {"csv:bob", f"csv:{HOSTILE}", "csv:edgar"}
    assert page["events"]["csv:bob"]["total"] == 5


def test_private_ties_appear_only_when_asked(community: Path):
    public = data.person_page("julie", db=community)
    assert "dmitri" not in {t["handle"] for t in public["circle"]}
    asked = data.person_page("julie", db=community, include_private=True)
    assert "dmitri" in {t["handle"] for t in asked["circle"]}


def test_top_lists(community: Path):
    lists = data.top_lists(db=community)
    assert lists["connectors"][0]["handle"] == "bob"
    assert lists["broadcasters"][0]["handle"] == "bob"
    assert lists["rising"]["people"][0]["handle"] == "julie"


def test_the_summary_names_the_run_and_what_the_map_can_filter_on(community: Path):
    s = data.summary(community)
    assert s["scored_people"] == PEOPLE and s["events"] == 16
    assert s["platforms"] == {"csv": PEOPLE}
    assert s["months"] == ["2024-02", "2024-01"]
    assert s["run"]["as_of"] == "2024-03-11T00:00:00+00:00"
    assert s["fit"] is None
