# Two entry points: `make build` and `make test`. Both set up the locked
# environment in .venv first (only python3.11 and make are needed).
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_NO_PROGRESS := 1

.PHONY: build dev test lint format env bench clean docs manifest

env: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

# dagster-dbt reads dbt_project/target/manifest.json at import: prepare it once
# here (dbt parse, only when a dbt file changed), not on every import.
manifest: env
	$(VENV)/bin/python -c "from orchestration.modelling.project import ensure_manifest; ensure_manifest()"

build: env manifest
	$(VENV)/bin/ogi build

# Reference pages from schemas/, then dbt's browsable docs of the built warehouse.
docs: build
	$(VENV)/bin/ogi docs
	cd dbt_project && ../$(VENV)/bin/dbt docs generate --profiles-dir . --static \
		--target-path ../build/dbt-docs --vars '{"warehouse": "../build/data/warehouse/ogi.duckdb"}'
	@echo "dbt docs: build/dbt-docs/static_index.html"

dev: env manifest
	mkdir -p .dagster_home
	DAGSTER_HOME=$(abspath .dagster_home) $(VENV)/bin/dagster dev -m orchestration.defs -h 127.0.0.1 -p 3000

test: env lint manifest
	$(VENV)/bin/pytest

lint: env
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: env
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: env
	$(VENV)/bin/python bench/parse_bench.py

clean:
	rm -rf build .pytest_cache .ruff_cache
