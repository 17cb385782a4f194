"""`make bench`: speed numbers, printed (not asserted). Run: python -m bench [--only NAME]."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from chokepoint.data import build_database, data_dir_from_env
from chokepoint.engine import load_model_inputs, run_scenario
from chokepoint.params import Scenario


ROOT = Path(__file__).resolve().parents[1]


def _timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def _report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"{name:<52} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms   n={len(samples)}")


def bench_engine() -> None:
    load = _timed(lambda: build_database(data_dir_from_env()), 5)
    _report("load + validate data/ into DuckDB", load)
    inputs = load_model_inputs(build_database(data_dir_from_env()))
    scenarios = [Scenario.create(e, s, inputs=inputs) for e in (0, 37, 50, 80, 100) for s in (0, 45, 90)]
    run_scenario(scenarios[0], inputs)
    _report(f"engine: {len(scenarios)} scenarios", _timed(lambda: [run_scenario(s, inputs) for s in scenarios], 20))
    per = [t / len(scenarios) for t in _timed(lambda: [run_scenario(s, inputs) for s in scenarios], 20)]
    _report("engine: one scenario (4 runs for the at-risk split)", per)
    _report("engine + tidy table", _timed(lambda: run_scenario(scenarios[4], inputs).tidy(), 50))


def bench_script_cost(moves: int = 30) -> None:
    """Rerun cost after a slider move, with AppTest: the app against the floor app, two ways. "script" times
    the script body alone (Streamlit's exec of the page); "AppTest run" is the whole at.run(), which also
    includes AppTest polling and parsing the element tree (more elements, more parsing)."""
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    script_times: list[float] = []
    original = script_runner.exec_func_with_error_handling

    def timed_exec(func, ctx):
        start = time.perf_counter()
        try:
            return original(func, ctx)
        finally:
            script_times.append((time.perf_counter() - start) * 1000.0)

    script_runner.exec_func_with_error_handling = timed_exec

    def runs(path: str, key: str | None) -> tuple[list[float], list[float]]:
        at = AppTest.from_file(str(ROOT / path), default_timeout=120).run()
        slider = at.slider(key=key) if key else at.slider[0]
        low, high = int(slider.min), int(slider.max)
        whole, script = [], []
        for i in range(moves):
            value = low + (i * 7) % (high - low)  # a new value each time: no result-cache hits
            slider = at.slider(key=key) if key else at.slider[0]
            slider.set_value(value)
            script_times.clear()
            start = time.perf_counter()
            at.run()
            whole.append((time.perf_counter() - start) * 1000.0)
            script.append(sum(script_times))
        return whole[3:], script[3:]  # the first moves warm imports and caches

    try:
        floor_whole, floor_script = runs("bench/floor_app.py", None)
        app_whole, app_script = runs("app.py", "export_controls")
    finally:
        script_runner.exec_func_with_error_handling = original
    _report("script, floor app (1 slider, 1 chart)", floor_script)
    _report("script, Chokepoint Scenario page", app_script)
    print(f"{'ratio of script medians (target <= 2.0)':<52} {statistics.median(app_script) / statistics.median(floor_script):8.2f}")
    _report("AppTest run, floor app", floor_whole)
    _report("AppTest run, Chokepoint Scenario page", app_whole)
    print(f"{'ratio of AppTest-run medians':<52} {statistics.median(app_whole) / statistics.median(floor_whole):8.2f}")


def bench_browser(steps: int = 25) -> None:
    """Slider release to every chart repainted, in headless Chromium, beside the floor apps."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import (StreamlitServer, cold_start_to_first_chart, launch_chromium,
                                   measure_slider_repaint, wait_for_app_idle)

    cases = [("floor app, stock Streamlit", "bench/floor_app.py", "/", "Floor value"),
             ("floor app, gc.freeze()", "bench/floor_app_gcfrozen.py", "/", "Floor value"),
             ("Chokepoint: Scenario page", "app.py", "/", "US export controls"),
             ("Chokepoint: Revenue exposure page", "app.py", "/revenue_exposure", "China self-reliance push")]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for name, app, path, label in cases:
            # The floor apps run as stock Streamlit (this repo's .streamlit/config.toml turns the
            # per-run gc.collect off; the environment variable turns it back on for them).
            env = {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"} if app.startswith("bench/") else None
            with StreamlitServer(ROOT / app, env=env) as server:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.goto(server.url + path)
                wait_for_app_idle(page, timeout_ms=60000, quiet_ms=500)
                measure_slider_repaint(page, label, 3)  # warm-up
                _report(f"browser: {name}", measure_slider_repaint(page, label, steps))
                context.close()
        # Chokepoint twice: a restart (chart templates on disk from an earlier start with the same code and
        # data, the usual case) and a first start after a change (an empty template cache each time).
        with tempfile.TemporaryDirectory() as kept, tempfile.TemporaryDirectory() as empties:
            cases = [("floor app", "bench/floor_app.py", None),
                     ("Chokepoint, restart", "app.py", lambda: {"CHOKEPOINT_CACHE_DIR": kept}),
                     ("Chokepoint, first start", "app.py", lambda: {"CHOKEPOINT_CACHE_DIR": tempfile.mkdtemp(dir=empties)})]
            cold_start_to_first_chart(ROOT / "app.py", browser, env={"CHOKEPOINT_CACHE_DIR": kept})  # fills it
            starts = {name: [] for name, _, _ in cases}
            for _ in range(5):  # interleaved, so drift on the machine hits every case alike
                for name, app, env in cases:
                    starts[name].append(cold_start_to_first_chart(ROOT / app, browser, env=env and env()) * 1000.0)
            for name, samples in starts.items():
                _report(f"cold start to first chart: {name}", samples)
        browser.close()


def bench_pack(repeat: int = 3) -> None:
    """Briefing pack for a five-step deck: PNG charts, PPTX and PDF, offline."""
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from chokepoint import briefing, exports
    from chokepoint.ui import resources

    inputs = resources.model_inputs()
    levers = [(25, 90), (50, 40), (100, 100), (20, 30), (75, 60)]
    reference = Scenario.create(inputs=inputs, name="As announced for 2026")
    samples_pptx, samples_both = [], []
    for round_ in range(repeat):
        steps = [briefing.Step(f"Step {i + 1}", Scenario.create(e, abs(s - round_), inputs=inputs), f"http://localhost/?s={i}")
                 for i, (e, s) in enumerate(levers)]  # new scenarios each round: nothing cached
        start = time.perf_counter()
        pack = briefing.build_pack("Bench deck", steps, reference, 2028, inputs, resources.results,
                                   resources.chart_spec, resources.table("sources"))
        exports.pack_pptx(pack)
        middle = time.perf_counter()
        exports.pack_pdf(pack)
        samples_pptx.append((middle - start) * 1000.0)
        samples_both.append((time.perf_counter() - start) * 1000.0)
    _report("pack: five-step deck, PPTX (target < 5 s)", samples_pptx)
    _report("pack: five-step deck, PPTX + PDF", samples_both)


def bench_uncertainty() -> None:
    """Monte Carlo bands (1,000 draws x 4 runs in one simulate call, weighted by the calibration targets), the
    tornado and goal-seek (with its band), as the Uncertainty page runs them (its draws cached)."""
    import dataclasses

    from chokepoint.uncertainty import band_table, calibration, drivers, run_draws, seek

    inputs = load_model_inputs(build_database(data_dir_from_env()))
    scenario = Scenario.create(inputs=inputs)
    tidy = run_scenario(scenario, inputs).tidy()
    calibration()  # read once per process
    run_draws(scenario, inputs, 1000)  # warm-up
    _report("uncertainty: run_draws (1,000 conditioned draws)", _timed(lambda: run_draws(scenario, inputs, 1000), 30))
    _report("uncertainty: run_draws (1,000 draws, unconditioned)",
            _timed(lambda: run_draws(scenario, inputs, 1000, condition=False), 30))
    draws = run_draws(scenario, inputs, 1000)
    _report("uncertainty: band_table (1,000 conditioned draws)",  # a fresh copy each time: no cached metrics
            _timed(lambda: band_table(dataclasses.replace(draws), tidy), 30))
    _report("uncertainty: run_draws + band_table",
            _timed(lambda: band_table(run_draws(scenario, inputs, 1000), tidy), 30))
    _report("uncertainty: drivers (tornado, 2028, cached draws)", _timed(
        lambda: drivers(scenario, inputs, "domestic_share_value", "Domestic (all)", 2028, draw_result=draws), 30))
    _report("uncertainty: seek, no band", _timed(
        lambda: seek(scenario, inputs, "export_controls", "china_revenue_usd_bn", "Nvidia", 2028, 4.5, band=False), 30))
    _report("uncertainty: seek + band (Nvidia revenue, cached draws)", _timed(
        lambda: seek(scenario, inputs, "export_controls", "china_revenue_usd_bn", "Nvidia", 2028, 4.5,
                     draw_result=draws), 10))
    _report("uncertainty: seek + band (domestic share, cached draws)", _timed(
        lambda: seek(scenario, inputs, "self_reliance", "domestic_share_value", "Domestic (all)", 2028, 0.6,
                     draw_result=draws), 10))


def _process_cpu_ms(pid: int) -> float:
    """CPU used so far by a server process and what it started (the app's export workers), in ms: the load
    tool's /proc reading."""
    from bench.load import cpu_seconds

    return cpu_seconds([pid]) * 1000.0


def bench_server_cpu(moves: int = 80, opens: int = 8) -> None:
    """Server CPU (what a shared server pays; /proc, so other work on the machine does not count) per slider move
    and per page open, one real Chromium user, the Scenario page beside the floor app (one slider, one small
    chart: the least a Streamlit page with a chart costs), then per move on every other page with the sliders
    (half as many moves each). A move: an arrow key on the export-controls slider, then the page idle. A page open: a new tab
    in the same browser (its static files cached, as for anyone's second visit) and a new browser (nothing cached).
    The clock ticks in 10 ms steps, so the per-move figure is a mean over many moves."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import StreamlitServer, launch_chromium, wait_for_app_idle

    cases = [("floor app (1 slider, 1 chart)", "bench/floor_app.py", "Floor value"),
             ("Chokepoint: Scenario page", "app.py", "US export controls")]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for name, app, label in cases:
            with StreamlitServer(ROOT / app) as server:
                pid = server.process.pid
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.goto(server.url + "/")
                wait_for_app_idle(page, timeout_ms=60000, quiet_ms=500)
                cached, cold = [], []
                for _ in range(opens):
                    tab = context.new_page()
                    before = _process_cpu_ms(pid)
                    tab.goto(server.url + "/")
                    wait_for_app_idle(tab, timeout_ms=60000, quiet_ms=300)
                    cached.append(_process_cpu_ms(pid) - before)
                    tab.close()
                    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
                    before = _process_cpu_ms(pid)
                    other = fresh.new_page()
                    other.goto(server.url + "/")
                    wait_for_app_idle(other, timeout_ms=60000, quiet_ms=300)
                    cold.append(_process_cpu_ms(pid) - before)
                    fresh.close()
                per_move = _moves(page, label, pid, moves)
                context.close()
                print(f"{'server CPU per slider move: ' + name:<64} mean {statistics.mean(per_move):6.1f} ms   n={moves}")
                print(f"{'server CPU per page open, frontend cached: ' + name:<64} mean {statistics.mean(cached):6.1f} ms   n={opens}")
                print(f"{'server CPU per page open, new browser: ' + name:<64} mean {statistics.mean(cold):6.1f} ms   n={opens}")
        with StreamlitServer(ROOT / "app.py") as server:  # every other page with the sliders, one server
            for route in OTHER_PAGES:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.goto(f"{server.url}/{route}")
                wait_for_app_idle(page, timeout_ms=60000, quiet_ms=500)
                per_move = _moves(page, "US export controls", server.process.pid, moves // 2)
                context.close()
                print(f"{'server CPU per slider move: Chokepoint: ' + route:<64} mean {statistics.mean(per_move):6.1f} ms"
                      f"   n={moves // 2}")
        browser.close()


OTHER_PAGES = ("china_market", "revenue_exposure", "domestic_supply", "uncertainty", "claims", "library", "compare",
               "methodology")


def _moves(page, label: str, pid: int, moves: int) -> list[float]:
    """Server CPU of each of `moves` arrow-key moves of the slider labelled `label` (after 4 to warm up)."""
    from tests.e2e.harness import wait_for_app_idle

    slider = page.locator('[data-testid="stSlider"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True))
    slider.locator('input[type="range"], [role="slider"]').first.focus()
    for warm in range(4):
        page.keyboard.press("ArrowRight" if warm % 2 == 0 else "ArrowLeft")
        wait_for_app_idle(page, timeout_ms=20000, quiet_ms=200)
    per_move = []
    for step in range(moves):
        before = _process_cpu_ms(pid)
        page.keyboard.press("ArrowRight" if step % 2 == 0 else "ArrowLeft")
        page.wait_for_timeout(60)
        wait_for_app_idle(page, timeout_ms=20000, quiet_ms=200)
        per_move.append(_process_cpu_ms(pid) - before)
    return per_move


BENCHES = {"engine": bench_engine, "script": bench_script_cost, "browser": bench_browser, "pack": bench_pack,
           "server_cpu": bench_server_cpu}
BENCHES["uncertainty"] = bench_uncertainty


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(BENCHES))
    args = parser.parse_args(argv)
    for name, bench in BENCHES.items():
        if args.only in (None, name):
            print(f"== {name}")
            bench()


if __name__ == "__main__":
    main()
