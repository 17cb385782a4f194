"""Chokepoint: entry point. `make run` starts it; pages live in pages/, logic in chokepoint/.

`streamlit run app.py` imports this file once as a module (``__name__ == "app"``): it finds ``app``, an
``st.App`` whose lifespan warms the process at server start, whose middleware sends /<page>/<more> to the
page, and whose error handler logs an uncaught error and shows the visitor a plain message (all in
chokepoint/ui/startup.py). Every visitor's script run then executes the file as ``__main__``, which draws the app.
"""
import streamlit as st

if __name__ == "__main__":
    from chokepoint.ui import shell

    shell.run_app()
else:
    from chokepoint.ui import startup

    app = st.App(__file__, lifespan=startup.lifespan, middleware=startup.middleware(),
                 on_script_error=startup.on_script_error)
