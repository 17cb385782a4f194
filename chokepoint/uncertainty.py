"""Uncertainty, drivers and goal-seek: the compute layer (pure numpy/pandas, no Streamlit, no I/O).

- `run_draws` + `band_table`: Monte Carlo bands. Every parameter with a range is drawn from a triangular
  distribution (low, default, high); the "Chinese industrial execution" parameters share one latent factor
  (Gaussian copula, loading `execution_factor_loading`). One `engine.simulate` call evaluates the four runs
  revenue at risk needs (scenario, controls off, push off, both off) for every draw.
- Conditioning on history: each draw is weighted by how well it reproduces the calibration targets
  (data/validation_targets.csv, kind "calibration": published figures for 2024-2026), so bands are tight where
  the past is known and as wide as the ranges allow where it is not (`calibration_weights`). Bands are weighted
  quantiles, probabilities weighted shares; `DrawResult.ess` is the effective number of draws.
- `drivers`: one-at-a-time runs (a tornado) with each parameter at its P5 and P95 among the conditioned draws,
  all in one simulate call.
- `attribution`: a company's revenue at risk split into US controls alone, China's policy alone and their
  interaction.
- `seek`: the lever value at which an output crosses a target (in a year the levers act on), with the band in
  which that crossing lies across the conditioned draws.

The deterministic run is at the parameter defaults, which are the modes of the triangular distributions; for
skewed ranges the mode is not the median, so a deterministic value may sit near or outside a P5-P95 band.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Mapping

import numpy as np
import pandas as pd

from chokepoint.engine import (US_FIRMS, LeverPaths, Metrics, parameter_arrays, revenue_at_risk, run_scenario, simulate,
                               stack_runs, unknown_metric, year_index)
from chokepoint.params import (ADVANCED_LEVERS, FIRST_LEVER_YEAR, HEADLINE_LEVERS, LOAD_TIME_PARAMETERS, YEARS,
                               ModelInputs, Scenario, ScenarioError)

# "Chinese industrial execution": good or bad execution moves these together (MODEL.md, Monte Carlo). Model 2
# adds how much capacity the push builds (extra wafer and HBM growth per point of self_reliance) and how far it
# can go (the wafer and HBM ceilings): the same execution shows in all of them.
EXECUTION_PARAMETERS = (
    "smic_capacity_2025_kwpm", "wafer_growth_base", "ai_wafer_share_2025", "yield_2025", "learning_rate",
    "domestic_hbm_2025_m", "domestic_hbm_growth", "wafer_growth_per_self_reliance", "advanced_wafer_ceiling_kwpm",
    "hbm_growth_per_self_reliance", "domestic_hbm_ceiling_m",
)
LOADING_PARAMETER = "execution_factor_loading"
DEFAULT_LOADING = 0.6  # used only if data/parameters.csv lacks the row
# Parameters that shape the draws but not a deterministic run: never drawn, never in a tornado.
UNCERTAINTY_ONLY = frozenset({LOADING_PARAMETER})
# Neither drawn nor listed as drivers: the loading shapes the draws themselves; the exchange rates are read
# only when data/ is loaded (params.LOAD_TIME_PARAMETERS).
NOT_DRAWN = UNCERTAINTY_ONLY | LOAD_TIME_PARAMETERS
# Hard limits the engine's formulas need, beyond "fractions in [0, 1]" and "positive stays positive":
# HBM imports divide by (cutoff - 50); the learning exponent is -log2(1 - rate).
STRUCTURAL_BOUNDS = {"hbm_import_cutoff": (51.0, None), "learning_rate": (None, 0.9)}

QUANTILES = (5, 25, 50, 75, 95)
QUANTILE_COLUMNS = tuple(f"p{q}" for q in QUANTILES)
BAND_COLUMNS = ["year", "metric", "entity", "unit", "value", *QUANTILE_COLUMNS]
MAX_DRAWS = 20000
# Conditioning: the weights are tempered (w ** t, t < 1) when fewer than this share of the draws would be
# effective, so a band never rests on a handful of draws (with 1,000 draws and all eight calibration targets at
# full weight only ~50 are effective).
CONDITIONING_FLOOR = 0.10

# Headline probabilities: presentation choices, not model parameters.
# (metric, entity, threshold, below, subject); entity "US firms" sums US_FIRMS; threshold None = the
# deterministic (central) estimate.
HEADLINE_THRESHOLDS = (
    ("china_share_value", "Nvidia", 0.20, True, "Nvidia's share of China's AI-chip market"),
    ("domestic_share_value", "Domestic (all)", 0.50, False, "domestic vendors' share of China's AI-chip market"),
    ("china_units", "Huawei", 1_000_000.0, False, "the number of Huawei AI chips sold in China"),
    ("revenue_at_risk_usd_bn", "US firms", None, False, "US firms' China revenue at risk"),
    ("china_unmet_demand_usd_bn", "All", 50.0, False, "China's unmet AI-chip demand"),
)

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


# ---------------------------------------------------------------------------------------------- sampling

def _phi(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF (exact, via math.erfc; numpy has no erf and scipy is not a dependency)."""
    x = -np.asarray(z, dtype=float) / math.sqrt(2.0)
    return 0.5 * np.fromiter(map(math.erfc, x.ravel().tolist()), float, count=x.size).reshape(x.shape)


def _triangular_ppf(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """Inverse CDF of the triangular distribution; u in [0, 1]."""
    width = high - low
    if width <= 0:
        return np.full_like(u, mode, dtype=float)
    cut = (mode - low) / width
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1.0 - u) * width * (high - mode))
    return np.where(u < cut, left, right)


def sampling_range(parameter, widen: float = 1.0) -> tuple[float, float]:
    """The (low, high) a parameter is drawn between after widening and clipping.

    Widening scales the distances from the default by `widen`. Then: a fraction stays in [0, 1]; a parameter
    whose range starts at 0 or above never goes negative; one whose range starts above 0 never falls below
    low / widen (so it stays positive, shrinking at most geometrically); STRUCTURAL_BOUNDS apply last.
    """
    d = parameter.default
    low = d - widen * (d - parameter.low)
    high = d + widen * (parameter.high - d)
    if parameter.unit.startswith("fraction"):
        low, high = max(low, 0.0), min(high, 1.0)
    if parameter.low >= 0:
        low = max(low, 0.0)
    if parameter.low > 0:
        low = max(low, parameter.low / max(widen, 1.0))
    floor, ceiling = STRUCTURAL_BOUNDS.get(parameter.name, (None, None))
    if floor is not None:
        low = max(low, min(floor, d))
    if ceiling is not None:
        high = min(high, max(ceiling, d))
    return low, high


def _check_widen(widen) -> float:
    try:
        widen = float(widen)
    except (TypeError, ValueError):
        raise ScenarioError(f"widen must be a positive number, got {str(widen)[:40]!r}") from None
    if not math.isfinite(widen) or widen <= 0:
        raise ScenarioError(f"widen must be a positive finite number, got {widen:g}")
    return widen


def _check_draws(draws) -> int:
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)):
        raise ScenarioError(f"draws must be a whole number between 1 and {MAX_DRAWS}, got {str(draws)[:40]!r}")
    if not 1 <= int(draws) <= MAX_DRAWS:
        raise ScenarioError(f"draws must be between 1 and {MAX_DRAWS}, got {int(draws)}")
    return int(draws)


def execution_loading(inputs: ModelInputs, fixed: Mapping[str, float] = {}) -> float:
    parameter = inputs.parameters.get(LOADING_PARAMETER)
    loading = float(fixed.get(LOADING_PARAMETER, parameter.default if parameter else DEFAULT_LOADING))
    if not -1.0 <= loading <= 1.0:
        raise ScenarioError(f"{LOADING_PARAMETER} must be between -1 and 1, got {loading:g}")
    return loading


def sample_parameters(inputs: ModelInputs, n: int, seed: int, widen: float = 1.0,
                      fixed: Mapping[str, float] = {}) -> dict[str, np.ndarray]:
    """n draws of every parameter, each an array of shape (n,), ready for `engine.simulate`.

    Triangular(low, default, high) for every parameter with low < high (ranges widened by `widen`, see
    `sampling_range`); the EXECUTION_PARAMETERS are correlated through one shared latent factor; everything
    else is independent. Parameters in `fixed` (a scenario's overrides) and those without a range are constant.
    The random streams do not depend on `fixed` or `widen`: fixing one parameter leaves the others' draws as
    they were, and widening moves each draw away from the default in proportion.
    """
    n = _check_draws(n)
    widen = _check_widen(widen)
    rng = np.random.default_rng(seed)
    names = sorted(inputs.parameters)
    uniforms = rng.random((len(names), n))
    factor = rng.standard_normal(n)
    noise = rng.standard_normal((len(EXECUTION_PARAMETERS), n))
    loading = execution_loading(inputs, fixed)
    latent = loading * factor[None, :] + math.sqrt(max(0.0, 1.0 - loading ** 2)) * noise
    correlated = dict(zip(EXECUTION_PARAMETERS, _phi(latent)))

    out = {}
    for i, name in enumerate(names):
        parameter = inputs.parameters[name]
        if name in fixed:
            out[name] = np.full(n, float(fixed[name]))
        elif parameter.low < parameter.high and name not in NOT_DRAWN:
            low, high = sampling_range(parameter, widen)
            u = correlated.get(name, uniforms[i])
            out[name] = _triangular_ppf(u, low, parameter.default, high)
        else:
            out[name] = np.full(n, parameter.default)
    return out


def scenario_seed(scenario: Scenario) -> int:
    """A stable seed from the scenario's canonical settings (not its name): same scenario, same bands."""
    canonical = json.dumps(sorted((k, float(v)) for k, v in scenario.settings().items()), separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big") >> 1


# ----------------------------------------------------------------------------------------------- metrics

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


# ---------------------------------------------------------------------------------------- conditioning

@dataclass(frozen=True)
class CalibrationTargets:
    """The calibration targets as arrays: what each draw is scored against.

    Each target's band [low, high] is the sources' own spread, read as about +-2 sigma: sigma = (high - low) / 4.
    A target whose published value lies inside its band is a central estimate: the score is a Gaussian around it.
    One whose published value sits on an edge of its band is a bound ("fell to 0% by October", "no H200
    revenue"): every value inside the band fits equally, and outside it the same Gaussian fall-off applies.
    """

    table: pd.DataFrame
    low: np.ndarray
    high: np.ndarray
    centre: np.ndarray
    sigma: np.ndarray
    bound: np.ndarray  # True: flat inside the band

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> "CalibrationTargets":
        table = table.reset_index(drop=True)
        low, high = table["low"].to_numpy(float), table["high"].to_numpy(float)
        published = table["published_value"].to_numpy(float)
        bound = ~((published > low) & (published < high))
        return cls(table, low, high, np.where(bound, 0.5 * (low + high), published), (high - low) / 4.0, bound)

    @cached_property
    def lookup(self) -> pd.DataFrame:
        """Only what `validation.target_values` reads: iterating 4 columns instead of 16 saves ~1 ms a run."""
        return self.table[["metric", "entity", "year", "base_year"]]

    @cached_property
    def years(self) -> tuple[int, int]:
        return int(self.table["year"].min()), int(self.table["year"].max())

    def companies(self, inputs: ModelInputs) -> set[str]:
        """The companies whose revenue the targets read (revenue at risk is split only for these)."""
        equipment = {c for c, _, _ in inputs.equipment_makers}
        designers = {c for c, _, _ in inputs.designers}
        metrics, entities = set(self.table["metric"]), set(self.table["entity"])
        return ((entities & (equipment | designers))
                | (equipment if "equipment_china_revenue_change" in metrics else set())
                | (designers if "US chip designers" in entities else set()))

    def values(self, raw: Mapping, inputs: ModelInputs, runs: int) -> np.ndarray:
        """Each target's value for every run, shape (runs, targets) (`validation.target_values` over raw engine
        output, with revenue at risk split only for the companies the targets read)."""
        from chokepoint.validation import target_values

        needed = self.companies(inputs)
        scored = {**raw, "revenue": {c: v for c, v in raw["revenue"].items() if c in needed}}
        return target_values(Metrics(scored, inputs, runs), self.lookup)

    def log_likelihood(self, values: np.ndarray) -> np.ndarray:
        """values: (draws, targets) -> the log score of each draw, -0.5 * sum of z^2 (-inf where a value is
        not finite: a draw that cannot be scored does not count)."""
        values = np.asarray(values, dtype=float)
        if not len(self.centre):
            return np.zeros(values.shape[0])
        sigma = np.where(self.sigma > 0, self.sigma, np.inf)
        central = (values - self.centre) / sigma
        outside = (np.maximum(self.low - values, 0.0) + np.maximum(values - self.high, 0.0)) / sigma
        z = np.where(self.bound, outside, central)
        with np.errstate(invalid="ignore"):
            score = -0.5 * np.sum(z * z, axis=1)
        return np.where(np.isfinite(score), score, -np.inf)


_CALIBRATION: dict[tuple[str, str], CalibrationTargets] = {}
_DEFAULT_CALIBRATION: dict[str, CalibrationTargets] = {}  # by $CHOKEPOINT_DATA_DIR: no path lookup per run


def calibration(database=None) -> CalibrationTargets:
    """The calibration targets of a database (default: the process-wide one), read once per data version."""
    from chokepoint.data import get_database
    from chokepoint.validation import calibration_targets

    if database is None:
        env = os.environ.get("CHOKEPOINT_DATA_DIR", "")
        if env not in _DEFAULT_CALIBRATION:
            _DEFAULT_CALIBRATION[env] = calibration(get_database())
        return _DEFAULT_CALIBRATION[env]
    key = (str(database.data_dir), database.data_version)
    if key not in _CALIBRATION:
        _CALIBRATION[key] = CalibrationTargets.from_table(calibration_targets(database))
    return _CALIBRATION[key]


def effective_draws(weights: np.ndarray) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2: between 1 and the number of draws."""
    weights = np.asarray(weights, dtype=float)
    total = weights.sum()
    return float(total * total / np.sum(weights * weights)) if total > 0 else 0.0


@dataclass(frozen=True)
class Weights:
    weights: np.ndarray  # normalised: they sum to 1
    ess: float  # effective draws with these weights
    ess_untempered: float  # effective draws had every target kept full weight
    tempering: float  # the exponent t applied to the likelihood (1: none)


def calibration_weights(log_likelihood: np.ndarray, floor: float = CONDITIONING_FLOOR) -> Weights:
    """Importance weights w ~ L ** t from per-draw log scores. t = 1 unless fewer than `floor` x draws would
    be effective; then the largest t that keeps that many (bisection; the effective number falls as t grows)."""
    score = np.asarray(log_likelihood, dtype=float)
    n = score.size
    if n == 0 or not np.isfinite(score).any():
        uniform = np.full(n, 1.0 / max(n, 1))
        return Weights(uniform, float(n), float(n), 0.0)
    score = score - score[np.isfinite(score)].max()

    def weights_at(t):
        w = np.exp(t * score) if t > 0 else np.where(np.isfinite(score), 1.0, 0.0)
        return w / w.sum()

    full = weights_at(1.0)
    ess_full = effective_draws(full)
    minimum = max(1.0, floor * n)
    if ess_full >= minimum:
        return Weights(full, ess_full, ess_full, 1.0)
    low, high = 0.0, 1.0
    for _ in range(24):  # t to 1e-7; the effective number does not depend on the weights' scale
        middle = 0.5 * (low + high)
        if effective_draws(np.exp(middle * score)) >= minimum:
            low = middle
        else:
            high = middle
    tempered = weights_at(low)
    return Weights(tempered, effective_draws(tempered), ess_full, low)


def weighted_quantiles(array: np.ndarray, weights: np.ndarray, percents=QUANTILES) -> np.ndarray:
    """Weighted quantiles along the last axis: shape (len(percents), *array.shape[:-1]).

    Each sorted value stands at the middle of its weight (position S_i - w_i / 2 of the cumulative weight);
    quantiles interpolate linearly between those positions and stop at the smallest and largest values. A series
    with any NaN gets NaN quantiles, as np.percentile gives."""
    array = np.asarray(array, dtype=float)
    weights = np.asarray(weights, dtype=float)
    shape, n = array.shape[:-1], array.shape[-1]
    rows = array.reshape(-1, n)
    order = np.argsort(rows, axis=-1)  # NaN last
    values = np.take_along_axis(rows, order, -1)
    w = weights[order]
    cumulative = np.cumsum(w, axis=-1)
    position = (cumulative - 0.5 * w) / cumulative[:, -1:]
    # One searchsorted over every row at once: row r is shifted to [2r, 2r + 1].
    shift = 2.0 * np.arange(len(rows), dtype=float)
    flat = (position + shift[:, None]).ravel()
    out = np.empty((len(percents), len(rows)))
    for k, p in enumerate(np.asarray(percents, dtype=float) / 100.0):
        upper = np.searchsorted(flat, shift + p, side="right") - np.arange(len(rows)) * n  # positions <= p
        lower = np.clip(upper - 1, 0, n - 1)
        upper = np.clip(upper, 0, n - 1)
        r = np.arange(len(rows))
        x0, x1 = values[r, lower], values[r, upper]
        c0, c1 = position[r, lower], position[r, upper]
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.where(c1 > c0, (p - c0) / (c1 - c0), 0.0)
        out[k] = x0 + np.clip(fraction, 0.0, 1.0) * (x1 - x0)
    out[:, np.isnan(values[:, -1])] = np.nan
    return out.reshape(len(percents), *shape)


# ------------------------------------------------------------------------------------------ Monte Carlo

@dataclass(frozen=True)
class DrawResult:
    """Raw engine output for the four runs x `draws` parameter draws (block order of `stack_runs`), with each
    draw's weight: how well it reproduces the calibration targets (equal weights when not conditioned)."""

    scenario: Scenario
    inputs: ModelInputs
    draws: int
    seed: int
    widen: float
    params: Mapping[str, np.ndarray]  # the sampled values, shape (draws,)
    raw: Mapping
    weights: np.ndarray | None = None  # normalised (sum 1), shape (draws,); None: equal weights
    ess: float | None = None  # effective number of draws (Kish); None: all of them
    ess_untempered: float | None = None  # effective draws had the weights not been tempered
    tempering: float = 1.0  # exponent on the likelihood (1: full conditioning)
    targets: int = 0  # calibration targets the draws are weighted by (0: not conditioned)
    target_years: tuple[int, int] | None = None

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics(self.raw, self.inputs, self.draws)

    @property
    def conditioned(self) -> bool:
        return self.weights is not None

    @property
    def effective(self) -> float:
        return float(self.draws) if self.ess is None else float(self.ess)

    @cached_property
    def weight_array(self) -> np.ndarray:
        """The weights as an array (equal weights when not conditioned)."""
        return np.full(self.draws, 1.0 / self.draws) if self.weights is None else self.weights

    def values(self, metric: str, entity: str, year: int) -> np.ndarray:
        """One metric in one year across the draws, shape (draws,)."""
        if entity == "US firms" and metric in ("china_revenue_usd_bn", "revenue_at_risk_usd_bn"):
            return sum(self.metrics.at(metric, c, year) for c in US_FIRMS)
        return self.metrics.at(metric, entity, year)

    def quantiles(self, metric: str, entity: str, year: int, percents=QUANTILES) -> np.ndarray:
        """Weighted percentiles of one metric in one year, shape (len(percents),)."""
        return self.quantiles_of(self.values(metric, entity, year), percents)

    def quantiles_of(self, values: np.ndarray, percents=QUANTILES) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if self.weights is None:
            return np.percentile(values, percents)
        return weighted_quantiles(values[None, :], self.weights, percents)[:, 0]

    def share(self, hits: np.ndarray) -> float:
        """The weighted share of draws where `hits` (bool, shape (draws,)) is true."""
        return float(np.sum(self.weight_array[np.asarray(hits, dtype=bool)]))

    def resample(self, k: int) -> np.ndarray:
        """k draw indices picked in proportion to the weights (systematic resampling, seeded by the draws'
        seed): an equally weighted subset that stands for the conditioned draws."""
        cumulative = np.cumsum(self.weight_array)
        start = np.random.default_rng(self.seed).random()
        picks = np.searchsorted(cumulative / cumulative[-1], (start + np.arange(k)) / k, side="right")
        return np.minimum(picks, self.draws - 1)

    def conditioning_sentence(self) -> str:
        """One sentence saying how the draws are weighted and how many are effective."""
        if not self.conditioned:
            return f"The {self.draws:,} draws are equally weighted (not conditioned on history)."
        first, last = self.target_years or (YEARS[0], YEARS[0])
        years = f"{first}" if first == last else f"{first}–{last}"
        tempered = (f" (at full weight only {self.ess_untempered:,.0f} would be, so the weights are tempered to "
                    f"keep {CONDITIONING_FLOOR:.0%})" if self.tempering < 1.0 else "")
        return (f"The draws are weighted by how well they reproduce the {self.targets} calibration targets (published "
                f"figures for {years}): {self.effective:,.0f} of the {self.draws:,} are effective{tempered}.")


def run_draws(scenario: Scenario, inputs: ModelInputs, draws: int = 1000, seed: int | None = None,
              widen: float = 1.0, condition: bool = True, targets: CalibrationTargets | None = None) -> DrawResult:
    """Monte Carlo: `draws` parameter draws x the 4 runs of revenue at risk, in one simulate call.
    Seed None: `scenario_seed(scenario)`, so a scenario always draws the same bands.

    condition (default): weight each draw by how well it reproduces the calibration targets (`targets`, default
    those of the process-wide database), tempered so at least CONDITIONING_FLOOR of the draws stay effective."""
    draws = _check_draws(draws)
    seed = scenario_seed(scenario) if seed is None else int(seed)
    fixed = {k: v for k, v in scenario.overrides if k in inputs.parameters}
    sampled = sample_parameters(inputs, draws, seed, widen, fixed)
    tiled = dict(zip(sampled, np.tile(np.stack(list(sampled.values())), (1, 4))))  # one copy for all
    raw = simulate(stack_runs(scenario, inputs, draws), tiled, inputs)
    result = DrawResult(scenario, inputs, draws, seed, float(widen), sampled, raw)
    if not condition:
        return result
    targets = calibration() if targets is None else targets
    if not len(targets.table):
        return result
    weights = calibration_weights(targets.log_likelihood(targets.values(raw, inputs, draws)))
    return dataclasses.replace(result, weights=weights.weights, ess=weights.ess,
                               ess_untempered=weights.ess_untempered, tempering=weights.tempering,
                               targets=len(targets.table), target_years=targets.years)


def _percentiles(array: np.ndarray) -> np.ndarray:
    """np.percentile(array, QUANTILES, axis=-1) (linear method) from one in-place sort (array is reordered):
    twice as fast for the band table. A series with any NaN gets NaN quantiles, as np.percentile gives."""
    array.sort(axis=-1)  # NaN sorts last
    ordered = array
    n = ordered.shape[-1]
    position = (n - 1) * np.asarray(QUANTILES, dtype=float) / 100.0
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, n - 1)
    weight = position - below
    with np.errstate(invalid="ignore"):
        q = ordered[..., below] * (1.0 - weight) + ordered[..., above] * weight
    q[np.isnan(ordered[..., -1])] = np.nan
    return np.moveaxis(q, -1, 0)


def _carrying_weight(weights: np.ndarray, mass: float = 0.9995) -> np.ndarray:
    """The draws that together carry `mass` of the weight. The rest (0.1%) cannot move a P5-P95 band by more
    than that share of the draws; leaving them out halves the band table's sort (with the weights tempered to
    10% effective, ~500 of 1,000 draws carry 99.95%). Small draw counts keep every draw."""
    if len(weights) < 1000:
        return np.ones(len(weights), dtype=bool)
    descending = np.sort(weights)[::-1]
    kept = int(np.searchsorted(np.cumsum(descending), mass * descending.sum())) + 1
    return weights >= descending[min(kept, len(weights)) - 1]


def band_table(draw_result: DrawResult, deterministic_tidy: pd.DataFrame | None = None) -> pd.DataFrame:
    """year, metric, entity, unit, value (deterministic run), p5, p25, p50, p75, p95: one row per row of the
    deterministic tidy table (same order). Quantiles are empty (NaN) where a metric has no band. Conditioned
    draws give weighted quantiles."""
    if deterministic_tidy is None:
        deterministic_tidy = run_scenario(draw_result.scenario, draw_result.inputs).tidy()
    metrics = draw_result.metrics
    index = {(m, e): i for i, (m, e, _) in enumerate(metrics.catalogue)}
    stacked = np.stack([metrics.get(m, e).T for m, e, _ in metrics.catalogue])  # (metrics, years, draws)
    if draw_result.weights is None:
        q = _percentiles(stacked)
    else:  # (q, metrics, years)
        keep = _carrying_weight(draw_result.weights)
        q = weighted_quantiles(stacked[..., keep], draw_result.weights[keep])
    table = deterministic_tidy[["year", "metric", "entity", "unit", "value"]].reset_index(drop=True)
    rows, cols, found = [], [], []
    for metric, entity, year in zip(table["metric"].tolist(), table["entity"].tolist(), table["year"].tolist()):
        i = index.get((metric, entity))
        y = int(year) - YEARS[0]
        ok = i is not None and 0 <= y < len(YEARS)
        rows.append(i if ok else 0)
        cols.append(y if ok else 0)
        found.append(ok)
    picked = q[:, rows, cols]
    picked[:, ~np.asarray(found, dtype=bool)] = np.nan
    for k, column in enumerate(QUANTILE_COLUMNS):
        table[column] = picked[k]
    return table[BAND_COLUMNS]


# ------------------------------------------------------------------------------------ probabilities

def _format_value(value: float, unit: str, digits: int = 3) -> str:
    """A value in words: 0.2 fraction -> "20%", 50 USD bn -> "$50bn", 1e6 units -> "1 million units"."""
    if unit == "fraction":
        return f"{100 * value:.{digits}g}%"
    if unit == "percent":
        return f"{value:.{digits}g}%"
    if unit == "USD bn":
        return f"${value:,.{digits}g}bn" if abs(value) < 10 ** digits else f"${value:,.0f}bn"
    if unit == "units":
        return f"{value / 1e6:.{digits}g} million units" if abs(value) >= 1e6 else f"{value:,.0f} units"
    return f"{value:,.{digits + 1}g} {unit}"


def probability_sentence(values: np.ndarray, threshold: float, below: bool, what: str, year: int, unit,
                         threshold_text: str | None = None, weights: np.ndarray | None = None) -> str:
    """E.g. "In 9 of 10 draws Nvidia's share of China's AI-chip market in 2028 is below 20%."

    Rounded to n of 10 draws (by weight, when `weights` are given); "In all draws" / "In no draw" only when
    it is exactly so, and "over 9" / "under 1" when rounding would otherwise claim it. `threshold_text`
    replaces the formatted threshold.
    """
    values = np.asarray(values, dtype=float)
    hits = values < threshold if below else values > threshold
    if weights is None:
        share = float(hits.mean()) if values.size else 0.0
    else:
        weights = np.asarray(weights, dtype=float)
        share = float(weights[hits].sum() / weights.sum()) if values.size else 0.0
    tenths = int(math.floor(share * 10 + 0.5))
    if values.size and hits.all():
        lead = "In all draws"
    elif not hits.any():
        lead = "In no draw"
    elif tenths >= 10:
        lead = "In over 9 of 10 draws"
    elif tenths <= 0:
        lead = "In under 1 of 10 draws"
    else:
        lead = f"In {tenths} of 10 draws"
    side = "below" if below else "above"
    return f"{lead} {what} in {year} is {side} {threshold_text or _format_value(threshold, unit)}."


def headline_probabilities(draw_result: DrawResult, year: int) -> list[str]:
    """One sentence per HEADLINE_THRESHOLDS entry, for `year` (weighted shares of conditioned draws)."""
    year_index(year)
    central = None
    sentences = []
    for metric, entity, threshold, below, what in HEADLINE_THRESHOLDS:
        values = draw_result.values(metric, entity, year)
        unit = draw_result.metrics.units_of[(metric, "Nvidia" if entity == "US firms" else entity)]
        text = None
        if threshold is None:
            if central is None:
                result = run_scenario(draw_result.scenario, draw_result.inputs)
                central = Metrics(result.raw, result.inputs, 1)
            threshold = (sum(central.at(metric, c, year)[0] for c in US_FIRMS) if entity == "US firms"
                         else central.at(metric, entity, year)[0])
            text = f"the central estimate ({_format_value(threshold, unit)})"
        sentences.append(probability_sentence(values, threshold, below, what, year, unit, text,
                                              draw_result.weights))
    return sentences


# ------------------------------------------------------------------------------------------ drivers

def _basis(parameter) -> str:
    return parameter.basis if parameter.basis == "judgment" else f"{parameter.basis}: {';'.join(parameter.source_ids)}"


def simulate_blocks(scenarios: list[Scenario], inputs: ModelInputs, params: Mapping[str, np.ndarray]):
    """One simulate call for the four runs of each scenario; block-major like `stack_runs(repeat=len)`."""
    paths = [stack_runs(s, inputs, 1) for s in scenarios]
    levers = LeverPaths(**{f.name: np.stack([getattr(p, f.name) for p in paths], axis=1).reshape(
        4 * len(scenarios), *getattr(paths[0], f.name).shape[1:]) for f in dataclasses.fields(LeverPaths)})
    return simulate(levers, params, inputs)


DRIVER_COLUMNS = ["parameter", "label", "basis", "source_ids", "low", "high", "output_low", "output_high",
                  "output_default", "swing", "range_low", "range_high"]
DRIVER_PERCENTS = (5, 95)


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


# -------------------------------------------------------------------------------------- attribution

def attribution(scenario: Scenario, inputs: ModelInputs, company: str, year: int) -> dict:
    """A company's revenue at risk (USD bn) = US controls alone + China's policy alone + their interaction.

    us_controls_alone = both_off - push_off (controls on, push off, against neither);
    china_policy_alone = both_off - controls_off; total = both_off - scenario; interaction = the rest.
    """
    i = year_index(year)
    result = run_scenario(scenario, inputs)
    if company not in result.raw["revenue"]:
        raise ScenarioError(f"unknown company {company!r}; known: {', '.join(result.raw['revenue'])}")
    split = revenue_at_risk({company: result.raw["revenue"][company]})[company]
    parts = {k: float(v[0, i]) / 1e9 for k, v in split.items()}
    return dict(company=company, year=int(year), total=parts["total"], us_controls_alone=parts["us_alone"],
                china_policy_alone=parts["china_alone"],
                interaction=parts["total"] - parts["us_alone"] - parts["china_alone"],
                scenario_revenue=parts["scenario"], counterfactual_revenue=parts["counterfactual"])


# --------------------------------------------------------------------------------------------- seek

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


_DESCRIPTIONS = {
    "china_share_value": "{entity}'s share of China's AI-chip spend",
    "domestic_share_value": "domestic vendors' share of China's AI-chip spend",
    "china_units": "{entity} AI-chip units sold in China",
    "china_spend_usd_bn": "China's AI-chip spend on {entity}",
    "china_unmet_demand_usd_bn": "China's unmet AI-chip demand",
    "global_share_value": "Nvidia's share of the worldwide accelerator market",
    "china_revenue_usd_bn": "{entity}'s China revenue",
    "revenue_at_risk_usd_bn": "{entity}'s China revenue at risk",
    "revenue_at_risk_pct_of_revenue": "{entity}'s China revenue at risk as a share of its revenue",
}


def describe(metric: str, entity: str) -> str:
    """A metric in words, for messages."""
    if metric == "china_units" and entity == "Domestic (all)":
        return "domestic AI-chip units sold in China"
    if entity == "Grey market" and metric == "china_share_value":
        return "the grey market's share of China's AI-chip spend"
    template = _DESCRIPTIONS.get(metric)
    return template.format(entity=entity) if template else f"{metric} ({entity})"


def _lever_label(lever: str) -> str:
    """The lever's label for use inside a sentence: "US export controls", "chip-control level"."""
    label = (HEADLINE_LEVERS.get(lever) or ADVANCED_LEVERS[lever]).label
    first = label.split()[0]
    keep = first.isupper() or first.split("-")[0].isupper() or first.startswith("China")
    return label if keep else label[:1].lower() + label[1:]


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


def odds_text(share: float) -> str:
    """A share of draws in words: "72%", "under 1%", "over 99%" (the claims page says it the same way)."""
    percent = 100.0 * share
    if 0.0 < percent < 0.5:
        return "under 1%"
    if 99.5 <= percent < 100.0:
        return "over 99%"
    return f"{percent:.0f}%"


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
    fmt = lambda v: _format_value(v, unit)
    fine_fmt = lambda v: _format_value(v, unit, digits=4)
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


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
