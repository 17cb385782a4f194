"""Queries: one per file with a header, all used, bound parameters, safe across threads."""
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from chokepoint.data import QUERIES_DIR, run_query

ROOT = Path(__file__).resolve().parent.parent
QUERY_FILES = sorted(QUERIES_DIR.glob("*.sql"))


def project_source() -> str:
    files = list((ROOT / "chokepoint").rglob("*.py")) + list((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
    return "\n".join(f.read_text() for f in files if f.exists())


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_query_has_header_naming_it_and_its_columns(path):
    lines = path.read_text().splitlines()
    assert lines[0].startswith(f"-- {path.stem}:"), "first line must be '-- <name>: what it returns'"
    header = "\n".join(line for line in lines if line.startswith("--"))
    assert "Parameters:" in header and "Columns:" in header


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_every_query_is_used(path):
    assert re.search(rf"['\"]{path.stem}['\"]", project_source()), f"queries/{path.name} is never run"


def test_no_sql_is_built_by_string_formatting():
    # Values are bound ($name); the only f-string SQL names tables from the SCHEMAS allow-list.
    source = project_source()
    offenders = re.findall(r"execute\(f[\"'](?!CREATE TABLE \"\{name\}\")", source)
    assert offenders == []


def test_bound_parameter_filters_rows(database):
    export = run_query("regime_anchors", database, lever="export_controls")
    self_rel = run_query("regime_anchors", database, lever="self_reliance")
    assert set(export["lever"]) == {"export_controls"} and set(self_rel["lever"]) == {"self_reliance"}
    hostile = run_query("regime_anchors", database, lever="x' OR '1'='1")
    assert hostile.empty


def test_unknown_query_name_is_refused(database):
    with pytest.raises(KeyError):
        run_query("../data/parameters", database)


def test_queries_from_many_threads_return_the_same_answers(database):
    names = [("china_market_estimates", {"metric": "units"}), ("chip_specs", {}), ("policy_events", {}),
             ("company_baseline", {"eur_usd": 1.1, "jpy_usd": 0.7}), ("sources", {})]
    expected = {name: run_query(name, database, **params) for name, params in names}

    def job(k):
        name, params = names[k % len(names)]
        return name, run_query(name, database, **params)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for name, frame in pool.map(job, range(200)):
            pd.testing.assert_frame_equal(frame, expected[name])


def test_company_baseline_converts_currencies(database):
    frame = run_query("company_baseline", database, eur_usd=2.0, jpy_usd=1.0).set_index("company")
    raw = database.cursor().execute("SELECT company, china_revenue FROM company_baseline").df().set_index("company")
    assert frame.loc["ASML", "china_revenue_usd_bn"] == pytest.approx(2.0 * raw.loc["ASML", "china_revenue"])
    assert frame.loc["Tokyo Electron", "china_revenue_usd_bn"] == pytest.approx(raw.loc["Tokyo Electron", "china_revenue"] / 100)
    assert frame.loc["Nvidia", "china_revenue_usd_bn"] == pytest.approx(raw.loc["Nvidia", "china_revenue"])
