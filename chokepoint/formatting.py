"""One vocabulary for the whole project: the years, the units and how a number in each unit is written,
and the claim verdicts. Imports nothing from the package, so every layer (engine, CLI, charts, exports,
pages) reads the same spelling from here.

On screen each unit has one spelling: a share "41%" (a change in it "+1.5 pts"), money "$10.3B", units
"1.24M" or "812k", a percentage of revenue "12.0%". Precision differs by place (a headline shows one
decimal, a sentence three significant digits); the spelling does not.
"""
from __future__ import annotations

import math

# ------------------------------------------------------------------------------------------------ years
YEARS = tuple(range(2024, 2033))
FIRST_LEVER_YEAR = 2027  # 2024 is calibrated, 2025 and 2026 replayed as they happened; the levers act from 2027
HISTORY_YEARS = tuple(y for y in YEARS if y < FIRST_LEVER_YEAR)  # drawn solid: "History (replayed)"
LEVER_YEARS = tuple(y for y in YEARS if y >= FIRST_LEVER_YEAR)  # the projection; the headline-year choices
HISTORY_LABEL = f"{HISTORY_YEARS[0]}-{HISTORY_YEARS[-1] % 100:02d} replay"  # "2024-26 replay"

# ------------------------------------------------------------------------------------------------ units
# The model's units (the `unit` column of every result row). "pct" in data files means "percent".
FRACTION, PERCENT, USD_BN, UNITS = "fraction", "percent", "USD bn", "units"
UNIT_ALIASES = {"pct": PERCENT}
UNIT_LABELS = {FRACTION: "%", PERCENT: "% of revenue", USD_BN: "USD bn", UNITS: "units"}


def canonical_unit(unit: str) -> str:
    return UNIT_ALIASES.get(unit, unit)


def _significant(value: float, digits: int) -> str:
    """`value` to `digits` significant digits, never in exponent form, with thousands separators."""
    if value == 0:
        return "0"
    places = digits - 1 - int(math.floor(math.log10(abs(value))))
    rounded = round(value, places)
    if rounded and int(math.floor(math.log10(abs(rounded)))) != int(math.floor(math.log10(abs(value)))):
        places -= 1  # 9.996 -> 10.0, not 10.00
    text = f"{rounded:,.{max(places, 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text  # prose: "5%", "$50B", not "5.00%"


def number(value: float, unit: str, *, signed: bool = False, digits: int | None = None,
           decimals: int | None = None) -> str:
    """A value as the app writes it. `digits`: significant digits (prose); else fixed decimals, the unit's own
    (headlines, tables: "41.0%", "$10.3B", "1.24M") or `decimals`. `signed`: a change, with "+" (a change that
    rounds to nothing shows no sign: "0k", "$0.0B")."""
    if value is None or value != value:
        return "n/a"
    unit = canonical_unit(unit)
    if math.isinf(value):
        return ("-" if value < 0 else "+" if signed else "") + "∞"
    if unit == FRACTION and signed and digits is None:
        shown = round(value * 100, 1)
        return "0.0 pts" if shown == 0 else f"{shown:+.1f} pts"

    def fixed(shown: float, places: int) -> str:
        return f"{shown:,.{places if decimals is None else decimals}f}"

    def body(magnitude: float) -> str:
        if unit == FRACTION:
            return (_significant(100 * magnitude, digits) if digits else fixed(100 * magnitude, 1)) + "%"
        if unit == PERCENT:
            return (_significant(magnitude, digits) if digits else fixed(magnitude, 1)) + "%"
        if unit == USD_BN:
            return "$" + (_significant(magnitude, digits) if digits else fixed(magnitude, 1)) + "B"
        if unit == UNITS:
            if magnitude >= 1e6:
                return (_significant(magnitude / 1e6, digits) if digits else fixed(magnitude / 1e6, 2)) + "M"
            if magnitude >= 1e3 or not digits:
                return (_significant(magnitude / 1e3, digits) if digits else fixed(magnitude / 1e3, 0)) + "k"
            return _significant(magnitude, digits)
        return _significant(magnitude, digits or 3) + (f" {unit}" if unit else "")

    text = body(abs(value))
    if text.strip("$%MkB ").replace("0", "").replace(".", "").replace(",", "") == "":  # rounds to nothing
        return text
    sign = "-" if value < 0 else "+" if signed else ""
    return sign + text


def d3_format(unit: str) -> str:
    """A chart's axis and tooltip format (d3-format); the unit itself is in the axis title ("USD bn", "%")."""
    return {FRACTION: ".0%", PERCENT: ".1f", USD_BN: ",.1f", UNITS: ",.0f"}.get(canonical_unit(unit), ",.3g")


# --------------------------------------------------------------------------------------------- verdicts
VERDICTS = ("supported", "partly supported", "contradicted", "depends on the scenario",
            "not checkable with this data")
