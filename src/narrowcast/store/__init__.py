"""The store: one DuckDB file holding the event log, people, identities and the import log."""

from narrowcast.store.store import SCHEMA_VERSION, STAGED_TIES, ImportResult, Store

__all__ = ["SCHEMA_VERSION", "STAGED_TIES", "ImportResult", "Store"]
