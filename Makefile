# Two commands do all the set-up on a fresh machine (Python 3.11+ with venv, make; the tests
# also npm, and root or sudo to install Chromium):
#   make run    install, start the AWS emulation, seed the demo tenant, serve on :8000
#   make test   install, lint, run every test suite
# Each long step says what it does first (STEP), so a first install is never a silent minute.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STEP := @printf '\n==> %s\n'

.PHONY: run cli test lint package unit integration bench bench-scale chromium clean

$(STAMP): requirements.txt requirements-dev.txt
	$(STEP) "creating the virtual environment $(VENV)"
	python3 -m venv $(VENV)
	$(STEP) "installing Python packages into $(VENV) (about a minute the first time)"
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 requires pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP) package
	$(STEP) "starting the AWS emulation, seeding the demo tenant, serving (Ctrl-C stops)"
	$(PY) -m infra.local

# The provisioning CLI against a running `make run`, as ./oidc: make cli ARGS="users list demo"
cli: $(STAMP)
	@VENV=$(VENV) ./oidc $(ARGS)

# What the Lambda package needs beyond the sources, generated from the installed packages
# (infra/package.py): run before `chalice package` or `chalice deploy`. The tests check it.
package: $(STAMP)
	$(STEP) "packaging: bytecode and botocore's data for Lambda, into vendor/ (a few seconds)"
	$(PY) -m infra.package

lint: $(STAMP)
	$(STEP) "lint: ruff"
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Unit and integration suites run in separate processes: one uses moto in-process, the
# other moto's server over a socket, and chalicelib reads its environment once per process.
unit: $(STAMP)
	$(STEP) "unit tests, moto in-process (about 3 minutes on 2 cores)"
	$(PY) -m pytest tests/unit -q -n 2

# The integration suite also needs openid-client and axe-core (npm) and Debian's Chromium (for
# Playwright, which is pointed at the system browser and never downloads one). Two workers,
# each with its own moto server and dev server: most of a test's time is spent waiting on them.
NODE_STAMP := tests/interop/node/node_modules/.installed

$(NODE_STAMP): tests/interop/node/package-lock.json
	$(STEP) "installing openid-client and axe-core with npm (tests/interop/node)"
	npm ci --prefix tests/interop/node --no-fund --no-audit --loglevel=error
	touch $(NODE_STAMP)

chromium:
	@command -v chromium >/dev/null || { \
		printf '\n==> %s\n' "installing Debian's chromium package (apt-get, a minute or two)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

integration: $(STAMP) $(NODE_STAMP) chromium
	$(STEP) "integration tests: dev server, moto's server, openid-client, Chromium (about 6 minutes)"
	$(PY) -m pytest tests/integration -q -n 2

test: lint package unit integration

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/interop/node/node_modules test-artifacts
	find vendor -mindepth 1 -maxdepth 1 ! -name templates -exec rm -rf {} +

# The benchmark (by hand, not in the timed tests): cold start, AWS calls and warm latency.
bench: $(STAMP) package
	$(PY) -m tests.benchmark --iterations 100

# The scale benchmark (by hand): 10,000 tenants, the first and the last served alike, and one
# container's memory while it serves tenant after tenant (tests/scale.py).
bench-scale: $(STAMP) package
	$(PY) -m tests.scale --tenants 10000
