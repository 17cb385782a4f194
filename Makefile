# One task runner for everything: what the README says is what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium

.PHONY: install run test pg bench lint browser fonts clean

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

# The PDF handout prints Chinese, Japanese, Korean and emoji with Debian's fonts (chokepoint/exports.py). Without
# them the app still runs and the handout writes such characters as code points (<U+534E>) and says so.
CJK_FONT := /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
EMOJI_FONT := /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf
fonts:
	@if [ ! -f $(CJK_FONT) ] || [ ! -f $(EMOJI_FONT) ]; then \
	  echo "Installing Debian's fonts-droid-fallback and fonts-symbola for the PDF handout"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	      fonts-droid-fallback fonts-symbola >/dev/null; } \
	  || echo "Could not install the fonts: the PDF handout will write Chinese and emoji as code points"; \
	fi

run: install fonts
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

# scripts/with-postgres.sh starts a throwaway PostgreSQL (installing Debian's package if needed) so the store
# tests run on both backends; it stops and deletes it afterwards. If PostgreSQL cannot start, the run fails.
# `CHOKEPOINT_SKIP_POSTGRES=1 make test` skips the PostgreSQL tests on purpose (shown as skipped); CI never does.
test: install browser fonts proxy
	scripts/with-postgres.sh $(BIN)/python -m pytest

# Only the saved-scenario store tests (scenarios and decks), on DuckDB and a throwaway PostgreSQL: never skipped.
pg: install
	CHOKEPOINT_SKIP_POSTGRES= scripts/with-postgres.sh $(BIN)/python -m pytest tests/test_store.py -q

bench: install browser fonts
	$(BIN)/python -m bench

# HAProxy for `make serve` and the deployment test (tests/e2e/test_deployment.py): Debian's haproxy package.
.PHONY: proxy serve load
proxy:
	@if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then \
	  echo "Installing Debian's haproxy for make serve and the deployment test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq haproxy >/dev/null; \
	fi

# More visitors than one process holds: PostgreSQL, REPLICAS Streamlit processes (default one per core) and HAProxy
# on PORT (default 8080), all from Debian's packages (deploy/serve.sh). Ctrl-C stops everything; saved scenarios
# stay in .serve/postgres. BIND=0.0.0.0 to let other machines in.
REPLICAS ?= $(shell nproc 2>/dev/null || echo 2)
SERVE_PORT = $(if $(filter command line environment,$(origin PORT)),$(PORT),8080)
BIND ?= 127.0.0.1
serve: install fonts proxy
	deploy/serve.sh --replicas $(REPLICAS) --port $(SERVE_PORT) --bind $(BIND)

# Simulated visitors against a running app on this machine (bench/load.py): USERS <= 400, SECONDS <= 600.
USERS ?= 20
SECONDS ?= 60
URL ?= http://127.0.0.1:8501
load: install
	$(BIN)/python -m bench.load --users $(USERS) --seconds $(SECONDS) --url $(URL)

lint: install
	$(BIN)/python -m compileall -q chokepoint pages app.py

clean:
	rm -rf $(VENV) test-output .pytest_cache .cache
