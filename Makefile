# Two entry points that work on a machine with only Python 3: `make demo` and `make test`.
# Both create the local virtual environment .venv on first use (idempotent afterwards).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.nkfx-installed

.PHONY: demo test test-slow lint bench clean venv

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) -m nkfx._demo --out nkfx-report

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks examples tools
	$(PY) -m mypy

test: lint
	$(PY) -m pytest

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) nkfx-report .pytest_cache .mypy_cache .ruff_cache
