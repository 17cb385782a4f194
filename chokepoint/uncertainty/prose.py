"""The uncertainty results in words: metrics described (`describe`), shares of draws as odds (`odds_text`), and
the headline probabilities ("In 9 of 10 draws ..."). Numbers are spelled by `formatting.number`, as everywhere
in the app, to PROSE_DIGITS significant digits."""
from __future__ import annotations

import math

import numpy as np

from chokepoint.engine import US_FIRMS, Metrics, run_scenario, year_index
from chokepoint.formatting import number
from chokepoint.params import ADVANCED_LEVERS, HEADLINE_LEVERS
from chokepoint.uncertainty.draws import DrawResult

PROSE_DIGITS = 3  # significant digits of a number in a sentence ("$10.3B", "41.2%", "1.24M")
FINE_DIGITS = 4  # an output the sentence pins down (seek: what the output is at the value found)

# Headline probabilities: presentation choices, not model parameters.
# (metric, entity, threshold, below, subject); entity "US firms" sums US_FIRMS; threshold None = the
# deterministic (central) estimate.
HEADLINE_THRESHOLDS = (
    ("china_share_value", "Nvidia", 0.20, True, "Nvidia's share of China's AI-chip market"),
    ("domestic_share_value", "Domestic (all)", 0.50, False, "domestic vendors' share of China's AI-chip market"),
    ("china_units", "Huawei", 1_000_000.0, False, "the number of Huawei AI chips sold in China"),
    ("revenue_at_risk_usd_bn", "US firms", None, False, "US firms' China revenue at risk"),
    ("china_unmet_demand_usd_bn", "All", 50.0, False, "China's unmet AI-chip demand"),
)

_DESCRIPTIONS = {
    "china_share_value": "{entity}'s share of China's AI-chip spend",
    "domestic_share_value": "domestic vendors' share of China's AI-chip spend",
    "china_units": "{entity} AI-chip units sold in China",
    "china_spend_usd_bn": "China's AI-chip spend on {entity}",
    "china_unmet_demand_usd_bn": "China's unmet AI-chip demand",
    "global_share_value": "Nvidia's share of the worldwide accelerator market",
    "china_revenue_usd_bn": "{entity}'s China revenue",
    "revenue_at_risk_usd_bn": "{entity}'s China revenue at risk",
    "revenue_at_risk_pct_of_revenue": "{entity}'s China revenue at risk as a share of its revenue",
}


def describe(metric: str, entity: str) -> str:
    """A metric in words, for messages."""
    if metric == "china_units" and entity == "Domestic (all)":
        return "domestic AI-chip units sold in China"
    if entity == "Grey market" and metric == "china_share_value":
        return "the grey market's share of China's AI-chip spend"
    template = _DESCRIPTIONS.get(metric)
    return template.format(entity=entity) if template else f"{metric} ({entity})"


def _lever_label(lever: str) -> str:
    """The lever's label for use inside a sentence: "US export controls", "chip-control level"."""
    label = (HEADLINE_LEVERS.get(lever) or ADVANCED_LEVERS[lever]).label
    first = label.split()[0]
    keep = first.isupper() or first.split("-")[0].isupper() or first.startswith("China")
    return label if keep else label[:1].lower() + label[1:]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def odds_text(share: float) -> str:
    """A share of draws in words: "72%", "under 1%", "over 99%" (the claims page says it the same way)."""
    percent = 100.0 * share
    if 0.0 < percent < 0.5:
        return "under 1%"
    if 99.5 <= percent < 100.0:
        return "over 99%"
    return f"{percent:.0f}%"


def probability_sentence(values: np.ndarray, threshold: float, below: bool, what: str, year: int, unit,
                         threshold_text: str | None = None, weights: np.ndarray | None = None) -> str:
    """E.g. "In 9 of 10 draws Nvidia's share of China's AI-chip market in 2028 is below 20%."

    Rounded to n of 10 draws (by weight, when `weights` are given); "In all draws" / "In no draw" only when
    it is exactly so, and "over 9" / "under 1" when rounding would otherwise claim it. `threshold_text`
    replaces the formatted threshold.
    """
    values = np.asarray(values, dtype=float)
    hits = values < threshold if below else values > threshold
    if weights is None:
        share = float(hits.mean()) if values.size else 0.0
    else:
        weights = np.asarray(weights, dtype=float)
        share = float(weights[hits].sum() / weights.sum()) if values.size else 0.0
    tenths = int(math.floor(share * 10 + 0.5))
    if values.size and hits.all():
        lead = "In all draws"
    elif not hits.any():
        lead = "In no draw"
    elif tenths >= 10:
        lead = "In over 9 of 10 draws"
    elif tenths <= 0:
        lead = "In under 1 of 10 draws"
    else:
        lead = f"In {tenths} of 10 draws"
    side = "below" if below else "above"
    return f"{lead} {what} in {year} is {side} {threshold_text or number(threshold, unit, digits=PROSE_DIGITS)}."


def headline_probabilities(draw_result: DrawResult, year: int) -> list[str]:
    """One sentence per HEADLINE_THRESHOLDS entry, for `year` (weighted shares of conditioned draws)."""
    year_index(year)
    central = None
    sentences = []
    for metric, entity, threshold, below, what in HEADLINE_THRESHOLDS:
        values = draw_result.values(metric, entity, year)
        unit = draw_result.metrics.units_of[(metric, "Nvidia" if entity == "US firms" else entity)]
        text = None
        if threshold is None:
            if central is None:
                result = run_scenario(draw_result.scenario, draw_result.inputs)
                central = Metrics(result.raw, result.inputs, 1)
            threshold = (sum(central.at(metric, c, year)[0] for c in US_FIRMS) if entity == "US firms"
                         else central.at(metric, entity, year)[0])
            text = f"the central estimate ({number(threshold, unit, digits=PROSE_DIGITS)})"
        sentences.append(probability_sentence(values, threshold, below, what, year, unit, text,
                                              draw_result.weights))
    return sentences
