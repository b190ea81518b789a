/* Minimal Cortex-M33 start-up for QEMU mps2-an505 (secure state, as it
 * boots) with newlib's rdimon (semihosting) C runtime; startup.S (the
 * Cortex-M4F one) with the an505 map: the vector table at 0x10000000 (the
 * initial VTOR_S: SSRAM1's secure alias, where code and data are linked with
 * -Ttext-segment), the initial stack at the top of the 16 MB RAM at
 * 0x80000000 (which QEMU's SYS_HEAPINFO also hands out for heap and stack),
 * and a SecureFault vector. */
    .syntax unified
    .cpu cortex-m33
    .thumb

    .section .vectors, "a"
    .global __vectors
__vectors:
    .word 0x81000000            /* initial SP: top of the 16 MB RAM */
    .word reset_handler
    .word fault_handler         /* NMI */
    .word fault_handler         /* HardFault */
    .word fault_handler         /* MemManage */
    .word fault_handler         /* BusFault */
    .word fault_handler         /* UsageFault */
    .word fault_handler         /* SecureFault */

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
