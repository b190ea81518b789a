//! Footprint baseline: the same startup, semihosting exit and stack painting
//! as `footprint_sampler`, without tinyebm. The difference is what tinyebm adds.
#![no_std]
#![no_main]

#[path = "../stack.rs"]
mod stack;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};

#[entry]
fn main() -> ! {
    let sp = stack::paint();
    let mut x = core::hint::black_box(1u32);
    for i in 0..1000u32 {
        x = x.wrapping_mul(1_664_525).wrapping_add(i);
    }
    let used = stack::used_since(sp);
    hprintln!("baseline {} stack {}", x, used);
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
