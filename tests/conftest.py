import shutil
from pathlib import Path

import pytest

from chokepoint.data import DEFAULT_DATA_DIR, get_database
from chokepoint.params import load_model_inputs
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
