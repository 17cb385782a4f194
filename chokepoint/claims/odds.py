"""How often a claim that depends on the model holds across plausible draws: 1,000 Monte Carlo draws, weighted by
how well they reproduce the calibration targets, at the claim's lever settings."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from chokepoint.claims.figures import RUNS, Figure, parse_selector
from chokepoint.claims.grid import Condition
from chokepoint.data import Database
from chokepoint.engine import Metrics
from chokepoint.params import ModelInputs, Scenario
from chokepoint.uncertainty import DrawResult, calibration, odds_text, run_draws

CLAIM_DRAWS = 1000


@dataclass(frozen=True)
class Odds:
    """How often a model-dependent claim holds across plausible draws (conditioned on the calibration targets)."""

    share: float  # weighted share of the draws in which the claim holds at `where`
    where: str  # e.g. "at export_controls 25, self_reliance 90 (as announced for 2026)"
    effective: float  # effective draws behind the share
    draws: int
    best_share: float | None = None  # when no draw holds at `where`: the share where it comes closest
    best_where: str = ""

    @property
    def outside(self) -> bool:
        """No plausible draw reaches it, even where it comes closest."""
        return self.share == 0 and not self.best_share

    @property
    def label(self) -> str:
        if self.outside:
            return "Outside the model's range"
        if self.share == 0:
            return "Holds in no plausible draw here"
        return f"Holds in {odds_text(self.share)} of plausible draws"

    @property
    def sentence(self) -> str:
        basis = (f"{self.draws:,} Monte Carlo draws weighted by how well they reproduce the calibration targets, "
                 f"{self.effective:,.0f} effective")
        if self.outside:
            closest = f", nor {self.best_where}, where it comes closest" if self.best_where else ""
            return f"Outside the model's range: no plausible draw reaches it {self.where}{closest} ({basis})."
        if self.share == 0:
            return (f"It holds in no plausible draw {self.where}, but in {odds_text(self.best_share)} of them "
                    f"{self.best_where}, where it comes closest ({basis}).")
        return f"It holds in {odds_text(self.share)} of plausible draws {self.where} ({basis})."


class Draws:
    """Conditioned draws per lever setting, each run once (seeded by its scenario, as the pages' bands are)."""

    def __init__(self, inputs: ModelInputs, database: Database):
        self.inputs, self.targets = inputs, calibration(database)
        self._draws: dict[tuple[float, float], DrawResult] = {}

    def at(self, ec: float, sr: float) -> DrawResult:
        key = (float(ec), float(sr))
        if key not in self._draws:
            self._draws[key] = run_draws(Scenario.create(*key, inputs=self.inputs), self.inputs, CLAIM_DRAWS,
                                         targets=self.targets)
        return self._draws[key]


def _setting(ec: float, sr: float, label: str = "") -> str:
    return f"at export_controls {ec:g} and self_reliance {sr:g}" + (f", {label}" if label else "")


def threshold_odds(condition: Condition, draws: Draws) -> Odds:
    """The share of plausible draws in which a threshold claim holds at its base setting; where none does, also
    at the setting where the output comes closest at the defaults."""
    ec, sr = condition.base
    base = draws.at(ec, sr)
    share = condition.share_of(base)
    odds = Odds(share, _setting(ec, sr, condition.other_label), base.effective, base.draws)
    if share > 0:
        return odds
    _, (best_ec, best_sr) = condition.best
    if (best_ec, best_sr) == (ec, sr):
        return odds
    return dataclasses.replace(odds, best_share=condition.share_of(draws.at(best_ec, best_sr)),
                               best_where=_setting(best_ec, best_sr))


def figure_odds(figure: Figure, comparison: str, threshold: float, inputs: ModelInputs, draws: Draws) -> Odds:
    """The share of plausible draws in which a model figure meets a figure condition."""
    parts = parse_selector(figure.selector, figure.key)
    ec, sr, _ = inputs.presets[parts["preset"]]
    result = draws.at(ec, sr)
    if parts["run"] == "scenario":
        values = result.values(parts["metric"], parts["entity"], int(parts["year"]))
    else:
        block = RUNS.index(parts["run"]) * result.draws
        sliced = {k: (v[block:] if isinstance(v, np.ndarray) else v) for k, v in result.raw.items()}
        values = Metrics(sliced, inputs, result.draws).at(parts["metric"], parts["entity"], int(parts["year"]))
    holds = values >= threshold if comparison == "above" else values <= threshold
    label = parts["preset"][:1].lower() + parts["preset"][1:]
    return Odds(result.share(holds), _setting(ec, sr, label), result.effective, result.draws)
