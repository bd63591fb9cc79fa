# kgqa: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install ingest eval bench load lint browser services clean help fit

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and pinned: 2.13.0 is the CPU build; letting sentence-transformers pick one pulls CUDA
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install kgqa with its test tools

browser:  ## install Debian chromium for the page tests (needs root; skipped when present)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium missing: sudo apt-get install chromium (page tests will be skipped)"; fi; }

services:  ## install Debian nginx (front proxy) and redis-server (rate-limit tests) (needs root; else tests skip)
	@missing=""; command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	  command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	    else echo "missing:$$missing: sudo apt-get install$$missing (proxy and Redis tests will be skipped)"; fi; \
	  fi

ingest: $(STAMP)  ## build data/index from data/notes (no work when unchanged)
	$(BIN)/kgqa ingest

run: $(STAMP)  ## set up, build the index when missing or stale, serve on http://127.0.0.1:8000
	$(BIN)/kgqa serve

test: $(STAMP) browser services  ## set up and run the whole test suite (import layers first)
	$(BIN)/lint-imports
	$(BIN)/pytest -q

eval: ingest  ## score the development questions (answers, citations, abstention, latency)
	$(BIN)/kgqa eval data/eval/qa_dev.jsonl

fit: $(STAMP)  ## fit ranking, two-step hand-over, confidence and abstention threshold on the train corpora (kg/qa/ranking.json, kg/qa/calibration.json)
	$(BIN)/python scripts/fit.py

bench: ingest  ## latency benchmarks (answer core and HTTP)
	$(BIN)/python bench/answer_bench.py

load: ingest services  ## load and fault run of the served stack (bench/load.py, about 2 minutes)
	$(BIN)/python bench/load.py --index data/index

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check kg ingest api tests bench scripts
	$(BIN)/mypy kg ingest api
	$(BIN)/lint-imports

clean:  ## remove the virtualenv and the built index
	rm -rf $(VENV) data/index data/index.old
