"""Saved scenarios in a real browser: save, copy the link, open it elsewhere; archived and old links. Each page,
once idle, must pass harness.assert_page_healthy (no exception, no st.error, every chart drawing real numbers)."""
from urllib.parse import parse_qs, urlparse

from chokepoint import MODEL_VERSION
from chokepoint.store import DuckDBStore

from .harness import assert_page_healthy, screenshot, wait_for_app_idle
from .test_dashboard import open_app, slider_value, wait_for_url


def metric_texts(page):
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_save_copy_the_link_and_open_it_in_a_new_browser(browser, app_server):
    first = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = first.new_page()
    open_app(page, f"{app_server}/?export_controls=70&self_reliance=45")
    assert_page_healthy(page)
    page.get_by_role("button", name="Save this scenario").click()
    page.get_by_label("Name", exact=True).fill("Briefing <b>A</b>")
    page.get_by_label("Note (optional)", exact=True).fill("For the Tuesday room")
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Save", exact=True).click()
    wait_for_url(page, lambda q: "scenario" in q)
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    scenario_id = parse_qs(urlparse(page.url).query)["scenario"][0]
    link = page.locator('[data-testid="stCode"]').first.inner_text().strip()
    assert link.endswith(f"/?scenario={scenario_id}") and link.startswith("http")
    numbers = metric_texts(page)
    assert_page_healthy(page)
    screenshot(page, "saved-after-save")

    second = browser.new_context(viewport={"width": 1400, "height": 1000})
    colleague = second.new_page()
    open_app(colleague, link)
    assert_page_healthy(colleague)
    assert slider_value(colleague, "US export controls") == 70
    assert slider_value(colleague, "China self-reliance push") == 45
    assert metric_texts(colleague) == numbers
    banner = colleague.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    assert "Briefing <b>A</b>" in banner and "For the Tuesday room" in banner and f"model {MODEL_VERSION}" in banner
    screenshot(colleague, "saved-opened-by-colleague")

    # Moving a slider turns it back into an unsaved scenario with parameters in the address.
    thumb = colleague.locator('[data-testid="stSlider"]').first.locator('input[type="range"]').first
    thumb.focus()
    colleague.keyboard.press("ArrowRight")
    wait_for_url(colleague, lambda q: "scenario" not in q and q.get("export_controls") == ["71"])
    wait_for_app_idle(colleague, timeout_ms=30000, quiet_ms=400)
    assert "Modified from" in colleague.locator('[data-testid="stAlertContentInfo"]').first.inner_text()
    assert_page_healthy(colleague)
    first.close()
    second.close()


def test_save_after_keyboard_moves_saves_what_is_on_screen(browser, app_server):
    """A slider move reruns only the levers and the page (shell._page); the Save form is drawn by the last full
    run. Save must still store the levers as they are when it is pressed, and the permanent link (drawn with
    the levers) must go when the view stops being the saved scenario."""
    first = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = first.new_page()
    open_app(page, f"{app_server}/?export_controls=40&self_reliance=45")
    # The name is typed first (a full run, at 40), then the levers move, then Save is pressed.
    page.get_by_role("button", name="Save this scenario").click()
    page.get_by_label("Name", exact=True).fill("Moved by keyboard")
    page.get_by_label("Name", exact=True).press("Enter")  # commits the field: a full run
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    page.keyboard.press("Escape")
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    thumb = page.locator('[data-testid="stSlider"]').first.locator('input[type="range"]').first
    thumb.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(150)
    wait_for_url(page, lambda q: q.get("export_controls") == ["43"])
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    numbers = metric_texts(page)
    page.get_by_role("button", name="Save this scenario").click()
    assert page.get_by_label("Name", exact=True).input_value() == "Moved by keyboard"
    page.get_by_role("button", name="Save", exact=True).click()
    wait_for_url(page, lambda q: "scenario" in q)
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    link = page.locator('[data-testid="stCode"]').first.inner_text().strip()
    page.keyboard.press("Escape")  # close the Save popover

    thumb.focus()
    page.keyboard.press("ArrowLeft")
    wait_for_url(page, lambda q: "scenario" not in q and q.get("export_controls") == ["42"])
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    assert page.locator('[data-testid="stCode"]').count() == 0, "the permanent link stayed after a move"
    assert "Modified from" in page.locator('[data-testid="stAlertContentInfo"]').first.inner_text()
    assert_page_healthy(page)

    second = browser.new_context(viewport={"width": 1400, "height": 1000})
    colleague = second.new_page()
    open_app(colleague, link)
    assert slider_value(colleague, "US export controls") == 43
    assert slider_value(colleague, "China self-reliance push") == 45
    assert metric_texts(colleague) == numbers
    assert_page_healthy(colleague)
    first.close()
    second.close()


def test_archived_and_older_model_links_still_open(page, fresh_server, tmp_path):
    store_dir = tmp_path / "shared-store"
    store = DuckDBStore(store_dir / "scenarios.duckdb")
    archived, _ = store.save({"export_controls": 55, "self_reliance": 65}, "Retired brief", "", MODEL_VERSION, "x", {})
    store.archive(archived.id)
    old, _ = store.save({"export_controls": 35, "self_reliance": 85}, "Last year's view", "", "0.9", "olddata",
                        {"2028": {"nvidia_share": 0.5}})
    store.close()
    server = fresh_server(env={"CHOKEPOINT_STORE_DIR": str(store_dir)})
    open_app(page, f"{server.url}/?scenario={archived.id}")
    assert_page_healthy(page)
    assert "Archived" in page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    assert slider_value(page, "US export controls") == 55
    open_app(page, f"{server.url}/revenue_exposure?scenario={old.id}")
    assert_page_healthy(page)
    assert slider_value(page, "China self-reliance push") == 85
    warning = page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "Saved with model 0.9" in warning
    screenshot(page, "saved-old-model-link")


def test_a_moved_saved_scenario_keeps_its_other_levers_in_the_address(browser, app_server):
    """Open a saved scenario (72/47), move one slider: the address must still hold the other lever, so a reload
    or the copied address shows the same scenario. The sliders drew the record's values without writing them
    into the address; moving export controls left ?export_controls=73, and a reload showed self-reliance at
    its default. Both ways in: the permanent link in a fresh browser, and the Library's Open in a session whose
    sliders are already on screen."""
    first = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = first.new_page()
    # Values no other test here saves (the same inputs would be "already saved as" another name).
    open_app(page, f"{app_server}/?export_controls=72&self_reliance=47")
    page.get_by_role("button", name="Save this scenario").click()
    page.get_by_label("Name", exact=True).fill("Two levers")
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Save", exact=True).click()
    wait_for_url(page, lambda q: "scenario" in q)
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    link = page.locator('[data-testid="stCode"]').first.inner_text().strip()
    scenario_id = parse_qs(urlparse(link).query)["scenario"][0]
    first.close()

    def move_and_reload(colleague):
        thumb = colleague.locator('[data-testid="stSlider"]').first.locator('input[type="range"]').first
        thumb.focus()
        colleague.keyboard.press("ArrowRight")
        wait_for_url(colleague, lambda q: "scenario" not in q and q.get("export_controls") == ["73"])
        wait_for_app_idle(colleague, timeout_ms=30000, quiet_ms=400)
        assert parse_qs(urlparse(colleague.url).query).get("self_reliance") == ["47"], colleague.url
        colleague.reload()
        wait_for_app_idle(colleague, timeout_ms=60000, quiet_ms=400)
        assert slider_value(colleague, "US export controls") == 73
        assert slider_value(colleague, "China self-reliance push") == 47
        assert_page_healthy(colleague)

    second = browser.new_context(viewport={"width": 1400, "height": 1000})
    colleague = second.new_page()
    open_app(colleague, link)
    assert slider_value(colleague, "China self-reliance push") == 47
    move_and_reload(colleague)

    # The same session (sliders at 73/47) opens it again from the Library, then moves: still both levers.
    colleague.locator('[data-testid="stSidebarNav"]').get_by_text("Library", exact=True).click()
    wait_for_app_idle(colleague, timeout_ms=30000, quiet_ms=400)
    colleague.locator('[data-testid="stHorizontalBlock"]').filter(has_text="Two levers").get_by_role(
        "link", name="Open").first.click()
    wait_for_url(colleague, lambda q: q.get("scenario") == [scenario_id])
    wait_for_app_idle(colleague, timeout_ms=30000, quiet_ms=400)
    assert slider_value(colleague, "US export controls") == 72
    move_and_reload(colleague)
    second.close()
