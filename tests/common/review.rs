//! The review's mixture ρ = 0.7·N(0, 1) + 0.3·N(5, 0.5²) (its Figure 1):
//! density, CDF and exact draws, the split between its modes, and the
//! replica-exchange ladder that recovers their weights. Shared by the tests
//! and the examples (`examples/common`): an example runs the setup a test
//! checks.

use tinyebm::{Stream, Walkers};

/// Standard normal CDF.
pub fn phi(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

/// Density of the review's mixture.
pub fn review_mixture_pdf(x: f64) -> f64 {
    let n = |x: f64, m: f64, s: f64| {
        (-(x - m).powi(2) / (2.0 * s * s)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
    };
    0.7 * n(x, 0.0, 1.0) + 0.3 * n(x, 5.0, 0.5)
}

/// CDF of the review's mixture 0.7·N(0, 1) + 0.3·N(5, 0.5²).
pub fn review_mixture_cdf(x: f64) -> f64 {
    0.7 * phi(x) + 0.3 * phi((x - 5.0) / 0.5)
}

/// `n` exact draws from the review's mixture, walker-major, from `seed`.
pub fn review_mixture_draws(n: usize, seed: u64) -> Vec<f32> {
    let mut s = Stream::new(seed, 999_999);
    (0..n)
        .map(|_| {
            let z = s.normal_pair().0;
            if s.uniform() < 0.7 { z } else { 5.0 + 0.5 * z }
        })
        .collect()
}

/// The split between the modes: x > 2.5 counts as the mode at 5.
pub const THRESHOLD: f32 = 2.5;

/// P(x > 2.5) under 0.7·N(0, 1) + 0.3·N(5, 0.5²): 0.3 up to the left
/// mode's tail beyond 2.5 (0.0043).
pub fn right_weight() -> f64 {
    1.0 - review_mixture_cdf(THRESHOLD as f64)
}

/// The fraction of the walkers beyond [`THRESHOLD`].
pub fn right_fraction<const M: usize>(w: &Walkers<M, 1>) -> f64 {
    let x = &w.positions_soa()[0][..w.len()];
    x.iter().filter(|&&v| v > THRESHOLD).count() as f64 / x.len() as f64
}

/// Six temperatures, geometric down to β = 0.1: ρ^0.1 has a barrier of
/// ≈ 0.45 nats instead of ≈ 4.5.
pub const REPLICAS: usize = 6;
pub const BETA_MIN: f32 = 0.1;
/// MALA step for every temperature: MALA on exp(−βU) with step h moves like
/// MALA on exp(−U) with step h/β, and the optimal step grows like the
/// variance 1/β, so one h suits the whole ladder. 1.2 is where dual averaging
/// toward 0.574 settles on this target (1.1–1.3).
pub const H: f32 = 1.2;
