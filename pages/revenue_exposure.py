"""Revenue exposure: China revenue at risk by company, split by cause, for a year and over time."""
import streamlit as st

from chokepoint import views
from chokepoint.ui import resources, shell

context = shell.page_context()
run = resources.results(context.settings)

st.title("Revenue exposure of US and allied firms")
st.markdown("Revenue at risk is what a firm would earn in China with **no US controls and no Chinese self-reliance "
            "push**, minus what it earns in this scenario. The split between the two causes is symmetric (each "
            "lever gets half of their interaction). Chip designers and equipment makers are shown together; % of "
            "revenue is a gap where a firm's total revenue is not in the sourced data.")
shell.scenario_caption(context)

dollars, percent = st.columns(2)
with dollars:
    shell.chart("risk_usd", context, views.revenue_takeaway(run, context.year))
with percent:
    shell.chart("risk_pct", context, views.exposure_takeaway(run, context.year))

shell.chart("risk_over_time", context, views.risk_over_time_takeaway(run))
