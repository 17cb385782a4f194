"""The chart catalogue: every scenario chart the app draws, exports and puts in a briefing pack, in one place.

Each kind has a name, its one title (the chart's own, the export stamp's and the pack's), the rows a scenario
gives it, its spec builder and, where it can carry them, the Monte Carlo bands it draws. No Streamlit and no
cache: the caller (chokepoint/ui/resources.py in the app; tests and the benchmark directly) passes runs and the
static layers, and keeps what it wants to keep.

A chart is built once per kind, year and reference scenario (a *template*); another scenario's chart is the
template with that scenario's rows swapped in (`fill`, well under a millisecond), and must equal a fresh
`build` for that scenario (tests/test_catalogue.py).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from chokepoint import specs, views
from chokepoint.data import Database, run_query
from chokepoint.engine import SHARE_ENTITIES, US_FIRMS
from chokepoint.formatting import FRACTION, LEVER_YEARS, PERCENT, UNITS, USD_BN, YEARS
from chokepoint.params import text

Rows = dict[str, list[dict]]
HEADLINE_SHARES = ("Nvidia", "Domestic (all)", "Grey market")
RISK_COMPANIES = US_FIRMS + ("ASML", "Tokyo Electron")
PACK_CHARTS = ("headline_shares", "risk_usd")  # on every slide of a briefing pack


def _charts():
    """The Altair builders, imported on first build: a server whose templates are on disk never loads Altair
    (~0.2 s; see chokepoint/specs.py)."""
    from chokepoint import charts
    return charts


class Statics:
    """The layers that do not depend on the scenario: policy events and published estimates, with their sources
    written out (built from the database once, then read-only)."""

    def __init__(self, database: Database):
        self.database = database

    @functools.cached_property
    def source_titles(self) -> dict[str, str]:
        sources = run_query("sources", self.database)
        return dict(zip(sources.source_id, sources.title))

    def cite(self, source_ids: str) -> str:
        ids = [s for s in text(source_ids).split(";") if s]
        return "; ".join(f"{self.source_titles.get(s, s)} [{s}]" for s in ids) or "judgment"

    @functools.cached_property
    def events(self) -> pd.DataFrame:
        """Policy events as one rule per year (titles and sources listed in the tooltip): fewer marks to redraw."""
        frame = run_query("policy_events", self.database)
        rows = pd.DataFrame({"year": frame.year.astype(int),
                             "title": frame.date.dt.strftime("%Y-%m-%d") + " " + frame.title,
                             "source": [self.cite(s) for s in frame.source_id]})
        return rows.groupby("year", as_index=False).agg({"title": " | ".join, "source": " | ".join})

    @functools.lru_cache(maxsize=32)
    def markers(self, metric: str, entities: tuple[str, ...]) -> pd.DataFrame:
        """Published estimates to draw on a projection: China scope only, within the model's years."""
        frame = run_query("china_market_estimates", self.database, metric=metric)
        frame = frame[frame.vendor.isin(entities) & frame.year.between(YEARS[0], YEARS[-1])
                      & ~frame.scope.fillna("").str.contains("worldwide")]
        return pd.DataFrame({
            "year": frame.year.astype(int), "entity": frame.vendor, "value": frame.value,
            "label": frame.estimate_source + " " + frame.kind,
            "source": [f"{self.cite(s)} - {text(scope)}" for s, scope in zip(frame.source_id, frame.scope)],
        }).reset_index(drop=True)


@dataclass(frozen=True)
class ChartKind:
    name: str
    title: str  # "{year}" is filled with the chart's year
    shape: str  # "series" (lines: scenario, reference, history/projection) | "plain" (one dataset)
    rows: Callable[["views.Results", "views.Results", int], Rows]  # (scenario run, reference run, year) -> datasets
    build: Callable[[dict[str, pd.DataFrame], Statics, str, int], object]  # (frames, statics, title, year) -> chart
    banded: tuple[tuple[str, str], ...] = ()  # (metric, entity) pairs drawn as Monte Carlo bands

    def title_for(self, year: int) -> str:
        return self.title.format(year=year)


def _model_points(metric: str, entities):
    return lambda run: [{**p, "source": views.MODEL_SOURCE} for p in run.points(metric, entities)]


def _headline_points(run) -> list[dict]:
    shares = [p for p in views.share_records(run) if p["entity"] in HEADLINE_SHARES]
    return shares + _model_points("domestic_share_value", None)(run)


def _series(name, title, points, y_title, unit, markers=None, bands=False, banded=(), height=320) -> ChartKind:
    """A line chart of the scenario, the reference drawn faintly, published estimates as markers."""
    def build(frames, statics, title, year):
        return _charts().series_chart(
            frames["main"], reference=frames["reference"], events=statics.events, height=height,
            markers=statics.markers(*markers) if markers else None, bands=frames.get("bands"),
            title=title, y_title=y_title, unit=unit)
    return ChartKind(name, title, "series", lambda run, ref, year: {"main": points(run), "reference": points(ref)},
                     build, banded)


def _risk_bars(name, title, measure, x_title, unit) -> ChartKind:
    return ChartKind(name, title, "plain",
                     lambda run, ref, year: {"main": views.revenue_cause_records(run, year, measure)},
                     lambda frames, statics, title, year: _charts().cause_bars(
                         frames["main"], title=title, x_title=x_title, unit=unit))


def _supply_build(frames, statics, title, year):
    return _charts().capacity_chart(frames["main"], title=title, markers=pd.concat(
        [statics.markers("production_units", ("Huawei",)), statics.markers("units", ("Huawei", "Domestic (all)"))]))


_ALL_SHARES = SHARE_ENTITIES + ("Domestic (all)",)
CATALOGUE: dict[str, ChartKind] = {kind.name: kind for kind in (
    _series("headline_shares", "Share of China's AI-accelerator spend (by value)", _headline_points,
            "Share of realised spend (%)", FRACTION, markers=("share_value", HEADLINE_SHARES)),
    _series("shares_value", "Share of China's AI-accelerator market by value",
            lambda run: views.share_records(run, "value"), "Share of realised spend (%)", FRACTION,
            markers=("share_value", _ALL_SHARES),
            banded=tuple(("china_share_value", vendor) for vendor in SHARE_ENTITIES)),
    _series("shares_units", "Share of China's AI-accelerator market by units",
            lambda run: views.share_records(run, "units_share"), "Share of units shipped (%)", FRACTION,
            markers=("share_units", _ALL_SHARES)),
    _series("units", "Accelerators sold in China by vendor (units)", _model_points("china_units", SHARE_ENTITIES),
            "Units per year", UNITS, markers=("units", SHARE_ENTITIES)),
    _series("risk_over_time", "China revenue at risk over time (USD bn)",
            _model_points("revenue_at_risk_usd_bn", RISK_COMPANIES), "Revenue at risk (USD bn)", USD_BN, height=380),
    _risk_bars("risk_usd", "China revenue at risk by company, {year} (USD bn)", "usd", "Revenue at risk (USD bn)",
               USD_BN),
    _risk_bars("risk_pct", "China revenue at risk by company, {year} (% of revenue)", "pct",
               "Revenue at risk (% of revenue)", PERCENT),
    ChartKind("supply", "Domestic accelerator output against its limits (units per year)", "plain",
              lambda run, ref, year: {"main": views.supply_records(run)}, _supply_build),
)}
# The landing page's headline chart carries no bands: it stays the fastest view (its numbers' probabilities are
# on the Uncertainty page).

# How a scenario's rows enter a built chart, by shape and dataset (the series layer splits history/projection).
_PREPARE = {"series": {"main": specs.series_records, "bands": list}, "plain": {"main": list}}


def build(name: str, rows: Rows, statics: Statics, year: int, bands: list[dict] | None = None) -> dict:
    """A fresh Vega-Lite spec for `rows` (as `ChartKind.rows` gives them), with bands if given."""
    kind = CATALOGUE[name]
    frames = {dataset: pd.DataFrame(r) for dataset, r in rows.items()}
    if bands is not None:
        frames["bands"] = pd.DataFrame(bands)
    return _charts().spec(kind.build(frames, statics, kind.title_for(year), year))


def fill(template: dict, name: str, rows: Rows, bands: list[dict] | None = None) -> dict:
    """A built chart (of the same kind, year and reference) with this scenario's rows and bands swapped in."""
    prepare = _PREPARE[CATALOGUE[name].shape]
    datasets = {"main": prepare["main"](rows["main"])}
    if bands is not None:
        datasets["bands"] = prepare["bands"](bands)
    return specs.with_data(template, **datasets)


def band_rows(name: str, draws) -> list[dict]:
    """Weighted P5/P25/P75/P95 by projected year of the series a chart draws as bands, from a scenario's
    conditioned draws (`chokepoint.uncertainty.DrawResult`)."""
    rows = []
    for metric, entity in CATALOGUE[name].banded:
        for year in LEVER_YEARS:
            p5, p25, p75, p95 = (float(q) for q in draws.quantiles(metric, entity, year, (5, 25, 75, 95)))
            rows.append({"year": year, "entity": entity, "p5": p5, "p25": p25, "p75": p75, "p95": p95})
    return rows


# ------------------------------------------------------------------------------ charts drawn from a table
# Charts whose rows are not one scenario's run (several scenarios, the draws' drivers, a company's attribution,
# the filings): built whole each time, from the frame the page gives. Titles take the same {placeholders}.

@dataclass(frozen=True)
class TableChart:
    name: str
    title: str
    build: Callable[..., object]  # (frame, title) -> chart


TABLE_CHARTS: dict[str, TableChart] = {chart.name: chart for chart in (
    TableChart("comparison", "{what}", lambda frame, title, unit: _charts().comparison_chart(
        frame, title=title, y_title="Share (%)", unit=unit)),
    TableChart("tornado", "{output}, {year}: output with each parameter at its P5 and P95 (conditioned draws)",
               lambda frame, title, unit, output: _charts().tornado_chart(frame, title=title, x_title=output,
                                                                           unit=unit)),
    TableChart("waterfall", "{company}: China revenue at risk in {year} (USD bn)",
               lambda frame, title: _charts().waterfall_chart(frame, title=title)),
    TableChart("reported_share", "Reported China share of revenue (filings and press)",
               lambda frame, title: _charts().reported_history_chart(
                   frame, title=title, y_title="China share of revenue (%)", unit=FRACTION)),
)}


def table_spec(name: str, frame: pd.DataFrame, *, title_args: dict | None = None, **options) -> dict:
    """The Vega-Lite spec of a table chart: its title filled from `title_args`, `options` passed to its builder."""
    chart = TABLE_CHARTS[name]
    return _charts().spec(chart.build(frame, chart.title.format(**(title_args or {})), **options))
