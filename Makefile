PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv clean bench fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/pseudocal demo $(DEMO_ARGS)

# One worker per core, each taking whole files (module fixtures and counts stay together);
# `make test WORKERS=0` runs in one process.
WORKERS ?= auto
test: $(STAMP)
	$(BIN)/ruff check daemon tests
	$(BIN)/mypy daemon/pseudocal
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

# The property tests with fresh random examples (make test draws the same ones each run).
# `make fuzz FUZZ_RUNS=5` repeats it; a counterexample found goes in as an @example.
FUZZ_RUNS ?= 1
fuzz: $(STAMP)
	for run in $$(seq $(FUZZ_RUNS)); do \
	  PSEUDOCAL_HYPOTHESIS=fuzz $(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile \
	    tests/property $(PYTEST_ARGS) || exit 1; done

bench: $(STAMP)
	$(BIN)/python tests/bench_sync.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# DAViCal and Cyrus on loopback (installed with apt-get the first time: needs root), the remote
# contract suite and a full sync cycle against each, then a result table. Not part of `make test`
# or CI. `make interop INTEROP_SERVERS=cyrus` runs one; results stay in .interop/<server>/.
.PHONY: interop
interop: $(STAMP)
	bash tests/interop/run.sh $(INTEROP_SERVERS)
