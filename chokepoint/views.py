"""Shape engine results for pages and charts: headline numbers, chart frames, plain-words takeaways.

Pure pandas; no Streamlit. Every frame a chart draws can also be shown as a table.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chokepoint.engine import EQUIPMENT_MAKERS, SHARE_ENTITIES, TIDY_COLUMNS, US_FIRMS, rung_levels
from chokepoint.formatting import FRACTION, HISTORY_YEARS, LEVER_YEARS, PERCENT, UNITS, USD_BN, YEARS, number

MODEL_SOURCE = "Chokepoint model (scenario run)"


class Results:
    """One scenario's results, indexed for fast lookups; built once per scenario, then read-only.

    The app's hot path (a slider move) reads values and chart rows from here without pandas; the
    DataFrame is built only when a table needs it."""

    def __init__(self, rows: list[tuple]):
        self.rows = rows
        self._values: dict[tuple[str, str], dict[int, float]] = {}
        self._units: dict[str, str] = {}
        for _, year, metric, entity, value, unit in rows:
            self._values.setdefault((metric, entity), {})[year] = value
            self._units[metric] = unit
        self._tidy = None

    @property
    def tidy(self) -> pd.DataFrame:
        if self._tidy is None:
            self._tidy = pd.DataFrame(self.rows, columns=TIDY_COLUMNS)
        return self._tidy

    def value(self, metric: str, entity: str, year: int) -> float:
        return self._values.get((metric, entity), {}).get(year, float("nan"))

    def entities(self, metric: str) -> list[str]:
        return [e for m, e in self._values if m == metric]

    def points(self, metric: str, entities=None) -> list[dict]:
        """Rows {year, entity, value} for a metric, entities in the order given."""
        entities = self.entities(metric) if entities is None else [e for e in entities if (metric, e) in self._values]
        return [{"year": year, "entity": entity, "value": value}
                for entity in entities for year, value in self._values[(metric, entity)].items()]


def table(records: list[dict]) -> pd.DataFrame:
    """Chart rows as a table (wide: one column per series when rows carry year/entity/value)."""
    frame = pd.DataFrame(records)
    if {"year", "entity", "value"} <= set(frame.columns) and "company" not in frame.columns:
        frame = frame.pivot_table(index="year", columns="entity", values="value", sort=False).reset_index()
        frame.columns = [str(c) for c in frame.columns]
    return frame


def value_at(run: Results, metric: str, entity: str, year: int) -> float:
    return run.value(metric, entity, year)


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
        return number(self.value, self.unit)

    def formatted_delta(self) -> str:
        return number(self.delta, self.unit, signed=True)

    def delta_arrow(self) -> str:
        """st.metric's arrow: none for a change that rounds to zero ("0.0 pts", "$0.0B"), which Streamlit
        otherwise draws as a rise."""
        return "auto" if any(digit in self.formatted_delta() for digit in "123456789") else "off"


def us_revenue_at_risk(run: Results, year: int) -> float:
    return sum(run.value("revenue_at_risk_usd_bn", firm, year) for firm in US_FIRMS)


def headlines(run: Results, reference: Results, year: int) -> list[Headline]:
    def domestic(t):
        return value_at(t, "domestic_share_value", "Domestic (all)", year)

    return [
        Headline("nvidia_share", "Nvidia share",
                 value_at(run, "china_share_value", "Nvidia", year),
                 value_at(reference, "china_share_value", "Nvidia", year), "fraction",
                 "Share of China's realised AI-accelerator spend (legal sales and smuggled chips)."),
        Headline("domestic_share", "Domestic share", domestic(run), domestic(reference), "fraction",
                 "Huawei, Cambricon and other Chinese vendors, share of realised spend."),
        Headline("huawei_units", "Huawei units",
                 value_at(run, "china_units", "Huawei", year), value_at(reference, "china_units", "Huawei", year),
                 "units", "Accelerators sold, limited by wafers, yield and HBM."),
        Headline("us_at_risk", "US revenue at risk", us_revenue_at_risk(run, year),
                 us_revenue_at_risk(reference, year), "USD bn",
                 "Against a world with no US controls and no Chinese push; chip designers and US toolmakers."),
        Headline("unmet", "Unmet demand",
                 value_at(run, "china_unmet_demand_usd_bn", "All", year),
                 value_at(reference, "china_unmet_demand_usd_bn", "All", year), "USD bn",
                 "Desired spend that no legal supplier can serve (smuggling is counted separately)."),
    ]




def headline_values(run: Results, years=LEVER_YEARS) -> dict[str, dict[str, float]]:
    """The headline numbers for every projected year, as stored with a saved scenario (or for `years`: a
    scenario saved under an older model stored other years, e.g. 2026, a projection then and replayed now)."""
    return {str(year): {h.key: h.value for h in headlines(run, run, year)} for year in years}


HEADLINE_LABELS = {"nvidia_share": ("Nvidia share of China", "fraction"),
                   "domestic_share": ("Domestic vendors' share", "fraction"),
                   "huawei_units": ("Huawei units", "units"), "us_at_risk": ("US revenue at risk", "USD bn"),
                   "unmet": ("Unmet demand", "USD bn")}


def share_records(run: Results, measure: str = "value") -> list[dict]:
    """Vendor shares by year: 'value' (of realised spend) or 'units_share' (of units shipped)."""
    if measure == "value":
        points = run.points("china_share_value", SHARE_ENTITIES)
    else:
        points = run.points("china_units", SHARE_ENTITIES)
        totals: dict[int, float] = {}
        for point in points:
            totals[point["year"]] = totals.get(point["year"], 0.0) + point["value"]
        points = [{**p, "value": p["value"] / totals[p["year"]] if totals[p["year"]] else 0.0} for p in points]
    return [{**p, "source": MODEL_SOURCE} for p in points]


def share_takeaway(run: Results, year: int) -> str:
    nvidia = value_at(run, "china_share_value", "Nvidia", year)
    nvidia_2024 = value_at(run, "china_share_value", "Nvidia", 2024)
    domestic = value_at(run, "domestic_share_value", "Domestic (all)", year)
    grey = value_at(run, "china_share_value", "Grey market", year)
    leader = max(SHARE_ENTITIES, key=lambda v: value_at(run, "china_share_value", v, year))
    direction = "down from" if nvidia < nvidia_2024 else "up from"
    return (f"By {year}, Nvidia holds {number(nvidia, FRACTION, digits=2)} of China's realised AI-chip spend ({direction} {number(nvidia_2024, FRACTION, digits=2)} "
            f"in 2024), domestic vendors {number(domestic, FRACTION, digits=2)} and smuggled chips {number(grey, FRACTION, digits=2)}; the largest supplier is {leader}.")


def grey_takeaway(run: Results, year: int, ranges: dict[str, tuple[float, float]] | None = None) -> str:
    """The grey channel in one year: smuggled units and what buyers pay for them, with the P5-P95 range of
    the draws when `ranges` (metric -> (p5, p95), as resources.grey_range gives) is at hand."""
    units = value_at(run, "china_units", "Grey market", year)
    usd = value_at(run, "china_spend_usd_bn", "Grey market", year)
    share = value_at(run, "china_share_value", "Grey market", year)

    def span(metric, unit):
        if not ranges or metric not in ranges:
            return ""
        low, high = ranges[metric]
        return f" (P5-P95: {number(low, unit)}–{number(high, unit)})"

    if units < 500 and (not ranges or ranges.get("china_units", (0, 0))[1] < 500):
        return (f"In {year}, no AI chips are smuggled into China in this scenario: the best US parts can be "
                "bought legally, so nothing pulls buyers to smugglers.")
    return (f"In {year}, about {number(units, 'units')} AI chips are smuggled into China"
            f"{span('china_units', 'units')}, worth {number(usd, 'USD bn')}"
            f"{span('china_spend_usd_bn', 'USD bn')} at grey-market prices: {number(share, FRACTION, digits=2)} of realised spend.")


def revenue_cause_records(run: Results, year: int, measure: str = "usd") -> list[dict]:
    """Revenue at risk by company and cause for one year; measure 'usd' or 'pct' (of revenue)."""
    rows = []
    for company in run.entities("revenue_at_risk_usd_bn"):
        if company == "US chip designers":
            continue
        kind = "Equipment maker" if company in EQUIPMENT_MAKERS else "Chip designer"
        us = value_at(run, "revenue_at_risk_us_controls_usd_bn", company, year)
        china = value_at(run, "revenue_at_risk_china_policy_usd_bn", company, year)
        if measure == "pct":
            total = value_at(run, "revenue_at_risk_usd_bn", company, year)
            pct = value_at(run, "revenue_at_risk_pct_of_revenue", company, year)
            if pct != pct or total == 0:
                continue  # % of revenue is a gap for firms without a sourced total revenue
            us, china = us / total * pct, china / total * pct
        for cause, value in (("Due to US controls", us), ("Due to China's policy", china)):
            rows.append(dict(company=company, kind=kind, cause=cause, value=value, year=year,
                             source=MODEL_SOURCE))
    return rows


def revenue_takeaway(run: Results, year: int) -> str:
    records = revenue_cause_records(run, year)
    totals: dict[str, float] = {}
    for row in records:
        totals[row["company"]] = totals.get(row["company"], 0.0) + row["value"]
    top = max(totals, key=totals.get)
    top_value = totals[top]
    us_part = sum(r["value"] for r in records if r["cause"] == "Due to US controls")
    total = sum(r["value"] for r in records)
    share = us_part / total if total else 0.0
    return (f"In {year}, US and allied firms have {number(total, USD_BN)} of China revenue at risk, {number(share, FRACTION, digits=2)} of it due to "
            f"US controls and {number(1 - share, FRACTION, digits=2)} to China's policy; {top} has the most at stake ({number(top_value, USD_BN)}).")


def exposure_takeaway(run: Results, year: int) -> str:
    totals: dict[str, float] = {}
    for row in revenue_cause_records(run, year, "pct"):
        totals[row["company"]] = totals.get(row["company"], 0.0) + row["value"]
    top = max(totals, key=totals.get)
    return (f"Relative to what it would have earned, {top} is most exposed in {year}: "
            f"{number(totals[top], PERCENT)} of its revenue is at risk.")


def risk_over_time_takeaway(run: Results) -> str:
    last_replayed, horizon = HISTORY_YEARS[-1], YEARS[-1]
    start = run.value("revenue_at_risk_usd_bn", "Nvidia", last_replayed)
    end = run.value("revenue_at_risk_usd_bn", "Nvidia", horizon)
    return (f"Nvidia's China revenue at risk goes from {number(start, USD_BN)} in {last_replayed} (the last replayed year: "
            f"the H200 allowed but blocked at China's customs) to {number(end, USD_BN)} in {horizon} in this scenario.")


def supply_records(run: Results) -> list[dict]:
    parts = [("china_units", "Domestic (all)", "Domestic output (model)"),
             ("china_units", "Huawei", "Huawei output (model)"),
             ("domestic_logic_capacity_units", "Domestic (all)", "Limit: wafers x yield + stockpiled dies"),
             ("domestic_hbm_capacity_units", "Domestic (all)", "Limit: HBM stacks")]
    return [{"year": p["year"], "series": name, "value": p["value"], "source": MODEL_SOURCE}
            for metric, entity, name in parts for p in run.points(metric, [entity]) if p["value"] == p["value"]]


def supply_takeaway(run: Results, year: int) -> str:
    output = value_at(run, "china_units", "Domestic (all)", year)
    logic = value_at(run, "domestic_logic_capacity_units", "Domestic (all)", year)
    hbm = value_at(run, "domestic_hbm_capacity_units", "Domestic (all)", year)
    binding = "HBM" if hbm == hbm and hbm <= logic else "wafers and yield"
    huawei = value_at(run, "china_units", "Huawei", year)
    limit = min(logic, hbm) if hbm == hbm else logic
    slack = "at its limit" if output >= 0.995 * limit else f"{number(output / limit, FRACTION, digits=2)} of its limit"
    return (f"In {year}, China's domestic vendors ship {number(output, 'units')} accelerators "
            f"(Huawei {number(huawei, 'units')}), {slack}; the binding constraint is {binding}.")


RUNG_NAMES = {"equipment_controls": "tools", "hbm_controls": "HBM", "enforcement": "enforcement"}


def ladder(inputs) -> list[dict]:
    """The levers' rungs: the regime each stands for, what it imposes (an `export_controls` rung: the chip terms,
    and the tool, HBM and enforcement levels; a `self_reliance` rung: China's import gate on licensed US parts)
    and its source ids (empty: judgment). Read by the sidebar's help and the Methodology page."""
    rows = []
    for lever in ("export_controls", "self_reliance"):
        for (value, label), sources in zip(inputs.anchors[lever], inputs.anchor_sources[lever]):
            if lever == "export_controls":
                rung = rung_levels(value, inputs)
                imposes = f"chips {value:g} · " + " · ".join(f"{name} {rung[key]:g}" for key, name in RUNG_NAMES.items())
            else:
                gate = float(np.interp(value, inputs.gate_values, inputs.gate_open))
                imposes = f"{number(gate, FRACTION, decimals=0)} of licensed US parts let in"
            rows.append({"lever": lever, "rung": value, "regime": label, "imposes": imposes,
                         "source_ids": tuple(sources)})
    return rows


# ------------------------------------------------------------------------------------- page-level tables

def units_takeaway(run: Results, year: int) -> str:
    nvidia, huawei = run.value("china_units", "Nvidia", year), run.value("china_units", "Huawei", year)
    return (f"By units, cheaper domestic parts count for more: in {year} Huawei ships {number(huawei, UNITS)} "
            f"against Nvidia's {number(nvidia, UNITS)}. IDC's 2025 unit shares (markers) likely count gaming and "
            "workstation cards too.")


def unmet_takeaway(run: Results, year: int) -> str:
    unmet = run.value("china_unmet_demand_usd_bn", "All", year)
    return f"In {year}, {number(unmet, USD_BN)} of China's desired AI-chip spend finds no legal supplier."


SUPPLY_METRICS = ("advanced_wafers_kwpm", "domestic_yield", "domestic_logic_capacity_units",
                  "domestic_hbm_capacity_units", "china_units")
SUPPLY_ENTITIES = ("SMIC", "Domestic (all)", "Huawei", "Cambricon", "Other domestic")


def supply_table(run: Results) -> pd.DataFrame:
    """The supply chain's numbers, one row per metric and entity, one column per year."""
    tidy = run.tidy
    table = tidy[tidy.metric.isin(SUPPLY_METRICS) & tidy.entity.isin(SUPPLY_ENTITIES)]
    wide = table.pivot_table(index=["metric", "entity", "unit"], columns="year", values="value").reset_index()
    wide.columns = [str(c) for c in wide.columns]
    return wide


# The outputs a reader can ask the Uncertainty page about: label -> (metric, entity, unit).
OUTPUTS = {
    "Nvidia's share of China's market": ("china_share_value", "Nvidia", FRACTION),
    "Domestic vendors' share of China's market": ("domestic_share_value", "Domestic (all)", FRACTION),
    "Huawei units sold in China": ("china_units", "Huawei", UNITS),
    "Nvidia's China revenue": ("china_revenue_usd_bn", "Nvidia", USD_BN),
    "Nvidia's China revenue at risk": ("revenue_at_risk_usd_bn", "Nvidia", USD_BN),
    "China's unmet demand": ("china_unmet_demand_usd_bn", "All", USD_BN),
}
# What a goal-seek target can sensibly be, by unit (shares as fractions, money in USD bn, units as counts).
SEEK_TARGET_RANGE = {FRACTION: (0.0, 1.0), USD_BN: (0.0, 10_000.0), UNITS: (0.0, 1e9)}


def seek_target_problem(goal: str, target: float) -> str | None:
    """Why a goal-seek target makes no sense for this output (None: it does). The field takes any number."""
    unit = OUTPUTS[goal][2]
    low, high = SEEK_TARGET_RANGE[unit]
    if low <= target <= high:
        return None
    return (f"A target for {goal.lower()} must be between {low:g} and {high:g} "
            f"({'a fraction' if unit == FRACTION else unit}); {target:g} is outside it.")


def driver_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The drivers table as the tornado draws it: each label with its basis, and judgment told apart."""
    rows = table.copy()
    rows["judgment"] = ["judgment" if b == "judgment" else "sourced or calibrated" for b in rows.basis]
    rows["label"] = [f"{label} ({'judgment' if b == 'judgment' else b})" for label, b in zip(rows.label, rows.basis)]
    return rows


def drivers_takeaway(rows: pd.DataFrame, output: str, year: int) -> str:
    top, unit = rows.iloc[0], OUTPUTS[output][2]
    return (f"{top.label.split(' (')[0]} moves “{output}” the most in {year}: from {number(top.output_low, unit)} at "
            f"its P5 to {number(top.output_high, unit)} at its P95 (default: {number(top.output_default, unit)}). "
            "Orange bars are judgment parameters.")


def waterfall_rows(parts: dict) -> list[dict]:
    """Revenue at risk split into US controls alone, China's policy alone and their interaction, as steps."""
    rows, running = [], 0.0
    for name, key, kind in (("US controls alone", "us_controls_alone", "Due to US controls"),
                            ("China's policy alone", "china_policy_alone", "Due to China's policy"),
                            ("Interaction", "interaction", "Interaction")):
        rows.append({"step": name, "start": running, "end": running + parts[key], "value": parts[key], "kind": kind})
        running += parts[key]
    rows.append({"step": "Total at risk", "start": 0.0, "end": parts["total"], "value": parts["total"], "kind": "Total"})
    return rows


def attribution_takeaway(company: str, parts: dict, year: int) -> str:
    return (f"of {company}'s {number(parts['total'], USD_BN)} at risk in {year}, US controls alone account for "
            f"{number(parts['us_controls_alone'], USD_BN)}, China's policy alone for "
            f"{number(parts['china_policy_alone'], USD_BN)}, and their interaction for "
            f"{number(parts['interaction'], USD_BN, signed=True)}.")


# ------------------------------------------------------------------------------------------- comparing

COMPARED = (("china_share_value", "Nvidia", "Nvidia's share of China's AI-chip spend", FRACTION),
            ("domestic_share_value", "Domestic (all)", "Domestic vendors' share of China's AI-chip spend", FRACTION))


def differing_inputs(labels: list[str], settings: list[dict]) -> pd.DataFrame:
    """The inputs that differ between scenarios (rows) by scenario (columns); empty when none do."""
    names = sorted(set().union(*settings))
    differ = [name for name in names
              if len({round(s.get(name, float("nan")), 9) if name in s else None for s in settings}) > 1]
    return pd.DataFrame({label: [str(s.get(name, "default")) for name in differ]
                         for label, s in zip(labels, settings)}, index=differ)


def headline_comparison(labels: list[str], runs: list[Results], year: int) -> pd.DataFrame:
    """The headline numbers of each scenario in one year, with the change against the first."""
    rows = []
    for key, (label, unit) in HEADLINE_LABELS.items():
        values = [headline_values(run, (year,))[str(year)][key] for run in runs]
        row = {"number": label}
        for i, (name, value) in enumerate(zip(labels, values)):
            row[name] = number(value, unit)
            if i:
                row[f"{name} − first"] = number(value - values[0], unit, signed=True)
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_records(labels: list[str], runs: list[Results], metric: str, entity: str) -> list[dict]:
    return [{"year": p["year"], "scenario": label, "value": p["value"]}
            for label, run in zip(labels, runs) for p in run.points(metric, [entity])]


def comparison_takeaway(labels: list[str], runs: list[Results], metric: str, entity: str, unit: str, year: int) -> str:
    """`labels` are shown as given: escape user text before calling."""
    return f"in {year}, " + "; ".join(f"{label}: {number(run.value(metric, entity, year), unit)}"
                                      for label, run in zip(labels, runs)) + "."
