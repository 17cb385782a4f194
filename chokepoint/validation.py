"""The model against published figures: calibration, out-of-sample targets and a backtest.

Every target in data/validation_targets.csv says what kind of evidence it is:
- `calibration`: a parameter was fitted to it (`fitted_by` says which). Shown, never counted as evidence.
- `out-of-sample`: no parameter was set from it. These, and the backtest, are the model's track record.
A failing target is shown as failing, with its `explanation`; a band is never widened to make it pass.

The backtest refits as a forecaster would have: for each year Y in 2025-2026, every input set with data from Y
or later (data/backtest_vintages.csv) takes the value it had before, the recorded regime of Y is replayed, and
each target of year Y is scored (error, inside its band or not).

History years follow the recorded regimes whatever the levers say, so any scenario replays them.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np
import pandas as pd

from chokepoint.data import Database, get_database, run_query
from chokepoint.engine import Metrics, parameter_arrays, simulate, stack_runs
from chokepoint.formatting import HISTORY_YEARS, YEARS
from chokepoint.params import ModelInputs, Scenario, text

KINDS = ("calibration", "out-of-sample")
BACKTEST_YEARS = tuple(y for y in HISTORY_YEARS if y > YEARS[0])
VALIDATION_COLUMNS = ["target", "description", "year", "kind", "published_value", "low", "high", "model_value",
                      "unit", "passed", "basis", "source_ids", "note", "fitted_by", "explanation"]


def targets(database: Database | None = None) -> pd.DataFrame:
    return run_query("validation_targets", database or get_database())


def target_values(metrics: Metrics, table: pd.DataFrame) -> np.ndarray:
    """Each target's model value for every run of `metrics`: shape (runs, targets). A target with a base
    year is the change from that year (value / base - 1)."""
    columns = []
    for row in table.itertuples(index=False):
        series = metrics.get(row.metric, row.entity)
        value = series[:, YEARS.index(int(row.year))]
        base = getattr(row, "base_year", None)
        if base is not None and not pd.isna(base):  # a change target
            value = value / series[:, YEARS.index(int(base))] - 1.0
        columns.append(value)
    return np.stack(columns, axis=1) if columns else np.zeros((metrics.runs, 0))


def calibration_targets(database: Database | None = None) -> pd.DataFrame:
    """The targets parameters were fitted to: what conditioned Monte Carlo draws must reproduce."""
    table = targets(database)
    return table[table.kind == "calibration"].reset_index(drop=True)


def _run(inputs: ModelInputs, overrides: Mapping[str, float] | None = None) -> Metrics:
    scenario = Scenario.create(inputs=inputs)
    params = parameter_arrays(inputs, {**dict(scenario.overrides), **dict(overrides or {})}, 4)
    return Metrics(simulate(stack_runs(scenario, inputs), params, inputs), inputs, 1)


def validation_table(inputs: ModelInputs, database: Database | None = None,
                     overrides: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per target: published value and band, the model's replay, pass/fail, kind, sources."""
    table = targets(database)
    values = target_values(_run(inputs, overrides), table)[0]
    rows = []
    for target, value in zip(table.itertuples(index=False), values):
        rows.append(dict(
            target=target.target_id, description=target.description, year=int(target.year), kind=target.kind,
            published_value=float(target.published_value), low=float(target.low), high=float(target.high),
            model_value=float(value), unit=target.unit, passed=bool(target.low <= value <= target.high),
            basis=target.basis, source_ids=text(target.source_ids), note=text(target.note),
            fitted_by=text(target.fitted_by), explanation=text(target.explanation),
        ))
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)


def evidence_summary(table: pd.DataFrame) -> dict[str, int]:
    """What counts as evidence: out-of-sample targets only (calibration rows agree by construction)."""
    evidence = table[table.kind == "out-of-sample"]
    return {"targets": int(len(evidence)), "passed": int(evidence.passed.sum()),
            "calibration_shown": int((table.kind == "calibration").sum())}


# --- backtest -------------------------------------------------------------------------------------------

def vintage_inputs(inputs: ModelInputs, through: int, database: Database | None = None
                   ) -> tuple[ModelInputs, dict[str, float], list[str]]:
    """Inputs as they were with data through `through`: every vintage row known only from a later year takes
    its prior value. Returns (inputs with the import gates reverted, parameter overrides, what was reverted)."""
    vintages = run_query("backtest_vintages", database or get_database())
    overrides, gates, reverted = {}, inputs.gate_open.copy(), []
    for row in vintages.itertuples(index=False):
        if int(row.known_from) <= through:
            continue
        name = str(row.name)
        if name.startswith("us_import_gate@"):
            at = float(name.split("@", 1)[1])
            matches = np.flatnonzero(np.isclose(inputs.gate_values, at))
            if not len(matches):
                raise ValueError(f"data/backtest_vintages.csv: no self_reliance rung at {at:g} for {name}")
            gates[matches[0]] = float(row.prior)
        elif name in inputs.parameters:
            overrides[name] = float(row.prior)
        else:
            raise ValueError(f"data/backtest_vintages.csv: {name!r} is neither a parameter nor us_import_gate@<rung>")
        reverted.append(f"{name}={float(row.prior):g}")
    gates = np.minimum.accumulate(gates)  # a reverted gate never opens wider at a stronger push
    return dataclasses.replace(inputs, gate_open=gates), overrides, reverted


def backtest(inputs: ModelInputs, database: Database | None = None) -> pd.DataFrame:
    """The scorecard: for each year Y, fit with data through Y-1, replay Y under its recorded regime, score
    every target of Y (error, relative error, inside its band)."""
    database = database or get_database()
    table = targets(database)
    rows = []
    for year in BACKTEST_YEARS:
        past, overrides, reverted = vintage_inputs(inputs, year - 1, database)
        of_year = table[table.year == year].reset_index(drop=True)
        values = target_values(_run(past, overrides), of_year)[0]
        for target, value in zip(of_year.itertuples(index=False), values):
            published = float(target.published_value)
            rows.append(dict(
                year=year, fitted_through=year - 1, target=target.target_id, description=target.description,
                kind=target.kind, published_value=published, low=float(target.low), high=float(target.high),
                model_value=float(value), error=float(value - published),
                relative_error=float((value - published) / abs(published)) if published else float("nan"),
                inside=bool(target.low <= value <= target.high), unit=target.unit,
                reverted="; ".join(reverted) or "nothing", source_ids=text(target.source_ids)))
    return pd.DataFrame(rows)


def backtest_scores(card: pd.DataFrame) -> pd.DataFrame:
    """Per backtest year: targets scored, inside their band, median absolute relative error."""
    out = []
    for year, group in card.groupby("year"):
        rel = group.relative_error.abs().dropna()
        out.append(dict(year=int(year), fitted_through=int(year) - 1, targets=len(group),
                        inside=int(group.inside.sum()), median_abs_error=float(rel.median()) if len(rel) else float("nan")))
    return pd.DataFrame(out)
