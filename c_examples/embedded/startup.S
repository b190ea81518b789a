/* Minimal Cortex-M4F start-up for QEMU mps2-an386 with newlib's rdimon
 * (semihosting) C runtime: a vector table at 0, a reset handler that enables
 * the FPU and jumps to newlib's _start (which sets up the stack and heap from
 * the debugger, clears .bss and calls main/exit), and fault handlers that
 * exit through semihosting with an error instead of hanging. */
    .syntax unified
    .cpu cortex-m4
    .thumb

    .section .vectors, "a"
    .global __vectors
__vectors:
    .word 0x20400000            /* initial SP: top of the 4 MB SRAM */
    .word reset_handler
    .word fault_handler         /* NMI */
    .word fault_handler         /* HardFault */
    .word fault_handler         /* MemManage */
    .word fault_handler         /* BusFault */
    .word fault_handler         /* UsageFault */

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
