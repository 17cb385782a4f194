"""Shape engine results for pages and charts: headline numbers, chart frames, plain-words takeaways.

Pure pandas; no Streamlit. Every frame a chart draws can also be shown as a table.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from chokepoint.engine import SHARE_ENTITIES

US_FIRMS = ("Nvidia", "AMD", "Intel", "Qualcomm", "Broadcom", "Micron", "Texas Instruments",
            "Applied Materials", "Lam Research", "KLA")
DOMESTIC = ("Huawei", "Cambricon", "Other domestic")
MODEL_SOURCE = "Chokepoint model (scenario run)"


def series(tidy: pd.DataFrame, metric: str, entities=None) -> pd.DataFrame:
    rows = tidy[tidy.metric == metric]
    if entities is not None:
        rows = rows[rows.entity.isin(list(entities))]
    return rows[["year", "entity", "value", "unit"]].reset_index(drop=True)


def value_at(tidy: pd.DataFrame, metric: str, entity: str, year: int) -> float:
    rows = tidy[(tidy.metric == metric) & (tidy.entity == entity) & (tidy.year == year)]
    return float(rows.value.iloc[0]) if len(rows) else float("nan")


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: float
    reference: float
    unit: str  # fraction | units | USD bn
    help: str

    @property
    def delta(self) -> float:
        return self.value - self.reference

    def formatted(self) -> str:
        return format_value(self.value, self.unit)

    def formatted_delta(self) -> str:
        if self.unit == "fraction":
            return f"{self.delta * 100:+.1f} pts"
        return format_value(self.delta, self.unit, signed=True)


def format_value(value: float, unit: str, signed: bool = False) -> str:
    if value != value:
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    if unit == "fraction":
        return f"{sign}{value * 100:.1f}%"
    if unit == "USD bn":
        return f"{sign}${value:,.1f}B" if value >= 0 else f"-${-value:,.1f}B"
    if unit == "units":
        if abs(value) >= 1e6:
            return f"{sign}{value / 1e6:,.2f}M"
        return f"{sign}{value / 1e3:,.0f}k"
    if unit == "percent":
        return f"{sign}{value:.1f}%"
    return f"{sign}{value:,.3g}"


def us_revenue_at_risk(tidy: pd.DataFrame, year: int) -> float:
    rows = tidy[(tidy.metric == "revenue_at_risk_usd_bn") & (tidy.year == year) & tidy.entity.isin(US_FIRMS)]
    return float(rows.value.sum())


def headlines(tidy: pd.DataFrame, reference: pd.DataFrame, year: int) -> list[Headline]:
    def domestic(t):
        return value_at(t, "domestic_share_value", "Domestic (all)", year)

    return [
        Headline("nvidia_share", "Nvidia share",
                 value_at(tidy, "china_share_value", "Nvidia", year),
                 value_at(reference, "china_share_value", "Nvidia", year), "fraction",
                 "Share of China's realised AI-accelerator spend (legal sales and smuggled chips)."),
        Headline("domestic_share", "Domestic share", domestic(tidy), domestic(reference), "fraction",
                 "Huawei, Cambricon and other Chinese vendors, share of realised spend."),
        Headline("huawei_units", "Huawei units",
                 value_at(tidy, "china_units", "Huawei", year), value_at(reference, "china_units", "Huawei", year),
                 "units", "Accelerators sold, limited by wafers, yield and HBM."),
        Headline("us_at_risk", "US revenue at risk", us_revenue_at_risk(tidy, year),
                 us_revenue_at_risk(reference, year), "USD bn",
                 "Against a world with no US controls and no Chinese push; chip designers and US toolmakers."),
        Headline("unmet", "Unmet demand",
                 value_at(tidy, "china_unmet_demand_usd_bn", "All", year),
                 value_at(reference, "china_unmet_demand_usd_bn", "All", year), "USD bn",
                 "Desired spend that no legal supplier can serve (smuggling is counted separately)."),
    ]


def share_frame(tidy: pd.DataFrame, measure: str = "value") -> pd.DataFrame:
    metric = "china_share_value" if measure == "value" else "china_units"
    frame = series(tidy, metric, SHARE_ENTITIES)
    if measure == "units_share":
        totals = frame.groupby("year").value.transform("sum")
        frame = frame.assign(value=frame.value / totals, unit="fraction")
    return frame.assign(source=MODEL_SOURCE)


def share_takeaway(tidy: pd.DataFrame, year: int) -> str:
    nvidia = value_at(tidy, "china_share_value", "Nvidia", year)
    nvidia_2024 = value_at(tidy, "china_share_value", "Nvidia", 2024)
    domestic = value_at(tidy, "domestic_share_value", "Domestic (all)", year)
    grey = value_at(tidy, "china_share_value", "Grey market", year)
    leader = max(SHARE_ENTITIES, key=lambda v: value_at(tidy, "china_share_value", v, year))
    direction = "down from" if nvidia < nvidia_2024 else "up from"
    return (f"By {year}, Nvidia holds {nvidia:.0%} of China's realised AI-chip spend ({direction} {nvidia_2024:.0%} "
            f"in 2024), domestic vendors {domestic:.0%} and smuggled chips {grey:.0%}; the largest supplier is {leader}.")


def revenue_cause_frame(tidy: pd.DataFrame, year: int, measure: str = "usd") -> pd.DataFrame:
    """Revenue at risk by company and cause for one year; measure 'usd' or 'pct' (of revenue)."""
    kinds = {c: ("Equipment maker" if c in ("Applied Materials", "Lam Research", "KLA", "ASML", "Tokyo Electron")
                 else "Chip designer") for c in tidy.entity.unique()}
    rows = []
    for company in [c for c in tidy[tidy.metric == "revenue_at_risk_usd_bn"].entity.unique() if c in kinds]:
        if company == "US chip designers":
            continue
        us = value_at(tidy, "revenue_at_risk_us_controls_usd_bn", company, year)
        china = value_at(tidy, "revenue_at_risk_china_policy_usd_bn", company, year)
        if measure == "pct":
            total = value_at(tidy, "revenue_at_risk_usd_bn", company, year)
            pct = value_at(tidy, "revenue_at_risk_pct_of_revenue", company, year)
            if pct != pct or total == 0:
                continue  # % of revenue is a gap for firms without a sourced total revenue
            us, china = us / total * pct, china / total * pct
        for cause, value in (("Due to US controls", us), ("Due to China's policy", china)):
            rows.append(dict(company=company, kind=kinds[company], cause=cause, value=value, year=year,
                             source=MODEL_SOURCE))
    return pd.DataFrame(rows)


def revenue_takeaway(tidy: pd.DataFrame, year: int) -> str:
    frame = revenue_cause_frame(tidy, year)
    totals = frame.groupby("company").value.sum().sort_values(ascending=False)
    top, top_value = totals.index[0], totals.iloc[0]
    by_cause = frame.groupby("cause").value.sum()
    us_part = by_cause.get("Due to US controls", 0.0)
    total = by_cause.sum()
    share = us_part / total if total else 0.0
    return (f"In {year}, US and allied firms have ${total:,.1f}B of China revenue at risk, {share:.0%} of it due to "
            f"US controls and {1 - share:.0%} to China's policy; {top} has the most at stake (${top_value:,.1f}B).")


def supply_frame(tidy: pd.DataFrame) -> pd.DataFrame:
    parts = [
        series(tidy, "china_units", ["Domestic (all)"]).assign(series="Domestic output (model)"),
        series(tidy, "china_units", ["Huawei"]).assign(series="Huawei output (model)"),
        series(tidy, "domestic_logic_capacity_units").assign(series="Limit: wafers x yield + stockpiled dies"),
        series(tidy, "domestic_hbm_capacity_units").dropna(subset=["value"]).assign(series="Limit: HBM stacks"),
    ]
    return pd.concat(parts, ignore_index=True)[["year", "series", "value"]].assign(source=MODEL_SOURCE)


def supply_takeaway(tidy: pd.DataFrame, year: int) -> str:
    output = value_at(tidy, "china_units", "Domestic (all)", year)
    logic = value_at(tidy, "domestic_logic_capacity_units", "Domestic (all)", year)
    hbm = value_at(tidy, "domestic_hbm_capacity_units", "Domestic (all)", year)
    binding = "HBM" if hbm == hbm and hbm <= logic else "wafers and yield"
    huawei = value_at(tidy, "china_units", "Huawei", year)
    limit = min(logic, hbm) if hbm == hbm else logic
    slack = "at its limit" if output >= 0.995 * limit else f"{output / limit:.0%} of its limit"
    return (f"In {year}, China's domestic vendors ship {format_value(output, 'units')} accelerators "
            f"(Huawei {format_value(huawei, 'units')}), {slack}; the binding constraint is {binding}.")
