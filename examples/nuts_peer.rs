//! tinyebm's NUTS with the default warm-up on two targets of the posterior
//! suite, for min-ESS/s against BlackJAX
//! (`benches/peers/bench_nuts_posteriors.py`): a diagonal Gaussian in 100-D
//! with condition number 10⁴ and the non-centred eight schools. 32 walkers,
//! `WARMUP` warm-up steps (`MassAdaptation::DEFAULT`), `DRAWS` draws per
//! walker; wall time of warm-up + draws on one core; ESS of the mean per
//! coordinate (`draws::rank_diagnostics`'s `ess_mean`: split chains, Geyer),
//! min over coordinates. Prints one JSON line per target.
//!
//! `taskset -c 1 cargo run --release --features std --example nuts_peer`

use std::time::Instant;

use tinyebm::draws::{rank_diagnostics, scratch_len};
#[path = "../tests/common/targets.rs"]
mod targets;
use targets::{DiagGauss, EightSchools};
use tinyebm::{Energy, MassAdaptation, Nuts, Sampler, Walkers};

const N: usize = 32;
const WARMUP: usize = 500;
const DRAWS: usize = 500;

fn run<E: Energy, const D: usize>(name: &str, e: &E) {
    let w = Walkers::<N, D>::gaussian(e, N, 1, &[0.0; D], 1.0).unwrap();
    let mut s = Box::new(Sampler::new(Nuts::<D>::new(0.1).unwrap(), w));
    let grads = |s: &Sampler<Nuts<D>, N, D>| -> u64 {
        (0..N)
            .map(|w| s.walkers().last_step(w).n_leapfrog as u64)
            .sum()
    };
    let mut out = vec![0f32; D * N * DRAWS];
    let t0 = Instant::now();
    let mut st = s
        .warmup_state(MassAdaptation::DEFAULT, WARMUP, 0.8)
        .unwrap();
    let mut g_warm = 0;
    while !st.is_done() {
        s.warmup_step(e, &mut st).unwrap();
        g_warm += grads(&s);
    }
    let mut g_draws = 0;
    for k in 0..DRAWS {
        s.step(e).unwrap();
        g_draws += grads(&s);
        for i in 0..D {
            for w in 0..N {
                out[(i * N + w) * DRAWS + k] = s.walkers().coord(w, i);
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let mut scratch = vec![0f64; scratch_len(N, DRAWS).unwrap()];
    let mut min_ess = f64::INFINITY;
    for i in 0..D {
        let r =
            rank_diagnostics(&out[i * N * DRAWS..(i + 1) * N * DRAWS], N, &mut scratch).unwrap();
        min_ess = min_ess.min(r.ess_mean);
    }
    println!(
        "{{\"peer\": \"tinyebm\", \"target\": \"{name}\", \"chains\": {N}, \"warmup\": {WARMUP}, \"draws\": {DRAWS}, \"min_ess\": {min_ess:.1}, \"seconds_warmup_and_draws\": {secs:.4}, \"grads_draws\": {g_draws}, \"grads_warmup\": {g_warm}, \"min_ess_per_s\": {:.1}, \"min_ess_per_1000_grads\": {:.2}}}",
        min_ess / secs,
        1000.0 * min_ess / (g_warm + g_draws) as f64
    );
}

fn main() {
    run::<_, 100>("gaussian100", &DiagGauss::<100>::ill_conditioned());
    run::<_, 10>("eight_schools_nc", &EightSchools);
}
