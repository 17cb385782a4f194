"""Revenue exposure: China revenue at risk by company, split by cause, for a year and over time. A split page
(shell.split_page): a slider move redraws the scenario line and the three scenario charts, not the text, the
toggles or the filings' chart."""
import streamlit as st

from chokepoint import views
from chokepoint.ui import resources, shell


def run_of(context):
    return resources.results(context.key)


@shell.split_page
def page(frame) -> None:
    st.title("Revenue exposure of US and allied firms")
    st.markdown("Revenue at risk is what a firm would earn in China with **no US controls and no Chinese self-reliance "
                "push**, minus what it earns in this scenario. The split between the two causes is symmetric (each "
                "lever gets half of their interaction). Chip designers and equipment makers are shown together; % of "
                "revenue is a gap where a firm's total revenue is not in the sourced data.")
    shell.live(shell.scenario_caption)

    dollars, percent = st.columns(2)
    with dollars:
        shell.live_chart("risk_usd", lambda context: views.revenue_takeaway(run_of(context), context.year))
    with percent:
        shell.live_chart("risk_pct", lambda context: views.exposure_takeaway(run_of(context), context.year))

    shell.live_chart("risk_over_time", lambda context: views.risk_over_time_takeaway(run_of(context)))

    st.header("What the filings say: China's share of each firm's revenue")
    spec, gaps = resources.reported_china_share()
    st.vega_lite_chart(spec, width="stretch", alt="Reported China share of revenue by company and year")
    st.markdown("**Takeaway:** China still bills a large share of many US chip firms' revenue; Nvidia's share fell "
                "from 26% (FY2022) to 13% (FY2025) as controls tightened. Billing location is not end demand.")
    with st.expander(f"Years with no sourced China revenue ({len(gaps)} gaps, left as gaps)"):
        st.dataframe(gaps, hide_index=True, width="stretch")
