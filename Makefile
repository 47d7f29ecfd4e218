# The two commands a newcomer needs: `make demo` and `make test`; `make deploy-install` before deploying.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Prefer the Lambda's Python (3.13) for the venv where it exists; 3.11+ works. Each candidate must
# really run: a pyenv shim for a version not selected exists on PATH but fails.
PYTHON ?= $(shell for candidate in python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) python3; do \
	"$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo "$$candidate"; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Deploying needs only the CDK app's libraries (requirements-deploy.txt), not the test and lint tooling.
DEPLOY_STAMP := $(VENV)/.deploy-installed
# checkov pins boto3 and packaging to versions the project cannot use: it gets a venv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1
# mkdocs prints a banner about its successor on every build; the site is built with mkdocs 1.6 on purpose.
export NO_MKDOCS_2_WARNING := 1

.PHONY: help install deploy-install demo sandbox test suite lint typecheck docs unit fuzz synth checkov bench e2e matrix mutation clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# requirements-dev.txt installs the engine (lambda/) editable: a new declared dependency reinstalls, new code does not need to.
$(STAMP): requirements-deploy.txt requirements-dev.txt lambda/requirements.txt lambda/pyproject.toml
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (3.13 preferred)" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (3.13 preferred)" >&2; exit 1; }
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

# The same .venv (cdk.json runs .venv/bin/python app.py): the CDK libraries, and the engine without its dependencies,
# since infra/ reads only its contract module. `make install` later adds the tooling to it.
$(DEPLOY_STAMP): requirements-deploy.txt lambda/pyproject.toml
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (3.13 preferred)" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-deploy.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e ./lambda
	@# A deploy-only venv keeps no installer (13 MB); `make install` restores it (ensurepip) before adding the tooling.
	@test -f $(STAMP) || $(PY) -m pip uninstall --quiet --yes pip
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The three installs are independent (two venvs, npm): run side by side, they overlap their downloads and unpacking.
install: ## Create the venvs (project, checkov) and install the CDK CLI (npm ci), in parallel
	@$(MAKE) --no-print-directory -j3 --output-sync=target $(STAMP) $(CHECKOV_STAMP) node_modules/.package-lock.json

deploy-install: $(DEPLOY_STAMP) node_modules/.package-lock.json ## Only what `npx cdk deploy` needs: the CDK app's libraries and the CDK CLI

demo: $(STAMP) ## The whole job, offline: sandbox, dry run, real sweep, the alert as delivered
	$(PY) -m sandbox.demo

sandbox: $(STAMP) ## Keep a sandbox running and print how to point the AWS CLI and the handler at it
	$(PY) -m sandbox serve

lint: $(STAMP) ## ruff (lint and format check) and lint-imports (the engine's layers, pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP) ## mypy --strict on the Lambda code, infra, the sandbox, the CLI, the benchmark and the tests
	$(VENV)/bin/mypy lambda infra sandbox cli bench app.py tests

# `make -j3 suite`: the installs run side by side, and ruff and mypy start as soon as .venv is ready, while the
# checkov venv and npm ci still install. pytest (two workers: both cores) starts when everything before it is done.
test: ## The suite CI runs: lint, types, unit, integration, infra (incl. npx cdk synth, checkov), docs (mkdocs --strict), demo
	@$(MAKE) --no-print-directory -j3 suite

suite: $(STAMP) $(CHECKOV_STAMP) node_modules/.package-lock.json lint typecheck
	$(VENV)/bin/pytest -n 2 --dist loadgroup

docs: $(STAMP) ## Build the documentation site (mkdocs.yml, docs/) into build/site with --strict; tests/docs does it too
	$(VENV)/bin/mkdocs build --strict

unit: $(STAMP) ## Every pure test: no sandbox, no CDK (tests/purity.py decides; the rest is marked impure)
	$(VENV)/bin/pytest -q -m "not impure"

# `make test` runs the probe fuzz property with a few hundred examples and the news ledger with a few hundred steps;
# this runs them with thousands (the ledger: LEDGER_EXAMPLES sequences of 18 steps).
FUZZ_EXAMPLES ?= 5000
LEDGER_EXAMPLES ?= 150
fuzz: $(STAMP) ## The probe fuzz property with FUZZ_EXAMPLES (default 5000) servers; the news ledger with LEDGER_EXAMPLES (150) sequences
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -p no:xdist tests/hostile/test_fuzz_probe.py -q --hypothesis-show-statistics
	LEDGER_EXAMPLES=$(LEDGER_EXAMPLES) $(VENV)/bin/pytest -p no:xdist tests/integration/test_news_ledger.py -q

synth: install ## npx cdk synth with bundling (arm64 by default)
	npx cdk synth --quiet

checkov: install ## checkov on the synthesized single-account and organization templates (part of make test)
	$(VENV)/bin/pytest -n 0 tests/infra/test_checkov.py -q

bench: $(STAMP) ## The benchmark: sweep cost vs providers, latency and dead hosts; writes bench/results/
	$(PY) -m bench

matrix: $(STAMP) ## Regenerate docs/hostile-matrix.md from the hostile scenarios
	$(PY) -m sandbox.matrix

# Not part of `make test`: tens of minutes on two cores. MUTATION_MODULES narrows it (rules request trust ...).
MUTATION_MODULES ?=
mutation: $(STAMP) ## Mutation testing (mutmut) of the pure modules with the pure tests; a score per module
	$(PY) -m bench.mutation $(MUTATION_MODULES)

e2e: install ## cdk deploy to an emulated account, then run what was deployed
	$(VENV)/bin/pytest tests/e2e -q

clean: ## Remove the venvs, node_modules and build output
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache .hypothesis lambda/build lambda/*.egg-info
