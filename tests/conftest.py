import shutil
from pathlib import Path

import pytest

from chokepoint.data import DEFAULT_DATA_DIR, get_database
from chokepoint.engine import load_model_inputs
from chokepoint.store import DuckDBStore

ROOT = Path(__file__).resolve().parent.parent
TEST_OUTPUT = ROOT / "test-output"


@pytest.fixture(scope="session", autouse=True)
def chart_template_cache(tmp_path_factory):
    """Tests (and the servers they start) keep built chart templates in a folder of their own, never the
    project's .cache/: every run starts cold and leaves nothing behind."""
    import os
    folder = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("CHOKEPOINT_CACHE_DIR")
    os.environ["CHOKEPOINT_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("CHOKEPOINT_CACHE_DIR", None)
    else:
        os.environ["CHOKEPOINT_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def database():
    return get_database(DEFAULT_DATA_DIR)


@pytest.fixture(scope="session")
def inputs(database):
    return load_model_inputs(database)


@pytest.fixture
def data_copy(tmp_path):
    """A writable copy of data/ for tests that break files on purpose."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


@pytest.fixture
def isolated_store(tmp_path, monkeypatch):
    """The app's saved-scenario store in a temporary folder (and a handle on it for the test)."""
    from chokepoint.ui import resources

    monkeypatch.delenv("CHOKEPOINT_DATABASE_URL", raising=False)
    monkeypatch.setenv("CHOKEPOINT_STORE_DIR", str(tmp_path / "store"))
    resources.store.clear()
    yield DuckDBStore(tmp_path / "store" / "scenarios.duckdb")
    resources.store.clear()


# --- PostgreSQL for the store tests (scripts/with-postgres.sh; make test, make pg) --------------------------------
# Without a server the PostgreSQL tests FAIL, so a run that could not start one is never green by accident. They
# skip only when the run says so with CHOKEPOINT_SKIP_POSTGRES=1 (CI never sets it).

POSTGRES_HOW = ("run the tests through `make pg` / `make test` or `scripts/with-postgres.sh .venv/bin/python -m "
                "pytest ...` (it starts a throwaway PostgreSQL and sets CHOKEPOINT_TEST_DATABASE_URL), point "
                "CHOKEPOINT_TEST_DATABASE_URL at a server of your own, or set CHOKEPOINT_SKIP_POSTGRES=1 to skip the "
                "PostgreSQL tests on purpose")


@pytest.fixture(scope="session")
def postgres_url():
    """The test server's address (CHOKEPOINT_TEST_DATABASE_URL), checked once per run: fails the tests that need
    it when it is missing or unreachable; skips them only under CHOKEPOINT_SKIP_POSTGRES=1."""
    import os

    if os.environ.get("CHOKEPOINT_SKIP_POSTGRES", "").strip() == "1":
        pytest.skip("PostgreSQL skipped on purpose: CHOKEPOINT_SKIP_POSTGRES=1 is set")
    url = os.environ.get("CHOKEPOINT_TEST_DATABASE_URL", "").strip()
    if not url:
        pytest.fail(f"CHOKEPOINT_TEST_DATABASE_URL is not set, so the PostgreSQL tests cannot run: {POSTGRES_HOW}",
                    pytrace=False)
    import psycopg

    problem = ""
    try:
        psycopg.connect(url, autocommit=True, connect_timeout=5).close()
    except psycopg.Error as exc:  # the OperationalError's first line names host and port, never a password
        why = str(exc).strip().splitlines()[0][:200] if isinstance(exc, psycopg.OperationalError) else ""
        problem = type(exc).__name__ + (f": {why}" if why else "")
    if problem:  # failed outside the except block: the message alone, not the driver's traceback too
        pytest.fail(f"the PostgreSQL server at CHOKEPOINT_TEST_DATABASE_URL cannot be reached ({problem}), so the "
                    f"PostgreSQL tests cannot run: {POSTGRES_HOW}", pytrace=False)
    return url


@pytest.fixture
def postgres_schema_url(postgres_url):
    """A schema of this test's own on the test server, dropped afterwards: the address with that search_path."""
    import uuid
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')  # generated name, not user input
    parts = urlsplit(postgres_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"] + [("options", f"-csearch_path={schema}")]
    try:
        yield urlunsplit(parts._replace(query=urlencode(query)))
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
