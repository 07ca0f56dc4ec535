# KTC – the two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
COMPILE_TRANSLATIONS := $(BIN)/python scripts/i18n.py compile  # the .mo files are not committed
# `make run PORT=5050 HOST=0.0.0.0`; set here (not `?=`) so a HOST or PORT in the environment is ignored.
HOST := 127.0.0.1
PORT := 5000
# The lock files are made for this Python on Linux, whatever machine runs `make lock`.
LOCK_PYTHON := 3.11
UV_VERSION := 0.13.9
LOCK := $(BIN)/uv pip compile pyproject.toml --quiet --python-version $(LOCK_PYTHON) --python-platform linux \
        --custom-compile-command "make lock" $(LOCK_ARGS)

.PHONY: run test install install-run install-test translations lock check-migrations scheduler lint bench vendor mutate clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# `make run` needs the runtime dependencies only; the test tools come with `make test`. Both
# install the locked versions (requirements/*.txt, made by `make lock`), then KTC itself.
$(VENV)/.installed-run: requirements/run.txt pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements/run.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements/test.txt pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install-run: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test
install: install-test

translations: install-run
	$(COMPILE_TRANSLATIONS)

run: install-run
	$(COMPILE_TRANSLATIONS)
	bash scripts/run.sh "$(BIN)" "$(HOST)" "$(PORT)"

test: install-test
	$(COMPILE_TRANSLATIONS)
	bash scripts/test.sh "$(BIN)"

# Regenerate the lock files from pyproject.toml, keeping the locked versions that still fit;
# `make lock LOCK_ARGS=--upgrade` moves everything to the newest versions allowed.
lock: | $(BIN)/activate
	$(BIN)/pip install --quiet "uv==$(UV_VERSION)"
	$(LOCK) --extra test -o requirements/test.txt
	$(LOCK) --constraint requirements/test.txt -o requirements/run.txt

# One head, upgrade from empty, `flask db check` (models match migrations), downgrade/upgrade of the
# latest step; `make test` runs this on SQLite and PostgreSQL before the suite.
check-migrations: install-run
	bash scripts/check_migrations.sh "$(BIN)"

scheduler: install-run
	$(FLASK) ktc scheduler

lint: install-test
	$(BIN)/bandit -q -r ktc -lll
	$(BIN)/lint-imports --no-cache --no-logo

bench: install-test
	$(COMPILE_TRANSLATIONS)
	$(BIN)/python bench/run.py

# Re-fetch the vendored Tom Select (the pickers) from npm; the files are committed, so only for updates.
vendor:
	bash scripts/vendor_tom_select.sh

# Mutation testing of the core (docs/MUTATION.md): long, not part of `make test`.
# `make mutate MUTANTS="ktc.policy*"` runs one module; MUTATE_JOBS workers (default 2).
mutate: install-test
	$(COMPILE_TRANSLATIONS)
	nice -n 10 $(BIN)/mutmut run --max-children $${MUTATE_JOBS:-2} $(MUTANTS)
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
