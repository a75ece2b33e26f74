# lapor: the verbs people type. Every target sets up the virtualenv first if it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: help venv run test lint format typecheck bench bench-whatsapp holidays openapi deploy clean

help:
	@echo "make run        start the whole system locally on moto (API :3000, AWS :4566)"
	@echo "make test       lint, type-check and run the whole test suite"
	@echo "make bench      cold start, memory and AWS calls per request, as ratios"
	@echo "make bench-whatsapp  the WhatsApp webhook's p50/p95 and the cost of 1,000 WhatsApp reports"
	@echo "make lint       ruff (lint and format check) and the import contracts (lint-imports)"
	@echo "make typecheck  mypy (strict) on shared/ and functions/"
	@echo "make holidays   regenerate the layer's Indonesian holiday table from the holidays package"
	@echo "make openapi    regenerate the layer's OpenAPI document from the contract, the models and the shapes"
	@echo "make deploy     sam build && sam deploy --guided (needs the AWS SAM CLI and credentials)"
	@echo "make clean      remove the virtualenv and local state"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lapor needs Python 3.11 or newer (set PYTHON=python3.12 ...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

run: venv
	$(BIN)/lapor run

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: venv
	$(BIN)/mypy

# The browser is found or installed once, before the test workers start (tests/provision.py).
test: venv lint typecheck
	$(BIN)/python -m tests.provision
	$(BIN)/python -m pytest -n 2 --dist loadgroup

bench: venv
	$(BIN)/python tests/bench/run.py

bench-whatsapp: venv
	$(BIN)/python -m tests.bench.whatsapp > /dev/null

holidays: venv
	$(BIN)/python -c 'import json; from lapor.calendar import HOLIDAY_TABLE, build_holiday_table; HOLIDAY_TABLE.write_text(json.dumps(build_holiday_table(2020, 2035), indent=1) + "\n")'

openapi: venv
	$(BIN)/python -c 'import json; from lapor.openapi import PUBLISHED, generate_openapi; PUBLISHED.write_text(json.dumps(generate_openapi(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")'

deploy:
	sam build && sam deploy --guided

clean:
	rm -rf $(VENV) .lapor .aws-sam artifacts
