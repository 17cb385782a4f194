"""Process-wide cached resources: data, model inputs, scenario runs and chart specs.

Nothing here depends on a widget except through its arguments, so a slider move only recomputes the
scenario it names (once per process: results are cached, bounded).
"""
from __future__ import annotations

import collections
import threading

import pandas as pd
import streamlit as st

from chokepoint import catalogue, specs, views
from chokepoint.data import Database, get_database, run_query
from chokepoint.engine import load_model_inputs, run_scenario
from chokepoint.params import ModelInputs, Scenario, ScenarioKey, scenario_from_settings, text
from chokepoint.validation import validation_table



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
def _results(key: ScenarioKey) -> views.Results:
    scenario = scenario_from_settings(dict(key), model_inputs())
    return views.Results(run_scenario(scenario, model_inputs()).rows())


def results(key: ScenarioKey) -> views.Results:
    """A scenario's results with fast lookups (shared and read-only: never mutate it). Made once per process
    (`_results`: st.cache_resource, 512 scenarios); a page asks for them several times a run, and each such lookup
    costs ~0.1 ms (hashing the key), so the last 128 used are also kept in a plain LRU (`_Recent`)."""
    return _RESULTS_IN_USE.get(key, lambda: _results(key))


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
def statics() -> catalogue.Statics:
    """The charts' scenario-independent layers (policy events, published estimates), built once per process."""
    return catalogue.Statics(database())


def cite(source_ids: str) -> str:
    return statics().cite(source_ids)


@st.cache_resource(show_spinner=False, max_entries=128)
def draws(key: ScenarioKey):
    """1,000 Monte Carlo draws for a scenario, seeded by the scenario and weighted by how well they reproduce
    the calibration targets (cached; read-only)."""
    from chokepoint.uncertainty import calibration, run_draws
    return run_draws(scenario_from_settings(dict(key), model_inputs()), model_inputs(), 1000,
                     targets=calibration(database()))


@st.cache_resource(show_spinner=False, max_entries=128)
def band_records(kind: str, key: ScenarioKey) -> list[dict]:
    """The Monte Carlo bands a chart draws for a scenario (cached; read-only)."""
    return catalogue.band_rows(kind, draws(key))


@st.cache_resource(show_spinner=False, max_entries=128)
def grey_range(key: ScenarioKey, year: int) -> dict[str, tuple[float, float]]:
    """Weighted P5 and P95 of the grey channel in one year: smuggled units and their value (USD bn), from the
    scenario's cached conditioned draws (cached; read-only)."""
    result = draws(key)
    return {metric: tuple(float(q) for q in result.quantiles(metric, "Grey market", year, (5, 95)))
            for metric in ("china_units", "china_spend_usd_bn")}


@st.cache_resource(show_spinner=False, max_entries=64)
def chart_template(kind: str, year: int, with_bands: bool, reference: ScenarioKey) -> dict:
    """A chart's spec built once per kind, year and reference scenario (the reference line is part of it);
    scenarios swap in their own rows. Saved to disk and read back on a later start when the code and
    data are unchanged (chokepoint/specs.py)."""
    path = specs.template_path(database().data_dir, kind, year, with_bands, reference)
    template = specs.load_template(path)
    if template is None:
        default = Scenario.create(inputs=model_inputs()).key()
        template = catalogue.build(kind, catalogue.CATALOGUE[kind].rows(results(default), results(reference), year),
                                   statics(), year, band_records(kind, default) if with_bands else None)
        specs.save_template(path, template)
    return template


def chart_data(kind: str, key: ScenarioKey, reference: ScenarioKey, year: int) -> dict[str, list[dict]]:
    """The scenario-dependent rows of a chart ("main", and "reference" for line charts)."""
    return catalogue.CATALOGUE[kind].rows(results(key), results(reference), year)


def chart_spec(kind: str, key: ScenarioKey, reference: ScenarioKey, year: int, bands: bool = False) -> dict:
    """The chart for this scenario: the cached template with this scenario's rows (and, where the chart
    supports them and they are asked for, its Monte Carlo bands)."""
    with_bands = bands and bool(catalogue.CATALOGUE[kind].banded)
    return catalogue.fill(chart_template(kind, year, with_bands, reference), kind,
                          chart_data(kind, key, reference, year),
                          band_records(kind, key) if with_bands else None)


@st.cache_resource(show_spinner=False)
def reported_china_share() -> tuple[dict, pd.DataFrame]:
    """Companies' reported China share of revenue by year (a spec and its table; no scenario)."""
    history = table("company_china_revenue_history")
    shares = history[(history.metric == "china_share_pct") & history.value.notna()
                     & ~history.fiscal_year.str.startswith("Q")].copy()
    shares["source"] = [cite(s) for s in shares.source_id]
    shares = shares.sort_values(["company", "calendar_year"]).drop_duplicates(["company", "calendar_year"])
    frame = shares[["calendar_year", "company", "value", "fiscal_year", "status", "source"]].reset_index(drop=True)
    spec = catalogue.table_spec("reported_share", frame.assign(value=frame.value / 100.0))
    gaps = history[(history.metric == "china_revenue") & (history.status == "gap")]
    return spec, gaps[["company", "fiscal_year", "note"]].reset_index(drop=True)


@st.cache_resource(show_spinner=False, max_entries=256)
def drivers_table(key: ScenarioKey, metric: str, entity: str, year: int) -> pd.DataFrame:
    from chokepoint.uncertainty import drivers
    return drivers(scenario_from_settings(dict(key), model_inputs()), model_inputs(), metric, entity, year,
                   draw_result=draws(key))


@st.cache_resource(show_spinner=False, max_entries=256)
def attribution_parts(key: ScenarioKey, company: str, year: int) -> dict:
    from chokepoint.uncertainty import attribution
    return attribution(scenario_from_settings(dict(key), model_inputs()), model_inputs(), company, year)


@st.cache_resource(show_spinner=False, max_entries=256)
def seek_result(key: ScenarioKey, lever: str, metric: str, entity: str, year: int, target: float, keep: str):
    from chokepoint.uncertainty import seek
    return seek(scenario_from_settings(dict(key), model_inputs()), model_inputs(), lever, metric, entity, year,
                target, keep, draw_result=draws(key))


def arrow_ready(spec: dict) -> dict:
    """The spec as st.vega_lite_chart sends it: each named dataset as Arrow IPC stream bytes, which Streamlit
    passes through as they are. Given rows, Streamlit builds a pandas DataFrame first and converts that (~5 ms a
    chart on this machine, on every rerun). Same columns and types."""
    import pyarrow as pa

    datasets = {}
    for name, rows in spec.get("datasets", {}).items():
        if isinstance(rows, list) and all(isinstance(row, dict) for row in rows):
            columns = list(dict.fromkeys(column for row in rows for column in row))  # every row's keys, in order
            table = pa.table({column: [row.get(column) for row in rows] for column in columns})
            sink = pa.BufferOutputStream()
            with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
                writer.write_table(table)
            rows = sink.getvalue().to_pybytes()
        datasets[name] = rows
    return {**spec, "datasets": datasets}


class _Recent:
    """A plain, thread-safe LRU of things made for the screen, each entry valid only for the model inputs it was
    made with (clearing Streamlit's caches makes new inputs, and so clears this too). Not st.cache_resource, whose
    lookup (hashing the arguments) costs ~0.1 ms a call."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.kept: collections.OrderedDict = collections.OrderedDict()  # key -> (inputs, made)
        self.lock = threading.Lock()

    def get(self, cache_key: tuple, build):
        inputs = model_inputs()
        with self.lock:
            hit = self.kept.get(cache_key)
            if hit is not None and hit[0] is inputs:
                self.kept.move_to_end(cache_key)
                return hit[1]
        made = build()
        with self.lock:
            self.kept[cache_key] = (inputs, made)
            self.kept.move_to_end(cache_key)
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)
        return made


_ON_SCREEN = _Recent(1024)  # charts and tables as drawn
_RESULTS_IN_USE = _Recent(128)  # ~160 KB each; the full set (512) stays in `_results`


def chart_on_screen(kind: str, key: ScenarioKey, reference: ScenarioKey, year: int, bands: bool) -> dict:
    """A scenario's chart as the page draws it (`arrow_ready`), made once per process and shared: a slider move
    back to a scenario anyone has seen (the default, a preset, a saved link, the last position) neither fills
    the template nor converts rows again (~2.5 ms of server time a move on the landing page). Shared, so read
    only: st.vega_lite_chart copies the spec's top level before its own edits (its one nested edit, a null
    legend title written as " ", gives the same result every time). A plain LRU, not st.cache_resource, whose
    lookup (hashing the key) cost ~0.3 ms a call; an entry counts only for the model inputs it was made with,
    so clearing Streamlit's caches (new inputs) clears this too."""
    return _ON_SCREEN.get(("chart", kind, key, reference, year, bands),
                          lambda: arrow_ready(chart_spec(kind, key, reference, year, bands)))


def chart_element(kind: str, key: ScenarioKey, reference: ScenarioKey, year: int, bands: bool, alt: str):
    """The chart element st.vega_lite_chart(spec, width="stretch", alt=alt) sends for `chart_on_screen`'s spec,
    made once per process and shared (read only; `shell.draw_chart_element` copies it into the message).
    st.vega_lite_chart turns the spec into JSON, parses it again and rewrites it on every call: ~0.4 ms a chart
    and 22% of a slider move's server time on the China market page, which draws three (py-spy). Made by
    Streamlit's own functions, in the order st.vega_lite_chart calls them (tests/test_server_costs.py checks that the
    element is the one st.vega_lite_chart sends). None if those functions are not where they were."""
    return _ON_SCREEN.get(("element", kind, key, reference, year, bands, alt),
                          lambda: vega_element(chart_on_screen(kind, key, reference, year, bands), alt))


def vega_element(spec: dict, alt: str):
    """st.vega_lite_chart's element for `spec` (no selections, width "stretch", theme "streamlit"), or None."""
    import json

    try:
        from streamlit.elements.vega_charts import (_marshall_chart_data, _prepare_vega_lite_spec,
                                                    _stabilize_vega_json_spec, normalize_alt)
        from streamlit.proto.VegaLiteChart_pb2 import VegaLiteChart
    except ImportError:
        return None
    element = VegaLiteChart()
    prepared = _prepare_vega_lite_spec(spec, True)
    _marshall_chart_data(element, prepared, None)
    element.spec = _stabilize_vega_json_spec(json.dumps(prepared))
    normalized = normalize_alt(alt)
    if normalized is not None:
        element.alt = normalized
    element.theme = "streamlit"
    return element


def kept(cache_key: tuple, build):
    """Something a page draws for a scenario (key in `cache_key`), made once per process and shared, read only."""
    return _ON_SCREEN.get(("kept", *cache_key), build)


def table_chart_element(cache_key: tuple, alt: str, spec):
    """A table chart's element (catalogue.table_spec: Altair, ~10 ms a chart) for a scenario, made once per process
    from `spec()` like `chart_element`; None if Streamlit's functions moved."""
    return _ON_SCREEN.get(("table_chart", *cache_key, alt), lambda: vega_element(spec(), alt))


def supply_table(key: ScenarioKey):
    """The Domestic supply page's table for a scenario (views.supply_table: ~9 ms of pandas), made once per
    process like `chart_on_screen`, and read only. As an Arrow table, which st.dataframe sends as it is: given
    a pandas DataFrame it converts it to Arrow on every call (~2 ms a slider move on that page, py-spy)."""
    import pyarrow as pa

    return _ON_SCREEN.get(("supply_table", key),
                          lambda: pa.Table.from_pandas(views.supply_table(results(key))))
