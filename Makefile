# 小巷管家 (Alley Steward) — build / run / test entry points.
#   make run       create .venv, init + seed the database, serve on 127.0.0.1:5000
#                  (make run PORT=5130: on another port; the printed links follow)
#   make test      the import contracts, the test suite against SQLite AND a throw-away
#                  PostgreSQL, the deployment test (test-deploy), then the mini program's suites
#                  once (test-miniprogram)
#   make test-quick         the everyday loop: SQLite only, no browser, fuzz or slow tests
#                  (the suites run on every core, pytest-xdist: TEST_JOBS=N to choose)
#   make test-one T=tests/core/items/test_issues.py::test_x   one file or test, on SQLite (PG=1: PostgreSQL)
#   make test-deploy   deploy/ for real: Debian's nginx (installed if missing) with the shipped
#                  site config in front of gunicorn, on SQLite and PostgreSQL
#   make test-miniprogram   the WeChat mini program: npm ci, npm copy, wcc/wcsc, tsc, size, jest
#   make check-wx  the mini program through wcc/wcsc and tsc only (no npm ci, no jest)
#   make screenshots  PNGs of the mini program's pages in each state (normal, empty, error,
#                  loading …) at 375×812 and 320×568 in instance/screenshots/mp/, with an
#                  index.html contact sheet (not part of `make test`)
#   make lint      ruff check + ruff format --check + the import contracts (lint-imports)
#   make fuzz      schema fuzzing of the API and the chat callbacks, fresh seeds, for
#                  FUZZ_SECONDS (default 600) on SQLite, then as long on PostgreSQL
#   make bench     every benchmark (make bench-quick: the everyday size)
#   make mutate    mutation testing of the workflow, permission, outbox, household-access, shop and console-check modules (mutmut)
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Stamp files live inside the venv: they are newer than the requirements file they
# installed, so editing a requirements file triggers a re-install; deleting .venv resets.
REQ_STAMP := $(VENV)/.requirements.stamp
DEV_STAMP := $(VENV)/.requirements-dev.stamp
PYTEST_ARGS ?=
# pytest-xdist workers for the suites (test-sqlite, test-pg, test-quick): one per core by
# default; TEST_JOBS=0 runs them in one process (docs/testing.md).
TEST_JOBS ?= auto
XDIST := -n $(TEST_JOBS)
# The port `make run` serves on. Unless PUBLIC_BASE_URL is set, every printed link uses it.
PORT ?= 5000

.PHONY: venv dev-venv chromium nginx run test test-sqlite test-pg test-deploy test-quick test-one test-miniprogram check-wx screenshots lint imports format bench bench-quick fuzz mutate clean

venv: $(REQ_STAMP)

dev-venv: $(DEV_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(REQ_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(REQ_STAMP) $@

# The browser tests drive Debian's chromium (installed here if missing, with a Chinese font and
# poppler's pdftoppm for the boards' PDF tests). If it cannot be installed the tests still run
# and the browser tests fail: they are never skipped.
chromium:
	@scripts/ensure-chromium.sh || echo "make: chromium unavailable; the browser tests will fail" >&2

# The deployment test runs Debian's nginx (installed here if missing); without it that test
# fails, never skips.
nginx:
	@scripts/ensure-nginx.sh || echo "make: nginx unavailable; the deployment test will fail" >&2

run: venv
	$(BIN)/flask --app app init-db
	$(BIN)/flask --app app seed-demo --if-empty --port $(PORT)
	$(BIN)/flask --app app serve --port $(PORT)

# All legs always run; `make test` fails if any fails. None is ever skipped:
# test-pg installs PostgreSQL if needed and fails loudly if it cannot. The mini program's
# suites run once (they start their own Flask app on a temporary SQLite database).
test: dev-venv chromium
	@rc=0; failed=""; \
	$(MAKE) --no-print-directory imports     || { rc=1; failed="$$failed imports"; }; \
	$(MAKE) --no-print-directory test-sqlite || { rc=1; failed="$$failed test-sqlite"; }; \
	$(MAKE) --no-print-directory test-pg     || { rc=1; failed="$$failed test-pg"; }; \
	$(MAKE) --no-print-directory test-deploy || { rc=1; failed="$$failed test-deploy"; }; \
	$(MAKE) --no-print-directory test-miniprogram || { rc=1; failed="$$failed test-miniprogram"; }; \
	if [ $$rc -ne 0 ]; then echo "make test: FAILED:$$failed" >&2; else echo "make test: import contracts, sqlite, postgresql, deploy and mini program legs passed"; fi; \
	exit $$rc

# tests/deploy/test_deploy.py runs in its own leg (test-deploy), which installs nginx first.
test-sqlite: dev-venv chromium
	@echo "=== tests on SQLite ==="
	env -u TEST_DATABASE_URL $(BIN)/pytest -q $(XDIST) --ignore=tests/deploy/test_deploy.py $(PYTEST_ARGS)

test-pg: dev-venv chromium
	@echo "=== tests on PostgreSQL ==="
	scripts/with-postgres.sh $(BIN)/pytest -q $(XDIST) --ignore=tests/deploy/test_deploy.py $(PYTEST_ARGS)

# deploy/ as shipped: nginx (deploy/nginx/xiaoxiang.conf, a throw-away certificate) in front of
# gunicorn (deploy/systemd/xiaoxiang-web.service's line), on SQLite, then on PostgreSQL.
test-deploy: dev-venv nginx
	@echo "=== deployment behind nginx, SQLite and PostgreSQL ==="
	env -u TEST_DATABASE_URL $(BIN)/pytest -q tests/deploy/test_deploy.py
	scripts/with-postgres.sh $(BIN)/pytest -q tests/deploy/test_deploy.py

# The everyday loop (docs/testing.md): SQLite, without the tests marked `browser` (Chromium),
# `fuzz` (schemathesis, hypothesis) or `slow` (real processes, every page or command), which
# `make test` runs on both databases.
test-quick: dev-venv chromium
	env -u TEST_DATABASE_URL $(BIN)/pytest -q $(XDIST) -m "not browser and not fuzz and not slow" --ignore=tests/deploy/test_deploy.py $(PYTEST_ARGS)

# One file or one test: make test-one T=tests/core/items/test_issues.py::test_accept (more pytest options
# in PYTEST_ARGS, e.g. PYTEST_ARGS='-k follow -x'). On SQLite; PG=1: on a throw-away PostgreSQL.
T ?=
test-one: dev-venv
	@if [ -z "$(T)" ]; then echo "make test-one: say which, e.g. T=tests/core/items/test_issues.py" >&2; exit 2; fi
	$(if $(PG),scripts/with-postgres.sh,env -u TEST_DATABASE_URL) $(BIN)/pytest -q $(T) $(PYTEST_ARGS)

# The mini program (miniprogram/): npm packages pinned by package-lock.json (re-installed when
# it changes), tdesign copied into miniprogram_npm/ (DevTools' 构建 npm), every wxml/wxss through
# WeChat's wcc/wcsc, tsc over the JS, the main package under 2 MB, then jest's unit and e2e
# projects. Prints the suite's "N passed, N failed" line.
NPM_STAMP := node_modules/.install.stamp
MP_RESULTS := node_modules/.miniprogram-results.json

# A checkout's files are newer than the stamp (a fresh clone, a git worktree), so the stamp
# alone would re-install: what decides is whether the lock file differs from the one installed.
# A node_modules that is a symlink (worktrees sharing one copy) is never re-installed through
# the link: `npm ci` empties the directory it points to.
$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make: npm (Node.js 20+) is needed for the mini program tests" >&2; exit 1; }
	@if cmp -s package-lock.json node_modules/.install.lock; then \
		echo "node_modules matches package-lock.json"; \
	elif [ -L node_modules ]; then \
		echo "make: node_modules is a link to another checkout's and package-lock.json differs from what it holds; run npm ci there" >&2; exit 1; \
	else \
		npm ci --no-audit --no-fund && cp package-lock.json node_modules/.install.lock; \
	fi
	touch $@

test-miniprogram: dev-venv $(NPM_STAMP)
	@echo "=== mini program ==="
	node scripts/miniprogram/build-npm.js
	node scripts/miniprogram/check-wx.js
	npx tsc -p .
	node scripts/miniprogram/check-size.js
	@rm -f $(MP_RESULTS); rc=0; \
	npm test --silent -- --json --outputFile=$(MP_RESULTS) || rc=$$?; \
	if [ -f $(MP_RESULTS) ]; then \
	  node -e 'const r=require("./$(MP_RESULTS)"); console.log(`mini program: $${r.numPassedTests} passed, $${r.numFailedTests} failed`)'; \
	else echo "mini program: the test run did not finish" >&2; rc=1; fi; \
	exit $$rc

# The mini program's templates and styles through WeChat's wcc/wcsc and its JS through tsc,
# without jest: the quick check after editing a page (node_modules must be installed).
check-wx:
	node scripts/miniprogram/build-npm.js
	node scripts/miniprogram/check-wx.js
	npx tsc -p .

# Pictures of the mini program's pages (docs/miniprogram.md "Screenshots"): each page loaded
# with miniprogram-simulate against the real demo backend or the scripted test server, drawn
# as HTML and photographed in Debian's Chromium. Not part of `make test`.
screenshots: dev-venv chromium $(NPM_STAMP)
	node scripts/miniprogram/screenshots.js

lint: dev-venv imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The architecture's rules (pyproject.toml [tool.importlinter]): layers, no circles, no
# front end importing another.
imports: dev-venv
	$(BIN)/lint-imports --no-cache

format: dev-venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The long fuzzing run (the suite holds a short fixed-seed one): see scripts/fuzz.sh.
FUZZ_SECONDS ?= 600
fuzz: dev-venv
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# Mutation testing (not part of `make test`): pyproject.toml [tool.mutmut] names the modules and
# the test files. Results are kept in mutants/, so a second run only re-tests what changed;
# `make mutate MUTATE_FRESH=1` starts over. `MUTATE_ONLY='core.items.wishes.*'` (mutant-name
# patterns) re-tests just those mutants, results kept or not. Fails if a module scores below
# MUTATE_MIN % or was not checked completely. Two jobs by default: the machines are shared.
MUTATE_JOBS ?= 2
MUTATE_MIN ?= 90
MUTATE_ONLY ?=
mutate: dev-venv
	@if [ -n "$(MUTATE_FRESH)" ]; then rm -rf mutants; fi
	env -u TEST_DATABASE_URL $(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(MUTATE_ONLY)
	$(BIN)/python scripts/mutation_summary.py --survivors --min $(MUTATE_MIN)

# Every benchmark on SQLite and a throw-away PostgreSQL; non-zero exit when a budget is missed.
bench: venv
	$(BIN)/python -m bench

# The everyday size (under 3 minutes).
bench-quick: venv
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
