//! What the footprint images (`src/bin/footprint_*.rs`) share: stack
//! painting, the exits, and a panic handler that exits with status 1.

#[path = "exit.rs"]
pub mod exit;
#[path = "stack.rs"]
pub mod stack;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit::failure()
}
