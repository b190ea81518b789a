//! Mass adaptation, Stan's windows against the ensemble's: on a diagonal
//! Gaussian in 100-D with variances log-spaced from 1 down to 1e-4
//! (condition number 10⁴), NUTS with 32 walkers started from N(0, 1):
//!
//! 1. steps until the adapted inverse mass 1/mᵢ is within 20 % of every
//!    true variance (a 1000-step warm-up, checked after every step);
//! 2. min bulk-ESS over coordinates (rank-normalised, `tinyebm::draws`) of
//!    500 steps after a warm-up of `budget` steps, and the gradients spent.
//!
//! `cargo run --release --features std --example mass_adapt [budget] [seeds]`

use tinyebm::draws::{rank_diagnostics, scratch_len};
use tinyebm::{MassAdaptation, Nuts, Sampler, Walkers};

#[path = "../tests/common/targets.rs"]
mod targets;
use targets::DiagGauss;

const D: usize = 100;
const N: usize = 32;

fn variances() -> [f64; D] {
    core::array::from_fn(DiagGauss::<D>::variance)
}

fn sampler(e: &DiagGauss<D>, seed: u64) -> Box<Sampler<Nuts<D>, N, D>> {
    let w = Walkers::<N, D>::gaussian(e, N, seed, &[0.0; D], 1.0).unwrap();
    Box::new(Sampler::new(Nuts::<D>::new(0.1).unwrap(), w))
}

fn grads(s: &Sampler<Nuts<D>, N, D>) -> u64 {
    (0..N)
        .map(|w| s.walkers().last_step(w).n_leapfrog as u64)
        .sum()
}

/// Steps until every 1/mᵢ is within 20 % of varᵢ, or None.
fn steps_to_20(e: &DiagGauss<D>, var: &[f64; D], mode: MassAdaptation, seed: u64) -> Option<u64> {
    let mut s = sampler(e, seed);
    let mut st = s.warmup_state(mode, 1000, Nuts::<D>::TARGET).unwrap();
    let mut m = [0f32; D];
    while !st.is_done() {
        s.warmup_step(e, &mut st).unwrap();
        if s.kernel().diagonal_mass(&mut m).is_some()
            && (0..D).all(|i| ((1.0 / m[i] as f64) / var[i] - 1.0).abs() <= 0.2)
        {
            return Some(st.steps_taken());
        }
    }
    None
}

/// (min bulk-ESS, gradients in warm-up, gradients in sampling, mean
/// acceptance statistic while sampling).
fn min_ess(
    e: &DiagGauss<D>,
    mode: MassAdaptation,
    budget: usize,
    seed: u64,
) -> (f64, u64, u64, f64) {
    let mut s = sampler(e, seed);
    let mut st = s.warmup_state(mode, budget, Nuts::<D>::TARGET).unwrap();
    let mut g_warm = 0;
    while !st.is_done() {
        s.warmup_step(e, &mut st).unwrap();
        g_warm += grads(&s);
    }
    let steps = 500;
    let mut out = vec![0f32; D * N * steps];
    let mut g_samp = 0;
    let mut acc = 0.0;
    // Record step by step to count gradients.
    for k in 0..steps {
        acc += f64::from(s.step(e).unwrap().mean_accept_prob) / steps as f64;
        g_samp += grads(&s);
        for i in 0..D {
            for w in 0..N {
                out[(i * N + w) * steps + k] = s.walkers().coord(w, i);
            }
        }
    }
    let mut scratch = vec![0f64; scratch_len(N, steps).unwrap()];
    let mut worst = f64::INFINITY;
    for i in 0..D {
        let r =
            rank_diagnostics(&out[i * N * steps..(i + 1) * N * steps], N, &mut scratch).unwrap();
        worst = worst.min(r.ess_bulk);
    }
    (worst, g_warm, g_samp, acc)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let budget: usize = args.get(1).map_or(300, |a| a.parse().unwrap());
    let seeds: u64 = args.get(2).map_or(3, |a| a.parse().unwrap());
    let var = variances();
    let e = DiagGauss::<D>::ill_conditioned();
    println!(
        "mode | seed | steps to 20 % | warm-up | min bulk-ESS (of {}) | accept stat | gradients warm-up | gradients sampling | min-ESS per 1000 gradients",
        N * 500
    );
    for mode in [MassAdaptation::Stan, MassAdaptation::Ensemble] {
        for seed in 1..=seeds {
            let t = steps_to_20(&e, &var, mode, seed);
            let (ess, gw, gs, acc) = min_ess(&e, mode, budget, seed);
            let t = t.map_or("-".to_string(), |t| t.to_string());
            println!(
                "{mode:?} | {seed} | {t} | {budget} | {ess:.0} | {acc:.3} | {gw} | {gs} | {:.1}",
                1000.0 * ess / (gw + gs) as f64
            );
        }
    }
}
