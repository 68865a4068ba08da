# Two commands do all the set-up on a fresh machine:
#   make run    create the virtualenv if needed, install, start the bot
#   make test   the same set-up, then ruff, mypy and pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run chat test lint bench clean

# setup.py compiles the extractor's hot modules (bot/claims) with mypyc: rebuild when they change.
$(STAMP): pyproject.toml setup.py $(wildcard bot/claims/*.py)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/claimwatch run

chat: $(STAMP)
	$(BIN)/claimwatch chat

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# BENCH_ARGS, e.g. --quick, or --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
