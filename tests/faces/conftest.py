"""The dashboard over the tiny community (``tests/faces/_community.py``) on a free port, and a
real headless browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from narrowcast.faces.server import FacesServer, make_server, serve_in_thread

#: Chromium flags for a sandbox-less, offline, quiet headless run.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def server(community: Path) -> Iterator[FacesServer]:
    """The dashboard over the community, on a free 127.0.0.1 port."""
    srv = make_server(community, port=0, quiet=True)
    serve_in_thread(srv)
    yield srv
    srv.shutdown()
    srv.server_close()


def _need(what: str, how: str) -> None:
    """Skip where a browser test cannot run; fail in CI, which installs what it needs."""
    message = f"{what} is missing ({how})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must provide it (see .ci/run)")
    pytest.skip(f"browser tests skipped: {message}")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (no browser download ever)."""
    path = os.environ.get("NARROWCAST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        _need("Chromium", "apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("Playwright", "pip install -e '.[dev]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page that records script errors and dialogs (none may happen)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.dialogs = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)

    def dialog(d):
        pg.dialogs.append(d.message)
        d.dismiss()

    pg.on("dialog", dialog)
    yield pg
    context.close()
