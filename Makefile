# moecheck: `make install && make verify` (the main job), `make test`, `make bench`.
PYTHON ?= python3
export OMP_WAIT_POLICY ?= PASSIVE
PROFILE ?= full
DEVICE ?= auto
REPORTS ?= reports
# seconds per check: the full profile trains the papers' experiments at their budget (5 seeds each)
TIMEOUT ?= 900
BENCH_PROFILE ?= small

.PHONY: install verify test lint bench soundness clean

# Keep an existing torch; install the CPU build torch==2.13.0 only where none is present
# (an unpinned torch pulls a multi-GB CUDA build on these machines).
install:
	@$(PYTHON) -c "import torch; print('keeping torch', torch.__version__)" 2>/dev/null || \
		$(PYTHON) -m pip install --quiet torch==2.13.0
	$(PYTHON) -m pip install --quiet -e ".[test]"

verify:
	$(PYTHON) -m checkers.cli verify --profile $(PROFILE) --device $(DEVICE) --timeout $(TIMEOUT) \
		--json $(REPORTS)/verify.json --markdown $(REPORTS)/verify.md --junit $(REPORTS)/verify.xml

test:
	$(PYTHON) -m pytest -q -m "not slow" --ignore=tests/slow

# the differential soundness harness (issue 11): >= 10,000 generated cases against an independent oracle
soundness:
	$(PYTHON) -m tests.quality.soundness_harness --out results/soundness.json

# ruff (lint + format check) everywhere; mypy --strict on proofs/ (mathematics) and checkers/run (the runner)
MYPY_STRICT ?= proofs checkers/run
lint:
	$(PYTHON) -m ruff check proofs constructions checkers benchmarks tests
	$(PYTHON) -m ruff format --check proofs constructions checkers benchmarks tests
	$(PYTHON) -m mypy --strict $(MYPY_STRICT)

bench:
	$(PYTHON) -m benchmarks.bench --profile $(BENCH_PROFILE) --device $(DEVICE) --out results

clean:
	rm -rf $(REPORTS) .pytest_cache .hypothesis build *.egg-info
