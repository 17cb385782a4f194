"""Compare: two to four scenarios (saved or presets) side by side, with a shareable address."""
from collections import Counter

import pandas as pd
import streamlit as st

from chokepoint import charts, views
from chokepoint.params import Scenario, preset_scenario
from chokepoint.store import StoreError
from chokepoint.ui import resources, saved, shell
from chokepoint.formatting import number

context = shell.page_context()
inputs = context.inputs
st.title("Compare scenarios")
st.markdown("Pick two to four scenarios: presets or saved ones. The address bar holds the comparison, so the "
            "link can be shared.")

options: dict[str, tuple[str, Scenario]] = {}
for name in inputs.presets:
    options[f"preset:{name}"] = (f"{name} (preset)", preset_scenario(name, inputs))
try:
    records = saved.store().list(include_archived=True)
except StoreError as exc:
    st.error(f"Saved scenarios cannot be read right now: {saved.plain(exc)}")
    records = []
if getattr(records, "skipped", ()):
    st.caption(f"{len(records.skipped)} damaged saved scenario{'s' if len(records.skipped) > 1 else ''} left out "
               "(the Library names them).")
for record in records:
    try:
        scenario, _ = saved.scenario_of(record, inputs)  # saved under an older model: migrated, as when opened
    except ValueError:
        continue  # inputs no longer valid for this model: it still opens on its own page
    options[record.id] = (f"{record.name} (saved {record.created_at[:10]})", scenario)
# Two scenarios saved under one name on one day would share a label, and the label names their column and their
# line: one would vanish and the changes be computed against the wrong one. Such labels carry the id.
repeated = Counter(label for label, _ in options.values())
options = {token: (f"{label} · {token}" if repeated[label] > 1 else label, scenario)
           for token, (label, scenario) in options.items()}

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

st.subheader("Inputs that differ")
settings = [s.settings() for s in scenarios]
names = sorted(set().union(*settings))
differ = [name for name in names if len({round(s.get(name, float("nan")), 9) if name in s else None for s in settings}) > 1]
if differ:
    table = pd.DataFrame({label: [s.get(name, "default") for name in differ] for label, s in zip(labels, settings)},
                         index=differ)
    st.dataframe(table.astype(str), width="stretch")
else:
    st.write("All inputs are the same.")

year = context.year
st.subheader(f"Headline numbers, {year} (change against the first scenario)")
rows = []
for key, (label, unit) in views.HEADLINE_LABELS.items():
    values = [views.headline_values(run)[str(year)][key] for run in runs]
    row = {"number": label}
    for i, (name, value) in enumerate(zip(labels, values)):
        row[name] = number(value, unit)
        if i:
            row[f"{name} − first"] = number(value - values[0], unit, signed=True)
    rows.append(row)
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

left, right = st.columns(2)
for column, (metric, entity, title, unit) in zip((left, right), (
        ("china_share_value", "Nvidia", "Nvidia's share of China's AI-chip spend", "fraction"),
        ("domestic_share_value", "Domestic (all)", "Domestic vendors' share of China's AI-chip spend", "fraction"))):
    frame = pd.DataFrame([{"year": p["year"], "scenario": label, "value": p["value"]}
                          for label, run in zip(labels, runs) for p in run.points(metric, [entity])])
    with column:
        st.vega_lite_chart(charts.spec(charts.comparison_chart(frame, title=title, y_title="Share (%)", unit=unit)),
                           width="stretch", alt=title)
        st.markdown(f"**Takeaway:** in {year}, " + "; ".join(
            f"{saved.plain(label)}: {number(run.value(metric, entity, year), unit)}"
            for label, run in zip(labels, runs)) + ".")
