"""Scenario (landing): headline numbers against the reference scenario and the two key charts.

A split page (shell.split_page): the title, text, download buttons and toggles are drawn by the full run only; a
slider move redraws the live parts (the scenario line, the Present link, the numbers, the charts)."""
from urllib.parse import urlencode

import streamlit as st

from chokepoint import views
from chokepoint.formatting import FIRST_LEVER_YEAR, HISTORY_YEARS, YEARS
from chokepoint.ui import exporting, resources, shell


def run_of(context):
    return resources.results(context.key)


def present_link(context) -> None:
    # A plain link with the whole scenario, each key once. An in-app page link added the address's URL-bound levers to
    # its own copy of them when followed (export_controls twice, and a warning when that address is opened again); a
    # link that named only the rest lost the scenario when opened in a new tab, as a presenter does for the projector.
    present_query = {"present": "1", "reference": context.reference.name, "year": str(context.year),
                     **{k: f"{v:g}" for k, v in sorted(context.scenario.settings().items())}}
    st.link_button("Present", f"present?{urlencode(present_query)}", icon=":material/slideshow:",
                   help="Opens briefing mode for this scenario in a new tab.")


def numbers(context) -> None:
    def made():  # once per scenario, reference and year: what the five numbers and the grey-market line say
        run, reference = run_of(context), resources.results(context.reference_key)
        shown = [(h.label, h.formatted(), h.formatted_delta(), h.delta_arrow(), h.help)
                 for h in views.headlines(run, reference, context.year)]
        return shown, f"Grey market: {views.grey_takeaway(run, context.year)} Its range is on the China market page."

    shown, grey = resources.kept(("numbers", context.key, context.reference_key, context.year), made)
    # One row that wraps, not st.columns(5): five column blocks fewer to send on every slider move.
    headlines = st.container(horizontal=True)
    for label, value, delta, arrow, help_text in shown:
        headlines.metric(label, value, delta, delta_arrow=arrow, help=help_text, delta_color="off", border=True)
    st.caption(grey)


@shell.split_page
def page(frame) -> None:
    st.title("Chokepoint: AI-chip export controls, in numbers you can move")
    st.markdown(
        "Move **US export controls** and **China's self-reliance push** in the sidebar. The numbers below are the "
        f"model's projection for **{frame.year}**, with the change against the reference scenario "
        f"(**{frame.reference.name}**). {YEARS[0]} is calibrated to published figures and "
        f"{HISTORY_YEARS[1]}–{HISTORY_YEARS[-1]} replayed as they happened; the levers act from {FIRST_LEVER_YEAR}.")
    shell.live(shell.scenario_caption)
    downloads = st.container(horizontal=True, vertical_alignment="center")
    latest = shell.latest_context()
    exporting.results_button_at_click(latest, downloads)
    exporting.pack_buttons_at_click(latest, key="current", container=downloads)
    shell.live(present_link, container=downloads)
    st.header(f"{frame.year}, with the change against *{frame.reference.name}*")
    shell.live(numbers)
    left, right = st.columns(2)
    with left:
        shell.live_chart("headline_shares", lambda context: views.share_takeaway(run_of(context), context.year))
    with right:
        shell.live_chart("risk_usd", lambda context: views.revenue_takeaway(run_of(context), context.year))
