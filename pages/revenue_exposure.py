"""Revenue exposure: China revenue at risk by company, split by cause, for a year and over time."""
import streamlit as st

from chokepoint import views
from chokepoint.ui import resources, shell

context = shell.page_context()
tidy = resources.results(context.settings)

st.title("Revenue exposure of US and allied firms")
st.markdown("Revenue at risk is what a firm would earn in China with **no US controls and no Chinese self-reliance "
            "push**, minus what it earns in this scenario. The split between the two causes is symmetric (each "
            "lever gets half of their interaction). Chip designers and equipment makers are shown together; % of "
            "revenue is a gap where a firm's total revenue is not in the sourced data.")
shell.scenario_caption(context)

dollars, percent = st.columns(2)
with dollars:
    shell.chart("risk_usd", context, views.revenue_takeaway(tidy, context.year),
                data=views.revenue_cause_frame(tidy, context.year))
with percent:
    pct = views.revenue_cause_frame(tidy, context.year, "pct")
    top = pct.groupby("company").value.sum().sort_values(ascending=False)
    shell.chart("risk_pct", context,
                f"Relative to what it would have earned, {top.index[0]} is most exposed in {context.year}: "
                f"{top.iloc[0]:.1f}% of its revenue is at risk.", data=pct)

over_time = views.series(tidy, "revenue_at_risk_usd_bn", views.US_FIRMS + ("ASML", "Tokyo Electron"))
nvidia = views.series(tidy, "revenue_at_risk_usd_bn", ["Nvidia"]).set_index("year").value
shell.chart("risk_over_time", context,
            f"Nvidia's China revenue at risk goes from ${nvidia.loc[2025]:,.1f}B in 2025 (the H20 licence shock) "
            f"to ${nvidia.loc[2030]:,.1f}B in 2030 in this scenario.",
            data=over_time.pivot(index="year", columns="entity", values="value").reset_index())
