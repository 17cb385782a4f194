"""What only a browser shows: URL state, deep links on fresh servers, garbage links, screenshots. Every test that
opens a page ends with harness.assert_page_healthy: no exception, no st.error, every chart drawing real numbers."""
from urllib.parse import parse_qs, urlparse

import pytest

from chokepoint.params import HEADLINE_LEVERS

from .harness import assert_page_healthy, screenshot, wait_for_app_idle

PAGES = {  # url path -> page title (h1)
    "": "Chokepoint: AI-chip export controls, in numbers you can move",
    "china_market": "China's AI-accelerator market",
    "revenue_exposure": "Revenue exposure of US and allied firms",
    "domestic_supply": "China's domestic supply",
    "uncertainty": "Uncertainty & drivers",
    "claims": "Claims, checked",
    "library": "Library of saved scenarios",
    "present": "Briefing mode",
    "compare": "Compare scenarios",
    "methodology": "Methodology & sources",
}
NAV_LABELS = ["Scenario", "China market", "Revenue exposure", "Domestic supply", "Uncertainty & drivers",
              "Claims, checked", "Library", "Briefing mode", "Compare", "Methodology & sources"]


def slider_value(page, label):
    slider = page.locator('[data-testid="stSlider"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True))
    thumb = slider.locator('input[type="range"], [role="slider"]').first
    return float(thumb.get_attribute("aria-valuenow") or thumb.input_value())


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def open_app(page, url):
    page.goto(url)
    wait_for_app_idle(page, timeout_ms=60000, quiet_ms=400)


def wait_for_url(page, predicate, timeout_ms=10000):
    page.wait_for_function("() => true")  # flush
    deadline = page.evaluate("performance.now()") + timeout_ms
    while page.evaluate("performance.now()") < deadline:
        if predicate(query(page)):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"URL never matched: {page.url}")


def move_export_controls(page, presses, to):
    """Press ArrowRight on the US export controls slider, then wait for the URL and the rerun."""
    thumb = page.locator('[data-testid="stSlider"]').first.locator('input[type="range"], [role="slider"]').first
    thumb.focus()
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
    wait_for_url(page, lambda q: q.get("export_controls") == [str(to)])
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)


def test_url_parameters_show_in_the_sliders_and_survive_reload_and_page_changes(page, app_server):
    open_app(page, f"{app_server}/?export_controls=80&self_reliance=35&year=2030")
    assert slider_value(page, "US export controls") == 80
    assert slider_value(page, "China self-reliance push") == 35
    assert "export_controls=80, self_reliance=35" in page.get_by_text("Scenario: ").first.inner_text()
    page.reload()
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    assert slider_value(page, "US export controls") == 80
    page.get_by_role("link", name="Revenue exposure").click()
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    assert "/revenue_exposure" in page.url
    assert query(page).get("export_controls") == ["80"]
    assert slider_value(page, "US export controls") == 80
    assert page.locator("h1").first.inner_text() == PAGES["revenue_exposure"]
    assert_page_healthy(page)


def test_moving_a_slider_updates_the_url_and_the_charts(page, app_server):
    open_app(page, f"{app_server}/?export_controls=50&self_reliance=60")
    metric = page.locator('[data-testid="stMetricValue"]').first
    before_metric = metric.inner_text()
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    before_chart = chart.screenshot()
    move_export_controls(page, 30, to=80)
    assert metric.inner_text() != before_metric
    assert chart.screenshot() != before_chart
    assert "export_controls=80" in page.get_by_text("Scenario: ").first.inner_text()
    assert_page_healthy(page)


def test_a_slider_move_redraws_the_charts_in_place_with_a_new_takeaway(page, app_server):
    """A slider move swaps the charts' data inside the existing Vega views: the chart is not rebuilt
    (no flicker, ~40 ms less per move), yet it draws the new numbers and the takeaway under it changes.
    A spec that changes with the scenario (e.g. the takeaway as alt text) makes Streamlit rebuild it."""
    open_app(page, f"{app_server}/?export_controls=20&self_reliance=60")
    page.evaluate("""() => { window.__charts = Array.from(
        document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks')); }""")
    takeaways = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Takeaway:")
    before_takeaways = takeaways.all_inner_texts()
    before_drawing = page.evaluate("() => window.__charts.map(svg => svg.innerHTML)")
    assert len(before_drawing) == 2
    move_export_controls(page, 60, to=80)
    assert page.evaluate("() => window.__charts.every(svg => document.contains(svg))"), "a chart was rebuilt"
    after_drawing = page.evaluate("() => window.__charts.map(svg => svg.innerHTML)")
    assert all(a != b for a, b in zip(after_drawing, before_drawing)), "a chart still draws the old numbers"
    assert takeaways.all_inner_texts() != before_takeaways
    label = page.evaluate("() => window.__charts[0].closest('.vega-embed').getAttribute('aria-label')")
    assert label and label.startswith("Chart: "), label
    assert_page_healthy(page)


def test_preset_button_writes_the_levers_to_the_url(page, app_server):
    open_app(page, f"{app_server}/")
    page.get_by_role("button", name="Both sides hawkish").click()
    wait_for_url(page, lambda q: q.get("export_controls") == ["100"] and q.get("self_reliance") == ["100"])
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    assert slider_value(page, "US export controls") == 100
    assert_page_healthy(page)


@pytest.mark.parametrize("path", list(PAGES))
def test_deep_link_works_on_a_fresh_server(page, fresh_server, path):
    server = fresh_server()
    open_app(page, f"{server.url}/{path}?export_controls=70&self_reliance=40")
    assert page.locator("h1").first.inner_text() == PAGES[path]
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    for label in NAV_LABELS:
        assert label in nav
    assert "app" not in nav.split()  # not the legacy auto-discovered menu
    assert slider_value(page, "US export controls") == 70
    assert_page_healthy(page)


def test_a_fresh_server_with_broken_data_starts_and_says_what_is_wrong(page, fresh_server, data_copy):
    """The warm-up at server start fails on the broken file, the server still starts, and the visitor
    gets the file and row in plain words, not a traceback."""
    data = data_copy
    presets = data / "presets.csv"
    presets.write_text(presets.read_text().replace("As announced for 2026,25,", "As announced for 2026,x,", 1))
    server = fresh_server(env={"CHOKEPOINT_DATA_DIR": str(data)})
    open_app(page, f"{server.url}/revenue_exposure")
    alert = page.locator('[data-testid="stAlert"]').first
    assert "could not be loaded" in alert.inner_text() and "data/presets.csv" in alert.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("garbage", [
    "export_controls=%%%&self_reliance=1e999",
    "export_controls=-5&self_reliance=NaN&year=abc",
    "reference=%3Cscript%3Ealert(1)%3C%2Fscript%3E&budget_growth=DROP%20TABLE",
    "export_controls=1&export_controls=2&" + "x" * 3000 + "=1",
])
def test_garbage_links_give_a_notice_and_defaults_not_a_traceback(page, app_server, garbage):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_app(page, f"{app_server}/?{garbage}")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.content()
    notice = page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "could not be used" in notice
    assert slider_value(page, "China self-reliance push") == HEADLINE_LEVERS["self_reliance"].default
    assert dialogs == []  # nothing in the link ran as script
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 2
    assert_page_healthy(page)


def test_no_developer_controls_in_the_header(page, app_server):
    """Opened on the serving machine Streamlit would show Deploy and rerun/clear-cache items: not for a briefing."""
    open_app(page, f"{app_server}/")
    assert page.get_by_role("button", name="Deploy").count() == 0
    assert page.get_by_text("Deploy", exact=True).count() == 0
    assert_page_healthy(page)


@pytest.mark.parametrize("path", list(PAGES))
def test_screenshots_of_every_page(page, app_server, path):
    open_app(page, f"{app_server}/{path}?export_controls=60&self_reliance=70")
    assert page.locator("h1").first.inner_text() == PAGES[path]
    assert_page_healthy(page)
    shot = screenshot(page, f"page-{path or 'scenario'}")
    assert shot.stat().st_size > 20_000
