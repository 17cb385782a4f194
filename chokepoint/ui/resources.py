"""Process-wide cached resources: data, model inputs, scenario runs and chart specs.

Nothing here depends on a widget except through its arguments, so a slider move only recomputes the
scenario it names (once per process: results are cached, bounded).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from chokepoint import charts, views
from chokepoint.data import Database, get_database, run_query
from chokepoint.engine import run_scenario
from chokepoint.params import ModelInputs, Scenario, load_model_inputs, scenario_from_settings, text
from chokepoint.validation import validation_table

Settings = tuple[tuple[str, float], ...]


@st.cache_resource(show_spinner=False)
def database() -> Database:
    return get_database()


@st.cache_resource(show_spinner=False)
def model_inputs() -> ModelInputs:
    return load_model_inputs(database())


@st.cache_resource(show_spinner=False, max_entries=512)
def results(settings: Settings) -> pd.DataFrame:
    """The tidy results for a scenario (shared, read-only: never mutate the returned frame)."""
    scenario = scenario_from_settings(dict(settings), model_inputs())
    return run_scenario(scenario, model_inputs()).tidy()


@st.cache_resource(show_spinner=False)
def table(name: str, **params) -> pd.DataFrame:
    """A query result that does not depend on the scenario (read-only)."""
    return run_query(name, database(), **params)


@st.cache_resource(show_spinner=False)
def validation() -> pd.DataFrame:
    return validation_table(model_inputs(), database())


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
    frame = table("policy_events")
    return pd.DataFrame({"year": frame.year.astype(int), "title": frame.title + " (" + frame.date.dt.strftime("%Y-%m-%d") + ")",
                         "source": [cite(s) for s in frame.source_id]})


@st.cache_resource(show_spinner=False)
def markers(metric: str, entities: tuple[str, ...], years: tuple[int, int] = (2024, 2030)) -> pd.DataFrame:
    """Published estimates to draw on a projection: China scope only, within the chart's years."""
    frame = table("china_market_estimates", metric=metric)
    frame = frame[frame.vendor.isin(entities) & frame.year.between(*years)
                  & ~frame.scope.fillna("").str.contains("worldwide")]
    return pd.DataFrame({
        "year": frame.year.astype(int), "entity": frame.vendor, "value": frame.value,
        "label": frame.estimate_source + " " + frame.kind,
        "source": [f"{cite(s)} - {text(scope)}" for s, scope in zip(frame.source_id, frame.scope)],
    }).reset_index(drop=True)


def scenario_key(scenario: Scenario) -> Settings:
    return tuple(sorted(scenario.settings().items()))


@st.cache_resource(show_spinner=False, max_entries=1024)
def chart_spec(kind: str, settings: Settings, reference: Settings, year: int) -> dict:
    """Vega-Lite spec for one chart of one scenario, built once and reused on every rerun."""
    tidy, ref = results(settings), results(reference)
    if kind == "headline_shares":
        entities = ("Nvidia", "Domestic (all)", "Grey market")
        frame = pd.concat([views.share_frame(tidy), views.series(tidy, "domestic_share_value")
                           .assign(source=views.MODEL_SOURCE)])
        ref_frame = pd.concat([views.share_frame(ref), views.series(ref, "domestic_share_value")])
        chart = charts.series_chart(
            frame[frame.entity.isin(entities)], title="Share of China's AI-accelerator spend (by value)",
            y_title="Share of realised spend (%)", unit="fraction",
            reference=ref_frame[ref_frame.entity.isin(entities)].assign(source="Reference scenario"),
            markers=markers("share_value", entities), events=events())
    elif kind in ("shares_value", "shares_units"):
        measure = "value" if kind == "shares_value" else "units_share"
        entities = ("Nvidia", "AMD", "Huawei", "Cambricon", "Other domestic", "Grey market")
        frame, ref_frame = views.share_frame(tidy, measure), views.share_frame(ref, measure)
        chart = charts.series_chart(
            frame, title=f"Share of China's AI-accelerator market by {'value' if measure == 'value' else 'units'}",
            y_title=f"Share of {'realised spend' if measure == 'value' else 'units shipped'} (%)", unit="fraction",
            reference=ref_frame.assign(source="Reference scenario"),
            markers=markers("share_value" if measure == "value" else "share_units", entities + ("Domestic (all)",)),
            events=events())
    elif kind == "units":
        frame = views.series(tidy, "china_units", ("Nvidia", "AMD", "Huawei", "Cambricon", "Other domestic", "Grey market"))
        ref_frame = views.series(ref, "china_units", frame.entity.unique())
        chart = charts.series_chart(
            frame.assign(source=views.MODEL_SOURCE), title="Accelerators sold in China by vendor (units)",
            y_title="Units per year", unit="units", reference=ref_frame.assign(source="Reference scenario"),
            markers=markers("units", ("Nvidia", "AMD", "Huawei", "Cambricon", "Other domestic")), events=events())
    elif kind in ("risk_usd", "risk_pct"):
        measure = "usd" if kind == "risk_usd" else "pct"
        frame = views.revenue_cause_frame(tidy, year, measure)
        chart = charts.cause_bars(
            frame, title=f"China revenue at risk by company, {year}" + (" (% of revenue)" if measure == "pct" else " (USD bn)"),
            x_title="Revenue at risk (% of revenue)" if measure == "pct" else "Revenue at risk (USD bn)",
            unit="percent" if measure == "pct" else "USD bn")
    elif kind == "risk_over_time":
        companies = views.US_FIRMS + ("ASML", "Tokyo Electron")
        frame = views.series(tidy, "revenue_at_risk_usd_bn", companies).assign(source=views.MODEL_SOURCE)
        ref_frame = views.series(ref, "revenue_at_risk_usd_bn", companies).assign(source="Reference scenario")
        chart = charts.series_chart(frame, title="China revenue at risk over time (USD bn)",
                                    y_title="Revenue at risk (USD bn)", unit="USD bn", reference=ref_frame,
                                    events=events(), height=380)
    elif kind == "supply":
        frame = views.supply_frame(tidy)
        published = pd.concat([markers("production_units", ("Huawei",)), markers("units", ("Huawei", "Domestic (all)"))])
        chart = charts.capacity_chart(frame, title="Domestic accelerator output against its limits (units per year)",
                                      markers=published)
    else:
        raise KeyError(kind)
    return charts.spec(chart)
