# The two commands a newcomer types: `make crawl` and `make test`.
# Another Python beside the default: `make test-fast PYTHON=python3.13` (its own venv,
# .venv-python3.13, so both lanes coexist; VENV=... names another).
PYTHON ?= python3
VENV ?= $(if $(filter python3,$(notdir $(PYTHON))),.venv,.venv-$(notdir $(PYTHON)))
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
# pytest keeps its rewritten test modules (and Python its bytecode, in __pycache__)
# between runs even where the shell sets PYTHONDONTWRITEBYTECODE: recompiling every
# module costs each test-fast run about 14 s of CPU on both workers.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

.PHONY: setup crawl demo test test-fast docs bench bench-scale bench-history clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

crawl: $(STAMP)
	$(BIN)/centrasia crawl

demo: $(STAMP)
	$(BIN)/python -m tests.replica.demo

test: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy centrasia_crawler
	$(BIN)/cog -I docs --check docs/cli.md docs/schema.md docs/scrapy.md
	$(PYTEST)

# The same checks without the crawls, kills, Scrapyd and the browser (pytest -m slow),
# on two workers, each taking whole test files.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(PYTEST) -m "not slow" -n 2 --dist loadfile

# docs/cli.md from the commands' --help, docs/schema.md's tables from the schema,
# docs/scrapy.md's fields, settings and arguments from the code (make test checks all).
docs: $(STAMP)
	$(BIN)/cog -I docs -r docs/cli.md docs/schema.md docs/scrapy.md

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/crawl.py

# The 300,000-article archive (built once, about half an hour, kept in the temp dir).
bench-scale: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/search.py
	$(BIN)/python bench/attention.py

# The whole history through the replica: a 300,000-article backfill (about an hour),
# then reparse on both cores.
bench-history: $(STAMP)
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/reparse.py

clean:
	rm -rf $(VENV) .venv-* .mypy_cache .pytest_cache .ruff_cache
