#!/usr/bin/env bash
# CI: tinyebm installs like a C library (docs/install.md). Needs cmake, make,
# cc, pkg-config, arm-none-eabi-gcc + newlib and qemu-system-arm.
#   1. the top-level CMake project builds and installs the host library into a
#      temporary prefix: lib/libtinyebm.a, include/ (every header of include/),
#      lib/cmake/tinyebm/ and lib/pkgconfig/tinyebm.pc;
#   2. the consumer projects of tests/consumer/, copied outside the tree, build
#      against it through find_package (CMAKE_PREFIX_PATH) and pkg-config
#      (PKG_CONFIG_PATH) and run (a 2-D Gaussian sampled with MALA);
#   3. the same for a Cortex-M4F (cmake/arm-none-eabi.cmake, Rust target
#      thumbv7em-none-eabihf): install, the consumer built with CMake and with
#      pkg-config flags, linked with newlib semihosting and run under QEMU
#      (mps2-an386); a host project must not accept that package.
# The cargo builds share target/ with `cargo build` and scripts/ci-ffi.sh.
# KEEP=1 keeps the temporary folder.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
steps ci-install

for tool in cmake make cc pkg-config arm-none-eabi-gcc qemu-system-arm; do
    command -v "$tool" > /dev/null || { echo "ci-install: $tool not found" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tinyebm-install.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "temporary folder: $work"; else trap 'rm -rf "$work"' EXIT; fi
case "$work" in "$root"/*) echo "ci-install: $work is inside the repository" >&2; exit 1;; esac

# The consumers, copied outside the tree (nothing can reach the sources
# through a relative path).
consumer=$work/consumer
cp -R tests/consumer "$consumer"
rm -rf "$consumer/cmake/build" "$consumer/pkgconfig/app"

# install_lib BUILD PREFIX [CMAKE_ARGS...]: configure, build and install the
# library, and check what was installed.
install_lib() {
    local build=$1 prefix=$2; shift 2
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" > "$build.log" \
        || { cat "$build.log"; exit 1; }
    cmake --build "$build" -j2
    cmake --install "$build" --prefix "$prefix" > /dev/null
    for f in lib/libtinyebm.a include/tinyebm.h lib/cmake/tinyebm/tinyebmConfig.cmake \
             lib/cmake/tinyebm/tinyebmConfigVersion.cmake lib/pkgconfig/tinyebm.pc; do
        [ -f "$prefix/$f" ] || { echo "not installed: $prefix/$f" >&2; exit 1; }
    done
    for h in include/*.h include/*.hpp; do
        [ ! -e "$h" ] || cmp -s "$h" "$prefix/$h" || { echo "not installed: $prefix/$h" >&2; exit 1; }
    done
    echo "installed into $prefix:"
    (cd "$prefix" && find . -type f | sort | sed 's|^\./|    |')
}

# run_qemu ELF: runs a Cortex-M4F program (semihosting exit status).
run_qemu() {
    timeout 120 qemu-system-arm -M mps2-an386 -nographic \
        -semihosting-config enable=on,target=native -kernel "$1" < /dev/null
}

step "host: configure, build, install"
host=$work/host
install_lib "$work/build-host" "$host"

step "host consumer: CMake, find_package(tinyebm 0.1) with CMAKE_PREFIX_PATH"
cmake -S "$consumer/cmake" -B "$work/app-cmake" -DCMAKE_PREFIX_PATH="$host" > "$work/app-cmake.log" \
    || { cat "$work/app-cmake.log"; exit 1; }
grep 'tinyebm .* in ' "$work/app-cmake.log"
cmake --build "$work/app-cmake" > /dev/null
"$work/app-cmake/app"

step "host consumer: pkg-config with PKG_CONFIG_PATH"
export PKG_CONFIG_PATH=$host/lib/pkgconfig
flags=$(pkg-config --cflags --libs tinyebm | xargs)
echo "pkg-config --cflags --libs tinyebm: $flags"
want="-I$host/include -L$host/lib -ltinyebm -lm -lpthread -ldl"
[ "$flags" = "$want" ] || { echo "expected: $want" >&2; exit 1; }
make -s -C "$consumer/pkgconfig"
"$consumer/pkgconfig/app"

step "Cortex-M4F: configure (cmake/arm-none-eabi.cmake), build, install"
m4f=$work/m4f
install_lib "$work/build-m4f" "$m4f" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake"
export PKG_CONFIG_PATH=$m4f/lib/pkgconfig
[ "$(pkg-config --variable=rust_target tinyebm)" = thumbv7em-none-eabihf ]
arm_link="--specs=rdimon.specs -Wl,--section-start=.vectors=0 -Wl,-u,__vectors -Wl,--gc-sections -Wl,--no-warn-execstack"
startup=$root/c_examples/embedded/startup.S

step "Cortex-M4F consumer: CMake (toolchain file, find_package), run under QEMU"
cmake -S "$consumer/cmake" -B "$work/app-m4f" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" -DCMAKE_PREFIX_PATH="$m4f" \
    -DAPP_STARTUP="$startup" -DCMAKE_EXE_LINKER_FLAGS="$arm_link" > "$work/app-m4f.log" \
    || { cat "$work/app-m4f.log"; exit 1; }
grep 'tinyebm .* in ' "$work/app-m4f.log"
cmake --build "$work/app-m4f" > /dev/null
run_qemu "$work/app-m4f/app"

step "Cortex-M4F consumer: arm-none-eabi-gcc with pkg-config flags, run under QEMU"
arm_arch="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
echo "pkg-config --cflags --libs tinyebm: $(pkg-config --cflags --libs tinyebm | xargs)"
# shellcheck disable=SC2046,SC2086 # word splitting of the flags is intended
arm-none-eabi-gcc $arm_arch -std=c99 -Wall -Wextra -Werror -pedantic -O2 \
    $(pkg-config --cflags tinyebm) -c "$consumer/main.c" -o "$work/main-m4f.o"
# shellcheck disable=SC2046,SC2086
arm-none-eabi-gcc $arm_arch $arm_link "$startup" "$work/main-m4f.o" \
    $(pkg-config --libs tinyebm) -o "$work/app-m4f.elf"
run_qemu "$work/app-m4f.elf"

step "a host project does not accept the Cortex-M4F package (32-bit)"
if cmake -S "$consumer/cmake" -B "$work/app-wrong" -DCMAKE_PREFIX_PATH="$m4f" > "$work/app-wrong.log" 2>&1; then
    echo "a host project found the Cortex-M4F package" >&2
    exit 1
fi
grep -q 'tinyebmConfig.cmake, version: .*(32bit)' "$work/app-wrong.log"
echo "rejected: $(grep -o 'version: .*(32bit)' "$work/app-wrong.log")"

step "ci-install passed in $(elapsed) s"
