"""Issue 14, item 1: a scenario named with U+FFFF took the whole server down when its chart was exported
(vl-convert panics on text XML cannot hold, and the Rust panic aborts the Streamlit process).

In a real browser on a fresh server: the Save form strips such characters and says so; a row saved before
that fix (written here with the old cleaning rules) still opens, and its PNG, SVG and briefing-pack downloads
arrive while the server stays up.
"""
import unicodedata
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlparse

from PIL import Image
from pptx import Presentation

from chokepoint import MODEL_VERSION
from chokepoint import store as store_module
from chokepoint.store import DuckDBStore
from chokepoint.store import records as store_records

from .harness import screenshot, wait_for_app_idle
from .test_dashboard import open_app, wait_for_url

HOSTILE = "bad\uffffchar\ufffe"
DOWNLOAD_TIMEOUT_MS = 60000


def _old_clean(text, field, keep_newlines):
    """store._clean before the fix: it removed control characters and lone surrogates only."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not keep_newlines:
        text = text.replace("\n", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()


def _assert_alive(server, when):
    code = server.process.poll() if server.process is not None else "stopped"
    assert code is None, f"the Streamlit server exited ({code}) {when}; log: {server.log_path}"
    with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=10) as response:
        assert response.read().decode().strip() == "ok", f"health check failed {when}"


def _download(page, server, label, what):
    button = page.locator('[data-testid="stDownloadButton"]').filter(has_text=label).first
    button.wait_for()
    try:
        with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as download:
            button.click()
        return download.value
    except Exception:
        _assert_alive(server, f"after clicking {label} ({what})")  # the likely cause, stated plainly
        raise


def test_save_strips_a_hostile_name_and_an_old_hostile_row_exports_without_killing_the_server(
        page, fresh_server, tmp_path, monkeypatch):
    store_dir = tmp_path / "store"
    server = fresh_server(env={"CHOKEPOINT_STORE_DIR": str(store_dir)})

    # 1. The Save form: the characters are removed, the user is told which, the scenario is saved.
    open_app(page, f"{server.url}/?export_controls=65&self_reliance=55")
    page.get_by_role("button", name="Save this scenario").click()
    page.get_by_label("Name", exact=True).fill(HOSTILE)
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Save", exact=True).click()
    wait_for_url(page, lambda q: "scenario" in q, timeout_ms=30000)
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    notice = page.locator('[data-testid="stSidebar"] [data-testid="stAlertContentSuccess"]').first.inner_text()
    assert "Saved." in notice and "U+FFFF (noncharacter)" in notice and "U+FFFE (noncharacter)" in notice
    saved_id = parse_qs(urlparse(page.url).query)["scenario"][0]
    check = DuckDBStore(store_dir / store_module.STORE_FILE)
    assert check.get(saved_id).name == "badchar"
    check.close()
    screenshot(page, "hostile-name-saved")

    # 2. A row saved before the fix, with the hostile name as it was stored then.
    monkeypatch.setattr(store_records, "_clean", _old_clean)  # where the store's cleaning lives since the split
    old_store = DuckDBStore(store_dir / store_module.STORE_FILE)
    old, created = old_store.save({"export_controls": 40, "self_reliance": 70}, HOSTILE, f"note {HOSTILE}",
                                  MODEL_VERSION, "x", {})
    old_store.close()
    monkeypatch.undo()
    assert created and old.name == HOSTILE and old.note == f"note {HOSTILE}"

    open_app(page, f"{server.url}/?scenario={old.id}")
    banner = page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    assert "Saved scenario: bad" in banner
    page.get_by_text("Data and downloads (PNG, SVG, CSV)").first.click()

    png = _download(page, server, "PNG", "chart PNG")
    assert png.suggested_filename.endswith(".png")
    image = Image.open(png.path())
    assert image.format == "PNG" and image.width >= 760
    _assert_alive(server, "after the PNG download")

    svg = _download(page, server, "SVG", "chart SVG")
    assert svg.suggested_filename.endswith(".svg")
    ET.parse(svg.path())  # well-formed XML
    _assert_alive(server, "after the SVG download")

    pack = _download(page, server, "Briefing pack (PPTX)", "briefing pack")
    assert len(Presentation(pack.path()).slides) >= 3
    _assert_alive(server, "after the briefing-pack download")

    # 3. The server still serves: a fresh load of the same link works.
    open_app(page, f"{server.url}/?scenario={old.id}")
    assert page.locator('[data-testid="stMetricValue"]').count() > 0
    assert "Saved scenario: bad" in page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    _assert_alive(server, "at the end")
    screenshot(page, "hostile-name-exported")
