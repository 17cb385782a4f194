"""Scenario inputs: the levers, the model parameters from `data/`, and the validated Scenario value."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from chokepoint.data import Database, DataError, get_database, run_query

from chokepoint.formatting import FIRST_LEVER_YEAR, HISTORY_YEARS, YEARS  # noqa: F401  (the years, one place)


# A scenario as a cache key: its settings as sorted (name, value) pairs (Scenario.key(); Scenario.settings() gives
# the same as a dict, the shape links, saved records and the command line use).
ScenarioKey = tuple[tuple[str, float], ...]


class ScenarioError(ValueError):
    """An input that cannot define a scenario; the message names the parameter and its range."""


@dataclass(frozen=True)
class Lever:
    name: str
    label: str
    low: float
    high: float
    help: str
    default: float | None = None  # None: follows the headline export_controls lever


# Defaults are 2026 as it happened, held (H200 allowed with a 25% cut; China's customs block and mandate).
HEADLINE_LEVERS = {
    "export_controls": Lever(
        "export_controls", "US export controls", 0, 100,
        "How hard the US (with allies) restricts AI chips, chipmaking tools and HBM to China.", 25,
    ),
    "self_reliance": Lever(
        "self_reliance", "China self-reliance push", 0, 100,
        "How hard China pushes domestic substitution: procurement mandates, informal bans, subsidies.", 90,
    ),
}

ADVANCED_LEVERS = {
    "chip_controls": Lever(
        "chip_controls", "Chip-control level", 0, 100,
        "Which US accelerators may be sold and on what terms. Default: the export_controls value (the chip rung).",
    ),
    "equipment_controls": Lever(
        "equipment_controls", "Equipment-control level", 0, 100,
        "Tool and servicing controls: slow China's wafer growth and yield learning, block tool sales. "
        "Default: what the export_controls rung's regime imposes (e.g. 70, the Dec-2024 rules, from 25 to 60).",
    ),
    "hbm_controls": Lever(
        "hbm_controls", "HBM-control level", 0, 100,
        "Controls on high-bandwidth memory: stop HBM imports and slow domestic HBM. "
        "Default: what the export_controls rung's regime imposes (75, the Dec-2024 HBM rule, from 25 to 60).",
    ),
    "enforcement": Lever(
        "enforcement", "Enforcement against smuggling", 0, 100,
        "How hard diversion is policed. Default: what the export_controls rung's regime imposes.",
    ),
    "reaction": Lever(
        "reaction", "China's reaction to controls", 0, 100,
        "How much US controls above the 2024 level speed up China's push (disputed evidence: default 0).", 0,
    ),
}

# Model parameters a user may override from the advanced panel, the URL or the command line.
# Parameters used once, when data/ is loaded (exchange rates converting ASML's and Tokyo Electron's reported
# figures to USD): no run reads them, so they are not scenario inputs, not drawn and not drivers.
LOAD_TIME_PARAMETERS = frozenset({"eur_usd", "jpy_usd"})
ADVANCED_PARAMETERS = (
    "budget_growth", "domestic_perf_growth", "smic_capacity_2025_kwpm", "domestic_hbm_growth",
    "logit_beta", "ecosystem_kappa",
)


@dataclass(frozen=True)
class Parameter:
    name: str
    group: str
    label: str
    default: float
    low: float
    high: float
    unit: str
    basis: str
    source_ids: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class ModelInputs:
    """Everything the engine reads from `data/`, loaded once per process. Treat as read-only."""

    data_version: str
    parameters: Mapping[str, Parameter]
    chip_anchor_values: np.ndarray
    chip_anchor_ln_ppi: np.ndarray
    chip_anchor_price_index: np.ndarray
    chip_anchor_availability: np.ndarray
    chip_anchor_fee: np.ndarray
    ladder: Mapping[str, np.ndarray]  # export_controls rung -> equipment, hbm, enforcement levels
    gate_values: np.ndarray  # self_reliance anchor values
    gate_open: np.ndarray  # share of licensed US parts China's customs and guidance let in, at those values
    anchors: Mapping[str, tuple[tuple[float, str], ...]]
    anchor_sources: Mapping[str, tuple[tuple[str, ...], ...]]  # per lever, per anchor: its source ids
    history: Mapping[int, tuple[Mapping[str, float], ...]]  # year -> segments (months, chip, ..., self_reliance)
    segment_weights: np.ndarray  # (years, segments): share of each year in each segment
    presets: Mapping[str, tuple[float, float, str]]
    designers: tuple[tuple[str, float, float], ...]  # (company, china_revenue_usd_bn, total_usd_bn|nan)
    equipment_makers: tuple[tuple[str, float, float], ...]
    base_years: Mapping[str, int]  # the calendar year each company's baseline figures describe

    def defaults(self) -> dict[str, float]:
        return {name: p.default for name, p in self.parameters.items()}

    def anchor_label(self, lever: str, value: float) -> str:
        """The regime a lever value stands for, in words (between two anchors: both, named)."""
        points = self.anchors[lever]
        for anchor_value, label in points:
            if abs(value - anchor_value) < 1e-9:
                return label
        below = max((p for p in points if p[0] < value), default=points[0])
        above = min((p for p in points if p[0] > value), default=points[-1])
        return f"between {below[0]:g} ({below[1]}) and {above[0]:g} ({above[1]})"

    def override_range(self, name: str) -> tuple[float, float]:
        if name in ADVANCED_LEVERS:
            lever = ADVANCED_LEVERS[name]
            return lever.low, lever.high
        parameter = self.parameters[name]
        return parameter.low, parameter.high


def text(value) -> str:
    """A text cell from a query result: NULL (None/NaN) becomes ''."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def read_model_inputs(database: Database | None = None) -> ModelInputs:
    """The model's inputs from data/, each row checked. The engine's load_model_inputs also runs the default
    scenario once to check that nothing the model needs is missing: use that one."""
    database = database or get_database()
    params = {}
    for row in run_query("model_parameters", database).itertuples(index=False):
        params[row.name] = Parameter(
            row.name, row.group, row.label, float(row.default), float(row.low), float(row.high),
            row.unit, row.basis, tuple(s for s in text(row.source_ids).split(";") if s), text(row.note),
        )
    chip = run_query("regime_anchors", database, lever="export_controls")
    self_rel = run_query("regime_anchors", database, lever="self_reliance")
    history: dict[int, list[dict[str, float]]] = {}
    for r in run_query("regime_history", database).itertuples(index=False):
        history.setdefault(int(r.year), []).append(dict(
            start=float(r.start_month), months=float(r.months), chip=float(r.export_controls), equipment=float(r.equipment), hbm=float(r.hbm),
            enforcement=float(r.enforcement), self_reliance=float(r.self_reliance)))
    if tuple(sorted(history)) != HISTORY_YEARS:
        raise DataError("data/regime_history.csv must hold exactly the years "
                        f"{HISTORY_YEARS[0]}-{HISTORY_YEARS[-1]} (the replayed history); it has {sorted(history)}")
    for year, rows in history.items():
        for row, start in zip(rows, np.cumsum([1.0] + [r["months"] for r in rows])):
            if row["start"] != start:
                raise DataError(f"data/regime_history.csv: {year}'s part starting in month {row['start']:g} should "
                                f"start in month {start:g} (the parts of a year follow each other without a gap)")
        if abs(sum(r["months"] for r in rows) - 12.0) > 1e-9:
            raise DataError(f"data/regime_history.csv: the months of {year}'s rows add up to "
                            f"{sum(r['months'] for r in rows):g}, not 12")
    segments = max(len(rows) for rows in history.values())
    weights = np.zeros((len(YEARS), segments))
    for i, year in enumerate(YEARS):
        if year in history:
            for s, row in enumerate(history[year]):
                weights[i, s] = row["months"] / 12.0
        else:
            weights[i, 0] = 1.0
    presets = {
        r.preset: (float(r.export_controls), float(r.self_reliance), r.description)
        for r in run_query("presets", database).itertuples(index=False)
    }
    missing = sorted(LOAD_TIME_PARAMETERS - set(params))
    if missing:
        raise DataError(f"data/parameters.csv has no row for {', '.join(missing)}, which the model needs")
    baseline = run_query(
        "company_baseline", database,
        eur_usd=params["eur_usd"].default, jpy_usd=params["jpy_usd"].default,
    )

    def companies(kind):
        rows = baseline[baseline["kind"] == kind]
        return tuple(
            (r.company, float(r.china_revenue_usd_bn),
             float(r.total_revenue_usd_bn) if r.total_revenue_usd_bn == r.total_revenue_usd_bn else math.nan)
            for r in rows.itertuples(index=False)
        )

    inputs = ModelInputs(
        data_version=database.data_version,
        parameters=params,
        chip_anchor_values=chip["value"].to_numpy(float),
        chip_anchor_ln_ppi=np.log(chip["legal_price_perf_index"].to_numpy(float)),
        chip_anchor_price_index=chip["us_price_index"].to_numpy(float),
        chip_anchor_availability=chip["licence_availability"].to_numpy(float),
        chip_anchor_fee=chip["fee_share"].to_numpy(float),
        ladder={"value": chip["value"].to_numpy(float), "equipment": chip["equipment_level"].to_numpy(float),
                "hbm": chip["hbm_level"].to_numpy(float), "enforcement": chip["enforcement_level"].to_numpy(float)},
        gate_values=self_rel["value"].to_numpy(float),
        gate_open=self_rel["us_import_gate"].to_numpy(float),
        anchor_sources={lever: tuple(tuple(s for s in text(ids).split(";") if s) for ids in frame["source_ids"])
                        for lever, frame in (("export_controls", chip), ("self_reliance", self_rel))},
        anchors={
            "export_controls": tuple(zip(chip["value"].astype(float), chip["label"])),
            "self_reliance": tuple(zip(self_rel["value"].astype(float), self_rel["label"])),
        },
        history={year: tuple(rows) for year, rows in history.items()},
        segment_weights=weights,
        presets=presets,
        designers=companies("Chip designer"),
        base_years={r.company: int(r.base_calendar_year) for r in baseline.itertuples(index=False)},
        equipment_makers=companies("Equipment maker"),
    )
    return inputs


def _number(name: str, value, low: float, high: float) -> float:
    if isinstance(value, bool):
        raise ScenarioError(f"{name} must be a number between {low:g} and {high:g}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(
            f"{name} must be a number between {low:g} and {high:g}, got {str(value)[:40]!r}"
        ) from None
    if not math.isfinite(number):
        raise ScenarioError(f"{name} must be a finite number between {low:g} and {high:g}")
    if not (low <= number <= high):
        raise ScenarioError(f"{name} must be between {low:g} and {high:g}, got {number:g}")
    return number


@dataclass(frozen=True)
class Scenario:
    """A validated, immutable scenario: two headline levers plus optional advanced overrides.

    Build it with `Scenario.create` (or `scenario_from_settings`) so every value is range-checked.
    """

    export_controls: float
    self_reliance: float
    overrides: tuple[tuple[str, float], ...] = ()
    name: str = ""

    @classmethod
    def create(cls, export_controls=None, self_reliance=None, overrides: Mapping | None = None,
               inputs: ModelInputs | None = None, name: str = "") -> "Scenario":
        ec_lever, sr_lever = HEADLINE_LEVERS["export_controls"], HEADLINE_LEVERS["self_reliance"]
        ec = _number("export_controls", ec_lever.default if export_controls is None else export_controls,
                     ec_lever.low, ec_lever.high)
        sr = _number("self_reliance", sr_lever.default if self_reliance is None else self_reliance,
                     sr_lever.low, sr_lever.high)
        checked = {}
        for key, value in (overrides or {}).items():
            if key in ADVANCED_LEVERS:
                lever = ADVANCED_LEVERS[key]
                checked[key] = _number(key, value, lever.low, lever.high)
            elif key in LOAD_TIME_PARAMETERS:
                raise ScenarioError(f"{key!r} converts reported figures when data/ is loaded; it is not a scenario "
                                    "input (edit data/parameters.csv to change it)")
            elif key in ADVANCED_PARAMETERS or (inputs is not None and key in inputs.parameters):
                if inputs is None:  # a value object does no I/O: the caller passes the inputs it loaded
                    raise TypeError(f"Scenario.create: overriding the parameter {key!r} needs inputs= (its range "
                                    "comes from data/parameters.csv)")
                parameter = inputs.parameters[key]
                checked[key] = _number(key, value, parameter.low, parameter.high)
            else:
                known = ", ".join(["export_controls", "self_reliance", *ADVANCED_LEVERS, *ADVANCED_PARAMETERS])
                raise ScenarioError(f"unknown parameter {key!r}; known: {known}")
        return cls(ec, sr, tuple(sorted(checked.items())), name)

    def key(self) -> ScenarioKey:
        """The settings as a hashable, order-free key (for caches)."""
        return tuple(sorted(self.settings().items()))

    def settings(self) -> dict[str, float]:
        """Every input under its command-line name."""
        return {"export_controls": self.export_controls, "self_reliance": self.self_reliance,
                **dict(self.overrides)}

    def label(self) -> str:
        extra = "".join(f", {k}={v:g}" for k, v in self.overrides)
        base = f"export_controls={self.export_controls:g}, self_reliance={self.self_reliance:g}{extra}"
        return f"{self.name} ({base})" if self.name else base


def scenario_from_settings(settings: Mapping[str, object], inputs: ModelInputs | None = None,
                           name: str = "") -> Scenario:
    """Build a Scenario from name -> value pairs (strings allowed), as the CLI and the URL give them."""
    settings = dict(settings)
    return Scenario.create(
        settings.pop("export_controls", None), settings.pop("self_reliance", None),
        settings, inputs, name,
    )


def preset_scenario(preset: str, inputs: ModelInputs) -> Scenario:
    if preset not in inputs.presets:
        raise ScenarioError(f"unknown preset {preset!r}; known: {', '.join(inputs.presets)}")
    ec, sr, _ = inputs.presets[preset]
    return Scenario.create(ec, sr, {}, inputs, name=preset)
