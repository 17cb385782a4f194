"""Uncertainty & drivers: how sure is the projection, what moves it, and which lever value meets a goal."""
import pandas as pd
import streamlit as st

from chokepoint import briefing, charts, exports, views
from chokepoint.uncertainty import headline_probabilities
from chokepoint.ui import resources, saved, shell
from chokepoint.formatting import LEVER_YEARS, number

context = shell.page_context()
st.title("Uncertainty & drivers")
draws = resources.draws(context.settings)
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

# What a goal-seek target can sensibly be, by unit (shares as fractions, money in USD bn, units as counts).
SEEK_TARGET_RANGE = {"fraction": (0.0, 1.0), "USD bn": (0.0, 10_000.0), "units": (0.0, 1e9)}
OUTPUTS = {
    "Nvidia's share of China's market": ("china_share_value", "Nvidia", "fraction"),
    "Domestic vendors' share of China's market": ("domestic_share_value", "Domestic (all)", "fraction"),
    "Huawei units sold in China": ("china_units", "Huawei", "units"),
    "Nvidia's China revenue": ("china_revenue_usd_bn", "Nvidia", "USD bn"),
    "Nvidia's China revenue at risk": ("revenue_at_risk_usd_bn", "Nvidia", "USD bn"),
    "China's unmet demand": ("china_unmet_demand_usd_bn", "All", "USD bn"),
}

st.subheader(f"Does the conclusion hold? ({context.year})")
for sentence in headline_probabilities(draws, context.year):
    st.markdown(f"- {sentence}")

run = resources.results(context.settings)
shell.chart("shares_value", context, views.share_takeaway(run, context.year)
            + " Shading shows where 50% and 90% of the weighted draws fall.")

st.subheader("What moves it: drivers")
left, right = st.columns([2, 1])
output = left.selectbox("Output", list(OUTPUTS), key="drivers_output")
metric, entity, unit = OUTPUTS[output]
table = resources.drivers_table(context.settings, metric, entity, context.year).copy()
table["judgment"] = ["judgment" if b == "judgment" else "sourced or calibrated" for b in table.basis]
table["label"] = [f"{label} ({'judgment' if b == 'judgment' else b})" for label, b in zip(table.label, table.basis)]
st.vega_lite_chart(charts.spec(charts.tornado_chart(
    table, title=f"{output}, {context.year}: output with each parameter at its P5 and P95 (conditioned draws)",
    x_title=output, unit=unit)), width="stretch", alt=f"Drivers of {output}")
top = table.iloc[0]
st.markdown(f"**Takeaway:** {top.label.split(' (')[0]} moves “{output}” the most in {context.year}: from "
            f"{number(top.output_low, unit)} at its P5 to {number(top.output_high, unit)} at "
            f"its P95 (default: {number(top.output_default, unit)}). Orange bars are judgment parameters.")
right.caption("Each bar runs the model with one parameter at its P5 and its P95 among the conditioned draws (a "
              "parameter the past pins down swings less than its documented range), all others at their defaults "
              "(one-at-a-time).")
drivers_stamp = briefing.scenario_stamp(briefing.Step(context.scenario.name or "Current scenario", context.scenario,
                                                      saved.current_link(context)), context.inputs,
                                        f"Drivers of {output}, {context.year}")
right.download_button("Drivers (CSV)", lambda: exports.stamped_csv(table.drop(columns=["judgment"]), drivers_stamp),
                      "drivers.csv", "text/csv", key="drivers_csv", on_click="ignore", icon=":material/table:")

st.subheader("Attribution: why the revenue is at risk")
companies = [c for c, _, _ in context.inputs.designers + context.inputs.equipment_makers]
company = st.selectbox("Company", companies, index=companies.index("Nvidia"), key="attribution_company")
parts = resources.attribution_parts(context.settings, company, context.year)
steps = [("US controls alone", parts["us_controls_alone"], "Due to US controls"),
         ("China's policy alone", parts["china_policy_alone"], "Due to China's policy"),
         ("Interaction", parts["interaction"], "Interaction")]
rows, running = [], 0.0
for name, value, kind in steps:
    rows.append({"step": name, "start": running, "end": running + value, "value": value, "kind": kind})
    running += value
rows.append({"step": "Total at risk", "start": 0.0, "end": parts["total"], "value": parts["total"], "kind": "Total"})
st.vega_lite_chart(charts.spec(charts.waterfall_chart(
    pd.DataFrame(rows), title=f"{company}: China revenue at risk in {context.year} (USD bn)")), width="stretch",
    alt=f"Attribution of {company}'s revenue at risk")
attribution_stamp = briefing.scenario_stamp(briefing.Step(context.scenario.name or "Current scenario",
                                                          context.scenario, saved.current_link(context)),
                                            context.inputs, f"Attribution of {company}'s revenue at risk, {context.year}")
st.download_button("Attribution (CSV)", lambda: exports.stamped_csv(pd.DataFrame(rows), attribution_stamp),
                   "attribution.csv", "text/csv", key="attribution_csv", on_click="ignore", icon=":material/table:")
st.markdown(f"**Takeaway:** of {company}'s {number(parts['total'], 'USD bn')} at risk in {context.year}, US controls alone account "
            f"for {number(parts['us_controls_alone'], 'USD bn')}, China's policy alone for {number(parts['china_policy_alone'], 'USD bn')}, "
            f"and their interaction for {number(parts['interaction'], 'USD bn', signed=True)}.")

st.subheader("Goal-seek: which lever value meets a goal?")
with st.form("seek"):
    a, b, c, d, e = st.columns([2, 3, 1, 1, 1])
    lever = a.selectbox("Lever", ["export_controls", "self_reliance"], key="seek_lever")
    goal = b.selectbox("Output", list(OUTPUTS), index=3, key="seek_output")
    years = list(LEVER_YEARS)
    year = c.selectbox("Year", years, index=years.index(2028), key="seek_year")
    keep = d.selectbox("Keep it", ["above", "below"], key="seek_keep")
    target = e.number_input("Target", value=5.0, key="seek_target",
                            help="Shares as fractions (0.2 = 20%), money in USD bn, units as counts")
    st.form_submit_button("Find the lever value")
metric, entity, unit = OUTPUTS[goal]
low, high = SEEK_TARGET_RANGE[unit]
if not low <= target <= high:  # the field takes any number (±1e308 included): say what makes sense, run nothing
    st.warning(f"A target for {goal.lower()} must be between {low:g} and {high:g} "
               f"({'a fraction' if unit == 'fraction' else unit}); {target:g} is outside it.")
    result = None
else:
    result = resources.seek_result(context.settings, lever, metric, entity, int(year), float(target), keep)
    st.markdown(result.message)
if result is not None and result.value is not None:
    settings = {**context.scenario.settings(), lever: round(result.value)}
    st.page_link("pages/scenario.py", label=f"Open the dashboard at {lever}={round(result.value)}",
                 icon=":material/open_in_new:", query_params={k: f"{v:g}" for k, v in settings.items()})
