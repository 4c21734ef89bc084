"""A Spark session in local mode, shared by the engine tests (it takes seconds to start)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

#: Small data: one shuffle partition and no adaptive re-planning keep each job short.
SMALL = {"spark.sql.shuffle.partitions": "1", "spark.sql.adaptive.enabled": "false"}


def _java() -> bool:
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or bool(home and os.path.exists(home))


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    pytest.importorskip(
        "pyspark", reason="pyspark is not installed (pip install 'pyspark>=4.0,<4.1')"
    )
    if not _java():
        pytest.skip("no Java runtime found (java not on PATH, JAVA_HOME unset): Spark cannot start")
    from narrowcast.engines.spark import session as spark_session

    session = spark_session("local[2]", SMALL)
    yield session
    session.stop()
