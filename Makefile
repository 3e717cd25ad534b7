# judgekit developer commands. `make install` sets up .venv with everything; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint typecheck format bench wheel-check clean

install: $(BIN)/judgekit

$(BIN)/judgekit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(BIN)/judgekit

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check judgekit tests benchmarks scripts
	$(BIN)/ruff format --check judgekit tests benchmarks scripts
	$(BIN)/mypy

format: install
	$(BIN)/ruff format judgekit tests
	$(BIN)/ruff check --fix judgekit tests

bench: install
	$(BIN)/python benchmarks/bench.py

wheel-check: install
	rm -rf dist
	$(BIN)/python -m build --wheel --outdir dist . >/dev/null
	$(BIN)/python scripts/check_wheel.py dist/*.whl

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
