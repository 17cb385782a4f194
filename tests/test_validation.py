"""Validation: calibration is shown but never counted as evidence; out-of-sample targets pass or are explained;
the backtest refits with older data and can fail."""
import numpy as np
import pytest

from chokepoint.validation import (backtest, backtest_scores, calibration_targets, evidence_summary,
                                   validation_table, vintage_inputs)


def test_calibration_targets_all_pass_they_were_fitted(inputs, database):
    table = validation_table(inputs, database)
    calibration = table[table.kind == "calibration"]
    assert len(calibration) >= 5
    assert calibration.passed.all(), calibration[~calibration.passed].to_string()
    assert (calibration.fitted_by != "").all(), "a calibration row must say which parameter was fitted to it"


def test_at_least_ten_out_of_sample_targets_across_2025_2026_each_passing_or_explained(inputs, database):
    table = validation_table(inputs, database)
    evidence = table[table.kind == "out-of-sample"]
    assert len(evidence) >= 10 and set(evidence.year) == {2025, 2026}
    unexplained = evidence[~evidence.passed & (evidence.explanation == "")]
    assert unexplained.empty, unexplained[["target", "model_value", "low", "high"]].to_string()
    assert (evidence.source_ids != "").all()


def test_calibration_rows_never_count_as_evidence(inputs, database):
    table = validation_table(inputs, database)
    summary = evidence_summary(table)
    assert summary["targets"] == (table.kind == "out-of-sample").sum()
    # Making every calibration row fail changes nothing in the evidence count.
    broken = table.copy()
    broken.loc[broken.kind == "calibration", "passed"] = False
    assert evidence_summary(broken)["passed"] == summary["passed"]
    assert set(calibration_targets(database).kind) == {"calibration"}


@pytest.mark.parametrize("parameter,value,expect_failing", [
    ("price_huawei_usd_k", 7.0, {"huawei_ai_revenue_2025"}),     # Ascends priced too low: 2025 revenue undershoots
    ("base_share_other_2024", 0.14, {"huawei_ai_revenue_2025"}),  # other vendors' share too high: Huawei's too low
])
def test_a_broken_parameter_makes_out_of_sample_targets_fail(inputs, database, parameter, value, expect_failing):
    table = validation_table(inputs, database, overrides={parameter: value})
    failing = set(table[(table.kind == "out-of-sample") & ~table.passed].target)
    baseline = set(validation_table(inputs, database).query("kind == 'out-of-sample' and not passed").target)
    assert expect_failing & (failing - baseline), (parameter, failing, baseline)


def test_targets_are_sourced_or_labelled(inputs, database):
    table = validation_table(inputs, database)
    for row in table.itertuples():
        assert row.source_ids or row.basis == "judgment", row.target


def test_backtest_refits_with_older_data_and_scores_each_year(inputs, database):
    past, overrides, reverted = vintage_inputs(inputs, 2024, database)
    assert overrides["cambricon_gain_2025"] == 0 and overrides["budget_2025_usd_bn"] == 30
    assert (np.diff(past.gate_open) <= 1e-12).all() and past.gate_open[3] > inputs.gate_open[3]
    card = backtest(inputs, database)
    assert set(card.year) == {2025, 2026}
    assert (card[card.year == 2025].fitted_through == 2024).all()
    # Fitted rows become real forecasts in the backtest: Cambricon without its fitted 2025 step misses.
    row = card[(card.year == 2025) & (card.target == "cambricon_units_2025")].iloc[0]
    assert not row.inside
    scores = backtest_scores(card)
    assert (scores.targets > 0).all() and (scores.inside <= scores.targets).all()
