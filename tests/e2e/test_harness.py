"""The browser harness itself, against the floor app (one slider, one Altair chart)."""

import pytest

from .harness import (
    CHART_DRAWN_SELECTOR,
    ROOT,
    StreamlitServer,
    cold_start_to_first_chart,
    measure_slider_repaint,
    screenshot,
    wait_for_app_idle,
)

FLOOR_APP = ROOT / "bench" / "floor_app.py"


@pytest.fixture(scope="module")
def floor_server():
    with StreamlitServer(FLOOR_APP) as server:
        assert server.started_at < server.ready_at
        yield server


def test_slider_repaint_and_screenshot(floor_server, page):
    page.goto(floor_server.url)
    wait_for_app_idle(page)
    assert page.locator(CHART_DRAWN_SELECTOR).count() >= 1

    latencies = measure_slider_repaint(page, "Floor value", 3)

    assert len(latencies) == 3
    assert all(ms > 0 for ms in latencies), latencies  # speed is for make bench, not a test
    assert page.locator('[data-testid="stSlider"] input[type="range"]').input_value() == "53"
    path = screenshot(page, "harness-floor-app")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_slider_turns_back_at_the_end_of_its_range(floor_server, page):
    page.goto(floor_server.url)
    wait_for_app_idle(page)
    thumb = page.locator('[data-testid="stSlider"] input[type="range"]')
    thumb.focus()
    page.keyboard.press("End")
    wait_for_app_idle(page, quiet_ms=600)  # long enough to span the gap before the rerun starts
    assert thumb.input_value() == "100"

    latencies = measure_slider_repaint(page, "Floor value", 2)

    assert len(latencies) == 2
    assert thumb.input_value() == "98"


def test_unknown_slider_label_is_a_clear_error(floor_server, page):
    page.goto(floor_server.url)
    wait_for_app_idle(page)
    with pytest.raises(LookupError, match="Floor value"):
        measure_slider_repaint(page, "No such slider", 1)


def test_cold_start_to_first_chart(browser):
    seconds = cold_start_to_first_chart(FLOOR_APP, browser)
    assert seconds > 0
