//! Footprint of a MALA sampler alone: the 2→16→16→1 MLP energy and 16
//! walkers in static memory, 1000 MALA steps, a checksum out. Compare with
//! `footprint_baseline` (scripts/mcu-footprint.sh).
#![no_std]
#![no_main]

#[path = "../footprint.rs"]
mod footprint;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use footprint::{exit, stack};
use tinyebm::{Activation, Kernel, Mala, Mlp, Walkers};

type Net = Mlp<2, 16>;

#[entry]
fn main() -> ! {
    // State lives in static RAM (.bss), as a firmware would keep it.
    let state = cortex_m::singleton!(: (Option<Net>, Walkers<16, 2>) = (None, Walkers::empty()));
    let Some((net_slot, walkers)) = state else {
        exit::failure()
    };
    let sp = stack::paint();
    let Ok(net) = Net::init(2, 16, Activation::Tanh, 0.5, 2024) else {
        exit::failure()
    };
    let net = net_slot.insert(net);
    let Ok(mala) = Mala::new(0.1) else {
        exit::failure()
    };
    if walkers.init_gaussian(net, 16, 7, &[0.0, 0.0], 1.0).is_err() {
        exit::failure()
    }
    let mut accepted = 0u32;
    for _ in 0..1000 {
        match mala.step(net, 1.0, walkers) {
            Ok(s) => accepted += s.accepted as u32,
            Err(_) => exit::failure(),
        }
    }
    let used = stack::used_since(sp);
    hprintln!("sampler accepted {} stack {}", accepted, used);
    exit::success()
}
