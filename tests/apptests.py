"""Shared AppTest helpers: run the real app (app.py) with a query string, optionally on another page."""
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def run_app(page: str | None = None, timeout: float = 120, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def shown(markdown: str) -> str:
    """What Markdown source built with saved.plain shows on screen: the backslash escapes and the invisible
    word joiners (U+2060) it adds taken out again. AppTest sees the source; a browser sees this."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
