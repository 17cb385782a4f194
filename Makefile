# One task runner for everything: what the README says is what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium

.PHONY: install run test pg bench lint browser clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's Chromium (browser downloads are not possible here).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

run: install
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

# scripts/with-postgres.sh starts a throwaway PostgreSQL (installing Debian's package if needed) so the store
# tests run on both backends; it stops and deletes it afterwards.
test: install browser
	scripts/with-postgres.sh $(BIN)/python -m pytest

# Only the saved-scenario store tests, on DuckDB and a throwaway PostgreSQL.
pg: install
	scripts/with-postgres.sh $(BIN)/python -m pytest tests/test_store.py -q

bench: install browser
	$(BIN)/python -m chokepoint.bench

lint: install
	$(BIN)/python -m compileall -q chokepoint pages app.py

clean:
	rm -rf $(VENV) test-output .pytest_cache .cache
