# Two commands for a fresh clone: `make run` and `make test` (README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The CPU torch wheel lies there on these machines; harmless where the folder is absent.
PIP_FLAGS := --disable-pip-version-check $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
export LITELLM_LOCAL_MODEL_COST_MAP := True
export MPLBACKEND := Agg

.PHONY: run viewer test setup dev seed lint bench clean

run: setup seed
	$(VENV)/bin/streamlit run streamlit_app.py --server.address 127.0.0.1 --server.port 8501 --server.headless true

# Share the workspace read-only with the lab (README: Viewer mode): no seeding, nothing written;
# `make run` stays local and full.
VIEWER_HOST ?= 0.0.0.0
VIEWER_PORT ?= 8502
viewer: setup
	$(VENV)/bin/scigen serve --viewer --host $(VIEWER_HOST) --port $(VIEWER_PORT)

test: dev
	$(VENV)/bin/pytest

setup: $(VENV)/.installed

dev: $(VENV)/.dev-installed

# Stamp files make a second `make run` skip installing entirely.
$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install $(PIP_FLAGS) -q -r requirements.txt
	$(PIP) install $(PIP_FLAGS) -q --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PIP) install $(PIP_FLAGS) -q -r requirements-dev.txt
	@touch $@

seed: setup
	$(VENV)/bin/scigen init

lint: dev
	$(VENV)/bin/ruff check .

bench: setup
	@for script in bench/*_bench.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
