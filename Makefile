# Developer entry points; each is a task of tasks.py (`python -m tasks TASK` does the same
# without make, on Windows and macOS too).
#   make run      installs the app into .venv (no test tools), checks Qt's libraries, starts it
#   make test     installs the test tools and the Debian packages the tests need, runs the suite
#   make lint     ruff, ruff format --check, mypy, lint-imports
#   make lock     refreshes constraints.txt (the exact versions every install uses)
#   make clean    removes .venv, build/, dist/, *.egg-info and every cache
# PYTHON=python3.12 make run makes .venv with another Python (3.11 or newer).

PYTHON ?= python3
TASKS := $(PYTHON) tasks.py

.PHONY: run test lint bench bundle bundle-test lock system-deps clean

run:
	@$(TASKS) run -- $(ARGS)

test:
	@$(TASKS) test -- $(PYTEST_ARGS)

lint:
	@$(TASKS) lint

bench:
	@$(TASKS) bench -- $(ARGS)

# The one-folder desktop build in dist/clinic_app/ (PyInstaller, packaging/clinic_app.spec).
bundle:
	@$(TASKS) bundle

# Builds the bundle, then runs it: self-test, a clean failure, start-up time against the
# source tree, and its size (packaging/smoke_test.py).
bundle-test:
	@$(TASKS) bundle-test -- $(ARGS)

lock:
	@$(TASKS) lock

# Debian packages the tests need (Qt's libraries, the PostgreSQL server), only those missing.
system-deps:
	@sh packaging/linux/install-system-deps.sh test

clean:
	@$(TASKS) clean
