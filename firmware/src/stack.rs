//! Peak stack use by painting: fill the unused stack below the current stack
//! pointer with a pattern, run the workload, then find the deepest word that
//! changed. Only this firmware's measurement code is unsafe; the library is
//! `forbid(unsafe_code)`.

const PATTERN: u32 = 0xA5A5_5A5A;
/// How far below the caller's stack pointer to paint and scan.
pub const DEPTH: usize = 64 * 1024;

/// Paints `DEPTH` bytes below the current stack pointer; returns that pointer.
#[inline(never)]
pub fn paint() -> usize {
    let sp = cortex_m::register::msp::read() as usize;
    // Leave 256 bytes for this function's own frame.
    let top = (sp - 256) & !3;
    let bottom = top - DEPTH;
    let mut p = bottom;
    while p < top {
        // SAFETY: [bottom, top) lies in the 4 MiB SRAM below the live stack
        // (cortex-m-rt puts the stack at the top of RAM; statics sit at the
        // bottom, far below), and nothing else uses it yet.
        unsafe { core::ptr::write_volatile(p as *mut u32, PATTERN) };
        p += 4;
    }
    sp
}

/// Bytes of stack used below `sp` (the value `paint` returned) since painting.
#[inline(never)]
pub fn used_since(sp: usize) -> usize {
    let top = (sp - 256) & !3;
    let bottom = top - DEPTH;
    let mut p = bottom;
    // SAFETY: same region as `paint`.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PATTERN {
        p += 4;
    }
    sp - p
}
