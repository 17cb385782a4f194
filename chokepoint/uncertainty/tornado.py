"""Drivers (a tornado): one-at-a-time runs with each parameter at its P5 and P95 among the conditioned draws
(or at the ends of its documented range), all in one simulate call."""
from __future__ import annotations

import numpy as np
import pandas as pd

from chokepoint.engine import Metrics, parameter_arrays, simulate, stack_runs
from chokepoint.params import ModelInputs, Scenario
from chokepoint.uncertainty.draws import DrawResult, run_draws, weighted_quantiles
from chokepoint.uncertainty.runs import check_metric
from chokepoint.uncertainty.sampling import NOT_DRAWN

DRIVER_COLUMNS = ["parameter", "label", "basis", "source_ids", "low", "high", "output_low", "output_high",
                  "output_default", "swing", "range_low", "range_high"]
DRIVER_PERCENTS = (5, 95)


def _basis(parameter) -> str:
    return parameter.basis if parameter.basis == "judgment" else f"{parameter.basis}: {';'.join(parameter.source_ids)}"


def drivers(scenario: Scenario, inputs: ModelInputs, metric: str, entity: str, year: int,
            top: int | None = 12, draw_result: DrawResult | None = None, conditioned: bool = True) -> pd.DataFrame:
    """A tornado: each parameter with a range set to a low and a high value (others at their defaults, the
    scenario's overrides held), one simulate call for all. Sorted by swing = |output_high - output_low|.

    conditioned (default): low and high are the parameter's weighted P5 and P95 among the draws conditioned on
    the calibration targets (`draw_result`, default `run_draws(scenario, inputs, 1000)`), so a parameter the
    past pins down swings less than its documented range; range_low and range_high are that documented range.
    conditioned=False: low and high are the documented range. Parameters the scenario sets are held at its
    value, as in the bands, and so are not listed."""
    check_metric(inputs, metric, entity, year)
    fixed = {k: v for k, v in scenario.overrides if k in inputs.parameters}
    names = [n for n, p in inputs.parameters.items()
             if p.low < p.high and n not in fixed and n not in NOT_DRAWN]
    if conditioned:
        if draw_result is None:
            draw_result = run_draws(scenario, inputs, 1000)
        ends = weighted_quantiles(np.stack([draw_result.params[n] for n in names]), draw_result.weight_array,
                                  DRIVER_PERCENTS) if names else np.zeros((2, 0))
    else:
        ends = np.array([[inputs.parameters[n].low for n in names], [inputs.parameters[n].high for n in names]])
    runs = 1 + 2 * len(names)
    params = parameter_arrays(inputs, fixed, runs)
    for k, name in enumerate(names):
        params[name][1 + 2 * k] = ends[0, k]
        params[name][2 + 2 * k] = ends[1, k]
    tiled = {k: np.tile(v, 4) for k, v in params.items()}
    raw = simulate(stack_runs(scenario, inputs, runs), tiled, inputs)
    out = Metrics(raw, inputs, runs).at(metric, entity, year)
    rows = []
    for k, name in enumerate(names):
        p = inputs.parameters[name]
        lo, hi = float(out[1 + 2 * k]), float(out[2 + 2 * k])
        rows.append((name, p.label, _basis(p), ";".join(p.source_ids), float(ends[0, k]), float(ends[1, k]), lo, hi,
                     float(out[0]), abs(hi - lo), p.low, p.high))
    table = pd.DataFrame(rows, columns=DRIVER_COLUMNS)
    table = table.sort_values(["swing", "parameter"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return table if top is None else table.head(int(top))
