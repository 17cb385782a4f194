"""The loader validates every file and names file, row and problem when one is malformed."""
import csv
import subprocess
import sys

import pytest

from chokepoint.data import SCHEMAS, DataError, build_database, run_query
from chokepoint.engine import load_model_inputs


def rewrite(path, mutate):
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0].keys())
    fields = mutate(rows, fields) or fields
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def test_real_data_loads_every_table(database):
    for name in SCHEMAS:
        count = database.cursor().execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        assert count > 0, name


def set_cell(file, row_index, column, value):
    def mutate(rows, fields):
        rows[row_index][column] = value
    return file, mutate


@pytest.mark.parametrize("file,row_index,column,value,expected", [
    ("parameters.csv", 3, "default", "abc", "not a number"),
    ("parameters.csv", 3, "default", "inf", "not a finite number"),
    ("parameters.csv", 0, "default", "999", "outside its range"),
    ("parameters.csv", 2, "basis", "guess", "expected one of"),
    ("parameters.csv", 1, "source_ids", "F999", "source id 'F999' is not in data/sources.csv"),
    ("parameters.csv", 1, "basis", "sourced", None),  # still fine: it has sources
    ("company_financials.csv", 4, "company", "Acme", "expected one of"),
    ("policy_events.csv", 2, "date", "2025-13-40", "not a date"),
    ("regime_history.csv", 0, "year", "2019", "outside"),
    ("regime_anchors.csv", 3, "licence_availability", "1.0", None),
    ("regime_anchors.csv", 4, "licence_availability", "0.9", "licence_availability rises"),
    ("sources.csv", 0, "title", "", "empty but required"),
])
def test_broken_cell_is_reported_with_file_row_and_problem(data_copy, file, row_index, column, value, expected):
    rewrite(data_copy / file, lambda rows, fields: rows[row_index].__setitem__(column, value))
    if expected is None:
        build_database(data_copy)
        return
    with pytest.raises(DataError) as caught:
        build_database(data_copy)
    message = str(caught.value)
    assert f"data/{file}" in message
    assert expected in message
    assert f"row {row_index + 2}" in message  # header is line 1: the row a person opens the file at


def test_missing_column_is_named(data_copy):
    rewrite(data_copy / "presets.csv", lambda rows, fields: [f for f in fields if f != "self_reliance"])
    with pytest.raises(DataError, match=r"data/presets.csv: missing column\(s\): self_reliance"):
        build_database(data_copy)


def test_duplicate_key_is_reported(data_copy):
    rewrite(data_copy / "parameters.csv", lambda rows, fields: rows.append(dict(rows[0])))
    with pytest.raises(DataError, match="duplicate name"):
        build_database(data_copy)


def test_missing_file_and_non_utf8_file(data_copy):
    (data_copy / "chip_specs.csv").unlink()
    with pytest.raises(DataError, match="data/chip_specs.csv: file is missing"):
        build_database(data_copy)
    (data_copy / "chip_specs.csv").write_bytes(b"system,vendor\n\xff\xfe,\x80\n")
    with pytest.raises(DataError, match="not UTF-8"):
        build_database(data_copy)


def test_empty_file_and_ragged_row(data_copy):
    (data_copy / "presets.csv").write_text("preset,export_controls,self_reliance,description,basis,source_ids\n")
    with pytest.raises(DataError, match="has no data rows"):
        build_database(data_copy)
    (data_copy / "presets.csv").unlink()
    import shutil
    from chokepoint.data import DEFAULT_DATA_DIR
    shutil.copy(DEFAULT_DATA_DIR / "presets.csv", data_copy / "presets.csv")
    path = data_copy / "regime_history.csv"
    path.write_text(path.read_text() + "2026,1,12,25,75,75,65,90,judgment,,note,EXTRA\n")
    with pytest.raises(DataError, match=r"data/regime_history.csv, row 7: more cells than header"):
        build_database(data_copy)


def test_cli_with_broken_data_prints_one_line_not_a_traceback(data_copy):
    rewrite(data_copy / "parameters.csv", lambda rows, fields: rows[5].__setitem__("low", "x"))
    result = subprocess.run([sys.executable, "-m", "chokepoint", "validate"], capture_output=True, text=True,
                            env={"CHOKEPOINT_DATA_DIR": str(data_copy), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "data/parameters.csv, row 7" in result.stderr


def test_numbers_land_in_duckdb_with_their_types(database):
    frame = run_query("model_parameters", database)
    assert str(frame["default"].dtype) == "float64"
    assert (frame["low"] <= frame["default"]).all() and (frame["default"] <= frame["high"]).all()


def test_data_version_moves_with_model_inputs_only(data_copy):
    before = build_database(data_copy).data_version
    rewrite(data_copy / "sources.csv", lambda rows, fields: rows[0].__setitem__("title", rows[0]["title"] + " (retitled)"))
    assert build_database(data_copy).data_version == before  # wording does not change a number
    rewrite(data_copy / "parameters.csv", lambda rows, fields: rows[0].__setitem__("default", str(float(rows[0]["low"]))))
    assert build_database(data_copy).data_version != before


@pytest.mark.parametrize("file,drop,message", [
    ("parameters.csv", lambda row: row["name"] == "budget_growth", "'budget_growth', which the model needs"),
    ("parameters.csv", lambda row: row["name"] == "eur_usd", "no row for eur_usd, which the model needs"),
    ("company_baseline.csv", lambda row: row["company"] == "Nvidia", "'Nvidia', which the model needs"),
    ("regime_history.csv", lambda row: row["year"] == "2025", "must hold exactly the years 2024-2026"),
    ("regime_history.csv", lambda row: row["year"] == "2025" and row["start_month"] == "5",
     "2025's part starting in month 8 should start in month 5"),
])
def test_a_file_missing_a_row_the_model_needs_stops_the_load_with_its_name(data_copy, file, drop, message):
    """Not a KeyError (a traceback in the app) at the first scenario run: a data problem, named, at load."""
    rewrite(data_copy / file, lambda rows, fields: rows.__setitem__(slice(None), [r for r in rows if not drop(r)]))
    with pytest.raises(DataError, match=message):
        load_model_inputs(build_database(data_copy))


@pytest.mark.parametrize("file,mutate,message", [
    # A lever ladder with a gap: a rung that does not say which HBM rules its regime imposes.
    ("regime_anchors.csv", lambda rows: rows[1].__setitem__("hbm_level", ""), "export_controls anchor 25.0 needs 'hbm_level'"),
    # A stricter rung that loosens a control a laxer one kept.
    ("regime_anchors.csv", lambda rows: rows[2].__setitem__("equipment_level", "40"),
     "equipment_level falls from 70 to 40 at stricter level 50"),
    # China's gate opening as the push grows.
    ("regime_anchors.csv", lambda rows: rows[10].__setitem__("us_import_gate", "0.5"), "us_import_gate rises at the stronger push 90"),
    # A history year whose parts do not cover the year.
    ("regime_history.csv", lambda rows: rows[3].__setitem__("months", "4"), "2025.s rows add up to 11, not 12"),
    # A data row that breaks the accounts: more smuggled value in 2024 than China spent that year.
    ("parameters.csv", lambda rows: next(r for r in rows if r["name"] == "budget_2024_usd_bn").update(
        {"default": "12", "low": "3", "high": "26"}) or next(r for r in rows if r["name"] == "price_grey_usd_k").update(
        {"default": "40"}) or next(r for r in rows if r["name"] == "grey_units_2024_k").update({"default": "400"}),
     "smuggled chips in 2024"),
])
def test_a_model_input_that_breaks_the_model_stops_the_load_with_a_clear_message(data_copy, file, mutate, message):
    rewrite(data_copy / file, lambda rows, fields: mutate(rows))
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        load_model_inputs(build_database(data_copy))
