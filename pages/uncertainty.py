"""Uncertainty & drivers: how sure is the projection, what moves it, and which lever value meets a goal."""
import pandas as pd
import streamlit as st

from chokepoint import briefing, catalogue, exports, views
from chokepoint.uncertainty import headline_probabilities
from chokepoint.ui import resources, saved, shell
from chokepoint.formatting import LEVER_YEARS


@shell.page
def page(context) -> None:
    st.title("Uncertainty & drivers")
    draws = resources.draws(context.key)
    st.markdown("Every parameter has a documented range (Methodology page). **1,000 draws** over those ranges (triangular, "
                "low–default–high; China's industrial-execution parameters move together through one shared factor) "
                "show how sure each projection is. The draws are seeded by the scenario, so the same scenario always "
                "shows the same bands.")
    if draws.conditioned:
        first, last = draws.target_years
        st.markdown(f"**Conditioned on history:** each draw is weighted by how well it reproduces the {draws.targets} "
                    f"calibration targets (published figures for {first}–{last}), leaving **{draws.effective:,.0f} of "
                    f"the {draws.draws:,} draws effective**, and the bands, the sentences below, the tornado and "
                    "goal-seek all use these weighted draws.")
    shell.scenario_caption(context)

    st.header(f"Does the conclusion hold? ({context.year})")
    for sentence in headline_probabilities(draws, context.year):
        st.markdown(f"- {sentence}")

    run = resources.results(context.key)
    shell.chart("shares_value", context, views.share_takeaway(run, context.year)
                + " Shading shows where 50% and 90% of the weighted draws fall.")

    st.header("What moves it: drivers")
    left, right = st.columns([2, 1])
    output = left.selectbox("Output", list(views.OUTPUTS), key="drivers_output")
    metric, entity, unit = views.OUTPUTS[output]
    table = views.driver_rows(resources.drivers_table(context.key, metric, entity, context.year))
    st.vega_lite_chart(catalogue.table_spec("tornado", table, title_args={"output": output, "year": context.year},
                                            unit=unit, output=output), width="stretch", alt=f"Drivers of {output}")
    st.markdown(f"**Takeaway:** {views.drivers_takeaway(table, output, context.year)}")
    right.caption("Each bar runs the model with one parameter at its P5 and its P95 among the conditioned draws (a "
                  "parameter the past pins down swings less than its documented range), all others at their defaults "
                  "(one-at-a-time).")
    drivers_stamp = briefing.scenario_stamp(briefing.Step(context.scenario.name or "Current scenario", context.scenario,
                                                          saved.current_link(context)), context.inputs,
                                            f"Drivers of {output}, {context.year}")
    right.download_button("Drivers (CSV)", lambda: exports.stamped_csv(table.drop(columns=["judgment"]), drivers_stamp),
                          "drivers.csv", "text/csv", key="drivers_csv", on_click="ignore", icon=":material/table:")

    st.header("Attribution: why the revenue is at risk")
    companies = [c for c, _, _ in context.inputs.designers + context.inputs.equipment_makers]
    company = st.selectbox("Company", companies, index=companies.index("Nvidia"), key="attribution_company")
    parts = resources.attribution_parts(context.key, company, context.year)
    rows = views.waterfall_rows(parts)
    st.vega_lite_chart(catalogue.table_spec("waterfall", pd.DataFrame(rows),
                                            title_args={"company": company, "year": context.year}),
                       width="stretch", alt=f"Attribution of {company}'s revenue at risk")
    attribution_stamp = briefing.scenario_stamp(briefing.Step(context.scenario.name or "Current scenario",
                                                              context.scenario, saved.current_link(context)),
                                                context.inputs, f"Attribution of {company}'s revenue at risk, {context.year}")
    st.download_button("Attribution (CSV)", lambda: exports.stamped_csv(pd.DataFrame(rows), attribution_stamp),
                       "attribution.csv", "text/csv", key="attribution_csv", on_click="ignore", icon=":material/table:")
    st.markdown(f"**Takeaway:** {views.attribution_takeaway(company, parts, context.year)}")

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
    metric, entity, unit = views.OUTPUTS[goal]
    problem = views.seek_target_problem(goal, target)  # the field takes any number (±1e308 included)
    if problem:
        st.warning(problem)
        result = None
    else:
        result = resources.seek_result(context.key, lever, metric, entity, int(year), float(target), keep)
        st.markdown(result.message)
    if result is not None and result.value is not None:
        settings = {**context.scenario.settings(), lever: round(result.value)}
        st.page_link("pages/scenario.py", label=f"Open the dashboard at {lever}={round(result.value)}",
                     icon=":material/open_in_new:", query_params={k: f"{v:g}" for k, v in settings.items()})

