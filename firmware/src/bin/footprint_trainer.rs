//! Footprint of a MALA sampler with a PCD trainer: the 2→16→16→1 MLP energy,
//! 16 MALA walkers as the negative phase (an `Ensemble`: walkers and kernel,
//! no diagnostics; with the `sampler-phase` feature a `Sampler` with
//! recording off, for comparison), Adam, batches of 16 points from a
//! data stream, K = 10 steps per update, all in static memory; 50 updates
//! and a checksum out. Compare with `footprint_sampler` and
//! `footprint_baseline` (scripts/mcu-footprint.sh).
#![no_std]
#![no_main]

#[path = "../footprint.rs"]
mod footprint;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use footprint::{exit, stack};
use tinyebm::{
    Activation, Adam, Mala, Mlp, Mode, Pcd, PcdConfig, Stream, Walkers, mlp_param_count,
};

type Net = Mlp<2, 16>;
const P: usize = mlp_param_count(2, 16);
#[cfg(not(feature = "sampler-phase"))]
type Phase = tinyebm::Ensemble<Mala, 16, 2>;
#[cfg(feature = "sampler-phase")]
type Phase = tinyebm::Sampler<Mala, 16, 2>;
type Trainer = Pcd<Phase, Adam<P>, 16, 2, P>;

/// Energy, trainer and data stream, built by value (once, at start-up).
fn build() -> Option<(Net, Trainer, Stream)> {
    let net = Net::init(2, 16, Activation::Tanh, 0.5, 2024).ok()?;
    let walkers = Walkers::<16, 2>::gaussian(&net, 16, 7, &[0.0, 0.0], 1.0).ok()?;
    #[allow(unused_mut)] // only the Sampler needs it
    let mut sampler = Phase::new(Mala::new(0.05).ok()?, walkers);
    #[cfg(feature = "sampler-phase")]
    sampler.set_recording(false);
    let adam = Adam::<P>::new(P, 5e-3).ok()?;
    let cfg = PcdConfig {
        batch_size: 16,
        steps: 10,
        ..PcdConfig::new(Mode::Pcd)
    };
    let trainer = Pcd::new(&net, sampler, adam, cfg).ok()?;
    Some((net, trainer, Stream::new(11, 0)))
}

#[entry]
fn main() -> ! {
    // Construction by value is measured on its own: the state then lives in
    // static RAM (.bss), as a firmware would keep it.
    let sp = stack::paint();
    let state = cortex_m::singleton!(: Option<(Net, Trainer, Stream)> = build());
    let construct = stack::used_since(sp);
    let Some(Some((net, trainer, data))) = state else {
        exit::failure()
    };
    let sp = stack::paint();
    let mut updates = 0u32;
    let mut gap = 0f32;
    let mut xs = [0f32; 32];
    for _ in 0..50 {
        for p in xs.chunks_exact_mut(2) {
            let k = data.below(4);
            let (z0, z1) = data.normal_pair();
            p[0] = if k & 1 == 0 { 1.0 } else { -1.0 } + 0.3 * z0;
            p[1] = if k & 2 == 0 { 1.0 } else { -1.0 } + 0.3 * z1;
        }
        match trainer.push_batch(net, &xs) {
            Ok(Some(m)) => {
                updates += 1;
                gap = m.gap;
            }
            _ => exit::failure(),
        }
    }
    let used = stack::used_since(sp);
    if !gap.is_finite() {
        exit::failure()
    }
    hprintln!(
        "trainer updates {} gap-bits {:08x} construct {} stack {}",
        updates,
        gap.to_bits(),
        construct,
        used
    );
    exit::success()
}
