# The README's two commands: `make run` (set up, build the index, run the app's main job)
# and `make test` (set up, lint, run the whole test suite). Both are idempotent.
VENV := .venv
export HF_HUB_OFFLINE := 1

.PHONY: setup run test

setup:
	bash scripts/setup.sh

run: setup
	$(VENV)/bin/rag index
	$(VENV)/bin/python app.py

test: setup
	$(VENV)/bin/ruff check rag tests app.py scripts
	$(VENV)/bin/python -m pytest
