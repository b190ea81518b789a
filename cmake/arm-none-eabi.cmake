# CMake toolchain file: bare-metal Cortex-M4F (hard float) with the GNU Arm
# toolchain (arm-none-eabi-gcc, newlib). The top-level CMakeLists.txt then
# builds the library for the Rust target thumbv7em-none-eabihf.
#
#   cmake -S . -B build-m4f -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake
#
# Consumer projects use the same file (find_package(tinyebm) then finds a
# Cortex-M install through CMAKE_PREFIX_PATH). Another core: copy the file
# and change CMAKE_SYSTEM_PROCESSOR and the flags (cortex-m0 → thumbv6m-none-eabi,
# cortex-m3 → thumbv7m-none-eabi, cortex-m4/m7 soft float → thumbv7em-none-eabi)
# or set TINYEBM_RUST_TARGET.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m4)

set(TINYEBM_ARM_PREFIX arm-none-eabi- CACHE STRING "GNU Arm toolchain prefix")
set(CMAKE_C_COMPILER ${TINYEBM_ARM_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${TINYEBM_ARM_PREFIX}g++)
set(CMAKE_ASM_COMPILER ${TINYEBM_ARM_PREFIX}gcc)

set(TINYEBM_ARM_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(CMAKE_C_FLAGS_INIT "${TINYEBM_ARM_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${TINYEBM_ARM_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${TINYEBM_ARM_FLAGS}")

# No executable can be linked without a start-up file and linker script:
# compiler checks build a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Programs from the host; libraries and headers from the target's root when
# one is set (CMAKE_FIND_ROOT_PATH / CMAKE_SYSROOT); packages from both, so
# CMAKE_PREFIX_PATH can point at a tinyebm install outside the root.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
