"""``narrowcast serve``: the local dashboard, over the scored store, read-only.

A standard-library HTTP server. It answers GET (and HEAD) only; everything else gets 405.
It serves the page, its own script and style from the package (a fixed list read at start:
no request names a file path, so none can reach outside it), and JSON from
:mod:`narrowcast.faces.data`. The store is opened read-only for each request and closed
after it, so ``narrowcast score`` can run between requests. Bound to 127.0.0.1 by default:
the dashboard shows a community's data and has no login.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from ipaddress import ip_address
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from narrowcast.config import default_db
from narrowcast.errors import NarrowcastError, ParameterError
from narrowcast.faces import data
from narrowcast.scoring import NotScored, PersonNotFound

__all__ = ["DEFAULT_PORT", "FacesServer", "make_server", "serve_in_thread", "static_files"]

DEFAULT_PORT = 8400

#: Served files: request path -> (package file, content type).
_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
    "/favicon.ico": ("favicon.svg", "image/svg+xml"),
}

# Nothing but the page's own files and its own API: no inline script, no other origin.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def static_files() -> dict[str, bytes]:
    """The dashboard's files as shipped in the package: name -> bytes."""
    folder = resources.files("narrowcast.faces") / "static"
    return {name: (folder / name).read_bytes() for name, _ in _STATIC.values()}


class FacesServer(ThreadingHTTPServer):
    """The dashboard's HTTP server: the store, the privacy setting and the files to serve."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], db: Path, *, include_private: bool, quiet: bool
    ) -> None:
        self.db = db
        self.include_private = include_private
        self.quiet = quiet
        files = static_files()
        self.files = {path: (files[name], ctype) for path, (name, ctype) in _STATIC.items()}
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server: FacesServer
    server_version = "narrowcast"

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _refuse(self) -> None:
        self._send(
            HTTPStatus.METHOD_NOT_ALLOWED,
            b"read-only: GET only\n",
            "text/plain",
            extra={"Allow": "GET, HEAD"},
        )

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def _answer(self, *, head: bool) -> None:
        if not self._host_ok():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"unknown host\n", "text/plain", head=head)
            return
        url = urlsplit(self.path)
        if url.path in self.server.files:
            body, ctype = self.server.files[url.path]
            self._send(HTTPStatus.OK, body, ctype, head=head)
            return
        endpoint = _ENDPOINTS.get(url.path)
        if endpoint is None:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {url.path}"}, head)
            return
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            result = endpoint(self.server, query)
        except PersonNotFound as err:
            self._json(HTTPStatus.NOT_FOUND, {"error": str(err)}, head)
        except (ParameterError, ValueError) as err:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(err)}, head)
        except NotScored as err:
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(err)}, head)
        except NarrowcastError as err:
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(err)}, head)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error"}, head)
        else:
            self._json(HTTPStatus.OK, result, head)

    def _host_ok(self) -> bool:
        """On loopback, only requests addressed to loopback names: a web page elsewhere that
        rebinds its own name to 127.0.0.1 cannot read the dashboard (DNS rebinding)."""
        bound = self.server.server_address[0]
        if not _is_loopback(bound):
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        if host.startswith("["):
            name = host[1 : host.find("]")]
        else:
            name = host.rsplit(":", 1)[0] if ":" in host else host
        return name in ("127.0.0.1", "localhost", "::1", str(bound))

    def _json(self, status: HTTPStatus, payload: Any, head: bool) -> None:
        body = data.to_json(payload).encode()
        self._send(status, body, "application/json; charset=utf-8", head=head)

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        ctype: str,
        *,
        head: bool = False,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _flag(value: str | None) -> bool:
    return value in ("1", "true", "yes")


def _number(query: dict[str, str], name: str) -> float | None:
    value = query.get(name) or None
    if value is None or value == "all":
        return None
    try:
        return float(value)
    except ValueError:
        raise ParameterError.expected(name, "the map", "a number of days or 'all'", value) from None


def _required(query: dict[str, str], name: str) -> str:
    value = query.get(name)
    if not value:
        raise ParameterError.expected(name, "this page", "a person id or handle", value)
    return value


def _summary(server: FacesServer, q: dict[str, str]) -> Any:
    return data.summary(server.db, include_private=server.include_private)


def _map(server: FacesServer, q: dict[str, str]) -> Any:
    return data.community_map(
        server.db,
        platform=q.get("platform") or None,
        active_days=_number(q, "active"),
        month=q.get("month") or None,
    )


def _search(server: FacesServer, q: dict[str, str]) -> Any:
    return data.search(q.get("q", ""), db=server.db)


def _person(server: FacesServer, q: dict[str, str]) -> Any:
    return data.person_page(
        _required(q, "id"), db=server.db, include_private=server.include_private
    )


def _events(server: FacesServer, q: dict[str, str]) -> Any:
    return data.tie_events(
        _required(q, "a"),
        _required(q, "b"),
        db=server.db,
        include_private=server.include_private,
    )


def _top(server: FacesServer, q: dict[str, str]) -> Any:
    return data.top_lists(db=server.db)


_ENDPOINTS: dict[str, Callable[[FacesServer, dict[str, str]], Any]] = {
    "/api/summary": _summary,
    "/api/map": _map,
    "/api/search": _search,
    "/api/person": _person,
    "/api/events": _events,
    "/api/top": _top,
}


def make_server(
    db: str | PathLike[str] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    include_private: bool = False,
    quiet: bool = False,
) -> FacesServer:
    """A dashboard server over the store, bound and ready (``serve_forever`` to run it).

    The store must hold scores: :class:`~narrowcast.scoring.NotScored` otherwise, raised here
    rather than on the first page. ``port`` 0 picks a free port (see ``.url``).
    ``include_private`` shows private-channel figures on person pages and tie events: for a
    person looking at their own data, never for a community dashboard.
    """
    path = default_db(db)
    data.summary(path)  # fails now, with the reason, if the store is missing or unscored
    return FacesServer((host, port), path, include_private=include_private, quiet=quiet)


def serve_in_thread(server: FacesServer) -> threading.Thread:
    """Run ``server`` on a daemon thread (tests and benchmarks); stop with ``shutdown()``."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
