#!/usr/bin/env bash
# Regenerates include/tinyebm.h from the ffi crate with cbindgen 0.29.4
# (configuration: ffi/cbindgen.toml). CI runs this and fails on any diff.
# Usage: scripts/gen-header.sh [OUTPUT]   (default: include/tinyebm.h)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want=0.29.4
have=$(cbindgen --version 2>/dev/null | awk '{print $2}') || true
if [ "$have" != "$want" ]; then
    echo "gen-header.sh: needs cbindgen $want (found '${have:-none}'):" >&2
    echo "  cargo install cbindgen --version $want --locked" >&2
    exit 1
fi
out=${1:-$root/include/tinyebm.h}
cbindgen --quiet --config "$root/ffi/cbindgen.toml" --crate tinyebm-ffi \
    --output "$out" "$root/ffi"
