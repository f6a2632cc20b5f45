# Two commands do all the set-up on a fresh clone:
#   make run   -> virtualenv, install, migrate the SQLite database, demo data, serve :8000
#   make test  -> lint, types, migrations, OpenAPI drift, TypeScript client, tests on SQLite and PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck openapi openapi-check ts-check test-sqlite test-postgres bench audit clean pg-client messages

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/buendnis migrate
	$(BIN)/buendnis seed-demo
	@echo "Swagger UI: http://127.0.0.1:8000/docs"
	$(BIN)/buendnis serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check app tests migrations bench

typecheck: $(STAMP)
	$(BIN)/mypy app

openapi: $(STAMP)
	$(BIN)/buendnis openapi

# German texts (gettext via Babel): extract every problem title/detail and marked text into the
# template, merge it into app/locales/de/LC_MESSAGES/messages.po (translate the new entries
# there), and compile the .mo that the server reads. Commit all three files.
messages: $(STAMP)
	PYTHONPATH=. $(BIN)/pybabel extract -F babel.cfg -o app/locales/messages.pot --no-location \
	  --sort-output --no-wrap --project=buendnisportal --version=0.1.0 \
	  --msgid-bugs-address=servicebuero@buendnisportal.de \
	  --copyright-holder="Lokale Bündnisse für Familie" .
	$(BIN)/pybabel update -i app/locales/messages.pot -d app/locales -l de --no-wrap \
	  --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d app/locales -l de --statistics

openapi-check: $(STAMP)
	$(BIN)/buendnis openapi --check

ts-check:
	bash frontend-check/check.sh

test-sqlite: $(STAMP)
	BUENDNIS_TEST_DB=sqlite $(BIN)/pytest

test-postgres: $(STAMP)
	BUENDNIS_TEST_DB=postgresql $(BIN)/pytest

# pg_dump/pg_restore of the server's major version for `buendnis backup` (Debian packages).
pg-client: $(STAMP)
	bash scripts/pg-client.sh

audit: $(STAMP)
	$(BIN)/python scripts/audit.py

test: $(STAMP)
	bash scripts/test.sh

clean:
	rm -rf $(VENV) buendnis.db buendnis.db-* frontend-check/node_modules frontend-check/generated
