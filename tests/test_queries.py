"""Queries: one per file with a header, every one executed by the app or the CLI, bound parameters, safe across
threads."""
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from apptests import assert_page_healthy, run_app

from chokepoint import data
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


@pytest.fixture
def executed(monkeypatch, tmp_path, isolated_store):
    """Which queries run, recorded where every caller gets a query's SQL (data.query_text, which run_query calls),
    from a cold start: Streamlit's caches emptied and chart templates built afresh, so nothing is served from an
    earlier test's cache. `executed.source` labels what ran them."""
    import streamlit as st

    class Record(dict):
        source = "?"

    record, read = Record(), data.query_text

    def recording(name):
        text = read(name)
        record.setdefault(name, set()).add(record.source)
        return text

    monkeypatch.setattr(data, "query_text", recording)
    monkeypatch.setenv("CHOKEPOINT_CACHE_DIR", str(tmp_path / "cache"))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield record
    st.cache_resource.clear()  # what the pages cached was built with the recorder in place


def test_every_query_is_executed_by_the_app_or_the_cli(executed, capsys):
    """Open every page of the menu and run the CLI's quick commands; every file in queries/ must have been run.
    A query no path runs any more is dead SQL (or a caller that quietly reads the data some other way)."""
    from chokepoint.cli import main
    from chokepoint.ui.shell import PAGES

    for path, *_ in PAGES:
        executed.source = path
        assert_page_healthy(run_app(None if path == PAGES[0][0] else path))
    for argv in (["params"], ["validate"], ["validate", "--backtest"], ["run"]):
        executed.source = "python -m chokepoint " + " ".join(argv)
        assert main(argv) == 0
    capsys.readouterr()
    never = sorted(p.name for p in QUERY_FILES if p.stem not in executed)
    ran = "\n".join(f"  {name}: {', '.join(sorted(sources))}" for name, sources in sorted(executed.items()))
    assert not never, f"never executed: {never}; what ran, and from where:\n{ran}"


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
