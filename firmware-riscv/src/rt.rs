//! What cortex-m-rt and cortex-m-semihosting do for the Arm firmware, by hand
//! for QEMU's virt board in machine mode: start-up (global pointer, stack,
//! zeroed .bss; QEMU loads code and data from the ELF), a trap handler that
//! fails the run instead of hanging, and semihosting (stdout, exit status).

use core::fmt;
use core::sync::atomic::{AtomicUsize, Ordering};

core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  la t0, _trap
    csrw mtvec, t0
    call firmware_main
3:  j 3b

    .section .text._trap, "ax"
    .balign 4
_trap:
    la sp, __stack_top
    csrr a0, mcause
    csrr a1, mepc
    call trap_handler

    /* The semihosting call: these three uncompressed instructions, in one
       page (RISC-V semihosting spec); a0 = operation, a1 = argument. */
    .section .text.semihost, "ax"
    .balign 16
    .globl semihost_call
semihost_call:
    .option push
    .option norvc
    slli zero, zero, 0x1f
    ebreak
    srai zero, zero, 7
    .option pop
    ret
"#
);

unsafe extern "C" {
    fn semihost_call(op: usize, arg: *const usize) -> isize;
}

const SYS_OPEN: usize = 0x01;
const SYS_WRITE: usize = 0x05;
const SYS_EXIT: usize = 0x18;
/// SYS_EXIT reasons: QEMU exits with status 0 for the first, 1 otherwise.
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;
const ADP_STOPPED_RUN_TIME_ERROR: usize = 0x20023;

fn call(op: usize, args: &[usize]) -> isize {
    // SAFETY: the host reads `args` (and the buffers they point to) only
    // during the call; the instruction sequence clobbers a0 alone.
    unsafe { semihost_call(op, args.as_ptr()) }
}

static STDOUT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The host's stdout: ":tt" opened for writing (mode 4).
fn stdout() -> usize {
    let h = STDOUT.load(Ordering::Relaxed);
    if h != usize::MAX {
        return h;
    }
    let tt = b":tt\0";
    let h = call(SYS_OPEN, &[tt.as_ptr() as usize, 4, 3]) as usize;
    STDOUT.store(h, Ordering::Relaxed);
    h
}

/// Semihosting stdout, for `hprintln!`.
pub struct Host;

impl fmt::Write for Host {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SYS_WRITE returns the number of bytes *not* written.
        match call(SYS_WRITE, &[stdout(), s.as_ptr() as usize, s.len()]) {
            0 => Ok(()),
            _ => Err(fmt::Error),
        }
    }
}

/// `println!` to the host's stdout through semihosting.
macro_rules! hprintln {
    ($($t:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::rt::Host, $($t)*);
    }};
}
pub(crate) use hprintln;

/// Ends the run: QEMU exits with status 0 if `ok`, else 1. On hardware
/// (no debugger attached the call would trap), halts.
pub fn exit(ok: bool) -> ! {
    let reason = if ok {
        ADP_STOPPED_APPLICATION_EXIT
    } else {
        ADP_STOPPED_RUN_TIME_ERROR
    };
    // SAFETY: SYS_EXIT takes the reason itself (not a pointer) on RV32.
    unsafe { semihost_call(SYS_EXIT, reason as *const usize) };
    loop {
        // SAFETY: waits for an interrupt; touches no memory.
        unsafe { core::arch::asm!("wfi", options(nomem, nostack)) };
    }
}

/// Any exception (illegal instruction, misaligned or faulting access,
/// `unimp`): report it and fail.
#[unsafe(no_mangle)]
extern "C" fn trap_handler(mcause: usize, mepc: usize) -> ! {
    hprintln!("firmware: trap mcause {} mepc {:#010x}", mcause, mepc);
    hprintln!("firmware: FAILED");
    exit(false)
}
