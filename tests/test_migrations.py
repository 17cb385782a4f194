"""Old links keep working: settings saved under earlier model versions map onto today's inputs."""
from chokepoint import MODEL_VERSION
from chokepoint.migrations import MIGRATIONS, RELEASED_VERSIONS, Migration, migrate


def test_current_version_is_released_and_every_migration_leads_forward():
    assert MODEL_VERSION in RELEASED_VERSIONS
    for version, step in MIGRATIONS.items():
        assert version in RELEASED_VERSIONS and step.to_version in RELEASED_VERSIONS


def test_renamed_and_removed_inputs_are_mapped_with_notes(inputs):
    table = {"0.8": Migration("0.9", renamed={"chip_control": "chip_controls"}),
             "0.9": Migration(MODEL_VERSION, renamed={"budget_growth_rate": "budget_growth"}, removed=("tariff",))}
    settings, notes = migrate({"export_controls": 70, "chip_control": 80, "budget_growth_rate": 0.3, "tariff": 5},
                              "0.8", inputs, table)
    assert settings == {"export_controls": 70, "chip_controls": 80, "budget_growth": 0.3}
    assert any("`chip_control` is now called `chip_controls`" in n for n in notes)
    assert any("`tariff` was removed" in n for n in notes)


def test_unknown_and_out_of_range_inputs_fall_back_to_defaults(inputs):
    settings, notes = migrate({"export_controls": 70, "mystery": 1, "budget_growth": 9}, MODEL_VERSION, inputs)
    assert settings == {"export_controls": 70}
    assert len(notes) == 2


def test_a_loop_in_the_table_cannot_hang(inputs):
    table = {"a": Migration("b"), "b": Migration("a")}
    settings, _ = migrate({"export_controls": 1}, "a", inputs, table)
    assert settings == {"export_controls": 1}
