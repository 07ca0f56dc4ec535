# KTC – the two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install translations check-migrations scheduler lint bench clean mutate

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py compile

run: install
	KTC_ENV=development bash scripts/run.sh "$(BIN)"

test: install
	bash scripts/test.sh "$(BIN)"

# One head, upgrade from empty, `flask db check` (models match migrations), downgrade/upgrade of the
# latest step; `make test` runs this on SQLite and PostgreSQL before the suite.
check-migrations: install
	bash scripts/check_migrations.sh "$(BIN)"

scheduler: install
	$(FLASK) ktc scheduler

lint: install
	$(BIN)/bandit -q -r ktc -lll

bench: install
	$(BIN)/python bench/run.py

# Mutation testing of the core rules (long: hours on two cores; not part of `make test`). Modules and
# tests are set in pyproject.toml ([tool.mutmut]); results in docs/MUTATION.md. MUTANTS="ktc.policy*"
# runs one module.
mutate: install
	nice -n 10 $(BIN)/mutmut run --max-children $${MUTATE_JOBS:-2} $(MUTANTS)
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
