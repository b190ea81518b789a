#!/usr/bin/env bash
# CI for the Python bridge (python/tinyebm_weights, docs/python.md). Needs
# Rust, gcc and python3 ≥ 3.9 with pip; installs numpy (nothing else).
#   1. a Python with numpy: the venv target/pyenv (created with
#      `python3 -m venv`), or, where venv is unavailable (Debian without
#      python3-venv), python3 itself with `pip install --user numpy`;
#   2. builds examples/weights_tool.rs (release, --features std);
#   3. runs python/tests/run.py (unittest): the format alone; Rust-written
#      files of every kind round-trip byte for byte; Python-written files load
#      in Rust and Rust writes them back identically; damaged files are refused
#      by both with the same error; the MLP's and DeepMlp's U and ∇ₓU from NumPy agree with
#      Rust's for each activation. The torch tests run when torch is importable
#      in that Python (TINYEBM_PY_TORCH=1 pip-installs it first: large) and are
#      skipped otherwise.
# Prints the largest errors seen and closes with "python: N passed, N failed, N skipped".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
steps ci-python
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
export PIP_DISABLE_PIP_VERSION_CHECK=1

has_numpy() { "$1" -c 'import numpy' 2>/dev/null; }

step "Python with numpy"
py=""
venv=target/pyenv
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    py=$venv/bin/python
elif python3 -m venv "$venv" 2>/dev/null && [ -x "$venv/bin/python" ]; then
    py=$venv/bin/python
else
    rm -rf "$venv"
    echo "python3 -m venv is unavailable: using python3 with pip --user"
    py=$(command -v python3)
fi
if ! has_numpy "$py"; then
    if [ "$py" = "$venv/bin/python" ]; then
        "$py" -m pip install -q numpy
    else
        "$py" -m pip install -q --user numpy 2>/dev/null ||
            "$py" -m pip install -q --user --break-system-packages numpy
    fi
fi
if [ "${TINYEBM_PY_TORCH:-0}" = 1 ] && ! "$py" -c 'import torch' 2>/dev/null; then
    "$py" -m pip install -q torch
fi
"$py" -c 'import sys, numpy; print("python", sys.version.split()[0], "numpy", numpy.__version__)'
if "$py" -c 'import torch' 2>/dev/null; then
    "$py" -c 'import torch; print("torch", torch.__version__, "(torch tests run)")'
else
    echo "torch not importable: the torch tests are skipped"
fi

step "build examples/weights_tool.rs"
cargo build -q --release --features std --example weights_tool
export TINYEBM_WEIGHTS_TOOL=$root/target/release/examples/weights_tool
export TINYEBM_REQUIRE_RUST=1

step "python/tests (unittest)"
"$py" python/tests/run.py
