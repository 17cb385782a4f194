"""Everyone gets the palette the accessibility tests check: a browser that asks for a dark colour scheme sees the
same light colours (Streamlit's own dark theme fails AA on its sidebar slider values)."""
import pytest

from .harness import wait_for_app_idle

pytestmark = pytest.mark.browser

_COLOURS_JS = """() => {
  const style = (selector) => getComputedStyle(document.querySelector(selector));
  return {app: style('[data-testid="stApp"]').backgroundColor, title: style('h1').color,
          caption: style('[data-testid="stCaptionContainer"]').color};
}"""


def test_a_dark_colour_scheme_gets_the_checked_light_palette(browser, app_server):
    seen = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(app_server + "/")
        wait_for_app_idle(page, 60000, 300)
        seen[scheme] = page.evaluate(_COLOURS_JS)
        context.close()
    assert seen["light"]["app"] == "rgb(255, 255, 255)" and seen["light"]["title"] == "rgb(18, 17, 16)"
    assert seen["dark"] == seen["light"], seen
