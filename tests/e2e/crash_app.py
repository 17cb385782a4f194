"""A tiny app for tests/e2e/test_safety.py: raises on demand, served the way app.py is (st.App with the app's
error handler and middleware, the project's .streamlit/config.toml)."""
import streamlit as st

if __name__ == "__main__":
    st.title("Crash test")
    if st.query_params.get("crash") == "1":
        raise RuntimeError("boom in /srv/chokepoint/secret_module.py")
    st.button("Crash in a callback", key="crash", on_click=lambda: 1 / 0)
else:
    from chokepoint.ui import startup

    app = st.App(__file__, on_script_error=startup.on_script_error, middleware=startup.middleware())
