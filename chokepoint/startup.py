"""Server start: warm the process before the first visitor arrives.

`streamlit run app.py` finds the ``st.App`` in app.py and serves it; its lifespan (below) runs when the
server starts. It switches Streamlit out of its legacy pages/ mode at once (so the very first deep link
to a fresh replica gets the app's own navigation, with no extra rerun), then starts ``warm`` in a
background thread and returns, so the server answers while the thread imports the heavy modules, loads
and validates data/, runs the landing page's scenarios and builds its chart templates. That is ~0.8 s
the first visitor's script run no longer pays. Whatever the warm-up has not finished when a visitor
arrives is done by that visitor's run as before (imports wait on Python's import lock; caches fill on
a miss), and a failure here only logs: the run then reports it the usual way.

This module is imported when the server starts, before any script run: keep its imports light.
"""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

LOGGER = logging.getLogger("chokepoint.startup")


def warm() -> None:
    """Fill the process-wide caches the landing page reads (same keys as its default view)."""
    try:
        from chokepoint.params import preset_scenario
        from chokepoint.ui import controls, resources, shell  # noqa: F401  (heavy imports; freezes the GC)

        inputs = resources.model_inputs()
        scenario = resources.Scenario.create(inputs=inputs)
        reference = preset_scenario(controls.DEFAULT_REFERENCE, inputs)
        for kind in ("headline_shares", "risk_usd"):
            resources.chart_spec(kind, scenario.key(), reference.key(), controls.DEFAULT_YEAR, True)
    except Exception:  # never stop the server: the first script run shows the problem to the user
        LOGGER.exception("Warm-up at server start failed; the first visitor's run will do this work")


def use_app_navigation() -> None:
    """app.py navigates with st.navigation. Until some session has called it, Streamlit serves a fresh
    server's first request in its legacy pages/ mode (its own menu of file names); say so up front.
    (shell.page_context still checks, for a server started some other way.)"""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


@asynccontextmanager
async def lifespan(app):
    use_app_navigation()
    threading.Thread(target=warm, name="chokepoint-warm-up", daemon=True).start()
    yield
