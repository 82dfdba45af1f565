# Every command a developer or CI needs. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= ../shared
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck bench fuzz clean e2e-deps

help: ## Show the available commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,exact]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its development tools

run: $(STAMP) ## Set up and start everything on embedded defaults
	$(BIN)/python -m web.run

lint: $(STAMP) ## ruff and the import contracts
	$(BIN)/ruff check compliance web tests bench
	$(BIN)/ruff format --check compliance web tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP) ## mypy over compliance and web
	$(BIN)/mypy

e2e-deps: ## Debian's Chromium and ChromeDriver for the browser tests (installed when missing)
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  echo "installing chromium and chromium-driver (Debian packages)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

test: lint typecheck e2e-deps ## Lint, type-check and run the whole test suite
	$(BIN)/python -m pytest -q

bench: $(STAMP) ## Accuracy, speed and memory benchmarks (reads $(SHARED)/bench when present)
	$(BIN)/python -m bench --shared $(SHARED)

FUZZ_EXAMPLES ?= 1000
FUZZ_SECONDS  ?= 30
fuzz: $(STAMP) ## Fuzz every parser longer than make test (FUZZ_EXAMPLES per test, FUZZ_SECONDS per atheris target)
	@$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/python -m pip install --quiet 'atheris>=2.3' \
	  || echo "atheris did not install: property-based fuzzing only"
	$(BIN)/python -m bench.fuzz --examples $(FUZZ_EXAMPLES) --seconds $(FUZZ_SECONDS)

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache bench/out
