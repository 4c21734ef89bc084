"""Shared fixtures: a fresh store, the real data folder (where present), chunk collection, and
a tiny scored community with history (``tests/faces/_community.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from narrowcast.model import TABLES, Parsed, fits
from narrowcast.store import Store

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def data_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with a clear reason."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found at {path} (../shared/data is absent here)")
    return path


def collect(parsed: Parsed) -> dict[str, pa.Table]:
    """Every chunk of an importer's output, as one table per event-log table."""
    batches: dict[str, list[pa.RecordBatch]] = {name: [] for name in TABLES}
    for chunk in parsed:
        assert fits(chunk.batch, chunk.table), chunk.table
        batches[chunk.table].append(chunk.batch.cast(TABLES[chunk.table]))
    return {name: pa.Table.from_batches(b, schema=TABLES[name]) for name, b in batches.items()}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "store.duckdb") as s:
        yield s


def rows(store: Store, sql: str) -> list[tuple]:
    return store.con.execute(sql).fetchall()


@pytest.fixture(scope="session")
def community(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scored store of the tiny community (tests/faces/_community.py), with history."""
    from tests.faces._community import build

    return build(tmp_path_factory.mktemp("community"))
