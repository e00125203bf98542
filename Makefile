# Two commands set everything up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8765
PYTEST_ARGS ?=
BENCH_ARGS ?=
CHECKED := chatserver protocol loadtest

.PHONY: install install-test run test lint test-tools token bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -qq -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -qq -e '.[test]'
	touch $@

## install: create .venv if missing and install the project into it (shared step).
install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

.dev-secret:
	@$(PY) -c "import secrets; print(secrets.token_urlsafe(32))" > $@
	@echo "made .dev-secret (a random listener-token secret for this checkout)" >&2

## run: serve on the embedded default (in-memory broker) at $(HOST):$(PORT).
run: install .dev-secret
	CHATSERVER_AUTH_SECRET=$$(cat .dev-secret) $(BIN)/python -m chatserver serve --host $(HOST) --port $(PORT) --broker memory --demo-token

## token: print a listener token for the dev server, e.g. make token NAME=Sam TOPICS=anxiety,stress
token: install .dev-secret
	@CHATSERVER_AUTH_SECRET=$$(cat .dev-secret) $(BIN)/python -m chatserver token --name "$(or $(NAME),Sam)" --topics "$(or $(TOPICS),)" $(if $(ROLE),--role $(ROLE),)

## test-tools: make sure redis-server and chromium are present (apt as root), or say what to install.
test-tools:
	@bash tests/support/ensure_tools.sh

lint: install-test
	$(BIN)/ruff check $(CHECKED) tests
	$(BIN)/ruff format --check $(CHECKED) tests
	$(BIN)/mypy --strict $(CHECKED)

## test: install with test extras, bring redis-server and chromium, lint, type-check, run the suite.
test: install-test test-tools lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -qq -e '.[bench]'
	touch $@

## bench: run every benchmark side by side (a few minutes) and write bench/RESULTS.md.
bench: $(VENV)/.installed-bench test-tools
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
