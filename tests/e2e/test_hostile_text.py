"""Issue 14: hostile names, notes, deck titles and links show as typed on every page, in the exports and in the
packs, and the browser requests nothing from another host (every request is intercepted).

One server, its store seeded with a scenario per payload (tests/e2e/hostile.py: Markdown image and link, HTML,
LaTeX, emoji and icon shortcodes, a setext heading, typographic pairs, backslashes, bare addresses, a
text-direction override, zero-width characters, U+FFFF, NUL, CJK, a spreadsheet formula, 10,000 characters)
and a deck whose titles and notes are payloads.
"""
from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from pptx import Presentation

from chokepoint import MODEL_VERSION
from chokepoint.store import DuckDBStore, NAME_MAX, NOTE_MAX

from .harness import StreamlitServer, screenshot, wait_for_app_idle
from .hostile import EVIL_HOST, PAYLOADS, OutsideRequests, as_shown, problems, squash
from .test_dashboard import PAGES, open_app, wait_for_url
from .conftest import APP

ALL_PAGES = [*PAGES, "present"]
DOWNLOAD_TIMEOUT_MS = 90000


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    store_dir = tmp_path_factory.mktemp("hostile-store")
    store = DuckDBStore(store_dir / "scenarios.duckdb")
    records = {}
    for number, (kind, text) in enumerate(PAYLOADS.items()):
        record, _ = store.save({"export_controls": 3 + number * 5, "self_reliance": 33},
                               text.replace("\n", " ")[:NAME_MAX], text[:NOTE_MAX], MODEL_VERSION, "x", {})
        records[kind] = record
    steps = [{"ref": record.id, "title": record.name, "notes": record.note} for record in records.values()][:12]
    deck, _ = store.save_deck(PAYLOADS["link"], steps, MODEL_VERSION)
    store.close()
    with StreamlitServer(APP, env={"CHOKEPOINT_STORE_DIR": str(store_dir)}) as server:
        yield server, records, deck


@pytest.fixture
def guarded(browser, seeded):
    server, _, _ = seeded
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    outside = OutsideRequests(context, server.url)
    page = context.new_page()
    yield page, outside
    context.close()


def _text(page) -> str:
    return squash(page.locator("body").inner_text())


def _check(page, outside, where: str) -> None:
    found = problems(page, outside)
    if found:
        screenshot(page, "hostile-" + "".join(c if c.isalnum() else "_" for c in where)[:60])
    assert not found, f"{where}: {found}"


def test_saved_names_and_notes_show_as_typed_where_a_link_opens_them(guarded, seeded):
    page, outside = guarded
    server, records, _ = seeded
    for kind, record in records.items():
        open_app(page, f"{server.url}/?scenario={record.id}")
        banner = squash(page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text())
        assert f"Saved scenario: {squash(record.name)} · saved" in banner, (kind, banner[:300])
        assert squash(record.note) in banner, kind
        assert squash(record.name) in squash(page.get_by_text("Scenario: ").first.inner_text()), kind
        _check(page, outside, f"scenario {kind}")


def test_the_library_and_its_search_show_names_as_typed(guarded, seeded):
    page, outside = guarded
    server, records, _ = seeded
    open_app(page, f"{server.url}/library")
    text = _text(page)
    for kind, record in records.items():
        assert squash(record.name) in text and squash(record.note[:300]) in text, kind
    _check(page, outside, "library")
    for kind in ("link", "latex", "cjk", "emoji"):
        search = page.get_by_label("Search by name")
        search.fill(PAYLOADS[kind])
        search.press("Enter")
        wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
        cards = squash(page.locator('[data-testid="stMain"]').inner_text())
        assert squash(records[kind].name) in cards, kind
        _check(page, outside, f"library search {kind}")


def test_compare_shows_names_and_unknown_tokens_as_typed(guarded, seeded):
    page, outside = guarded
    server, records, _ = seeded
    kinds = list(records)
    for start in range(0, len(kinds), 4):
        group = [records[k] for k in (kinds[start:start + 4] if start + 1 < len(kinds) else kinds[-2:])]
        unknown = [PAYLOADS["image"], PAYLOADS["link"], PAYLOADS["long"]]
        tokens = ",".join([*(r.id for r in group), *unknown])
        open_app(page, f"{server.url}/compare?compare={quote(tokens, safe='')}")
        takeaways = squash(" ".join(page.locator('[data-testid="stMarkdownContainer"]')
                                    .filter(has_text="Takeaway:").all_inner_texts()))
        for record in group:
            assert squash(record.name) in takeaways, record.name[:40]
        warning = squash(page.locator('[data-testid="stAlertContentWarning"]').first.inner_text())
        assert f"“{as_shown(PAYLOADS['image'])}”" in warning and "“" + "L" * 40 + "…”" in warning
        _check(page, outside, f"compare {start}")


def test_a_deck_of_hostile_titles_presents_them_as_typed(guarded, seeded):
    page, outside = guarded
    server, records, deck = seeded
    open_app(page, f"{server.url}/present")
    text = _text(page)
    assert squash(deck.title) in text and all(squash(step.title) in text for step in deck.steps)
    _check(page, outside, "briefing builder")
    for number, step in enumerate(deck.steps, 1):
        open_app(page, f"{server.url}/present?deck={deck.id}&step={number}")
        assert squash(page.locator("h1").first.inner_text()) == squash(step.title), number
        assert squash(deck.title) in _text(page)
        notes = page.get_by_text("Speaker notes")
        if notes.count():
            notes.first.click()
            page.wait_for_timeout(200)
            assert squash(step.notes) in _text(page), number
        _check(page, outside, f"present step {number}")


def _link_for(page_path: str, turn: int) -> tuple[str, list[str]]:
    """A link to `page_path` with payloads as an unknown key and as the values of export_controls, reference,
    year and scenario (a different payload in each place on each page), and what its notice must show."""
    values = list(PAYLOADS.values())
    key, lever, reference, year, scenario = (values[(turn + i * 3) % len(values)] for i in range(5))
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in
                     ((key, "1"), ("export_controls", lever), ("reference", reference), ("year", year),
                      ("scenario", scenario)))

    def shown(text: str, limit: int) -> str:
        return f"“{as_shown(text[:limit])}{'…' if len(text) > limit else ''}”"

    expected = [shown(key, 30), shown(f"export_controls={lever}", 46), shown(f"reference={reference}", 40),
                shown(f"year={year}", 35)]
    return f"/{page_path}?{query}", expected


@pytest.mark.parametrize("turn,page_path", list(enumerate(ALL_PAGES)))
def test_hostile_links_on_every_page_show_as_typed_in_the_notice(guarded, seeded, turn, page_path):
    page, outside = guarded
    server, _, _ = seeded
    path, expected = _link_for(page_path, turn)
    open_app(page, server.url + path)
    notice = squash(page.locator('[data-testid="stAlertContentWarning"]').first.inner_text())
    assert "Some settings in this link could not be used" in notice, notice[:200]
    for part in expected:
        assert squash(part) in notice, (part, notice[:600])
    _check(page, outside, f"link on {page_path or 'scenario'}")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _download(page, label: str):
    button = page.locator('[data-testid="stDownloadButton"]').filter(has_text=label).first
    button.wait_for()
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as download:
        button.click()
    return download.value


def test_exports_and_packs_of_a_hostile_scenario(guarded, seeded):
    page, outside = guarded
    server, records, _ = seeded
    record = records["formula"]
    open_app(page, f"{server.url}/?scenario={record.id}")
    rows = list(csv.reader(io.StringIO(open(_download(page, "All results (CSV)").path(), newline="").read())))
    stamp = [row for row in rows if row and row[0] == "#"]
    assert len(stamp) == 5 and all(len(row) == 2 for row in stamp)
    assert stamp[0][1] == f"Scenario results: {record.name}"  # the name whole, in one quoted cell
    assert stamp[-1][1].startswith(f"Link: {server.url}/?scenario={record.id}")
    assert not [cell for row in rows for cell in row
                if cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not _is_number(cell)]

    cjk = records["cjk"]
    open_app(page, f"{server.url}/?scenario={cjk.id}")
    deck = Presentation(_download(page, "Briefing pack (PPTX)").path())
    first = " ".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame)
    assert cjk.name in first
    links = " ".join(s.text_frame.text for s in deck.slides[-1].shapes if s.has_text_frame)
    assert f"{server.url}/?scenario={cjk.id}" in links  # absolute: it works outside the app
    from pypdf import PdfReader
    handout = " ".join(p.extract_text() for p in PdfReader(_download(page, "Handout (PDF)").path()).pages)
    assert cjk.name in handout and f"{server.url}/?scenario={cjk.id}" in handout
    _check(page, outside, "exports")


def test_already_saved_as_shows_the_first_name_as_typed(guarded, seeded):
    page, outside = guarded
    server, records, _ = seeded
    record = records["image"]
    settings = "&".join(f"{k}={v:g}" for k, v in record.settings.items())
    open_app(page, f"{server.url}/?{settings}")
    page.get_by_role("button", name="Save this scenario").click()
    page.get_by_label("Name", exact=True).fill("Another name")
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Save", exact=True).click()
    wait_for_url(page, lambda q: q.get("scenario") == [record.id], timeout_ms=30000)
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    message = page.locator('[data-testid="stSidebar"] [data-testid="stAlertContentSuccess"]').first.inner_text()
    assert f"already saved as “{record.name}”" in squash(message)
    _check(page, outside, "already saved as")
    assert EVIL_HOST in record.name
