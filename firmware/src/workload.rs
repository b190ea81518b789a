//! A fixed sampling run shared by the firmware and a host program: both
//! print its fingerprint, and CI checks they are equal (same seed, same bits,
//! on x86_64 and on a Cortex-M4F).

use tinyebm::{Activation, Kernel, Mala, Mlp, Ula, Walkers};

/// The reference model of the MCU figures: MLP 2→16→16→1, tanh, α = 0.5.
pub type Net = Mlp<2, 16>;

/// The network every run uses (`None` only if the fixed sizes were invalid).
pub fn net() -> Option<Net> {
    Net::init(2, 16, Activation::Tanh, 0.5, 2024).ok()
}

/// FNV-1a over the bits of every position and energy.
pub fn fingerprint<const N: usize, const D: usize>(w: &Walkers<N, D>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |v: f32| h = (h ^ u64::from(v.to_bits())).wrapping_mul(0x0100_0000_01b3);
    for row in &w.positions_soa()[..w.dim()] {
        row[..w.len()].iter().for_each(|&v| eat(v));
    }
    w.energies().iter().for_each(|&v| eat(v));
    h
}

/// 16 walkers: 200 MALA steps then 200 ULA steps from seed 7.
/// Returns (fingerprint, accepted MALA proposals).
pub fn reference_run() -> (u64, usize) {
    let Some(net) = net() else {
        return (0, 0);
    };
    let Ok(mut w) = Walkers::<16, 2>::gaussian(&net, 16, 7, &[0.0, 0.0], 1.0) else {
        return (0, 0);
    };
    let (Ok(mala), Ok(ula)) = (Mala::new(0.1), Ula::new(0.05)) else {
        return (0, 0);
    };
    let mut accepted = 0;
    for _ in 0..200 {
        match mala.step(&net, 1.0, &mut w) {
            Ok(s) => accepted += s.accepted,
            Err(_) => return (0, 0),
        }
    }
    for _ in 0..200 {
        if ula.step(&net, 1.0, &mut w).is_err() {
            return (0, 0);
        }
    }
    (fingerprint(&w), accepted)
}
