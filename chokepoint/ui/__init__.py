"""Streamlit layer: thin helpers shared by app.py and pages/. Logic lives in the chokepoint package."""
import gc
import sys

# Streamlit runs a full garbage collection after every script run (~55 ms once pandas, pyarrow and
# Altair are loaded, blocking every session). .streamlit/config.toml turns that per-run collection off
# (runner.postScriptGC); Python's own generational collector still runs, and freezing the long-lived
# import-time objects once keeps its full collections cheap too.
if not getattr(sys, "_chokepoint_gc_frozen", False):
    import pandas  # noqa: F401  (heavy imports first, so they are frozen; Altair is imported only when a
    #                              chart template must be built, see chokepoint/specs.py)
    import pyarrow  # noqa: F401

    gc.freeze()
    sys._chokepoint_gc_frozen = True
