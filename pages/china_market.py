"""China market: shares by vendor over time, by value and by units, with published estimates. A split page
(shell.split_page): a slider move redraws the scenario line, the grey-market line and the charts, not the text,
the toggles or the policy events."""
import streamlit as st

from chokepoint import views
from chokepoint.ui import resources, shell
from chokepoint.formatting import HISTORY_YEARS


def grey_market(context) -> None:
    shell.scenario_caption(context)
    # The grey channel's range comes from the scenario's cached draws, which the banded share chart below needs
    # anyway; with bands off no draws are run and the central values are shown alone.
    grey_ranges = resources.grey_range(context.key, context.year) if context.bands else None
    st.markdown(f"**Grey market:** {views.grey_takeaway(run_of(context), context.year, grey_ranges)}")


def run_of(context):
    return resources.results(context.key)


@shell.split_page
def page(frame) -> None:
    st.title("China's AI-accelerator market")
    st.markdown("Who supplies China's AI chips under this scenario: Nvidia and AMD (legal sales), Huawei, Cambricon and "
                f"other domestic vendors, and smuggled (grey-market) chips. Solid lines are the {HISTORY_YEARS[0]}–"
                f"{HISTORY_YEARS[-1]} replay, dashed the projection, faint dashed the reference scenario; markers are "
                "published estimates (hover for the source); grey rules are policy events.")
    shell.live(grey_market)

    by_value, by_units, sold = st.tabs(["Share by value", "Share by units", "Units sold"])
    with by_value:
        shell.live_chart("shares_value", lambda context: views.share_takeaway(run_of(context), context.year))
    with by_units:
        shell.live_chart("shares_units", lambda context: views.units_takeaway(run_of(context), context.year))
    with sold:
        shell.live_chart("units", lambda context: views.unmet_takeaway(run_of(context), context.year))

    st.header("Policy events")
    events = resources.table("policy_events")
    st.dataframe(events[["date", "actor", "kind", "title", "description", "lever", "source_id"]], hide_index=True,
                 width="stretch", column_config={"date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
                                                 "source_id": "Source"})
