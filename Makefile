# `make run` and `make test` work on a fresh machine: each creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit bench coverage extension-zip clean

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

# Not part of `make test`: the Python tests once more under coverage.py, with every StaffGuard
# process they start (mitmdump, `staffguard web`/`run`/`proxy`) measured too (pyproject.toml,
# [tool.coverage.run]), combined; a figure per package. The figures print even when a test
# fails, and then the target fails. Details in docs/testing.md.
COVERED := policy_lists proxy_addons admin_web staffguard_common

coverage: $(STAMP)
	rm -rf .coverage-data && mkdir .coverage-data
	$(BIN)/coverage run -m pytest -q; status=$$?; \
	$(BIN)/coverage combine -q && $(BIN)/coverage report && \
	for package in $(COVERED); do \
		printf '%-18s %s%%\n' $$package "$$($(BIN)/coverage report --include="$$package/*" --format=total)"; \
	done; \
	exit $$status

bench: $(STAMP)
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/proxy.py
	$(BIN)/python bench/admin.py
	$(BIN)/python bench/extension.py

extension-zip: $(STAMP)
	$(BIN)/staffguard extension zip

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage-data
