"""Browser-test and benchmark helpers: a real Streamlit server, Debian's Chromium, and timing in the page.

Importable from tests (``from .harness import ...``) and from a benchmark module
(``from tests.e2e.harness import ...``); it needs only the standard library and Playwright.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = ROOT / "test-output"
LOG_DIR = OUTPUT_DIR / "logs"
SCREENSHOT_DIR = OUTPUT_DIR / "screenshots"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

CHART_SELECTOR = '[data-testid="stVegaLiteChart"]'
CHART_DRAWN_SELECTOR = f"{CHART_SELECTOR} canvas, {CHART_SELECTOR} svg"

READY_TIMEOUT_S = 40.0
STOP_GRACE_S = 5.0


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class StreamlitServer:
    """``streamlit run APP`` on 127.0.0.1 in its own process group, as a context manager.

    ``started_at`` is ``time.perf_counter()`` just before Popen, ``ready_at`` when
    ``/_stcore/health`` first answered "ok". Output goes to ``test-output/logs/``.
    """

    def __init__(
        self, app_path: str | os.PathLike, env: dict[str, str] | None = None, port: int | None = None
    ):
        path = Path(app_path)
        self.app_path = path if path.is_absolute() else ROOT / path
        self.env = dict(env or {})
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = LOG_DIR / f"streamlit-{self.app_path.stem}-{self.port}-{time.strftime('%H%M%S')}.log"
        self.started_at: float | None = None
        self.ready_at: float | None = None
        self.process: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> StreamlitServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> StreamlitServer:
        if not self.app_path.is_file():
            raise FileNotFoundError(f"Streamlit app not found: {self.app_path}")
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "streamlit", "run", str(self.app_path),
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            "--server.runOnSave", "false",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        self._log = open(self.log_path, "w")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        health = f"{self.url}/_stcore/health"
        deadline = self.started_at + READY_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"Streamlit exited with status {self.process.returncode} before it was ready "
                    f"({self.app_path.name}, port {self.port}). Log {self.log_path}:\n{_tail(self.log_path)}"
                )
            try:
                with urllib.request.urlopen(health, timeout=1) as response:
                    if response.read().decode().strip() == "ok":
                        self.ready_at = time.perf_counter()
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.perf_counter() > deadline:
                raise TimeoutError(
                    f"Streamlit was not healthy within {READY_TIMEOUT_S:.0f} s "
                    f"({self.app_path.name}, port {self.port}). Log {self.log_path}:\n{_tail(self.log_path)}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    @staticmethod
    def _signal_group(process: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(process.pid, sig)  # the group was made by start_new_session, so it is ours alone
        except ProcessLookupError:
            pass


def launch_chromium(playwright, **launch_kwargs):
    """Debian's headless Chromium through Playwright (a fresh temporary profile per launch)."""
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"{CHROMIUM} is missing: run `make browser` to install Debian's chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, **launch_kwargs)


# The app is idle when, continuously for `quietMs`:
#  - stApp's data-test-script-state is notRunning or compilationError (not initial/running/
#    rerunRequested/stopRequested) and data-test-connection-state is CONNECTED;
#  - the status widget shows neither Running nor its Stop button; nothing is data-stale="true";
#  - no stSkeleton placeholder is left (elements whose code is lazy-loaded, sliders and charts
#    among them, show one and mount ~100-400 ms AFTER the script state is already notRunning);
#  - every visible Vega-Lite chart has drawn an svg or canvas (one in an inactive st.tabs tab draws
#    nothing until its tab is shown);
#  - and the DOM has not changed at all (an idle Streamlit page does not mutate).
_IDLE_JS = """
([token, quietMs]) => {
  const w = window;
  if (!w.__cpIdleObserver) {
    w.__cpLastMutation = performance.now();
    w.__cpIdleObserver = new MutationObserver(() => { w.__cpLastMutation = performance.now(); });
    w.__cpIdleObserver.observe(document,
      {subtree: true, childList: true, attributes: true, characterData: true});
  }
  if (!w.__cpIdle || w.__cpIdle.token !== token) w.__cpIdle = {token, since: null};
  const state = w.__cpIdle;
  const app = document.querySelector('[data-testid="stApp"]');
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  const charts = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'));
  const visible = (el) => (el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null);
  const ok = !!app
    && ['notRunning', 'compilationError'].includes(app.getAttribute('data-test-script-state'))
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !(status && /running|stop/i.test(status.innerText))
    && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')
    && charts.every(c => c.querySelector('svg, canvas') || !visible(c));
  const now = performance.now();
  if (!ok) { state.since = null; return false; }
  if (state.since === null) state.since = now;
  return now - state.since >= quietMs && now - w.__cpLastMutation >= quietMs;
}
"""


def wait_for_app_idle(page, timeout_ms: float = 20000, quiet_ms: float = 150) -> None:
    """Wait until the Streamlit app has finished its current script run and rendered it.

    Relies on what Streamlit 1.67 puts in the DOM (checked by experiment):
    ``[data-testid="stApp"]`` carries ``data-test-script-state`` (``initial``, ``running``,
    ``rerunRequested``, ``stopRequested``, ``notRunning``, ``compilationError``) and
    ``data-test-connection-state`` (``CONNECTED`` once the websocket is up). Idle means: the script
    state is ``notRunning``/``compilationError`` while connected; the ``stStatusWidget`` shows
    neither "Running" nor its "Stop" button (both appear only during a run); no
    ``[data-stale="true"]`` element and no ``stSkeleton`` placeholder is left; every visible
    ``stVegaLiteChart`` contains its svg/canvas (charts in inactive tabs draw nothing until shown);
    and all of that has held, with no DOM mutation at all, for ``quiet_ms``. The quiet window
    matters: lazily loaded elements (sliders, charts) mount 100-400 ms after the script state is
    already ``notRunning`` on a first load.

    Right after an interaction the script state is still ``notRunning`` until the rerun starts
    (20-30 ms after a slider key here, more on a loaded machine): wait for the rerun to start (as
    ``measure_slider_repaint`` does) or pass a larger ``quiet_ms``.
    """
    page.wait_for_function(_IDLE_JS, arg=[uuid.uuid4().hex, quiet_ms], polling="raf", timeout=timeout_ms)


def screenshot(page, name: str) -> Path:
    """A full-page PNG at test-output/screenshots/<name>.png; returns its path."""
    path = SCREENSHOT_DIR / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


# Is the page whole? What a visitor would see as broken, read from the page (Streamlit 1.67 test ids, checked
# in its frontend bundle): an uncaught exception (stException), an st.error (stAlertContentError; the app's own
# error handler shows one of these, not an stException), or a Vega-Lite chart with nothing to draw or numbers
# that are not there. Neither the chart's Vega view nor its Vega-Lite spec is on the DOM: Streamlit keeps the view
# in a React ref (useRef) of the chart component and the spec in its `element` prop, both reached through the
# element's React fiber. The rule is the AppTest one (tests/apptests.py chart_problems), on the data the browser
# really holds: every dataset Streamlit ships has rows; every view finds its data ("source" is the unnamed one,
# inline values are read from the spec); a field a mark is placed by, or any quantitative field, exists (unless a
# transform makes it) and holds no null, missing or NaN value, and a quantitative one only finite numbers (Arrow
# turns a NaN into null on the way). And the view's scenegraph draws at least one data mark (role "mark").
_PAGE_PROBLEMS_JS = r"""
() => {
  const problems = [];
  const text = (el) => (el.innerText || '').trim().replace(/\s+/g, ' ').slice(0, 200);
  document.querySelectorAll('[data-testid="stException"]').forEach(el => problems.push('exception: ' + text(el)));
  document.querySelectorAll('[data-testid="stAlertContentError"]').forEach(el => problems.push('st.error: ' + text(el)));
  const visible = (el) => (el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null);
  const fibers = function* (el) {
    const key = Object.keys(el).find(k => k.startsWith('__reactFiber$'));
    for (let fiber = key && el[key], depth = 0; fiber && depth < 30; fiber = fiber.return, depth++) yield fiber;
  };
  const viewOf = (chart) => {
    for (const fiber of fibers(chart)) {
      for (let hook = fiber.memoizedState, i = 0; hook && typeof hook === 'object' && 'next' in hook && i < 500;
           hook = hook.next, i++) {
        const v = hook.memoizedState && typeof hook.memoizedState === 'object' && hook.memoizedState.current;
        if (v && typeof v.data === 'function' && typeof v.scenegraph === 'function') return v;
      }
    }
    return null;
  };
  const elementOf = (chart) => {
    for (const fiber of fibers(chart)) {
      const element = fiber.memoizedProps && fiber.memoizedProps.element;
      if (element && typeof element.spec === 'string') return element;
    }
    return null;
  };
  const madeBy = (transforms, made) => {  // field names the transforms create; null once a pivot makes names
    if (made === null) return null;
    const names = new Set(made);
    const collect = (node) => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) {
        if (k === 'as') [].concat(v).forEach(n => typeof n === 'string' && names.add(n)); else collect(v);
      }
    };
    for (const t of transforms || []) { if ('pivot' in t) return null; collect(t); }
    return names;
  };
  const views = function* (spec, data, encoding, made) {  // [data, encoding, made] per view that draws a mark
    data = spec.data !== undefined ? spec.data : data;
    encoding = {...(encoding || {}), ...(spec.encoding || {})};
    made = madeBy(spec.transform, made);
    if (spec.mark) yield [data, encoding, made];
    for (const sub of spec.layer || []) yield* views(sub, data, encoding, made);
    for (const key of ['hconcat', 'vconcat', 'concat']) for (const sub of spec[key] || []) yield* views(sub, data, null, made);
    if (spec.spec && typeof spec.spec === 'object') yield* views(spec.spec, data, null, made);
  };
  const POSITION = new Set(['x', 'y', 'x2', 'y2', 'theta', 'theta2', 'radius', 'radius2', 'latitude', 'longitude']);
  const countMarks = (node) => {
    let n = 0;
    for (const item of (node && node.items) || []) {
      if (item.marktype && item.role === 'mark' && item.marktype !== 'group') n += (item.items || []).length;
      else n += countMarks(item);  // a group mark, or a group's item holding child marks
    }
    return n;
  };
  const charts = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'));
  const checked = [];
  charts.forEach((chart, index) => {
    if (!visible(chart)) return;
    checked.push(index);
    const label = 'chart ' + (index + 1) + ' (' + (chart.getAttribute('aria-label') || '').slice(0, 80) + ')';
    const view = viewOf(chart), element = elementOf(chart);
    if (!view || !element) {
      problems.push(label + ': no Vega view or spec found (has Streamlit changed where it keeps them?)');
      return;
    }
    const rowsOf = (name) => { try { return view.data(name); } catch (e) { return undefined; } };
    for (const d of element.datasets || []) {
      const rows = rowsOf(d.name);
      if (!rows || !rows.length) problems.push(label + ': dataset "' + d.name + '" has no rows');
    }
    const spec = JSON.parse(element.spec);
    for (const [data, encoding, made] of views(spec, undefined, null, new Set())) {
      let rows;
      if (data === undefined || data === null) rows = rowsOf('source');
      else if (data.name !== undefined) rows = rowsOf(data.name);
      else if (Array.isArray(data.values)) rows = data.values;
      const where = data && data.name ? '"' + data.name + '"' : (data && data.values ? 'inline values' : 'unnamed data');
      if (rows === undefined) { problems.push(label + ': a view reads ' + where + ', which the chart does not hold'); continue; }
      if (!rows.length) continue;  // an empty layer is allowed; the datasets and the marks are checked on their own
      for (const [channel, def] of Object.entries(encoding)) {
        for (const item of [].concat(def)) {
          if (!item || typeof item !== 'object' || typeof item.field !== 'string' || item.aggregate === 'count') continue;
          let type = item.type;
          if (!type && channel.endsWith('2') && encoding[channel.slice(0, -1)]) type = encoding[channel.slice(0, -1)].type;
          if (type !== 'quantitative' && !POSITION.has(channel)) continue;
          const field = item.field;
          if (!rows.some(r => field in r)) {
            if (made !== null && !made.has(field)) problems.push(label + ': ' + channel + ' field "' + field + '" is not in ' + where);
            continue;
          }
          const values = rows.map(r => r[field]);
          const empty = values.filter(v => v === null || v === undefined || (typeof v === 'number' && isNaN(v))).length;
          if (empty) problems.push(label + ': ' + channel + ' field "' + field + '" is empty in ' + empty + ' of ' + values.length + ' rows of ' + where);
          if (type === 'quantitative') {
            const bad = values.filter(v => v !== null && v !== undefined && !(typeof v === 'number' && isFinite(v))
                                           && !(typeof v === 'number' && isNaN(v))).length;
            if (bad) problems.push(label + ': ' + channel + ' field "' + field + '" has ' + bad + ' values that are not finite numbers in ' + where);
          }
        }
      }
    }
    if (countMarks(view.scenegraph().root) === 0) problems.push(label + ': draws no data mark');
  });
  return {problems: [...new Set(problems)], checked, charts: charts.length};
}
"""


def page_problems(page) -> tuple[list[str], set[int], int]:
    """What is broken on the page as shown now (see _PAGE_PROBLEMS_JS): (problems, indices of the charts that
    were visible and checked, how many charts the page has)."""
    found = page.evaluate(_PAGE_PROBLEMS_JS)
    return found["problems"], set(found["checked"]), found["charts"]


def page_health(page, timeout_ms: float = 30000, allow_errors=()) -> list[str]:
    """Everything broken on the page (see assert_page_healthy), as a list, for a test that collects rather than
    stops (the link fuzz). An st.error whose text contains one of `allow_errors` (substrings, matched with
    whitespace collapsed, in the first 200 characters) is one the test expects, not a problem."""
    if isinstance(allow_errors, str):
        allow_errors = (allow_errors,)
    allowed = [" ".join(a.split()) for a in allow_errors]
    problems, seen, total = page_problems(page)
    tabs = page.locator('[data-testid="stTabs"] [role="tab"]')
    for i in range(tabs.count()):
        if tabs.nth(i).get_attribute("aria-selected") == "true":
            continue
        tabs.nth(i).click()
        wait_for_app_idle(page, timeout_ms=timeout_ms)
        more, checked, total = page_problems(page)
        problems += [p for p in more if p not in problems]
        seen |= checked
    if tabs.count():
        tabs.first.click()
        wait_for_app_idle(page, timeout_ms=timeout_ms)
    if len(seen) < total:
        problems.append(f"only {len(seen)} of the page's {total} charts could be shown and checked")
    return [p for p in problems if not (p.startswith("st.error: ") and any(a in p for a in allowed))]


def assert_page_healthy(page, timeout_ms: float = 30000, allow_errors=()) -> None:
    """Every browser page test calls this once the page is idle. It also opens each st.tabs tab in turn (a chart
    in a hidden tab draws nothing until shown), so every chart on the page is checked, then shows the first tab
    again. Fails with everything that is wrong. A test that deliberately causes an st.error names it in
    `allow_errors` (substrings of its text) and asserts that error itself; anything else still fails."""
    problems = page_health(page, timeout_ms=timeout_ms, allow_errors=allow_errors)
    assert not problems, f"the page at {page.url} is broken:\n  " + "\n  ".join(problems)


# Page-side recorder for one slider step. From the armed arrow keydown it timestamps (page clock):
#  - the keydown and the keyup ("keydownAt", "keyupAt");
#  - the script run: "started" on running/rerunRequested, "idleAt" when it is back to notRunning;
#  - every mutation inside a Vega-Lite chart (or a chart being added), as "lastChartAt";
#  - after each of those events, two requestAnimationFrame callbacks: the second runs once the frame
#    showing the change has been painted. "paintSeq" == "eventSeq" means the paint after the LAST
#    event has happened, and "paintAt" is then the end of the repaint.
_RECORDER_JS = """
() => {
  if (window.__cpRepaint) return;
  const CHART = '[data-testid="stVegaLiteChart"]';
  const r = window.__cpRepaint = {armed: false};
  r.reset = () => Object.assign(r, {armed: true, keydownAt: null, keyupAt: null, started: false,
                                    idleAt: null, lastChartAt: null,
                                    eventSeq: 0, paintSeq: 0, paintAt: null});
  const event = () => {
    const seq = ++r.eventSeq;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      if (seq === r.eventSeq) { r.paintSeq = seq; r.paintAt = performance.now(); }
    }));
  };
  // Capture listeners on window run before React's, which listens on its root container.
  window.addEventListener('keydown', (e) => {
    if (r.armed && e.key.startsWith('Arrow')) { r.armed = false; r.keydownAt = performance.now(); }
  }, true);
  window.addEventListener('keyup', (e) => {
    if (r.keydownAt !== null && r.keyupAt === null && e.key.startsWith('Arrow')) {
      r.keyupAt = performance.now();
    }
  }, true);
  new MutationObserver((mutations) => {
    if (r.keydownAt === null) return;
    const now = performance.now();
    let chart = false;
    for (const m of mutations) {
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (m.type === 'attributes' && m.attributeName === 'data-test-script-state') {
        const s = el.getAttribute('data-test-script-state');
        if (s === 'running' || s === 'rerunRequested') r.started = true;
        else if (r.started && (s === 'notRunning' || s === 'compilationError')) { r.idleAt = now; event(); }
      }
      if ((el && el.closest(CHART)) || (m.type === 'childList' && Array.from(m.addedNodes).some(
          (n) => n.nodeType === 1 && (n.matches(CHART) || n.querySelector(CHART))))) chart = true;
    }
    if (chart) { r.lastChartAt = now; event(); }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
}
"""

# Done when the key is back up, the app is not running and the key's run has ended (its notRunning
# was seen or, should React ever batch running->notRunning into one render, a chart changed), nothing
# has happened for quietMs (so a follow-up rerun is waited for), and the paint after the last event
# has been recorded.
_STEP_DONE_JS = """
(quietMs) => {
  const r = window.__cpRepaint;
  if (!r || r.keydownAt === null || r.keyupAt === null) return false;
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app && app.getAttribute('data-test-script-state');
  const idleNow = state === 'notRunning' || state === 'compilationError';
  if (!idleNow || (r.idleAt === null && r.lastChartAt === null)) return false;
  const last = Math.max(r.idleAt ?? 0, r.lastChartAt ?? 0);
  return performance.now() - last >= quietMs && r.paintSeq === r.eventSeq && r.paintAt !== null;
}
"""

_THUMB_RANGE_JS = """
(el) => {
  const num = (a, p) => Number(el.getAttribute(a) ?? el[p]);
  return {value: num('aria-valuenow', 'value'), min: num('aria-valuemin', 'min'),
          max: num('aria-valuemax', 'max')};
}
"""


def _slider_thumb(page, slider_label: str):
    label = page.locator('[data-testid="stWidgetLabel"]').get_by_text(slider_label, exact=True)
    sliders = page.locator('[data-testid="stSlider"]').filter(has=label)
    if sliders.count() == 0:
        found = page.locator('[data-testid="stSlider"] [data-testid="stWidgetLabel"]').all_inner_texts()
        raise LookupError(f"No st.slider labelled {slider_label!r}; sliders on the page: {found}")
    # Streamlit 1.67 (react-aria) renders the thumb as <input type="range">; older ones used role="slider".
    return sliders.first.locator('input[type="range"], [role="slider"]').first


def measure_slider_repaint(
    page,
    slider_label: str,
    steps: int,
    direction: str = "right",
    *,
    clock_from: str = "keydown",
    step_timeout_ms: float = 20000,
) -> list[float]:
    """Milliseconds, per arrow-key step on a slider, from the key to every chart repainted.

    Each step focuses the thumb of the st.slider labelled ``slider_label``, presses ArrowRight or
    ArrowLeft (turning back at either end of the range, so ``steps`` may exceed it) and measures,
    in the page's clock (``performance.now()``), to the paint that follows the later of the rerun's
    end (script state back to ``notRunning``) and the last mutation inside any ``stVegaLiteChart``.
    Between steps it waits for the app to be idle and pauses 100 ms.

    The clock starts at the keydown by default: in Streamlit 1.67 (react-aria slider) the value
    changes and the rerun is requested on keydown, not on key release, and on a loaded machine
    Playwright's keyup can reach the page after the rerun has already started. ``clock_from="keyup"``
    measures from the key release instead.
    """
    if direction not in ("right", "left"):
        raise ValueError(f"direction must be 'right' or 'left', not {direction!r}")
    if clock_from not in ("keydown", "keyup"):
        raise ValueError(f"clock_from must be 'keydown' or 'keyup', not {clock_from!r}")
    wait_for_app_idle(page)
    page.evaluate(_RECORDER_JS)
    thumb = _slider_thumb(page, slider_label)
    latencies: list[float] = []
    for step in range(steps):
        bounds = thumb.evaluate(_THUMB_RANGE_JS)
        if direction == "right" and bounds["value"] >= bounds["max"]:
            direction = "left"
        elif direction == "left" and bounds["value"] <= bounds["min"]:
            direction = "right"
        thumb.focus()
        page.evaluate("() => window.__cpRepaint.reset()")
        page.keyboard.press("ArrowRight" if direction == "right" else "ArrowLeft")
        try:
            page.wait_for_function(_STEP_DONE_JS, arg=200, polling="raf", timeout=step_timeout_ms)
        except Exception as error:
            record = page.evaluate("() => JSON.stringify(window.__cpRepaint)")
            raise TimeoutError(
                f"Slider {slider_label!r} step {step + 1}: no finished rerun + repaint within "
                f"{step_timeout_ms:.0f} ms (recorder: {record})"
            ) from error
        latencies.append(page.evaluate(f"() => (r => r.paintAt - r.{clock_from}At)(window.__cpRepaint)"))
        wait_for_app_idle(page)
        page.wait_for_timeout(100)
    return latencies


def cold_start_to_first_chart(
    app_path: str | os.PathLike,
    browser,
    url_path: str = "/",
    *,
    env: dict[str, str] | None = None,
    timeout_ms: float = 60000,
) -> float:
    """Seconds from a fresh server's Popen to the first Vega-Lite chart's svg/canvas being visible."""
    with StreamlitServer(app_path, env=env) as server:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(server.url + url_path, wait_until="commit", timeout=timeout_ms)
            page.locator(CHART_DRAWN_SELECTOR).first.wait_for(state="visible", timeout=timeout_ms)
            return time.perf_counter() - server.started_at
        finally:
            context.close()
