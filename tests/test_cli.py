"""The command line, as analysts and scripts use it."""
import io
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from chokepoint.data import get_database, run_query


def cli(*args):
    return subprocess.run([sys.executable, "-m", "chokepoint", *args], capture_output=True, text=True, timeout=120)


def test_run_prints_tidy_csv_with_shares_summing_to_one():
    result = cli("run", "--set", "export_controls=80", "--set", "self_reliance=60")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns) == ["scenario", "year", "metric", "entity", "value", "unit"]
    shares = table[table.metric == "china_share_value"].groupby("year").value.sum()
    assert ((shares - 1).abs() < 1e-4).all()
    assert table.scenario.iloc[0] == "export_controls=80, self_reliance=60"


def test_json_and_out_file_round_trip(tmp_path):
    out = tmp_path / "run.json"
    result = cli("run", "--set", "export_controls=30", "--format", "json", "--out", str(out))
    assert result.returncode == 0 and result.stdout == ""
    records = json.loads(out.read_text())
    csv_result = cli("run", "--set", "export_controls=30")
    table = pd.read_csv(io.StringIO(csv_result.stdout))
    assert len(records) == len(table)
    nvidia = [r for r in records if r["metric"] == "china_units" and r["entity"] == "Nvidia" and r["year"] == 2028][0]
    expected = table[(table.metric == "china_units") & (table.entity == "Nvidia") & (table.year == 2028)].value.iloc[0]
    assert nvidia["value"] == pytest.approx(expected, rel=1e-5)


def test_preset_and_override_combine():
    preset = pd.read_csv(io.StringIO(cli("run", "--preset", "Both sides hawkish").stdout))
    assert preset.scenario.iloc[0].startswith("Both sides hawkish (export_controls=100, self_reliance=100")
    changed = cli("run", "--preset", "Both sides hawkish", "--set", "self_reliance=10")
    assert "self_reliance=10" in changed.stdout.splitlines()[1]


@pytest.mark.parametrize("args,reason", [
    (["run", "--set", "export_controls=120"], "export_controls must be between 0 and 100, got 120"),
    (["run", "--set", "export_controls=lots"], "export_controls must be a number between 0 and 100"),
    (["run", "--set", "tariff=3"], "unknown parameter 'tariff'"),
    (["run", "--set", "eur_usd=1.2"], "converts reported figures when data/ is loaded; it is not a scenario input"),
    (["run", "--set", "export_controls"], "--set expects NAME=VALUE"),
    (["run", "--set", "self_reliance=inf"], "self_reliance must be a finite number"),
    (["run", "--preset", "Nope"], "unknown preset 'Nope'"),
    (["run", "--format", "xml"], "invalid choice: 'xml'"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_bad_arguments_exit_2_with_one_line(args, reason):
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], result.stderr


def test_params_lists_every_parameter_with_basis():
    result = cli("params")
    assert result.returncode == 0
    names = run_query("model_parameters", get_database()).name
    for name in names:
        assert name in result.stdout
    assert "judgment" in result.stdout and "sourced: F053" in result.stdout


def test_validate_prints_each_target_with_its_kind_and_explains_failures():
    result = cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    for target in ("nvidia_china_revenue_fy2025", "domestic_units_2025", "cambricon_units_2025",
                   "nvidia_share_2025", "grey_units_2024", "equipment_china_change_2025"):
        line = next(l for l in result.stdout.splitlines() if l.strip().startswith(target))
        assert "calibration" in line and " pass " in line
    failing = [l for l in result.stdout.splitlines() if " FAIL " in l]
    for line in failing:
        assert f"{line.split()[0]} (out-of-sample) fails: " in result.stdout
    assert "out-of-sample targets pass" in result.stderr


def test_validate_csv_has_the_documented_columns():
    result = cli("validate", "--format", "csv")
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == ["target", "year", "kind", "published", "low", "high", "model", "result", "sources"]
    assert set(frame.kind) == {"calibration", "out-of-sample"} and (frame.kind == "out-of-sample").sum() >= 10


def test_validate_backtest_prints_the_scorecard():
    result = cli("validate", "--backtest")
    assert result.returncode == 0, result.stderr
    assert "2025 (fitted with data through 2024):" in result.stdout
    assert "2026 (fitted with data through 2025):" in result.stdout


def test_check_lists_each_plausibility_property_and_passes():
    result = cli("check")
    assert result.returncode == 0, result.stderr
    for name in ("accounts", "calibration", "history", "smuggling_leak", "smuggling_bound", "push_builds",
                 "captive_floor", "monotone", "continuity", "ladder", "revenue_share"):
        assert re.search(rf"^pass  {name}\b", result.stdout, re.M), name
    assert "11 of 11 plausibility checks pass" in result.stdout


def test_check_fails_when_a_rung_loosens_a_control_its_regime_kept(inputs):
    import dataclasses

    from chokepoint.check import run_checks
    ladder = dict(inputs.ladder)
    ladder["hbm"] = ladder["hbm"].copy()
    ladder["hbm"][1] = 0.0  # the H200 rung reopening HBM imports: the Model 1 mistake
    checks = {c.name: c for c in run_checks(dataclasses.replace(inputs, ladder=ladder))}
    assert not checks["ladder"].passed
