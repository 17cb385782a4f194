"""The command line's uncertainty options: run --draws, drivers, seek."""
import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

QUANTILES = ["p5", "p25", "p50", "p75", "p95"]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "chokepoint", *args], capture_output=True, text=True, timeout=120)


def test_run_with_draws_adds_ordered_quantiles_and_keeps_the_deterministic_values():
    result = cli("run", "--set", "export_controls=80", "--set", "self_reliance=60", "--draws", "300")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns) == ["scenario", "year", "metric", "entity", "value", "unit", *QUANTILES]
    plain = pd.read_csv(io.StringIO(cli("run", "--set", "export_controls=80", "--set", "self_reliance=60").stdout))
    pd.testing.assert_frame_equal(table[plain.columns], plain)
    banded = table.dropna(subset=QUANTILES)
    assert len(banded) > 0.95 * len(table)
    q = banded[QUANTILES].to_numpy()
    assert (np.diff(q, axis=1) >= -1e-9 * np.maximum(1, np.abs(q[:, 1:]))).all()
    nvidia = banded[(banded.metric == "china_share_value") & (banded.entity == "Nvidia") & (banded.year == 2028)]
    assert len(nvidia) == 1 and nvidia.p5.iloc[0] < nvidia.p95.iloc[0]
    # rows without a band keep empty quantiles (2024 is calibrated: domestic supply has no limit that year)
    capacity_2024 = table[(table.metric == "domestic_capacity_units") & (table.year == 2024)]
    assert len(capacity_2024) == 1 and capacity_2024.value.isna().all()
    assert capacity_2024[QUANTILES].isna().all(axis=None)
    # standard error says, in one line, how the draws are weighted and how many are effective
    note = result.stderr.strip().splitlines()
    assert len(note) == 1 and "8 calibration targets" in note[0]
    effective = float(note[0].split(": ")[1].split(" of the 300")[0].replace(",", ""))
    assert 1 <= effective <= 300 and "of the 300 are effective" in note[0]


def test_run_draws_are_conditioned_unless_asked_not_to_be():
    """Nvidia's 2024 China revenue is a calibration target (14.45-19.55): the conditioned band lies inside it,
    the unconditioned one does not."""
    def band(*extra):
        result = cli("run", "--draws", "1000", *extra)
        assert result.returncode == 0, result.stderr
        table = pd.read_csv(io.StringIO(result.stdout))
        row = table[(table.metric == "china_revenue_usd_bn") & (table.entity == "Nvidia") & (table.year == 2024)]
        return row.p5.iloc[0], row.p95.iloc[0], result.stderr
    p5, p95, note = band()
    assert 14.45 <= p5 < p95 <= 19.55 and "effective" in note
    u5, u95, plain = band("--unconditioned")
    assert u5 < 14.45 and u95 - u5 > p95 - p5
    assert "equally weighted" in plain


def test_draws_are_reproducible_and_the_seed_changes_them(tmp_path):
    first = cli("run", "--draws", "100", "--seed", "7")
    again = cli("run", "--draws", "100", "--seed", "7")
    other = cli("run", "--draws", "100", "--seed", "8")
    assert first.returncode == 0 and first.stdout == again.stdout and first.stdout != other.stdout
    out = tmp_path / "bands.json"
    result = cli("run", "--draws", "50", "--format", "json", "--out", str(out), "--widen", "1.5")
    assert result.returncode == 0 and result.stdout == ""
    records = json.loads(out.read_text())
    assert set(QUANTILES) <= set(records[0])


def test_drivers_table_and_csv():
    args = ["drivers", "--metric", "domestic_share_value", "--entity", "Domestic (all)", "--year", "2028"]
    table = cli(*args)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["parameter", "basis"] and len(lines) == 13
    assert lines[0].split()[-2:] == ["range_low", "range_high"]
    assert "judgment" in table.stdout
    assert "P5 and P95 in 1,000 draws conditioned on the 8 calibration targets" in table.stderr
    csv = cli(*args, "--format", "csv", "--top", "5", "--preset", "Both sides hawkish")
    assert csv.returncode == 0, csv.stderr
    frame = pd.read_csv(io.StringIO(csv.stdout))
    assert len(frame) == 5
    assert list(frame.columns) == ["parameter", "label", "basis", "source_ids", "low", "high", "output_low",
                                   "output_high", "output_default", "swing", "range_low", "range_high"]
    assert (frame.range_low <= frame.low).all() and (frame.high <= frame.range_high).all()
    assert (np.diff(frame.swing) <= 0).all()
    assert frame.swing.iloc[0] == pytest.approx(abs(frame.output_high.iloc[0] - frame.output_low.iloc[0]), rel=1e-5)


def test_seek_prints_the_value_and_a_sentence():
    result = cli("seek", "--lever", "export_controls", "--metric", "china_revenue_usd_bn", "--entity", "Nvidia",
                 "--year", "2028", "--target", "4.5", "--keep", "above")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("value: ") and 0 < float(lines[0].split()[1]) < 100
    assert float(lines[1].split()[1]) >= 4.5
    low, high = (float(v) for v in lines[2].removeprefix("band: ").split())
    assert 0 <= low <= float(lines[0].split()[1]) <= high <= 100
    assert "Nvidia's China revenue in 2028 is above $4.5B" in lines[3]
    assert f"between {low:g} and {high:g} (P5–P95)" in lines[3]


def test_seek_says_so_when_no_value_works_and_exits_0():
    result = cli("seek", "--lever", "self_reliance", "--metric", "domestic_share_value", "--entity",
                 "Domestic (all)", "--year", "2028", "--target", "0.95", "--keep", "above", "--set",
                 "export_controls=10")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["value: none", "achieved: none", "band: none"]
    assert lines[3].startswith("No value of China self-reliance push from 0 to 100 keeps")
    assert "plausible draws" in lines[3]


SEEK = ["seek", "--lever", "export_controls", "--metric", "china_share_value", "--entity", "Nvidia", "--year",
        "2028", "--target", "0.2"]


@pytest.mark.parametrize("args,reason", [
    (["run", "--draws", "0"], "argument --draws: must be between 1 and 20000, got 0"),
    (["run", "--draws", "20001"], "argument --draws: must be between 1 and 20000"),
    (["run", "--draws", "many"], "argument --draws: must be a whole number"),
    (["run", "--draws", "2.5"], "argument --draws: must be a whole number"),
    (["run", "--draws", "10", "--widen", "0"], "argument --widen: must be a finite positive number"),
    (["drivers", "--metric", "china_share_value", "--entity", "Nvidia"], "required: --year"),
    (["drivers", "--metric", "nope", "--entity", "Nvidia", "--year", "2028"], "unknown metric 'nope'"),
    (["drivers", "--metric", "china_share_value", "--entity", "Intel", "--year", "2028"], "unknown entity 'Intel'"),
    (["drivers", "--metric", "china_share_value", "--entity", "Nvidia", "--year", "2033"], "argument --year"),
    (["drivers", "--metric", "china_share_value", "--entity", "Nvidia", "--year", "2028", "--top", "0"],
     "argument --top"),
    (["drivers", "--metric", "china_share_value", "--entity", "Nvidia", "--year", "2028", "--set", "x=1"],
     "unknown parameter 'x'"),
    ([*SEEK, "--keep", "sideways"], "argument --keep: invalid choice: 'sideways'"),
    ([*SEEK], "required: --keep"),
    ([*SEEK[:2], "tariffs", *SEEK[3:], "--keep", "below"], "argument --lever: invalid choice: 'tariffs'"),
    ([*SEEK[:-1], "nan", "--keep", "below"], "argument --target: must be a finite number"),
    ([*SEEK, "--keep", "below", "--set", "export_controls=120"], "export_controls must be between 0 and 100"),
])
def test_bad_arguments_exit_2_with_one_line(args, reason):
    result = cli(*args)
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], result.stderr
