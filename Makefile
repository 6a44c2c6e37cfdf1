# DreamDot. `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-local.txt requirements-dev.txt | sha1sum | cut -c1-12)
TEST_WORKERS ?= auto
export FLASK_APP := wsgi

.PHONY: help setup run reset test test-fast lint fmt seed migrate clean bench bench-short two-dynos fuzz lighthouse screenshots

help: ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-local.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP) ## Create the virtualenv and install the pinned requirements

run: setup ## Run DreamDot on embedded PostgreSQL and secantusdb at http://localhost:5000 (Ctrl-C stops all)
	$(BIN)/python -m devstores run

reset: ## Forget the local data (databases, documents, media) of make run
	rm -rf instance

test: setup ## Run the whole suite in parallel on embedded stores, or on TEST_DATABASE_URL / TEST_MONGODB_URI / TEST_REDIS_URL
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-fast: setup ## The suite without browser tests
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not browser" $(PYTEST_ARGS)

fuzz: setup ## Long Schemathesis run over the API (FUZZ_EXAMPLES=500 per operation and identity)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(BIN)/python -m pytest tests/security/test_fuzz_api.py tests/security/test_form_fuzz.py tests/security/test_chat_frame_fuzz.py -q $(PYTEST_ARGS)

lint: setup ## ruff, and lint-imports: the import contracts of pyproject.toml (layers, no cycles)
	$(BIN)/ruff check app tests bench devstores scripts config.py wsgi.py
	$(BIN)/lint-imports

fmt: setup ## ruff format
	$(BIN)/ruff format app tests bench devstores scripts config.py wsgi.py

seed: setup ## Fill empty databases with demo data (make seed ARGS="--users 10000")
	$(BIN)/python -m devstores exec -- flask seed $(ARGS)

migrate: setup ## Apply migrations to every bind
	$(BIN)/python -m devstores exec -- flask db upgrade

bench: setup ## Run every benchmark at full size and write docs/benchmarks.md (long; PostgreSQL)
	$(BIN)/python -m bench.run_all $(ARGS)

bench-short: setup ## The same at small sizes (a few minutes)
	$(BIN)/python -m bench.run_all --size short $(ARGS)

lighthouse: setup ## Lighthouse 12 (mobile preset) on the landing page, market, an item, a profile, a community and the home feed
	cd scripts/lighthouse && npm ci --no-audit --no-fund --silent
	$(BIN)/python scripts/lighthouse.py $(ARGS)

screenshots: setup ## PNGs of the main pages at 1280 and 390 px, signed out and in, into build/screenshots/ (URL=... for a running app)
	$(BIN)/python scripts/screenshots.py $(if $(URL),--url $(URL)) $(ARGS)

two-dynos: setup ## Two app processes sharing a fresh PostgreSQL database and Redis
	PY=$(BIN)/python scripts/two_dynos.sh

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) instance
