# Filestore: every setup step is a file target, so `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make
EXT_DIR := source/ext
DIST := dist
PACKAGE_ZIP := $(DIST)/filestore-lambda.zip
WEB_VENDOR := static/web/vendor

export PYTHONPATH := $(CURDIR)/source:$(CURDIR)

.PHONY: help setup vendor run test lint typecheck unit integration browser bench bench-smoke package \
        test-integration deploy deploy-web clean clean-data

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# ---- setup ---------------------------------------------------------------------------------
$(STAMPS)/venv: requirements.txt
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
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

setup: $(STAMPS)/venv $(STAMPS)/vendor $(STAMPS)/web ## Install everything (idempotent)

vendor: $(STAMPS)/vendor ## Vendor the Lambda runtime dependencies into source/ext/

# ---- run -----------------------------------------------------------------------------------
run: setup ## Serve the whole app offline (API :3000, S3 :4566, web :8080)
	$(PY) -m local_stack

# ---- checks --------------------------------------------------------------------------------
lint: $(STAMPS)/venv ## ruff, cfn-lint and the Swagger validator
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml
	$(PY) -m openapi_spec_validator --schema 2.0 api/swagger.yaml

typecheck: $(STAMPS)/venv ## mypy over the Lambdas, the local stack and the test helpers
	$(VENV)/bin/mypy source/filestore source/handlers source/runtime_context.py source/vendor.py \
	    local_stack tests/helpers tests/browser scripts bench

unit: setup package ## Unit tests (no network)
	$(PY) -m pytest tests/unit

integration: setup ## Tavern and contract tests against a local stack started by pytest
	$(PY) -m pytest tests/integration

browser: setup ## Browser tests (Playwright driving Debian's Chromium)
	@test -x "$${CHROMIUM:-/usr/bin/chromium}" || { \
	    echo "Chromium not found at $${CHROMIUM:-/usr/bin/chromium}: apt-get install chromium (or set CHROMIUM)"; exit 1; }
	$(PY) -m pytest tests/browser

bench-smoke: setup package ## The benchmark in its small smoke mode (keeps it working)
	$(PY) -m bench --smoke

test: setup lint typecheck unit integration browser bench-smoke ## Set up and run every test

bench: setup package ## Measure Filestore and write docs/BENCHMARKS.md
	$(PY) -m bench

test-integration: setup ## Tavern suite against a deployed stack (TEST_HOST, TEST_API_KEY)
	@test -n "$$TEST_HOST" && test -n "$$TEST_API_KEY" || { echo "set TEST_HOST and TEST_API_KEY"; exit 1; }
	$(PY) -m pytest tests/integration -k tavern

# ---- package and deploy --------------------------------------------------------------------
package: $(STAMPS)/vendor ## Zip source/ with its vendored dependencies into dist/
	@mkdir -p $(DIST)
	rm -f $(PACKAGE_ZIP)
	cd source && find . -name '__pycache__' -prune -o -type f -print | LC_ALL=C sort \
	    | zip -q -X -@ ../$(PACKAGE_ZIP)
	@ls -l $(PACKAGE_ZIP)

deploy: $(STAMPS)/vendor ## sam deploy --guided (needs the SAM CLI and AWS credentials)
	sam deploy --guided

deploy-web: $(STAMPS)/web ## Write config.js from the stack outputs and sync the site (STACK=name)
	$(PY) -m scripts.deploy_web --stack "$${STACK:?set STACK to the stack name}"

clean-data: ## Forget every file, record and queued event `make run` kept (FILESTORE_DATA_DIR)
	d="$${FILESTORE_DATA_DIR-.filestore}"; test -z "$$d" || rm -rf "$$d"

clean: ## Remove everything the Makefile installed or built
	rm -rf $(VENV) $(STAMPS) $(DIST) static/node_modules $(WEB_VENDOR)
	find $(EXT_DIR) -mindepth 1 -maxdepth 1 ! -name requirements.txt -exec rm -rf {} +
