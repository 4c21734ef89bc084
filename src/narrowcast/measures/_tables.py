"""Small table helpers shared by the measures."""

from __future__ import annotations

import ibis.expr.types as ir


def left_join(left: ir.Table, right: ir.Table, keys: list[str] | str) -> ir.Table:
    """``left`` with ``right``'s columns where the keys match; one copy of the keys."""
    keys = [keys] if isinstance(keys, str) else keys
    joined = left.left_join(right, keys)
    dup = [f"{k}_right" for k in keys if f"{k}_right" in joined.columns]
    return joined.drop(*dup) if dup else joined
