# `make run` and `make test` work on a fresh machine: each creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit bench extension-zip clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/staffguard run

test: $(STAMP) lint
	$(BIN)/pytest -q
	node --test extension/tests/

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/proxy.py
	$(BIN)/python bench/admin.py
	$(BIN)/python bench/extension.py

extension-zip: $(STAMP)
	$(BIN)/staffguard extension zip

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
