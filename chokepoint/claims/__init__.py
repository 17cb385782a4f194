"""Claims, checked: published claims about AI-chip export controls held against the data and the model.

Pure pandas/numpy, no Streamlit. `check_claims` reads `data/claims.csv` and `data/claim_figures.csv` and
returns one `CheckedClaim` per claim, with its figures resolved, its explanation rendered and, where the
claim can be tested, its verdict computed.

claims.csv, one row per claim:
- `claim` (our paraphrase), `made_by` (where it was made), `verdict` (the stored label, one of
  formatting.VERDICTS), `explanation` (two sentences with {placeholders}, see below), `source_ids` (every F-id
  that bears on it).
- `condition_kind`:
  - `none`: the verdict is a judgment on the figures; stored, not computed.
  - `figure`: the claim holds when the figure named in `metric` is `above`/`below` `threshold`; verdict
    "supported" when it does, "contradicted" when not.
  - `threshold`: the claim holds when the model output `metric`/`entity` (minus `versus`, if given) in `year`
    (a year the levers act on, FIRST_LEVER_YEAR to the horizon) is above/below `threshold`. The engine
    evaluates it on every whole-number setting of both headline levers (0-100 each, at the parameter
    defaults): "supported" if it holds everywhere, "contradicted" if nowhere, "depends on the scenario"
    otherwise. The sentence describes the cut along `lever` with the other lever held at `other_lever` (a preset
    name or a number), and `page` is where the dashboard link opens.
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

Modules, by job: `figures` (the selector language: a claim_figures.csv row read into a Figure), `grid` (a
threshold condition over the 101 x 101 lever grid: verdict, where it holds, nearest settings), `links` (URLs that
open the dashboard at a setting), `odds` (the share of plausible draws), `check` (check_claims: all of it
per claim) and `summary` (what the Claims page shows, computed: badges, the verdict tally, figure origins).
The chips-and-systems comparison is chokepoint.systems.
"""
from chokepoint.claims.check import CheckedClaim, FigureCheck, check_claims, placeholders
from chokepoint.claims.figures import RUNS, Figure, format_figure, parse_selector, run_metrics
from chokepoint.claims.grid import GRID, Condition, lever_grid
from chokepoint.claims.links import LEVERS, LINK_YEARS, dashboard_link
from chokepoint.claims.odds import CLAIM_DRAWS, Odds, figure_odds, threshold_odds
from chokepoint.claims.summary import (ODDS_BANDS, badge, condition_links, figure_origin, odds_band, summary,
                                       verdict_counts)

__all__ = ["CLAIM_DRAWS", "GRID", "LEVERS", "LINK_YEARS", "ODDS_BANDS", "RUNS", "CheckedClaim", "Condition", "Figure",
           "FigureCheck", "Odds", "badge", "check_claims", "condition_links", "dashboard_link", "figure_odds",
           "figure_origin", "format_figure", "lever_grid", "odds_band", "parse_selector", "placeholders",
           "run_metrics", "summary", "threshold_odds", "verdict_counts"]
