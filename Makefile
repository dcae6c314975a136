# The README's two commands: `make run` (set up, build the index, run the app's main job)
# and `make test` (set up, lint, check the import layers, run the whole test suite; what CI
# runs). `make test-fast` is the unit tier only: no model, no index build, no server.
VENV := .venv
export HF_HUB_OFFLINE := 1

.PHONY: setup run test test-fast lint eval-corpus2

setup:
	bash scripts/setup.sh

run: setup
	$(VENV)/bin/rag index
	$(VENV)/bin/rag serve

lint: setup
	$(VENV)/bin/ruff check rag tests app.py scripts
	$(VENV)/bin/lint-imports

test: lint
	$(VENV)/bin/python -m pytest

test-fast: lint
	$(VENV)/bin/python -m pytest -m "not slow"

# the second corpus: seeds + eval/corpus2 in one folder, its own index, the test split
# (QUESTIONS=eval/tune.jsonl for the tuning split)
QUESTIONS ?= eval/test.jsonl
eval-corpus2: setup
	rm -rf out/corpus_all && mkdir -p out/corpus_all && cp seeds/*.txt eval/corpus2/*.txt out/corpus_all/
	$(VENV)/bin/rag index --seeds out/corpus_all --index out/index_all
	$(VENV)/bin/rag eval --seeds out/corpus_all --index out/index_all --questions $(QUESTIONS) \
		--out out/eval_$(basename $(notdir $(QUESTIONS)))
