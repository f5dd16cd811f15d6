# Two commands for a fresh clone:
#   make run    create .venv, install, migrate, load demo data on first run, serve :8000
#   make test   install dev tools (and Debian chromium when root), lint, run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint test-postgres test-integration worker clean chromium

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python -m webapp

worker: $(VENV)/.installed
	$(BIN)/flask --app webapp worker

chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check webapp rating tests benchmarks
	$(BIN)/ruff format --check webapp rating
	$(BIN)/mypy
	$(BIN)/mypy --strict rating
	$(BIN)/bandit -q -ll -r webapp rating

test: $(VENV)/.dev-installed chromium lint
	$(BIN)/python -m pytest

# The database tests again, against a throwaway PostgreSQL cluster (needs its binaries).
test-postgres: $(VENV)/.dev-installed
	.ci/with-postgres $(BIN)/python -m pytest tests/webapp -m "not e2e and not slow"

# Production mode for real: PostgreSQL and Redis (Debian redis-server, installed when root
# and missing), two worker processes, gunicorn, a database restart.  See tests/integration.
test-integration: $(VENV)/.dev-installed
	.ci/with-services $(BIN)/python -m pytest tests/integration -m integration

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
