"""Several people using the app at the same moment: no one's page may break because of someone else's run.

Issue 15, defect 1: the st.Page objects were cached process-wide, and st.navigation / page.run() keep a
per-run flag on the page object (``_can_be_called``), so overlapping runs of two sessions on the same page
shared one flag and one of them got "StreamlitAPIException: This page cannot be called directly".
"""
import time

from .harness import CHART_SELECTOR, wait_for_app_idle

USERS = 8
ROUNDS = 10
THUMB = '[data-testid="stSlider"] input[type="range"]'  # the first one is US export controls

# Arms the page: at the shared wall-clock time `at` (every page of one browser reads the same clock),
# press an arrow key on the first slider (US export controls), as a person would: keydown then keyup
# on the focused thumb. Returns at once, so one thread can arm every page before any of them fires.
_FIRE_AT_JS = """
([at, key]) => {
  const thumb = document.querySelector('%s');
  thumb.focus();
  setTimeout(() => {
    for (const type of ['keydown', 'keyup']) {
      thumb.dispatchEvent(new KeyboardEvent(type, {key, code: key, bubbles: true, cancelable: true}));
    }
  }, Math.max(0, at - Date.now()));
}
""" % THUMB
# The move reached the server: the app writes the lever into the URL (as the dashboard tests check).
_URL_SAYS_JS = "(value) => new URLSearchParams(location.search).get('export_controls') === value"


def _slider_value(page) -> float:
    return float(page.locator(THUMB).first.input_value())


_PROBLEMS_JS = """
(chart) => {
  const found = Array.from(document.querySelectorAll('[data-testid="stException"]'),
                           (e) => 'exception: ' + e.innerText.slice(0, 160).replace(/\\s+/g, ' '));
  if (document.body.innerText.includes('cannot be called directly') && !found.length) {
    found.push("'cannot be called directly' on the page");
  }
  const drawn = document.querySelectorAll(`${chart} svg, ${chart} canvas`).length;
  if (drawn < 2) found.push(`${drawn} charts drawn, not 2`);
  return found;
}
"""


def _problems(page) -> list[str]:
    """What is wrong on the page, read in one go (an error box, the message, missing charts)."""
    return page.evaluate(_PROBLEMS_JS, CHART_SELECTOR)


def test_people_moving_a_slider_at_the_same_instant_all_get_their_page(browser, app_server):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(USERS)]
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.goto(f"{app_server}/?export_controls=50&self_reliance=60")
        for page in pages:
            wait_for_app_idle(page, timeout_ms=60000, quiet_ms=400)
            assert _slider_value(page) == 50
        failures = []
        for round_ in range(ROUNDS):
            key = "ArrowRight" if round_ % 2 == 0 else "ArrowLeft"
            expected = 51 if key == "ArrowRight" else 50
            at = time.time() * 1000 + 400  # every page fires its key press at this instant
            for page in pages:
                page.evaluate(_FIRE_AT_JS, [at, key])
            pages[0].wait_for_timeout(max(0.0, at - time.time() * 1000) + 50)
            for user, page in enumerate(pages):
                page.wait_for_function(_URL_SAYS_JS, arg=str(expected), timeout=20000)
                wait_for_app_idle(page, timeout_ms=60000, quiet_ms=300)
                problems = _problems(page)
                if problems:
                    failures.append(f"round {round_ + 1}, user {user + 1}: " + "; ".join(problems))
        assert not failures, (f"{len(failures)} of {ROUNDS * USERS} pages broken ({ROUNDS} rounds of {USERS} "
                              "people moving the slider at once):\n" + "\n".join(failures))
    finally:
        for context in contexts:
            context.close()
