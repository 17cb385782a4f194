"""Floor app: the least a slider + chart Streamlit page can cost, for speed comparisons."""
import altair as alt
import pandas as pd
import streamlit as st

value = st.slider("Floor value", 0, 100, 50)
data = pd.DataFrame({"x": range(7), "y": [value * (i + 1) / 7 for i in range(7)]})
st.altair_chart(alt.Chart(data).mark_line(point=True).encode(x="x:Q", y="y:Q"))
