"""Plausibility checks over the whole lever square: what a policy analyst tries first, measured.

`python -m chokepoint check` prints one row per property with the measured figure and exits 1 if one fails;
the Methodology page shows the same table. Each property is evaluated on a grid of scenarios run in one
batched engine call per grid (pure numpy, a second or two in all).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chokepoint.engine import VENDORS, Metrics, parameter_arrays, rung_levels
from chokepoint.formatting import FIRST_LEVER_YEAR, HISTORY_YEARS, YEARS
from chokepoint.params import ModelInputs, Scenario
from chokepoint.uncertainty import simulate_blocks

FIRST = YEARS.index(FIRST_LEVER_YEAR)
# Largest move of a headline share (share points) between two neighbouring whole lever values. The ladder
# interpolates between regimes; the steepest stretch (0 -> 25, where tool, HBM and enforcement rules all
# come in) moves shares by a few points per lever point.
MAX_STEP_POINTS = 6.0


@dataclass(frozen=True)
class Check:
    name: str
    what: str
    measured: str
    passed: bool


def _grid(inputs: ModelInputs, settings: list[tuple[float, float]]) -> Metrics:
    scenarios = [Scenario.create(ec, sr, inputs=inputs) for ec, sr in settings]
    raw = simulate_blocks(scenarios, inputs, parameter_arrays(inputs, {}, 4 * len(scenarios)))
    # simulate_blocks is block-major: the scenario runs of every setting come first.
    return Metrics(raw, inputs, len(scenarios))


def run_checks(inputs: ModelInputs) -> list[Check]:
    p = inputs.defaults()
    ecs = np.arange(0.0, 101.0)
    srs = np.arange(0.0, 101.0, 10.0)
    square = [(ec, sr) for sr in srs for ec in ecs]           # every export_controls point at 11 pushes
    m = _grid(inputs, square)
    shape = (len(srs), len(ecs), len(YEARS))
    grab = lambda metric, entity: m.get(metric, entity).reshape(shape)  # noqa: E731
    checks: list[Check] = []

    desired = grab("china_desired_spend_usd_bn", "All")
    parts = sum(grab("china_spend_usd_bn", v) for v in (*VENDORS, "Grey market")) + grab("china_unmet_demand_usd_bn", "All")
    gap = float(np.abs(desired - parts).max())
    checks.append(Check("accounts", "Desired spend = legal + domestic + grey + unmet, every year, whole square",
                        f"largest gap ${gap:.2e}B over {len(square)} settings x {len(YEARS)} years", gap < 1e-6))

    legal_dom = sum(grab("china_spend_usd_bn", v)[..., 0] for v in VENDORS)
    nvidia_share_2024 = grab("china_spend_usd_bn", "Nvidia")[..., 0] / legal_dom
    base = p["base_share_nvidia_2024"] / sum(p[f"base_share_{v}_2024"] for v in ("nvidia", "amd", "huawei", "cambricon", "other"))
    unmet_2024 = float(grab("china_unmet_demand_usd_bn", "All")[..., 0].max())
    err = float(np.abs(nvidia_share_2024 - base).max())
    checks.append(Check("calibration", "2024 reproduces the calibrated shares, nothing unmet",
                        f"Nvidia {nvidia_share_2024.mean():.3f} of the legal and domestic market (calibrated "
                        f"{base:.3f}); unmet ${unmet_2024:.1e}B", err < 1e-9 and unmet_2024 < 1e-6))

    history = [grab(metric, entity)[..., :FIRST] for metric, entity in
               (("china_spend_usd_bn", "Nvidia"), ("china_units", "Huawei"), ("china_units", "Grey market"))]
    spread = max(float(np.ptp(h.reshape(-1, FIRST), axis=0).max()) for h in history)
    moved = float(np.ptp(grab("china_share_value", "Nvidia")[..., FIRST]))
    checks.append(Check("history", f"{HISTORY_YEARS[0]}-{HISTORY_YEARS[-1]} are replayed whatever the levers; the "
                        f"levers act from {FIRST_LEVER_YEAR}",
                        f"history spread {spread:.1e}; Nvidia's {FIRST_LEVER_YEAR} share spans {moved:.2f} over the square",
                        spread < 1e-9 and moved > 0.3))

    grey_share = grab("china_share_value", "Grey market")[:, -1, FIRST:]
    grey_units = grab("china_units", "Grey market")
    ceiling = p["grey_ceiling_k"] * 1e3
    checks.append(Check("smuggling_leak", "Under a total, enforced ban (export_controls=100) smuggling is a leak, "
                        "not the main supply", f"grey share of spend {FIRST_LEVER_YEAR}-{YEARS[-1]}: at most "
                        f"{grey_share.max():.0%} (any push)", grey_share.max() <= 0.25))
    checks.append(Check("smuggling_bound", "Smuggled units never exceed what can physically be moved",
                        f"most {grey_units.max():,.0f} a year against a ceiling of {ceiling:,.0f}",
                        grey_units.max() <= ceiling + 1e-6))

    domestic = grab("china_units", "Domestic (all)")
    huawei = grab("china_units", "Huawei")
    gain = domestic[-1, :, -1] / domestic[0, :, -1]
    grows = huawei[-1, -1, -1] / huawei[-1, -1, YEARS.index(2025)]
    checks.append(Check("push_builds", "A full push raises domestic output at every export-control level, and "
                        "Huawei grows under a strict ban with a full push",
                        f"{YEARS[-1]} domestic units, push 100 vs 0: x{gain.min():.2f} to x{gain.max():.2f}; Huawei "
                        f"{YEARS[-1]} vs 2025 at (100, 100): x{grows:.2f}", gain.min() > 1.2 and grows > 1.5))

    floor = grab("domestic_share_value", "Domestic (all)")[0, 0, FIRST:]
    checks.append(Check("captive_floor", "With no controls and no push, in-house chips, state buyers and lock-in "
                        "keep domestic vendors in the market", f"domestic share at (0, 0): {floor.min():.1%} to "
                        f"{floor.max():.1%}; Huawei {huawei[0, 0, -1]:,.0f} units in {YEARS[-1]}",
                        floor.min() >= p["captive_floor"] - 1e-9 and huawei[0, 0, -1] > huawei[0, 0, 0]))

    nvidia = grab("china_spend_usd_bn", "Nvidia")[..., FIRST:]
    rises = float(np.maximum(0.0, np.diff(nvidia, axis=1)).max())
    dom_share = grab("domestic_share_value", "Domestic (all)")[..., FIRST:]
    falls = float(np.maximum(0.0, -np.diff(dom_share, axis=0)).max())
    checks.append(Check("monotone", "Stricter controls never raise Nvidia's legal sales; a stronger push never "
                        "lowers the domestic share", f"largest rise ${rises:.1e}B; largest fall {falls:.1e}",
                        rises < 1e-9 and falls < 1e-9))

    # Measured as shares of desired spend: the accounts' fixed base (shares of realised spend also move with
    # the size of realised spend, which collapses as licences close between the 60 and 75 rungs).
    step, where = 0.0, ""
    for entity in ("Nvidia", "Huawei", "Grey market"):
        share = grab("china_spend_usd_bn", entity)[..., FIRST:] / desired[..., FIRST:]
        moves = np.abs(np.diff(share, axis=1)) * 100
        if moves.max() > step:
            s, e, _ = np.unravel_index(moves.argmax(), moves.shape)
            step, where = float(moves.max()), f"{entity}, export_controls {ecs[e]:g} -> {ecs[e] + 1:g} at push {srs[s]:g}"
    checks.append(Check("continuity", "No jump between neighbouring export_controls points beyond what the "
                        "regime ladder explains", f"largest move {step:.1f} points of desired spend per lever point "
                        f"({where}; limit {MAX_STEP_POINTS:g})", step <= MAX_STEP_POINTS))

    rung = rung_levels(25, inputs)
    kept = rung["equipment_controls"] >= 70 and rung["hbm_controls"] >= 75
    checks.append(Check("ladder", "No rung loosens a control its regime kept (the H200 rung keeps the Dec-2024 "
                        "tool and HBM rules)", f"rung 25: tools {rung['equipment_controls']:g}, HBM "
                        f"{rung['hbm_controls']:g}, enforcement {rung['enforcement']:g}", kept))

    pct = grab("revenue_at_risk_pct_of_revenue", "Nvidia")[..., FIRST:]
    checks.append(Check("revenue_share", "Revenue at risk is a share of a revenue that grows, within 0-100%",
                        f"Nvidia {np.nanmin(pct):.1f}% to {np.nanmax(pct):.1f}% of projected revenue",
                        np.nanmin(pct) > -5 and np.nanmax(pct) < 100))
    return checks


def check_table(inputs: ModelInputs) -> pd.DataFrame:
    return pd.DataFrame([c.__dict__ for c in run_checks(inputs)])
