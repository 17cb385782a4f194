"""Keyboard only (WCAG 2.1.1, 2.4.3, 2.4.7): every action of the app done in Chromium with the keyboard alone
(page.keyboard: Tab / Shift+Tab to reach a control, then the keys a person would press), checking where the
focus is (document.activeElement), that the address or the page changed as it should, and that the focused
control shows a focus ring (a computed outline or box-shadow on it or on the visible part of it).

Never a mouse click, never locator.focus(): a control counts as reachable only if Tab gets there."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from chokepoint import MODEL_VERSION
from chokepoint.params import HEADLINE_LEVERS
from chokepoint.store import DuckDBStore

from .harness import assert_page_healthy, wait_for_app_idle
from .test_briefing import open_two_step_deck
from .test_dashboard import open_app, query, slider_value, wait_for_url

# What has focus, and the focus ring drawn for it: on the focused element or, for a control whose focusable
# part is visually hidden (a slider's range input inside its thumb, a switch's checkbox inside its label), on
# the nearest visible element around it. Visible: rendered, not transparent, at least 6 px each way. A ring:
# an outline (style not none, at least 1 px, colour not transparent) or a box-shadow with a colour that is not
# transparent.
_FOCUS_JS = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: 'BODY', ring: null};
  const opaque = (c) => !!c && c !== 'transparent' && !/rgba\([^)]*,\s*0\)$/.test(c);
  const ringOf = (node) => {
    const s = getComputedStyle(node);
    if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1 && opaque(s.outlineColor))
      return 'outline ' + s.outlineWidth + ' ' + s.outlineStyle + ' ' + s.outlineColor;
    if (s.boxShadow && s.boxShadow !== 'none') {
      const colours = s.boxShadow.match(/rgba?\([^)]*\)/g) || [];
      if (colours.some(opaque)) return 'box-shadow ' + s.boxShadow;
    }
    return null;
  };
  const visible = (node) => {
    const r = node.getBoundingClientRect();
    return r.width >= 6 && r.height >= 6 &&
      node.checkVisibility({opacityProperty: true, visibilityProperty: true});
  };
  let ring = null, holder = null;
  const candidates = [];
  for (let n = el, depth = 0; n && depth < 5; n = n.parentElement, depth++) candidates.push(n);
  for (const n of candidates) {
    if (!visible(n)) continue;
    const found = ringOf(n);
    if (found) { ring = found; holder = n.tagName + (n.getAttribute('data-testid') ? '.' + n.getAttribute('data-testid') : ''); break; }
  }
  const box = el.closest('[data-testid]');
  return {
    tag: el.tagName, role: el.getAttribute('role'), type: el.getAttribute('type'),
    label: el.getAttribute('aria-label') || '', text: (el.innerText || '').trim().replace(/\s+/g, ' ').slice(0, 80),
    testid: box ? box.getAttribute('data-testid') : null, checked: el.checked === undefined ? null : el.checked,
    expanded: el.getAttribute('aria-expanded'), value: el.value === undefined ? null : el.value,
    ring, holder,
  };
}
"""


def focused(page) -> dict:
    info = page.evaluate(_FOCUS_JS)
    return {"label": "", "text": "", "testid": None, "role": None, **info}


def describe(info: dict) -> str:
    return f"{info.get('tag')} {info.get('label') or info.get('text')!r} ({info.get('testid')})"


def tab_to(page, matches, limit: int = 120, back: bool = False) -> dict:
    """Press Tab (Shift+Tab when `back`) until the focused element matches; its description. Fails if `limit`
    presses never get there (the control is not reachable by keyboard)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        info = focused(page)
        if matches(info):
            return info
        seen.append(describe(info))
    raise AssertionError(f"not reached with {'Shift+Tab' if back else 'Tab'} in {limit} presses; went: {seen}")


def labelled(label: str):
    return lambda info: info.get("label") == label


def button(text: str):
    """A button by its label, after its icon and before the shortcut hint Streamlit writes after it (e.g. "Esc")."""
    return lambda info: info.get("tag") == "BUTTON" and (info["text"].endswith(text) or f"{text} " in info["text"])


def assert_ring(info: dict) -> None:
    assert info["ring"], f"no visible focus ring on {describe(info)}"


def settle(page) -> None:
    """Wait for the rerun a key started (it starts 20-30 ms after the key) and for the page to be idle."""
    page.wait_for_timeout(150)
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)


def lever(page, name: str) -> int:
    """A headline lever's value: from the address, or its default when the address leaves it out."""
    return int(float(query(page).get(name, [HEADLINE_LEVERS[name].default])[0]))


def press_on_slider(page, key: str, name: str, expected: int) -> None:
    page.keyboard.press(key)
    wait_for_url(page, lambda q: int(float(q.get(name, [HEADLINE_LEVERS[name].default])[0])) == expected)
    settle(page)
    assert focused(page)["label"] == HEADLINE_LEVERS[name].label, "the slider lost focus after its rerun"


# ------------------------------------------------------------------------------------------------ the levers


def test_both_levers_presets_reset_and_advanced_levers_by_keyboard(page, app_server):
    open_app(page, f"{app_server}/?export_controls=40&self_reliance=60")

    info = tab_to(page, labelled("US export controls"))
    assert info["tag"] == "INPUT" and info["type"] == "range"
    assert_ring(info)
    press_on_slider(page, "ArrowRight", "export_controls", 41)
    press_on_slider(page, "ArrowLeft", "export_controls", 40)
    press_on_slider(page, "PageUp", "export_controls", 50)
    press_on_slider(page, "PageDown", "export_controls", 40)
    press_on_slider(page, "End", "export_controls", 100)
    press_on_slider(page, "Home", "export_controls", 0)
    assert slider_value(page, "US export controls") == 0

    info = tab_to(page, labelled("China self-reliance push"), limit=4)
    assert_ring(info)
    press_on_slider(page, "ArrowUp", "self_reliance", 61)
    press_on_slider(page, "ArrowDown", "self_reliance", 60)
    press_on_slider(page, "PageDown", "self_reliance", 50)
    press_on_slider(page, "End", "self_reliance", 100)
    press_on_slider(page, "Home", "self_reliance", 0)
    assert slider_value(page, "China self-reliance push") == 0

    # a preset, with Enter
    info = tab_to(page, button("Both sides hawkish"), limit=10)
    assert_ring(info)
    page.keyboard.press("Enter")
    wait_for_url(page, lambda q: q.get("export_controls") == ["100"] and q.get("self_reliance") == ["100"])
    settle(page)
    assert slider_value(page, "US export controls") == 100
    assert focused(page)["text"].endswith("Both sides hawkish"), describe(focused(page))

    # reset, with Space
    info = tab_to(page, button("Reset to defaults"), limit=10)
    assert_ring(info)
    page.keyboard.press("Space")
    wait_for_url(page, lambda q: lever(page, "export_controls") == HEADLINE_LEVERS["export_controls"].default
                 and lever(page, "self_reliance") == HEADLINE_LEVERS["self_reliance"].default)
    settle(page)
    assert slider_value(page, "US export controls") == HEADLINE_LEVERS["export_controls"].default

    # the advanced levers: open the expander, type a level, Enter
    info = tab_to(page, lambda i: i["tag"] == "SUMMARY" and i["text"].endswith("Advanced levers"), limit=15)
    assert_ring(info)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.locator("details").filter(has_text="Advanced levers").first.get_attribute("open") is not None
    info = tab_to(page, labelled("Chip-control level (0–100)"), limit=4)
    assert_ring(info)
    page.keyboard.type("40")
    page.keyboard.press("Enter")
    wait_for_url(page, lambda q: q.get("chip_controls") == ["40"])
    settle(page)
    assert focused(page)["label"] == "Chip-control level (0–100)"
    # and back out of it: select the text, delete it, Enter
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    wait_for_url(page, lambda q: "chip_controls" not in q)
    settle(page)
    assert_page_healthy(page)


# ------------------------------------------------------------------------------------------------ the charts


_CHART_JS = """
(index) => {
  const chart = document.querySelectorAll('[data-testid="stVegaLiteChart"]')[index];
  const id = chart.getAttribute('aria-describedby');
  const description = id && document.getElementById(id);
  // every keyboard stop, in order; which is the first after the chart's own element (its toolbar included)
  const stops = Array.from(document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]'))
    .filter(e => e.tabIndex >= 0 && !e.disabled && e.checkVisibility());
  const box = chart.closest('[data-testid="stElementContainer"]');
  const after = stops.find(e => box.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING && !box.contains(e));
  return {label: chart.getAttribute('aria-label'), description: description ? description.innerText.trim() : null,
          next_stop: after ? (after.getAttribute('aria-label') || after.innerText) : null};
}
"""


def takeaways(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text="Takeaway:").all_inner_texts()]


def test_each_chart_is_described_by_its_current_takeaway_and_its_table_is_one_key_away(page, app_server):
    open_app(page, f"{app_server}/?export_controls=30&self_reliance=60")
    first = page.evaluate(_CHART_JS, 0)
    assert first["label"].startswith("Chart: ")
    assert first["description"] == takeaways(page)[0], first
    assert first["next_stop"] == "Data and downloads (PNG, SVG, CSV)", first

    # the description follows the scenario: move a lever with the keyboard, the description is the new takeaway
    tab_to(page, labelled("US export controls"))
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    wait_for_url(page, lambda q: q.get("export_controls") == ["70"])
    settle(page)
    moved = page.evaluate(_CHART_JS, 0)
    assert moved["description"] == takeaways(page)[0] != first["description"], (first, moved)
    assert moved["label"] == first["label"], "the chart's name (its spec) changed with the scenario"
    second = page.evaluate(_CHART_JS, 1)
    assert second["description"] == takeaways(page)[1]

    # keyboard only: the chart's toolbar shows while a key has focus in it, and the next Tab is the data toggle
    info = tab_to(page, lambda i: i["label"].startswith("Show data: Chart: "))
    assert_ring(info)
    info = tab_to(page, labelled("Data and downloads (PNG, SVG, CSV)"), limit=4)
    assert info["role"] == "switch" and info["checked"] is False
    assert_ring(info)
    tables_before = page.locator('[data-testid="stDataFrame"]').count()
    page.keyboard.press("Space")
    settle(page)
    info = focused(page)
    assert info["label"] == "Data and downloads (PNG, SVG, CSV)" and info["checked"] is True, describe(info)
    assert page.locator('[data-testid="stDataFrame"]').count() == tables_before + 1
    # and the downloads it opens are keyboard stops with rings too
    info = tab_to(page, button("PNG"), limit=3)
    assert_ring(info)
    assert_page_healthy(page)


# ------------------------------------------------------------------------------------ save, library, compare


def test_save_copy_the_link_open_it_from_the_library_and_archive_it(browser, fresh_server):
    server = fresh_server()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    open_app(page, f"{server.url}/?export_controls=70&self_reliance=45")

    info = tab_to(page, lambda i: i["testid"] == "stPopoverButton" and "Save this scenario" in i["text"])
    assert_ring(info)
    page.keyboard.press("Enter")
    page.locator('[data-testid="stPopoverBody"]').wait_for(state="visible")
    assert focused(page)["expanded"] == "true"
    # Streamlit draws the popover's fields at the end of the page: Tab reaches them after the page's controls
    info = tab_to(page, labelled("Name"), limit=60)
    assert_ring(info)
    page.keyboard.type("Keyboard brief")
    info = tab_to(page, button("Save"), limit=4)
    assert_ring(info)
    page.keyboard.press("Enter")
    wait_for_url(page, lambda q: "scenario" in q, timeout_ms=20000)
    settle(page)
    scenario_id = query(page)["scenario"][0]

    # the permanent link's copy button
    code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first
    link = code.inner_text().strip()
    assert link.endswith(f"/?scenario={scenario_id}")
    tab_to(page, lambda i: i["testid"] == "stCode" and i["text"] == link, back=True, limit=150)
    info = tab_to(page, labelled("Copy to clipboard"), limit=1)
    assert_ring(info)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate("() => navigator.clipboard.readText()") == link

    # the Library, through the page menu
    info = tab_to(page, lambda i: i["testid"] == "stSidebarNavLink" and i["text"].endswith("Library"), back=True)
    assert_ring(info)
    page.keyboard.press("Enter")
    wait_for_url(page, lambda q: True)
    settle(page)
    assert urlparse(page.url).path == "/library"
    tab_to(page, lambda i: i["testid"] == "stPageLink-NavLink" and i["text"].endswith("Open"))
    page.keyboard.press("Enter")  # its ring: test_focus_rings_on_the_pages_without_a_chart
    wait_for_url(page, lambda q: q.get("scenario") == [scenario_id])
    settle(page)
    assert urlparse(page.url).path == "/"
    assert slider_value(page, "US export controls") == 70
    assert "Keyboard brief" in page.locator('[data-testid="stMain"] [data-testid="stAlertContentSuccess"]').first.inner_text()

    tab_to(page, lambda i: i["testid"] == "stSidebarNavLink" and i["text"].endswith("Library"))
    page.keyboard.press("Enter")
    settle(page)
    info = tab_to(page, button("Archive"))
    assert_ring(info)
    page.keyboard.press("Enter")
    settle(page)
    assert page.get_by_text("No saved scenarios yet").count() == 1  # archived: hidden from the list
    assert_page_healthy(page)
    context.close()


def test_compare_picks_with_the_keyboard(page, app_server):
    open_app(page, f"{app_server}/compare")
    assert query(page)["compare"] == ["preset:As announced for 2026,preset:2024 regime frozen"]
    tab_to(page, lambda i: i["role"] == "combobox" and "Scenarios" in i["label"])
    page.keyboard.type("Détente")  # its ring: test_focus_rings_on_the_pages_without_a_chart
    page.keyboard.press("Enter")
    wait_for_url(page, lambda q: q.get("compare", [""])[0].endswith(",preset:Détente"))
    settle(page)
    page.keyboard.press("Escape")  # close the list; the field keeps focus
    assert focused(page)["role"] == "combobox", describe(focused(page))
    page.keyboard.press("Backspace")  # in the empty field: removes the last pick
    wait_for_url(page, lambda q: q.get("compare") == ["preset:As announced for 2026,preset:2024 regime frozen"])
    settle(page)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 2
    assert_page_healthy(page)


def test_focus_rings_on_the_pages_without_a_chart(page, fresh_server, tmp_path):
    store = DuckDBStore(tmp_path / "store" / "scenarios.duckdb")
    store.save({"export_controls": 55, "self_reliance": 65}, "Ringed", "", MODEL_VERSION, "x", {})
    store.close()
    server = fresh_server(env={"CHOKEPOINT_STORE_DIR": str(tmp_path / "store")})
    open_app(page, f"{server.url}/library")
    assert_ring(tab_to(page, lambda i: i["testid"] == "stPageLink-NavLink" and i["text"].endswith("Open")))
    open_app(page, f"{server.url}/compare")
    assert_ring(tab_to(page, lambda i: i["role"] == "combobox" and "Scenarios" in i["label"]))


# ------------------------------------------------------------------------------------------------ briefing mode


def test_present_steps_with_the_arrow_keys_and_escape_leaves(browser, fresh_server, tmp_path):
    server, context, page, _ = open_two_step_deck(browser, fresh_server, tmp_path, "Keys deck", ("One", "Two"))
    assert page.locator("h1").first.inner_text() == "One"
    page.keyboard.press("ArrowRight")
    wait_for_url(page, lambda q: q.get("step") == ["2"])
    settle(page)
    assert page.locator("h1").first.inner_text() == "Two"
    page.keyboard.press("ArrowLeft")
    wait_for_url(page, lambda q: q.get("step") == ["1"])
    settle(page)
    # the step buttons and the way out are keyboard stops with rings
    for name in ("Next ▶", "Leave: Briefing mode"):
        assert_ring(tab_to(page, button(name), limit=40))
    page.keyboard.press("Shift+Tab")  # off the Leave button: Escape works from anywhere on the slide
    page.keyboard.press("Escape")
    wait_for_url(page, lambda q: "deck" not in q and "step" not in q)
    settle(page)
    assert page.locator("h1").first.inner_text() == "Briefing mode"
    assert_page_healthy(page)

    # presenting the current scenario (no deck): Escape leaves as well
    open_app(page, f"{server.url}/present?present=1&export_controls=60&self_reliance=50")
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 1
    page.keyboard.press("Escape")
    wait_for_url(page, lambda q: "present" not in q)
    settle(page)
    assert page.locator("h1").first.inner_text() == "Briefing mode"
    context.close()
