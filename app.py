"""Chokepoint: entry point. `make run` starts it; pages live in pages/, logic in chokepoint/.

`streamlit run app.py` imports this file once as a module (``__name__ == "app"``): it finds ``app``, an
``st.App`` whose lifespan warms the process at server start (chokepoint/startup.py). Every visitor's
script run then executes the file as ``__main__``, which draws the app.
"""
import streamlit as st

if __name__ == "__main__":
    from chokepoint.ui import shell

    shell.run_app()
else:
    from chokepoint.startup import lifespan

    app = st.App(__file__, lifespan=lifespan)
