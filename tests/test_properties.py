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
