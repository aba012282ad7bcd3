# The README's contract: `make run` serves the console, `make test` runs the whole suite.
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
# Django 6 needs Python 3.12+: take the first interpreter on this machine that is new enough.
PYTHON ?= $(shell for c in python3.13 python3.12 python3 $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3) $(wildcard /usr/bin/python3.1[2-9]); do \
	if $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$c; break; fi; done)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/incident_console
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
# Reverse proxies whose X-Forwarded-For uvicorn believes (none unless set; see the README).
TRUSTED_PROXIES ?=

.PHONY: install run test test-embedded test-service test-drills lint bench clean

install: $(VENV)/.installed node_modules/.installed

# axe-core for the browser tests' accessibility checks, at the version package-lock.json pins.
# Without npm the console still installs and runs; only those checks skip (.ci/run installs npm).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund && touch $@; \
	else echo "npm is not installed: the accessibility checks will skip (apt-get install npm)"; fi

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_site
	$(BIN)/python manage.py sync_runbooks
	$(BIN)/python manage.py ensure_admin
	@echo "Incident Console on http://127.0.0.1:$(PORT)/"
	INCIDENT_CONSOLE_SERVER=1 $(BIN)/uvicorn incident_console.asgi:application --host 127.0.0.1 --port $(PORT) \
		--forwarded-allow-ips='$(TRUSTED_PROXIES)'

SERVICE_ENV := DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SECRET_KEY=test-only-secret-key \
	DB_CONN_MAX_AGE=0 METRICS_TOKEN=test-only-metrics-token

# The two passes run one after the other: side by side on two cores they are CPU-bound and
# took 23 min (each 22–23 min) against 18 min in turn, with the timing drills at their edge.
# The fault drills (marked `drill`: they kill and restart Redis, PostgreSQL, workers and web
# processes, and mostly wait: about 5 min) are `make test-drills`; .ci/run runs them after this.
test: install
	$(MAKE) --no-print-directory test-embedded
	$(MAKE) --no-print-directory test-service

test-embedded: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest

test-service: install
	$(SERVICE_ENV) $(BIN)/pytest -m "not drill"

test-drills: install
	$(SERVICE_ENV) $(BIN)/pytest -m drill

# mypy reads its files (executors/, runbooks/) and --strict from pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m lint.catalogue check

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache node_modules
