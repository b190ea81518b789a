//! Footprint baseline: the same startup, semihosting exit and stack painting
//! as `footprint_sampler`, without tinyebm. The difference is what tinyebm adds.
#![no_std]
#![no_main]

#[path = "../footprint.rs"]
mod footprint;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use footprint::{exit, stack};

#[entry]
fn main() -> ! {
    let sp = stack::paint();
    let mut x = core::hint::black_box(1u32);
    for i in 0..1000u32 {
        x = x.wrapping_mul(1_664_525).wrapping_add(i);
    }
    let used = stack::used_since(sp);
    hprintln!("baseline {} stack {}", x, used);
    exit::success()
}
