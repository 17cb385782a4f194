"""Drawing the parameters: every parameter with a range from a triangular distribution (low, default, high),
the "Chinese industrial execution" parameters through one shared latent factor (Gaussian copula, loading
`execution_factor_loading`), and each scenario's own seed."""
from __future__ import annotations

import hashlib
import json
import math
from typing import Mapping

import numpy as np

from chokepoint.params import LOAD_TIME_PARAMETERS, ModelInputs, Scenario, ScenarioError

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
MAX_DRAWS = 20000


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
