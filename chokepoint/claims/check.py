"""Every claim checked: its figures resolved, its condition evaluated (on the figures, or by the engine over the
lever grid), its odds across plausible draws and its explanation rendered."""
from __future__ import annotations

import math
import string
from dataclasses import dataclass

from chokepoint.claims.figures import Figure, Sources, format_figure, resolve_figure, split_ids
from chokepoint.claims.grid import Condition, lever_grid
from chokepoint.claims.links import LEVERS, LINK_YEARS
from chokepoint.claims.odds import Draws, Odds, figure_odds, threshold_odds
from chokepoint.data import Database, DataError, get_database, run_query
from chokepoint.engine import load_model_inputs
from chokepoint.params import HEADLINE_LEVERS, ModelInputs, text
from chokepoint.uncertainty import check_metric


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
    def current_verdict(self) -> str:
        """The verdict to show: the computed one where the data or the model decide it, else the stored one."""
        return self.computed_verdict or self.verdict

    @property
    def needs_review(self) -> bool:
        """The data or the model now disagree with the stored label."""
        return self.computed_verdict is not None and self.computed_verdict != self.verdict

    @property
    def explains_condition(self) -> bool:
        """The explanation already says when the claim holds (it uses {condition})."""
        return "condition" in placeholders(self.explanation_template)

    @property
    def other_source_ids(self) -> tuple[str, ...]:
        """Sources that bear on the claim but that none of its figures reads."""
        read = {i for figure in self.figures for i in figure.source_ids}
        return tuple(i for i in self.source_ids if i not in read)

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
    sources = Sources(database, inputs)

    resolved: dict[str, dict[str, Figure]] = {}
    for row in figure_rows.itertuples(index=False):
        figures = resolved.setdefault(row.claim_id, {})
        figures[row.key] = resolve_figure(row, figures, sources)

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
    draws = Draws(inputs, database)

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
            split_ids(row.source_ids), tuple(figures.values()), row.condition_kind, condition, check, odds))
    return checked
