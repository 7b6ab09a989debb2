# Developer entry points. `make run` starts the app; `make test` installs what the tests need
# and runs the whole suite (lint, types, layering, unit, storage on SQLite and PostgreSQL, GUI).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test system-deps bench clean

run: $(VENV)/.installed
	$(BIN)/clinic-app $(ARGS)

test: $(VENV)/.installed system-deps
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run.py $(ARGS)

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# Debian packages: the PostgreSQL server for the server tests and the libraries Qt needs.
system-deps:
	@sh packaging/linux/install-system-deps.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
