"""What the Claims page shows, computed: each claim's badge, the verdict tally above the cards, where each figure
comes from and the dashboard links of a condition. Pure; the page only lays these out."""
from __future__ import annotations

from chokepoint.claims.check import CheckedClaim
from chokepoint.claims.figures import Figure
from chokepoint.claims.grid import Condition
from chokepoint.claims.odds import Odds
from chokepoint.formatting import VERDICTS

ODDS_BANDS = ("likely", "uncertain", "unlikely")  # holds in at least 90% of plausible draws / between / at most 10%


def odds_band(odds: Odds) -> str:
    if odds.share >= 0.9:
        return "likely"
    if odds.share <= 0.1:
        return "unlikely"
    return "uncertain"


def badge(claim: CheckedClaim) -> tuple[str, str]:
    """(text, style) of a claim's badge. A claim that depends on the model shows its odds, not its verdict at the
    defaults (style: one of ODDS_BANDS); any other its verdict (style: the verdict, one of formatting.VERDICTS)."""
    if claim.odds is not None:
        return claim.odds.label, odds_band(claim.odds)
    return claim.current_verdict.capitalize(), claim.current_verdict


def verdict_counts(checked: list[CheckedClaim]) -> dict[str, int]:
    """How many claims have each verdict now, in formatting.VERDICTS order; verdicts no claim has are left out."""
    counts = {verdict: sum(c.current_verdict == verdict for c in checked) for verdict in VERDICTS}
    return {verdict: n for verdict, n in counts.items() if n}


def summary(checked: list[CheckedClaim]) -> tuple[str, str]:
    """(headline, the rest) of the line above the cards: "12 claims.", "Verdicts at the parameter defaults: ..."."""
    tally = " · ".join(f"{verdict.capitalize()}: {n}" for verdict, n in verdict_counts(checked).items())
    with_odds = sum(c.odds is not None for c in checked)
    return (f"{len(checked)} claims.", f"Verdicts at the parameter defaults: {tally}. {with_odds} depend on the "
            "model and are shown with their odds.")


def figure_origin(figure: Figure) -> str | None:
    """Where a figure comes from, in words, when it is not read from sourced data (None: cite its sources)."""
    if figure.is_model:
        return "Chokepoint model (engine run at the parameter defaults)"
    if figure.dataset == "ratio":
        return "arithmetic on the figures above (" + ", ".join(figure.source_ids) + ")"
    return None


def condition_links(condition: Condition) -> list[tuple[str, str]]:
    """(label, URL) of each dashboard setting worth opening for a threshold claim."""
    return [(label, condition.link(settings)) for label, settings in condition.links()]
