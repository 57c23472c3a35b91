# Two entry points (see README): `make repro` and `make test`. Both are idempotent.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup system data repro test lint bench explore lock

# The report's PDF is laid out by WeasyPrint with the system's Pango (HarfBuzz subsets its fonts); the tests
# turn its pages into images with pdftoppm. Headless chromium (driven through chromium-driver) shoots the
# explorer's views for the report and runs its browser test. Debian packages, installed only when missing
# (as root: apt-get).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils \
                   chromium chromium-driver
system:
	@if ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset \
	    && test -d /usr/share/fonts/truetype/dejavu && command -v pdftoppm >/dev/null \
	    && command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	else echo "warning: the report needs the Debian packages $(SYSTEM_PACKAGES); install them as root" >&2; fi

setup: $(STAMP)

# Re-install only when the locks or the package metadata change. Every package comes from a lock that pins its
# version and SHA-256 (--require-hashes): first pip and setuptools, then everything else with those (no build
# isolation, which would fetch an unpinned setuptools), then the project itself, editable, without dependencies.
$(STAMP): requirements-bootstrap.lock requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-bootstrap.lock
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps --no-build-isolation -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Regenerate both locks from requirements.txt (resolved by the venv's pinned pip, hashes for CPython 3.11 on
# Linux x86_64); `make lock LOCK_ARGS=--upgrade` also lets the packages not named there move.
lock: setup
	$(BIN)/python tools/lock_requirements.py $(LOCK_ARGS)

# dvc pull is a no-op when data/raw already matches data/raw.dvc.
data: setup
	$(BIN)/dvc pull --quiet data/raw.dvc

# Stages call `python`: put the project's environment first on PATH so that is the venv's interpreter.
# `sync` first makes dvc.yaml's ingest stage depend on exactly the files ingest.sources names.
repro: data system
	$(BIN)/python -m pipeline sync
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro

test: setup system
	$(BIN)/ruff check pipeline tests benchmarks tools
	$(BIN)/python -m pytest -q

# JupyterLab in the project's environment, on the exploration notebook (the report notebooks open there too);
# every kernel runs from the repository, as dvc repro runs the notebooks. Stop it with Ctrl-C.
explore: setup
	$(BIN)/python -m pipeline.report.lab

bench: data
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done
