"""Briefing mode and downloads in a real browser."""

from PIL import Image
from pptx import Presentation

from chokepoint import MODEL_VERSION, exports
from chokepoint.store import DuckDBStore

from .harness import screenshot, wait_for_app_idle
from .test_dashboard import open_app, wait_for_url


def open_two_step_deck(browser, fresh_server, tmp_path, name: str, titles: tuple[str, str], first_notes: str = ""):
    """A deck of two steps (Détente, then Both sides hawkish) saved in a fresh server's store and opened at its
    first step in briefing mode, on a 1920x1080 screen: (server, context, page, deck)."""
    store_dir = tmp_path / "store"
    store = DuckDBStore(store_dir / "scenarios.duckdb")
    deck, _ = store.save_deck(name, [
        {"ref": "preset:Détente", "title": titles[0], "notes": first_notes},
        {"ref": "preset:Both sides hawkish", "title": titles[1], "notes": ""}], MODEL_VERSION)
    store.close()
    server = fresh_server(env={"CHOKEPOINT_STORE_DIR": str(store_dir)})
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    open_app(page, f"{server.url}/present?deck={deck.id}&step=1")
    return server, context, page, deck


def test_presentation_mode_steps_with_the_keyboard(browser, fresh_server, tmp_path):
    server, context, page, deck = open_two_step_deck(browser, fresh_server, tmp_path, "Room deck",
                                                     ("First: a thaw", "Second: both hawkish"), "Open with the thaw")
    assert page.locator("h1").first.inner_text() == "First: a thaw"
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.locator('[data-testid="stHeader"]').is_visible()
    screenshot(page, "present-step-1")
    page.locator("h1").first.click()  # focus the page, not a widget
    page.keyboard.press("ArrowRight")
    wait_for_url(page, lambda q: q.get("step") == ["2"])
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    assert page.locator("h1").first.inner_text() == "Second: both hawkish"
    screenshot(page, "present-step-2")
    page.keyboard.press("ArrowLeft")
    wait_for_url(page, lambda q: q.get("step") == ["1"])
    context.close()


def test_download_a_chart_png_and_the_briefing_pack(page, app_server):
    open_app(page, f"{app_server}/?export_controls=65&self_reliance=55")
    page.get_by_text("Data and downloads (PNG, SVG, CSV)").first.click()
    page.locator('[data-testid="stDownloadButton"]').filter(has_text="PNG").first.wait_for()
    with page.expect_download() as png_download:
        page.locator('[data-testid="stDownloadButton"]').filter(has_text="PNG").first.click()
    png = png_download.value
    assert png.suggested_filename.endswith(".png")
    image = Image.open(png.path())
    assert image.format == "PNG"
    stamp = image.text[exports.STAMP_KEY]
    assert "export_controls=65, self_reliance=55" in stamp and "export_controls=65" in stamp.split("Link: ")[1]

    with page.expect_download(timeout=60000) as pack_download:
        page.locator('[data-testid="stDownloadButton"]').filter(has_text="Briefing pack (PPTX)").first.click()
    pack = pack_download.value
    assert pack.suggested_filename.endswith(".pptx")
    deck = Presentation(pack.path())
    assert len(deck.slides) == 5  # title, the scenario, assumptions, sources, links
    body = " ".join(s.text_frame.text for s in deck.slides[1].shapes if s.has_text_frame)
    assert "export_controls=65, self_reliance=55" in body


def test_downloads_after_a_slider_move_are_of_the_moved_scenario(page, app_server):
    """The landing page's CSV and pack buttons are drawn by the full run and not redrawn on a slider move
    (shell.split_page): what they make is the scenario on screen when they are clicked. Opened at 60, moved
    by the keyboard to 62 (a move reruns only the page's fragment), both files say 62, with 62's link."""
    import csv
    import io

    from .test_dashboard import move_export_controls

    open_app(page, f"{app_server}/?export_controls=60&self_reliance=40")
    move_export_controls(page, 2, 62)
    with page.expect_download(timeout=60000) as results:
        page.locator('[data-testid="stDownloadButton"]').filter(has_text="All results (CSV)").first.click()
    rows = list(csv.reader(io.StringIO(open(results.value.path(), newline="").read())))
    stamp = " ".join(row[1] for row in rows if row and row[0] == "#")
    assert "export_controls=62, self_reliance=40" in stamp, stamp
    assert "export_controls=62" in stamp.split("Link: ")[1] and "self_reliance=40" in stamp.split("Link: ")[1]
    with page.expect_download(timeout=90000) as pack_download:
        page.locator('[data-testid="stDownloadButton"]').filter(has_text="Briefing pack (PPTX)").first.click()
    deck = Presentation(pack_download.value.path())
    body = " ".join(s.text_frame.text for s in deck.slides[1].shapes if s.has_text_frame)
    assert "export_controls=62, self_reliance=40" in body and "export_controls=60" not in body
