"""Process-wide cached resources: data, model inputs, scenario runs and chart specs.

Nothing here depends on a widget except through its arguments, so a slider move only recomputes the
scenario it names (once per process: results are cached, bounded).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from chokepoint import specs, views
from chokepoint.data import Database, get_database, run_query
from chokepoint.engine import run_scenario
from chokepoint.params import (FIRST_LEVER_YEAR, YEARS, ModelInputs, Scenario, load_model_inputs, scenario_from_settings,
                               text)
from chokepoint.validation import validation_table

Settings = tuple[tuple[str, float], ...]


def _charts():
    """The Altair chart builders, imported on first use: a server whose chart templates are on disk draws
    the landing page without paying ~0.2 s to import Altair (see chokepoint/specs.py)."""
    from chokepoint import charts
    return charts


@st.cache_resource(show_spinner=False)
def database() -> Database:
    return get_database()


@st.cache_resource(show_spinner=False)
def store():
    """The saved-scenario store: PostgreSQL if CHOKEPOINT_DATABASE_URL is set, else a DuckDB file."""
    from chokepoint.store import open_store
    return open_store()


@st.cache_resource(show_spinner=False)
def model_inputs() -> ModelInputs:
    return load_model_inputs(database())


@st.cache_resource(show_spinner=False, max_entries=512)
def results(settings: Settings) -> views.Run:
    """A scenario's results with fast lookups (shared and read-only: never mutate it)."""
    scenario = scenario_from_settings(dict(settings), model_inputs())
    return views.Run(run_scenario(scenario, model_inputs()).rows())


@st.cache_resource(show_spinner=False)
def table(name: str, **params) -> pd.DataFrame:
    """A query result that does not depend on the scenario (read-only)."""
    return run_query(name, database(), **params)


@st.cache_resource(show_spinner=False)
def validation() -> pd.DataFrame:
    return validation_table(model_inputs(), database())


@st.cache_resource(show_spinner=False)
def backtest_card() -> pd.DataFrame:
    """The backtest scorecard rows (two refits, ~10 ms), once per process."""
    from chokepoint.validation import backtest
    return backtest(model_inputs(), database())


@st.cache_resource(show_spinner=False)
def backtest_scorecard() -> pd.DataFrame:
    from chokepoint.validation import backtest_scores
    return backtest_scores(backtest_card())


@st.cache_resource(show_spinner=False)
def source_titles() -> dict[str, str]:
    sources = table("sources")
    return dict(zip(sources.source_id, sources.title))


def cite(source_ids: str) -> str:
    titles = source_titles()
    ids = [s for s in text(source_ids).split(";") if s]
    return "; ".join(f"{titles.get(s, s)} [{s}]" for s in ids) or "judgment"


@st.cache_resource(show_spinner=False)
def events() -> pd.DataFrame:
    """Policy events as one rule per year (titles and sources listed in the tooltip): fewer marks to redraw."""
    frame = table("policy_events")
    rows = pd.DataFrame({"year": frame.year.astype(int),
                         "title": frame.date.dt.strftime("%Y-%m-%d") + " " + frame.title,
                         "source": [cite(s) for s in frame.source_id]})
    return rows.groupby("year", as_index=False).agg({"title": " | ".join, "source": " | ".join})


@st.cache_resource(show_spinner=False)
def markers(metric: str, entities: tuple[str, ...], years: tuple[int, int] = (YEARS[0], YEARS[-1])) -> pd.DataFrame:
    """Published estimates to draw on a projection: China scope only, within the chart's years."""
    frame = table("china_market_estimates", metric=metric)
    frame = frame[frame.vendor.isin(entities) & frame.year.between(*years)
                  & ~frame.scope.fillna("").str.contains("worldwide")]
    return pd.DataFrame({
        "year": frame.year.astype(int), "entity": frame.vendor, "value": frame.value,
        "label": frame.estimate_source + " " + frame.kind,
        "source": [f"{cite(s)} - {text(scope)}" for s, scope in zip(frame.source_id, frame.scope)],
    }).reset_index(drop=True)



# Each chart kind: (shape, data, build). `data(tidy, reference, year)` gives the scenario-dependent
# frames ("main", optionally "reference"); `build(frames, year)` the Altair chart with its static layers.
SHARES = ("Nvidia", "AMD", "Huawei", "Cambricon", "Other domestic", "Grey market")
HEADLINE_SHARES = ("Nvidia", "Domestic (all)", "Grey market")
RISK_COMPANIES = views.US_FIRMS + ("ASML", "Tokyo Electron")


def _headline(run: views.Run) -> list[dict]:
    shares = [p for p in views.share_records(run) if p["entity"] in HEADLINE_SHARES]
    domestic = [{**p, "source": views.MODEL_SOURCE} for p in run.points("domestic_share_value")]
    return shares + domestic


def _points(metric, entities):
    return lambda run: [{**p, "source": views.MODEL_SOURCE} for p in run.points(metric, entities)]


def _series_kind(rows, build):
    """A line chart of the scenario with the reference drawn faintly."""
    return ("series", lambda t, r, y: {"main": rows(t), "reference": rows(r)}, build)


CHARTS = {
    "headline_shares": _series_kind(_headline, lambda f, y: _charts().series_chart(
        f["main"], reference=f["reference"], markers=markers("share_value", HEADLINE_SHARES), events=events(),
        bands=f.get("bands"),
        title="Share of China's AI-accelerator spend (by value)", y_title="Share of realised spend (%)",
        unit="fraction")),
    "shares_value": _series_kind(lambda run: views.share_records(run, "value"), lambda f, y: _charts().series_chart(
        f["main"], reference=f["reference"], markers=markers("share_value", SHARES + ("Domestic (all)",)),
        events=events(), bands=f.get("bands"), title="Share of China's AI-accelerator market by value",
        y_title="Share of realised spend (%)", unit="fraction")),
    "shares_units": _series_kind(lambda run: views.share_records(run, "units_share"), lambda f, y: _charts().series_chart(
        f["main"], reference=f["reference"], markers=markers("share_units", SHARES + ("Domestic (all)",)),
        events=events(), title="Share of China's AI-accelerator market by units",
        y_title="Share of units shipped (%)", unit="fraction")),
    "units": _series_kind(_points("china_units", SHARES), lambda f, y: _charts().series_chart(
        f["main"], reference=f["reference"], markers=markers("units", SHARES), events=events(),
        title="Accelerators sold in China by vendor (units)", y_title="Units per year", unit="units")),
    "risk_over_time": _series_kind(_points("revenue_at_risk_usd_bn", RISK_COMPANIES), lambda f, y: _charts().series_chart(
        f["main"], reference=f["reference"], events=events(), height=380,
        title="China revenue at risk over time (USD bn)", y_title="Revenue at risk (USD bn)", unit="USD bn")),
    "risk_usd": ("plain", lambda t, r, y: {"main": views.revenue_cause_records(t, y)},
                 lambda f, y: _charts().cause_bars(f["main"], title=f"China revenue at risk by company, {y} (USD bn)",
                                                x_title="Revenue at risk (USD bn)", unit="USD bn")),
    "risk_pct": ("plain", lambda t, r, y: {"main": views.revenue_cause_records(t, y, "pct")},
                 lambda f, y: _charts().cause_bars(f["main"], title=f"China revenue at risk by company, {y} (% of revenue)",
                                                x_title="Revenue at risk (% of revenue)", unit="percent")),
    "supply": ("plain", lambda t, r, y: {"main": views.supply_records(t)},
               lambda f, y: _charts().capacity_chart(
                   f["main"], title="Domestic accelerator output against its limits (units per year)",
                   markers=pd.concat([markers("production_units", ("Huawei",)),
                                      markers("units", ("Huawei", "Domestic (all)"))]))),
}
PREPARE = {
    "series": {"main": specs.series_records, "bands": list},
    "plain": {"main": list},
}
# Charts that can carry Monte Carlo bands: (metric, entity) pairs drawn.
# (The landing page's headline chart has none: it stays the fastest view; its numbers' probabilities are on the
# Uncertainty page.)
BANDED = {
    "shares_value": tuple(("china_share_value", vendor) for vendor in SHARES),
}


@st.cache_resource(show_spinner=False, max_entries=128)
def draws(settings: Settings):
    """1,000 Monte Carlo draws for a scenario, seeded by the scenario and weighted by how well they reproduce
    the calibration targets (cached; read-only)."""
    from chokepoint.uncertainty import calibration, run_draws
    return run_draws(scenario_from_settings(dict(settings), model_inputs()), model_inputs(), 1000,
                     targets=calibration(database()))


@st.cache_resource(show_spinner=False, max_entries=128)
def band_records(kind: str, settings: Settings) -> list[dict]:
    """Weighted P5/P25/P75/P95 by year (the years the levers act on) of the conditioned draws, for the series a
    chart draws (cached; read-only)."""
    result = draws(settings)
    rows = []
    for metric, entity in BANDED[kind]:
        for year in range(FIRST_LEVER_YEAR, YEARS[-1] + 1):
            p5, p25, p75, p95 = (float(q) for q in result.quantiles(metric, entity, year, (5, 25, 75, 95)))
            rows.append({"year": year, "entity": entity, "p5": p5, "p25": p25, "p75": p75, "p95": p95})
    return rows


@st.cache_resource(show_spinner=False, max_entries=128)
def grey_range(settings: Settings, year: int) -> dict[str, tuple[float, float]]:
    """Weighted P5 and P95 of the grey channel in one year: smuggled units and their value (USD bn), from the
    scenario's cached conditioned draws (cached; read-only)."""
    result = draws(settings)
    return {metric: tuple(float(q) for q in result.quantiles(metric, "Grey market", year, (5, 95)))
            for metric in ("china_units", "china_spend_usd_bn")}


@st.cache_resource(show_spinner=False, max_entries=64)
def chart_template(kind: str, year: int, with_bands: bool, reference: Settings) -> dict:
    """A chart's spec built once per kind, year and reference scenario (the reference line is part of it);
    scenarios swap in their own rows. Saved to disk and read back on a later start when the code and
    data are unchanged (chokepoint/specs.py)."""
    path = specs.template_path(database().data_dir, kind, year, with_bands, reference)
    template = specs.load_template(path)
    if template is None:
        _, data, build = CHARTS[kind]
        default = Scenario.create(inputs=model_inputs()).key()
        sample = results(default)
        frames = {name: pd.DataFrame(rows) for name, rows in data(sample, results(reference), year).items()}
        if with_bands:
            frames["bands"] = pd.DataFrame(band_records(kind, default))
        template = _charts().spec(build(frames, year))
        specs.save_template(path, template)
    return template


def chart_data(kind: str, settings: Settings, reference: Settings, year: int) -> dict[str, list[dict]]:
    """The scenario-dependent rows of a chart ("main", and "reference" for line charts)."""
    _, data, _ = CHARTS[kind]
    return data(results(settings), results(reference), year)


def chart_spec(kind: str, settings: Settings, reference: Settings, year: int, bands: bool = False) -> dict:
    """The chart for this scenario: the cached template with this scenario's datasets (and, where the
    chart supports them and they are asked for, its Monte Carlo bands)."""
    shape = CHARTS[kind][0]
    rows = {"main": chart_data(kind, settings, reference, year)["main"]}
    with_bands = bands and kind in BANDED
    if with_bands:
        rows["bands"] = band_records(kind, settings)
    return specs.with_data(chart_template(kind, year, with_bands, reference),
                            **{name: PREPARE[shape][name](r) for name, r in rows.items()})


@st.cache_resource(show_spinner=False)
def reported_china_share() -> tuple[dict, pd.DataFrame]:
    """Companies' reported China share of revenue by year (a spec and its table; no scenario)."""
    history = table("company_china_revenue_history")
    shares = history[(history.metric == "china_share_pct") & history.value.notna()
                     & ~history.fiscal_year.str.startswith("Q")].copy()
    shares["source"] = [cite(s) for s in shares.source_id]
    shares = shares.sort_values(["company", "calendar_year"]).drop_duplicates(["company", "calendar_year"])
    frame = shares[["calendar_year", "company", "value", "fiscal_year", "status", "source"]].reset_index(drop=True)
    spec = _charts().spec(_charts().reported_history_chart(
        frame.assign(value=frame.value / 100.0), title="Reported China share of revenue (filings and press)",
        y_title="China share of revenue (%)", unit="fraction"))
    gaps = history[(history.metric == "china_revenue") & (history.status == "gap")]
    return spec, gaps[["company", "fiscal_year", "note"]].reset_index(drop=True)


@st.cache_resource(show_spinner=False, max_entries=256)
def drivers_table(settings: Settings, metric: str, entity: str, year: int) -> pd.DataFrame:
    from chokepoint.uncertainty import drivers
    return drivers(scenario_from_settings(dict(settings), model_inputs()), model_inputs(), metric, entity, year,
                   draw_result=draws(settings))


@st.cache_resource(show_spinner=False, max_entries=256)
def attribution_parts(settings: Settings, company: str, year: int) -> dict:
    from chokepoint.uncertainty import attribution
    return attribution(scenario_from_settings(dict(settings), model_inputs()), model_inputs(), company, year)


@st.cache_resource(show_spinner=False, max_entries=256)
def seek_result(settings: Settings, lever: str, metric: str, entity: str, year: int, target: float, keep: str):
    from chokepoint.uncertainty import seek
    return seek(scenario_from_settings(dict(settings), model_inputs()), model_inputs(), lever, metric, entity, year,
                target, keep, draw_result=draws(settings))
