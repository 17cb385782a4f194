"""Streamlit layer: the shell, sidebar controls, cached resources, exports and saved links used by app.py and
pages/. Logic lives in the layers below (see the README's Layout). Importing this package is light: the server
imports chokepoint.ui.startup before any script run."""
