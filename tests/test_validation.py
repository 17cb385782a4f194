"""The 2024 calibration and 2025 replay land within the published targets' tolerances."""
from chokepoint.validation import validation_table


def test_every_validation_target_passes(inputs, database):
    table = validation_table(inputs, database)
    assert len(table) >= 6
    failing = table[~table.passed]
    assert failing.empty, failing[["target", "model_value", "low", "high"]].to_string()


def test_targets_are_sourced_or_labelled(inputs, database):
    table = validation_table(inputs, database)
    for row in table.itertuples():
        assert row.source_ids or row.basis == "judgment", row.target
