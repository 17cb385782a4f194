"""What the analyses share: the outputs they can be asked about (`metric_catalogue`, `check_metric`) and the
four runs of several scenarios in one simulate call (`simulate_blocks`)."""
from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from chokepoint.engine import LeverPaths, Metrics, simulate, stack_runs, unknown_metric, year_index
from chokepoint.params import ModelInputs, Scenario, ScenarioError


def metric_catalogue(inputs: ModelInputs) -> list[tuple[str, str, str]]:
    """Every (metric, entity, unit) the tidy table, the bands, drivers and seek know."""
    return Metrics({"revenue": {c: None for c, _, _ in inputs.designers + inputs.equipment_makers}},
                   inputs, 1).catalogue


def check_metric(inputs: ModelInputs, metric: str, entity: str, year) -> tuple[str, int]:
    """Validate a (metric, entity, year) triple; returns (unit, year index). Raises ScenarioError."""
    catalogue = metric_catalogue(inputs)
    units = {(m, e): u for m, e, u in catalogue}
    if (metric, entity) not in units:
        raise ScenarioError(unknown_metric(metric, entity, catalogue))
    return units[(metric, entity)], year_index(year)


def simulate_blocks(scenarios: list[Scenario], inputs: ModelInputs, params: Mapping[str, np.ndarray]):
    """One simulate call for the four runs of each scenario; block-major like `stack_runs(repeat=len)`."""
    paths = [stack_runs(s, inputs, 1) for s in scenarios]
    levers = LeverPaths(**{f.name: np.stack([getattr(p, f.name) for p in paths], axis=1).reshape(
        4 * len(scenarios), *getattr(paths[0], f.name).shape[1:]) for f in dataclasses.fields(LeverPaths)})
    return simulate(levers, params, inputs)
