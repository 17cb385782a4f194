"""The corner table: the settings an analyst tries first, Model 1.1's answer (from the Model 2 issue) and
today's, computed live. Shown on the Methodology page and quoted in the README ("Model 2 — what changed")."""
from __future__ import annotations

from chokepoint.engine import Metrics, parameter_arrays, rung_levels, simulate, stack_runs
from chokepoint.formatting import FIRST_LEVER_YEAR
from chokepoint.params import ModelInputs, Scenario


def _k(units: float) -> str:
    return f"{units / 1e6:.2f}M" if units >= 1e6 else f"{units / 1e3:,.0f}k"


def _m(inputs: ModelInputs, ec: float, sr: float) -> Metrics:
    scenario = Scenario.create(ec, sr, inputs=inputs)
    return Metrics(simulate(stack_runs(scenario, inputs), parameter_arrays(inputs, {}, 4), inputs), inputs, 1)


def corner_rows(inputs: ModelInputs) -> list[dict[str, str]]:
    rows = []
    m = _m(inputs, 100, 100)
    grey = m.get("china_share_value", "Grey market")[0]
    huawei = m.get("china_units", "Huawei")[0]
    at = lambda metric, entity, year, mm=None: float((mm or m).at(metric, entity, year)[0])  # noqa: E731
    rows.append(dict(
        setting="export_controls=100, self_reliance=100 (strict ban, full push)",
        model_1_1="smuggled chips 57-69% of China's AI-chip spend 2027-30; Huawei falls from 974k units (2025) to 300k",
        model_2=f"smuggled chips {grey[3:].min():.0%}-{grey[3:].max():.0%} of spend {FIRST_LEVER_YEAR}-2032 "
                f"(~{_k(at('china_units', 'Grey market', 2030))} a year, bounded by enforcement); Huawei "
                f"{_k(huawei[1])} (2025) -> {_k(at('china_units', 'Huawei', 2030))} (2030) -> {_k(huawei[-1])} (2032)"))
    z = _m(inputs, 0, 0)
    rows.append(dict(
        setting="export_controls=0, self_reliance=0 (no controls, no push)",
        model_1_1="Huawei 12k units and 0.06% share in 2030",
        model_2=f"Huawei {_k(at('china_units', 'Huawei', 2030, z))} units in 2030; domestic vendors "
                f"{at('domestic_share_value', 'Domestic (all)', 2030, z):.1%} of spend (captive floor: in-house "
                f"chips, state buyers, lock-in)"))
    d = _m(inputs, 25, 90)
    rows.append(dict(
        setting='"As announced for 2026" (default), 2026',
        model_1_1="Nvidia 57% of China's spend in 2026, $26B China revenue",
        model_2=f"2026 is history: Nvidia's legal sales ${at('china_spend_usd_bn', 'Nvidia', 2026, d):.1f}B "
                f"({at('china_share_value', 'Nvidia', 2026, d):.1%} of spend; Bernstein ~8%), China revenue "
                f"${at('china_revenue_usd_bn', 'Nvidia', 2026, d):.1f}B incl. gaming; "
                f"${at('china_unmet_demand_usd_bn', 'All', 2026, d):.0f}B of ${at('china_desired_spend_usd_bn', 'All', 2026, d):.0f}B "
                f"desired goes unmet (H200 orders blocked at customs)"))
    realised = at("china_realised_spend_usd_bn", "All", 2024, d)
    rows.append(dict(
        setting="any setting, 2024",
        model_1_1="realised spend $27.6B against a $22B budget; Nvidia 47.8% although calibrated to 60%",
        model_2=f"realised ${realised:.1f}B = desired (one set of accounts); Nvidia "
                f"{at('china_spend_usd_bn', 'Nvidia', 2024, d) / (realised - at('china_spend_usd_bn', 'Grey market', 2024, d)):.0%} "
                f"of legal and domestic spend as calibrated, smuggled chips "
                f"{at('china_share_value', 'Grey market', 2024, d):.0%} inside the total"))
    rung = rung_levels(25, inputs)
    rows.append(dict(
        setting="export_controls < 50 (e.g. 25, the H200 rung)",
        model_1_1="HBM imports reopen at 4M stacks a year and tool controls loosen (every advanced lever copies export_controls)",
        model_2=f"the rung keeps the Dec-2024 rules: tools {rung['equipment_controls']:g}, HBM {rung['hbm_controls']:g} "
                f"(imports stay shut), enforcement {rung['enforcement']:g}; only chips loosen"))
    low, high = _m(inputs, 100, 12), _m(inputs, 100, 100)
    rows.append(dict(
        setting="self_reliance 12 -> 100 (export_controls=100)",
        model_1_1="Huawei's units do not move (HBM always binds)",
        model_2=f"Huawei 2030: {_k(at('china_units', 'Huawei', 2030, low))} -> {_k(at('china_units', 'Huawei', 2030, high))} "
                f"units (the push funds domestic HBM and wafers with a one-year lag)"))
    rows.append(dict(
        setting="Nvidia, 2030 (default)",
        model_1_1="35-61% of revenue at risk, divided by FY2025 revenue frozen for five years",
        model_2=f"{at('revenue_at_risk_pct_of_revenue', 'Nvidia', 2030, d):.1f}% of projected 2030 revenue "
                f"(${at('revenue_at_risk_usd_bn', 'Nvidia', 2030, d):.0f}B at risk; the denominator grows with the "
                f"rest-of-world market)"))
    return rows
