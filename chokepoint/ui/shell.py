"""The app shell: navigation, the shared sidebar, and what every page uses to show a chart."""
from __future__ import annotations

import functools
import gc
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


# What this session's full run drew in the sidebar (controls.Frame), for the page function it runs; a ContextVar,
# like _CONTEXT, so each session's run sees its own.
_FRAME: ContextVar[controls.Frame | None] = ContextVar("chokepoint_sidebar_frame", default=None)


def page(body) -> None:
    """Every page's decorator: runs `body(context)` at once, in the page's fragment (`_page`). Each page file is
    its imports, its helpers, then `@shell.page def page(context): ...`."""
    frame = _FRAME.get()
    if frame is None:  # the page file ran without app.py's shell (a fresh server's first deep link): run the app
        page_context()
    _page(body, frame)


# A split page's live parts (`live`), collected while its full-run part runs: (place, draw) pairs.
_LIVE: ContextVar[list | None] = ContextVar("chokepoint_live_parts", default=None)


class _Latest:
    """The context of the session's last run of the page's fragment: what a download drawn by the full run
    (`exporting.results_button_at_click`, `pack_buttons_at_click`) builds from when it is clicked."""
    context: controls.Context | None = None


def _latest() -> _Latest:
    return st.session_state.setdefault("_latest_context", _Latest())


def latest_context():
    """A function that returns the context now on screen in this session (for work done after the run)."""
    box = _latest()
    return lambda: box.context


def split_page(body) -> None:
    """A split page's decorator: `body(frame)` runs in the full run only and draws what does not change with
    the headline levers (title, text, download buttons, toggles); each `live(draw)` in it leaves a place that
    the page's fragment fills with `draw(context)` on every run, a slider move included. A move then redraws
    only the live parts: on the landing page no download button or toggle (widgets: ~3 ms of the server's
    time a move between them, measured), and none of the static text."""
    frame = _FRAME.get()
    if frame is None:  # the page file ran without app.py's shell (a fresh server's first deep link): run the app
        page_context()
    top = st.container()  # the link notices and the saved-scenario banner (they change with the levers)
    lives: list = []
    token = _LIVE.set(lives)
    try:
        body(frame)
    finally:
        _LIVE.reset(token)
    _page(functools.partial(_draw_live, lives), frame, top)


def live(draw, container=None) -> None:
    """In a split page's full-run part: leave a place here (in `container`) that every run of the page's fragment
    fills with `draw(context)`. Streamlit lets a fragment write to a place made outside it only if the full run
    wrote to it, so `draw` must draw at least one element every time."""
    lives = _LIVE.get()
    if lives is None:
        raise RuntimeError("shell.live is for a split page's full-run part (shell.split_page)")
    lives.append(((container or st).container(), draw))


def _draw_live(lives: list, context: controls.Context) -> None:
    for place, draw in lives:
        with place:
            draw(context)


@st.fragment
def _page(body, frame: controls.Frame, top=None) -> None:
    """The part of a run that depends on the headline levers: the two sliders (drawn into the top of the sidebar,
    which the full run left for them) and the page (a split page: its live parts only). Moving a slider reruns
    only this: the menu, the styles, the presets, the advanced levers and the Save form stay as
    the last full run drew them. What changes those (a preset, Reset, an advanced lever, the reference, the
    year, Save, another page) is a widget outside this fragment, so Streamlit reruns the whole app for it."""
    if _FRAME.get() is None and saved.link_waiting():
        # A slider move (this fragment alone) while a ?scenario= link waits for the store: the link is tried again,
        # or given up once the levers moved, by the full run (saved.open_linked, before any lever is drawn).
        st.rerun()
    context = controls.levers(frame)
    _latest().context = context
    token = _CONTEXT.set(context)
    try:
        if top is None:
            body(page_context())
        else:  # a split page: its notices and banner go to the place at its top, in a container always drawn
            with top, st.container():
                context = page_context()
            body(context)
    finally:
        _CONTEXT.reset(token)


def _pages() -> list:
    """Fresh st.Page objects for this run. Never cache them process-wide: st.navigation marks the chosen
    page object callable (page._can_be_called = True) and page.run() clears the mark, so two sessions
    sharing one object race, and the loser gets "This page cannot be called directly" (issue 15).
    Only the immutable PAGES table is shared. Building the 10 pages costs ~0.5 ms a full run; a slider move
    reruns only the page's fragment, not this."""
    return [st.Page(str(ROOT / path), title=title, icon=icon, default=default)
            for path, title, icon, default in PAGES]


def run_app() -> None:
    """Entry point (app.py): navigation, the sidebar's controls, then the chosen page (in its fragment)."""
    # An emoji icon becomes an inline SVG; a :material/...: page icon made every page fetch an SVG from Google's
    # font host (measured in Chromium; the menu's :material: icons use the font Streamlit serves itself).
    st.set_page_config(page_title="Chokepoint", page_icon="⛓️", layout="wide")
    # What the theme cannot fix for WCAG 2.1 AA: contrast (style.css) and focus rings (focus.css), one element.
    st.html(_PAGE_CSS)
    st.html(_DESCRIBE_HTML, unsafe_allow_javascript=True)
    navigation = st.navigation(_pages())
    try:
        inputs = resources.model_inputs()
    except DataError as exc:
        st.error(f"The data files could not be loaded, so no numbers are shown: {exc}")
        st.stop()
    token = _FRAME.set(controls.render(inputs))
    try:
        navigation.run()
    finally:
        _FRAME.reset(token)


def page_context() -> controls.Context:
    """The page's context, with its notices and saved-scenario banner drawn (`_page`, before the page's body).
    On a fresh server the first request for a deep link such as
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


# Makes the takeaway written under each chart the chart's accessible description (aria-describedby): a screen
# reader says what the chart shows for the scenario on screen when it reaches the chart, and the chart's spec
# (its alt text included) stays the same, so a slider move still swaps the data in place. One script for the
# whole page, drawn by the full run (run_app), not one per chart: a slider move sends two elements fewer. Charts
# mount late (their code loads lazily) and the takeaway's text changes in place, so an observer links every
# chart whose next element is its "Takeaway:" line, once per animation frame after the page changes. Our own
# code, no user text.
_DESCRIBE_HTML = """<script data-chart-description>(() => {
  if (window.__chokepointDescribe) return;
  window.__chokepointDescribe = true;
  let pending = false;
  const link = () => {
    pending = false;
    for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
      const box = chart.closest('[data-testid="stElementContainer"]');
      const note = box && box.nextElementSibling;
      const text = note && note.querySelector('[data-testid="stMarkdownContainer"]');
      if (!text || !text.textContent.trim().startsWith('Takeaway:')) continue;
      text.id = text.id || 'chart-takeaway-' + Math.random().toString(36).slice(2);
      if (chart.getAttribute('aria-describedby') !== text.id) chart.setAttribute('aria-describedby', text.id);
    }
  };
  new MutationObserver(() => { if (!pending) { pending = true; requestAnimationFrame(link); } })
    .observe(document.body, {childList: true, subtree: true});
  link();
})();</script>"""


DATA_TOGGLE = "Data and downloads (PNG, SVG, CSV)"


def chart(kind: str, context: controls.Context, takeaway: str) -> None:
    """A chart with its one-line takeaway under it (also its accessible description) and, on request, its data
    as a table and its downloads (built only when asked for: a slider move pays for neither). The toggle is the
    first keyboard stop after the chart (its toolbar comes before the plot): Tab, then Space, shows the table."""
    _chart_and_takeaway(kind, context, takeaway)
    if st.toggle(DATA_TOGGLE, key=f"show-data::{kind}"):
        _chart_data(kind, context)


def live_chart(kind: str, takeaway) -> None:
    """`chart` on a split page: the chart and its takeaway (`takeaway(context)`) and, when the toggle (drawn by
    the full run) is on, its data and downloads are live parts; the toggle is not redrawn on a slider move."""
    code = takeaway.__code__  # which page's takeaway (a lambda is made anew each run; its code is not)
    live(lambda context: _chart_and_takeaway(kind, context, resources.kept(
        ("takeaway", code, kind, context.key, context.reference_key, context.year), lambda: takeaway(context))))
    if st.toggle(DATA_TOGGLE, key=f"show-data::{kind}"):
        live(functools.partial(_chart_data, kind))


def _chart_and_takeaway(kind: str, context: controls.Context, takeaway: str) -> None:
    alt = chart_alt(kind, context.year)
    element = resources.chart_element(kind, context.key, context.reference_key, context.year, context.bands, alt)
    if element is None or not draw_chart_element(element):
        spec = resources.chart_on_screen(kind, context.key, context.reference_key, context.year, context.bands)
        st.vega_lite_chart(spec, width="stretch", alt=alt)
    st.markdown(f"**Takeaway:** {takeaway}")  # its accessible description (_DESCRIBE_HTML)


def draw_table_chart(cache_key: tuple, alt: str, spec) -> None:
    """A table chart (catalogue.table_spec) drawn from its element made once per scenario (`cache_key` names the
    scenario and what else the chart depends on; `spec()` makes the spec on a miss)."""
    element = resources.table_chart_element(cache_key, alt, spec)
    if element is None or not draw_chart_element(element):
        st.vega_lite_chart(spec(), width="stretch", alt=alt)


def draw_chart_element(element) -> bool:
    """Draw a chart element made by `resources.chart_element` where st.vega_lite_chart would have drawn it (the
    active container), as st.vega_lite_chart does: width "stretch", height "content". False if Streamlit's
    DeltaGenerator no longer has the method (the caller then uses st.vega_lite_chart)."""
    try:
        from streamlit.elements.lib.layout_utils import LayoutConfig
    except ImportError:
        return False
    enqueue = getattr(st._main, "_enqueue", None)
    if enqueue is None:
        return False
    enqueue("vega_lite_chart", element, layout_config=LayoutConfig(width="stretch", height="content"))
    return True


def _chart_data(kind: str, context: controls.Context) -> None:
    exporting.chart_buttons(kind, context)
    rows = resources.chart_data(kind, context.key, context.reference_key, context.year)["main"]
    st.dataframe(views.table(rows), hide_index=True, width="stretch")
