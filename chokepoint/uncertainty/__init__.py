"""Uncertainty, drivers and goal-seek: the analysis layer over the engine (pure numpy/pandas, no Streamlit, no
views or charts; the calibration targets come from `chokepoint.validation`, in the same layer).

One job per module, each importing only from the engine and below and from the modules listed before it:

- `sampling`: the parameter draws (triangular over each range, the execution parameters through one latent
  factor) and each scenario's seed.
- `conditioning`: the calibration targets and the weight each draw gets for reproducing them.
- `draws`: `run_draws` (every draw's four runs in one simulate call, weighted), weighted quantiles and
  `band_table`.
- `runs`: what the analyses share: the outputs they know (`check_metric`) and `simulate_blocks`.
- `prose`: the results in words (`describe`, `odds_text`, `probability_sentence`, `headline_probabilities`),
  numbers spelled by `formatting.number`.
- `tornado`: `drivers`, each parameter at its conditioned P5 and P95.
- `risk_split`: `attribution`, a company's revenue at risk split by lever.
- `goalseek`: `seek`, the lever value at which an output crosses a target, with its band across the draws.

Import from the package (`from chokepoint.uncertainty import run_draws`); the names below are its interface.
"""
from chokepoint.uncertainty.sampling import (DEFAULT_LOADING, EXECUTION_PARAMETERS, LOADING_PARAMETER, MAX_DRAWS,
                                             NOT_DRAWN, STRUCTURAL_BOUNDS, UNCERTAINTY_ONLY, execution_loading,
                                             sample_parameters, sampling_range, scenario_seed)
from chokepoint.uncertainty.conditioning import (CONDITIONING_FLOOR, CalibrationTargets, Weights, calibration,
                                                 calibration_weights, effective_draws)
from chokepoint.uncertainty.draws import (BAND_COLUMNS, QUANTILE_COLUMNS, QUANTILES, DrawResult, band_table,
                                          run_draws, weighted_quantiles)
from chokepoint.uncertainty.runs import check_metric, metric_catalogue, simulate_blocks
from chokepoint.uncertainty.prose import (FINE_DIGITS, HEADLINE_THRESHOLDS, PROSE_DIGITS, describe,
                                          headline_probabilities, odds_text, probability_sentence)
from chokepoint.uncertainty.tornado import DRIVER_COLUMNS, DRIVER_PERCENTS, drivers
from chokepoint.uncertainty.risk_split import attribution
from chokepoint.uncertainty.goalseek import (SEEK_BAND_DRAWS, SEEK_BAND_PERCENTS, SEEK_BAND_STEP, SEEK_COARSE_STEP,
                                             SEEK_LEVERS, SEEK_RESOLUTION, SEEK_TOLERANCE, SeekResult, draw_outputs,
                                             seek)

__all__ = [
    # sampling
    "DEFAULT_LOADING", "EXECUTION_PARAMETERS", "LOADING_PARAMETER", "MAX_DRAWS", "NOT_DRAWN", "STRUCTURAL_BOUNDS",
    "UNCERTAINTY_ONLY", "execution_loading", "sample_parameters", "sampling_range", "scenario_seed",
    # conditioning
    "CONDITIONING_FLOOR", "CalibrationTargets", "Weights", "calibration", "calibration_weights", "effective_draws",
    # draws
    "BAND_COLUMNS", "QUANTILE_COLUMNS", "QUANTILES", "DrawResult", "band_table", "run_draws", "weighted_quantiles",
    # runs
    "check_metric", "metric_catalogue", "simulate_blocks",
    # prose
    "FINE_DIGITS", "HEADLINE_THRESHOLDS", "PROSE_DIGITS", "describe", "headline_probabilities", "odds_text",
    "probability_sentence",
    # tornado
    "DRIVER_COLUMNS", "DRIVER_PERCENTS", "drivers",
    # risk_split
    "attribution",
    # goalseek
    "SEEK_BAND_DRAWS", "SEEK_BAND_PERCENTS", "SEEK_BAND_STEP", "SEEK_COARSE_STEP", "SEEK_LEVERS", "SEEK_RESOLUTION",
    "SEEK_TOLERANCE", "SeekResult", "draw_outputs", "seek",
]
