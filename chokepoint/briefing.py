"""Assemble briefing material (stamps, packs) for one scenario or a deck. No Streamlit: the caller passes
the functions that give results and chart specs, so the app, tests and benchmarks share one path.

The app builds pack files in a worker process (chokepoint/workers.py): it gathers what the pack needs from its
caches as plain data (`pack_request`), and the worker runs `pack_file`, which builds the pack (its Monte Carlo
odds and chart images included) and the PPTX or PDF."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from chokepoint import exports, views
from chokepoint.catalogue import CATALOGUE, PACK_CHARTS
from chokepoint.params import ModelInputs, Scenario, ScenarioKey, text
from chokepoint.uncertainty import headline_probabilities, run_draws

MODEL_SOURCES = ("Chokepoint model; inputs from data/ (company filings, IDC, Bernstein, SemiAnalysis, "
                 "TrendForce and others; see the Methodology page)")



@dataclass(frozen=True)
class Step:
    title: str
    scenario: Scenario
    link: str
    notes: str = ""


def chart_stamp(kind: str, step: Step, inputs: ModelInputs, year: int, sources: str = MODEL_SOURCES) -> exports.Stamp:
    return exports.stamp(CATALOGUE[kind].title_for(year), step.scenario.label(), inputs.data_version, sources, step.link)


def scenario_stamp(step: Step, inputs: ModelInputs, what: str = "Scenario results") -> exports.Stamp:
    return exports.stamp(f"{what}: {step.title}", step.scenario.label(), inputs.data_version, MODEL_SOURCES, step.link)


def build_pack(title: str, steps: list[Step], reference: Scenario, year: int, inputs: ModelInputs,
               results: Callable[[ScenarioKey], views.Results], chart_spec: Callable[[str, ScenarioKey, ScenarioKey, int], dict],
               sources: pd.DataFrame, left_out: list[str] | None = None, link: str = "") -> exports.Pack:
    """The briefing pack for a list of steps (one scenario: a single step). `left_out`: steps of the deck that
    could not be built, each with the reason (the pack says so, rather than failing); `link`: the deck's own
    link, stamped when no step is left to give one."""
    reference_key = reference.key()
    reference_run = results(reference_key)
    jobs = [(chart_spec(kind, step.scenario.key(), reference_key, year), chart_stamp(kind, step, inputs, year))
            for step in steps for kind in PACK_CHARTS]
    # one after another: the app runs this in a worker process (pack_file), one core per pack at most
    rendered = [exports.chart_png(spec, stamp_, scale=1.5) for spec, stamp_ in jobs]
    slides = []
    for index, step in enumerate(steps):
        run = results(step.scenario.key())
        numbers = [(h.label, h.formatted(), f"{h.formatted_delta()} vs {reference.name}")
                   for h in views.headlines(run, reference_run, year)]
        pngs = rendered[index * len(PACK_CHARTS):(index + 1) * len(PACK_CHARTS)]
        odds = headline_probabilities(run_draws(step.scenario, inputs, 1000), year)
        slides.append(exports.PackSlide(
            title=step.title, scenario=step.scenario.label(), link=step.link, numbers=numbers, charts=pngs,
            notes=step.notes, takeaways=[views.share_takeaway(run, year), views.revenue_takeaway(run, year)],
            odds=odds))
    assumptions = [(f"{step.title}", step.scenario.label()) for step in steps]
    assumptions.append(("Reference scenario", reference.label()))
    assumptions.append(("Headline year", str(year)))
    for name, parameter in sorted(inputs.parameters.items()):
        basis = "judgment" if parameter.basis == "judgment" else f"{parameter.basis}: {', '.join(parameter.source_ids)}"
        assumptions.append((parameter.label, f"{parameter.default:g} {parameter.unit} ({basis})"))
    cited = sorted({s for p in inputs.parameters.values() for s in p.source_ids})
    by_id = sources.set_index("source_id")
    source_lines = [f"[{sid}] {text(by_id.loc[sid, 'title'])} - {text(by_id.loc[sid, 'url'])} "
                    f"({text(by_id.loc[sid, 'date'])}; {text(by_id.loc[sid, 'confidence'])})"
                    for sid in cited if sid in by_id.index]
    stamp = exports.stamp(title, "; ".join(step.scenario.label() for step in steps) or "none (see below)",
                          inputs.data_version, MODEL_SOURCES, steps[0].link if steps else link)
    subtitle = f"{len(steps)} scenario{'' if len(steps) == 1 else 's'} · reference: {reference.name} · year {year}"
    return exports.Pack(title, subtitle, slides, assumptions, source_lines, stamp, list(left_out or []))


@dataclass(frozen=True)
class PackRequest:
    """Everything `pack_file` needs to build a pack in another process, as plain data: the steps, each scenario's
    result rows and each chart's Vega-Lite spec, taken from the server's caches by `pack_request`."""
    title: str
    steps: list[Step]
    reference: Scenario
    year: int
    inputs: ModelInputs
    results: dict[ScenarioKey, list[tuple]]          # scenario -> its result rows (views.Results.rows)
    specs: dict[tuple[str, ScenarioKey, ScenarioKey, int], dict]  # (kind, scenario, reference, year) -> spec
    sources: pd.DataFrame
    left_out: list[str] = field(default_factory=list)
    link: str = ""


def pack_request(title: str, steps: list[Step], reference: Scenario, year: int, inputs: ModelInputs,
                 results: Callable[[ScenarioKey], views.Results],
                 chart_spec: Callable[[str, ScenarioKey, ScenarioKey, int], dict], sources: pd.DataFrame,
                 left_out: list[str] | None = None, link: str = "") -> PackRequest:
    """What `build_pack` would read through `results` and `chart_spec`, read now (cheap from the app's caches)."""
    reference_key = reference.key()
    keys = dict.fromkeys([reference_key, *(step.scenario.key() for step in steps)])
    specs = {(kind, key, reference_key, year): chart_spec(kind, key, reference_key, year)
             for key in (step.scenario.key() for step in steps) for kind in PACK_CHARTS}
    return PackRequest(title, list(steps), reference, year, inputs, {key: results(key).rows for key in keys}, specs,
                       sources, list(left_out or []), link)


def pack_file(kind: str, request: PackRequest) -> bytes:
    """The pack as a "pptx" or "pdf" file: what an export worker process runs (chokepoint/workers.py)."""
    if kind not in ("pptx", "pdf"):
        raise ValueError(f"no pack format {kind!r}")
    runs = {key: views.Results(rows) for key, rows in request.results.items()}
    pack = build_pack(request.title, request.steps, request.reference, request.year, request.inputs, runs.__getitem__,
                      lambda *chart: request.specs[chart], request.sources, left_out=request.left_out,
                      link=request.link)
    return exports.pack_pptx(pack) if kind == "pptx" else exports.pack_pdf(pack)
