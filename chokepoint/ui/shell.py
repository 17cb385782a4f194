"""The app shell: navigation, the shared sidebar, and what every page uses to show a chart."""
from __future__ import annotations

import gc
import hashlib
import sys
from contextvars import ContextVar
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from chokepoint import MODEL_VERSION, catalogue, views
from chokepoint.data import DataError
from chokepoint.ui import controls, exporting, resources, saved

# Streamlit runs a full garbage collection after every script run (~55 ms once pandas, pyarrow and Altair are
# loaded, blocking every session). .streamlit/config.toml turns that per-run collection off (runner.postScriptGC);
# Python's own generational collector still runs, and freezing the long-lived import-time objects once (after
# the heavy imports above; Altair is imported only when a chart template must be built) keeps it cheap.
if not getattr(sys, "_chokepoint_gc_frozen", False):
    import pyarrow  # noqa: F401

    gc.freeze()
    sys._chokepoint_gc_frozen = True

ROOT = Path(__file__).resolve().parents[2]
_PAGE_CSS = "<style>" + "\n".join((Path(__file__).with_name(name)).read_text()
                                  for name in ("style.css", "focus.css")) + "</style>"
PAGES = [
    ("pages/scenario.py", "Scenario", ":material/tune:", True),
    ("pages/china_market.py", "China market", ":material/stacked_line_chart:", False),
    ("pages/revenue_exposure.py", "Revenue exposure", ":material/account_balance:", False),
    ("pages/domestic_supply.py", "Domestic supply", ":material/factory:", False),
    ("pages/uncertainty.py", "Uncertainty & drivers", ":material/ssid_chart:", False),
    ("pages/claims.py", "Claims, checked", ":material/fact_check:", False),
    ("pages/library.py", "Library", ":material/bookmarks:", False),
    ("pages/present.py", "Briefing mode", ":material/slideshow:", False),
    ("pages/compare.py", "Compare", ":material/compare_arrows:", False),
    ("pages/methodology.py", "Methodology & sources", ":material/menu_book:", False),
]
# The context of this script run (levers, reference, year, saved scenario), set by run_app and read by the page
# it runs: a ContextVar, so each session's run sees its own, and nothing is passed through session_state.
_CONTEXT: ContextVar[controls.Context | None] = ContextVar("chokepoint_page_context", default=None)


def _pages() -> list:
    """Fresh st.Page objects for this run. Never cache them process-wide: st.navigation marks the chosen
    page object callable (page._can_be_called = True) and page.run() clears the mark, so two sessions
    sharing one object race, and the loser gets "This page cannot be called directly" (issue 15).
    Only the immutable PAGES table is shared. Building the 10 pages costs ~0.5 ms a run
    (measured: 0.46 ms median, timeit inside a script run)."""
    return [st.Page(str(ROOT / path), title=title, icon=icon, default=default)
            for path, title, icon, default in PAGES]


def run_app() -> None:
    """Entry point (app.py): navigation, sidebar, then the chosen page."""
    # An emoji icon becomes an inline SVG; a :material/...: page icon made every page fetch an SVG from Google's
    # font host (measured in Chromium; the menu's :material: icons use the font Streamlit serves itself).
    st.set_page_config(page_title="Chokepoint", page_icon="⛓️", layout="wide")
    # What the theme cannot fix for WCAG 2.1 AA: contrast (style.css) and focus rings (focus.css), one element.
    st.html(_PAGE_CSS)
    navigation = st.navigation(_pages())
    try:
        inputs = resources.model_inputs()
    except DataError as exc:
        st.error(f"The data files could not be loaded, so no numbers are shown: {exc}")
        st.stop()
    token = _CONTEXT.set(controls.render(inputs))
    try:
        navigation.run()
    finally:
        _CONTEXT.reset(token)


def page_context() -> controls.Context:
    """Called first by every page. On a fresh server the first request for a deep link such as
    /revenue_exposure is served in Streamlit's legacy pages/ mode (the page runs without app.py);
    switch the process to app.py's navigation and rerun, so the right page gets the app's own menu."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    context = _CONTEXT.get()
    if context is None:  # the page ran without app.py's shell (legacy mode, above): run the app
        st.rerun()
    notices = context.notices
    if notices:
        st.warning("Some settings in this link could not be used as given (the sidebar shows the values in use): "
                   + "; ".join(notices) + ".", icon=":material/link_off:")
    saved.banner(context.saved, context.modified_from, list(context.migration_notes), context.inputs,
                 resources.results(context.key))
    return context


def scenario_caption(context: controls.Context) -> None:
    # A saved scenario's name is user text: escaped. Preset names and settings are the app's own.
    label = context.scenario.label()
    if context.saved is not None:
        label = label.replace(context.scenario.name, saved.plain(context.scenario.name), 1)
    st.caption(f"Scenario: {label} · reference: {context.reference.name} · "
               f"model {MODEL_VERSION}, data {context.inputs.data_version}")


def chart_alt(kind: str, year: int) -> str:
    """A chart's alt text (its accessible name): what the chart is, never the scenario's numbers. Streamlit's
    frontend applies the alt text as the Vega-Lite spec's description and rebuilds a chart from scratch
    (compile, parse, new SVG) whenever that changes, but swaps the data in place when only the data does. A
    takeaway as alt text changed it on every slider move (measured: 152 ms -> 114 ms median, slider to repaint).
    The scenario's takeaway is the chart's accessible description instead (`chart`)."""
    return f"Chart: {catalogue.CATALOGUE[kind].title_for(year)}. Its takeaway is written under it."


# Makes the takeaway written under a chart the chart's accessible description (aria-describedby): a screen
# reader says what the chart shows for the scenario on screen when it reaches the chart, and the chart's spec
# (its alt text included) stays the same, so a slider move still swaps the data in place. The script sits after
# the takeaway, which sits after the chart's element; the chart mounts late (its code loads lazily), so an
# observer links it whenever it appears. The script's element changes with the takeaway and the year (the
# digest), so it runs again and replaces its observer. Our own code, no user text.
_DESCRIBE_JS = """(() => {
  const own = document.currentScript && document.currentScript.closest('[data-testid="stElementContainer"]');
  const note = own && own.previousElementSibling, box = note && note.previousElementSibling;
  const text = note && note.querySelector('[data-testid="stMarkdownContainer"]');
  if (!text || !box) return;
  text.id = text.id || 'chart-takeaway-' + Math.random().toString(36).slice(2);
  const link = () => {
    const chart = box.querySelector('[data-testid="stVegaLiteChart"]');
    if (chart && chart.getAttribute('aria-describedby') !== text.id) chart.setAttribute('aria-describedby', text.id);
  };
  if (box.__chartDescription) box.__chartDescription.disconnect();
  box.__chartDescription = new MutationObserver(link);
  box.__chartDescription.observe(box, {childList: true, subtree: true});
  link();
})();"""


def chart(kind: str, context: controls.Context, takeaway: str) -> None:
    """A chart with its one-line takeaway under it (also its accessible description) and, on request, its data
    as a table and its downloads (built only when asked for: a slider move pays for neither). The toggle is the
    first keyboard stop after the chart (its toolbar comes before the plot): Tab, then Space, shows the table."""
    spec = resources.chart_spec(kind, context.key, context.reference_key, context.year, context.bands)
    st.vega_lite_chart(resources.arrow_ready(spec), width="stretch", alt=chart_alt(kind, context.year))
    st.markdown(f"**Takeaway:** {takeaway}")
    digest = hashlib.sha1(f"{context.year} {takeaway}".encode()).hexdigest()[:12]
    st.html(f'<script data-chart-description="{digest}">{_DESCRIBE_JS}</script>', unsafe_allow_javascript=True)
    if st.toggle("Data and downloads (PNG, SVG, CSV)", key=f"show-data::{kind}"):
        exporting.chart_buttons(kind, context)
        rows = resources.chart_data(kind, context.key, context.reference_key, context.year)["main"]
        st.dataframe(views.table(rows), hide_index=True, width="stretch")
