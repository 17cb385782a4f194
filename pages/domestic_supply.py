"""Domestic supply: Huawei and other domestic output against capacity, yield and HBM limits."""
import streamlit as st

from chokepoint import views
from chokepoint.ui import resources, shell


@shell.page
def page(context) -> None:
    run = resources.results(context.key)

    st.title("China's domestic supply")
    st.markdown("Domestic accelerators are limited by SMIC's advanced-node wafers, good-die yield (which improves with "
                "cumulative output, slower under tool controls), stockpiled TSMC-made dies and HBM memory (imported "
                "stock, imports while allowed, and domestic HBM). Markers are the contested published estimates for "
                "Huawei's 2025 and 2026 output.")
    shell.scenario_caption(context)
    shell.chart("supply", context, views.supply_takeaway(run, context.year))

    st.header("Supply chain numbers")
    st.dataframe(resources.supply_table(context.key), hide_index=True, width="stretch")
