//! Helpers shared by the tests: Monte Carlo standard errors by batch means,
//! a Kolmogorov–Smirnov statistic, exact draws from targets, finite-difference
//! gradient checks, and the bits of a run. `review.rs` and `grid.rs` are
//! shared with the examples too.
#![allow(dead_code, unused_imports)] // each test uses a part

mod corners;
mod grid;
mod review;
pub use corners::*;
pub use grid::*;
pub use review::*;

use tinyebm::{Energy, EvalError, Kernel, Sampler, Stream, Trainable, Walkers};

/// Mean and standard error of a time series of per-step ensemble averages,
/// by non-overlapping batch means (20 batches). Valid when a batch is much
/// longer than the autocorrelation time; the tests run ≥ 100× longer.
pub fn mean_and_se(series: &[f64]) -> (f64, f64) {
    let b = 20;
    let len = series.len() / b;
    assert!(len >= 10, "series too short for batch means");
    let means: Vec<f64> = (0..b)
        .map(|k| series[k * len..(k + 1) * len].iter().sum::<f64>() / len as f64)
        .collect();
    let m = means.iter().sum::<f64>() / b as f64;
    let var = means.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (b - 1) as f64;
    (m, (var / b as f64).sqrt())
}

/// Tolerance in standard errors. With 20 batches the SE itself is estimated
/// (Student t, 19 d.o.f.): P(|t| > 4.5) ≈ 2.5e-4 per check, so a correct
/// sampler passes a file's ~20 checks with probability > 0.99 for any seed.
pub const K_SE: f64 = 4.5;

/// Asserts |estimate − truth| ≤ K_SE·SE and returns the z-score.
pub fn assert_within(what: &str, series: &[f64], truth: f64) -> f64 {
    let (m, se) = mean_and_se(series);
    let z = (m - truth) / se;
    eprintln!("{what}: {m:.5} vs {truth:.5}, z = {z:+.2}");
    assert!(
        z.abs() <= K_SE,
        "{what}: estimate {m:.5} vs truth {truth:.5} (SE {se:.2e}, z = {z:.2})"
    );
    z
}

/// Kolmogorov–Smirnov distance between sorted samples and a CDF.
pub fn ks_statistic(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    let mut d = 0f64;
    for (i, &x) in sorted.iter().enumerate() {
        let f = cdf(x);
        d = d
            .max((f - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - f).abs());
    }
    d
}

/// KS critical value at α = 0.001 for n samples (asymptotic, 1.949/√n).
pub fn ks_critical(n: usize) -> f64 {
    1.949 / (n as f64).sqrt()
}

/// `n` exact draws from N(mu, Σ) in 2-D (walker-major), from `seed`.
pub fn gaussian2_draws(n: usize, mu: [f32; 2], cov: [[f64; 2]; 2], seed: u64) -> Vec<f32> {
    let l00 = cov[0][0].sqrt();
    let l10 = cov[1][0] / l00;
    let l11 = (cov[1][1] - l10 * l10).sqrt();
    let mut s = Stream::new(seed, 777_777);
    let mut out = Vec::with_capacity(2 * n);
    for _ in 0..n {
        let (a, b) = s.normal_pair();
        let (a, b) = (a as f64, b as f64);
        out.push(mu[0] + (l00 * a) as f32);
        out.push(mu[1] + (l10 * a + l11 * b) as f32);
    }
    out
}

/// `n` standard normal draws from `s`, times `scale`.
pub fn random_vec(s: &mut Stream, n: usize, scale: f32) -> Vec<f32> {
    let mut v = vec![0f32; n];
    s.fill_normal(&mut v);
    v.iter_mut().for_each(|a| *a *= scale);
    v
}

/// Central-difference step and tolerance. In f32 the error is
/// ε²|U'''|/6 (truncation) + 2⁻²⁴|U|/ε (rounding) ≈ 1e-5 + 2e-5 for the
/// O(1)–O(10) energies of the gradient tests with ε = 3e-3; the tolerance
/// leaves 20× room. With `micromath`, activations are piecewise
/// approximations: the analytic gradient is the exact-form gradient at
/// approximate values and differs from the slope of the approximate U by up
/// to a few percent (measured 2%).
pub const EPS: f32 = 3e-3;
pub const TOL: f32 = if cfg!(feature = "micromath") {
    5e-2
} else {
    2e-3
};

/// Whether an analytic derivative `a` and a finite difference `b` agree
/// within [`TOL`], relative to the larger of them and `scale`.
pub fn close(a: f32, b: f32, scale: f32) -> bool {
    (a - b).abs() <= TOL * (1.0 + a.abs().max(b.abs()).max(scale))
}

/// Checks ∇ₓU at `x` against central differences, and `value` against
/// `value_grad` (same bits); describes the first mismatch.
pub fn x_grad_mismatch<E: Energy>(e: &E, x: &[f32]) -> Result<(), String> {
    let d = e.dim();
    let mut g = vec![0f32; d];
    let u = e.value_grad(x, &mut g).unwrap();
    let v = e.value(x).unwrap();
    if u.to_bits() != v.to_bits() {
        return Err(format!("value {v} vs value_grad {u}"));
    }
    for i in 0..d {
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[i] += EPS;
        xm[i] -= EPS;
        let fd = (e.value(&xp).unwrap() - e.value(&xm).unwrap()) / (xp[i] - xm[i]);
        if !close(g[i], fd, u.abs() * EPS) {
            return Err(format!("∂U/∂x{i} = {} vs FD {fd} at {x:?}", g[i]));
        }
    }
    Ok(())
}

/// Checks ∂θU, as `accumulate_param_grad` adds it at `scale` (divided back
/// out), against central differences in each parameter; returns U as that
/// call reported it. Parameters whose +ε step leaves the model's domain
/// (e.g. a precision no longer positive definite) are skipped, and so are
/// those whose −ε step does if `skip_minus`; if not, that is a mismatch.
pub fn theta_grad_mismatch<E: Trainable + Clone>(
    e: &E,
    x: &[f32],
    scale: f32,
    skip_minus: bool,
) -> Result<f32, String> {
    let p = e.num_params();
    let mut theta = vec![0f32; p];
    e.params(&mut theta).unwrap();
    let mut g = vec![0f32; p];
    let u = e.accumulate_param_grad(x, scale, &mut g).unwrap();
    let mut m = e.clone();
    for k in 0..p {
        let (mut tp, mut tm) = (theta.clone(), theta.clone());
        tp[k] += EPS;
        tm[k] -= EPS;
        if m.set_params(&tp).is_err() || (skip_minus && m.clone().set_params(&tm).is_err()) {
            continue;
        }
        let up = m.value(x).unwrap();
        m.set_params(&tm)
            .map_err(|err| format!("θ{k} − ε refused: {err}"))?;
        let um = m.value(x).unwrap();
        let fd = (up - um) / (tp[k] - tm[k]);
        if !close(g[k] / scale, fd, u.abs() * EPS) {
            return Err(format!("∂U/∂θ{k} = {} vs FD {fd}", g[k] / scale));
        }
    }
    Ok(u)
}

/// Takes `steps` steps of `s` on `e`, checking after each that every walker
/// is at x ≤ `wall` and every energy finite; returns the invalid proposals.
pub fn invalid_before_wall<K: Kernel, E: Energy, const N: usize>(
    s: &mut Sampler<K, N, 1>,
    e: &E,
    steps: usize,
    wall: f32,
) -> usize {
    let mut invalid = 0;
    for _ in 0..steps {
        invalid += s.step(e).unwrap().invalid;
        let w = s.walkers();
        assert!(w.positions_soa()[0][..w.len()].iter().all(|&x| x <= wall));
        assert!(w.energies().iter().all(|u| u.is_finite()));
    }
    invalid
}

/// Runs `steps` steps of `k` at inverse temperature `beta` from `w`; returns
/// the bits of every position (walker-major), then of every energy.
pub fn bits_after<K: Kernel, E: Energy, const N: usize, const D: usize>(
    k: &K,
    e: &E,
    beta: f32,
    steps: usize,
    mut w: Walkers<N, D>,
) -> Vec<u32> {
    for _ in 0..steps {
        k.step(e, beta, &mut w).unwrap();
    }
    let mut pos = vec![0f32; w.len() * w.dim()];
    w.positions(&mut pos).unwrap();
    pos.iter()
        .chain(w.energies())
        .map(|v| v.to_bits())
        .collect()
}

/// An energy on ℝ^D from a value-and-gradient closure that may decline
/// (`FnEnergy`'s cannot); `value` hands it a scratch gradient.
pub struct TryFnEnergy<F, const D: usize>(pub F);

impl<F, const D: usize> Energy for TryFnEnergy<F, D>
where
    F: Fn(&[f32], &mut [f32]) -> Result<f32, EvalError>,
{
    fn dim(&self) -> usize {
        D
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        (self.0)(x, &mut [0f32; D])
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, EvalError> {
        (self.0)(x, g)
    }
}

/// The bits of a slice of floats.
pub fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// What `param_grad_each` reports for walkers `0..n` (scratch starting as
/// NaN): walker, bits of U, bits of ∂θU.
pub fn each_bits<const N: usize, E: Trainable>(
    e: &E,
    x: &[[f32; N]; 2],
    n: usize,
) -> Vec<(usize, u32, Vec<u32>)> {
    let mut seen = Vec::new();
    let mut scratch = vec![f32::NAN; e.num_params()];
    e.param_grad_each(x, n, &mut scratch, |w, u, g| {
        seen.push((w, u.to_bits(), bits(g)));
        true
    })
    .unwrap();
    seen
}
