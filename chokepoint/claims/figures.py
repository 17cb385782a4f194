"""The figure selector language: a row of data/claim_figures.csv read into a `Figure`.

A selector is "name=value; ..." naming one row of a dataset (china_market_estimates, chip_specs,
company_financials), one output of one engine run (model) or the ratio of two earlier figures of the claim;
see the package docstring for the names each dataset takes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chokepoint.data import Database, DataError, run_query
from chokepoint.engine import Metrics, run_scenario
from chokepoint.formatting import FRACTION, PERCENT, UNITS, USD_BN, canonical_unit, number
from chokepoint.params import ModelInputs, Scenario, text
from chokepoint.uncertainty import check_metric

RUNS = ("scenario", "controls_off", "push_off", "both_off")  # the four runs of one engine call, in order
SPEC_UNITS = {"bf16_dense_tflops": "TFLOPS", "memory_gb": "GB", "memory_bandwidth_tbs": "TB/s", "power_kw": "kW",
              "interconnect_gbs": "GB/s", "tpp": "TPP", "chips_per_system": "chips"}


def format_figure(value: float, unit: str) -> str:
    """A figure in a sentence: the app's spelling (formatting.number, three significant digits) for shares, money,
    percentages and units ("41.0%", "$15.5B", "812k", "1.65M"); here, the chip specs' units and ratios
    ("300 PFLOPS", "560 kW", "4.1×")."""
    if canonical_unit(unit) in (FRACTION, PERCENT, USD_BN, UNITS):
        return number(value, unit, digits=3)
    if value is None or value != value:
        return "n/a"
    if unit == "TFLOPS":
        return f"{value / 1000:,.3g} PFLOPS" if value >= 10000 else f"{value:,.0f} TFLOPS"
    if unit == "kW":
        return f"{value:,.3g} kW"
    if unit == "GB":
        return f"{value:,.0f} GB"
    if unit == "TB/s":
        return f"{value:,.4g} TB/s"
    if unit == "chips":
        return f"{value:,.0f}"
    if unit == "times":
        return f"{value:.2g}×"
    if unit == "TFLOPS per kW":
        return f"{value:,.0f} TFLOPS per kW"
    return f"{value:,.3g} {unit}"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    dataset: str
    value: float
    unit: str
    source_ids: tuple[str, ...]  # the sources of the data row(s) read; empty for model figures
    declared_ids: tuple[str, ...]  # the source ids the figures file gives for it
    selector: str = ""  # as in claim_figures.csv (a model figure's odds are read from draws with it)

    @property
    def text(self) -> str:
        return format_figure(self.value, self.unit)

    @property
    def is_model(self) -> bool:
        return self.dataset == "model"


def parse_selector(selector: str, where: str) -> dict[str, str]:
    parts = {}
    for part in (p.strip() for p in selector.split(";")):
        if not part:
            continue
        if "=" not in part:
            raise DataError(f"{where}: selector part '{part}' is not name=value")
        name, value = (s.strip() for s in part.split("=", 1))
        parts[name] = value
    return parts


def split_ids(value) -> tuple[str, ...]:
    """"F001;F002" -> ("F001", "F002")."""
    return tuple(s for s in text(value).split(";") if s)


def _one(frame: pd.DataFrame, where: str, selector: str) -> pd.Series:
    if len(frame) != 1:
        raise DataError(f"{where}: selector '{selector}' matches {len(frame)} rows, not exactly one")
    return frame.iloc[0]


def _scope(frame: pd.DataFrame, parts: dict) -> pd.DataFrame:
    if "scope~" in parts:
        frame = frame[frame["scope"].fillna("").str.contains(parts["scope~"], regex=False)]
    return frame


class Sources:
    """The data tables figures read, each queried once."""

    def __init__(self, database: Database, inputs: ModelInputs):
        self.database, self.inputs = database, inputs
        self._estimates: dict[str, pd.DataFrame] = {}
        self._specs = None
        self._financials = None
        self._results: dict[str, object] = {}

    def estimates(self, metric: str) -> pd.DataFrame:
        if metric not in self._estimates:
            self._estimates[metric] = run_query("china_market_estimates", self.database, metric=metric)
        return self._estimates[metric]

    def specs(self) -> pd.DataFrame:
        if self._specs is None:
            self._specs = run_query("chip_specs", self.database)
        return self._specs

    def financials(self) -> pd.DataFrame:
        if self._financials is None:
            self._financials = run_query("company_china_revenue_history", self.database)
        return self._financials

    def result(self, preset: str, where: str):
        if preset not in self.inputs.presets:
            raise DataError(f"{where}: '{preset}' is not a preset in data/presets.csv")
        if preset not in self._results:
            ec, sr, _ = self.inputs.presets[preset]
            self._results[preset] = run_scenario(Scenario.create(ec, sr, inputs=self.inputs, name=preset),
                                                 self.inputs)
        return self._results[preset]


def run_metrics(raw: dict, inputs: ModelInputs, run: str) -> Metrics:
    """Metrics for one of the four runs of a single-scenario engine result (scenario, controls_off, ...)."""
    block = RUNS.index(run)
    if block == 0:
        return Metrics(raw, inputs, 1)
    sliced = {k: (v[block:] if isinstance(v, np.ndarray) else v) for k, v in raw.items()}
    return Metrics(sliced, inputs, 1)


def resolve_figure(row, figures: dict[str, Figure], sources: Sources) -> Figure:
    """One row of claim_figures.csv read from its dataset; `figures` are the claim's earlier figures (a ratio
    refers to them)."""
    where = f"data/claim_figures.csv ({row.claim_id}/{row.key})"
    parts = parse_selector(row.selector, where)
    dataset = row.dataset

    def need(*names):
        missing = [n for n in names if n not in parts]
        if missing:
            raise DataError(f"{where}: selector needs {', '.join(missing)}")

    def year():
        try:
            return int(parts["year"])
        except ValueError:
            raise DataError(f"{where}: year '{parts['year']}' is not a whole number") from None

    if dataset == "china_market_estimates":
        need("source", "year", "vendor", "metric")
        frame = sources.estimates(parts["metric"])
        frame = frame[(frame.estimate_source == parts["source"]) & (frame.year == year())
                      & (frame.vendor == parts["vendor"])]
        found = _one(_scope(frame, parts), where, row.selector)
        value, unit, ids = float(found.value), found.unit, split_ids(found.source_id)
    elif dataset == "chip_specs":
        need("system", "column")
        if parts["column"] not in SPEC_UNITS:
            raise DataError(f"{where}: '{parts['column']}' is not a chip_specs column")
        found = _one(sources.specs()[sources.specs().system == parts["system"]], where, row.selector)
        value, unit, ids = float(found[parts["column"]]), SPEC_UNITS[parts["column"]], split_ids(found.source_ids)
    elif dataset == "company_financials":
        need("company", "fiscal_year", "metric")
        frame = sources.financials()
        frame = frame[(frame.company == parts["company"]) & (frame.fiscal_year == parts["fiscal_year"])
                      & (frame.metric == parts["metric"])]
        found = _one(_scope(frame, parts), where, row.selector)
        value, unit, ids = float(found.value), found.unit, split_ids(found.source_id)
    elif dataset == "model":
        need("preset", "run", "metric", "entity", "year")
        if parts["run"] not in RUNS:
            raise DataError(f"{where}: run must be one of {', '.join(RUNS)}")
        if parts["run"] != "scenario" and "revenue" in parts["metric"]:
            # revenue and its at-risk split are read from all four runs together, not from one run's slice
            raise DataError(f"{where}: revenue metrics are only available for run=scenario")
        result = sources.result(parts["preset"], where)
        try:
            unit, _ = check_metric(sources.inputs, parts["metric"], parts["entity"], year())
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
        metrics = run_metrics(result.raw, sources.inputs, parts["run"])
        value, ids = float(metrics.at(parts["metric"], parts["entity"], year())[0]), ()
    elif dataset == "ratio":
        need("of", "to")
        missing = [k for k in (parts["of"], parts["to"]) if k not in figures]
        if missing:
            raise DataError(f"{where}: ratio refers to {', '.join(missing)}, not an earlier figure of the claim")
        top, bottom = figures[parts["of"]], figures[parts["to"]]
        if bottom.value == 0:
            raise DataError(f"{where}: ratio divides by {parts['to']}, which is 0")
        value, unit = top.value / bottom.value, parts.get("unit", "times")
        ids = tuple(dict.fromkeys(top.source_ids + bottom.source_ids))
    else:
        raise DataError(f"{where}: unknown dataset '{dataset}'")
    if value != value:
        raise DataError(f"{where}: the row it reads has no value")
    return Figure(row.key, row.label, dataset, value, unit, ids, split_ids(row.source_ids), row.selector)
