# Buurtnet. `make demo` and `make test` do all the set-up on a fresh machine.
# manage.py refuses to start with DEBUG off and an unsafe SECRET_KEY, ALLOWED_HOSTS or SITE_URL (buurtnet/startup.py):
# the development targets below run with DEBUG=1; the test suite does not need it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-dev
DEMO_MEMBERS ?= 5000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test lint format test-sqlite test-postgres test-prod serve worker bench messages install browser vendor clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): requirements.lock requirements-dev.lock | $(VENV)/bin/activate
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $(STAMP)

install: $(STAMP)

demo: install
	DEBUG=1 $(PY) manage.py migrate --no-input -v0
	DEBUG=1 $(PY) manage.py seed_demo --members $(DEMO_MEMBERS)
	DEBUG=1 OUTBOX_PAGE_ENABLED=1 scripts/serve-with-worker

serve: install
	DEBUG=1 OUTBOX_PAGE_ENABLED=1 $(PY) manage.py runserver 127.0.0.1:8000

worker: install
	DEBUG=1 $(PY) manage.py worker

# Chromium from Debian for the browser tests (Playwright drives it; it never downloads one).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run -v0

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test-sqlite: install browser
	$(BIN)/pytest -p no:cacheprovider

# PostgreSQL runs when reachable; in CI (CI=true) it must be.
test-postgres: install
	@if $(PY) scripts/pg_reachable.py "$${DATABASE_URL:-$(PG_URL)}"; then \
	  DATABASE_URL="$${DATABASE_URL:-$(PG_URL)}" $(BIN)/pytest -p no:cacheprovider; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "PostgreSQL is not reachable and CI=true: the PostgreSQL run is required"; exit 1; \
	else echo "PostgreSQL not reachable: skipping the PostgreSQL run"; fi

test: lint test-sqlite test-postgres

# The deploy of docs/deploy.md end to end: runtime lock in a fresh venv, nginx + TLS, gunicorn,
# a worker per queue, the tick, PostgreSQL, Redis, an SMTP sink and S3, checked over HTTPS.
test-prod: install
	scripts/test-prod

bench: install
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" $(PY) bench/run.py

messages: install
	cd buurtnet && DEBUG=1 ../$(PY) ../manage.py makemessages -l nl -l fr -l en --no-obsolete
	cd buurtnet && DEBUG=1 ../$(PY) ../manage.py compilemessages

# Front-end libraries from the npm registry into buurtnet/static/vendor (docs/frontend.md).
vendor:
	scripts/vendor-js

clean:
	rm -rf $(VENV) var staticfiles
