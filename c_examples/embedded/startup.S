/* Minimal Cortex-M start-up with newlib's rdimon (semihosting) C runtime: a
 * vector table, a reset handler that enables the FPU and jumps to newlib's
 * _start (which sets up the stack and heap from the debugger, clears .bss and
 * calls main/exit), and fault handlers that exit through semihosting with an
 * error instead of hanging. For the CPU the compiler targets:
 *   - Cortex-M4F (-mcpu=cortex-m4) on QEMU mps2-an386: the vector table at 0,
 *     the initial stack at the top of the 4 MB SRAM at 0x20000000;
 *   - Cortex-M33 (-mcpu=cortex-m33, __ARM_ARCH_8M_MAIN__) on QEMU mps2-an505
 *     (secure state, as it boots): the vector table at 0x10000000 (the
 *     initial VTOR_S: SSRAM1's secure alias, where code and data are linked
 *     with -Ttext-segment), the initial stack at the top of the 16 MB RAM at
 *     0x80000000 (which QEMU's SYS_HEAPINFO also hands out for heap and
 *     stack), and a SecureFault vector.
 * Where the table goes is the linker's: -Wl,--section-start=.vectors=... */
#if defined(__ARM_ARCH_8M_MAIN__)
#define CPU cortex-m33
#define STACK_TOP 0x81000000
#else
#define CPU cortex-m4
#define STACK_TOP 0x20400000
#endif
    .syntax unified
    .cpu CPU
    .thumb

    .section .vectors, "a"
    .global __vectors
__vectors:
    .word STACK_TOP             /* initial SP: the top of the RAM */
    .word reset_handler
    .word fault_handler         /* NMI */
    .word fault_handler         /* HardFault */
    .word fault_handler         /* MemManage */
    .word fault_handler         /* BusFault */
    .word fault_handler         /* UsageFault */
#if defined(__ARM_ARCH_8M_MAIN__)
    .word fault_handler         /* SecureFault */
#endif

    .text
    .thumb_func
    .global reset_handler
reset_handler:
    ldr r0, =0xE000ED88         /* CPACR */
    ldr r1, [r0]
    orr r1, r1, #(0xF << 20)    /* CP10, CP11: full access (FPU on) */
    str r1, [r0]
    dsb
    isb
    b _start

    .thumb_func
fault_handler:
    movs r0, #0x18              /* SYS_EXIT */
    ldr r1, =0x20023            /* ADP_Stopped_RunTimeErrorUnknown */
    bkpt 0xab
1:  b 1b
