"""Echoes: a link or tag repeated soon after exposure, without sharing; precision first."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import narrowcast

#: ada posts a link; bob replies to her post, then posts the link himself: an echo of ada.
#: cy posts another link that dan, eve and fay post the same day: in the air. gus replied to
#: cy and posts it too: no echo. hal replied to ada, shared her post, then posted the link:
#: credit given by sharing, no echo. ivy replied to ada but posted the link 10 days later.
#: jon replied to kim quoting her link: a quoted line is not his use of it, no echo.
LOG = """ts,actor,kind,target,content_id,parent_id,thread_id,text
2024-03-01T09:00:00Z,ada,post,,a1,,a1,read https://Example.org/essay/ today
2024-03-01T10:00:00Z,bob,reply,ada,b1,a1,a1,nice
2024-03-02T09:00:00Z,bob,post,,b2,,b2,"this: https://example.org/essay, so true"
2024-03-01T09:00:00Z,cy,post,,c1,,c1,news https://example.org/news #today
2024-03-01T11:00:00Z,dan,post,,d1,,d1,https://example.org/news
2024-03-01T12:00:00Z,eve,post,,e1,,e1,https://example.org/news
2024-03-01T13:00:00Z,fay,post,,f1,,f1,https://example.org/news
2024-03-01T10:00:00Z,gus,reply,cy,g1,c1,c1,wow
2024-03-02T09:00:00Z,gus,post,,g2,,g2,https://example.org/news
2024-03-01T10:00:00Z,hal,reply,ada,h1,a1,a1,good
2024-03-02T08:00:00Z,hal,share,ada,,a1,a1,
2024-03-02T09:00:00Z,hal,post,,h2,,h2,https://example.org/essay
2024-03-01T10:00:00Z,ivy,reply,ada,i1,a1,a1,hm
2024-03-12T09:00:00Z,ivy,post,,i2,,i2,https://example.org/essay
2024-03-05T09:00:00Z,kim,post,,k1,,k1,see https://example.org/kim
2024-03-05T10:00:00Z,jon,reply,kim,j1,k1,k1,"> see https://example.org/kim
>> an earlier quote #kim
indeed, thanks"
"""


def _scores(tmp_path: Path):
    f = tmp_path / "log.csv"
    f.write_text(LOG)
    db = tmp_path / "s.duckdb"
    narrowcast.import_files("csv", [f], db=db)
    people = narrowcast.score(db, half_life=1e6).people.set_index("handle")
    return db, people


def test_a_link_repeated_after_exposure_is_an_echo_of_its_source(tmp_path):
    """Only bob echoes ada: hal shared her instead, ivy waited 10 days (window 7)."""
    _, people = _scores(tmp_path)
    assert people.at["ada", "echoers"] == 1
    assert people.at["ada", "echoes"] == 1


def test_a_link_everyone_posts_the_same_day_is_no_ones_echo(tmp_path):
    """dan, eve and fay posted cy's link the same day: gus's repeat is in the air."""
    _, people = _scores(tmp_path)
    got = people.at["cy", "echoers"]
    assert pd.isna(got) or got == 0


def test_a_link_quoted_in_a_reply_is_no_echo(tmp_path):
    """jon's reply quotes kim's link (lines starting with ">", as mail and Markdown quote):
    the words he wrote hold no link, so he does not echo her."""
    _, people = _scores(tmp_path)
    got = people.at["kim", "echoers"]
    assert pd.isna(got) or got == 0


def test_echoes_count_as_amplification_and_are_explained(tmp_path):
    db, people = _scores(tmp_path)
    assert people.at["ada", "amplification"] >= 0.5
    why = narrowcast.show("ada", db=db)["components"]["amplification"]["explanation"]
    assert "1 person repeated links or tags they shared" in why
