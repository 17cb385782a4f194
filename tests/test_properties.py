"""Model invariants over the whole slider space (hypothesis)."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint.engine import run_scenario
from chokepoint.params import Scenario

lever = st.floats(min_value=0, max_value=100, allow_nan=False)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def metric(table, name, entity=None):
    rows = table[table.metric == name]
    if entity is not None:
        rows = rows[rows.entity == entity]
    return rows.pivot_table(index="year", columns="entity", values="value").sort_index()


@SETTINGS
@given(ec=lever, sr=lever, reaction=st.floats(0, 100))
def test_shares_are_fractions_summing_to_one_and_nothing_is_negative(inputs, ec, sr, reaction):
    table = run_scenario(Scenario.create(ec, sr, {"reaction": reaction}, inputs), inputs).tidy()
    shares = metric(table, "china_share_value")
    assert ((shares >= 0) & (shares <= 1)).all().all()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-9)
    for name in ("china_units", "china_revenue_usd_bn", "china_spend_usd_bn", "china_unmet_demand_usd_bn"):
        assert (metric(table, name).to_numpy() >= -1e-9).all(), name
    # Documented gaps only: % of revenue where a firm's total revenue is not sourced, HBM cap in 2024.
    gaps = table[~np.isfinite(table.value)]
    assert set(gaps.metric) <= {"revenue_at_risk_pct_of_revenue", "domestic_hbm_capacity_units",
                                "domestic_capacity_units"}
    assert set(gaps[gaps.metric != "revenue_at_risk_pct_of_revenue"].year) <= {2024}
    assert set(gaps[gaps.metric == "revenue_at_risk_pct_of_revenue"].entity) <= {"Broadcom", "Texas Instruments"}


@SETTINGS
@given(ec=lever, sr=lever, step=st.floats(min_value=0.5, max_value=100))
def test_stricter_controls_never_help_us_vendors(inputs, ec, sr, step):
    stricter = min(100.0, ec + step)
    loose = run_scenario(Scenario.create(ec, sr, inputs=inputs), inputs).tidy()
    tight = run_scenario(Scenario.create(stricter, sr, inputs=inputs), inputs).tidy()
    for vendor in ("Nvidia", "AMD"):
        assert (metric(tight, "china_spend_usd_bn", vendor).to_numpy()
                <= metric(loose, "china_spend_usd_bn", vendor).to_numpy() + 1e-9).all()
    assert (metric(tight, "us_legal_share_of_demand").to_numpy()
            <= metric(loose, "us_legal_share_of_demand").to_numpy() + 1e-12).all()
    assert (metric(tight, "revenue_at_risk_usd_bn", "Nvidia").to_numpy()
            >= metric(loose, "revenue_at_risk_usd_bn", "Nvidia").to_numpy() - 1e-9).all()


@SETTINGS
@given(ec=lever, sr=lever, step=st.floats(min_value=0.5, max_value=100))
def test_stronger_push_never_lowers_the_domestic_share(inputs, ec, sr, step):
    weaker = run_scenario(Scenario.create(ec, sr, inputs=inputs), inputs).tidy()
    stronger = run_scenario(Scenario.create(ec, min(100.0, sr + step), inputs=inputs), inputs).tidy()
    assert (metric(stronger, "domestic_share_value").to_numpy()
            >= metric(weaker, "domestic_share_value").to_numpy() - 1e-9).all()


# --- Model 2: every lever, advanced ones included ----------------------------------------------------------

from chokepoint.engine import SHARE_ENTITIES, parameter_arrays, simulate, stack_runs, Metrics  # noqa: E402
from chokepoint.params import YEARS  # noqa: E402

ADVANCED = st.fixed_dictionaries({}, optional={
    "chip_controls": lever, "equipment_controls": lever, "hbm_controls": lever, "enforcement": lever,
    "reaction": lever})


def _metrics(inputs, scenario):
    params = parameter_arrays(inputs, dict(scenario.overrides), 4)
    return Metrics(simulate(stack_runs(scenario, inputs), params, inputs), inputs, 1)


@SETTINGS
@given(ec=lever, sr=lever, advanced=ADVANCED)
def test_accounts_and_bounds_hold_at_any_setting_of_every_lever(inputs, ec, sr, advanced):
    m = _metrics(inputs, Scenario.create(ec, sr, advanced, inputs))
    parts = sum(m.get("china_spend_usd_bn", e)[0] for e in SHARE_ENTITIES) + m.get("china_unmet_demand_usd_bn", "All")[0]
    np.testing.assert_allclose(parts, m.get("china_desired_spend_usd_bn", "All")[0], rtol=1e-9)
    assert (m.get("china_unmet_demand_usd_bn", "All")[0] >= -1e-9).all()
    ceiling = inputs.parameters["grey_ceiling_k"].default * 1e3
    assert (m.get("china_units", "Grey market")[0] <= ceiling + 1e-6).all()
    for entity in SHARE_ENTITIES:
        share = m.get("china_share_value", entity)[0]
        assert ((share >= -1e-12) & (share <= 1 + 1e-12)).all()


@SETTINGS
@given(ec=lever, sr=lever, advanced=ADVANCED, name=st.sampled_from(["chip_controls", "self_reliance"]),
       step=st.floats(min_value=0.5, max_value=100))
def test_each_lever_moves_its_output_one_way(inputs, ec, sr, advanced, name, step):
    """Chip controls never raise US vendors' legal sales; the push never lowers domestic output or share."""
    def build(value):
        if name == "self_reliance":
            return Scenario.create(ec, value, advanced, inputs)
        return Scenario.create(ec, sr, {**advanced, name: value}, inputs)
    start = sr if name == "self_reliance" else advanced.get(name, ec)
    low, high = _metrics(inputs, build(start)), _metrics(inputs, build(min(100.0, start + step)))
    if name == "chip_controls":
        for vendor in ("Nvidia", "AMD"):
            assert (high.get("china_spend_usd_bn", vendor)[0] <= low.get("china_spend_usd_bn", vendor)[0] + 1e-9).all()
    else:
        assert (high.get("domestic_share_value", "Domestic (all)")[0]
                >= low.get("domestic_share_value", "Domestic (all)")[0] - 1e-9).all()
        assert (high.get("domestic_capacity_units", "Domestic (all)")[0][1:]
                >= low.get("domestic_capacity_units", "Domestic (all)")[0][1:] - 1e-6).all()


@SETTINGS
@given(ec=st.floats(0, 99), sr=st.floats(0, 99), advanced=ADVANCED,
       name=st.sampled_from(["export_controls", "self_reliance", "chip_controls", "equipment_controls",
                             "hbm_controls", "enforcement"]))
def test_no_jump_between_neighbouring_lever_points(inputs, ec, sr, advanced, name):
    """One lever point moves no vendor's slice of desired spend by more than the ladder explains (6 points)."""
    def build(delta):
        settings = {"export_controls": ec, "self_reliance": sr, **advanced}
        base = settings.get(name, ec)
        settings[name] = min(100.0, base + delta)
        return Scenario.create(settings.pop("export_controls"), settings.pop("self_reliance"), settings, inputs)
    a, b = _metrics(inputs, build(0.0)), _metrics(inputs, build(1.0))
    desired = a.get("china_desired_spend_usd_bn", "All")[0]
    for entity in SHARE_ENTITIES:
        move = np.abs(b.get("china_spend_usd_bn", entity)[0] - a.get("china_spend_usd_bn", entity)[0]) / desired
        assert move.max() <= 0.06, (entity, move.max())
    assert len(desired) == len(YEARS)
