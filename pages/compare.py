"""Compare: two to four scenarios (saved or presets) side by side, with a shareable address. A split page with no
live part: the scenarios compared are the ones picked here, not the headline levers, so a slider move redraws only
the sliders and the notices at the top (it redrew the whole comparison: 71 ms of server CPU a move)."""
import pandas as pd
import streamlit as st

from chokepoint import catalogue, views
from chokepoint.ui import resources, saved, shell


@shell.split_page
def page(frame) -> None:
    inputs = frame.inputs
    st.title("Compare scenarios")
    st.markdown("Pick two to four scenarios: presets or saved ones. The address bar holds the comparison, so the "
                "link can be shared.")

    options, skipped, problem = saved.scenario_choices(inputs)
    if problem:
        st.error(problem)
    if skipped:
        st.caption(f"{skipped} damaged saved scenario{'s' if skipped > 1 else ''} left out (the Library names them).")

    if "compare_pick" not in st.session_state:
        wanted = [token for token in st.query_params.get("compare", "").split(",") if token]
        unknown = [token for token in wanted if token not in options]
        if unknown:
            st.warning("Not found, left out of the comparison: " + ", ".join(saved.quoted(t) for t in unknown[:10])
                       + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""))
        picked = [token for token in wanted if token in options][:4]
        st.session_state["compare_pick"] = picked or ["preset:As announced for 2026", "preset:2024 regime frozen"]

    picked = st.multiselect("Scenarios", list(options), key="compare_pick", max_selections=4,
                            format_func=lambda token: options[token][0])
    st.query_params["compare"] = ",".join(picked)
    if len(picked) < 2:
        st.info("Pick at least two scenarios.")
        st.stop()

    labels = [options[token][0] for token in picked]
    scenarios = [options[token][1] for token in picked]
    runs = [resources.results(s.key()) for s in scenarios]

    st.header("Inputs that differ")
    differ = views.differing_inputs(labels, [s.settings() for s in scenarios])
    if len(differ):
        st.dataframe(differ.rename_axis("Input"), width="stretch")  # a named index: no empty table header
    else:
        st.write("All inputs are the same.")

    year = frame.year
    st.header(f"Headline numbers, {year} (change against the first scenario)")
    st.dataframe(views.headline_comparison(labels, runs, year), hide_index=True, width="stretch")

    for column, (metric, entity, title, unit) in zip(st.columns(2), views.COMPARED):
        frame = pd.DataFrame(views.comparison_records(labels, runs, metric, entity))
        with column:
            st.vega_lite_chart(catalogue.table_spec("comparison", frame, title_args={"what": title}, unit=unit),
                               width="stretch", alt=title)
            st.markdown("**Takeaway:** " + views.comparison_takeaway([saved.plain(label) for label in labels], runs,
                                                                     metric, entity, unit, year))

