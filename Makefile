# Two entry points for a fresh machine with Python 3.11: `make quickstart` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: quickstart test lint install clean fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[train,search,dev]'
	touch $(STAMP)

install: $(STAMP)

quickstart: $(STAMP)
	$(BIN)/radargest quickstart --out out/quickstart

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# pytest exits 5 when it collects no test: that is a broken suite, not a pass. Two workers (pytest-xdist), one per
# core of the 2-core CI machine: about 8 min instead of 15 there; the tests share no files or ports.
test: $(STAMP) lint
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -n 2; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests ran: failing"; exit 1; fi; exit $$rc

# The loaders under hypothesis at 10,000 examples each (recording H5, labels CSV, bundle); about 30 min on 2 cores.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz MPLBACKEND=Agg $(BIN)/python -m pytest -q -m fuzz -p no:cacheprovider \
		--hypothesis-show-statistics tests

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
