"""Goal-seek: the lever value at which an output crosses a target (in a year the levers act on), with the band
in which that crossing lies across the conditioned draws."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from chokepoint.engine import LeverPaths, Metrics, parameter_arrays, simulate, stack_runs, year_index
from chokepoint.formatting import number
from chokepoint.params import (ADVANCED_LEVERS, FIRST_LEVER_YEAR, HEADLINE_LEVERS, YEARS, ModelInputs, Scenario,
                               ScenarioError)
from chokepoint.uncertainty.draws import DrawResult, run_draws
from chokepoint.uncertainty.prose import FINE_DIGITS, PROSE_DIGITS, _capital, _lever_label, describe, odds_text
from chokepoint.uncertainty.runs import check_metric, metric_catalogue, simulate_blocks

SEEK_LEVERS = ("export_controls", "self_reliance", *ADVANCED_LEVERS)
SEEK_COARSE_STEP = 1.0  # whole lever points: the output can dip for just one (e.g. at a regime anchor)
SEEK_RESOLUTION = 0.1
SEEK_TOLERANCE = 1e-9  # relative: outputs this close to the target count as meeting it
# The band around a seek value: conditioned draws resampled by weight, each run over a coarse lever grid
# (SEEK_BAND_DRAWS x grid points x 4 runs in one simulate call); each draw's crossing is interpolated between
# grid points and the band is their P5-P95, widened to whole lever points.
SEEK_BAND_DRAWS = 200
SEEK_BAND_STEP = 5.0
SEEK_BAND_PERCENTS = (5, 95)


@dataclass(frozen=True)
class SeekResult:
    value: float | None  # the lever value at the crossing (None: no value in 0-100 meets the target)
    achieved: float | None  # the output at `value`
    message: str
    best_value: float | None = None  # when value is None: the lever value that comes closest
    best_output: float | None = None
    low: float | None = None  # the band: P5 and P95 of the crossing across the conditioned draws
    high: float | None = None
    reach: float | None = None  # share of the conditioned draws in which some lever value meets the target
    band_draws: int = 0  # draws the band rests on (0: no band)


def _with_lever(scenario: Scenario, lever: str, value: float) -> Scenario:
    if lever in HEADLINE_LEVERS:
        return dataclasses.replace(scenario, **{lever: float(value)})
    overrides = dict(scenario.overrides)
    overrides[lever] = float(value)
    return dataclasses.replace(scenario, overrides=tuple(sorted(overrides.items())))


def _evaluate(scenario, inputs, lever, values, metric, entity, year) -> np.ndarray:
    values = list(values)
    fixed = {k: v for k, v in scenario.overrides if k in inputs.parameters}
    params = parameter_arrays(inputs, fixed, 4 * len(values))
    raw = simulate_blocks([_with_lever(scenario, lever, v) for v in values], inputs, params)
    return Metrics(raw, inputs, len(values)).at(metric, entity, year)


def _revenue_metric(inputs: ModelInputs, metric: str) -> bool:
    """Whether a metric needs the counterfactual runs (revenue and its at-risk split)."""
    companies = {c for c, _, _ in inputs.designers + inputs.equipment_makers}
    return metric == "equipment_china_revenue_change" or any(
        m == metric and e in companies for m, e, _ in metric_catalogue(inputs))


def draw_outputs(scenario: Scenario, inputs: ModelInputs, lever: str, values, params: Mapping[str, np.ndarray],
                 metric: str, entity: str, year: int) -> np.ndarray:
    """One output for every lever value x parameter draw, shape (values, draws), in one simulate call.
    Revenue at risk and its kin run the four runs they need; the others (a company's China revenue among them)
    only the scenario run."""
    values = list(values)
    k = len(next(iter(params.values())))
    revenue = metric == "china_revenue_usd_bn"  # the scenario run's revenue: no counterfactuals needed
    blocks = 4 if _revenue_metric(inputs, metric) and not revenue else 1
    paths = [stack_runs(_with_lever(scenario, lever, v), inputs, 1) for v in values]
    levers = LeverPaths(**{f.name: np.repeat(np.stack([getattr(p, f.name)[:blocks] for p in paths], axis=1), k,
                                             axis=1).reshape(blocks * len(values) * k,
                                                             *getattr(paths[0], f.name).shape[1:])
                           for f in dataclasses.fields(LeverPaths)})
    tiled = {name: np.tile(v, blocks * len(values)) for name, v in params.items()}
    raw = simulate(levers, tiled, inputs)
    if revenue:
        check_metric(inputs, metric, entity, year)
        out = raw["revenue"][entity][:, year_index(year)] / 1e9  # as Metrics reads it from the scenario run
    else:
        out = Metrics(raw, inputs, len(values) * k).at(metric, entity, year)
    return out.reshape(len(values), k)


def _seek_band(scenario, inputs, lever, metric, entity, year, target, ok, value, upward,
               draw_result: DrawResult | None):
    """(low, high, reach, draws): the P5-P95 of the crossing nearest `value` across conditioned draws
    (None, None when there is no crossing to band) and the share of draws where some lever value meets it."""
    draw_result = draw_result or run_draws(scenario, inputs, 1000)
    picks = draw_result.resample(min(SEEK_BAND_DRAWS, draw_result.draws))
    params = {name: np.asarray(v)[picks] for name, v in draw_result.params.items()}
    grid = np.arange(0.0, 100.0 + 1e-9, SEEK_BAND_STEP)
    out = draw_outputs(scenario, inputs, lever, grid, params, metric, entity, year)  # (grid, draws)
    meets = ok(out)
    reach = float(meets.any(axis=0).mean())
    if value is None:
        return None, None, reach, len(picks)
    change = meets[:-1] != meets[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = (target - out[:-1]) / (out[1:] - out[:-1])
    position = grid[:-1, None] + np.clip(np.nan_to_num(fraction, nan=0.5), 0.0, 1.0) * SEEK_BAND_STEP
    distance = np.where(change, np.abs(position - value), np.inf)
    nearest = np.argmin(distance, axis=0)
    crossing = position[nearest, np.arange(len(picks))]
    # a draw that never crosses: beyond the end where it would (meets everywhere: the whole range is on
    # the meeting side of the crossing; nowhere: the crossing is past the other end)
    everywhere, nowhere = meets.all(axis=0), ~meets.any(axis=0)
    crossing = np.where(everywhere, 0.0 if upward else 100.0, crossing)
    crossing = np.where(nowhere, 100.0 if upward else 0.0, crossing)
    low, high = np.percentile(crossing, SEEK_BAND_PERCENTS)
    return float(math.floor(low)), float(math.ceil(high)), reach, len(picks)


def seek(scenario: Scenario, inputs: ModelInputs, lever: str, metric: str, entity: str, year: int,
         target: float, keep: str = "above", band: bool = True,
         draw_result: DrawResult | None = None) -> SeekResult:
    """The lever value (0-100, to 0.1) at which the output crosses `target`, meeting it on the `keep` side
    (above: output >= target; below: output <= target).

    A coarse grid (0, 1, ..., 100) in one simulate call finds where the output crosses the target; a 0.1 grid
    inside each crossing interval (again one call) pins it down; the value returned meets the target. If the
    whole range meets it, the end where the output is closest to the target is returned; if none does,
    value is None and the message gives the best achievable output.

    band (default): the same search over SEEK_BAND_DRAWS of the scenario's conditioned draws (`draw_result`,
    default `run_draws(scenario, inputs, 1000)`) gives low and high, the P5 and P95 of each draw's crossing
    nearest the value, and reach, the share of draws in which some lever value meets the target.
    """
    if lever not in SEEK_LEVERS:
        raise ScenarioError(f"unknown lever {lever!r}; known: {', '.join(SEEK_LEVERS)}")
    if keep not in ("above", "below"):
        raise ScenarioError(f"keep must be 'above' or 'below', got {keep!r}")
    try:
        target = float(target)
    except (TypeError, ValueError):
        raise ScenarioError(f"target must be a number, got {str(target)[:40]!r}") from None
    if not math.isfinite(target):
        raise ScenarioError("target must be a finite number")
    unit, _ = check_metric(inputs, metric, entity, year)
    if int(year) < FIRST_LEVER_YEAR:
        raise ScenarioError(f"year must be one the levers act on ({FIRST_LEVER_YEAR}-{YEARS[-1]}), got {int(year)}: "
                            f"{YEARS[0]}-{FIRST_LEVER_YEAR - 1} are replayed as they happened, whatever the levers")

    tol = SEEK_TOLERANCE * abs(target)  # a plateau exactly at the target meets it, despite rounding noise

    def ok(f):
        return f >= target - tol if keep == "above" else f <= target + tol

    what = f"{describe(metric, entity)} in {int(year)}"
    label = _lever_label(lever)
    fmt = lambda v: number(v, unit, digits=PROSE_DIGITS)
    fine_fmt = lambda v: number(v, unit, digits=FINE_DIGITS)
    grid = np.round(np.arange(0.0, 100.0 + 1e-9, SEEK_COARSE_STEP), 1)
    out = _evaluate(scenario, inputs, lever, grid, metric, entity, year)
    feasible = ok(out)

    if not feasible.any():
        best = int(np.argmax(out) if keep == "above" else np.argmin(out))
        message = (f"No value of {label} from 0 to 100 keeps {what} {keep} {fmt(target)}: the closest it gets "
                   f"is {fine_fmt(out[best])}, at {grid[best]:g}.")
        if not band:
            return SeekResult(None, None, message, float(grid[best]), float(out[best]))
        _, _, reach, used = _seek_band(scenario, inputs, lever, metric, entity, year, target, ok, None, True,
                                       draw_result)
        message += (f" In {odds_text(reach)} of plausible draws some value does." if reach > 0 else
                    " Nor does any in the plausible draws: the target is outside the model's range.")
        return SeekResult(None, None, message, float(grid[best]), float(out[best]), reach=reach, band_draws=used)
    if feasible.all():
        best = int(np.argmin(np.abs(out - target)))
        return SeekResult(
            float(grid[best]), float(out[best]),
            f"{_capital(what)} is {keep} {fmt(target)} at every value of {label} from 0 to 100; it comes "
            f"closest at {grid[best]:g} ({fine_fmt(out[best])}).")

    # Refine each interval where feasibility changes on a 0.1 grid, in one call.
    brackets = [i for i in range(len(grid) - 1) if feasible[i] != feasible[i + 1]]
    fine = [np.round(np.arange(grid[i], grid[i + 1] + 1e-9, SEEK_RESOLUTION), 1) for i in brackets]
    fine_out = _evaluate(scenario, inputs, lever, np.concatenate(fine), metric, entity, year)
    crossings = []  # (lever value meeting the target, output there, the target is met above that value)
    start = 0
    for points in fine:
        f = fine_out[start:start + len(points)]
        start += len(points)
        good = ok(f)
        # first change along the fine grid (the coarse ends differ, so there is one)
        j = next(j for j in range(len(points) - 1) if good[j] != good[j + 1])
        k = j if good[j] else j + 1
        crossings.append((float(points[k]), float(f[k]), not good[j]))
    value, achieved, upward = crossings[0]
    low = high = reach = None
    used = 0
    if band:
        low, high, reach, used = _seek_band(scenario, inputs, lever, metric, entity, year, target, ok, value,
                                            upward, draw_result)
    if len(crossings) == 1:
        side = "at or above" if upward else "at or below"
        message = (f"{_capital(what)} is {keep} {fmt(target)} with {label} {side} {value:g} "
                   f"(at {value:g} it is {fine_fmt(achieved)}).")
    else:
        intervals = _intervals(crossings, feasible[0])
        message = (f"{_capital(what)} crosses {fmt(target)} {len(crossings)} times as the {label} setting "
                   f"goes from 0 to 100; it is {keep} the target for {intervals}. First crossing: {value:g} "
                   f"({fine_fmt(achieved)}).")
    if low is not None:
        inside = "" if low <= value <= high else " (the value at the parameter defaults lies outside it)"
        message += (f" Across plausible draws (conditioned on history) that crossing lies between {low:g} and "
                    f"{high:g} (P5–P95){inside}.")
    return SeekResult(value, achieved, message, low=low, high=high, reach=reach, band_draws=used)


def _intervals(crossings, feasible_at_zero: bool) -> str:
    edges, start = [], 0.0 if feasible_at_zero else None
    for value, _, upward in crossings:
        if upward:
            start = value
        else:
            edges.append((start, value))
            start = None
    if start is not None:
        edges.append((start, 100.0))
    return " and ".join(f"{a:g}-{b:g}" for a, b in edges)
