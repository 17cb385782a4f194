"""Download buttons for charts, results and briefing packs. Files are generated only when clicked."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from chokepoint import briefing, catalogue, exports, views
from chokepoint.store import StoreError
from chokepoint.ui import resources, saved


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "chokepoint"


def _step(context) -> briefing.Step:
    title = context.scenario.name or "Current scenario"
    return briefing.Step(title, context.scenario, saved.current_link(context))


def chart_buttons(kind: str, context) -> None:
    """PNG, SVG and CSV of one chart, each stamped with title, scenario, versions, sources, date and link."""
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
    png.download_button("PNG", lambda: exports.chart_png(spec(), stamp), f"{name}.png", "image/png",
                        key=f"png::{kind}", on_click="ignore", icon=":material/image:")
    svg.download_button("SVG", lambda: exports.chart_svg(spec(), stamp), f"{name}.svg", "image/svg+xml",
                        key=f"svg::{kind}", on_click="ignore", icon=":material/draw:")
    csv.download_button("CSV", data, f"{name}.csv", "text/csv", key=f"csv::{kind}", on_click="ignore",
                        icon=":material/table:")


def results_button(context, container=st) -> None:
    step = _step(context)
    stamp = briefing.scenario_stamp(step, context.inputs)

    def data():
        tidy = resources.results(context.key).tidy
        if context.bands:  # P5-P95 of 1,000 draws beside every number
            from chokepoint.uncertainty import band_table
            tidy = band_table(resources.draws(context.key), tidy)
        return exports.stamped_csv(tidy, stamp)

    container.download_button("All results (CSV)", data, f"{_slug(step.title)}-results.csv", "text/csv",
                              key="results_csv", on_click="ignore", icon=":material/download:")


def pack_buttons(title: str, steps: list[tuple[str, str | None, str]], resolve, context, key: str,
                 container=st, link: str | None = None) -> None:
    """PPTX and PDF briefing packs. `steps`: (title, reference or None for the current scenario, notes);
    `link`: the deck's own link. The files are built after this run, in a worker thread: links are taken now
    (absolute, saved.links_from), and a step that cannot be resolved is left out and named in the pack
    rather than failing the download."""
    base = saved.base_url()
    current = saved.current_link(context)

    def pack() -> exports.Pack:
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
        return briefing.build_pack(title, built, context.reference, context.year, context.inputs,
                                   resources.results, resources.chart_spec, resources.table("sources"),
                                   left_out=left_out, link=link or current)

    container.download_button("Briefing pack (PPTX)", lambda: exports.pack_pptx(pack()), f"{_slug(title)}.pptx",
                              "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                              key=f"pptx::{key}", on_click="ignore", icon=":material/slideshow:")
    container.download_button("Handout (PDF)", lambda: exports.pack_pdf(pack()), f"{_slug(title)}.pdf",
                              "application/pdf", key=f"pdf::{key}", on_click="ignore",
                              icon=":material/picture_as_pdf:")
