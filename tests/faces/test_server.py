"""The dashboard's server as a client meets it: pages and JSON, GET only, no path outside its
own files, loopback names only, and a store it never writes."""

from __future__ import annotations

import hashlib
import http.client
import json
from pathlib import Path

import pytest

from narrowcast.faces.server import FacesServer, make_server
from narrowcast.scoring import NotScored
from tests.faces._community import HOSTILE, PEOPLE


def _get(server: FacesServer, path: str, method: str = "GET", host: str | None = None):
    h, port = server.server_address[:2]
    con = http.client.HTTPConnection(h, port, timeout=10)
    headers = {"Host": host} if host else {}
    con.request(method, path, headers=headers)
    r = con.getresponse()
    body = r.read()
    con.close()
    return r, body


def _json(server: FacesServer, path: str):
    r, body = _get(server, path)
    assert r.status == 200, body
    assert r.getheader("Content-Type").startswith("application/json")
    return json.loads(body)


def test_the_page_and_its_files_come_from_the_package(server: FacesServer):
    r, body = _get(server, "/")
    assert r.status == 200 and b'src="/static/app.js"' in body
    assert b"http://" not in body and b"https://" not in body
    for path, kind in (("/static/app.js", "text/javascript"), ("/static/app.css", "text/css")):
        r, body = _get(server, path)
        assert r.status == 200 and r.getheader("Content-Type").startswith(kind) and body
    assert "default-src 'none'" in r.getheader("Content-Security-Policy")
    assert r.getheader("X-Content-Type-Options") == "nosniff"


def test_it_binds_loopback_by_default(server: FacesServer):
    assert server.server_address[0] == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:")


def test_json_endpoints(server: FacesServer):
    assert _json(server, "/api/summary")["scored_people"] == PEOPLE
    assert _json(server, "/api/map")["total"] == PEOPLE
    assert _json(server, "/api/map?active=7")["total"] == 3
    assert _json(server, "/api/map?month=2024-01")["month"] == "2024-01"
    assert [p["handle"] for p in _json(server, "/api/search?q=jul")] == ["julie"]
    page = _json(server, "/api/person?id=csv%3Ajulie")
    assert [t["handle"] for t in page["circle"]] == ["bob", HOSTILE, "edgar"]
    assert _json(server, "/api/events?a=julie&b=bob")["total"] == 5
    assert _json(server, "/api/top")["connectors"][0]["handle"] == "bob"


def test_json_is_escaped_for_html_too(server: FacesServer):
    _, body = _get(server, "/api/search?q=img")
    assert b"<img" not in body and b"\\u003cimg" in body


def test_private_events_are_not_served_without_include_private(server: FacesServer):
    assert _json(server, "/api/events?a=julie&b=dmitri")["total"] == 0
    page = _json(server, "/api/person?id=julie")
    assert "dmitri" not in json.dumps(page["circle"]) + json.dumps(page["gives"])


def test_errors_are_json_with_a_reason(server: FacesServer):
    r, body = _get(server, "/api/person?id=nobody")
    assert r.status == 404 and "no person 'nobody'" in json.loads(body)["error"]
    r, body = _get(server, "/api/map?active=soon")
    assert r.status == 400 and "'active'" in json.loads(body)["error"]
    r, body = _get(server, "/api/events?a=julie")
    assert r.status == 400


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2fpyproject.toml",
        "//etc/passwd",
        "/static/app.js/../../data.py",
        "/store.duckdb",
        "/static/",
        "/../narrowcast.duckdb",
    ],
)
def test_no_path_reaches_outside_the_packaged_files(server: FacesServer, path: str):
    r, body = _get(server, path)
    assert r.status == 404
    assert b"root:" not in body and b"[project]" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_nothing_but_get(server: FacesServer, method: str):
    r, _ = _get(server, "/api/summary", method=method)
    assert r.status == 405 and r.getheader("Allow") == "GET, HEAD"


def test_other_host_names_are_refused(server: FacesServer):
    """A page elsewhere that points its own name at 127.0.0.1 gets nothing (DNS rebinding)."""
    r, _ = _get(server, "/api/summary", host="evil.example:80")
    assert r.status == 421
    port = server.server_address[1]
    assert _get(server, "/api/summary", host=f"localhost:{port}")[0].status == 200


def test_the_store_is_never_written(community: Path, server: FacesServer):
    before = hashlib.sha256(community.read_bytes()).hexdigest()
    for path in (
        "/api/summary",
        "/api/map?active=30",
        "/api/person?id=julie",
        "/api/top",
        "/api/events?a=julie&b=bob",
        "/api/search?q=b",
    ):
        _get(server, path)
    assert hashlib.sha256(community.read_bytes()).hexdigest() == before


def test_the_store_is_free_between_requests(community: Path, server: FacesServer, tmp_path: Path):
    """Each request opens the store read-only and closes it: a writer can take it between."""
    import duckdb

    _json(server, "/api/summary")
    con = duckdb.connect(str(community))  # a write lock: fails while anyone holds the file
    con.close()


def test_an_unscored_store_is_refused_at_start(tmp_path: Path):
    import narrowcast

    db = tmp_path / "s.duckdb"
    (tmp_path / "m.txt").write_text("1 2 1082040961\n")
    narrowcast.import_files("snap", [tmp_path / "m.txt"], db=db, kind="message")
    with pytest.raises(NotScored, match="run 'narrowcast score' first"):
        make_server(db, port=0)
