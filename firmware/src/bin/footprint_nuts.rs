//! Footprint of NUTS: `footprint_sampler` (the 2→16→16→1 MLP energy, 16
//! walkers in static memory, 1000 MALA steps) plus 1000 NUTS steps of the
//! same walkers (identity mass, default maximum tree depth 10, ε = 1.3 as
//! the firmware's `nuts_step_*` windows). Its flash minus
//! `footprint_sampler`'s is the NUTS code's. The stack is painted before
//! each phase, and each runs out of line (`mala_steps`, `nuts_steps`): inlined
//! into `main`, a step's locals would sit in `main`'s frame, above the
//! painted region, and go uncounted. The image prints both phases' peaks
//! (bytes below `main`'s stack pointer; scripts/mcu-footprint.sh).
#![no_std]
#![no_main]

#[path = "../footprint.rs"]
mod footprint;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use footprint::{exit, stack};
use tinyebm::{Activation, Kernel, Mala, Mlp, Nuts, Walkers};

type Net = Mlp<2, 16>;

#[entry]
fn main() -> ! {
    // State lives in static RAM (.bss), as a firmware would keep it.
    let state = cortex_m::singleton!(: (Option<Net>, Walkers<16, 2>) = (None, Walkers::empty()));
    let Some((net_slot, walkers)) = state else {
        exit::failure()
    };
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
    let sp = stack::paint();
    let Some(mut accepted) = mala_steps(&mala, net, walkers) else {
        exit::failure()
    };
    let mala_used = stack::used_since(sp);
    let Ok(nuts) = Nuts::<2>::new(1.3) else {
        exit::failure()
    };
    let sp = stack::paint();
    let Some((acc, leapfrog)) = nuts_steps(&nuts, net, walkers) else {
        exit::failure()
    };
    accepted += acc;
    let nuts_used = stack::used_since(sp);
    hprintln!(
        "nuts accepted {} leapfrog {} mala-phase {} nuts-phase {} stack {}",
        accepted,
        leapfrog,
        mala_used,
        nuts_used,
        mala_used.max(nuts_used)
    );
    exit::success()
}

/// 1000 NUTS steps of the walkers; (accepted, leapfrog steps) in all. Out of
/// line, so that the stack painting sees its frame.
#[inline(never)]
fn nuts_steps(nuts: &Nuts<2>, net: &Net, walkers: &mut Walkers<16, 2>) -> Option<(u32, u32)> {
    let (mut accepted, mut leapfrog) = (0u32, 0u32);
    for _ in 0..1000 {
        accepted += nuts.step(net, 1.0, walkers).ok()?.accepted as u32;
        for w in 0..16 {
            leapfrog += u32::from(walkers.last_step(w).n_leapfrog);
        }
    }
    Some((accepted, leapfrog))
}

/// 1000 MALA steps of the walkers, out of line as `nuts_steps` (so that the
/// two phases' stacks compare); accepted proposals in all.
#[inline(never)]
fn mala_steps(mala: &Mala, net: &Net, walkers: &mut Walkers<16, 2>) -> Option<u32> {
    let mut accepted = 0u32;
    for _ in 0..1000 {
        accepted += mala.step(net, 1.0, walkers).ok()?.accepted as u32;
    }
    Some(accepted)
}
