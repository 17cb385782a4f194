"""Fixtures for the browser tests: Debian's Chromium via Playwright against real Streamlit servers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from .harness import ROOT, StreamlitServer, launch_chromium, screenshot

HERE = Path(__file__).resolve().parent
APP = ROOT / "app.py"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_call_failed = report.failed
    return report


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = launch_chromium(playwright_instance)
    yield browser
    browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    yield page
    if getattr(request.node, "e2e_call_failed", False):
        try:
            screenshot(page, "FAILED-" + re.sub(r"[^\w.-]+", "_", request.node.nodeid))
        except Exception:
            pass  # the page may be gone; the test's own error is what matters
    context.close()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """Base URL of the real app, with its store in a temporary folder, shared by the session."""
    store = tmp_path_factory.mktemp("store")
    with StreamlitServer(APP, env={"CHOKEPOINT_STORE_DIR": str(store)}) as server:
        yield server.url


@pytest.fixture
def fresh_server(tmp_path_factory):
    """Factory: ``fresh_server(env=None, app_path=APP)`` starts a new server and returns it
    (``.url``, ``.started_at``, ``.ready_at``); each gets its own store folder unless env sets one.
    All are stopped at teardown."""
    servers: list[StreamlitServer] = []

    def start(env: dict[str, str] | None = None, app_path: str | Path = APP) -> StreamlitServer:
        merged = {"CHOKEPOINT_STORE_DIR": str(tmp_path_factory.mktemp("store")), **(env or {})}
        server = StreamlitServer(app_path, env=merged)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
