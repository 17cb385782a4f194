"""The lever-grid checker: a threshold condition evaluated by the engine at every whole-number setting of both
headline levers (101 x 101), its verdict, where along one lever it holds and the nearest settings that change it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from chokepoint.claims.figures import format_figure
from chokepoint.claims.links import dashboard_link
from chokepoint.engine import Metrics, parameter_arrays
from chokepoint.params import ModelInputs, Scenario
from chokepoint.uncertainty import DrawResult, describe, odds_text, simulate_blocks

GRID = np.arange(0, 101)  # whole-number lever settings, as the sliders and links allow


@dataclass(frozen=True)
class Condition:
    """A threshold claim evaluated by the engine on every whole-number setting of both headline levers."""

    metric: str
    entity: str
    versus: str | None
    year: int
    comparison: str  # above: output >= threshold holds; below: output <= threshold holds
    threshold: float
    lever: str
    other_lever: str
    other_value: float
    other_label: str  # e.g. "as announced for 2026"
    base: tuple[float, float]  # the (export_controls, self_reliance) point the cut goes through
    unit: str
    values: np.ndarray = dataclasses.field(repr=False, compare=False)  # (101, 101): [export_controls, self_reliance]
    page: str = ""

    def holds_for(self, output: float) -> bool:
        return output >= self.threshold if self.comparison == "above" else output <= self.threshold

    @property
    def mask(self) -> np.ndarray:
        return self.values >= self.threshold if self.comparison == "above" else self.values <= self.threshold

    @property
    def cut(self) -> np.ndarray:
        """The output along `lever` (0..100), the other lever held."""
        other = int(self.other_value)
        return self.values[:, other] if self.lever == "export_controls" else self.values[other, :]

    @property
    def cut_mask(self) -> np.ndarray:
        return self.cut >= self.threshold if self.comparison == "above" else self.cut <= self.threshold

    @property
    def verdict(self) -> str:
        if self.mask.all():
            return "supported"
        if not self.mask.any():
            return "contradicted"
        return "depends on the scenario"

    def settings(self, lever_value: float) -> dict[str, float]:
        """Both headline levers for a point on the cut."""
        return {self.lever: float(lever_value), self.other_lever: float(self.other_value)}

    @property
    def intervals(self) -> list[tuple[int, int]]:
        """Runs of lever values (inclusive) along the cut where the claim holds."""
        runs, start = [], None
        for value, ok in zip(GRID, self.cut_mask):
            if ok and start is None:
                start = int(value)
            if not ok and start is not None:
                runs.append((start, int(value) - 1))
                start = None
        if start is not None:
            runs.append((start, int(GRID[-1])))
        return runs

    @property
    def boundaries(self) -> list[tuple[int, int]]:
        """(a lever value where the claim holds, the neighbouring value where it does not), along the cut."""
        pairs = []
        for low, high in self.intervals:
            if low > GRID[0]:
                pairs.append((low, low - 1))
            if high < GRID[-1]:
                pairs.append((high, high + 1))
        return pairs

    @property
    def best(self) -> tuple[float, tuple[int, int]]:
        """The output closest to holding (above: the highest; below: the lowest) and its (ec, sr) setting."""
        index = np.argmax(self.values) if self.comparison == "above" else np.argmin(self.values)
        ec, sr = np.unravel_index(index, self.values.shape)
        return float(self.values[ec, sr]), (int(ec), int(sr))

    def nearest(self, holding: bool) -> tuple[int, int] | None:
        """The grid setting nearest the base point where the claim holds (or fails)."""
        mask = self.mask if holding else ~self.mask
        if not mask.any():
            return None
        ec, sr = np.nonzero(mask)
        distance = (ec - self.base[0]) ** 2 + (sr - self.base[1]) ** 2
        k = int(np.argmin(distance))
        return int(ec[k]), int(sr[k])

    def format(self, value: float) -> str:
        return format_figure(value, self.unit)

    @property
    def held(self) -> str:
        """E.g. "with export_controls at 25, as announced for 2026"."""
        label = f", {self.other_label}" if self.other_label else ""
        return f"with {self.other_lever} at {self.other_value:g}{label}"

    @property
    def sentence(self) -> str:
        """When the claim holds, in words, to follow a statement of the claim."""
        lever = self.lever
        verdict = self.verdict
        if verdict == "supported":
            return "at every setting of both levers (0–100)"
        if verdict == "contradicted":
            return "at no setting of either lever (0–100)"
        runs = self.intervals
        if not runs:
            ec, sr = self.nearest(True)
            return (f"only when both levers move, for example to export_controls {ec} and self_reliance {sr} "
                    f"(no {lever} setting does it {self.held})")
        if runs == [(0, 100)]:
            ec, sr = self.nearest(False)
            return (f"at every {lever} setting ({self.held}), though not at every combination of the two "
                    f"(it fails at export_controls {ec} and self_reliance {sr})")
        if len(runs) == 1:
            low, high = runs[0]
            if high == GRID[-1]:
                span = f"{lever} ≥ {low}"
            elif low == GRID[0]:
                span = f"{lever} ≤ {high}"
            else:
                span = f"{lever} is between {low} and {high}"
        else:
            span = f"{lever} is " + " or ".join(f"{a}–{b}" for a, b in runs)
        return f"only when {span} ({self.held})"

    def links(self) -> list[tuple[str, dict[str, float]]]:
        """(label, settings) of the scenarios worth opening: the threshold and just past it, the nearest
        setting where the claim holds, or where it comes closest."""
        pairs = self.boundaries
        if pairs:
            value, outside = min(pairs, key=lambda p: abs(p[0] - (self.base[0] if self.lever == "export_controls"
                                                                    else self.base[1])))
            return [(f"{self.lever} {value} (holds)", self.settings(value)),
                    (f"{self.lever} {outside} (does not hold)", self.settings(outside))]
        verdict = self.verdict
        if verdict == "contradicted":
            _, (ec, sr) = self.best
            return [(f"export_controls {ec}, self_reliance {sr} (closest it gets)",
                     {"export_controls": ec, "self_reliance": sr})]
        point = self.nearest(not self.cut_mask.all()) if verdict == "depends on the scenario" else None
        if point is not None:
            ec, sr = point
            state = "holds" if not self.cut_mask.all() else "does not hold"
            return [(f"export_controls {ec}, self_reliance {sr} ({state})",
                     {"export_controls": ec, "self_reliance": sr})]
        ec, sr = self.base
        return [(f"export_controls {ec:g}, self_reliance {sr:g}", {"export_controls": ec, "self_reliance": sr})]

    def link(self, settings: dict[str, float]) -> str:
        return dashboard_link(self.page, settings, self.year)

    def output_of(self, value_at) -> float:
        """The condition's output from a `value_at(metric, entity, year)` lookup (e.g. `views.Results.value`)."""
        output = value_at(self.metric, self.entity, self.year)
        if self.versus:
            output -= value_at(self.metric, self.versus, self.year)
        return output

    def in_scenario(self, value_at, draws: DrawResult | None = None) -> str:
        """The condition in another scenario, in words, from a `value_at(metric, entity, year)` lookup; with that
        scenario's conditioned `draws`, also the share of plausible draws in which it holds."""
        what = describe(self.metric, self.entity)
        value = self.format(value_at(self.metric, self.entity, self.year))
        if self.versus:
            value += f", against {self.format(value_at(self.metric, self.versus, self.year))} for {self.versus}"
        holds = self.holds_for(self.output_of(value_at))
        verdict = "holds" if holds else "does not hold"
        sentence = f"{what[:1].upper() + what[1:]} in {self.year}: {value}, so the claim {verdict}"
        if draws is None:
            return sentence + "."
        share = self.share_of(draws)
        odds = f"in {odds_text(share)} of plausible draws" if share > 0 else "in no plausible draw"
        return f"{sentence} at the parameter defaults; it holds {odds}."

    def share_of(self, draws: DrawResult) -> float:
        """The weighted share of a scenario's draws in which the claim holds."""
        return draws.share(self.holds_for(self.output_of(draws.values)))


def _grid_scenarios(inputs: ModelInputs) -> list[Scenario]:
    return [Scenario.create(float(ec), float(sr), inputs=inputs) for ec in GRID for sr in GRID]


def lever_grid(inputs: ModelInputs, wanted: list[tuple[str, str, int]], chunk: int = 101) -> dict:
    """Each wanted (metric, entity, year) at every whole-number setting of both levers: arrays (101, 101)
    indexed [export_controls, self_reliance]. One engine call per `chunk` scenarios (four runs each)."""
    scenarios = _grid_scenarios(inputs)
    out = {w: np.empty(len(scenarios)) for w in wanted}
    for start in range(0, len(scenarios), chunk):
        block = scenarios[start:start + chunk]
        raw = simulate_blocks(block, inputs, parameter_arrays(inputs, {}, 4 * len(block)))
        metrics = Metrics(raw, inputs, len(block))
        for metric, entity, year in wanted:
            out[(metric, entity, year)][start:start + len(block)] = metrics.at(metric, entity, year)
    return {w: v.reshape(len(GRID), len(GRID)) for w, v in out.items()}
