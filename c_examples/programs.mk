# Build and run rules for C/C++ programs of tinyebm's C API, included by
# c_examples/Makefile (the examples) and tests/c/Makefile (the tests). The
# including Makefile sets, before `include`:
#
#   ROOT       the repository root, relative to its own folder
#   C_PROGS    C99 programs (NAME.c): host (plain, ASan+UBSan, valgrind)
#              and Cortex-M4F
#   CXX_PROGS  C++17 programs (NAME.cpp): host only
#   M4F_ONLY   C programs built for the Cortex-M4F only
#   QEMU_SHOW  programs whose whole QEMU output `run-qemu` prints
#   LOCAL_HEADERS  headers of its folder the programs include
#
# Targets:
#   make            build the static library (cargo) and every program, plain
#                   and with AddressSanitizer + UBSan
#   make run        run the plain programs
#   make run-asan   run the sanitizer builds
#   make run-valgrind  run the plain programs under valgrind (memcheck)
#   make embedded   build the C programs for a Cortex-M4F (arm-none-eabi-gcc,
#                   newlib semihosting) against the bare-metal library
#   make run-qemu   run them under qemu-system-arm -M mps2-an386
#   make embedded-m33 run-qemu-m33  the same for a Cortex-M33 (mps2-an505)
#   make embedded-rv32  build the C programs for a 32-bit RISC-V without FPU
#                   (riscv64-unknown-elf-gcc -march=rv32imac, picolibc
#                   semihosting) against the riscv32imac library
#   make run-qemu-rv32  run them under qemu-system-riscv32 -M virt
# All built with warnings as errors; outputs in build/ (PROG.out, ...).

CARGO   ?= cargo
LIB     := $(ROOT)/target/release/libtinyebm.a
HEADER  := $(ROOT)/include/tinyebm.h $(LOCAL_HEADERS)
BUILD   := build

CC      ?= cc
CXX     ?= c++
CPPFLAGS := -I$(ROOT)/include
CFLAGS   := -std=c99 -Wall -Wextra -Werror -pedantic -O2 -g
CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -pedantic -O2 -g
LDLIBS   := -lm -lpthread -ldl
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

PROGS     := $(C_PROGS) $(CXX_PROGS)
PLAIN     := $(addprefix $(BUILD)/plain/,$(PROGS))
ASAN      := $(addprefix $(BUILD)/asan/,$(PROGS))
VALGRIND  := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all

.PHONY: all plain asan lib run run-asan run-valgrind embedded run-qemu embedded-rv32 run-qemu-rv32 embedded-m33 run-qemu-m33 clean FORCE

all: plain asan
plain: $(PLAIN)
asan: $(ASAN)
lib: $(LIB)

# cargo decides whether anything needs rebuilding (the file's time stamp only
# changes when it does).
$(LIB): FORCE
	$(CARGO) build --release -p tinyebm-ffi

$(BUILD)/plain/%: %.c $(LIB) $(HEADER)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/plain/%: %.cpp $(LIB) $(HEADER)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/asan/%: %.c $(LIB) $(HEADER)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/asan/%: %.cpp $(LIB) $(HEADER)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(SAN) $< $(LIB) $(LDLIBS) -o $@

run: $(PLAIN)
	@set -e; for p in $(PLAIN); do echo "== $$p"; $$p > $$p.out || { cat $$p.out; exit 1; }; tail -n 3 $$p.out; done

run-asan: $(ASAN)
	@set -e; for p in $(ASAN); do echo "== $$p"; $$p > $$p.out || { cat $$p.out; exit 1; }; tail -n 1 $$p.out; done

run-valgrind: $(PLAIN)
	@set -e; for p in $(PLAIN); do echo "== valgrind $$p"; $(VALGRIND) $$p > $$p.vg.out || { cat $$p.vg.out; exit 1; }; tail -n 1 $$p.vg.out; done

# ---- Cortex-M4F (QEMU mps2-an386), see /work/shared/notes/embedded.md ----
ARM_CC   ?= arm-none-eabi-gcc
ARM_LIB  := $(ROOT)/target/thumbv7em-none-eabihf/release/libtinyebm.a
ARM_ARCH := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
ARM_LD   := --specs=rdimon.specs -Wl,--section-start=.vectors=0 -Wl,-u,__vectors \
            -Wl,--gc-sections -Wl,--no-warn-execstack
STARTUP  := $(ROOT)/c_examples/embedded/startup.S
QEMU     := timeout 600 qemu-system-arm -M mps2-an386 -nographic \
            -semihosting-config enable=on,target=native -kernel
M4F      := $(addprefix $(BUILD)/m4f/,$(addsuffix .elf,$(C_PROGS) $(M4F_ONLY)))

$(ARM_LIB): FORCE
	$(CARGO) build --release -p tinyebm-ffi --target thumbv7em-none-eabihf \
	    --no-default-features --features panic-handler

$(BUILD)/m4f/%.elf: %.c $(STARTUP) $(ARM_LIB) $(HEADER)
	@mkdir -p $(@D)
	$(ARM_CC) $(ARM_ARCH) $(CPPFLAGS) $(CFLAGS) $(ARM_LD) $(STARTUP) $< $(ARM_LIB) -lm -o $@

embedded: $(M4F)

run-qemu: $(M4F)
	@set -e; for p in $(M4F); do echo "== qemu $$p"; $(QEMU) $$p < /dev/null > $$p.out || { cat $$p.out; exit 1; }; tail -n 1 $$p.out; done
	@for p in $(QEMU_SHOW); do cat $(BUILD)/m4f/$$p.elf.out; done

# ---- Cortex-M33 (QEMU mps2-an505): the M4F recipe with the an505 map ----
# (startup.S holds both CPUs' vector tables: -mcpu=cortex-m33 picks this one)
M33_LIB  := $(ROOT)/target/thumbv8m.main-none-eabihf/release/libtinyebm.a
M33_ARCH := -mcpu=cortex-m33 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16
M33_LD   := --specs=rdimon.specs -Wl,--section-start=.vectors=0x10000000 \
            -Wl,-Ttext-segment=0x10001000 -Wl,-u,__vectors \
            -Wl,--gc-sections -Wl,--no-warn-execstack
QEMU_M33 := timeout 600 qemu-system-arm -M mps2-an505 -nographic \
            -semihosting-config enable=on,target=native -kernel
M33_PROGS ?= $(C_PROGS)
M33      := $(addprefix $(BUILD)/m33/,$(addsuffix .elf,$(M33_PROGS)))

$(M33_LIB): FORCE
	$(CARGO) build --release -p tinyebm-ffi --target thumbv8m.main-none-eabihf \
	    --no-default-features --features panic-handler

$(BUILD)/m33/%.elf: %.c $(STARTUP) $(M33_LIB) $(HEADER)
	@mkdir -p $(@D)
	$(ARM_CC) $(M33_ARCH) $(CPPFLAGS) $(CFLAGS) $(M33_LD) $(STARTUP) $< $(M33_LIB) -lm -o $@

embedded-m33: $(M33)

run-qemu-m33: $(M33)
	@set -e; for p in $(M33); do echo "== qemu-m33 $$p"; $(QEMU_M33) $$p < /dev/null > $$p.out || { cat $$p.out; exit 1; }; tail -n 1 $$p.out; done

# ---- 32-bit RISC-V without FPU (rv32imac, ESP32-C3 class) on QEMU virt ----
# Debian's riscv64-unknown-elf-gcc (multilib rv32imac/ilp32) with picolibc:
# its semihosting crt0 (stack, .data, .bss, main, exit status) and stdio.
# `-bios none` jumps to 0x80000000, where picolibc.ld puts `_start`: code
# and read-only data in the first 8 MB of RAM, data and stack in the next.
# The CPU's F and D extensions are off: a float instruction would trap.
# picolibc writes stdout to the semihosting console: a file (PROG.elf.out).
RV_CC    ?= riscv64-unknown-elf-gcc
RV_LIB   := $(ROOT)/target/riscv32imac-unknown-none-elf/release/libtinyebm.a
RV_ARCH  := -march=rv32imac -mabi=ilp32
RV_LD    := --specs=picolibc.specs --crt0=semihost --oslib=semihost \
            -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x800000 \
            -Wl,--defsym=__ram=0x80800000 -Wl,--defsym=__ram_size=0x800000
QEMU_RV  := timeout 600 qemu-system-riscv32 -M virt -cpu rv32,f=false,d=false -m 64M \
            -bios none -nographic -monitor none -serial none
# Soft-float is slow under QEMU (mlp_sample: minutes): choose with
# `make run-qemu-rv32 RV32_PROGS="train_mcu"`.
RV32_PROGS ?= $(C_PROGS)
RV32     := $(addprefix $(BUILD)/rv32/,$(addsuffix .elf,$(RV32_PROGS)))

$(RV_LIB): FORCE
	$(CARGO) build --release -p tinyebm-ffi --target riscv32imac-unknown-none-elf \
	    --no-default-features --features panic-handler

$(BUILD)/rv32/%.elf: %.c $(RV_LIB) $(HEADER)
	@mkdir -p $(@D)
	$(RV_CC) $(RV_ARCH) $(CPPFLAGS) $(CFLAGS) $(RV_LD) $< $(RV_LIB) -lm -o $@

embedded-rv32: $(RV32)

run-qemu-rv32: $(RV32)
	@set -e; for p in $(RV32); do echo "== qemu-riscv32 $$p"; \
	    $(QEMU_RV) -chardev file,id=semi,path=$$p.out \
	        -semihosting-config enable=on,target=native,chardev=semi -kernel $$p < /dev/null \
	        || { cat $$p.out; exit 1; }; tail -n 1 $$p.out; done

clean:
	rm -rf $(BUILD)
