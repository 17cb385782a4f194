"""Every figure in data/ carries a source or an explicit judgment label."""
import csv

from chokepoint.data import DEFAULT_DATA_DIR, run_query

DATA_FILES = sorted(DEFAULT_DATA_DIR.glob("*.csv"))


def test_every_data_file_has_a_source_column():
    for path in DATA_FILES:
        header = next(csv.reader(path.open()))
        assert any("source" in column for column in header), path.name


def test_every_parameter_has_sources_or_is_judgment(database):
    for row in run_query("model_parameters", database).itertuples():
        assert row.basis in ("sourced", "derived", "calibrated", "judgment")
        if row.basis != "judgment":
            assert isinstance(row.source_ids, str) and row.source_ids.startswith("F"), row.name


def test_unverified_memory_figures_are_not_shipped_as_data(database):
    memory = set(database.cursor().execute(
        "SELECT source_id FROM sources WHERE confidence = 'from-memory-unverified'").df().source_id)
    financials = database.cursor().execute("SELECT * FROM company_financials").df()
    for row in financials.itertuples():
        cited = set(str(row.source_id).split(";")) if isinstance(row.source_id, str) else set()
        if cited & memory and row.value == row.value:  # a value present
            assert row.status in ("unverified",), row
    for table in ("parameters", "company_baseline"):
        cited = database.cursor().execute(f'SELECT source_ids FROM "{table}"').df().source_ids.dropna()
        for ids in cited:
            assert not (set(ids.split(";")) & memory), (table, ids)


def test_sources_carry_title_address_date_and_confidence(database):
    sources = run_query("sources", database)
    assert sources.title.str.len().min() > 0
    assert sources.url.str.startswith("http").all()
    assert sources.date.str.len().min() > 0
    assert set(sources.confidence) <= {"verified-in-source", "verified-in-source (secondary)",
                                       "derived-from-verified", "from-memory-unverified"}
