"""Floor app with gc.freeze() once per process after imports, to compare GC cost on reruns."""
import gc
import sys

import altair as alt
import pandas as pd
import streamlit as st

if not getattr(sys, "_floor_frozen", False):
    gc.freeze()
    sys._floor_frozen = True

value = st.slider("Floor value", 0, 100, 50)
data = pd.DataFrame({"x": range(7), "y": [value * (i + 1) / 7 for i in range(7)]})
st.altair_chart(alt.Chart(data).mark_line(point=True).encode(x="x:Q", y="y:Q"))
