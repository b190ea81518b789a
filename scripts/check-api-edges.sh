#!/usr/bin/env bash
# Every function declared in include/tinyebm.h must be called in
# tests/c/api_edges.c (edge tests: NULL pointers, sizes at 0, capacity
# and capacity + 1, object bytes unchanged after failures), unless it is
# listed in tests/c/api_edges.todo (one name a line, # comments): an
# allow-list for functions still being added; empty it when they have tests.
# (Energy inits are called through `#define INIT_ name`; readers through
# READER_EDGES(RO, name, ...) and LAST_ERROR_EDGES(RO, name, ...).) Called by
# scripts/ci-ffi.sh.
set -euo pipefail -f  # -f: the todo file holds glob patterns
cd "$(dirname "$0")/.."
header=include/tinyebm.h tests=tests/c/api_edges.c todo=tests/c/api_edges.todo
called() { grep -qE "\b$1\(|^#define INIT_ $1\$|_EDGES\([A-Z_]+, $1," "$tests"; }
# Declarations: a return type, then `tebm_name(` at the start of a line.
fns=$(grep -oE '^[a-zA-Z_][a-zA-Z0-9_ ]*[ *]tebm_[a-z0-9_]+\(' "$header" | grep -oE 'tebm_[a-z0-9_]+' | sort -u)
[ -n "$fns" ] || { echo "check-api-edges: no functions found in $header" >&2; exit 1; }
allowed=$( [ -f "$todo" ] && sed -e 's/#.*//' -e 's/[[:space:]]//g' "$todo" | grep -v '^$' || true)
missing=() waived=()
for f in $fns; do
    if called "$f"; then continue; fi
    w=0
    for pat in $allowed; do
        # shellcheck disable=SC2053 # glob patterns on purpose
        [[ $f == $pat ]] && w=1
    done
    if [ $w = 1 ]; then waived+=("$f"); else missing+=("$f"); fi
done
for f in $allowed; do
    case $f in *'*'*) continue ;; esac
    grep -qx "$f" <<< "$fns" || echo "check-api-edges: note: $f (in $todo) is not in $header"
    called "$f" && echo "check-api-edges: note: $f is tested now: remove it from $todo"
done
[ ${#waived[@]} -eq 0 ] || echo "check-api-edges: waived (no edge tests yet): ${waived[*]}"
echo "check-api-edges: $(wc -w <<< "$fns") functions in $header, $(( $(wc -w <<< "$fns") - ${#missing[@]} - ${#waived[@]} )) with edge tests, ${#waived[@]} waived in $todo"
if [ ${#missing[@]} -gt 0 ]; then
    echo "check-api-edges: no edge tests in $tests for: ${missing[*]}" >&2
    echo "  (add them, or list the names in $todo while they are being written)" >&2
    exit 1
fi
