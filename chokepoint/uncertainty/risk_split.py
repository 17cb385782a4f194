"""Attribution: a company's revenue at risk split into US controls alone, China's policy alone and their
interaction."""
from __future__ import annotations

from chokepoint.engine import revenue_at_risk, run_scenario, year_index
from chokepoint.params import ModelInputs, Scenario, ScenarioError


def attribution(scenario: Scenario, inputs: ModelInputs, company: str, year: int) -> dict:
    """A company's revenue at risk (USD bn) = US controls alone + China's policy alone + their interaction.

    us_controls_alone = both_off - push_off (controls on, push off, against neither);
    china_policy_alone = both_off - controls_off; total = both_off - scenario; interaction = the rest.
    """
    i = year_index(year)
    result = run_scenario(scenario, inputs)
    if company not in result.raw["revenue"]:
        raise ScenarioError(f"unknown company {company!r}; known: {', '.join(result.raw['revenue'])}")
    split = revenue_at_risk({company: result.raw["revenue"][company]})[company]
    parts = {k: float(v[0, i]) / 1e9 for k, v in split.items()}
    return dict(company=company, year=int(year), total=parts["total"], us_controls_alone=parts["us_alone"],
                china_policy_alone=parts["china_alone"],
                interaction=parts["total"] - parts["us_alone"] - parts["china_alone"],
                scenario_revenue=parts["scenario"], counterfactual_revenue=parts["counterfactual"])
