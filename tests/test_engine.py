"""Engine behaviour at fixed inputs: structure, calibration, scenario validation."""
import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from chokepoint.engine import SHARE_ENTITIES, lever_paths, run_scenario
from chokepoint.params import YEARS, Scenario, ScenarioError, preset_scenario, scenario_from_settings

COMPANIES = ["Nvidia", "AMD", "Intel", "Qualcomm", "Broadcom", "Micron", "Texas Instruments",
             "Applied Materials", "Lam Research", "KLA", "ASML", "Tokyo Electron"]
TOOL_MAKERS = COMPANIES[7:]
DATA = Path(__file__).resolve().parent.parent / "data"


def pick(table, metric, entity):
    rows = table[(table.metric == metric) & (table.entity == entity)].sort_values("year")
    return rows.value.to_numpy()


def data_defaults() -> dict[str, float]:
    """Parameter defaults read straight from data/parameters.csv, not through the loader, so a test that uses them
    checks the engine against the data a reader can open, not against the engine's own copy of it."""
    with open(DATA / "parameters.csv", newline="", encoding="utf-8") as f:
        return {row["name"]: float(row["default"]) for row in csv.DictReader(f)}


def run(ec, sr, inputs, overrides=None):
    return run_scenario(Scenario.create(ec, sr, overrides or {}, inputs), inputs).tidy()


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


def test_2024_reproduces_the_calibration_shares_worked_out_by_hand_from_the_data(inputs):
    """The pivoted logit reproduces the base year exactly: legal and domestic vendors' shares of the legal and
    domestic market; smuggled chips (CNAS's count at the grey price) inside the 2024 spend; nothing unmet.
    Every expected number is worked out here from data/parameters.csv."""
    table = run(50, 50, inputs)
    p = data_defaults()
    vendors = {"Nvidia": "nvidia", "AMD": "amd", "Huawei": "huawei", "Cambricon": "cambricon", "Other domestic": "other"}
    shares = sum(p[f"base_share_{v}_2024"] for v in vendors.values())
    grey = p["grey_units_2024_k"] * p["price_grey_usd_k"] / 1e3  # USD bn
    market = p["budget_2024_usd_bn"] - grey
    for vendor, key in vendors.items():
        expected = p[f"base_share_{key}_2024"] / shares * market
        assert pick(table, "china_spend_usd_bn", vendor)[0] == pytest.approx(expected, rel=1e-9), vendor
    assert pick(table, "china_spend_usd_bn", "Grey market")[0] == pytest.approx(grey, rel=1e-9)
    assert pick(table, "china_units", "Grey market")[0] == pytest.approx(p["grey_units_2024_k"] * 1e3, rel=1e-9)
    assert pick(table, "china_realised_spend_usd_bn", "All")[0] == pytest.approx(p["budget_2024_usd_bn"], rel=1e-9)
    assert pick(table, "china_unmet_demand_usd_bn", "All")[0] == pytest.approx(0.0, abs=1e-9)
    # Nvidia's 2024 China revenue: its data-centre sales there plus its non-data-centre China revenue.
    nvidia = p["base_share_nvidia_2024"] / shares * market + p["nvidia_non_dc_china_2024_usd_bn"]
    assert pick(table, "china_revenue_usd_bn", "Nvidia")[0] == pytest.approx(nvidia, rel=1e-9)


def desired_spend_by_hand(p: dict[str, float]) -> np.ndarray:
    """2024's spend, 2025's budget, then growth at budget_growth to 2028 and budget_growth_after_2028 after."""
    path = [p["budget_2024_usd_bn"], p["budget_2025_usd_bn"]]
    for year in YEARS[2:]:
        path.append(path[-1] * (1 + p["budget_growth" if year <= 2028 else "budget_growth_after_2028"]))
    return np.array(path)


@pytest.mark.parametrize("ec,sr,overrides", [(0, 0, {}), (0, 100, {}), (100, 0, {}), (100, 100, {}), (25, 90, {}),
                                             (63, 17, {"budget_growth": 0.5}), (80, 40, {"budget_growth": 0.15})])
def test_what_is_bought_plus_what_goes_unmet_is_the_desired_spend_in_the_data(inputs, ec, sr, overrides):
    """Legal US sales + domestic sales + smuggled sales + unmet demand = the desired spend, in every year, where
    the desired spend is grown by hand from data/parameters.csv (and the advanced lever, when it is set). Nothing
    is bought beyond the budget (unmet demand never goes negative) and no vendor sells a negative amount."""
    table = run(ec, sr, inputs, overrides)
    desired = desired_spend_by_hand(data_defaults() | overrides)
    np.testing.assert_allclose(pick(table, "china_desired_spend_usd_bn", "All"), desired, rtol=1e-9)
    spend = {v: pick(table, "china_spend_usd_bn", v) for v in SHARE_ENTITIES}
    for vendor, series in spend.items():
        assert (series >= 0).all(), vendor
    unmet = pick(table, "china_unmet_demand_usd_bn", "All")
    assert (unmet >= 0).all()
    np.testing.assert_allclose(sum(spend.values()) + unmet, desired, rtol=1e-9)


def test_demand_goes_unmet_only_when_something_blocks_it(inputs):
    """With neither lever acting from 2027 every buyer is served; with both at the top much of the budget is not."""
    open_market = pick(run(0, 0, inputs), "china_unmet_demand_usd_bn", "All")
    closed = run(100, 100, inputs)
    np.testing.assert_allclose(open_market[3:], 0.0, atol=1e-9)
    desired = pick(closed, "china_desired_spend_usd_bn", "All")
    assert (pick(closed, "china_unmet_demand_usd_bn", "All")[3:] > 0.25 * desired[3:]).all()


def test_the_counterfactual_does_not_move_with_the_sliders(inputs):
    """Revenue at risk is measured against one world (no US controls and no Chinese push in any year): whatever
    the sliders say, each firm's counterfactual China revenue is the same."""
    reference = run(0, 0, inputs)
    for ec, sr, overrides in [(100, 100, {}), (75, 80, {}), (25, 90, {"equipment_controls": 100, "reaction": 100})]:
        table = run(ec, sr, inputs, overrides)
        for company in COMPANIES:
            np.testing.assert_allclose(pick(table, "counterfactual_china_revenue_usd_bn", company),
                                       pick(reference, "counterfactual_china_revenue_usd_bn", company),
                                       rtol=1e-12, err_msg=f"{company} at {ec}/{sr}")


def test_nvidias_china_revenue_is_its_china_chip_sales_plus_a_bounded_non_data_centre_part(inputs):
    p = data_defaults()
    for ec, sr in [(0, 0), (100, 50), (60, 100)]:
        table = run(ec, sr, inputs)
        rest = pick(table, "china_revenue_usd_bn", "Nvidia") - pick(table, "china_spend_usd_bn", "Nvidia")
        assert (rest >= -1e-9).all() and (rest <= p["nvidia_non_dc_china_2024_usd_bn"] + 1e-9).all(), (ec, sr, rest)


@pytest.mark.parametrize("sr", [0, 40, 90])
def test_the_part_due_to_us_controls_grows_with_the_export_controls_lever(inputs, sr):
    steps = [run(ec, sr, inputs) for ec in (0, 25, 50, 75, 100)]
    for company in ("Nvidia", "AMD", "Intel", "ASML"):
        parts = np.array([pick(t, "revenue_at_risk_us_controls_usd_bn", company)[3:] for t in steps])
        assert (np.diff(parts, axis=0) >= -1e-9).all(), (company, parts)
        assert (parts[-1] > parts[0] + 0.5).all(), (company, parts)


@pytest.mark.parametrize("ec", [0, 25, 75])
def test_the_part_due_to_chinas_policy_grows_with_the_push(inputs, ec):
    steps = [run(ec, sr, inputs) for sr in (0, 25, 50, 75, 100)]
    for company in ("Nvidia", "AMD", "Intel"):
        parts = np.array([pick(t, "revenue_at_risk_china_policy_usd_bn", company)[3:] for t in steps])
        assert (np.diff(parts, axis=0) >= -1e-9).all(), (company, parts)
        assert (parts[-1] > parts[0] + 1.0).all(), (company, parts)


def test_a_lever_that_does_not_act_gets_almost_none_of_the_blame(inputs):
    """With US controls at 0 from 2027, revenue at risk is China's policy's doing (tool makers lose nothing to US
    controls at all); with no push, it is US controls' doing once the 2025-26 shocks fade."""
    no_controls, no_push = run(0, 80, inputs), run(100, 0, inputs)
    for company in ("Nvidia", "AMD"):
        us = pick(no_controls, "revenue_at_risk_us_controls_usd_bn", company)[3:]
        china = pick(no_controls, "revenue_at_risk_china_policy_usd_bn", company)[3:]
        assert (np.abs(us) <= 0.05 * china).all(), (company, us, china)
        us = pick(no_push, "revenue_at_risk_us_controls_usd_bn", company)[6:]
        china = pick(no_push, "revenue_at_risk_china_policy_usd_bn", company)[6:]
        assert (np.abs(china) <= 0.05 * us).all(), (company, us, china)
    for company in TOOL_MAKERS:
        np.testing.assert_allclose(pick(no_controls, "revenue_at_risk_us_controls_usd_bn", company)[3:], 0.0,
                                   atol=1e-9, err_msg=company)


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
