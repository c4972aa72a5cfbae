# DataMax template repository. Two commands matter:
#   make demo   render the default project into ./demo and run its pipeline on the sample data
#   make test   run the template's test suite (fast tier, then the slow tier)
.DEFAULT_GOAL := help
SHELL := bash

# uv is used when it is on PATH; otherwise it is bootstrapped into .tools/ with pip.
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
DEMO ?= demo
# Generated projects use the machine's Python; set UV_PYTHON_DOWNLOADS=automatic to let uv fetch one.
export UV_PYTHON_DOWNLOADS ?= never
PYTEST_ARGS ?=

.PHONY: help tools sync demo test test-fast test-slow slow-shards lint bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

tools: $(UV)

sync: tools  ## Install the template's development tools (uv sync)
	$(UV) sync --locked --quiet

demo: sync  ## Render the default project into ./demo and run its pipeline on the sample data
	rm -rf $(DEMO)
	$(UV) run copier copy --trust --defaults --quiet --vcs-ref HEAD . $(DEMO)
	cd $(DEMO) && git init --quiet && $(UV) sync --quiet && $(UV) run $$(sed -n 's/^package_name: //p' .copier-answers.yml) run
	@echo "Project rendered in $(DEMO)/: outputs under $(DEMO)/data/output, run report at $(DEMO)/data/output/reports/latest.json"

test: sync  ## Run the template's test suite: fast tier, then the slow tier
	$(UV) run pytest -m "not slow" -n auto $(PYTEST_ARGS)
	$(MAKE) --no-print-directory slow-shards

test-fast: sync  ## Fast tier only (validators, render matrix, extensions, interactive prompts)
	$(UV) run pytest -m "not slow" -n auto $(PYTEST_ARGS)

test-slow: sync  ## Slow tier only (generated projects' own gates)
	$(MAKE) --no-print-directory slow-shards

lint: sync  ## Lint and type-check the template's own Python
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

# The slow tier as two pytest processes side by side (`--shard 0/2`, `--shard 1/2`), each
# keeping a generated project's tests together; their logs are printed when both are done.
slow-shards:
	@rm -f .slow-0.log .slow-1.log
	@$(UV) run pytest -m slow --shard 0/2 --durations=15 $(PYTEST_ARGS) > .slow-0.log 2>&1 & first=$$!; \
	$(UV) run pytest -m slow --shard 1/2 --durations=15 $(PYTEST_ARGS) > .slow-1.log 2>&1; second=$$?; \
	wait $$first; first_status=$$?; cat .slow-0.log .slow-1.log; \
	test $$first_status -eq 0 -a $$second -eq 0

clean:  ## Remove the demo project and caches
	rm -rf $(DEMO) .pytest_cache .mypy_cache .ruff_cache

bench: sync  ## Benchmark every engine's generated pipeline against a hand-written script (ROWS=10000000)
	$(UV) run --group bench python bench/run.py --rows $(or $(ROWS),10000000) $(BENCH_ARGS)
