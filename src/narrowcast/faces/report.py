"""``narrowcast report``: the dashboard's views in one self-contained HTML file.

The file holds its own script and style (the package's, inline) and its data (JSON escaped as
:func:`narrowcast.faces.data.to_json` does); its Content-Security-Policy lets only those two
inline blocks run and loads nothing from anywhere, so it opens offline and can be e-mailed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from narrowcast.config import default_db
from narrowcast.errors import NarrowcastError
from narrowcast.evaluation import markdown
from narrowcast.faces import data
from narrowcast.faces.server import static_files

__all__ = ["evaluation_blocks", "render", "write_report"]


def write_report(
    out: str | PathLike[str],
    *,
    db: str | PathLike[str] | None = None,
    person: str | None = None,
    include_private: bool = False,
    evaluation: str | PathLike[str] | None = None,
) -> Path:
    """Write the report of the scored store to ``out``; returns its path.

    Parameters
    ----------
    out
        The HTML file to write.
    db
        The store; default ``$NARROWCAST_DB`` or ``./narrowcast.duckdb``.
    person
        Add this person's page (id or handle), with the events behind each tie it lists.
    include_private
        Show private-channel figures on that person's page (for the person themself). The
        community views never show them.
    evaluation
        A JSON file written by ``narrowcast eval ... --format json``, shown as tables.
    """
    path = default_db(db)
    payload: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": data.summary(path),
        "map": data.community_map(path),
        "top": data.top_lists(db=path),
        "evaluation": None,
        "person": None,
    }
    if evaluation is not None:
        payload["evaluation"] = evaluation_blocks(_read_evaluation(Path(evaluation)))
    if person is not None:
        payload["person"] = data.person_page(
            person, db=path, include_private=include_private, with_events=True
        )
    target = Path(out)
    target.write_text(render(payload), encoding="utf-8")
    return target


def _read_evaluation(path: Path) -> list[dict[str, Any]]:
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise NarrowcastError(
            f"{path}: not the JSON of 'narrowcast eval --format json' ({err})"
        ) from err
    results = results if isinstance(results, list) else [results]
    if not all(isinstance(r, dict) and "dataset" in r for r in results):
        raise NarrowcastError(f"{path}: not the JSON of 'narrowcast eval --format json'")
    return results


def evaluation_blocks(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evaluation's Markdown (:func:`narrowcast.evaluation.markdown`) as blocks the page
    draws with text only: heading, code, table (rows of cells) and paragraph (parts, some
    strong).

    >>> evaluation_blocks_of = lambda md: _blocks(md)
    >>> evaluation_blocks_of("## beer\\n\\n**Gaming.** done\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'type': 'heading', 'text': 'beer'},
     {'type': 'paragraph', 'parts': [{'text': 'Gaming.', 'strong': True},
                                     {'text': ' done', 'strong': False}]},
     {'type': 'table', 'rows': [['a', 'b'], ['1', '2']]}]
    """
    return _blocks(markdown(results))


def _blocks(text: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            blocks.append({"type": "heading", "text": line.lstrip("#").strip()})
            i += 1
        elif line.startswith("```"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
            end = len(lines) if end is None else end
            blocks.append({"type": "code", "text": "\n".join(lines[i + 1 : end])})
            i = end + 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            blocks.append({"type": "table", "rows": rows})
        else:
            para = []
            while (
                i < len(lines) and lines[i].strip() and not lines[i].startswith(("|", "#", "```"))
            ):
                para.append(lines[i].strip())
                i += 1
            blocks.append({"type": "paragraph", "parts": _inline(" ".join(para))})
    return blocks


def _inline(text: str) -> list[dict[str, Any]]:
    parts = []
    for k, piece in enumerate(re.split(r"\*\*(.+?)\*\*", text)):
        if piece:
            parts.append({"text": piece.replace("*", ""), "strong": k % 2 == 1})
    return parts


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def render(payload: dict[str, Any]) -> str:
    """The report's HTML: the package's style and script inline, ``payload`` as JSON, and a
    Content-Security-Policy naming the two inline blocks by hash and allowing nothing else."""
    files = static_files()
    css = files["app.css"].decode()
    js = files["app.js"].decode()
    # Inline blocks end at the first closing tag: our own files must not hold one.
    if "</style" in css.lower() or "</script" in js.lower():
        raise NarrowcastError("the packaged app.css or app.js holds a closing tag")
    csp = (
        f"default-src 'none'; script-src '{_sha256(js)}'; style-src '{_sha256(css)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    summary = payload["summary"]
    title = f"narrowcast report · {summary['store']}"
    if payload.get("person"):
        shown = payload["person"]["person"]
        title += f" · {shown['handle'] or shown['person']}"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{html.escape(title)}</title>
<style>{css}</style>
</head>
<body data-mode="report">
<header class="top"><span class="brand">narrowcast</span><span>report</span></header>
<main id="view"><noscript><p>This report draws its map and tables with JavaScript held in this
file; it loads nothing from anywhere. Open it in a web browser.</p></noscript></main>
<script type="application/json" id="narrowcast-data">{data.to_json(payload)}</script>
<script>{js}</script>
</body>
</html>
"""
