# Developer entry points. `make run` starts the app; `make test` installs what the tests need
# and runs the whole suite (lint, types, layering, unit, storage on SQLite and PostgreSQL, GUI).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test system-deps bench clean bundle bundle-test

run: $(VENV)/.installed
	$(BIN)/clinic-app $(ARGS)

test: $(VENV)/.installed system-deps
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run.py $(ARGS)

# The one-folder desktop build in dist/clinic_app/ (PyInstaller, packaging/clinic_app.spec).
# The system packages come first: PyInstaller copies the Qt platform libraries it finds here.
bundle: $(VENV)/.installed system-deps
	$(BIN)/python -m pip install --quiet -e ".[packaging]"
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist --workpath build packaging/clinic_app.spec

# Builds the bundle, then runs it: self-test, a clean failure, start-up time against the
# source tree, and its size (packaging/smoke_test.py).
bundle-test: bundle
	$(BIN)/python packaging/smoke_test.py --no-build $(ARGS)

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
