"""Claims, checked: published claims about AI-chip export controls held against the data and the model.

Pure pandas/numpy, no Streamlit. `check_claims` reads `data/claims.csv` and `data/claim_figures.csv` and
returns one `CheckedClaim` per claim, with its figures resolved, its explanation rendered and, where the
claim can be tested, its verdict computed.

claims.csv, one row per claim:
- `claim` (our paraphrase), `made_by` (where it was made), `verdict` (the stored label, one of VERDICTS),
  `explanation` (two sentences with {placeholders}, see below), `source_ids` (every F-id that bears on it).
- `condition_kind`:
  - `none`: the verdict is a judgment on the figures; stored, not computed.
  - `figure`: the claim holds when the figure named in `metric` is `above`/`below` `threshold`; verdict
    "supported" when it does, "contradicted" when not.
  - `threshold`: the claim holds when the model output `metric`/`entity` (minus `versus`, if given) in `year`
    (a year the levers act on, FIRST_LEVER_YEAR to the horizon) is above/below `threshold`. The engine evaluates it on every whole-number setting of both headline
    levers (0-100 each, at the parameter defaults): "supported" if it holds everywhere, "contradicted" if
    nowhere, "depends on the scenario" otherwise. The sentence describes the cut along `lever` with the other
    lever held at `other_lever` (a preset name or a number), and `page` is where the dashboard link opens.
  `threshold` is a number or the key of one of the claim's figures (so a published figure is not typed twice).
claim_figures.csv, one row per figure: `key` (the placeholder name, unique within the claim), `label`,
`dataset` and `selector` ("name=value; ..."), `source_ids` (the sources of the data row it reads):
- china_market_estimates: source, year, vendor, metric, optional scope~ (a substring of the scope);
- chip_specs: system, column;
- company_financials: company, fiscal_year, metric, optional scope~;
- model: preset, run (scenario | controls_off | push_off | both_off), metric, entity, year;
- ratio: of, to (keys of earlier figures of the same claim), optional unit (default "times").
Placeholders in an explanation: the claim's figure keys; {threshold} and {condition}; for threshold claims
also {best} (the output closest to holding, or furthest from failing, over both levers) and {best_at}.

A claim that depends on the model (a threshold condition, or a figure condition on a model figure) also gets
its odds (`Odds`): the share of plausible draws, 1,000 Monte Carlo draws weighted by how well they reproduce the
calibration targets, in which it holds at the claim's settings ("holds in 72% of plausible draws"), and
"outside the model's range" when no draw reaches it even at the setting where it comes closest. The verdict
above stays the one at the parameter defaults.
"""
from __future__ import annotations

import dataclasses
import math
import re
import string
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from chokepoint.data import Database, DataError, get_database, run_query
from chokepoint.engine import Metrics, parameter_arrays, run_scenario
from chokepoint.params import HEADLINE_LEVERS, YEARS, FIRST_LEVER_YEAR, ModelInputs, Scenario, load_model_inputs, text
from chokepoint.uncertainty import (DrawResult, calibration, check_metric, describe, odds_text, run_draws,
                                    simulate_blocks)

VERDICTS = ("supported", "partly supported", "contradicted", "depends on the scenario",
            "not checkable with this data")
LEVERS = ("export_controls", "self_reliance")
GRID = np.arange(0, 101)  # whole-number lever settings, as the sliders and links allow
RUNS = ("scenario", "controls_off", "push_off", "both_off")
LINK_YEARS = range(FIRST_LEVER_YEAR, YEARS[-1] + 1)  # the dashboard's headline-year range
SYSTEM_A, SYSTEM_B = "Huawei CloudMatrix 384", "NVIDIA GB200 NVL72"


# ------------------------------------------------------------------------------------------ formatting

def _significant(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def format_figure(value: float, unit: str) -> str:
    """A figure in words, by its unit: 0.41 fraction -> "41%", 812000 units -> "812,000"."""
    if value is None or value != value:
        return "n/a"
    if unit == "fraction":
        return f"{100 * value:.0f}%"
    if unit == "pct":
        return f"{value:.3g}%"
    if unit == "USD bn":
        return f"${value:,.3g}B"
    if unit == "units":
        if abs(value) >= 1e6:
            return f"{value / 1e6:.3g} million"
        return f"{_significant(value):,.0f}"
    if unit == "TFLOPS":
        return f"{value / 1000:,.3g} PFLOPS" if value >= 10000 else f"{value:,.0f} TFLOPS"
    if unit == "kW":
        return f"{value:,.3g} kW"
    if unit == "GB":
        return f"{value:,.0f} GB"
    if unit == "TB/s":
        return f"{value:,.4g} TB/s"
    if unit == "chips":
        return f"{value:,.0f}"
    if unit == "times":
        return f"{value:.2g}×"
    if unit == "TFLOPS per kW":
        return f"{value:,.0f} TFLOPS per kW"
    return f"{value:,.3g} {unit}"


SPEC_UNITS = {"bf16_dense_tflops": "TFLOPS", "memory_gb": "GB", "memory_bandwidth_tbs": "TB/s", "power_kw": "kW",
              "interconnect_gbs": "GB/s", "tpp": "TPP", "chips_per_system": "chips"}
FINANCIAL_UNITS = {"pct": "pct", "USD bn": "USD bn"}


# ---------------------------------------------------------------------------------------------- figures

@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    dataset: str
    value: float
    unit: str
    source_ids: tuple[str, ...]  # the sources of the data row(s) read; empty for model figures
    declared_ids: tuple[str, ...]  # the source ids the figures file gives for it
    selector: str = ""  # as in claim_figures.csv (a model figure's odds are read from draws with it)

    @property
    def text(self) -> str:
        return format_figure(self.value, self.unit)

    @property
    def is_model(self) -> bool:
        return self.dataset == "model"


def parse_selector(selector: str, where: str) -> dict[str, str]:
    parts = {}
    for part in (p.strip() for p in selector.split(";")):
        if not part:
            continue
        if "=" not in part:
            raise DataError(f"{where}: selector part '{part}' is not name=value")
        name, value = (s.strip() for s in part.split("=", 1))
        parts[name] = value
    return parts


def _ids(value) -> tuple[str, ...]:
    return tuple(s for s in text(value).split(";") if s)


def _one(frame: pd.DataFrame, where: str, selector: str) -> pd.Series:
    if len(frame) != 1:
        raise DataError(f"{where}: selector '{selector}' matches {len(frame)} rows, not exactly one")
    return frame.iloc[0]


def _scope(frame: pd.DataFrame, parts: dict) -> pd.DataFrame:
    if "scope~" in parts:
        frame = frame[frame["scope"].fillna("").str.contains(parts["scope~"], regex=False)]
    return frame


class _Sources:
    """The data tables figures read, each queried once."""

    def __init__(self, database: Database, inputs: ModelInputs):
        self.database, self.inputs = database, inputs
        self._estimates: dict[str, pd.DataFrame] = {}
        self._specs = None
        self._financials = None
        self._results: dict[str, object] = {}

    def estimates(self, metric: str) -> pd.DataFrame:
        if metric not in self._estimates:
            self._estimates[metric] = run_query("china_market_estimates", self.database, metric=metric)
        return self._estimates[metric]

    def specs(self) -> pd.DataFrame:
        if self._specs is None:
            self._specs = run_query("chip_specs", self.database)
        return self._specs

    def financials(self) -> pd.DataFrame:
        if self._financials is None:
            self._financials = run_query("company_china_revenue_history", self.database)
        return self._financials

    def result(self, preset: str, where: str):
        if preset not in self.inputs.presets:
            raise DataError(f"{where}: '{preset}' is not a preset in data/presets.csv")
        if preset not in self._results:
            ec, sr, _ = self.inputs.presets[preset]
            self._results[preset] = run_scenario(Scenario.create(ec, sr, inputs=self.inputs, name=preset),
                                                 self.inputs)
        return self._results[preset]


def run_metrics(raw: dict, inputs: ModelInputs, run: str) -> Metrics:
    """Metrics for one of the four runs of a single-scenario engine result (scenario, controls_off, ...)."""
    block = RUNS.index(run)
    if block == 0:
        return Metrics(raw, inputs, 1)
    sliced = {k: (v[block:] if isinstance(v, np.ndarray) else v) for k, v in raw.items()}
    return Metrics(sliced, inputs, 1)


def _resolve(row, figures: dict[str, Figure], sources: _Sources) -> Figure:
    where = f"data/claim_figures.csv ({row.claim_id}/{row.key})"
    parts = parse_selector(row.selector, where)
    dataset = row.dataset

    def need(*names):
        missing = [n for n in names if n not in parts]
        if missing:
            raise DataError(f"{where}: selector needs {', '.join(missing)}")

    def year():
        try:
            return int(parts["year"])
        except ValueError:
            raise DataError(f"{where}: year '{parts['year']}' is not a whole number") from None

    if dataset == "china_market_estimates":
        need("source", "year", "vendor", "metric")
        frame = sources.estimates(parts["metric"])
        frame = frame[(frame.estimate_source == parts["source"]) & (frame.year == year())
                      & (frame.vendor == parts["vendor"])]
        found = _one(_scope(frame, parts), where, row.selector)
        value, unit, ids = float(found.value), found.unit, _ids(found.source_id)
    elif dataset == "chip_specs":
        need("system", "column")
        if parts["column"] not in SPEC_UNITS:
            raise DataError(f"{where}: '{parts['column']}' is not a chip_specs column")
        found = _one(sources.specs()[sources.specs().system == parts["system"]], where, row.selector)
        value, unit, ids = float(found[parts["column"]]), SPEC_UNITS[parts["column"]], _ids(found.source_ids)
    elif dataset == "company_financials":
        need("company", "fiscal_year", "metric")
        frame = sources.financials()
        frame = frame[(frame.company == parts["company"]) & (frame.fiscal_year == parts["fiscal_year"])
                      & (frame.metric == parts["metric"])]
        found = _one(_scope(frame, parts), where, row.selector)
        value, unit, ids = float(found.value), FINANCIAL_UNITS.get(found.unit, found.unit), _ids(found.source_id)
    elif dataset == "model":
        need("preset", "run", "metric", "entity", "year")
        if parts["run"] not in RUNS:
            raise DataError(f"{where}: run must be one of {', '.join(RUNS)}")
        if parts["run"] != "scenario" and "revenue" in parts["metric"]:
            # revenue and its at-risk split are read from all four runs together, not from one run's slice
            raise DataError(f"{where}: revenue metrics are only available for run=scenario")
        result = sources.result(parts["preset"], where)
        try:
            unit, _ = check_metric(sources.inputs, parts["metric"], parts["entity"], year())
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
        metrics = run_metrics(result.raw, sources.inputs, parts["run"])
        value, ids = float(metrics.at(parts["metric"], parts["entity"], year())[0]), ()
    elif dataset == "ratio":
        need("of", "to")
        missing = [k for k in (parts["of"], parts["to"]) if k not in figures]
        if missing:
            raise DataError(f"{where}: ratio refers to {', '.join(missing)}, not an earlier figure of the claim")
        top, bottom = figures[parts["of"]], figures[parts["to"]]
        if bottom.value == 0:
            raise DataError(f"{where}: ratio divides by {parts['to']}, which is 0")
        value, unit = top.value / bottom.value, parts.get("unit", "times")
        ids = tuple(dict.fromkeys(top.source_ids + bottom.source_ids))
    else:
        raise DataError(f"{where}: unknown dataset '{dataset}'")
    if value != value:
        raise DataError(f"{where}: the row it reads has no value")
    return Figure(row.key, row.label, dataset, value, unit, ids, _ids(row.source_ids), row.selector)


# ------------------------------------------------------------------------------------------- conditions

@dataclass(frozen=True)
class Condition:
    """A threshold claim evaluated by the engine on every whole-number setting of both headline levers."""

    metric: str
    entity: str
    versus: str | None
    year: int
    comparison: str  # above: output >= threshold holds; below: output <= threshold holds
    threshold: float
    lever: str
    other_lever: str
    other_value: float
    other_label: str  # e.g. "as announced for 2026"
    base: tuple[float, float]  # the (export_controls, self_reliance) point the cut goes through
    unit: str
    values: np.ndarray = dataclasses.field(repr=False, compare=False)  # (101, 101): [export_controls, self_reliance]
    page: str = ""

    def holds_for(self, output: float) -> bool:
        return output >= self.threshold if self.comparison == "above" else output <= self.threshold

    @property
    def mask(self) -> np.ndarray:
        return self.values >= self.threshold if self.comparison == "above" else self.values <= self.threshold

    @property
    def cut(self) -> np.ndarray:
        """The output along `lever` (0..100), the other lever held."""
        other = int(self.other_value)
        return self.values[:, other] if self.lever == "export_controls" else self.values[other, :]

    @property
    def cut_mask(self) -> np.ndarray:
        return self.cut >= self.threshold if self.comparison == "above" else self.cut <= self.threshold

    @property
    def verdict(self) -> str:
        if self.mask.all():
            return "supported"
        if not self.mask.any():
            return "contradicted"
        return "depends on the scenario"

    def settings(self, lever_value: float) -> dict[str, float]:
        """Both headline levers for a point on the cut."""
        return {self.lever: float(lever_value), self.other_lever: float(self.other_value)}

    @property
    def intervals(self) -> list[tuple[int, int]]:
        """Runs of lever values (inclusive) along the cut where the claim holds."""
        runs, start = [], None
        for value, ok in zip(GRID, self.cut_mask):
            if ok and start is None:
                start = int(value)
            if not ok and start is not None:
                runs.append((start, int(value) - 1))
                start = None
        if start is not None:
            runs.append((start, int(GRID[-1])))
        return runs

    @property
    def boundaries(self) -> list[tuple[int, int]]:
        """(a lever value where the claim holds, the neighbouring value where it does not), along the cut."""
        pairs = []
        for low, high in self.intervals:
            if low > GRID[0]:
                pairs.append((low, low - 1))
            if high < GRID[-1]:
                pairs.append((high, high + 1))
        return pairs

    @property
    def best(self) -> tuple[float, tuple[int, int]]:
        """The output closest to holding (above: the highest; below: the lowest) and its (ec, sr) setting."""
        index = np.argmax(self.values) if self.comparison == "above" else np.argmin(self.values)
        ec, sr = np.unravel_index(index, self.values.shape)
        return float(self.values[ec, sr]), (int(ec), int(sr))

    def nearest(self, holding: bool) -> tuple[int, int] | None:
        """The grid setting nearest the base point where the claim holds (or fails)."""
        mask = self.mask if holding else ~self.mask
        if not mask.any():
            return None
        ec, sr = np.nonzero(mask)
        distance = (ec - self.base[0]) ** 2 + (sr - self.base[1]) ** 2
        k = int(np.argmin(distance))
        return int(ec[k]), int(sr[k])

    def format(self, value: float) -> str:
        return format_figure(value, self.unit)

    @property
    def held(self) -> str:
        """E.g. "with export_controls at 25, as announced for 2026"."""
        label = f", {self.other_label}" if self.other_label else ""
        return f"with {self.other_lever} at {self.other_value:g}{label}"

    @property
    def sentence(self) -> str:
        """When the claim holds, in words, to follow a statement of the claim."""
        lever = self.lever
        verdict = self.verdict
        if verdict == "supported":
            return "at every setting of both levers (0–100)"
        if verdict == "contradicted":
            return "at no setting of either lever (0–100)"
        runs = self.intervals
        if not runs:
            ec, sr = self.nearest(True)
            return (f"only when both levers move, for example to export_controls {ec} and self_reliance {sr} "
                    f"(no {lever} setting does it {self.held})")
        if runs == [(0, 100)]:
            ec, sr = self.nearest(False)
            return (f"at every {lever} setting ({self.held}), though not at every combination of the two "
                    f"(it fails at export_controls {ec} and self_reliance {sr})")
        if len(runs) == 1:
            low, high = runs[0]
            if high == GRID[-1]:
                span = f"{lever} ≥ {low}"
            elif low == GRID[0]:
                span = f"{lever} ≤ {high}"
            else:
                span = f"{lever} is between {low} and {high}"
        else:
            span = f"{lever} is " + " or ".join(f"{a}–{b}" for a, b in runs)
        return f"only when {span} ({self.held})"

    def links(self) -> list[tuple[str, dict[str, float]]]:
        """(label, settings) of the scenarios worth opening: the threshold and just past it, the nearest
        setting where the claim holds, or where it comes closest."""
        pairs = self.boundaries
        if pairs:
            value, outside = min(pairs, key=lambda p: abs(p[0] - (self.base[0] if self.lever == "export_controls"
                                                                    else self.base[1])))
            return [(f"{self.lever} {value} (holds)", self.settings(value)),
                    (f"{self.lever} {outside} (does not hold)", self.settings(outside))]
        verdict = self.verdict
        if verdict == "contradicted":
            _, (ec, sr) = self.best
            return [(f"export_controls {ec}, self_reliance {sr} (closest it gets)",
                     {"export_controls": ec, "self_reliance": sr})]
        point = self.nearest(not self.cut_mask.all()) if verdict == "depends on the scenario" else None
        if point is not None:
            ec, sr = point
            state = "holds" if not self.cut_mask.all() else "does not hold"
            return [(f"export_controls {ec}, self_reliance {sr} ({state})",
                     {"export_controls": ec, "self_reliance": sr})]
        ec, sr = self.base
        return [(f"export_controls {ec:g}, self_reliance {sr:g}", {"export_controls": ec, "self_reliance": sr})]

    def link(self, settings: dict[str, float]) -> str:
        return dashboard_link(self.page, settings, self.year)

    def output_of(self, value_at) -> float:
        """The condition's output from a `value_at(metric, entity, year)` lookup (e.g. `views.Run.value`)."""
        output = value_at(self.metric, self.entity, self.year)
        if self.versus:
            output -= value_at(self.metric, self.versus, self.year)
        return output

    def in_scenario(self, value_at, draws: DrawResult | None = None) -> str:
        """The condition in another scenario, in words, from a `value_at(metric, entity, year)` lookup; with that
        scenario's conditioned `draws`, also the share of plausible draws in which it holds."""
        what = describe(self.metric, self.entity)
        value = self.format(value_at(self.metric, self.entity, self.year))
        if self.versus:
            value += f", against {self.format(value_at(self.metric, self.versus, self.year))} for {self.versus}"
        holds = self.holds_for(self.output_of(value_at))
        verdict = "holds" if holds else "does not hold"
        sentence = f"{what[:1].upper() + what[1:]} in {self.year}: {value}, so the claim {verdict}"
        if draws is None:
            return sentence + "."
        share = self.share_of(draws)
        odds = f"in {odds_text(share)} of plausible draws" if share > 0 else "in no plausible draw"
        return f"{sentence} at the parameter defaults; it holds {odds}."

    def share_of(self, draws: DrawResult) -> float:
        """The weighted share of a scenario's draws in which the claim holds."""
        return draws.share(self.holds_for(self.output_of(draws.values)))


@dataclass(frozen=True)
class Odds:
    """How often a model-dependent claim holds across plausible draws (conditioned on the calibration targets)."""

    share: float  # weighted share of the draws in which the claim holds at `where`
    where: str  # e.g. "at export_controls 25, self_reliance 90 (as announced for 2026)"
    effective: float  # effective draws behind the share
    draws: int
    best_share: float | None = None  # when no draw holds at `where`: the share where it comes closest
    best_where: str = ""

    @property
    def outside(self) -> bool:
        """No plausible draw reaches it, even where it comes closest."""
        return self.share == 0 and not self.best_share

    @property
    def label(self) -> str:
        if self.outside:
            return "Outside the model's range"
        if self.share == 0:
            return "Holds in no plausible draw here"
        return f"Holds in {odds_text(self.share)} of plausible draws"

    @property
    def sentence(self) -> str:
        basis = (f"{self.draws:,} Monte Carlo draws weighted by how well they reproduce the calibration targets, "
                 f"{self.effective:,.0f} effective")
        if self.outside:
            closest = f", nor {self.best_where}, where it comes closest" if self.best_where else ""
            return f"Outside the model's range: no plausible draw reaches it {self.where}{closest} ({basis})."
        if self.share == 0:
            return (f"It holds in no plausible draw {self.where}, but in {odds_text(self.best_share)} of them "
                    f"{self.best_where}, where it comes closest ({basis}).")
        return f"It holds in {odds_text(self.share)} of plausible draws {self.where} ({basis})."


def dashboard_link(page: str, settings: dict[str, float], year: int | None = None) -> str:
    """A relative link that opens the dashboard page at these lever settings (and headline year)."""
    query = {name: f"{settings[name]:g}" for name in LEVERS if name in settings}
    if year is not None and year in LINK_YEARS:
        query["year"] = str(int(year))
    return f"/{page.strip('/')}?{urlencode(query)}"


def _grid_scenarios(inputs: ModelInputs) -> list[Scenario]:
    return [Scenario.create(float(ec), float(sr), inputs=inputs) for ec in GRID for sr in GRID]


def lever_grid(inputs: ModelInputs, wanted: list[tuple[str, str, int]], chunk: int = 101) -> dict:
    """Each wanted (metric, entity, year) at every whole-number setting of both levers: arrays (101, 101)
    indexed [export_controls, self_reliance]. One engine call per `chunk` scenarios (four runs each)."""
    scenarios = _grid_scenarios(inputs)
    out = {w: np.empty(len(scenarios)) for w in wanted}
    for start in range(0, len(scenarios), chunk):
        block = scenarios[start:start + chunk]
        raw = simulate_blocks(block, inputs, parameter_arrays(inputs, {}, 4 * len(block)))
        metrics = Metrics(raw, inputs, len(block))
        for metric, entity, year in wanted:
            out[(metric, entity, year)][start:start + len(block)] = metrics.at(metric, entity, year)
    return {w: v.reshape(len(GRID), len(GRID)) for w, v in out.items()}


# ---------------------------------------------------------------------------------------------- claims

@dataclass(frozen=True)
class FigureCheck:
    key: str
    comparison: str
    threshold: float
    holds: bool
    sentence: str

    @property
    def verdict(self) -> str:
        return "supported" if self.holds else "contradicted"


@dataclass(frozen=True)
class CheckedClaim:
    claim_id: str
    claim: str
    made_by: str
    verdict: str  # the label stored in data/claims.csv
    explanation: str  # rendered
    explanation_template: str
    source_ids: tuple[str, ...]
    figures: tuple[Figure, ...]
    condition_kind: str
    condition: Condition | None = None
    check: FigureCheck | None = None
    odds: Odds | None = None  # for a claim that depends on the model: how often it holds in plausible draws

    @property
    def computed_verdict(self) -> str | None:
        """The verdict the data or the model give now (None when the verdict is a stored judgment)."""
        if self.condition is not None:
            return self.condition.verdict
        if self.check is not None:
            return self.check.verdict
        return None

    @property
    def condition_sentence(self) -> str:
        if self.condition is not None:
            return "The claim holds " + self.condition.sentence + "."
        if self.check is not None:
            return self.check.sentence
        return ""


def placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _threshold(raw: str, figures: dict[str, Figure], where: str) -> tuple[float, str | None]:
    raw = text(raw).strip()
    if raw in figures:
        return figures[raw].value, raw
    try:
        value = float(raw)
    except ValueError:
        raise DataError(f"{where}: threshold '{raw}' is neither a number nor a figure of the claim") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: threshold '{raw}' is not finite")
    return value, None


def _other_lever(raw: str, lever: str, inputs: ModelInputs, where: str) -> tuple[str, float, str, tuple]:
    other = LEVERS[1 - LEVERS.index(lever)]
    raw = text(raw).strip()
    if raw in inputs.presets:
        ec, sr, _ = inputs.presets[raw]
        value = ec if other == "export_controls" else sr
        label = raw[:1].lower() + raw[1:]
        base = (ec, sr)
    else:
        try:
            value = float(raw)
        except ValueError:
            raise DataError(f"{where}: other_lever '{raw}' is neither a preset nor a number") from None
        label = ""
        default = HEADLINE_LEVERS[lever].default
        base = (default, value) if lever == "export_controls" else (value, default)
    if not 0 <= value <= 100 or value != int(value):  # NaN fails the range test, inf too: no int() of either
        raise DataError(f"{where}: the other lever must be held at a whole number 0-100, got {value:g}")
    return other, float(value), label, tuple(float(b) for b in base)


CLAIM_DRAWS = 1000


class _Draws:
    """Conditioned draws per lever setting, each run once (seeded by its scenario, as the pages' bands are)."""

    def __init__(self, inputs: ModelInputs, database: Database):
        self.inputs, self.targets = inputs, calibration(database)
        self._draws: dict[tuple[float, float], DrawResult] = {}

    def at(self, ec: float, sr: float) -> DrawResult:
        key = (float(ec), float(sr))
        if key not in self._draws:
            self._draws[key] = run_draws(Scenario.create(*key, inputs=self.inputs), self.inputs, CLAIM_DRAWS,
                                         targets=self.targets)
        return self._draws[key]


def _setting(ec: float, sr: float, label: str = "") -> str:
    return f"at export_controls {ec:g} and self_reliance {sr:g}" + (f", {label}" if label else "")


def threshold_odds(condition: Condition, draws: _Draws) -> Odds:
    """The share of plausible draws in which a threshold claim holds at its base setting; where none does, also
    at the setting where the output comes closest at the defaults."""
    ec, sr = condition.base
    base = draws.at(ec, sr)
    share = condition.share_of(base)
    odds = Odds(share, _setting(ec, sr, condition.other_label), base.effective, base.draws)
    if share > 0:
        return odds
    _, (best_ec, best_sr) = condition.best
    if (best_ec, best_sr) == (ec, sr):
        return odds
    return dataclasses.replace(odds, best_share=condition.share_of(draws.at(best_ec, best_sr)),
                               best_where=_setting(best_ec, best_sr))


def figure_odds(figure: Figure, comparison: str, threshold: float, inputs: ModelInputs, draws: _Draws) -> Odds:
    """The share of plausible draws in which a model figure meets a figure condition."""
    parts = parse_selector(figure.selector, figure.key)
    ec, sr, _ = inputs.presets[parts["preset"]]
    result = draws.at(ec, sr)
    if parts["run"] == "scenario":
        values = result.values(parts["metric"], parts["entity"], int(parts["year"]))
    else:
        block = RUNS.index(parts["run"]) * result.draws
        sliced = {k: (v[block:] if isinstance(v, np.ndarray) else v) for k, v in result.raw.items()}
        values = Metrics(sliced, inputs, result.draws).at(parts["metric"], parts["entity"], int(parts["year"]))
    holds = values >= threshold if comparison == "above" else values <= threshold
    label = parts["preset"][:1].lower() + parts["preset"][1:]
    return Odds(result.share(holds), _setting(ec, sr, label), result.effective, result.draws)


def check_claims(inputs: ModelInputs | None = None, database: Database | None = None) -> list[CheckedClaim]:
    """Every claim with its figures resolved, its conditions evaluated and its explanation rendered.

    Raises DataError (naming the file, claim and problem) for a figure that does not resolve, a placeholder
    without a value or a malformed condition."""
    database = database or get_database()
    inputs = inputs or load_model_inputs(database)
    claims = run_query("claims", database)
    figure_rows = run_query("claim_figures", database)
    unknown = set(figure_rows.claim_id) - set(claims.claim_id)
    if unknown:
        raise DataError(f"data/claim_figures.csv: claim id(s) {', '.join(sorted(unknown))} not in data/claims.csv")
    sources = _Sources(database, inputs)

    resolved: dict[str, dict[str, Figure]] = {}
    for row in figure_rows.itertuples(index=False):
        figures = resolved.setdefault(row.claim_id, {})
        figures[row.key] = _resolve(row, figures, sources)

    # Threshold conditions: collect every model output needed, then evaluate the lever grid once.
    specs = {}
    for row in claims.itertuples(index=False):
        if row.condition_kind != "threshold":
            continue
        where = f"data/claims.csv ({row.claim_id})"
        for column in ("metric", "entity", "year", "comparison", "threshold", "lever", "other_lever"):
            if text(getattr(row, column)) == "":
                raise DataError(f"{where}: a threshold condition needs '{column}'")
        year = int(row.year)
        if year not in LINK_YEARS:  # the levers do not move a replayed year: check it as a model figure instead
            raise DataError(f"{where}: a threshold condition needs a year the levers act on "
                            f"({LINK_YEARS[0]}-{LINK_YEARS[-1]}), got {year}; for a replayed year use a figure "
                            "condition on a model figure")
        entities = [row.entity] + ([row.versus] if text(row.versus) else [])
        units = set()
        for entity in entities:
            try:
                unit, _ = check_metric(inputs, row.metric, entity, year)
            except ValueError as exc:
                raise DataError(f"{where}: {exc}") from None
            units.add(unit)
        specs[row.claim_id] = (year, entities, units.pop())
    metric_of = dict(zip(claims.claim_id, claims.metric))
    wanted = sorted({(metric_of[cid], entity, year)
                     for cid, (year, entities, _) in specs.items() for entity in entities})
    grid = lever_grid(inputs, wanted) if wanted else {}
    draws = _Draws(inputs, database)

    checked = []
    for row in claims.itertuples(index=False):
        where = f"data/claims.csv ({row.claim_id})"
        figures = resolved.get(row.claim_id, {})
        values = {key: f.text for key, f in figures.items()}
        condition = check = odds = None
        if row.condition_kind == "threshold":
            year, entities, unit = specs[row.claim_id]
            threshold, threshold_key = _threshold(row.threshold, figures, where)
            other, other_value, other_label, base = _other_lever(row.other_lever, row.lever, inputs, where)
            output = grid[(row.metric, entities[0], year)]
            if len(entities) == 2:
                output = output - grid[(row.metric, entities[1], year)]
            condition = Condition(row.metric, row.entity, text(row.versus) or None, year, row.comparison, threshold,
                                  row.lever, other, other_value, other_label, base, unit, output, text(row.page))
            best, (ec, sr) = condition.best
            values.update(condition=condition.sentence, threshold=figures[threshold_key].text if threshold_key
                          else condition.format(threshold),
                          best=condition.format(best), best_at=f"export_controls {ec}, self_reliance {sr}")
            odds = threshold_odds(condition, draws)
        elif row.condition_kind == "figure":
            for column in ("metric", "comparison", "threshold"):
                if text(getattr(row, column)) == "":
                    raise DataError(f"{where}: a figure condition needs '{column}'")
            if row.metric not in figures:
                raise DataError(f"{where}: metric '{row.metric}' is not a figure of the claim")
            figure = figures[row.metric]
            threshold, threshold_key = _threshold(row.threshold, figures, where)
            threshold_text = figures[threshold_key].text if threshold_key else format_figure(threshold, figure.unit)
            holds = figure.value >= threshold if row.comparison == "above" else figure.value <= threshold
            need = "at least" if row.comparison == "above" else "at most"
            sentence = (f"Check: {figure.label}, {figure.text}; the claim needs {need} {threshold_text}, so on these "
                        f"figures it {'holds' if holds else 'does not hold'}.")
            check = FigureCheck(row.metric, row.comparison, threshold, holds, sentence)
            values.update(condition=sentence, threshold=threshold_text)
            if figure.is_model:
                odds = figure_odds(figure, row.comparison, threshold, inputs, draws)
        missing = [name for name in placeholders(row.explanation) if name not in values]
        if missing:
            raise DataError(f"{where}: explanation placeholder(s) {', '.join(missing)} have no value")
        checked.append(CheckedClaim(
            row.claim_id, row.claim, row.made_by, row.verdict, row.explanation.format(**values), row.explanation,
            _ids(row.source_ids), tuple(figures.values()), row.condition_kind, condition, check, odds))
    return checked


# ------------------------------------------------------------------------------------ system comparison

SYSTEM_COLUMNS = ["system", "vendor", "kind", "chips_per_system", "bf16_dense_tflops", "memory_gb",
                  "memory_bandwidth_tbs", "power_kw", "tflops_per_kw", "source_ids"]


def system_table(database: Database | None = None) -> pd.DataFrame:
    """Chips and rack-scale systems: compute, memory, bandwidth, power and compute per kW (systems first)."""
    frame = run_query("chip_specs", database or get_database())
    frame = frame.assign(order=(frame.kind != "system").astype(int))
    return frame.sort_values(["order", "vendor", "system"], kind="stable")[SYSTEM_COLUMNS].reset_index(drop=True)


def system_ratios(table: pd.DataFrame, a: str = SYSTEM_A, b: str = SYSTEM_B) -> dict[str, float]:
    """System a relative to system b: compute, power, memory, bandwidth, compute per kW, energy per FLOP."""
    rows = table.set_index("system")
    first, second = rows.loc[a], rows.loc[b]
    compute = first.bf16_dense_tflops / second.bf16_dense_tflops
    power = first.power_kw / second.power_kw
    return dict(compute=compute, power=power, memory=first.memory_gb / second.memory_gb,
                bandwidth=first.memory_bandwidth_tbs / second.memory_bandwidth_tbs,
                compute_per_kw=first.tflops_per_kw / second.tflops_per_kw, energy_per_flop=power / compute,
                chips_a=first.chips_per_system, chips_b=second.chips_per_system,
                per_chip_a=first.bf16_dense_tflops / first.chips_per_system,
                per_chip_b=second.bf16_dense_tflops / second.chips_per_system)


def _short(system: str) -> str:
    return system.replace("Huawei ", "").replace("NVIDIA ", "")


def system_takeaway(table: pd.DataFrame, a: str = SYSTEM_A, b: str = SYSTEM_B) -> str:
    r = system_ratios(table, a, b)
    fewer = 1 / r["compute_per_kw"]
    return (f"{_short(a)} has {r['compute']:.2g}× the compute of the {_short(b)} and {r['memory']:.2g}× the memory, "
            f"at {r['power']:.2g}× the power: {fewer:.2g}× less compute per kW. It wins by integrating "
            f"{r['chips_a']:.0f} chips of {r['per_chip_a']:,.0f} TFLOPS each against {r['chips_b']:.0f} of "
            f"{r['per_chip_b']:,.0f}, not by a better chip.")


# ------------------------------------------------------------------------------------------------ checks

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def sentence_count(text_: str) -> int:
    """Sentences in plain prose (a full stop, ! or ? followed by a space or the end; decimals do not count)."""
    return len(_SENTENCE_END.findall(text_.strip()))


def quoted_spans(text_: str) -> list[str]:
    return re.findall(r"[\"“”]([^\"“”]*)[\"“”]", text_)
