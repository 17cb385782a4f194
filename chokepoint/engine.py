"""The scenario engine: pure numpy, no Streamlit, no I/O.

Structure (see the Methodology page and ../shared/design/MODEL.md): for each year 2024-2030,
demand -> policy gates -> choice (pivoted logit) -> domestic supply (wafers, yield learning, HBM)
-> grey channel -> rationing -> revenue -> worldwide share.

Every quantity carries a leading batch axis so one call evaluates many parameter draws and the
four runs needed to split revenue at risk (scenario, controls off, China push off, both off).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Mapping

import numpy as np
import pandas as pd

from chokepoint.params import ADVANCED_LEVERS, FIRST_LEVER_YEAR, YEARS, ModelInputs, Scenario, ScenarioError

VENDORS = ("Nvidia", "AMD", "Huawei", "Cambricon", "Other domestic")
SHARE_ENTITIES = VENDORS + ("Grey market",)
US, DOM = slice(0, 2), slice(2, 5)
N_YEARS = len(YEARS)


@dataclass(frozen=True)
class LeverPaths:
    """Lever values per run and year, shape (n, years)."""

    chip: np.ndarray
    equipment: np.ndarray
    hbm: np.ndarray
    enforcement: np.ndarray
    self_reliance: np.ndarray


def lever_paths(scenario: Scenario, inputs: ModelInputs, controls_off=False, push_off=False) -> dict:
    """Year-by-year lever values: history for 2024-2025, the scenario from 2026.

    `controls_off` / `push_off` give the counterfactual runs: that lever is 0 in every year.
    """
    overrides = dict(scenario.overrides)
    chip, equipment, hbm, enforcement, self_rel = (np.zeros(N_YEARS) for _ in range(5))
    reaction = overrides.get("reaction", ADVANCED_LEVERS["reaction"].default) / 100.0
    for i, year in enumerate(YEARS):
        if year < FIRST_LEVER_YEAR:
            ec, sr = inputs.history[year]
            levels = dict(chip=ec, equipment=ec, hbm=ec, enforcement=ec)
        else:
            ec, sr = scenario.export_controls, scenario.self_reliance
            levels = {k: overrides.get(f"{k}_controls" if k in ("chip", "equipment", "hbm") else k, ec)
                      for k in ("chip", "equipment", "hbm", "enforcement")}
            if controls_off:  # before the reaction: without US controls there is nothing to react to
                levels = dict.fromkeys(levels, 0.0)
            sr = min(100.0, sr + reaction * max(0.0, levels["chip"] - inputs.history[2024][0]))
        if controls_off:
            levels = dict.fromkeys(levels, 0.0)
        if push_off:
            sr = 0.0
        chip[i], equipment[i], hbm[i], enforcement[i] = (
            levels["chip"], levels["equipment"], levels["hbm"], levels["enforcement"])
        self_rel[i] = sr
    return dict(chip=chip, equipment=equipment, hbm=hbm, enforcement=enforcement, self_reliance=self_rel)


def _interp(x, xp, fp):
    return np.interp(x, xp, fp)


def domestic_supply(equipment: np.ndarray, hbm: np.ndarray, self_reliance: np.ndarray,
                    p: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Domestic accelerator capacity per year (units), from wafers, yield learning, stockpiled dies
    and HBM. Lever arrays have shape (n, years). Independent of demand, so it can be evaluated for
    any control levels (the engine also runs it with no tool or HBM controls, see `simulate`).
    """
    n = equipment.shape[0]
    wafers_2025 = p["smic_capacity_2025_kwpm"] * 1e3 * 12.0  # wafers per year

    def wafer_growth(i):
        return np.maximum(-0.2, p["wafer_growth_base"]
                          + p["wafer_growth_per_self_reliance"] * self_reliance[:, i] / 100.0
                          - p["wafer_growth_cut_per_equipment_controls"] * equipment[:, i] / 100.0)

    def ai_share(i):
        years_on = max(0.0, YEARS[i] - 2025)
        return np.clip(p["ai_wafer_share_2025"]
                       + p["ai_wafer_share_growth"] * self_reliance[:, i] / 100.0 * years_on, 0.02, 0.6)

    def learning_exponent(i):
        rate = p["learning_rate"] * (1.0 - p["equipment_learning_drag"] * equipment[:, i] / 100.0)
        return -np.log2(1.0 - rate)

    wafers = np.empty((n, N_YEARS))
    wafers[:, 1] = wafers_2025
    wafers[:, 0] = wafers_2025 / (1.0 + wafer_growth(1))
    for i in range(2, N_YEARS):
        wafers[:, i] = wafers[:, i - 1] * (1.0 + wafer_growth(i))
    ai_wafers = np.stack([wafers[:, i] * ai_share(i) for i in range(N_YEARS)], axis=1)
    cumulative = ai_wafers[:, :1] + np.cumsum(ai_wafers, axis=1)  # output before 2024 ~ one 2024 year
    defect = np.empty((n, N_YEARS))  # Poisson yield: yield = exp(-defect density x die area)
    defect[:, 1] = -np.log(p["yield_2025"])
    defect[:, 0] = defect[:, 1] * (cumulative[:, 1] / cumulative[:, 0]) ** learning_exponent(1)
    for i in range(2, N_YEARS):
        defect[:, i] = defect[:, i - 1] * (cumulative[:, i] / cumulative[:, i - 1]) ** (-learning_exponent(i))
    yields = np.exp(-defect)
    logic = ai_wafers * (p["dies_per_wafer"] / p["dies_per_package"])[:, None] * yields

    # Stockpiles are released on a fixed schedule, independent of demand: TSMC-made dies at the
    # packaging limit until used up; imported HBM mostly in 2025, the rest in 2026. (A demand-driven
    # draw would let a stronger push in one year lower supply in a later one.)
    remaining = p["die_stockpile_m"] * 1e6
    for i in range(N_YEARS):
        release = np.minimum(remaining, p["die_stockpile_draw_m"] * 1e6)
        remaining = remaining - release
        logic[:, i] += release / p["dies_per_package"]

    growth = lambda i: p["domestic_hbm_growth"] * (1 - p["hbm_growth_cut_per_hbm_controls"] * hbm[:, i] / 100)
    domestic_hbm = np.empty((n, N_YEARS))
    domestic_hbm[:, 1] = p["domestic_hbm_2025_m"] * 1e6
    domestic_hbm[:, 0] = domestic_hbm[:, 1] / (1.0 + growth(1))
    for i in range(2, N_YEARS):
        domestic_hbm[:, i] = domestic_hbm[:, i - 1] * (1.0 + growth(i))
    stock = p["hbm_import_stock_m"] * 1e6
    stock_release = np.zeros((n, N_YEARS))
    stock_release[:, 1] = stock * p["hbm_stock_used_2025"]
    stock_release[:, 2] = stock * (1.0 - p["hbm_stock_used_2025"])
    imports = p["hbm_import_flow_m"][:, None] * 1e6 * np.clip(
        (p["hbm_import_cutoff"][:, None] - hbm) / (p["hbm_import_cutoff"][:, None] - 50.0), 0.0, 1.0)
    hbm_units = (domestic_hbm + imports + stock_release) / p["hbm_stacks_per_package"][:, None]
    hbm_units[:, 0] = np.inf  # HBM imports were open until the Dec-2024 rule: no limit in the base year
    return dict(capacity=np.minimum(logic, hbm_units), logic=logic, hbm=hbm_units, yields=yields,
                wafers_kwpm=wafers / 12e3, domestic_hbm=domestic_hbm)


def simulate(levers: LeverPaths, p: Mapping[str, np.ndarray], inputs: ModelInputs) -> dict[str, np.ndarray]:
    """Run the model for n runs at once. `p` maps parameter name -> array of shape (n,)."""
    n = levers.chip.shape[0]
    years = np.asarray(YEARS, dtype=float)
    history_chip_2024, history_sr_2024 = inputs.history[2024]

    # Calibration: 2024 value shares, the open segment's base shares under the 2024 mandate.
    base = np.stack([p["base_share_nvidia_2024"], p["base_share_amd_2024"], p["base_share_huawei_2024"],
                     p["base_share_cambricon_2024"], p["base_share_other_2024"]], axis=1)
    base = base / base.sum(axis=1, keepdims=True)
    mandate0 = p["mandate_2024"]
    dom_split0 = base[:, DOM] / base[:, DOM].sum(axis=1, keepdims=True)
    open0 = base.copy()
    open0[:, DOM] -= mandate0[:, None] * dom_split0
    open0 = np.clip(open0 / (1.0 - mandate0[:, None]), 1e-9, None)
    log_open0 = np.log(open0 / open0.sum(axis=1, keepdims=True))

    # Export-control terms by level (anchors interpolated), for the chip lever and for 2024.
    ln_ppi_frontier0 = inputs.chip_anchor_ln_ppi[0]

    def chip_terms(level, year_index):
        ln_ppi = _interp(level, inputs.chip_anchor_values, inputs.chip_anchor_ln_ppi)
        frontier_pass = ln_ppi / ln_ppi_frontier0  # 1 with no controls, 0 once the threshold is fixed
        ln_ppi = ln_ppi + frontier_pass * year_index * np.log1p(p["us_frontier_perf_growth"])
        fee = _interp(level, inputs.chip_anchor_values, inputs.chip_anchor_fee)
        ln_ppi_eff = ln_ppi - np.log1p(p["fee_pass_through"] * fee)
        availability = _interp(level, inputs.chip_anchor_values, inputs.chip_anchor_availability)
        price_index = _interp(level, inputs.chip_anchor_values, inputs.chip_anchor_price_index)
        return ln_ppi_eff, fee, availability, price_index

    ln_ppi_eff_ref, _, availability_ref, _ = chip_terms(np.full(n, history_chip_2024), 0)

    prices_dom = np.stack([p["price_huawei_usd_k"], p["price_cambricon_usd_k"],
                           p["price_other_domestic_usd_k"]], axis=1) * 1e3
    price_grey = p["price_grey_usd_k"] * 1e3

    # Grey channel: saturating in the pull toward smuggling, calibrated to the 2024 estimate.
    def grey_pull(ln_ppi_eff, availability, enforcement, year_index):
        ln_frontier = ln_ppi_frontier0 + year_index * np.log1p(p["us_frontier_perf_growth"])
        gap = np.maximum(0.0, ln_frontier - ln_ppi_eff) + p["quota_gap_weight"] * (1.0 - availability)
        return gap * (1.0 - p["enforcement_effect"] * enforcement / 100.0)

    grey_ceiling = p["grey_ceiling_k"] * 1e3
    grey_2024 = np.minimum(p["grey_units_2024_k"] * 1e3, 0.9 * grey_ceiling)
    pull_2024 = grey_pull(ln_ppi_eff_ref, availability_ref, np.full(n, history_chip_2024), 0)
    grey_rate = -np.log1p(-grey_2024 / grey_ceiling) / np.maximum(pull_2024, 1e-9)

    beta, kappa = p["logit_beta"], p["ecosystem_kappa"]
    supply = domestic_supply(levers.equipment, levers.hbm, levers.self_reliance, p)
    # The same supply with no tool or HBM controls: rationed buyers turn to US parts only for the
    # shortfall that would exist without those controls, so tighter US controls never add US sales.
    supply_free = domestic_supply(np.zeros_like(levers.equipment), np.zeros_like(levers.hbm),
                                  levers.self_reliance, p)

    out = {k: np.zeros((n, N_YEARS)) for k in (
        "budget", "mandate", "unmet", "grey_units", "grey_value", "capacity_units", "fee_paid")}
    out["value"] = np.zeros((n, N_YEARS, len(VENDORS)))
    out["units"] = np.zeros((n, N_YEARS, len(VENDORS)))
    out["yield"] = supply["yields"]
    out["wafers_kwpm"] = supply["wafers_kwpm"]
    out["hbm_cap_units"] = supply["hbm"]
    out["logic_cap_units"] = supply["logic"]

    installed0 = None
    installed = None
    budget = p["budget_2024_usd_bn"] * 1e9
    for i, year in enumerate(YEARS):
        year_index = year - 2024
        if year == 2025:
            budget = p["budget_2025_usd_bn"] * 1e9
        elif year > 2025:
            budget = budget * (1.0 + p["budget_growth"])
        sr = levers.self_reliance[:, i]

        # Policy gates.
        ramp = min(1.0, year_index / 4.0)
        mandate = np.clip(mandate0 + (p["mandate_ratio"] * sr / 100.0 - mandate0) * ramp, 0.0, 0.95)
        ln_ppi_eff, fee, availability, price_index = chip_terms(levers.chip[:, i], year_index)

        # Choice: pivoted multinomial logit in the open segment.
        delta = np.zeros((n, len(VENDORS)))
        delta[:, US] = (beta * (ln_ppi_eff - ln_ppi_eff_ref)
                        - p["informal_gate_strength"] * (sr - history_sr_2024) / 100.0)[:, None]
        dom_delta = beta * year_index * np.log1p(p["domestic_perf_growth"])
        if installed is not None:
            dom_delta = dom_delta + kappa * np.log(installed / installed0)
        delta[:, DOM] = dom_delta[:, None] if np.ndim(dom_delta) else dom_delta
        utility = log_open0 + delta
        weights = np.exp(utility - utility.max(axis=1, keepdims=True))
        open_shares = weights / weights.sum(axis=1, keepdims=True)
        dom_weights = weights[:, DOM] / weights[:, DOM].sum(axis=1, keepdims=True)
        demand = (1.0 - mandate)[:, None] * budget[:, None] * open_shares
        demand[:, DOM] += (mandate * budget)[:, None] * dom_weights

        # US vendors: licences cap what can ship; what cannot ship may spill to domestic vendors.
        us_excess = (demand[:, US] * (1.0 - availability[:, None])).sum(axis=1)

        # Domestic supply: logic packages + stockpiled dies, capped by HBM.
        dom_demand_units = demand[:, DOM] / prices_dom
        wanted = dom_demand_units.sum(axis=1)
        spill_units_wanted = (us_excess[:, None] * dom_weights / prices_dom).sum(axis=1)
        capacity = supply["capacity"][:, i]

        served = np.minimum(wanted, capacity)
        realised_dom = dom_demand_units * (served / np.maximum(wanted, 1e-9))[:, None]
        slack = np.maximum(0.0, capacity - served)
        accepted = np.minimum(slack, spill_units_wanted)
        spill_share = (us_excess[:, None] * dom_weights / prices_dom) / np.maximum(spill_units_wanted, 1e-9)[:, None]
        realised_dom = realised_dom + accepted[:, None] * spill_share

        # Open-segment buyers rationed out of domestic supply turn to US parts, within the licences and
        # as far as the informal gate lets them; the mandated segment cannot, so its shortfall stays unmet.
        gate_open = np.exp(-p["informal_gate_strength"] * np.maximum(0.0, sr - history_sr_2024) / 100.0)
        served_free = np.minimum(wanted, supply_free["capacity"][:, i])
        shortfall = (1.0 - served_free / np.maximum(wanted, 1e-9)) * gate_open
        open_dom_demand = ((1.0 - mandate) * budget)[:, None] * open_shares[:, DOM]
        us_open = open_shares[:, US] / open_shares[:, US].sum(axis=1, keepdims=True)
        spill_to_us = (shortfall * open_dom_demand.sum(axis=1))[:, None] * us_open
        us_legal = (demand[:, US] + spill_to_us) * availability[:, None]

        # Installed base grows with the workloads committed to domestic platforms.
        committed = wanted + accepted
        if installed is None:
            installed0 = committed
            installed = committed.copy()
        installed = installed + committed

        # Grey channel.
        pull = grey_pull(ln_ppi_eff, availability, levers.enforcement[:, i], year_index)
        grey_units = grey_ceiling * (1.0 - np.exp(-grey_rate * pull))

        value = np.zeros((n, len(VENDORS)))
        value[:, US] = us_legal
        value[:, DOM] = realised_dom * prices_dom
        us_prices = np.stack([p["price_h20_usd_k"], p["price_amd_usd_k"]], axis=1) * 1e3 * price_index[:, None]
        units = np.zeros_like(value)
        units[:, US] = us_legal / us_prices
        units[:, DOM] = realised_dom

        out["value"][:, i] = value
        out["units"][:, i] = units
        out["budget"][:, i] = budget
        out["mandate"][:, i] = mandate
        out["unmet"][:, i] = np.maximum(0.0, budget - value.sum(axis=1))
        out["grey_units"][:, i] = grey_units
        out["grey_value"][:, i] = grey_units * price_grey
        out["capacity_units"][:, i] = capacity
        out["fee_paid"][:, i] = us_legal.sum(axis=1) * fee

    _revenue(out, levers, p, inputs, years)
    return out


def _revenue(out, levers: LeverPaths, p, inputs: ModelInputs, years):
    n = levers.chip.shape[0]
    year_index = years - 2024
    ramp = year_index / (years[-1] - 2024)
    exposure = ramp * (p["designer_controls_exposure"][:, None] * levers.chip / 100.0
                       + p["designer_substitution_exposure"][:, None] * levers.self_reliance / 100.0)
    keep = np.clip(1.0 - exposure, 0.0, 1.0)

    revenue = {}
    revenue["Nvidia"] = out["value"][:, :, 0] + p["nvidia_non_dc_china_2024_usd_bn"][:, None] * 1e9 * keep
    revenue["AMD"] = out["value"][:, :, 1] + p["amd_non_dc_china_2024_usd_bn"][:, None] * 1e9 * keep
    for company, china, _ in inputs.designers:
        if company not in revenue:
            revenue[company] = np.full((n, len(years)), china * 1e9) * keep

    # Equipment makers: foreign tools' share of China's equipment spend, less what licences block.
    sr = levers.self_reliance / 100.0
    growth = p["equipment_spend_growth_base"][:, None] + p["equipment_spend_growth_per_self_reliance"][:, None] * sr
    growth[:, 0] = 0.0
    spend = p["china_equipment_spend_2024_usd_bn"][:, None] * 1e9 * np.cumprod(1.0 + growth, axis=1)
    push = np.cumsum(np.where(year_index > 0, sr, 0.0), axis=1)
    tool_max, tool0 = p["domestic_tool_share_max"][:, None], p["domestic_tool_share_2024"][:, None]
    domestic_tools = tool_max - (tool_max - tool0) * np.exp(-p["domestic_tool_speed"][:, None] * push)
    blocked = p["equipment_blocked_max"][:, None] * (levers.equipment / 100.0) ** 2
    foreign_sales = spend * (1.0 - domestic_tools) * (1.0 - blocked)
    history_equipment = inputs.history[2024][0]
    reference = (p["china_equipment_spend_2024_usd_bn"] * 1e9 * (1.0 - p["domestic_tool_share_2024"])
                 * (1.0 - p["equipment_blocked_max"] * (history_equipment / 100.0) ** 2))
    index = foreign_sales / reference[:, None]
    for company, china, _ in inputs.equipment_makers:
        revenue[company] = china * 1e9 * index
    out["revenue"] = revenue

    # Worldwide: rest-of-world spend is exogenous; grey-market parts are Nvidia parts bought abroad.
    row_share = p["nvidia_row_share"]
    row_2024 = (p["nvidia_dc_revenue_fy2025_usd_bn"] * 1e9
                - p["base_share_nvidia_2024"] * p["budget_2024_usd_bn"] * 1e9) / row_share
    growth = np.where(years <= 2028, p["row_growth_to_2028"][:, None], p["row_growth_after_2028"][:, None])
    growth[:, 0] = 0.0
    row = row_2024[:, None] * np.cumprod(1.0 + growth, axis=1)
    china_total = out["value"].sum(axis=2) + out["grey_value"]
    out["nvidia_global_share"] = (out["value"][:, :, 0] + out["grey_value"] + row_share[:, None] * row) / (china_total + row)


def parameter_arrays(inputs: ModelInputs, overrides: Mapping[str, float], n: int) -> dict[str, np.ndarray]:
    values = inputs.defaults()
    values.update({k: v for k, v in overrides.items() if k in values})
    return {k: np.full(n, float(v)) for k, v in values.items()}




def stack_runs(scenario: Scenario, inputs: ModelInputs, repeat: int = 1) -> LeverPaths:
    """The four runs revenue at risk needs, each repeated `repeat` times (for parameter draws)."""
    paths = [lever_paths(scenario, inputs, controls_off=c, push_off=s)
             for c, s in ((False, False), (True, False), (False, True), (True, True))]
    return LeverPaths(**{k: np.repeat(np.stack([path[k] for path in paths]), repeat, axis=0)
                         for k in paths[0]})


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
        return self._block0("value").sum(axis=2) + self._block0("grey_value")

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
                 ("us_licence_fee_usd_bn", "US government", "USD bn"),
                 ("mandated_segment", "All", "fraction")]
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
            return units[:, :, 2:].sum(axis=2) if entity == "Domestic (all)" else units[:, :, VENDORS.index(entity)]
        simple = {
            "us_legal_share_of_demand": lambda: value[:, :, :2].sum(axis=2) / self._block0("budget"),
            "china_desired_spend_usd_bn": lambda: self._block0("budget") / 1e9,
            "china_realised_spend_usd_bn": lambda: self.realised / 1e9,
            "china_unmet_demand_usd_bn": lambda: self._block0("unmet") / 1e9,
            "domestic_share_value": lambda: value[:, :, 2:].sum(axis=2) / self.realised,
            "global_share_value": lambda: self._block0("nvidia_global_share"),
            "domestic_capacity_units": lambda: self._block0("capacity_units"),
            "domestic_logic_capacity_units": lambda: self._block0("logic_cap_units"),
            "domestic_hbm_capacity_units": lambda: _finite_or_nan(self._block0("hbm_cap_units")),
            "domestic_yield": lambda: self._block0("yield"),
            "advanced_wafers_kwpm": lambda: self._block0("wafers_kwpm"),
            "us_licence_fee_usd_bn": lambda: self._block0("fee_paid") / 1e9,
            "mandated_segment": lambda: self._block0("mandate"),
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
            totals = {c: t for c, _, t in self.inputs.designers + self.inputs.equipment_makers}
            bases = {c: b for c, b, _ in self.inputs.designers + self.inputs.equipment_makers}
            would_have = totals[entity] - bases[entity] + parts["counterfactual"] / 1e9
            return 100.0 * parts["total"] / 1e9 / would_have
        return parts[_COMPANY_PART[metric]] / 1e9

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
