"""WCAG 2.1 AA in a real browser, checked by axe-core on every page and mode; briefing mode to AAA contrast and
type for the back of the room.

axe-core is vendored (tests/e2e/vendor/axe-core: axe.min.js with its licence, MPL-2.0), so the tests need no
network. A check fails on any serious or critical finding, and on the structure rules a page must also pass
(headings in order, tables with headers); it prints each finding's rule, impact, target and summary. axe leaves
text over a chart undecided (Vega draws SVG over its own background), so chart text is measured here: each SVG
<text>'s computed size, colour and opacity against the page behind the chart.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlparse

import pytest

from chokepoint import MODEL_VERSION
from chokepoint.store import DuckDBStore
from chokepoint.ui.shell import PAGES

from .conftest import APP
from .harness import StreamlitServer, wait_for_app_idle

AXE_DIR = Path(__file__).resolve().parent / "vendor" / "axe-core"
AXE_JS = (AXE_DIR / "axe.min.js").read_text()

BLOCKING = {"serious", "critical"}
# Rules whose findings axe rates moderate or minor but that WCAG 1.3.1 (info and relationships) needs all the same.
STRUCTURE_RULES = {"heading-order", "empty-heading", "page-has-heading-one", "empty-table-header",
                   "th-has-data-cells", "td-headers-attr", "td-has-header", "scope-attr-valid"}
DATA_TOGGLE = "Data and downloads (PNG, SVG, CSV)"
PRESENT_MIN_PX = 18
AAA_RATIO = 7.0

ROUTES = {("" if default else Path(path).stem): title for path, title, _, default in PAGES}


# --- the checks ---------------------------------------------------------------------------------------------------

_AXE_RUN_JS = """
async (options) => {
  const result = await axe.run(document, options);
  return {version: axe.version, violations: result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), summary: n.failureSummary || ''}))}))};
}
"""


def axe(page, options: dict | None = None) -> tuple[str, list[dict]]:
    """axe-core's violations on the page as shown now: (axe version, violations)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE_JS)
    found = page.evaluate(_AXE_RUN_JS, options or {})
    return found["version"], found["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s)")
        for node in v["nodes"][:12]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}\n        {summary}")
    return "\n".join(lines)


def assert_aa(page, where: str) -> None:
    """No serious or critical axe finding, no structure finding, and chart text at AA contrast (4.5:1; 3:1 large)."""
    version, violations = axe(page)
    bad = [v for v in violations if v["impact"] in BLOCKING or v["id"] in STRUCTURE_RULES]
    chart, _ = chart_text_problems(page, None, 4.5, 3.0)
    report = (f"axe-core {version} found\n{describe(bad)}\n" if bad else "") + \
        ("chart text under AA contrast:\n    " + "\n    ".join(chart) if chart else "")
    assert not report, f"{where} ({page.url}): {report}"


def aaa_contrast_problems(page) -> list[dict]:
    _, violations = axe(page, {"runOnly": ["color-contrast-enhanced"]})
    return violations


# Every visible text node's computed font size. Material icons (a ligature drawn as a glyph, aria-hidden) are not
# text to read and are left out.
_SMALL_TEXT_JS = """
(minPx) => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest('[data-testid="stIconMaterial"], script, style, noscript')) continue;
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < minPx) {
      const id = el.closest('[data-testid]');
      small.push(size + 'px "' + text.slice(0, 60) + '" in ' + el.tagName.toLowerCase()
                 + (id ? ' (' + id.getAttribute('data-testid') + ')' : ''));
    }
  }
  return small;
}
"""

# Chart text, as the browser draws it: every <text> of each visible chart's SVG with its computed size, fill and
# opacity, blended over the nearest opaque background behind the chart. WCAG's thresholds: `ratio` for normal
# text, `largeRatio` for large text (24 px, or 18.66 px bold).
_CHART_TEXT_JS = """
([minPx, ratio, largeRatio]) => {
  const problems = [];
  const ctx = document.createElement('canvas').getContext('2d');
  const rgba = (colour) => {
    ctx.fillStyle = '#010203'; ctx.fillStyle = colour;  // the browser's own parse, as #rrggbb or rgba()
    const s = ctx.fillStyle;
    if (s.startsWith('#')) return [1, 3, 5].map(i => parseInt(s.slice(i, i + 2), 16)).concat([1]);
    return s.match(/[\\d.]+/g).map(Number);
  };
  const lum = ([r, g, b]) => [r, g, b].map(c => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
                                       .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const backdrop = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = rgba(getComputedStyle(node).backgroundColor);
      if (c[3] === 1) return c;
    }
    return [255, 255, 255, 1];
  };
  let texts = 0;
  const all = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'));
  const charts = all.filter(chart => chart.checkVisibility());
  charts.forEach((chart) => {
    const bg = backdrop(chart);
    for (const el of chart.querySelectorAll('svg text')) {
      const text = el.textContent.trim();
      if (!text || !el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
      texts++;
      const style = getComputedStyle(el);
      const fill = rgba(style.fill);
      let alpha = fill[3] * parseFloat(style.fillOpacity);
      for (let node = el; node && node !== chart; node = node.parentElement) alpha *= parseFloat(getComputedStyle(node).opacity);
      const shown = [0, 1, 2].map(i => alpha * fill[i] + (1 - alpha) * bg[i]);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight) >= 700);
      const need = large ? largeRatio : ratio;
      const measured = contrast(shown, bg);
      const group = el.closest('g[class*="role-"]');
      const role = group ? group.getAttribute('class').replace('mark-text ', '') : 'text';
      const where = 'chart ' + (all.indexOf(chart) + 1) + ' ' + role + ' "' + text.slice(0, 40) + '"';
      if (minPx !== null && size < minPx) problems.push(where + ': ' + size + 'px');
      if (measured < need) problems.push(where + ': contrast ' + measured.toFixed(2) + ':1, needs ' + need + ':1 ('
                                          + style.fill + ' at ' + alpha.toFixed(2) + ' on rgb(' + bg.slice(0, 3) + '))');
    }
  });
  return {problems: [...new Set(problems)], charts: charts.length, texts};
}
"""


def small_text(page, min_px: float = PRESENT_MIN_PX) -> list[str]:
    return page.evaluate(_SMALL_TEXT_JS, min_px)


def chart_text_problems(page, min_px: float | None, ratio: float, large_ratio: float) -> tuple[list[str], int]:
    """Chart text under `min_px` (None: no minimum) or under the contrast ratios: (problems, how many visible
    charts were checked)."""
    found = page.evaluate(_CHART_TEXT_JS, [min_px, ratio, large_ratio])
    if found["charts"] and not found["texts"]:
        return [f"{found['charts']} chart(s) but no SVG text found to check (does Vega still draw SVG?)"], 0
    return found["problems"], found["charts"]


def assert_present_mode_aaa(page, where: str) -> None:
    problems = []
    contrast = aaa_contrast_problems(page)
    if contrast:
        problems.append("AAA contrast (axe color-contrast-enhanced, 7:1):\n" + describe(contrast))
    small = small_text(page)
    if small:
        problems.append(f"text under {PRESENT_MIN_PX}px:\n    " + "\n    ".join(small))
    chart, checked = chart_text_problems(page, PRESENT_MIN_PX, AAA_RATIO, AAA_RATIO)
    if checked == 0:
        problems.append("no chart was found to check")
    if chart:
        problems.append(f"chart text under {PRESENT_MIN_PX}px or under {AAA_RATIO:g}:1:\n    " + "\n    ".join(chart))
    assert not problems, f"{where} ({page.url}):\n" + "\n".join(problems)


# --- the app, with a saved scenario and a deck ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def a11y_app(tmp_path_factory, inputs):
    """A server whose store holds a saved scenario, one saved under an older model and data (it opens with a
    table of saved and current numbers) and a two-step deck (the saved scenario and a preset)."""
    store_dir = tmp_path_factory.mktemp("a11y-store")
    store = DuckDBStore(store_dir / "scenarios.duckdb")
    saved, _ = store.save({"export_controls": 70, "self_reliance": 45}, "Briefing A", "For the Tuesday room",
                          MODEL_VERSION, inputs.data_version, {})
    old, _ = store.save({"export_controls": 35, "self_reliance": 85}, "Last year's view", "", "0.9", "olddata",
                        {"2028": {"nvidia_share": 0.5}})
    deck, _ = store.save_deck("Room deck", [
        {"ref": saved.id, "title": "First: the brief", "notes": "Open with the ask"},
        {"ref": "preset:Both sides hawkish", "title": "Second: both hawkish", "notes": ""}], MODEL_VERSION)
    store.close()
    with StreamlitServer(APP, env={"CHOKEPOINT_STORE_DIR": str(store_dir)}) as server:
        yield {"url": server.url, "scenario": saved.id, "old": old.id, "deck": deck.id}


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_for_app_idle(page, timeout_ms=90000, quiet_ms=400)


def show_each_tab(page):
    """Yields once per st.tabs tab, with that tab shown (the first one last, so the page is left as it opened)."""
    tabs = page.locator('[data-testid="stTabs"] [role="tab"]')
    for i in [*range(1, tabs.count()), 0] if tabs.count() else []:
        tabs.nth(i).click()
        wait_for_app_idle(page, timeout_ms=30000, quiet_ms=300)
        yield tabs.nth(i).inner_text()


def turn_on_data_toggles(page) -> int:
    """Turns on every visible "Data and downloads" toggle (key show-data::<kind>); returns how many."""
    count = 0
    toggles = page.locator('[data-testid="stCheckbox"]').filter(has_text=DATA_TOGGLE)
    while True:
        off = [toggle for toggle in toggles.all()
               if toggle.is_visible() and not toggle.locator('input[type="checkbox"]').is_checked()]
        if not off:
            return count
        assert count < 20, f"{len(off)} data toggles stay off after {count} clicks"  # a click that does nothing
        off[0].locator("label").click()  # what a user clicks (a forced click on the hidden input can miss)
        wait_for_app_idle(page, timeout_ms=60000, quiet_ms=300)
        count += 1


# --- the tests ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", list(ROUTES), ids=lambda r: r or "scenario")
def test_every_page_meets_wcag_aa_with_its_tabs_and_data_tables(page, a11y_app, route):
    open_page(page, f"{a11y_app['url']}/{route}")
    assert_aa(page, f"page {ROUTES[route]!r}")
    for tab in show_each_tab(page):
        assert_aa(page, f"page {ROUTES[route]!r}, tab {tab!r}")
    if turn_on_data_toggles(page):
        assert_aa(page, f"page {ROUTES[route]!r} with its data tables and downloads shown")
    if route == "":  # the sidebar's advanced levers and parameters, opened
        page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] summary').first.click()
        wait_for_app_idle(page, timeout_ms=30000, quiet_ms=300)
        assert_aa(page, "the sidebar with its advanced levers open")


@pytest.mark.parametrize("route", ["", "revenue_exposure", "library", "compare"], ids=lambda r: r or "scenario")
def test_pages_meet_wcag_aa_with_a_saved_scenario_open(page, a11y_app, route):
    query = f"scenario={a11y_app['scenario']}"
    if route == "compare":
        query += f"&compare={a11y_app['scenario']},{a11y_app['old']},preset:Détente"
    open_page(page, f"{a11y_app['url']}/{route}?{query}")
    assert "Briefing A" in page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    assert_aa(page, f"page {ROUTES[route]!r} with saved scenario 'Briefing A' open")


def test_a_scenario_saved_under_an_older_model_meets_wcag_aa(page, a11y_app):
    """It opens with a warning and a table of its saved and current numbers."""
    open_page(page, f"{a11y_app['url']}/?scenario={a11y_app['old']}")
    assert "Saved with model 0.9" in page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert_aa(page, "the Scenario page with a scenario saved under model 0.9 open")


PRESENT_MODES = {
    "present-now": "present?present=1&export_controls=80&self_reliance=35",
    "deck-step-1": "present?deck={deck}&step=1",
    "deck-step-2": "present?deck={deck}&step=2",
}


@pytest.mark.parametrize("mode", list(PRESENT_MODES))
def test_briefing_mode_meets_aa_and_aaa_contrast_with_large_type(browser, a11y_app, mode):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page = context.new_page()
        open_page(page, f"{a11y_app['url']}/" + PRESENT_MODES[mode].format(deck=a11y_app["deck"]))
        assert not page.locator('[data-testid="stSidebar"]').is_visible()  # present mode, not the builder
        assert_aa(page, f"briefing mode ({mode})")
        assert_present_mode_aaa(page, f"briefing mode ({mode})")
        notes = page.locator('[data-testid="stMainBlockContainer"] [data-testid="stExpander"] summary')
        if notes.count():
            notes.first.click()
            wait_for_app_idle(page, timeout_ms=30000, quiet_ms=300)
            assert_aa(page, f"briefing mode ({mode}) with its speaker notes open")
            assert_present_mode_aaa(page, f"briefing mode ({mode}) with its speaker notes open")
    finally:
        context.close()


def test_the_checks_fail_on_low_contrast_small_type_and_skipped_headings(browser, a11y_app):
    """The checks above can fail: captions made #bbbbbb (1.9:1 on white) are a serious color-contrast finding; an
    h4 straight under the h1 fails the structure rules; in briefing mode, 14 px captions and a #949494 title (3:1:
    AA for its size, not AAA) are reported."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        open_page(page, f"{a11y_app['url']}/methodology")
        page.add_style_tag(content='[data-testid="stCaptionContainer"] { color: #bbbbbb !important; opacity: 1 !important; }')
        with pytest.raises(AssertionError) as failed:
            assert_aa(page, "methodology with grey captions")
        report = str(failed.value)
        assert "color-contrast (serious)" in report and "stCaptionContainer" in report and "#bbbbbb" in report, report

        open_page(page, f"{a11y_app['url']}/library")
        page.evaluate("""() => { const h = document.createElement('h4'); h.textContent = 'Skipped to h4';
                                 document.querySelector('[data-testid="stMainBlockContainer"]').append(h); }""")
        with pytest.raises(AssertionError, match="heading-order"):
            assert_aa(page, "library with an h4 under its h1")

        open_page(page, f"{a11y_app['url']}/present?present=1")
        page.add_style_tag(content='html body [data-testid="stCaptionContainer"] p { font-size: 14px !important; }'
                                   'h1 { color: #949494 !important; }')  # 3:1: AA for large text, not AAA
        with pytest.raises(AssertionError) as failed:
            assert_present_mode_aaa(page, "briefing mode with a small caption and a grey title")
        report = str(failed.value)
        assert "color-contrast-enhanced" in report and "foreground color: #949494" in report, report
        assert "text under 18px" in report and "14px" in report, report
    finally:
        context.close()


def test_the_chart_text_check_fails_on_small_grey_labels(browser, a11y_app):
    """Chart text under 18 px or under the contrast needed is reported: axis labels made 11 px and #999999 on a
    briefing slide, and legend labels #aaaaaa on the Scenario page (2.3:1, under AA)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page = context.new_page()
        open_page(page, f"{a11y_app['url']}/present?present=1")
        problems, checked = chart_text_problems(page, PRESENT_MIN_PX, AAA_RATIO, AAA_RATIO)
        assert checked == 1 and not problems, problems
        page.add_style_tag(content='[data-testid="stVegaLiteChart"] .role-axis-label text '
                                   '{ font-size: 11px !important; fill: #999999 !important; }')
        problems, _ = chart_text_problems(page, PRESENT_MIN_PX, AAA_RATIO, AAA_RATIO)
        assert any("role-axis-label" in p and "11px" in p for p in problems), problems
        assert any("role-axis-label" in p and "contrast 2.85:1" in p for p in problems), problems

        open_page(page, f"{a11y_app['url']}/")
        page.add_style_tag(content='[data-testid="stVegaLiteChart"] .role-legend-label text '
                                   '{ fill: #aaaaaa !important; fill-opacity: 1 !important; }')
        with pytest.raises(AssertionError, match=r"role-legend-label .*contrast 2\.32:1, needs 4\.5:1"):
            assert_aa(page, "the Scenario page with pale legend labels")
    finally:
        context.close()


def follow(page, link):
    """Clicks a link and returns the page it opened: a new tab, or this one."""
    before = len(page.context.pages)
    start = page.url
    link.click()
    for _ in range(100):
        if len(page.context.pages) > before:
            opened = page.context.pages[-1]
            break
        if page.url != start:
            opened = page
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"clicking {link} opened nothing")
    opened.wait_for_load_state()
    wait_for_app_idle(opened, timeout_ms=90000, quiet_ms=400)
    return opened


def repeated_keys(address: str) -> list[str]:
    return [key for key, n in Counter(key for key, _ in parse_qsl(urlparse(address).query)).items() if n > 1]


def test_the_present_link_names_each_setting_once(page, a11y_app):
    """The Scenario page's Present link carries the whole scenario (levers, reference and year), each key once,
    and opens briefing mode on it with no complaint about the address, both followed and read as an address."""
    open_page(page, f"{a11y_app['url']}/?export_controls=80&self_reliance=35&year=2030&hbm_controls=55"
                    "&reference=D%C3%A9tente")
    link = page.get_by_role("link", name="Present", exact=True)
    href = link.get_attribute("href")
    assert not repeated_keys(href), f"the Present link repeats {repeated_keys(href)}: {href}"
    opened = follow(page, link)
    assert urlparse(opened.url).path == "/present"
    assert not repeated_keys(opened.url), f"following Present opened an address repeating " \
                                          f"{repeated_keys(opened.url)}: {opened.url}"
    assert dict(parse_qsl(urlparse(href).query)) == {
        "present": "1", "export_controls": "80", "self_reliance": "35", "hbm_controls": "55", "year": "2030",
        "reference": "Détente"}, href
    for shown in (opened, page):
        if shown is page:  # the same address opened afresh, as a copied link is
            open_page(page, urljoin(opened.url, href))
        warnings = shown.locator('[data-testid="stAlertContentWarning"]')
        assert not warnings.count(), warnings.all_inner_texts()
        caption = shown.locator('[data-testid="stCaptionContainer"]').last.inner_text()
        assert "export_controls=80" in caption and "hbm_controls=55" in caption and "Détente" in caption, caption

    open_page(page, f"{a11y_app['url']}/?scenario={a11y_app['scenario']}")
    pairs = parse_qsl(urlparse(page.get_by_role("link", name="Present", exact=True).get_attribute("href")).query)
    assert len(pairs) == len(dict(pairs)) and dict(pairs)["export_controls"] == "70", pairs
