"""A tiny community for the faces and the scoring front, checkable by hand.

julie posts in January; bob answers her, she answers back, he likes her post; edgar likes it
too; HOSTILE (a person whose handle is markup) replies to julie and she answers; julie and
dmitri exchange private messages only. In February bob and carmen talk on bob's post and
carmen shares it; in March julie and bob talk again and carmen likes bob's answer. So julie's
circle, in public, is bob, HOSTILE and edgar — never dmitri — and six people are scored.
"""

from __future__ import annotations

from pathlib import Path

import narrowcast
from tests.measures._logs import table, write_csv

HOSTILE = "<img src=x onerror=alert(1)>"

LOG = """
day  actor    kind     target   content  parent  vis
0    julie    post     -        j1       -       public
1    bob      reply    julie    b1       j1      public
1.5  julie    reply    bob      j2       b1      public
2    bob      like     julie    -        j1      public
3    edgar    like     julie    -        j1      public
4    HOSTILE  reply    julie    h1       j1      public
4.5  julie    reply    HOSTILE  j3       h1      public
6    julie    message  dmitri   -        -       private
7    dmitri   message  julie    -        -       private
35   bob      post     -        b2       -       public
36   carmen   reply    bob      c1       b2      public
36.5 bob      reply    carmen   b3       c1      public
37   carmen   share    bob      -        b2      public
66   bob      reply    julie    b4       j1      public
66.5 julie    reply    bob      j4       b4      public
70   carmen   like     bob      -        b3      public
"""
PEOPLE = 6


def _rows() -> list[dict[str, str]]:
    rows = table(LOG)
    for r in rows:
        for k in ("actor", "target"):
            if r[k] == "HOSTILE":
                r[k] = HOSTILE
    return rows


def build(folder: Path) -> Path:
    """The store of LOG, scored as of the last event with two months of history (the ends
    of January and February 2024)."""
    db = folder / "store.duckdb"
    narrowcast.import_files("csv", [write_csv(folder / "log.csv", _rows())], db=db)
    narrowcast.score(db, history_months=2)
    return db
