#!/usr/bin/env bash
# Generates the C header from the ffi crate with cbindgen 0.29.4
# (configuration: ffi/cbindgen.toml) for the capacities in the environment:
# the TEBM_MAX_* variables that ffi/build.rs reads (unset: the defaults).
# CI runs it with none set and fails on any diff with include/tinyebm.h.
#
# Usage: [TEBM_MAX_DIM=64 ...] scripts/gen-header.sh [OUTPUT]
#   OUTPUT defaults to include/tinyebm.h (the default configuration only: a
#   configured header goes elsewhere, e.g. target/dim64/include/tinyebm.h).
#
# How: the capacities come from ffi/build.rs ($OUT_DIR/capacities.rs) and
# the object sizes (TEBM_*_SIZE) from the real size_of of the objects, which
# only the compiled library knows. So this script
#   1. builds the host library for the configuration (cargo build --release
#      -p tinyebm-ffi; honours CARGO_TARGET_DIR: the library it leaves there,
#      $CARGO_TARGET_DIR/release/libtinyebm.a, is the one to link with);
#   2. asks it for tebm_{energy,sampler,trainer,tempering,ais,ed}_size() with a tiny
#      C program and applies the reserve rule of ffi/src/lib.rs (+ 1/32,
#      rounded up to a multiple of 256);
#   3. runs cbindgen on a temporary copy of ffi/src in which lib.rs's
#      include!(.../capacities.rs) is replaced by that file and the size
#      constants by those numbers.
# The header is generated on a 64-bit host; 32-bit targets' objects are no
# larger (checked on the Cortex-M4F by tests/c/api_edges.c under QEMU).
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
knobs=(TEBM_MAX_DIM TEBM_MAX_WALKERS TEBM_MAX_HIDDEN TEBM_MAX_COMPONENTS TEBM_MAX_POLY_DEGREE
    TEBM_MAX_MONOMIALS TEBM_MAX_TRAIN_WALKERS TEBM_MAX_REPLICAS TEBM_MAX_TEMPERING_WALKERS)
config=""
for k in "${knobs[@]}"; do
    if [ -n "${!k:-}" ]; then config="$config $k=${!k}"; fi
done
if [ -n "$config" ] && [ "$(realpath -m "$out")" = "$root/include/tinyebm.h" ]; then
    echo "gen-header.sh: include/tinyebm.h is the default configuration's header;" >&2
    echo "  write the header for$config elsewhere (scripts/gen-header.sh OUTPUT)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The host library for this configuration.
(cd "$root" && cargo build -q --release -p tinyebm-ffi --message-format=json) > "$tmp/build.json"
field() { # $1 = reason, $2 = field pattern: the tinyebm-ffi message's field
    grep "\"reason\":\"$1\"" "$tmp/build.json" | grep '#tinyebm-ffi@' | grep -o "$2" | tail -n 1
}
out_dir=$(field build-script-executed '"out_dir":"[^"]*"' | cut -d'"' -f4)
lib=$(field compiler-artifact '"filenames":\["[^"]*libtinyebm\.a"' | sed 's/.*\["//; s/"$//')
[ -f "$out_dir/capacities.rs" ] && [ -f "$lib" ] || {
    echo "gen-header.sh: cargo did not report the library and capacities.rs" >&2
    exit 1
}

# 2. The objects' sizes, and the reserved sizes.
cat > "$tmp/sizes.c" << 'EOF'
#include <stddef.h>
#include <stdio.h>
size_t tebm_energy_size(void);
size_t tebm_sampler_size(void);
size_t tebm_trainer_size(void);
size_t tebm_tempering_size(void);
size_t tebm_ais_size(void);
size_t tebm_ed_size(void);
int main(void) {
    printf("%zu %zu %zu %zu %zu %zu\n", tebm_energy_size(), tebm_sampler_size(), tebm_trainer_size(),
           tebm_tempering_size(), tebm_ais_size(), tebm_ed_size());
    return 0;
}
EOF
${HOST_CC:-cc} "$tmp/sizes.c" "$lib" -lm -lpthread -ldl -o "$tmp/sizes"
read -r energy sampler trainer tempering ais ed < <("$tmp/sizes")
reserve() { echo $(( ($1 + $1 / 32 + 255) / 256 * 256 )); }

# 3. cbindgen on a copy of the sources with the numbers written in.
mkdir "$tmp/src"
cp "$root"/ffi/src/*.rs "$tmp/src/"
inc='include!(concat!(env!("OUT_DIR"), "/capacities.rs"));'
awk -v inc="$inc" -v caps="$out_dir/capacities.rs" \
    -v e="$(reserve "$energy")" -v s="$(reserve "$sampler")" \
    -v t="$(reserve "$trainer")" -v x="$(reserve "$tempering")" -v a="$(reserve "$ais")" \
    -v d="$(reserve "$ed")" '
    $0 == inc { while ((getline l < caps) > 0) print l; n++; next }
    /^pub const TEBM_ENERGY_SIZE: usize = reserve\(/    { print "pub const TEBM_ENERGY_SIZE: usize = " e ";"; n++; next }
    /^pub const TEBM_SAMPLER_SIZE: usize = reserve\(/   { print "pub const TEBM_SAMPLER_SIZE: usize = " s ";"; n++; next }
    /^pub const TEBM_TRAINER_SIZE: usize = reserve\(/   { print "pub const TEBM_TRAINER_SIZE: usize = " t ";"; n++; next }
    /^pub const TEBM_TEMPERING_SIZE: usize = reserve\(/ { print "pub const TEBM_TEMPERING_SIZE: usize = " x ";"; n++; next }
    /^pub const TEBM_AIS_SIZE: usize = reserve\(/       { print "pub const TEBM_AIS_SIZE: usize = " a ";"; n++; next }
    /^pub const TEBM_ED_SIZE: usize = reserve\(/        { print "pub const TEBM_ED_SIZE: usize = " d ";"; n++; next }
    { print }
    END { if (n != 7) { print "gen-header.sh: expected 7 substitutions in lib.rs, made " n > "/dev/stderr"; exit 1 } }
' "$root/ffi/src/lib.rs" > "$tmp/src/lib.rs"
cbindgen --quiet --config "$root/ffi/cbindgen.toml" --output "$tmp/tinyebm.h" "$tmp/src/lib.rs"
if [ -n "$config" ]; then
    # Say which configuration this is, on the first line.
    sed -i "1i /* Configuration (scripts/gen-header.sh):$config. */" "$tmp/tinyebm.h"
fi
mkdir -p "$(dirname "$out")"
# Unchanged: keep the file's time stamp (make does not rebuild the programs).
cmp -s "$tmp/tinyebm.h" "$out" || cp "$tmp/tinyebm.h" "$out"
