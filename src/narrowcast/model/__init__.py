"""The event log's schema and the chunks importers hand to the store. Imports nothing of ours."""

from narrowcast.model.batches import (
    CODED_STRING,
    ROW_GROUP_ROWS,
    TABLES,
    Chunk,
    Parsed,
    ProgressCallback,
    RowBuffer,
    ahead,
    fits,
)
from narrowcast.model.schema import (
    EVENTS,
    IDENTITIES,
    KINDS,
    PEOPLE,
    TS_TYPE,
    VISIBILITIES,
    person_id,
)

__all__ = [
    "CODED_STRING",
    "EVENTS",
    "IDENTITIES",
    "KINDS",
    "PEOPLE",
    "ROW_GROUP_ROWS",
    "TABLES",
    "TS_TYPE",
    "VISIBILITIES",
    "Chunk",
    "Parsed",
    "ProgressCallback",
    "RowBuffer",
    "ahead",
    "fits",
    "person_id",
]
