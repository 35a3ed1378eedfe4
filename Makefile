# fcwatch — developer entry points. Everything a fresh machine needs is installed by these targets.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv lint typecheck unit test demo controlplane bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Build (once, cached in ~/.cache/fcwatch) the real kube-apiserver + etcd from Go modules.
controlplane:
	tests/controlplane/build.sh

lint: venv
	$(VENV)/bin/ruff check operator tests bench
	$(VENV)/bin/ruff format --check operator tests bench

typecheck: venv
	$(VENV)/bin/mypy

unit: venv
	$(PY) -m pytest -q tests/unit tests/fc

## ruff + mypy + every test: unit, SDK oracles, end to end on the real control plane.
test: venv lint typecheck controlplane
	FCWATCH_REQUIRE_E2E=1 $(PY) -m pytest -q -ra

## The main job on the embedded default: local control plane + FC simulator + operator + a sample watch.
demo: venv controlplane
	$(VENV)/bin/fcwatch demo

bench: venv
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
