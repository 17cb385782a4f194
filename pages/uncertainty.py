"""Uncertainty & drivers: how sure is the projection, what moves it, and which lever value meets a goal. A split page
(shell.split_page): the text, the pickers, the goal-seek form and the download buttons are drawn by the full run; a
slider move redraws the scenario's lines, the fan chart, the tornado, the waterfall and the goal-seek answer (it
redrew the whole page and rebuilt both table charts: ~100 ms of server CPU a move). The CSVs are of the scenario on
screen when clicked."""
import functools

import pandas as pd
import streamlit as st

from chokepoint import briefing, catalogue, exports, views
from chokepoint.uncertainty import headline_probabilities
from chokepoint.ui import resources, saved, shell
from chokepoint.formatting import LEVER_YEARS

SHADING = " Shading shows where 50% and 90% of the weighted draws fall."


def _stamp(context, what: str):
    return briefing.scenario_stamp(briefing.Step(context.scenario.name or "Current scenario", context.scenario,
                                                 saved.current_link(context)), context.inputs, what)


def _conditioning_text(key) -> str:
    draws = resources.draws(key)
    if not draws.conditioned:
        return ""
    first, last = draws.target_years
    return (f"**Conditioned on history:** each draw is weighted by how well it reproduces the {draws.targets} "
            f"calibration targets (published figures for {first}–{last}), leaving **{draws.effective:,.0f} of "
            f"the {draws.draws:,} draws effective**, and the bands, the sentences below, the tornado and "
            "goal-seek all use these weighted draws.")


def conditioning(context) -> None:
    text = resources.kept(("conditioning", context.key), lambda: _conditioning_text(context.key))
    if text:
        st.markdown(text)
    shell.scenario_caption(context)


def conclusion(context) -> None:
    sentences = resources.kept(("probabilities", context.key, context.year),
                               lambda: headline_probabilities(resources.draws(context.key), context.year))
    st.markdown("\n".join(f"- {sentence}" for sentence in sentences))


def _drivers(context, output: str):
    metric, entity, _ = views.OUTPUTS[output]
    return resources.kept(("drivers", context.key, output, context.year),
                          lambda: views.driver_rows(resources.drivers_table(context.key, metric, entity, context.year)))


def drivers(output: str, context) -> None:
    unit = views.OUTPUTS[output][2]
    table = _drivers(context, output)
    shell.draw_table_chart(("tornado", context.key, output, context.year), f"Drivers of {output}",
                           lambda: catalogue.table_spec("tornado", table, title_args={"output": output,
                                                                                       "year": context.year},
                                                        unit=unit, output=output))
    st.markdown(resources.kept(("drivers takeaway", context.key, output, context.year),
                               lambda: f"**Takeaway:** {views.drivers_takeaway(table, output, context.year)}"))


def attribution(company: str, context) -> None:
    parts = resources.kept(("attribution", context.key, company, context.year),
                           lambda: resources.attribution_parts(context.key, company, context.year))
    shell.draw_table_chart(("waterfall", context.key, company, context.year),
                           f"Attribution of {company}'s revenue at risk",
                           lambda: catalogue.table_spec("waterfall", pd.DataFrame(views.waterfall_rows(parts)),
                                                        title_args={"company": company, "year": context.year}))
    st.markdown(resources.kept(("attribution takeaway", context.key, company, context.year),
                               lambda: f"**Takeaway:** {views.attribution_takeaway(company, parts, context.year)}"))


def seek(lever: str, goal: str, year: int, keep: str, target: float, context) -> None:
    metric, entity, _ = views.OUTPUTS[goal]
    problem = views.seek_target_problem(goal, target)  # the field takes any number (±1e308 included)
    if problem:
        st.warning(problem)
        return
    result = resources.kept(("seek", context.key, lever, metric, entity, int(year), float(target), keep),
                            lambda: resources.seek_result(context.key, lever, metric, entity, int(year), float(target),
                                                          keep))
    st.markdown(result.message)
    if result.value is not None:
        settings = {**context.scenario.settings(), lever: round(result.value)}
        st.page_link("pages/scenario.py", label=f"Open the dashboard at {lever}={round(result.value)}",
                     icon=":material/open_in_new:", query_params={k: f"{v:g}" for k, v in settings.items()})


@shell.split_page
def page(frame) -> None:
    st.title("Uncertainty & drivers")
    st.markdown("Every parameter has a documented range (Methodology page). **1,000 draws** over those ranges (triangular, "
                "low–default–high; China's industrial-execution parameters move together through one shared factor) "
                "show how sure each projection is. The draws are seeded by the scenario, so the same scenario always "
                "shows the same bands.")
    shell.live(conditioning)
    latest = shell.latest_context()
    base = saved.base_url()

    st.header(f"Does the conclusion hold? ({frame.year})")
    shell.live(conclusion)
    shell.live_chart("shares_value", lambda context: views.share_takeaway(resources.results(context.key),
                                                                          context.year) + SHADING)

    st.header("What moves it: drivers")
    left, right = st.columns([2, 1])
    output = left.selectbox("Output", list(views.OUTPUTS), key="drivers_output")
    shell.live(functools.partial(drivers, output))
    right.caption("Each bar runs the model with one parameter at its P5 and its P95 among the conditioned draws (a "
                  "parameter the past pins down swings less than its documented range), all others at their defaults "
                  "(one-at-a-time).")

    def drivers_csv():
        context = latest()
        with saved.links_from(base):
            return exports.stamped_csv(_drivers(context, output).drop(columns=["judgment"]),
                                       _stamp(context, f"Drivers of {output}, {context.year}"))

    right.download_button("Drivers (CSV)", drivers_csv, "drivers.csv", "text/csv", key="drivers_csv",
                          on_click="ignore", icon=":material/table:")

    st.header("Attribution: why the revenue is at risk")
    companies = [c for c, _, _ in frame.inputs.designers + frame.inputs.equipment_makers]
    company = st.selectbox("Company", companies, index=companies.index("Nvidia"), key="attribution_company")
    shell.live(functools.partial(attribution, company))

    def attribution_csv():
        context = latest()
        rows = views.waterfall_rows(resources.attribution_parts(context.key, company, context.year))
        with saved.links_from(base):
            return exports.stamped_csv(pd.DataFrame(rows), _stamp(context, f"Attribution of {company}'s revenue at "
                                                                           f"risk, {context.year}"))

    st.download_button("Attribution (CSV)", attribution_csv, "attribution.csv", "text/csv", key="attribution_csv",
                       on_click="ignore", icon=":material/table:")

    st.header("Goal-seek: which lever value meets a goal?")
    with st.form("seek"):
        a, b, c, d, e = st.columns([2, 3, 1, 1, 1])
        lever = a.selectbox("Lever", ["export_controls", "self_reliance"], key="seek_lever")
        goal = b.selectbox("Output", list(views.OUTPUTS), index=3, key="seek_output")
        years = list(LEVER_YEARS)
        year = c.selectbox("Year", years, index=years.index(2028), key="seek_year")
        keep = d.selectbox("Keep it", ["above", "below"], key="seek_keep")
        target = e.number_input("Target", value=5.0, key="seek_target",
                                help="Shares as fractions (0.2 = 20%), money in USD bn, units as counts")
        st.form_submit_button("Find the lever value")
    shell.live(functools.partial(seek, lever, goal, year, keep, target))
