"""The scenario engine: pure numpy, no Streamlit, no I/O.

Model 2 (see the Methodology page, README "Model 2" and ../shared/design/MODEL.md). For each year 2024-2032:
demand -> captive segment -> choice (pivoted logit) -> grey channel (bounded) -> US licences and China's
import gate -> domestic supply (wafers, yield learning, HBM, stockpiles; built by the push with a lag)
-> rationing -> one set of accounts -> revenue -> worldwide share.

The accounts hold in every year of every run: desired spend = legal US/allied sales + domestic sales +
grey-market (smuggled) sales + unmet demand. 2024 is the calibration year, 2025 and 2026 are replayed as
they happened (within each year, the regime of each part of the year: data/regime_history.csv), and the
levers act from 2027.

Every quantity carries a leading batch axis so one call evaluates many parameter draws and the
four runs needed to split revenue at risk (scenario, controls off, China push off, both off). Lever
values carry a segment axis: a history year is a month-weighted mix of the regimes in force that year.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Mapping

import numpy as np
import pandas as pd

from chokepoint.formatting import FIRST_LEVER_YEAR, HISTORY_YEARS, YEARS
from chokepoint.data import Database, DataError
from chokepoint.params import ADVANCED_LEVERS, ModelInputs, Scenario, ScenarioError, read_model_inputs

VENDORS = ("Nvidia", "AMD", "Huawei", "Cambricon", "Other domestic")
SHARE_ENTITIES = VENDORS + ("Grey market",)
US_FIRMS = ("Nvidia", "AMD", "Intel", "Qualcomm", "Broadcom", "Micron", "Texas Instruments",
            "Applied Materials", "Lam Research", "KLA")  # "US revenue at risk" sums these
EQUIPMENT_MAKERS = ("Applied Materials", "Lam Research", "KLA", "ASML", "Tokyo Electron")
US, DOM = slice(0, 2), slice(2, 5)
N_YEARS = len(YEARS)
SUB_CONTROLS = ("chip_controls", "equipment_controls", "hbm_controls", "enforcement")


@dataclass(frozen=True)
class LeverPaths:
    """Lever values per run, year and segment, shape (n, years, segments); segment weights are
    `inputs.segment_weights` (years, segments): one segment of weight 1 in a lever year."""

    chip: np.ndarray
    equipment: np.ndarray
    hbm: np.ndarray
    enforcement: np.ndarray
    self_reliance: np.ndarray


def rung_levels(export_controls: float, inputs: ModelInputs) -> dict[str, float]:
    """The sub-control levels the regime at this export_controls value imposes (the lever ladder)."""
    ladder = inputs.ladder
    return {"chip_controls": float(export_controls),
            "equipment_controls": float(np.interp(export_controls, ladder["value"], ladder["equipment"])),
            "hbm_controls": float(np.interp(export_controls, ladder["value"], ladder["hbm"])),
            "enforcement": float(np.interp(export_controls, ladder["value"], ladder["enforcement"]))}


def scenario_levels(scenario: Scenario, inputs: ModelInputs) -> dict[str, float]:
    """The sub-control levels a scenario uses from FIRST_LEVER_YEAR: its overrides, else the rung's values."""
    overrides = dict(scenario.overrides)
    rung = rung_levels(scenario.export_controls, inputs)
    return {name: float(overrides.get(name, rung[name])) for name in SUB_CONTROLS}


def lever_paths(scenario: Scenario, inputs: ModelInputs, controls_off=False, push_off=False) -> dict:
    """Year-by-year (and, in history years, segment-by-segment) lever values, shape (years, segments):
    the recorded regimes for 2024-2026, the scenario from 2027.

    `controls_off` / `push_off` give the counterfactual runs: that lever is 0 in every year.
    """
    segments = inputs.segment_weights.shape[1]
    out = {k: np.zeros((N_YEARS, segments)) for k in ("chip", "equipment", "hbm", "enforcement", "self_reliance")}
    levels = scenario_levels(scenario, inputs)
    reaction = dict(scenario.overrides).get("reaction", ADVANCED_LEVERS["reaction"].default) / 100.0
    base_chip = inputs.history[YEARS[0]][0]["chip"]
    for i, year in enumerate(YEARS):
        if year in inputs.history:
            rows = inputs.history[year]
            for s in range(segments):
                row = rows[min(s, len(rows) - 1)]
                for k in out:
                    out[k][i, s] = row[k]
        else:
            chip = levels["chip_controls"]
            sr = scenario.self_reliance
            if not controls_off:  # without US controls there is nothing to react to
                sr = min(100.0, sr + reaction * max(0.0, chip - base_chip))
            out["chip"][i] = chip
            out["equipment"][i] = levels["equipment_controls"]
            out["hbm"][i] = levels["hbm_controls"]
            out["enforcement"][i] = levels["enforcement"]
            out["self_reliance"][i] = sr
    if controls_off:
        for k in ("chip", "equipment", "hbm", "enforcement"):
            out[k][:] = 0.0
    if push_off:
        out["self_reliance"][:] = 0.0
    return out


def _mean(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Segment-weighted mean over the last axis: (n, years, segments) -> (n, years). Written as explicit
    products: numpy's reductions over a short trailing axis are ~5x slower (1,000 draws is 4,000 runs)."""
    weights = weights.reshape(weights.shape[-2:])
    out = x[..., 0] * weights[:, 0]
    for s in range(1, weights.shape[1]):
        out += x[..., s] * weights[:, s]
    return out


def _sum(x: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """Sum over a short last axis (vendors), as explicit additions (see `_mean`)."""
    out = x[..., 0].copy()
    for j in range(1, x.shape[-1]):
        out += x[..., j]
    return out[..., None] if keepdims else out


def domestic_supply(equipment: np.ndarray, hbm: np.ndarray, self_reliance: np.ndarray,
                    p: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Domestic accelerator capacity per year (units), from wafers, yield learning, stockpiled dies
    and HBM. Lever arrays have shape (n, years) (segment-weighted). Independent of demand.

    The push builds capacity with a one-year lag (this year's wafers and HBM come from last year's
    funding) up to ceilings; tool and HBM controls slow the build-out; the stockpiles of TSMC-made dies
    and imported HBM stacks are drawn down on a fixed schedule and run out.
    """
    n = equipment.shape[0]
    lagged = np.concatenate([self_reliance[:, :1], self_reliance[:, :-1]], axis=1) / 100.0
    eq = equipment / 100.0
    wafer_ceiling = p["advanced_wafer_ceiling_kwpm"] * 1e3 * 12.0

    def wafer_growth(i):
        return np.maximum(-0.2, p["wafer_growth_base"] + p["wafer_growth_per_self_reliance"] * lagged[:, i]
                          - p["wafer_growth_cut_per_equipment_controls"] * eq[:, i])

    wafers = np.empty((n, N_YEARS))
    wafers[:, 1] = p["smic_capacity_2025_kwpm"] * 1e3 * 12.0
    wafers[:, 0] = wafers[:, 1] / (1.0 + wafer_growth(1))
    for i in range(2, N_YEARS):
        wafers[:, i] = np.minimum(np.maximum(wafer_ceiling, wafers[:, i - 1]), wafers[:, i - 1] * (1.0 + wafer_growth(i)))
    years_on = np.maximum(0.0, np.asarray(YEARS, dtype=float) - 2025.0)
    ai_share = np.clip(p["ai_wafer_share_2025"][:, None]
                       + p["ai_wafer_share_growth"][:, None] * np.cumsum(lagged * (years_on > 0), axis=1), 0.02, 0.6)
    ai_wafers = wafers * ai_share
    cumulative = ai_wafers[:, :1] + np.cumsum(ai_wafers, axis=1)  # output before 2024 ~ one 2024 year
    learning = -np.log2(1.0 - p["learning_rate"][:, None] * (1.0 - p["equipment_learning_drag"][:, None] * eq))
    defect = np.empty((n, N_YEARS))  # Poisson yield: yield = exp(-defect density x die area)
    defect[:, 1] = -np.log(p["yield_2025"])
    defect[:, 0] = defect[:, 1] * (cumulative[:, 1] / cumulative[:, 0]) ** learning[:, 1]
    for i in range(2, N_YEARS):
        defect[:, i] = defect[:, i - 1] * (cumulative[:, i] / cumulative[:, i - 1]) ** (-learning[:, i])
    yields = np.exp(-defect)
    logic = ai_wafers * (p["dies_per_wafer"] / p["dies_per_package"])[:, None] * yields

    # Stockpiles are released on a fixed schedule, independent of demand: TSMC-made dies at the
    # packaging limit until used up; imported HBM at a fixed yearly draw from 2025 until it is gone.
    remaining = p["die_stockpile_m"] * 1e6
    for i in range(N_YEARS):
        release = np.minimum(remaining, p["die_stockpile_draw_m"] * 1e6)
        remaining = remaining - release
        logic[:, i] += release / p["dies_per_package"]

    hbm_cut = 1.0 - p["hbm_growth_cut_per_hbm_controls"][:, None] * hbm / 100.0
    hbm_growth = (p["domestic_hbm_growth"][:, None] + p["hbm_growth_per_self_reliance"][:, None] * lagged) * hbm_cut
    hbm_ceiling = p["domestic_hbm_ceiling_m"] * 1e6
    domestic_hbm = np.empty((n, N_YEARS))
    domestic_hbm[:, 1] = p["domestic_hbm_2025_m"] * 1e6
    domestic_hbm[:, 0] = domestic_hbm[:, 1] / (1.0 + hbm_growth[:, 1])
    for i in range(2, N_YEARS):
        domestic_hbm[:, i] = np.minimum(np.maximum(hbm_ceiling, domestic_hbm[:, i - 1]),
                                        domestic_hbm[:, i - 1] * (1.0 + hbm_growth[:, i]))
    stock = p["hbm_import_stock_m"] * 1e6
    stock_release = np.zeros((n, N_YEARS))
    for i in range(1, N_YEARS):
        stock_release[:, i] = np.minimum(stock, p["hbm_import_stock_m"] * 1e6 * p["hbm_stock_draw_per_year"])
        stock = stock - stock_release[:, i]
    cutoff = p["hbm_import_cutoff"][:, None]
    imports = p["hbm_import_flow_m"][:, None] * 1e6 * np.clip((cutoff - hbm) / (cutoff - 50.0), 0.0, 1.0)
    hbm_units = ((domestic_hbm + imports + stock_release) / p["hbm_stacks_per_package"][:, None]
                 / (1.0 - p["non_hbm_share"][:, None]))
    capacity = np.minimum(logic, hbm_units)
    capacity[:, 0] = np.inf  # 2024 is calibrated: domestic sales were what buyers chose, supply did not bind
    return dict(capacity=capacity, logic=logic, hbm=hbm_units, yields=yields,
                wafers_kwpm=wafers / 12e3, domestic_hbm=domestic_hbm)


def simulate(levers: LeverPaths, p: Mapping[str, np.ndarray], inputs: ModelInputs) -> dict[str, np.ndarray]:
    """Run the model for n runs at once. `p` maps parameter name -> array of shape (n,)."""
    n = levers.chip.shape[0]
    years = np.asarray(YEARS, dtype=float)
    # Lever values as columns, one per (year, segment) in force: a history year contributes its parts, a
    # lever year one column. W (columns x years) turns per-column terms into month-weighted yearly ones.
    yi, si = np.nonzero(inputs.segment_weights)
    W = np.zeros((len(yi), N_YEARS))
    W[np.arange(len(yi)), yi] = inputs.segment_weights[yi, si]
    col = {k: getattr(levers, k)[:, yi, si] for k in ("chip", "equipment", "hbm", "enforcement", "self_reliance")}
    base_chip, base_sr = inputs.history[YEARS[0]][0]["chip"], inputs.history[YEARS[0]][0]["self_reliance"]
    base_enforcement = inputs.history[YEARS[0]][0]["enforcement"]

    # Export-control terms per column (anchors interpolated on the chip-control level).
    ln_ppi_frontier0 = inputs.chip_anchor_ln_ppi[0]
    frontier_growth = np.log1p(p["us_frontier_perf_growth"])[:, None]
    year_index = (years - YEARS[0])[yi][None, :]
    chip = col["chip"]
    ln_ppi = np.interp(chip, inputs.chip_anchor_values, inputs.chip_anchor_ln_ppi)
    ln_ppi = ln_ppi + (ln_ppi / ln_ppi_frontier0) * year_index * frontier_growth  # frontier parts keep improving
    fee = np.interp(chip, inputs.chip_anchor_values, inputs.chip_anchor_fee)
    ln_ppi_eff = ln_ppi - np.log1p(p["fee_pass_through"][:, None] * fee)
    availability = np.interp(chip, inputs.chip_anchor_values, inputs.chip_anchor_availability)
    price_index = np.interp(chip, inputs.chip_anchor_values, inputs.chip_anchor_price_index)
    gate = np.interp(col["self_reliance"], inputs.gate_values, inputs.gate_open)  # China's customs and guidance
    legal_seg = availability * gate
    legal_frac = legal_seg @ W
    ln_ppi_year = ln_ppi_eff @ W
    fee_year = (legal_seg * fee) @ W / np.maximum(legal_frac, 1e-12)
    price_year = np.where(legal_frac > 1e-12, (legal_seg * price_index) @ W / np.maximum(legal_frac, 1e-12),
                          price_index @ W)
    sr = col["self_reliance"] @ W
    equipment = col["equipment"] @ W
    hbm = col["hbm"] @ W

    # Grey channel: potential smuggled units per column, saturating in the pull toward smuggling (the gap
    # between the frontier and the best legal part, plus what licences and customs withhold), bounded by what
    # can physically be moved, which enforcement shrinks. Calibrated so 2024 gives grey_units_2024_k.
    ln_frontier = ln_ppi_frontier0 + year_index * frontier_growth
    pull = (np.maximum(0.0, ln_frontier - ln_ppi_eff) + p["quota_gap_weight"][:, None] * (1.0 - legal_seg))
    ceiling = p["grey_ceiling_k"][:, None] * 1e3 * (
        1.0 - p["enforcement_effect"][:, None] * col["enforcement"] / 100.0)
    ceiling0 = p["grey_ceiling_k"] * 1e3 * (1.0 - p["enforcement_effect"] * base_enforcement / 100.0)
    grey0 = np.minimum(p["grey_units_2024_k"] * 1e3, 0.95 * ceiling0)
    pull0 = pull[:, 0]
    grey_rate = -np.log1p(-grey0 / ceiling0) / np.maximum(pull0, 1e-9)
    grey_potential = (ceiling * (1.0 - np.exp(-grey_rate[:, None] * pull))) @ W
    price_grey = p["price_grey_usd_k"] * 1e3

    # Calibration: 2024 value shares of the legal and domestic market, smuggled chips on top, inside the
    # 2024 spend. The open segment's base shares are pivoted so the 2024 run reproduces them exactly.
    base = np.stack([p["base_share_nvidia_2024"], p["base_share_amd_2024"], p["base_share_huawei_2024"],
                     p["base_share_cambricon_2024"], p["base_share_other_2024"]], axis=1)
    base = base / _sum(base, keepdims=True)
    spend0 = p["budget_2024_usd_bn"] * 1e9
    grey_value0 = grey0 * price_grey
    market0 = spend0 - grey_value0
    captive0 = captive_share(p, base_sr, None)
    dom_split0 = base[:, DOM] / _sum(base[:, DOM], keepdims=True)
    wanted0 = base * market0[:, None]
    wanted0[:, US] += grey_value0[:, None] * base[:, US] / _sum(base[:, US], keepdims=True)
    wanted0[:, DOM] -= (captive0 * spend0)[:, None] * dom_split0
    open0 = np.clip(wanted0, 1e-9 * spend0[:, None], None)
    log_open0 = np.log(open0 / _sum(open0, keepdims=True))

    beta, kappa = p["logit_beta"], p["ecosystem_kappa"]
    supply = domestic_supply(equipment, hbm, sr, p)
    # The same supply with no tool or HBM controls: rationed buyers turn to US parts only for the
    # shortfall that would exist without those controls, so tighter US controls never add US sales.
    supply_free = domestic_supply(np.zeros_like(equipment), np.zeros_like(hbm), sr, p)
    prices_dom = np.stack([p["price_huawei_usd_k"], p["price_cambricon_usd_k"],
                           p["price_other_domestic_usd_k"]], axis=1) * 1e3
    us_prices = np.stack([p["price_h20_usd_k"], p["price_amd_usd_k"]], axis=1) * 1e3

    out = {"params": {k: p[k] for k in ("designer_revenue_growth", "amd_revenue_growth", "equipment_revenue_growth")}}
    out.update({k: np.zeros((n, N_YEARS)) for k in (
        "budget", "mandate", "captive", "unmet", "grey_units", "grey_value", "capacity_units", "fee_paid",
        "us_wanted", "us_blocked")})
    values, units_by_year = [], []  # stacked once after the year loop (strided writes cost ~2 ms per 1,000 draws)
    out["yield"] = supply["yields"]
    out["wafers_kwpm"] = supply["wafers_kwpm"]
    out["hbm_cap_units"] = supply["hbm"]
    out["logic_cap_units"] = supply["logic"]
    out["domestic_hbm_stacks"] = supply["domestic_hbm"]

    installed0 = installed = None
    mandate = None
    budget = spend0
    for i, year in enumerate(YEARS):
        if year == 2025:
            budget = p["budget_2025_usd_bn"] * 1e9
        elif year > 2025:
            budget = budget * (1.0 + np.where(year <= 2028, p["budget_growth"], p["budget_growth_after_2028"]))

        # Captive segment: in-house chips, state buyers and lock-in (the floor) plus the push's mandate.
        mandate = mandate_path(p, sr[:, i], mandate)
        captive = np.minimum(0.95, p["captive_floor"] + mandate) if i else captive0
        captive_value = captive * budget

        # Choice: pivoted multinomial logit in the open segment.
        delta = np.zeros((n, len(VENDORS)))
        delta[:, US] = (beta * (ln_ppi_year[:, i] - ln_ppi_year[:, 0])
                        - p["informal_gate_strength"] * (sr[:, i] - base_sr) / 100.0)[:, None]
        dom_delta = beta * (year - YEARS[0]) * np.log1p(p["domestic_perf_growth"])
        if installed is not None:
            dom_delta = dom_delta + kappa * np.log(installed / installed0)
        delta[:, DOM] = dom_delta[:, None] if np.ndim(dom_delta) else dom_delta
        if year >= 2025:
            delta[:, 3] += p["cambricon_gain_2025"]
        utility = log_open0 + delta
        weights = np.exp(utility - np.maximum.reduce([utility[:, j] for j in range(utility.shape[1])])[:, None])
        open_shares = weights / _sum(weights, keepdims=True)
        dom_weights = weights[:, DOM] / _sum(weights[:, DOM], keepdims=True)
        open_value = budget - captive_value
        wanted = open_value[:, None] * open_shares

        # Domestic vendors serve captive buyers and open-segment choosers within capacity (units).
        dom_value_wanted = wanted[:, DOM] + captive_value[:, None] * dom_weights
        dom_units_wanted = dom_value_wanted / prices_dom
        total_units_wanted = _sum(dom_units_wanted)
        capacity = supply["capacity"][:, i]
        served = np.minimum(total_units_wanted, capacity)
        realised_dom = dom_units_wanted * (served / np.maximum(total_units_wanted, 1e-9))[:, None]

        # Open-segment buyers rationed out of domestic supply turn to US parts (captive buyers cannot, so
        # their shortfall stays unmet). Only the shortfall that would exist without tool or HBM controls
        # counts, so tighter US controls never send more buyers to US vendors.
        served_free = np.minimum(total_units_wanted, supply_free["capacity"][:, i])
        shortfall = np.clip(1.0 - served_free / np.maximum(total_units_wanted, 1e-9), 0.0, 1.0)
        us_open = open_shares[:, US] / _sum(open_shares[:, US], keepdims=True)
        us_bound = wanted[:, US] + (shortfall * _sum(wanted[:, DOM]))[:, None] * us_open
        us_wanted = _sum(us_bound)

        # Grey channel: drawn from buyers bound for US parts, bounded physically and by that demand.
        grey_value = np.minimum(grey_potential[:, i] * price_grey, p["grey_max_share_of_us_demand"] * us_wanted)
        if i == 0:
            grey_value = np.minimum(grey_value0, us_wanted)
        us_net = us_bound * (1.0 - grey_value / np.maximum(us_wanted, 1e-9))[:, None]
        # US licences and China's import gate decide what ships legally; blocked buyers take whatever domestic
        # slack remains, and the rest goes unmet.
        legal = us_net * legal_frac[:, i, None]
        blocked = _sum(us_net - legal)
        spill_units_wanted = blocked[:, None] * dom_weights / prices_dom
        slack = np.maximum(0.0, capacity - served)
        accepted = np.minimum(slack, _sum(spill_units_wanted))
        realised_dom = realised_dom + spill_units_wanted * (accepted / np.maximum(_sum(spill_units_wanted), 1e-9))[:, None]

        # Workloads committed to domestic platforms this year (demand, so a supply shortfall caused by tool or
        # HBM controls never slows the erosion of lock-in and so never helps US vendors).
        committed = total_units_wanted + _sum(spill_units_wanted)
        if installed is None:
            installed0 = committed
            installed = committed.copy()
        installed = installed + committed

        value = np.zeros((n, len(VENDORS)))
        value[:, US] = legal
        value[:, DOM] = realised_dom * prices_dom
        units = np.zeros_like(value)
        units[:, US] = legal / (us_prices * price_year[:, i, None])
        units[:, DOM] = realised_dom

        values.append(value)
        units_by_year.append(units)
        out["budget"][:, i] = budget
        out["mandate"][:, i] = mandate
        out["captive"][:, i] = captive
        out["unmet"][:, i] = np.maximum(0.0, budget - _sum(value) - grey_value)
        out["grey_units"][:, i] = grey_value / price_grey
        out["grey_value"][:, i] = grey_value
        out["capacity_units"][:, i] = capacity
        out["fee_paid"][:, i] = _sum(legal) * fee_year[:, i]
        out["us_wanted"][:, i] = us_wanted
        out["us_blocked"][:, i] = blocked

    out["import_gate"] = gate @ W
    out["licence_availability"] = availability @ W
    out["value"] = np.stack(values, axis=1)
    out["units"] = np.stack(units_by_year, axis=1)
    _revenue(out, levers, p, inputs, years, sr, equipment)
    return out


def mandate_path(p, sr, previous):
    """The mandated domestic-only segment: its target rises with the square of the push (a mandate bites
    only when the push is strong); the segment moves halfway to its target each year."""
    target = p["mandate_ratio"] * (np.asarray(sr, dtype=float) / 100.0) ** 2
    return target if previous is None else previous + 0.5 * (target - previous)


def captive_share(p, sr, previous):
    return np.minimum(0.95, p["captive_floor"] + mandate_path(p, sr, previous))


def _revenue(out, levers: LeverPaths, p, inputs: ModelInputs, years, sr, equipment):
    n = levers.chip.shape[0]
    year_index = years - YEARS[0]
    ramp = np.minimum(1.0, year_index / 6.0)
    chip = _mean(levers.chip, inputs.segment_weights[None])

    def keep_of(chip, sr):
        exposure = ramp * (p["designer_controls_exposure"][:, None] * chip / 100.0
                           + p["designer_substitution_exposure"][:, None] * sr / 100.0)
        return np.clip(1.0 - exposure, 0.0, 1.0)

    # A baseline figure describes what happened in its base year, under the recorded regime: every run
    # (counterfactuals too) is scaled from the recorded history's level in that year.
    recorded = {k: np.broadcast_to(v, (n, len(years))) for k, v in _recorded_levers(inputs).items()}
    keep = keep_of(chip, sr)
    keep_recorded = keep_of(recorded["chip"], recorded["self_reliance"])

    # Worldwide: rest-of-world spend is exogenous; grey-market parts are Nvidia parts bought abroad.
    row_share = p["nvidia_row_share"]
    row_2024 = (p["nvidia_dc_revenue_fy2025_usd_bn"] * 1e9
                - p["base_share_nvidia_2024"] / (p["base_share_nvidia_2024"] + p["base_share_amd_2024"]
                                                 + p["base_share_huawei_2024"] + p["base_share_cambricon_2024"]
                                                 + p["base_share_other_2024"])
                * (p["budget_2024_usd_bn"] * 1e9 - out["grey_value"][:, 0])) / row_share
    growth = np.where(years <= 2028, p["row_growth_to_2028"][:, None], p["row_growth_after_2028"][:, None])
    growth[:, 0] = 0.0
    row_index = np.cumprod(1.0 + growth, axis=1)
    row = row_2024[:, None] * row_index
    china_total = _sum(out["value"]) + out["grey_value"]
    out["nvidia_global_share"] = (out["value"][:, :, 0] + out["grey_value"] + row_share[:, None] * row) / (china_total + row)

    revenue = {}
    revenue["Nvidia"] = out["value"][:, :, 0] + p["nvidia_non_dc_china_2024_usd_bn"][:, None] * 1e9 * keep
    revenue["AMD"] = out["value"][:, :, 1] + p["amd_non_dc_china_2024_usd_bn"][:, None] * 1e9 * keep
    for company, china, _ in inputs.designers:
        if company not in revenue:  # the baseline describes its base year: scale from there
            revenue[company] = (china * 1e9) * keep / keep_recorded[:, _base_index(inputs, company), None]

    # Equipment makers: foreign tools' share of China's equipment spend, less what licences block.
    def equipment_sales(sr, equipment):
        """Foreign tool makers' China sales: China's tool spend x foreign share x (1 - share blocked)."""
        srf = sr / 100.0
        growth = p["equipment_spend_growth_base"][:, None] + p["equipment_spend_growth_per_self_reliance"][:, None] * srf
        growth[:, 0] = 0.0
        spend = p["china_equipment_spend_2024_usd_bn"][:, None] * 1e9 * np.cumprod(1.0 + growth, axis=1)
        push = np.cumsum(np.where(year_index > 0, srf, 0.0), axis=1)
        tool_max, tool0 = p["domestic_tool_share_max"][:, None], p["domestic_tool_share_2024"][:, None]
        domestic_tools = tool_max - (tool_max - tool0) * np.exp(-p["domestic_tool_speed"][:, None] * push)
        blocked = p["equipment_blocked_max"][:, None] * (equipment / 100.0) ** 2
        return spend, spend * (1.0 - domestic_tools) * (1.0 - blocked)

    spend, foreign_sales = equipment_sales(sr, equipment)
    _, foreign_recorded = equipment_sales(recorded["self_reliance"], recorded["equipment"])
    out["equipment_spend"] = spend
    out["foreign_equipment_sales"] = foreign_sales
    for company, china, total in inputs.equipment_makers:
        revenue[company] = (china * 1e9) * foreign_sales / foreign_recorded[:, _base_index(inputs, company), None]
    out["revenue"] = revenue
    # Growth of each firm's revenue outside China (the denominator of revenue at risk in %), computed by
    # Metrics only when that metric is asked for: Nvidia with the rest-of-world market, the others at a rate.
    out["row_index"] = row_index


_RECORDED: dict[int, tuple[ModelInputs, dict[str, np.ndarray]]] = {}


def _recorded_levers(inputs: ModelInputs) -> dict[str, np.ndarray]:
    """The recorded regime's yearly (month-weighted) lever levels, once per ModelInputs object."""
    hit = _RECORDED.get(id(inputs))
    if hit is None or hit[0] is not inputs:
        paths = lever_paths_history(inputs)
        levels = {k: _mean(paths[k][None], inputs.segment_weights[None])[0]
                  for k in ("chip", "equipment", "self_reliance")}
        _RECORDED[id(inputs)] = hit = (inputs, levels)
        while len(_RECORDED) > 8:
            _RECORDED.pop(next(iter(_RECORDED)))
    return hit[1]


def lever_paths_history(inputs: ModelInputs) -> dict[str, np.ndarray]:
    """The recorded levers of the history years (years, segments); lever years repeat the last history year
    (only history years are read from this)."""
    return lever_paths(Scenario(0.0, 0.0), inputs)


def _base_index(inputs: ModelInputs, company: str) -> int:
    """The model year a company's baseline describes; a baseline older than 2024 is taken as the 2024 level."""
    return YEARS.index(min(max(inputs.base_years.get(company, YEARS[0]), YEARS[0]), HISTORY_YEARS[-1]))


def parameter_arrays(inputs: ModelInputs, overrides: Mapping[str, float], n: int) -> dict[str, np.ndarray]:
    values = inputs.defaults()
    values.update({k: v for k, v in overrides.items() if k in values})
    return {k: np.full(n, float(v)) for k, v in values.items()}




def stack_runs(scenario: Scenario, inputs: ModelInputs, repeat: int = 1) -> LeverPaths:
    """The four runs revenue at risk needs, each repeated `repeat` times (for parameter draws)."""
    paths = [lever_paths(scenario, inputs, controls_off=c, push_off=s)
             for c, s in ((False, False), (True, False), (False, True), (True, True))]
    return LeverPaths(**{k: np.repeat(np.stack([path[k] for path in paths]), repeat, axis=0)
                         for k in paths[0]})  # (4 * repeat, years, segments)


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    raw: dict
    inputs: ModelInputs
    draws: int = 1

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame(tidy_rows(self), columns=TIDY_COLUMNS)

    def rows(self) -> list[tuple]:
        return tidy_rows(self)


def run_scenario(scenario: Scenario, inputs: ModelInputs) -> Result:
    """Deterministic run at the parameter defaults (plus the scenario's overrides)."""
    params = parameter_arrays(inputs, dict(scenario.overrides), 4)
    raw = simulate(stack_runs(scenario, inputs), params, inputs)
    return Result(scenario, raw, inputs)


def revenue_at_risk(revenue: Mapping[str, np.ndarray], draws: int = 1) -> dict[str, dict[str, np.ndarray]]:
    """Split each company's revenue at risk: total = both_off - scenario; Shapley split of the two levers."""
    split = {}
    for company, rev in revenue.items():
        scen, c_off, s_off, both = (rev[k * draws:(k + 1) * draws] for k in range(4))
        total = both - scen
        us_controls = 0.5 * ((both - s_off) + (c_off - scen))
        china_policy = 0.5 * ((both - c_off) + (s_off - scen))
        split[company] = dict(total=total, us_controls=us_controls, china_policy=china_policy,
                              scenario=scen, counterfactual=both,
                              us_alone=both - s_off, china_alone=both - c_off)
    return split


TIDY_COLUMNS = ["scenario", "year", "metric", "entity", "value", "unit"]


def tidy_rows(result: Result) -> list[tuple]:
    """Long table rows: (scenario, year, metric, entity, value, unit), first draw / deterministic run."""
    metrics = Metrics(result.raw, result.inputs, result.draws)
    label = result.scenario.label()
    return [(label, year, metric, entity, float(value), unit)
            for metric, entity, unit in metrics.catalogue
            for year, value in zip(YEARS, metrics.get(metric, entity)[0])]


class Metrics:
    """Tidy-table metrics as arrays of shape (runs, years), computed from raw engine output, for every run in the scenario block (the first `runs` rows; revenue at risk
    uses the four blocks of `runs` rows each, in `engine.stack_runs` order)."""

    def __init__(self, raw: Mapping, inputs: ModelInputs, runs: int):
        self.raw, self.inputs, self.runs = raw, inputs, runs

    def _block0(self, key):
        return self.raw[key][: self.runs]

    @cached_property
    def realised(self):
        return _sum(self._block0("value")) + self._block0("grey_value")

    @cached_property
    def risk(self):
        return revenue_at_risk(self.raw["revenue"], self.runs)

    @cached_property
    def catalogue(self) -> list[tuple[str, str, str]]:
        """(metric, entity, unit), in the tidy table's order."""
        rows = [("china_share_value", e, "fraction") for e in (*VENDORS, "Grey market")]
        rows += [("china_units", e, "units") for e in (*VENDORS, "Grey market", "Domestic (all)")]
        rows += [("china_spend_usd_bn", e, "USD bn") for e in (*VENDORS, "Grey market")]
        rows += [("us_legal_share_of_demand", "US vendors", "fraction"),
                 ("china_desired_spend_usd_bn", "All", "USD bn"),
                 ("china_realised_spend_usd_bn", "All", "USD bn"),
                 ("china_unmet_demand_usd_bn", "All", "USD bn"),
                 ("domestic_share_value", "Domestic (all)", "fraction"),
                 ("global_share_value", "Nvidia", "fraction"),
                 ("domestic_capacity_units", "Domestic (all)", "units"),
                 ("domestic_logic_capacity_units", "Domestic (all)", "units"),
                 ("domestic_hbm_capacity_units", "Domestic (all)", "units"),
                 ("domestic_yield", "Domestic (all)", "fraction"),
                 ("advanced_wafers_kwpm", "SMIC", "k wafers per month"),
                 ("domestic_hbm_stacks", "Domestic (all)", "units"),
                 ("us_licence_fee_usd_bn", "US government", "USD bn"),
                 ("mandated_segment", "All", "fraction"),
                 ("captive_segment", "All", "fraction"),
                 ("us_blocked_demand_usd_bn", "US vendors", "USD bn"),
                 ("china_import_gate", "US vendors", "fraction"),
                 ("china_equipment_spend_usd_bn", "China", "USD bn"),
                 ("licence_availability", "US vendors", "fraction")]
        for company in self.raw["revenue"]:
            rows += [(m, company, u) for m, u in _COMPANY_METRICS]
        rows += [("equipment_china_revenue_change", "All equipment makers", "fraction"),
                 ("revenue_at_risk_usd_bn", "US chip designers", "USD bn")]
        return rows

    @cached_property
    def units_of(self) -> dict[tuple[str, str], str]:
        return {(m, e): u for m, e, u in self.catalogue}

    def get(self, metric: str, entity: str) -> np.ndarray:
        if (metric, entity) not in self.units_of:
            raise ScenarioError(unknown_metric(metric, entity, self.catalogue))
        value = self._block0("value")
        if metric in ("china_share_value", "china_spend_usd_bn"):
            series = self._block0("grey_value") if entity == "Grey market" else value[:, :, VENDORS.index(entity)]
            return series / self.realised if metric == "china_share_value" else series / 1e9
        if metric == "china_units":
            if entity == "Grey market":
                return self._block0("grey_units")
            units = self._block0("units")
            return _sum(units[:, :, 2:]) if entity == "Domestic (all)" else units[:, :, VENDORS.index(entity)]
        simple = {
            "us_legal_share_of_demand": lambda: _sum(value[:, :, :2]) / self._block0("budget"),
            "china_desired_spend_usd_bn": lambda: self._block0("budget") / 1e9,
            "china_realised_spend_usd_bn": lambda: self.realised / 1e9,
            "china_unmet_demand_usd_bn": lambda: self._block0("unmet") / 1e9,
            "domestic_share_value": lambda: _sum(value[:, :, 2:]) / self.realised,
            "global_share_value": lambda: self._block0("nvidia_global_share"),
            "domestic_capacity_units": lambda: _finite_or_nan(self._block0("capacity_units")),
            "domestic_logic_capacity_units": lambda: self._block0("logic_cap_units"),
            "domestic_hbm_capacity_units": lambda: _finite_or_nan(self._block0("hbm_cap_units")),
            "domestic_yield": lambda: self._block0("yield"),
            "advanced_wafers_kwpm": lambda: self._block0("wafers_kwpm"),
            "us_licence_fee_usd_bn": lambda: self._block0("fee_paid") / 1e9,
            "mandated_segment": lambda: self._block0("mandate"),
            "captive_segment": lambda: self._block0("captive"),
            "domestic_hbm_stacks": lambda: self._block0("domestic_hbm_stacks"),
            "us_blocked_demand_usd_bn": lambda: self._block0("us_blocked") / 1e9,
            "china_import_gate": lambda: self._block0("import_gate"),
            "china_equipment_spend_usd_bn": lambda: self._block0("equipment_spend") / 1e9,
            "licence_availability": lambda: self._block0("licence_availability"),
        }
        if metric in simple:
            return simple[metric]()
        if metric == "equipment_china_revenue_change":
            equipment = sum(self.risk[c]["scenario"] for c, _, _ in self.inputs.equipment_makers)
            return equipment / equipment[:, :1] - 1.0
        if entity == "US chip designers":
            designers = {c for c, _, _ in self.inputs.designers}
            total = 0.0
            for company, parts in self.risk.items():
                if company in designers:
                    total = total + parts["total"]
            return total / 1e9
        parts = self.risk[entity]
        if metric == "revenue_at_risk_pct_of_revenue":
            # Of the revenue the firm would have had that year: its revenue outside China grown from the
            # latest reported year, plus its China revenue with no US controls and no Chinese push.
            return 100.0 * parts["total"] / (self.outside_china(entity) + parts["counterfactual"])
        return parts[_COMPANY_PART[metric]] / 1e9

    def outside_china(self, company: str) -> np.ndarray:
        """The firm's revenue outside China, grown from its latest reported year (USD, shape (runs, years))."""
        china, total = {c: (ch, t) for c, ch, t in self.inputs.designers + self.inputs.equipment_makers}[company]
        if company == "Nvidia":
            index = self.raw["row_index"][: self.runs]
        else:
            equipment = company in {c for c, _, _ in self.inputs.equipment_makers}
            name = ("equipment_revenue_growth" if equipment else
                    "amd_revenue_growth" if company == "AMD" else "designer_revenue_growth")
            rate = self.raw["params"][name][: self.runs] if "params" in self.raw else np.full(
                self.runs, self.inputs.parameters[name].default)
            base_year = self.inputs.base_years.get(company, YEARS[0])
            index = (1.0 + rate[:, None]) ** (np.asarray(YEARS, dtype=float) - base_year)[None, :]
        return (total - china) * 1e9 * index

    def at(self, metric: str, entity: str, year: int) -> np.ndarray:
        return self.get(metric, entity)[:, year_index(year)]


_COMPANY_METRICS = (
    ("china_revenue_usd_bn", "USD bn"), ("counterfactual_china_revenue_usd_bn", "USD bn"),
    ("revenue_at_risk_usd_bn", "USD bn"), ("revenue_at_risk_us_controls_usd_bn", "USD bn"),
    ("revenue_at_risk_china_policy_usd_bn", "USD bn"), ("revenue_at_risk_pct_of_revenue", "percent"),
)
_COMPANY_PART = {"china_revenue_usd_bn": "scenario", "counterfactual_china_revenue_usd_bn": "counterfactual",
                 "revenue_at_risk_usd_bn": "total", "revenue_at_risk_us_controls_usd_bn": "us_controls",
                 "revenue_at_risk_china_policy_usd_bn": "china_policy"}


def _finite_or_nan(array):
    return np.where(np.isfinite(array), array, np.nan)


def year_index(year) -> int:
    try:
        return YEARS.index(int(year))
    except (TypeError, ValueError):
        raise ScenarioError(f"year must be one of {YEARS[0]}-{YEARS[-1]}, got {year!r}") from None


def unknown_metric(metric, entity, catalogue) -> str:
    metrics = list(dict.fromkeys(m for m, _, _ in catalogue))
    if metric not in metrics:
        return f"unknown metric {metric!r}; known: {', '.join(metrics)}"
    entities = [e for m, e, _ in catalogue if m == metric]
    return f"unknown entity {entity!r} for {metric}; known: {', '.join(entities)}"


# ------------------------------------------------------------------------------------------------ loading

def load_model_inputs(database: Database | None = None) -> ModelInputs:
    """The model's inputs from data/ (params.read_model_inputs), checked against the model itself."""
    return check_inputs(read_model_inputs(database))


def check_inputs(inputs: ModelInputs) -> ModelInputs:
    """Run the default scenario once (~2 ms): a parameter or company the engine needs but data/ lacks then
    stops the load with its name, like any other data problem, not later as a KeyError in a page."""
    try:
        result = run_scenario(Scenario.create(inputs=inputs), inputs)
        result.tidy()
    except KeyError as exc:
        raise DataError(f"data/ has no row for {exc.args[0]!r}, which the model needs (data/parameters.csv or "
                        "data/company_baseline.csv)") from None
    # The 2024 accounts: smuggled chips are part of the 2024 spend, and the captive segment is part of
    # domestic vendors' 2024 sales; defaults that break either cannot be calibrated.
    p = inputs.defaults()
    grey = p["grey_units_2024_k"] * p["price_grey_usd_k"] / 1e3
    if grey >= p["budget_2024_usd_bn"]:
        raise DataError(f"data/parameters.csv: smuggled chips in 2024 (grey_units_2024_k x price_grey_usd_k = "
                        f"${grey:.1f}B) exceed the whole 2024 spend (budget_2024_usd_bn = ${p['budget_2024_usd_bn']:g}B)")
    shares = [p[f"base_share_{v}_2024"] for v in ("nvidia", "amd", "huawei", "cambricon", "other")]
    domestic = sum(shares[2:]) / sum(shares) * (p["budget_2024_usd_bn"] - grey)
    captive = p["budget_2024_usd_bn"] * (p["captive_floor"] + p["mandate_ratio"] * (inputs.history[YEARS[0]][0]["self_reliance"] / 100) ** 2)
    if captive > domestic:
        raise DataError(f"data/parameters.csv: the 2024 captive segment (${captive:.1f}B from captive_floor and "
                        f"mandate_ratio) exceeds domestic vendors' 2024 sales (${domestic:.1f}B from the base shares)")
    raw = result.raw
    gap = np.abs(raw["budget"] - raw["value"].sum(axis=2) - raw["grey_value"] - raw["unmet"]).max()
    if gap > 1e-3:
        raise DataError(f"data/: the default scenario's accounts do not add up (gap ${gap / 1e9:.3f}B): check "
                        "data/parameters.csv")
    return inputs
