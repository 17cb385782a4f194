"""Domestic supply: Huawei and other domestic output against capacity, yield and HBM limits. A split page
(shell.split_page): a slider move redraws the scenario line, the chart and the table, not the text or the
toggle."""
import streamlit as st

from chokepoint import views
from chokepoint.ui import resources, shell


def run_of(context):
    return resources.results(context.key)


def supply_table(context) -> None:
    st.dataframe(resources.supply_table(context.key), hide_index=True, width="stretch")


@shell.split_page
def page(frame) -> None:
    st.title("China's domestic supply")
    st.markdown("Domestic accelerators are limited by SMIC's advanced-node wafers, good-die yield (which improves with "
                "cumulative output, slower under tool controls), stockpiled TSMC-made dies and HBM memory (imported "
                "stock, imports while allowed, and domestic HBM). Markers are the contested published estimates for "
                "Huawei's 2025 and 2026 output.")
    shell.live(shell.scenario_caption)
    shell.live_chart("supply", lambda context: views.supply_takeaway(run_of(context), context.year))

    st.header("Supply chain numbers")
    shell.live(supply_table)
