"""The dashboard and the report in a real headless browser (Debian's Chromium, driven by
Playwright): the map, a click, the circle, a hostile name, and the report offline."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from narrowcast.faces import write_report
from narrowcast.faces.server import FacesServer
from tests.faces._community import HOSTILE, PEOPLE


def _open_map(page, server: FacesServer, hash: str = "") -> None:
    page.goto(server.url + hash)
    page.wait_for_selector("svg.map circle.point")


def test_the_map_draws_one_point_per_person(page, server: FacesServer):
    _open_map(page, server)
    assert page.locator("svg.map circle.point").count() == PEOPLE
    assert "6 people" in page.locator("figcaption").inner_text()
    names = page.locator("svg .quad-name").all_text_contents()
    assert names == ["connectors", "pillars", "broadcasters", "quiet listeners"]
    assert page.errors == []


def test_hovering_a_point_names_the_person_and_both_scores(page, server: FacesServer):
    _open_map(page, server)
    page.locator("svg.map circle.point").first.hover()
    tip = page.locator(".tooltip")
    assert tip.is_visible()
    assert "broadcast" in tip.inner_text() and "relational" in tip.inner_text()


def test_a_click_on_a_point_opens_the_person(page, server: FacesServer):
    _open_map(page, server)
    points = page.locator("svg.map circle.point")
    # The points are drawn in the order of the map's rows: person ids, sorted.
    index = sorted(
        ["csv:julie", "csv:bob", "csv:carmen", "csv:dmitri", "csv:edgar", f"csv:{HOSTILE}"]
    ).index("csv:julie")
    points.nth(index).click()
    page.wait_for_selector(".person h2")
    assert page.locator(".person h2").inner_text() == "julie"
    assert page.url.endswith("#/person/" + quote("csv:julie", safe=""))


def test_the_circle_lists_the_expected_people(page, server: FacesServer):
    page.goto(server.url + "#/person/julie")
    page.wait_for_selector("ol.circle li")
    names = page.locator("ol.circle li .tie-head > :first-child").all_inner_texts()
    assert names == ["bob", HOSTILE, "edgar"]  # dmitri's tie is private: never listed
    assert page.locator(".score.broadcast .value").inner_text().isdigit()
    assert page.locator("table.components tr").count() == 15
    assert page.locator("svg.history path.line").count() == 2
    page.locator("ol.circle li").first.get_by_text("events behind it").click()
    page.wait_for_selector(".tie-events table")
    assert page.locator(".tie-events tbody tr").count() == 5
    assert page.errors == []


def test_the_filters_and_search(page, server: FacesServer):
    from playwright.sync_api import expect

    _open_map(page, server)
    page.select_option("select[name=active]", "30")
    # Polled by Playwright, not a script in the page: the page's policy allows no eval.
    expect(page.locator("svg.map circle.point")).to_have_count(3)
    assert "active=30" in page.url
    page.fill("#search", "carm")
    page.wait_for_selector("#search-results button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".person h2")
    assert page.locator(".person h2").inner_text() == "carmen"


def test_the_hostile_name_shows_as_text_and_runs_nothing(page, server: FacesServer):
    page.goto(server.url + "#/person/" + quote(f"csv:{HOSTILE}", safe=""))
    page.wait_for_selector(".person h2")
    assert page.locator(".person h2").inner_text() == HOSTILE
    page.goto(server.url + "#/person/julie")
    page.wait_for_selector("ol.circle li")
    assert HOSTILE in page.locator("ol.circle").inner_text()
    _open_map(page, server)
    page.fill("#search", "img")
    page.wait_for_selector("#search-results button")
    assert HOSTILE in page.locator("#search-results").inner_text()
    assert page.locator("img").count() == 0  # no element was made of it
    assert page.dialogs == [] and page.errors == []


def test_top_lists(page, server: FacesServer):
    page.goto(server.url + "#/top")
    page.wait_for_selector(".top-lists")
    titles = page.locator(".top-list h3").all_inner_texts()
    assert titles == ["Connectors to thank", "Broadcasters", "Rising"]
    rising = page.locator(".top-list").nth(2)
    assert "julie" in rising.inner_text()


def test_the_report_opens_from_a_file_with_the_network_off(
    browser, community: Path, tmp_path: Path
):
    out = write_report(tmp_path / "report.html", db=community, person="julie")
    context = browser.new_context()
    context.set_offline(True)
    asked: list[str] = []
    context.on("request", lambda r: asked.append(r.url))
    context.route(
        "**/*",
        lambda route: (
            route.abort() if not route.request.url.startswith("file:") else route.continue_()
        ),
    )
    page = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(out.as_uri())
    page.wait_for_selector("svg.map circle.point")
    assert page.locator("svg.map circle.point").count() == PEOPLE
    assert page.locator("svg.map circle.highlight").count() == 1  # julie, whose page it has
    assert "Connectors to thank" in page.locator("main").inner_text()
    names = page.locator("#person ol.circle li .tie-head > :first-child").all_inner_texts()
    assert names == ["bob", HOSTILE, "edgar"]
    page.locator("#person ol.circle li").first.get_by_text("events behind it").click()
    page.wait_for_selector("#person .tie-events table")
    assert page.locator("#person .tie-events tbody tr").count() == 5
    assert page.locator("img").count() == 0
    assert [u for u in asked if not u.startswith("file:")] == []
    assert errors == [] and dialogs == []
    context.close()
