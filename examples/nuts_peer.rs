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
use tinyebm::{Energy, EvalError, MassAdaptation, Nuts, Sampler, Walkers};

const N: usize = 32;
const WARMUP: usize = 500;
const DRAWS: usize = 500;

#[derive(Clone, Copy)]
struct DiagGauss {
    prec: [f32; 100],
}

impl Energy for DiagGauss {
    fn dim(&self) -> usize {
        100
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        Ok(0.5
            * x.iter()
                .zip(&self.prec)
                .map(|(v, p)| p * v * v)
                .sum::<f32>())
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, EvalError> {
        for i in 0..100 {
            g[i] = self.prec[i] * x[i];
        }
        self.value(x)
    }
}

const Y: [f32; 8] = [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0];
const SIGMA: [f32; 8] = [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0];

struct EightSchools;

impl Energy for EightSchools {
    fn dim(&self) -> usize {
        10
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        let mut g = [0f32; 10];
        self.value_grad(x, &mut g)
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, EvalError> {
        let (mu, s) = (x[0], x[1]);
        let tau = s.exp();
        let t2 = tau * tau / 25.0;
        let mut u = mu * mu / 50.0 + t2.ln_1p() - s;
        let mut gmu = mu / 25.0;
        let mut gs = 2.0 * t2 / (1.0 + t2) - 1.0;
        for j in 0..8 {
            let eta = x[2 + j];
            let r = Y[j] - mu - tau * eta;
            let w = 1.0 / (SIGMA[j] * SIGMA[j]);
            u += 0.5 * eta * eta + 0.5 * r * r * w;
            gmu -= r * w;
            gs -= r * w * tau * eta;
            g[2 + j] = eta - r * w * tau;
        }
        g[0] = gmu;
        g[1] = gs;
        Ok(u)
    }
}

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
    let mut prec = [0f32; 100];
    for (i, p) in prec.iter_mut().enumerate() {
        *p = 10f32.powf(4.0 * i as f32 / 99.0);
    }
    run::<_, 100>("gaussian100", &DiagGauss { prec });
    run::<_, 10>("eight_schools_nc", &EightSchools);
}
