"""Engine behaviour at fixed inputs: structure, calibration, scenario validation."""
import dataclasses

import numpy as np
import pytest

from chokepoint.engine import SHARE_ENTITIES, lever_paths, run_scenario
from chokepoint.params import YEARS, Scenario, ScenarioError, preset_scenario, scenario_from_settings

COMPANIES = ["Nvidia", "AMD", "Intel", "Qualcomm", "Broadcom", "Micron", "Texas Instruments",
             "Applied Materials", "Lam Research", "KLA", "ASML", "Tokyo Electron"]


def pick(table, metric, entity):
    rows = table[(table.metric == metric) & (table.entity == entity)].sort_values("year")
    return rows.value.to_numpy()


def test_tidy_table_has_every_required_metric(inputs):
    table = run_scenario(Scenario.create(80, 60, inputs=inputs), inputs).tidy()
    assert list(table.columns) == ["scenario", "year", "metric", "entity", "value", "unit"]
    assert sorted(table.year.unique()) == list(YEARS)
    for entity in SHARE_ENTITIES:
        assert len(pick(table, "china_share_value", entity)) == len(YEARS)
        assert len(pick(table, "china_units", entity)) == len(YEARS)
    for metric in ("china_revenue_usd_bn", "revenue_at_risk_usd_bn", "revenue_at_risk_us_controls_usd_bn",
                   "revenue_at_risk_china_policy_usd_bn", "revenue_at_risk_pct_of_revenue"):
        assert set(COMPANIES) <= set(table[table.metric == metric].entity), metric
    assert len(pick(table, "china_unmet_demand_usd_bn", "All")) == len(YEARS)
    assert len(pick(table, "global_share_value", "Nvidia")) == len(YEARS)


def test_same_inputs_same_numbers(inputs):
    a = run_scenario(Scenario.create(63.5, 71, inputs=inputs), inputs).tidy()
    b = run_scenario(Scenario.create(63.5, 71, inputs=inputs), inputs).tidy()
    assert a.equals(b)


def test_history_years_do_not_move_with_the_sliders(inputs):
    low = run_scenario(Scenario.create(0, 0, inputs=inputs), inputs).tidy()
    high = run_scenario(Scenario.create(100, 100, inputs=inputs), inputs).tidy()
    share = lambda t, y: t[(t.metric == "china_share_value") & (t.year == y)].value.to_numpy()
    np.testing.assert_allclose(share(low, 2024), share(high, 2024))
    np.testing.assert_allclose(share(low, 2025), share(high, 2025))
    np.testing.assert_allclose(share(low, 2026), share(high, 2026))
    assert not np.allclose(share(low, 2027), share(high, 2027))


def test_2024_reproduces_the_calibration_shares(inputs):
    """The pivoted logit reproduces the base year exactly: legal and domestic vendors' shares of the legal and
    domestic market; smuggled chips (CNAS's count at the grey price) inside the 2024 spend; nothing unmet."""
    table = run_scenario(Scenario.create(inputs=inputs), inputs).tidy()
    spend = {v: pick(table, "china_spend_usd_bn", v)[0] for v in ("Nvidia", "AMD", "Huawei", "Cambricon", "Other domestic")}
    total = sum(spend.values())
    p = {name: par.default for name, par in inputs.parameters.items()}
    shares = sum(p[f"base_share_{v}_2024"] for v in ("nvidia", "amd", "huawei", "cambricon", "other"))
    assert spend["Nvidia"] / total == pytest.approx(p["base_share_nvidia_2024"] / shares, rel=1e-9)
    assert spend["Huawei"] / total == pytest.approx(p["base_share_huawei_2024"] / shares, rel=1e-9)
    grey = pick(table, "china_spend_usd_bn", "Grey market")[0]
    assert grey == pytest.approx(p["grey_units_2024_k"] * p["price_grey_usd_k"] / 1e3)
    assert total + grey == pytest.approx(p["budget_2024_usd_bn"])
    assert pick(table, "china_unmet_demand_usd_bn", "All")[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("ec,sr", [(0, 0), (0, 100), (100, 0), (100, 100), (25, 90), (63, 17)])
def test_one_set_of_accounts(inputs, ec, sr):
    """Desired spend = legal US sales + domestic sales + smuggled sales + unmet demand, in every year."""
    table = run_scenario(Scenario.create(ec, sr, inputs=inputs), inputs).tidy()
    parts = sum(pick(table, "china_spend_usd_bn", v) for v in SHARE_ENTITIES)
    np.testing.assert_allclose(parts + pick(table, "china_unmet_demand_usd_bn", "All"),
                               pick(table, "china_desired_spend_usd_bn", "All"), rtol=1e-9)
    np.testing.assert_allclose(parts, pick(table, "china_realised_spend_usd_bn", "All"), rtol=1e-9)


def test_revenue_at_risk_parts_add_up(inputs):
    table = run_scenario(Scenario.create(75, 80, inputs=inputs), inputs).tidy()
    for company in COMPANIES:
        total = pick(table, "revenue_at_risk_usd_bn", company)
        parts = pick(table, "revenue_at_risk_us_controls_usd_bn", company) + pick(
            table, "revenue_at_risk_china_policy_usd_bn", company)
        np.testing.assert_allclose(total, parts, atol=1e-9)
        np.testing.assert_allclose(
            total, pick(table, "counterfactual_china_revenue_usd_bn", company) - pick(table, "china_revenue_usd_bn", company),
            atol=1e-9)


def test_no_controls_counterfactual_has_no_revenue_at_risk_once_the_sliders_act(inputs):
    """From 2027 the preset is the counterfactual; only the 2024-26 history (its mandate, which unwinds halfway
    a year, and its installed base) separates them, and that legacy fades. 2025-26 carry the recorded shocks."""
    table = run_scenario(preset_scenario("No-controls counterfactual", inputs), inputs).tidy()
    hawkish = run_scenario(preset_scenario("Both sides hawkish", inputs), inputs).tidy()
    for company in COMPANIES:
        risk, hawk = pick(table, "revenue_at_risk_usd_bn", company), pick(hawkish, "revenue_at_risk_usd_bn", company)
        assert (np.abs(risk[3:]) <= 0.25 * np.abs(hawk[3:]) + 1e-9).all(), company
        # Designers' losses fade; tools bought from domestic makers in 2025-26 stay bought (substitution does not
        # reverse), so equipment makers keep part of theirs.
        fade = 0.05 if company in COMPANIES[:7] else 0.15
        assert (np.abs(risk[5:]) <= fade * np.abs(hawk[5:]) + 1e-9).all(), company
    assert pick(table, "revenue_at_risk_usd_bn", "Nvidia")[1] > 5


def test_total_ban_stops_legal_us_sales_from_2027_and_smuggling_stays_a_bounded_leak(inputs):
    table = run_scenario(Scenario.create(100, 50, inputs=inputs), inputs).tidy()
    nvidia = pick(table, "china_spend_usd_bn", "Nvidia")
    assert nvidia[0] > 5 and nvidia[2] > 0 and np.allclose(nvidia[3:], 0.0)
    p = {name: par.default for name, par in inputs.parameters.items()}
    ceiling = p["grey_ceiling_k"] * 1e3 * (1 - p["enforcement_effect"])  # full enforcement at the top rung
    grey = pick(table, "china_units", "Grey market")
    assert (grey[3:] > 0).all() and (grey[3:] <= ceiling + 1e-6).all()
    assert (pick(table, "china_share_value", "Grey market")[3:] < 0.25).all()


def test_advanced_override_changes_only_what_it_should(inputs):
    base = run_scenario(Scenario.create(60, 60, inputs=inputs), inputs).tidy()
    tools = run_scenario(Scenario.create(60, 60, {"equipment_controls": 100}, inputs), inputs).tidy()
    tools_wafers, base_wafers = pick(tools, "advanced_wafers_kwpm", "SMIC"), pick(base, "advanced_wafers_kwpm", "SMIC")
    np.testing.assert_allclose(tools_wafers[:3], base_wafers[:3])  # history does not move
    assert (tools_wafers[3:] <= base_wafers[3:] + 1e-9).all() and tools_wafers[3] < base_wafers[3]
    assert (pick(tools, "revenue_at_risk_usd_bn", "ASML")[3:] > pick(base, "revenue_at_risk_usd_bn", "ASML")[3:]).all()
    faster = run_scenario(Scenario.create(60, 60, {"budget_growth": 0.5}, inputs), inputs).tidy()
    assert pick(faster, "china_desired_spend_usd_bn", "All")[-1] > pick(base, "china_desired_spend_usd_bn", "All")[-1]


def test_china_reacts_to_us_controls_only_where_there_are_controls(inputs):
    """`reaction` raises China's push in step with chip controls. The no-US-controls run behind the revenue-at-risk
    split must not carry that boost, or the reaction would be credited to China's policy instead of US controls."""
    plain = Scenario.create(90, 40, inputs=inputs)
    reacting = Scenario.create(90, 40, {"reaction": 100}, inputs)
    assert (lever_paths(reacting, inputs)["self_reliance"][3:] > lever_paths(plain, inputs)["self_reliance"][3:]).all()
    np.testing.assert_array_equal(lever_paths(reacting, inputs)["self_reliance"][:3],
                                  lever_paths(plain, inputs)["self_reliance"][:3])
    np.testing.assert_array_equal(lever_paths(reacting, inputs, controls_off=True)["self_reliance"],
                                  lever_paths(plain, inputs, controls_off=True)["self_reliance"])


@pytest.mark.parametrize("kwargs,message", [
    (dict(export_controls=101), "export_controls must be between 0 and 100, got 101"),
    (dict(self_reliance=-1), "self_reliance must be between 0 and 100"),
    (dict(export_controls="high"), "export_controls must be a number between 0 and 100"),
    (dict(export_controls=float("nan")), "export_controls must be a finite number"),
    (dict(overrides={"budget_growth": 2}), "budget_growth must be between 0.15 and 0.55, got 2"),
    (dict(overrides={"hbm_controls": 150}), "hbm_controls must be between 0 and 100"),
    (dict(overrides={"warp_speed": 1}), "unknown parameter 'warp_speed'"),
])
def test_invalid_scenarios_are_rejected_with_name_and_range(inputs, kwargs, message):
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(")):
        Scenario.create(inputs=inputs, **kwargs)


def test_scenario_is_immutable_and_canonical(inputs):
    scenario = scenario_from_settings({"self_reliance": "70", "export_controls": "40", "reaction": "10",
                                       "budget_growth": "0.3"}, inputs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.export_controls = 1
    assert scenario.settings() == {"export_controls": 40.0, "self_reliance": 70.0, "budget_growth": 0.3, "reaction": 10.0}
    assert scenario == scenario_from_settings({"budget_growth": 0.3, "reaction": 10, "export_controls": 40,
                                               "self_reliance": 70}, inputs)
