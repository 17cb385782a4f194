"""Monte Carlo bands, drivers (tornado), attribution and goal-seek: the chokepoint.uncertainty package."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint import uncertainty as unc
from chokepoint.engine import (US_FIRMS, LeverPaths, Result, lever_paths, parameter_arrays, run_scenario, simulate,
                               stack_runs, year_index)
from chokepoint.formatting import number
from chokepoint.params import YEARS, Scenario, ScenarioError, preset_scenario

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
KEY_ROWS = [("china_share_value", e) for e in ("Nvidia", "AMD", "Huawei", "Cambricon", "Other domestic",
                                               "Grey market")] + \
    [("domestic_share_value", "Domestic (all)"), ("china_units", "Huawei"), ("china_units", "Domestic (all)"),
     ("china_unmet_demand_usd_bn", "All"), ("global_share_value", "Nvidia"), ("china_revenue_usd_bn", "Nvidia"),
     ("revenue_at_risk_usd_bn", "Nvidia"), ("revenue_at_risk_usd_bn", "Applied Materials"),
     ("revenue_at_risk_usd_bn", "US chip designers")]
COMPANIES = ["Nvidia", "AMD", "Intel", "Qualcomm", "Broadcom", "Micron", "Texas Instruments",
             "Applied Materials", "Lam Research", "KLA", "ASML", "Tokyo Electron"]
levers = st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1))


def pick(table, metric, entity, year):
    rows = table[(table.metric == metric) & (table.entity == entity) & (table.year == year)]
    assert len(rows) == 1, (metric, entity, year)
    return rows.iloc[0]


def engine_value(scenario, inputs, metric, entity, year, overrides=None):
    """The tidy-table value from a plain engine run (no code from chokepoint.uncertainty)."""
    params = parameter_arrays(inputs, {**dict(scenario.overrides), **(overrides or {})}, 4)
    raw = simulate(stack_runs(scenario, inputs), params, inputs)
    return pick(Result(scenario, raw, inputs).tidy(), metric, entity, year).value


def key_bands(table):
    keys = pd.DataFrame(KEY_ROWS, columns=["metric", "entity"])
    return table.merge(keys, on=["metric", "entity"])


# ------------------------------------------------------------------------------------------- band rows

def plain_tidy(scenario, inputs, params=None):
    """The tidy table of one plain engine run (4 rows: the scenario and its counterfactuals) at `params`
    (default: the parameter defaults plus the scenario's overrides); no code from chokepoint.uncertainty."""
    params = params or {k: v[0] for k, v in parameter_arrays(inputs, dict(scenario.overrides), 1).items()}
    arrays = {name: np.full(4, float(value)) for name, value in params.items()}
    return Result(scenario, simulate(stack_runs(scenario, inputs), arrays, inputs), inputs).tidy()


@pytest.mark.parametrize("ec,sr,condition", [(25, 90, True), (63.5, 17, False), (100, 100, True)])
def test_every_band_row_is_a_quantile_of_separate_engine_runs(inputs, ec, sr, condition):
    """Each draw run on its own through the plain engine, and each row of the band table recomputed by hand:
    the value is the deterministic run's, the quantiles that row's (weighted) quantiles over the separate runs.
    Catches a band taken from the wrong row, year, draw or run block, or a wrong interpolation."""
    scenario = Scenario.create(ec, sr, inputs=inputs)
    draws = unc.run_draws(scenario, inputs, 40, seed=5, condition=condition)
    assert draws.conditioned == condition
    central = plain_tidy(scenario, inputs)
    runs = [plain_tidy(scenario, inputs, {name: v[k] for name, v in draws.params.items()}) for k in range(40)]
    per_draw = np.stack([run.value.to_numpy() for run in runs], axis=1)  # (rows, draws)
    table = unc.band_table(draws)
    columns = ["year", "metric", "entity", "unit"]
    pd.testing.assert_frame_equal(table[columns], central[columns])
    np.testing.assert_array_equal(table.value.to_numpy(), central.value.to_numpy())
    if condition:
        weights = draws.weights
        assert weights.std() > 0 and draws.effective > 3
        expected = np.array([[reference_weighted_quantile(row, weights, q) for q in unc.QUANTILES]
                             for row in per_draw])
    else:
        expected = np.percentile(per_draw, unc.QUANTILES, axis=1).T
    expected[np.isnan(per_draw).any(axis=1)] = np.nan  # a row with an empty draw has no band
    got = table[list(unc.QUANTILE_COLUMNS)].to_numpy(float)
    assert np.isfinite(expected).sum() > 0.9 * expected.size
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_band_table_has_the_required_rows_and_ordered_quantiles(inputs):
    scenario = Scenario.create(inputs=inputs)
    tidy = run_scenario(scenario, inputs).tidy()
    table = unc.band_table(unc.run_draws(scenario, inputs, 300), tidy)
    assert list(table.columns) == ["year", "metric", "entity", "unit", "value", "p5", "p25", "p50", "p75", "p95"]
    assert len(table) == len(tidy)
    np.testing.assert_array_equal(table.value.to_numpy(), tidy.value.to_numpy())
    for metric, entity in KEY_ROWS + [("china_units", e) for e in ("Nvidia", "AMD", "Cambricon", "Grey market")]:
        for year in YEARS:
            assert not np.isnan(pick(table, metric, entity, year).p5), (metric, entity, year)
    banded = table.dropna(subset=["p5"])
    q = banded[["p5", "p25", "p50", "p75", "p95"]].to_numpy()
    assert (np.diff(q, axis=1) >= -1e-12).all()
    # 2024 is calibrated: domestic supply had no binding limit, so the value is empty and so is the band.
    capacity_2024 = pick(table, "domestic_capacity_units", "Domestic (all)", 2024)
    assert np.isnan(capacity_2024.value) and np.isnan(capacity_2024[list(unc.QUANTILE_COLUMNS)].astype(float)).all()


def test_unconditioned_quantiles_match_numpy_percentile(inputs):
    draws = unc.run_draws(Scenario.create(70, 40, inputs=inputs), inputs, 257, condition=False)
    assert not draws.conditioned and draws.effective == 257
    table = unc.band_table(draws)
    for metric, entity in KEY_ROWS:
        values = draws.values(metric, entity, 2028)
        expected = np.percentile(values, unc.QUANTILES)
        row = pick(table, metric, entity, 2028)
        np.testing.assert_allclose(row[list(unc.QUANTILE_COLUMNS)].to_numpy(float), expected, rtol=1e-12, atol=1e-12)


def reference_weighted_quantile(values, weights, percent):
    """One weighted quantile, written out plainly: each sorted value at the middle of its weight."""
    order = np.argsort(values)
    x, w = values[order], weights[order] / weights.sum()
    position = np.cumsum(w) - w / 2
    p = percent / 100
    if p <= position[0]:
        return x[0]
    if p >= position[-1]:
        return x[-1]
    k = int(np.searchsorted(position, p, side="right"))
    return x[k - 1] + (p - position[k - 1]) / (position[k] - position[k - 1]) * (x[k] - x[k - 1])


def test_conditioned_quantiles_are_weighted_quantiles(inputs):
    draws = unc.run_draws(Scenario.create(70, 40, inputs=inputs), inputs, 257)
    assert draws.conditioned and draws.weights.std() > 0
    table = unc.band_table(draws)
    for metric, entity in KEY_ROWS:
        values = draws.values(metric, entity, 2028)
        expected = [reference_weighted_quantile(values, draws.weights, q) for q in unc.QUANTILES]
        row = pick(table, metric, entity, 2028)
        # The band table leaves out the draws carrying the last 0.1% of weight (see the test below).
        width = expected[-1] - expected[0]
        np.testing.assert_allclose(row[list(unc.QUANTILE_COLUMNS)].to_numpy(float), expected, rtol=0,
                                   atol=0.02 * width + 1e-12)
        np.testing.assert_allclose(draws.quantiles(metric, entity, 2028), expected, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(n=st.integers(1, 60), seed=st.integers(0, 1000))
def test_weighted_quantiles_reduce_to_the_midpoint_rule_and_follow_the_weights(n, seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(3, n))
    values[1, rng.integers(n)] = np.nan  # a series with a NaN has no band
    equal = unc.weighted_quantiles(values, np.full(n, 1.0 / n))
    np.testing.assert_allclose(equal[:, [0, 2]], np.percentile(values[[0, 2]], unc.QUANTILES, axis=-1,
                                                                 method="hazen"), rtol=1e-12, atol=1e-12)
    assert np.isnan(equal[:, 1]).all()
    weights = rng.random(n) ** 4
    weighted = unc.weighted_quantiles(values, weights)
    for k, q in enumerate(unc.QUANTILES):
        assert weighted[k, 0] == pytest.approx(reference_weighted_quantile(values[0], weights, q), rel=1e-12, abs=1e-12)


# ----------------------------------------------------------------------------------------------- bands

def assert_contains(table, low="p5", high="p95"):
    tol = 1e-9 * np.maximum(1.0, table.value.abs())
    outside = table[(table.value < table[low] - tol) | (table.value > table[high] + tol)]
    assert outside.empty, outside[["year", "metric", "entity", "value", low, high]].head().to_string()


@pytest.mark.parametrize("preset", ["No-controls counterfactual", "2024 regime frozen", "As announced for 2026",
                                    "Both sides hawkish", "Détente"])
def test_p5_p95_bands_contain_the_deterministic_run_for_the_presets(inputs, preset):
    """The deterministic run is at the modes, not the medians; it still sits inside P5-P95 for every row."""
    scenario = preset_scenario(preset, inputs)
    table = unc.band_table(unc.run_draws(scenario, inputs, 1000), run_scenario(scenario, inputs).tidy())
    assert_contains(table.dropna(subset=["p5"]))


@SETTINGS
@given(ec=levers, sr=levers, reaction=st.sampled_from([None, 0.0, 60.0]))
def test_p5_p95_bands_contain_the_deterministic_run(inputs, ec, sr, reaction):
    scenario = Scenario.create(ec, sr, {} if reaction is None else {"reaction": reaction}, inputs=inputs)
    table = unc.band_table(unc.run_draws(scenario, inputs, 1000), run_scenario(scenario, inputs).tidy())
    assert_contains(key_bands(table))


def test_bands_widen_when_ranges_widen(inputs):
    scenario = Scenario.create(60, 70, inputs=inputs)
    tidy = run_scenario(scenario, inputs).tidy()
    narrow = key_bands(unc.band_table(unc.run_draws(scenario, inputs, 1000, widen=1.0), tidy))
    wide = key_bands(unc.band_table(unc.run_draws(scenario, inputs, 1000, widen=2.0), tidy))
    narrow_width, wide_width = narrow.p95 - narrow.p5, wide.p95 - wide.p5
    moving = (narrow.year >= 2026) & (narrow_width > 1e-9)
    assert moving.sum() > 60
    assert (wide_width[moving] > narrow_width[moving]).all()
    half = key_bands(unc.band_table(unc.run_draws(scenario, inputs, 1000, widen=0.5), tidy))
    assert ((half.p95 - half.p5)[moving] < narrow_width[moving]).all()


def test_same_seed_same_bands_and_the_default_seed_follows_the_scenario(inputs):
    scenario = Scenario.create(42, 58, {"budget_growth": 0.3}, inputs=inputs)
    a = unc.band_table(unc.run_draws(scenario, inputs, 400))
    b = unc.band_table(unc.run_draws(Scenario.create(42, 58, {"budget_growth": 0.3}, inputs=inputs, name="x"),
                                     inputs, 400))
    pd.testing.assert_frame_equal(a, b)
    c = unc.band_table(unc.run_draws(scenario, inputs, 400, seed=unc.scenario_seed(scenario)))
    pd.testing.assert_frame_equal(a, c)
    d = unc.band_table(unc.run_draws(scenario, inputs, 400, seed=1))
    assert not np.allclose(a.p50.dropna(), d.p50.dropna())


@settings(max_examples=50, deadline=None)
@given(a=st.tuples(levers, levers), b=st.tuples(levers, levers))
def test_different_scenarios_get_different_seeds(a, b):
    sa, sb = Scenario(*a), Scenario(*b)
    assert unc.scenario_seed(sa) == unc.scenario_seed(Scenario(*a, name="named"))
    assert 0 <= unc.scenario_seed(sa) < 2 ** 63
    if a != b:
        assert unc.scenario_seed(sa) != unc.scenario_seed(sb)
    assert unc.scenario_seed(sa) != unc.scenario_seed(Scenario(*a, overrides=(("reaction", 10.0),)))


def test_draw_blocks_line_up_with_separate_engine_runs(inputs):
    """run_draws tiles the draws in stack_runs' block order: draw k equals a plain run at its parameters."""
    scenario = Scenario.create(75, 80, inputs=inputs)
    draws = unc.run_draws(scenario, inputs, 50, seed=3)
    for k in (0, 17, 49):
        params = {name: np.full(4, values[k]) for name, values in draws.params.items()}
        table = Result(scenario, simulate(stack_runs(scenario, inputs), params, inputs), inputs).tidy()
        for metric, entity in KEY_ROWS:
            expected = pick(table, metric, entity, 2029).value
            assert draws.values(metric, entity, 2029)[k] == pytest.approx(expected, rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------------------------------- conditioning

NVIDIA_2024 = ("china_revenue_usd_bn", "Nvidia", 2024)


def calibration_band(database, target_id):
    from chokepoint.validation import calibration_targets
    table = calibration_targets(database)
    row = table[table.target_id == target_id].iloc[0]
    return float(row.low), float(row.high)


@pytest.mark.parametrize("draws", [1, 2, 50, 1000])
def test_weights_sum_to_one_and_the_effective_number_is_between_1_and_n(inputs, draws):
    result = unc.run_draws(Scenario.create(inputs=inputs), inputs, draws)
    assert result.conditioned and result.targets == 8 and result.target_years == (2024, 2026)
    assert result.weights.shape == (draws,) and (result.weights >= 0).all()
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert 1.0 - 1e-9 <= result.ess <= draws + 1e-9
    assert result.ess == pytest.approx(unc.effective_draws(result.weights), rel=1e-12)
    # tempering only ever raises the effective number, up to the floor
    assert result.ess_untempered <= result.ess + 1e-9
    if result.tempering < 1.0:
        assert result.ess == pytest.approx(max(1.0, unc.CONDITIONING_FLOOR * draws), rel=1e-3)


def test_a_thousand_draws_keep_at_least_the_floor_effective_and_say_so(inputs):
    result = unc.run_draws(Scenario.create(inputs=inputs), inputs, 1000)
    assert result.ess >= 100 - 1e-6
    assert result.ess_untempered < result.ess and result.tempering < 1  # eight targets at full weight: ~50
    sentence = result.conditioning_sentence()
    assert "8 calibration targets" in sentence and f"{result.effective:,.0f} of the 1,000 are effective" in sentence
    assert "tempered" in sentence


def test_calibration_weights_follow_the_scores():
    scores = np.array([0.0, -0.5, -2.0, -np.inf])
    weights = unc.calibration_weights(scores, floor=0.0)
    assert weights.tempering == 1.0 and weights.weights[-1] == 0.0
    np.testing.assert_allclose(weights.weights[:3] / weights.weights[0], np.exp(scores[:3]))
    one_good = np.r_[0.0, np.full(99, -50.0)]
    tempered = unc.calibration_weights(one_good, floor=0.2)
    assert tempered.ess_untempered == pytest.approx(1.0) and tempered.ess == pytest.approx(20.0, rel=1e-4)
    assert 0 < tempered.tempering < 1 and np.argmax(tempered.weights) == 0


def test_a_central_target_scores_around_its_value_and_a_bound_target_flat_inside_its_band():
    table = pd.DataFrame({"metric": ["m", "m"], "entity": ["e", "e"], "year": [2024, 2025], "base_year": [None, None],
                          "published_value": [17.0, 0.5], "low": [14.0, 0.15], "high": [22.0, 0.5]})
    targets = unc.CalibrationTargets.from_table(table)
    assert list(targets.bound) == [False, True] and targets.centre[0] == 17.0
    scores = targets.log_likelihood(np.array([[17.0, 0.2], [19.0, 0.45], [13.0, 0.6]]))
    assert scores[0] == 0.0  # on the published value, and anywhere inside the bound target's band
    assert scores[1] == pytest.approx(-0.5 * (2.0 / 2.0) ** 2)  # sigma = (22 - 14) / 4
    assert scores[2] == pytest.approx(-0.5 * ((4.0 / 2.0) ** 2 + (0.1 / 0.0875) ** 2))
    assert targets.log_likelihood(np.array([[np.nan, 0.2]]))[0] == -np.inf


@pytest.mark.parametrize("preset", ["As announced for 2026", "Both sides hawkish", "No-controls counterfactual"])
def test_2024_bands_lie_within_the_sources_spread_and_are_narrower_than_unconditioned(inputs, database, preset):
    """Nvidia's 2024 China revenue is a calibration target (14.45-19.55): conditioned on it, the P5-P95 band
    lies inside that spread; the unconditioned draws spill outside it."""
    low, high = calibration_band(database, "nvidia_china_revenue_fy2025")
    scenario = preset_scenario(preset, inputs)
    for seed in (None, 1, 2):
        conditioned = unc.run_draws(scenario, inputs, 1000, seed=seed)
        plain = unc.run_draws(scenario, inputs, 1000, seed=seed, condition=False)
        p5, p95 = conditioned.quantiles(*NVIDIA_2024, (5, 95))
        u5, u95 = plain.quantiles(*NVIDIA_2024, (5, 95))
        assert low <= p5 < p95 <= high, (seed, p5, p95)
        assert u5 < low  # without conditioning the band is wider than the sources allow
        assert p95 - p5 < 0.85 * (u95 - u5), (seed, p5, p95, u5, u95)


def relative_width(draws, metric, entity, year):
    p5, p50, p95 = draws.quantiles(metric, entity, year, (5, 50, 95))
    return (p95 - p5) / abs(p50)


@pytest.mark.parametrize("metric,entity,known", [("china_revenue_usd_bn", "Nvidia", 2024),
                                                 ("china_units", "Domestic (all)", 2025),
                                                 ("china_units", "Cambricon", 2025),
                                                 ("china_spend_usd_bn", "Nvidia", 2025)])
def test_bands_are_tight_where_the_past_is_known_and_wider_later(inputs, metric, entity, known):
    draws = unc.run_draws(Scenario.create(inputs=inputs), inputs, 1000)
    plain = unc.run_draws(Scenario.create(inputs=inputs), inputs, 1000, condition=False)
    tight = relative_width(draws, metric, entity, known)
    assert tight < relative_width(plain, metric, entity, known)
    for year in range(2027, YEARS[-1] + 1):
        assert relative_width(draws, metric, entity, year) > tight, year


def test_conditioned_draws_reproduce_the_calibration_targets_more_often(inputs, database):
    from chokepoint.validation import calibration_targets, target_values

    table = calibration_targets(database)
    draws = unc.run_draws(Scenario.create(inputs=inputs), inputs, 1000)
    values = target_values(draws.metrics, table)
    inside = (values >= table.low.to_numpy()) & (values <= table.high.to_numpy())
    all_inside = inside.all(axis=1)
    assert draws.share(all_inside) > 2 * all_inside.mean()
    for k in range(len(table)):
        assert draws.share(inside[:, k]) >= inside[:, k].mean() - 0.02, table.target_id[k]


def test_headline_probabilities_are_weighted_shares(inputs):
    draws = unc.run_draws(Scenario.create(inputs=inputs), inputs, 1000)
    values = draws.values("china_units", "Huawei", 2028)
    sentence = unc.headline_probabilities(draws, 2028)[2]
    weighted = unc.probability_sentence(values, 1e6, False, "x", 2028, "units", weights=draws.weights)
    assert weighted.split(" x ")[0] == sentence.split(" the number")[0]


def test_resampling_follows_the_weights(inputs):
    draws = unc.run_draws(Scenario.create(inputs=inputs), inputs, 1000)
    picks = draws.resample(5000)
    counts = np.bincount(picks, minlength=1000) / 5000
    assert np.abs(counts - draws.weights).max() < 1.5 / 5000 + 1e-12  # systematic: within one pick of its share
    np.testing.assert_array_equal(picks, draws.resample(5000))


# -------------------------------------------------------------------------------------------- sampling

def test_execution_parameters_correlate_and_the_others_do_not(inputs):
    sample = unc.sample_parameters(inputs, 5000, seed=11)
    execution = np.corrcoef([sample[n] for n in unc.EXECUTION_PARAMETERS])
    pairs = execution[np.triu_indices(len(unc.EXECUTION_PARAMETERS), 1)]
    assert (pairs > 0.3).all(), pairs
    others = [n for n in sorted(sample) if n not in unc.EXECUTION_PARAMETERS and np.ptp(sample[n]) > 0]
    assert len(others) > 40
    everything = np.corrcoef([sample[n] for n in (*unc.EXECUTION_PARAMETERS, *others)])
    k = len(unc.EXECUTION_PARAMETERS)
    cross = everything[k:, :]  # others against everything
    off_diagonal = ~np.eye(len(everything), dtype=bool)[k:, :]
    assert np.abs(cross[off_diagonal]).max() < 0.1


def test_the_loading_sets_the_strength_of_the_correlation(inputs):
    weak = unc.sample_parameters(inputs, 4000, 5, fixed={"execution_factor_loading": 0.3})
    strong = unc.sample_parameters(inputs, 4000, 5, fixed={"execution_factor_loading": 0.9})
    r = lambda s: np.corrcoef(s["yield_2025"], s["domestic_hbm_growth"])[0, 1]
    assert r(weak) < 0.2 < 0.6 < r(strong)
    assert inputs.parameters["execution_factor_loading"].basis == "judgment"


@SETTINGS
@given(widen=st.sampled_from([0.25, 1.0, 2.0, 3.0]), seed=st.integers(0, 2 ** 32))
def test_draws_stay_in_their_ranges_and_fixed_values_stay_fixed(inputs, widen, seed):
    fixed = {"budget_growth": 0.2, "smic_capacity_2025_kwpm": 20.0}
    sample = unc.sample_parameters(inputs, 500, seed, widen, fixed)
    free = unc.sample_parameters(inputs, 500, seed, widen)
    assert set(sample) == set(inputs.parameters)
    for name, parameter in inputs.parameters.items():
        values = sample[name]
        assert values.shape == (500,) and np.isfinite(values).all()
        if name in fixed:
            assert (values == fixed[name]).all()
            continue
        # fixing two parameters leaves every other parameter's draws as they were
        np.testing.assert_array_equal(values, free[name])
        if parameter.low == parameter.high or name in unc.UNCERTAINTY_ONLY:
            assert (values == parameter.default).all()
            continue
        low, high = unc.sampling_range(parameter, widen)
        assert low <= values.min() and values.max() <= high
        if parameter.unit.startswith("fraction"):
            assert 0 <= values.min() and values.max() <= 1
        if parameter.low > 0:
            assert values.min() > 0
        if parameter.low >= 0:
            assert values.min() >= 0
        if widen <= 1:
            assert parameter.low <= values.min() and values.max() <= parameter.high


def test_widened_draws_keep_the_engine_finite(inputs):
    draws = unc.run_draws(Scenario.create(100, 100, inputs=inputs), inputs, 2000, seed=9, widen=3.0)
    for key in ("value", "units", "unmet", "grey_units", "nvidia_global_share"):
        assert np.isfinite(draws.raw[key]).all(), key
    for company, revenue in draws.raw["revenue"].items():
        assert np.isfinite(revenue).all(), company


@pytest.mark.parametrize("kwargs,reason", [
    (dict(draws=0), "draws must be between 1 and 20000"),
    (dict(draws=20001), "draws must be between 1 and 20000"),
    (dict(draws=2.5), "draws must be a whole number"),
    (dict(draws=True), "draws must be a whole number"),
    (dict(draws=10, widen=0), "widen must be a positive finite number"),
    (dict(draws=10, widen=float("nan")), "widen must be a positive finite number"),
])
def test_bad_draw_arguments_raise_one_clear_error(inputs, kwargs, reason):
    with pytest.raises(ScenarioError, match=reason):
        unc.run_draws(Scenario.create(inputs=inputs), inputs, **kwargs)


# ---------------------------------------------------------------------------------------- probabilities

@pytest.mark.parametrize("hits,lead", [(1000, "In all draws"), (0, "In no draw"), (900, "In 9 of 10 draws"),
                                       (960, "In over 9 of 10 draws"), (30, "In under 1 of 10 draws"),
                                       (149, "In 1 of 10 draws"), (150, "In 2 of 10 draws")])
def test_probability_sentence_rounds_to_tenths_and_says_all_or_none_only_when_true(hits, lead):
    values = np.r_[np.full(hits, 0.1), np.full(1000 - hits, 0.3)]
    sentence = unc.probability_sentence(values, 0.2, True, "Nvidia's share of China's market", 2028, "fraction")
    assert sentence == f"{lead} Nvidia's share of China's market in 2028 is below 20%."


def test_probability_sentence_formats_units():
    above = unc.probability_sentence(np.array([2e6, 5e5]), 1e6, False, "Huawei's output", 2027, "units")
    assert above == "In 5 of 10 draws Huawei's output in 2027 is above 1M."
    money = unc.probability_sentence(np.array([60.0, 70.0]), 50, False, "unmet demand", 2030, "USD bn")
    assert money == "In all draws unmet demand in 2030 is above $50B."


def test_headline_probabilities_one_sentence_each(inputs):
    scenario = Scenario.create(inputs=inputs)
    draws = unc.run_draws(scenario, inputs, 1000)
    sentences = unc.headline_probabilities(draws, 2028)
    assert len(sentences) == len(unc.HEADLINE_THRESHOLDS) == 5
    assert all(s.startswith("In ") and "2028" in s and s.endswith(".") for s in sentences)
    assert "below 20%" in sentences[0] and "above 50%" in sentences[1] and "above 1M" in sentences[2]
    assert "the central estimate" in sentences[3] and "$50B" in sentences[4]
    # the revenue-at-risk sentence compares with the deterministic sum over the ten US firms
    tidy = run_scenario(scenario, inputs).tidy()
    central = sum(pick(tidy, "revenue_at_risk_usd_bn", c, 2028).value for c in US_FIRMS)
    assert f"({number(central, 'USD bn', digits=3)})" in sentences[3]
    share = (draws.values("revenue_at_risk_usd_bn", "US firms", 2028) > central).mean()
    assert sentences[3].startswith(unc.probability_sentence(
        np.r_[np.ones(int(round(share * 1000))), np.zeros(1000 - int(round(share * 1000)))], 0.5, False, "x",
        2028, "fraction").split(" x ")[0])


# --------------------------------------------------------------------------------------------- drivers

@pytest.mark.parametrize("metric,entity", [("china_share_value", "Nvidia"), ("domestic_share_value", "Domestic (all)"),
                                           ("china_units", "Huawei"), ("china_revenue_usd_bn", "Nvidia"),
                                           ("revenue_at_risk_usd_bn", "Applied Materials")])
def test_the_largest_bar_equals_direct_engine_runs(inputs, metric, entity):
    scenario = Scenario.create(60, 80, inputs=inputs)
    table = unc.drivers(scenario, inputs, metric, entity, 2028)
    assert len(table) == 12
    assert list(table.columns) == ["parameter", "label", "basis", "source_ids", "low", "high", "output_low",
                                   "output_high", "output_default", "swing", "range_low", "range_high"]
    assert (np.diff(table.swing.to_numpy()) <= 0).all()
    top = table.iloc[0]
    parameter = inputs.parameters[top.parameter]
    # low and high: the parameter's weighted P5 and P95 among the scenario's conditioned draws
    draws = unc.run_draws(scenario, inputs, 1000)
    p5, p95 = (reference_weighted_quantile(draws.params[top.parameter], draws.weights, q) for q in (5, 95))
    assert (top.low, top.high) == pytest.approx((p5, p95), rel=1e-12)
    assert (top.range_low, top.range_high) == (parameter.low, parameter.high)
    assert parameter.low <= top.low < top.high <= parameter.high
    low = engine_value(scenario, inputs, metric, entity, 2028, {top.parameter: top.low})
    high = engine_value(scenario, inputs, metric, entity, 2028, {top.parameter: top.high})
    default = engine_value(scenario, inputs, metric, entity, 2028)
    assert top.output_low == pytest.approx(low, rel=1e-12)
    assert top.output_high == pytest.approx(high, rel=1e-12)
    assert top.output_default == pytest.approx(default, rel=1e-12)
    assert top.swing == pytest.approx(abs(high - low), rel=1e-12)
    assert top.swing > 0


def test_drivers_label_basis_and_hold_the_scenarios_overrides(inputs):
    scenario = Scenario.create(25, 90, {"domestic_hbm_growth": 0.7}, inputs=inputs)
    table = unc.drivers(scenario, inputs, "domestic_share_value", "Domestic (all)", 2028, top=None)
    assert "domestic_hbm_growth" not in set(table.parameter)
    assert "execution_factor_loading" not in set(table.parameter)
    assert not {"eur_usd", "jpy_usd"} & set(table.parameter)  # read when data/ loads; no run moves with them
    expected = len([p for p in inputs.parameters.values() if p.low < p.high]) - 4
    assert len(table) == expected
    for row in table.itertuples():
        parameter = inputs.parameters[row.parameter]
        assert row.label == parameter.label
        assert row.basis == ("judgment" if parameter.basis == "judgment"
                             else f"{parameter.basis}: {';'.join(parameter.source_ids)}")
    assert (table.output_default == engine_value(scenario, inputs, "domestic_share_value", "Domestic (all)",
                                                 2028)).all()
    # MODEL.md: the domestic share is supply-driven; HBM and capacity parameters rank high
    top = set(unc.drivers(Scenario.create(inputs=inputs), inputs, "domestic_share_value", "Domestic (all)",
                          2028).parameter)
    assert {"domestic_hbm_growth", "hbm_stacks_per_package"} <= top


def test_conditioned_ranges_are_narrower_than_the_documented_ones(inputs):
    scenario = Scenario.create(inputs=inputs)
    conditioned = unc.drivers(scenario, inputs, "china_revenue_usd_bn", "Nvidia", 2028, top=None)
    documented = unc.drivers(scenario, inputs, "china_revenue_usd_bn", "Nvidia", 2028, top=None, conditioned=False)
    assert set(conditioned.parameter) == set(documented.parameter)
    assert (documented.low == documented.range_low).all() and (documented.high == documented.range_high).all()
    assert ((conditioned.high - conditioned.low) < (conditioned.range_high - conditioned.range_low)).all()
    assert conditioned.swing.sum() < documented.swing.sum()
    # the draws passed in are the ones used (the page passes its cached draws)
    draws = unc.run_draws(scenario, inputs, 400, seed=3)
    given = unc.drivers(scenario, inputs, "china_revenue_usd_bn", "Nvidia", 2028, top=None, draw_result=draws)
    name = given.parameter.iloc[0]
    assert given.low.iloc[0] == pytest.approx(reference_weighted_quantile(draws.params[name], draws.weights, 5))


@pytest.mark.parametrize("args,reason", [
    (("nope", "Nvidia", 2028), "unknown metric 'nope'"),
    (("china_share_value", "Intel", 2028), "unknown entity 'Intel' for china_share_value"),
    (("china_share_value", "Nvidia", 2033), "year must be one of 2024-2032"),
])
def test_drivers_reject_unknown_outputs(inputs, args, reason):
    with pytest.raises(ScenarioError, match=reason):
        unc.drivers(Scenario.create(inputs=inputs), inputs, *args)


# ----------------------------------------------------------------------------------------- attribution

def plain_revenue(scenario, inputs, company, year, controls_off, push_off):
    """A company's China revenue (USD bn) in one plain engine run of its own, with US controls and/or China's
    push switched off in every year (engine.lever_paths); no code from chokepoint.uncertainty."""
    paths = lever_paths(scenario, inputs, controls_off=controls_off, push_off=push_off)
    raw = simulate(LeverPaths(**{k: v[None] for k, v in paths.items()}),
                   parameter_arrays(inputs, dict(scenario.overrides), 1), inputs)
    return raw["revenue"][company][0, year_index(year)] / 1e9


@SETTINGS
@given(ec=levers, sr=levers, reaction=st.sampled_from([0.0, 50.0]), company=st.sampled_from(COMPANIES),
       year=st.sampled_from(YEARS))
def test_attribution_parts_are_differences_of_separate_counterfactual_runs(inputs, ec, sr, reaction, company,
                                                                           year):
    """Each part against four separate engine runs: the scenario, controls off, push off, both off. The
    interaction is checked as its own second difference (controls off + push off - scenario - both off), not
    as what the other parts leave over."""
    scenario = Scenario.create(ec, sr, {"reaction": reaction}, inputs=inputs)
    parts = unc.attribution(scenario, inputs, company, year)
    run = {(c, p): plain_revenue(scenario, inputs, company, year, c, p) for c in (False, True) for p in (False, True)}
    scen, controls_off, push_off, both_off = run[False, False], run[True, False], run[False, True], run[True, True]
    expected = dict(total=both_off - scen, us_controls_alone=both_off - push_off,
                    china_policy_alone=both_off - controls_off,
                    interaction=controls_off + push_off - scen - both_off,
                    scenario_revenue=scen, counterfactual_revenue=both_off)
    for key, value in expected.items():
        assert parts[key] == pytest.approx(value, abs=1e-9), key
    # the tidy table's Shapley split gives each lever its part alone plus half the interaction
    tidy = run_scenario(scenario, inputs).tidy()
    assert parts["total"] == pytest.approx(pick(tidy, "revenue_at_risk_usd_bn", company, year).value, abs=1e-9)
    for part, metric in (("us_controls_alone", "revenue_at_risk_us_controls_usd_bn"),
                         ("china_policy_alone", "revenue_at_risk_china_policy_usd_bn")):
        assert parts[part] + 0.5 * parts["interaction"] == pytest.approx(pick(tidy, metric, company, year).value,
                                                                         abs=1e-9), part


def test_attribution_with_no_policy_is_near_zero(inputs):
    """With both levers at 0 from 2027 only the 2024-26 history (its lingering installed base, mandate and
    capacity) is left; by the horizon it is a small fraction of what a hawkish scenario puts at risk."""
    none = unc.attribution(Scenario.create(0, 0, inputs=inputs), inputs, "Nvidia", YEARS[-1])
    hawkish = unc.attribution(Scenario.create(100, 100, inputs=inputs), inputs, "Nvidia", YEARS[-1])
    for part in ("us_controls_alone", "china_policy_alone", "interaction", "total"):
        assert abs(none[part]) < 0.02 * abs(hawkish["total"]), part
    with pytest.raises(ScenarioError, match="unknown company 'Acme'"):
        unc.attribution(Scenario.create(inputs=inputs), inputs, "Acme", 2030)


# ------------------------------------------------------------------------------------------------ seek

def seek_value(scenario, inputs, lever, value, metric, entity, year):
    settings_ = {**scenario.settings(), lever: value}
    moved = Scenario.create(settings_.pop("export_controls"), settings_.pop("self_reliance"), settings_,
                            inputs=inputs)
    return engine_value(moved, inputs, metric, entity, year)


def check_seek(inputs, scenario, lever, metric, entity, year, target, keep):
    result = unc.seek(scenario, inputs, lever, metric, entity, year, target, keep, band=False)
    assert result.low is None and result.high is None and result.band_draws == 0
    tol = unc.SEEK_TOLERANCE * abs(target)
    meets = (lambda f: f >= target - tol) if keep == "above" else (lambda f: f <= target + tol)
    if result.value is None:
        grid = [seek_value(scenario, inputs, lever, v, metric, entity, year) for v in range(0, 101, 1)]
        assert not any(meets(f) for f in grid), result
        assert "No value of" in result.message
        return result
    assert 0 <= result.value <= 100
    at_value = seek_value(scenario, inputs, lever, result.value, metric, entity, year)
    assert at_value == pytest.approx(result.achieved, rel=1e-9, abs=1e-12)
    assert meets(at_value), (result, at_value)
    neighbours = [v for v in (result.value - 0.1, result.value + 0.1) if 0 <= v <= 100]
    if "at every value" not in result.message:
        # a crossing: one step of 0.1 away, on one side, the target is missed
        assert any(not meets(seek_value(scenario, inputs, lever, round(v, 1), metric, entity, year))
                   for v in neighbours), result
    return result


def test_seek_finds_the_export_control_level_that_keeps_nvidia_revenue_above_a_target(inputs):
    scenario = Scenario.create(inputs=inputs)
    result = check_seek(inputs, scenario, "export_controls", "china_revenue_usd_bn", "Nvidia", 2028, 4.5, "above")
    assert result.value is not None and 0 < result.value < 100
    assert "at or below" in result.message and "US export controls" in result.message


def test_seek_reports_when_no_value_works(inputs):
    scenario = Scenario.create(inputs=inputs)
    result = check_seek(inputs, scenario, "self_reliance", "domestic_share_value", "Domestic (all)", 2028, 0.9,
                        "above")
    assert result.value is None and result.achieved is None
    assert result.best_value is not None and "closest it gets" in result.message


def test_seek_when_every_value_works(inputs):
    result = check_seek(inputs, Scenario.create(inputs=inputs), "export_controls", "global_share_value", "Nvidia",
                        2028, 0.1, "above")
    assert "at every value" in result.message
    # the value returned is where the output comes closest to the target (not monotone here: grey-market
    # parts count as Nvidia's, so its worldwide share dips at middling controls)
    scenario = Scenario.create(inputs=inputs)
    grid = {v: seek_value(scenario, inputs, "export_controls", v, "global_share_value", "Nvidia", 2028)
            for v in range(0, 101)}
    assert result.value == min(grid, key=grid.get)


@SETTINGS
@given(lever=st.sampled_from(["export_controls", "self_reliance", "enforcement", "hbm_controls"]),
       case=st.sampled_from([("china_share_value", "Nvidia"), ("domestic_share_value", "Domestic (all)"),
                             ("china_revenue_usd_bn", "Nvidia"), ("china_units", "Huawei")]),
       where=st.floats(-0.2, 1.2), keep=st.sampled_from(["above", "below"]), year=st.sampled_from([2027, 2030]))
def test_seek_hits_its_target_or_proves_none_exists(inputs, lever, case, where, keep, year):
    scenario = Scenario.create(40, 60, inputs=inputs)
    metric, entity = case
    ends = [seek_value(scenario, inputs, lever, v, metric, entity, year) for v in (0, 100)]
    target = min(ends) + where * (max(ends) - min(ends)) if max(ends) > min(ends) else ends[0] * (1 + where)
    check_seek(inputs, scenario, lever, metric, entity, year, target, keep)


def test_draw_outputs_equal_plain_engine_runs(inputs):
    scenario = Scenario.create(40, 60, inputs=inputs)
    draws = unc.run_draws(scenario, inputs, 30, seed=4)
    for metric, entity in (("domestic_share_value", "Domestic (all)"), ("china_revenue_usd_bn", "Nvidia")):
        out = unc.draw_outputs(scenario, inputs, "self_reliance", [10.0, 75.0], draws.params, metric, entity, 2029)
        assert out.shape == (2, 30)
        for i, value in enumerate((10.0, 75.0)):
            for k in (0, 29):
                overrides = {name: float(v[k]) for name, v in draws.params.items() if np.ptp(v) > 0}
                expected = seek_value(Scenario.create(40, 60, overrides, inputs=inputs), inputs, "self_reliance",
                                      value, metric, entity, 2029)
                assert out[i, k] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def crossings_on_a_fine_grid(scenario, inputs, draws, lever, metric, entity, year, target, keep, near):
    """Each resampled draw's crossing nearest `near`, on a whole-number lever grid (no interpolation)."""
    picks = draws.resample(unc.SEEK_BAND_DRAWS)
    params = {name: v[picks] for name, v in draws.params.items()}
    grid = np.arange(0.0, 101.0)
    out = unc.draw_outputs(scenario, inputs, lever, grid, params, metric, entity, year)
    meets = out >= target if keep == "above" else out <= target
    found = []
    for k in range(out.shape[1]):
        changes = np.flatnonzero(meets[:-1, k] != meets[1:, k])
        found.append(grid[changes[np.argmin(np.abs(grid[changes] - near))]] if len(changes) else np.nan)
    return np.array(found), meets


@pytest.mark.parametrize("lever,metric,entity,target,keep", [
    ("self_reliance", "domestic_share_value", "Domestic (all)", 0.6, "above"),
    ("export_controls", "china_spend_usd_bn", "Nvidia", 0.385, "above"),
])
def test_seek_gives_the_lever_value_with_its_band(inputs, lever, metric, entity, target, keep):
    scenario = Scenario.create(inputs=inputs)
    draws = unc.run_draws(scenario, inputs, 1000)
    result = unc.seek(scenario, inputs, lever, metric, entity, 2028, target, keep, draw_result=draws)
    assert result.value is not None and result.low is not None
    assert 0 <= result.low <= result.value <= result.high <= 100
    assert result.low < result.high and result.band_draws == unc.SEEK_BAND_DRAWS
    assert f"between {result.low:g} and {result.high:g} (P5–P95)" in result.message
    assert 0 < result.reach <= 1
    # the band holds about 90% of the draws' own crossings, found independently on a whole-number grid
    crossings, meets = crossings_on_a_fine_grid(scenario, inputs, draws, lever, metric, entity, 2028, target, keep,
                                                result.value)
    crossed = crossings[~np.isnan(crossings)]
    assert len(crossed) > 0.8 * len(crossings)
    inside = ((crossed >= result.low - 1) & (crossed <= result.high + 1)).mean()
    assert inside >= 0.85, inside
    assert ((crossed < result.low - 1).mean() <= 0.08) and ((crossed > result.high + 1).mean() <= 0.08)
    assert result.reach == pytest.approx(meets.any(axis=0).mean(), abs=0.05)
    # the same seek with the default draws (the scenario's own) gives the same band
    again = unc.seek(scenario, inputs, lever, metric, entity, 2028, target, keep)
    assert (again.low, again.high) == (result.low, result.high)


def test_seek_says_how_often_an_unreachable_target_is_reached_in_plausible_draws(inputs):
    scenario = Scenario.create(inputs=inputs)
    some = unc.seek(scenario, inputs, "self_reliance", "domestic_share_value", "Domestic (all)", 2028, 0.9, "above")
    assert some.value is None and some.low is None and 0 < some.reach < 0.5
    assert f"In {round(100 * some.reach)}% of plausible draws some value does." in some.message
    none = unc.seek(scenario, inputs, "export_controls", "china_revenue_usd_bn", "Nvidia", 2028, 50.0, "above")
    assert none.value is None and none.reach == 0.0
    assert "outside the model's range" in none.message


@pytest.mark.parametrize("kwargs,reason", [
    (dict(lever="tariffs"), "unknown lever 'tariffs'"),
    (dict(keep="sideways"), "keep must be 'above' or 'below'"),
    (dict(target=float("inf")), "target must be a finite number"),
    (dict(metric="nope"), "unknown metric 'nope'"),
    (dict(year=2026), "year must be one the levers act on \\(2027-2032\\), got 2026"),
])
def test_seek_rejects_bad_arguments(inputs, kwargs, reason):
    args = dict(lever="export_controls", metric="china_share_value", entity="Nvidia", year=2028, target=0.2,
                keep="below")
    args.update(kwargs)
    with pytest.raises(ScenarioError, match=reason):
        unc.seek(Scenario.create(inputs=inputs), inputs, **args)


def test_band_table_leaves_out_only_draws_that_cannot_move_a_band(inputs):
    """The band table skips the draws carrying the last 0.1% of weight: its bands match the exact weighted
    quantiles to within a small fraction of the band's width."""
    from chokepoint.uncertainty import QUANTILE_COLUMNS, band_table, run_draws, weighted_quantiles

    draws = run_draws(Scenario.create(80, 60, inputs=inputs), inputs, 1000)
    table = band_table(draws)
    for metric, entity, year in (("china_share_value", "Nvidia", 2028), ("china_units", "Huawei", 2030),
                                 ("china_revenue_usd_bn", "Nvidia", 2024)):
        exact = weighted_quantiles(draws.metrics.at(metric, entity, year), draws.weights)
        row = table[(table.metric == metric) & (table.entity == entity) & (table.year == year)].iloc[0]
        width = exact[-1] - exact[0]
        assert np.allclose([row[c] for c in QUANTILE_COLUMNS], exact, atol=0.02 * width + 1e-12), (metric, entity)
