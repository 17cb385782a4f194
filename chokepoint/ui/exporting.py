"""Download buttons for charts, results and briefing packs. Files are generated only when clicked.

Chart images and packs are made in the export worker processes (chokepoint/workers.py), never in the server:
the download's thread only waits for the worker's bytes, without the GIL, so no one else's page waits for it, and
a renderer that crashes takes its worker down, not the server. A pack takes seconds: its click also reruns the
page, which shows the build's progress (a status that polls the job) and, should the build fail, why, until the
next click tries again."""
from __future__ import annotations

import functools
import re
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from chokepoint import briefing, catalogue, exports, views, workers
from chokepoint.store import StoreError
from chokepoint.ui import resources, saved

POLL_SECONDS = 1.0           # how often a pack's progress is redrawn while it builds
SAME_CLICK_SECONDS = 2.0     # a click's download may reach the server this much before its rerun
START_SECONDS = 15.0         # a click whose download has not asked for the file by then shows nothing more
PACK_SECONDS_PER_STEP = 9.0  # a pack's time limit: the pool's (60 s) and this per step, at most PACK_MAX_SECONDS,
PACK_MAX_SECONDS = 170.0     # within the 180 s the browser waits for a download it asked for
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PACK_FORMATS = [("pptx", "Briefing pack (PPTX)", PPTX_MIME, ":material/slideshow:"),
                ("pdf", "Handout (PDF)", "application/pdf", ":material/picture_as_pdf:")]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "chokepoint"


def _step(context) -> briefing.Step:
    title = context.scenario.name or "Current scenario"
    return briefing.Step(title, context.scenario, saved.current_link(context))


def chart_buttons(kind: str, context) -> None:
    """PNG, SVG and CSV of one chart, each stamped with title, scenario, versions, sources, date and link. The
    images are drawn in an export worker process; should it fail, the button says so and can be clicked again."""
    step = _step(context)
    stamp = briefing.chart_stamp(kind, step, context.inputs, context.year)
    settings, reference, year, bands = context.key, context.reference_key, context.year, context.bands
    name = _slug(f"{catalogue.CATALOGUE[kind].title_for(context.year)}-{step.title}")

    def spec():
        return resources.chart_spec(kind, settings, reference, year, bands)

    def data():
        table = views.table(resources.chart_data(kind, settings, reference, year)["main"])
        if bands and catalogue.CATALOGUE[kind].banded:  # the Monte Carlo bands travel with the data
            quantiles = pd.DataFrame(resources.band_records(kind, settings))
            wide = quantiles.pivot_table(index="year", columns="entity", values=["p5", "p25", "p75", "p95"])
            wide.columns = [f"{entity} {q}" for q, entity in wide.columns]
            table = table.merge(wide.reset_index(), on="year", how="left")
        return exports.stamped_csv(table, stamp)

    png, svg, csv, _ = st.columns([1, 1, 1, 3])
    png.download_button("PNG", lambda: workers.run("chart_png", spec(), stamp), f"{name}.png", "image/png",
                        key=f"png::{kind}", on_click="ignore", icon=":material/image:")
    svg.download_button("SVG", lambda: workers.run("chart_svg", spec(), stamp), f"{name}.svg", "image/svg+xml",
                        key=f"svg::{kind}", on_click="ignore", icon=":material/draw:")
    csv.download_button("CSV", data, f"{name}.csv", "text/csv", key=f"csv::{kind}", on_click="ignore",
                        icon=":material/table:")


def _results_csv(context) -> str:
    stamp = briefing.scenario_stamp(_step(context), context.inputs)
    tidy = resources.results(context.key).tidy
    if context.bands:  # P5-P95 of 1,000 draws beside every number
        from chokepoint.uncertainty import band_table
        tidy = band_table(resources.draws(context.key), tidy)
    return exports.stamped_csv(tidy, stamp)


def results_button_at_click(latest, container=st) -> None:
    """All results (CSV), for a button the full run draws (shell.split_page): the CSV is of the scenario on screen
    when it is clicked (`latest()`), so a slider move does not redraw the button."""
    base = saved.base_url()

    def data():
        context = latest()
        with saved.links_from(base):
            return _results_csv(context)

    container.download_button("All results (CSV)", data, "chokepoint-results.csv", "text/csv", key="results_csv",
                              on_click="ignore", icon=":material/download:")


@dataclass
class _Job:
    signature: tuple
    started: float
    future: Future  # the file's bytes


class _PackBuild:
    """The builds of one pack file (one format of one set of pack buttons) for one session. A click reaches the
    server twice, at about the same moment: as the download's request, whose callable starts the build and waits
    for its bytes (`file`), and as the rerun it asks for (`clicked`), which shows the build's progress (`phase`)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.current: _Job | None = None
        self.clicked_at, self.clicked_for = float("-inf"), None

    def clicked(self, signature: tuple) -> None:
        self.clicked_at, self.clicked_for = time.monotonic(), signature

    def file(self, signature: tuple, kind: str, request, steps: int) -> bytes:
        with self._lock:
            job = self.current
            if job is None or job.signature != signature or job.future.done():
                try:
                    limit = min(PACK_MAX_SECONDS, workers.pool().timeout + PACK_SECONDS_PER_STEP * steps)
                    future = workers.submit("pack_file", kind, request(), timeout=limit)
                except Exception as exc:  # the pool is busy or stopping, or the pack's data could not be read
                    future = Future()
                    future.set_exception(exc)
                job = self.current = _Job(signature, time.monotonic(), future)
        return job.future.result()

    def phase(self, signature: tuple) -> str | None:
        """"starting" (clicked; the download has not asked yet), "building", "failed" (until the next click),
        or None."""
        job = self.current
        if job is None or job.signature != signature or job.started < self.clicked_at - SAME_CLICK_SECONDS:
            clicked = self.clicked_for == signature and time.monotonic() - self.clicked_at < START_SECONDS
            return "starting" if clicked else None
        if not job.future.done():
            return "building"
        return "failed" if job.future.exception() is not None else None


def _problem(exc: BaseException) -> str:
    if isinstance(exc, workers.ExportError):
        return f"{exc}."
    return f"{type(exc).__name__}: {exc}."


def _status(build: _PackBuild, signature: tuple, label: str) -> bool:
    """Show one build's progress; False when it is no longer under way."""
    phase, job = build.phase(signature), build.current
    if phase == "starting":
        st.status(f"Starting {label}…", state="running")
    elif phase == "building" and job.future.running():
        st.status(f"Building {label}: {time.monotonic() - job.started:.0f} s. The download starts when it is ready.",
                  state="running")
    elif phase == "building":
        st.status(f"{label}: waiting for a free export worker ({time.monotonic() - job.started:.0f} s).",
                  state="running")
    else:
        return False
    return True


@st.fragment(run_every=POLL_SECONDS)
def _progress(builds: list[tuple[_PackBuild, str]], signature: tuple) -> None:
    """While packs build: their progress, redrawn every POLL_SECONDS (one small rerun of this fragment, for this
    session only); once none is, the whole page again (which stops this polling and shows the outcome)."""
    under_way = [_status(build, signature, label) for build, label in builds]
    if not any(under_way):
        st.rerun()


def pack_buttons(title: str, steps: list[tuple[str, str | None, str]], resolve, context, key: str,
                 container=st, link: str | None = None) -> None:
    """PPTX and PDF briefing packs. `steps`: (title, reference or None for the current scenario, notes);
    `link`: the deck's own link. A click builds the file in an export worker process (chokepoint/workers.py)
    from plain data gathered here (links are taken now, absolute: saved.links_from), and a step that cannot be
    resolved is left out and named in the pack rather than failing the download. The page shows the build's
    progress and, if it fails, why; clicking again tries again."""
    base = saved.base_url()
    current = saved.current_link(context)
    signature = (title, tuple(steps), context.scenario.name, context.key, context.reference_key, context.year,
                 current, link, base)

    def request() -> briefing.PackRequest:
        built, left_out = [], []
        with saved.links_from(base):
            for number, (step_title, ref, notes) in enumerate(steps, 1):
                if ref is None:
                    built.append(briefing.Step(step_title, context.scenario, current, notes))
                    continue
                try:
                    scenario, step_link, _ = resolve(ref)
                except (LookupError, ValueError, StoreError) as exc:
                    left_out.append(f"Step {number}, “{step_title}”: {exc}.")
                    continue
                built.append(briefing.Step(step_title, scenario, step_link, notes))
        return briefing.pack_request(title, built, context.reference, context.year, context.inputs,
                                     resources.results, resources.chart_spec, resources.table("sources"),
                                     left_out=left_out, link=link or current)

    _pack_row(signature, key, container, _slug(title), request, len(steps))


def pack_buttons_at_click(latest, key: str, container=st) -> None:
    """The current scenario's PPTX and PDF packs, as `pack_buttons` makes them, for buttons the full run draws
    (shell.split_page): the scenario is the one on screen when the button is clicked (`latest()`), so a slider
    move does not redraw them. One build at a time per format: its progress shows whatever the levers do."""
    base = saved.base_url()

    def request() -> briefing.PackRequest:
        context = latest()
        name = context.scenario.name
        with saved.links_from(base):
            current = saved.current_link(context)
        step = briefing.Step(name or "Current scenario", context.scenario, current, "")
        return briefing.pack_request(f"Chokepoint briefing: {name or 'current scenario'}", [step], context.reference,
                                     context.year, context.inputs, resources.results, resources.chart_spec,
                                     resources.table("sources"), link=current)

    _pack_row(("on screen when clicked", key), key, container, "chokepoint-briefing", request, 1)


def _pack_row(signature: tuple, key: str, container, name: str, request, steps: int) -> None:
    """The two pack buttons, the builds' progress while they run, and a failed build's reason."""
    shown = []
    for kind, label, mime, icon in PACK_FORMATS:
        build = st.session_state.setdefault(f"_pack_build::{kind}::{key}", _PackBuild())
        container.download_button(label, functools.partial(build.file, signature, kind, request, steps),
                                  f"{name}.{kind}", mime, key=f"{kind}::{key}", icon=icon,
                                  on_click=functools.partial(build.clicked, signature))
        shown.append((build, label))
    if any(build.phase(signature) in ("starting", "building") for build, _ in shown):
        with container.container():
            _progress(shown, signature)
    for build, label in shown:
        if build.phase(signature) == "failed":
            container.error(f"{label} could not be made: {_problem(build.current.future.exception())} Nothing "
                            f"else is affected; click {label} to try again.", icon=":material/error:")
