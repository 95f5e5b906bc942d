# Filestore: every setup step is a file target, so `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
STAMPS := .make
EXT_DIR := source/ext
DIST := dist
PACKAGE_ZIP := $(DIST)/filestore-lambda.zip
WEB_VENDOR := static/web/vendor
# The Tavern plugin for Lambda stages, installed from its folder by requirements.txt.
PLUGIN := plugins/tavern-lambda
PLUGIN_SOURCES := $(PLUGIN)/pyproject.toml $(shell find $(PLUGIN)/src -type f ! -path '*/__pycache__/*' ! -path '*.egg-info/*' 2>/dev/null)
# The WebPage publisher's package (template.yaml's PublishWebFunction CodeUri): its handler and
# whatever static/web/ holds, so a page change is a new package and a re-publish.
WEB_PUBLISHER := $(DIST)/web-publisher
WEB_SOURCES := $(shell find static/web web_publisher -type f ! -path '*/__pycache__/*' 2>/dev/null)
PACKAGE_STAGE := $(DIST)/package

# The functions' Runtime (template.yaml) and the boto3/botocore for its local environment.
# Unverified pin (2026-12-01): AWS's "Building Lambda functions with Python", section
# "Runtime-included SDK versions", says only that the included version "depends on the runtime
# version and your AWS Region" (the copies readable here give no number for python3.13); the
# way to know is boto3.__version__ printed by a deployed function. 1.40.4 (an August 2025
# release) stands in until then: replace it with what a deployed function prints.
LAMBDA_RUNTIME := python3.13
RUNTIME_BOTO3 := 1.40.4
RUNTIME_ENV := .runtime/$(LAMBDA_RUNTIME)
RUNTIME_PY := $(RUNTIME_ENV)/bin/python
# python3.13 through pyenv (PYENV_VERSION=3.13.0), any pyenv 3.13.x, or on PATH.
PYTHON313 ?= $(shell { PYENV_VERSION=3.13.0 python3.13 -c 'import sys; print(sys.executable)' \
    || ls -d "$$(pyenv root)"/versions/3.13.*/bin/python3.13 \
    || command -v python3.13; } 2>/dev/null | tail -n 1)

export PYTHONPATH := $(CURDIR)/source:$(CURDIR)

.PHONY: help setup vendor runtime run test lint typecheck unit plugin integration browser bench bench-smoke \
        package test-integration deploy clean clean-data

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# ---- setup ---------------------------------------------------------------------------------
# A change to the plugin reinstalls it (pip always reinstalls a project given by its path).
$(STAMPS)/venv: requirements.txt $(PLUGIN_SOURCES)
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

# checkov in a venv of its own: its pinned dependencies (boto3 1.35, packaging 23) clash with ours.
$(STAMPS)/checkov: requirements-checkov.txt
	@mkdir -p $(STAMPS)
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	    -r requirements-checkov.txt
	@touch $@

# Runtime dependencies for the Lambda platform: no Docker and no Python 3.13 needed.
$(STAMPS)/vendor: $(EXT_DIR)/requirements.txt | $(STAMPS)/venv
	find $(EXT_DIR) -mindepth 1 -maxdepth 1 ! -name requirements.txt -exec rm -rf {} +
	$(PY) -m pip install --quiet --no-deps --target $(EXT_DIR) \
	    --platform manylinux2014_aarch64 --python-version 3.13 --implementation cp \
	    --only-binary=:all: -r $(EXT_DIR)/requirements.txt
	rm -rf $(EXT_DIR)/bin  # console scripts (filetype's CLI): the Lambdas import, never run them
	@touch $@

# FilePond and its plugins from the npm registry (pinned by static/package-lock.json).
$(STAMPS)/web: static/package.json static/package-lock.json static/build.mjs
	@mkdir -p $(STAMPS)
	cd static && npm ci --no-audit --no-fund --loglevel=error
	cd static && node build.mjs
	@touch $@

$(STAMPS)/web-publisher: $(STAMPS)/web $(STAMPS)/venv $(WEB_SOURCES)
	$(PY) -m web_publisher.build $(WEB_PUBLISHER)
	@touch $@

# The interpreter the functions' workers run on: python3.13 with the runtime's boto3 and the host
# architecture's builds of the vendored native modules beside the arm64 ones (never zipped).
$(STAMPS)/runtime: $(STAMPS)/vendor
	@test -n "$(PYTHON313)" || { echo "$(LAMBDA_RUNTIME) not found (the template's Runtime):" \
	    "install it (pyenv install 3.13) or set PYTHON313=/path/to/python3.13"; exit 1; }
	rm -rf $(RUNTIME_ENV)
	$(PYTHON313) -m venv $(RUNTIME_ENV)
	$(RUNTIME_PY) -m pip install --quiet boto3==$(RUNTIME_BOTO3) botocore==$(RUNTIME_BOTO3)
	$(RUNTIME_PY) -m local_stack.awslambda.host_native $(EXT_DIR)
	@touch $@

runtime: $(STAMPS)/runtime ## The python3.13 environment the functions run on (needs python3.13)

setup: $(STAMPS)/venv $(STAMPS)/vendor $(STAMPS)/web $(STAMPS)/web-publisher ## Install everything (idempotent)

vendor: $(STAMPS)/vendor ## Vendor the Lambda runtime dependencies into source/ext/

# ---- run -----------------------------------------------------------------------------------
run: setup ## Serve the whole app offline (API :3000, S3 :4566, Lambda :3001, web :8080)
	@# Without python3.13 the stack still starts, and says so in one WARNING line of its own.
	@$(MAKE) -s --no-print-directory $(STAMPS)/runtime >/dev/null 2>&1 || true
	$(PY) -m local_stack

# ---- checks --------------------------------------------------------------------------------
lint: $(STAMPS)/venv $(STAMPS)/checkov ## ruff, cfn-lint, checkov and the Swagger validator
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml
	@# Fails on any finding that is neither fixed nor waived in template.yaml (Metadata: checkov:
	@# skip:, each with its reason). --skip-download: no Prisma Cloud calls, works offline.
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation \
	    --skip-download --quiet --compact
	$(PY) -m openapi_spec_validator --schema 2.0 api/swagger.yaml

typecheck: $(STAMPS)/venv ## mypy over the Lambdas, the local stack, the plugin and the test helpers
	$(VENV)/bin/mypy source/filestore source/handlers source/runtime_context.py source/vendor.py \
	    local_stack tests/helpers tests/browser web_publisher bench $(PLUGIN)/src

unit: setup runtime package ## Unit tests (no network)
	$(PY) -m pytest tests/unit

plugin: setup runtime ## The tavern-lambda plugin's own tests (unit, and Tavern runs against a local stack)
	$(PY) -m pytest $(PLUGIN)/tests

integration: setup runtime ## Tavern and contract tests against a local stack started by pytest
	$(PY) -m pytest tests/integration

browser: setup runtime ## Browser tests (Playwright driving Debian's Chromium)
	@test -x "$${CHROMIUM:-/usr/bin/chromium}" || { \
	    echo "Chromium not found at $${CHROMIUM:-/usr/bin/chromium}: apt-get install chromium (or set CHROMIUM)"; exit 1; }
	$(PY) -m pytest tests/browser

bench-smoke: setup runtime package ## The benchmark in its small smoke mode (keeps it working)
	$(PY) -m bench --smoke

# Each suite's wall time (and the load then) goes to $(TEST_TIMES): docs/BENCHMARKS.md reports it.
# Two lanes run side by side (each suite starts its own stacks on free ports); "all" is the run.
TEST_TIMES := $(STAMPS)/test-times.tsv
TEST_LANE_A := typecheck unit browser
TEST_LANE_B := lint integration plugin bench-smoke
define timed_suites
for suite in $(1); do started=$$EPOCHREALTIME; \
    $(MAKE) --no-print-directory $$suite > $(STAMPS)/test-$$suite.log 2>&1 \
        || { cat $(STAMPS)/test-$$suite.log; echo "make $$suite failed"; exit 1; }; \
    cat $(STAMPS)/test-$$suite.log; \
    awk -v s=$$suite -v a=$$started -v b=$$EPOCHREALTIME -v l="$$(cut -d' ' -f1 /proc/loadavg)" \
        'BEGIN { printf "%s\t%.1f\t%s\n", s, b - a, l }' >> $(TEST_TIMES); done
endef
test: setup runtime package ## Set up and run every test (each suite timed in .make/test-times.tsv)
	@: > $(TEST_TIMES); started=$$EPOCHREALTIME; \
	( $(call timed_suites,$(TEST_LANE_A)) ) & lane_a=$$!; \
	( $(call timed_suites,$(TEST_LANE_B)) ) & lane_b=$$!; \
	wait $$lane_a; a=$$?; wait $$lane_b; b=$$?; \
	awk -v a=$$started -v b=$$EPOCHREALTIME -v l="$$(cut -d' ' -f1 /proc/loadavg)" \
	    'BEGIN { printf "all\t%.1f\t%s\n", b - a, l }' >> $(TEST_TIMES); \
	test $$a = 0 && test $$b = 0

bench: setup runtime package ## Measure Filestore and write docs/BENCHMARKS.md
	$(PY) -m bench

test-integration: setup runtime ## Every Tavern file against deployed stacks (TEST_HOST, ...: see README)
	@test -n "$$TEST_HOST" && test -n "$$TEST_API_KEY" && test -n "$$TAVERN_LAMBDA_STACK" || { \
	    echo "set TEST_HOST, TEST_API_KEY and TAVERN_LAMBDA_STACK (and the README's other stacks)"; exit 1; }
	$(PY) -m pytest tests/integration -k tavern

# ---- package and deploy --------------------------------------------------------------------
# Lambda's /var/task is read-only, so Python cannot cache bytecode there: the zip ships it, compiled
# by python3.13 in unchecked-hash mode (valid whatever mtimes unzipping gives the sources).
package: $(PACKAGE_ZIP) ## Zip source/, its vendored dependencies and their 3.13 bytecode into dist/

$(PACKAGE_ZIP): $(STAMPS)/runtime $(shell find source -type f ! -path '*/__pycache__/*' 2>/dev/null)
	@mkdir -p $(DIST)
	rm -rf $(PACKAGE_ZIP) $(PACKAGE_STAGE)
	mkdir -p $(PACKAGE_STAGE)
	cp -a source/. $(PACKAGE_STAGE)/
	find $(PACKAGE_STAGE) -name '__pycache__' -prune -exec rm -rf {} +
	find $(PACKAGE_STAGE) -name '*.so' ! -name '*aarch64*' -delete  # the host's builds (make runtime)
	$(RUNTIME_PY) -m compileall -q -j 0 --invalidation-mode unchecked-hash $(PACKAGE_STAGE)
	cd $(PACKAGE_STAGE) && find . -type f -print | LC_ALL=C sort | zip -q -X -@ ../../$(PACKAGE_ZIP)
	@ls -l $(PACKAGE_ZIP)

deploy: $(STAMPS)/vendor $(STAMPS)/web-publisher ## Deploy the stack and its page (SAM CLI, AWS credentials)
	sam deploy --guided

clean-data: ## Forget every file, record and queued event `make run` kept (FILESTORE_DATA_DIR)
	d="$${FILESTORE_DATA_DIR-.filestore}"; test -z "$$d" || rm -rf "$$d"

clean: ## Remove everything the Makefile installed or built
	rm -rf $(VENV) $(CHECKOV_VENV) $(STAMPS) $(DIST) .runtime static/node_modules $(WEB_VENDOR) $(PLUGIN)/build $(PLUGIN)/src/*.egg-info
	find $(EXT_DIR) -mindepth 1 -maxdepth 1 ! -name requirements.txt -exec rm -rf {} +
