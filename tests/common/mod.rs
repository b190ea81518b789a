//! Helpers shared by the statistical tests: Monte Carlo standard errors by
//! batch means, a Kolmogorov–Smirnov statistic, and exact draws from targets.
#![allow(dead_code)]

use tinyebm::Stream;

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

/// Standard normal CDF.
pub fn phi(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
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
