#![allow(clippy::needless_range_loop)]
//! Statistical correctness of ULA, MALA and random-walk MH (review §4).
//! Every tolerance is K_SE Monte Carlo standard errors (see common/mod.rs);
//! seeds are fixed.

mod common;
use common::*;
use tinyebm::{Barker, Gaussian, Hmc, Kernel, Mala, Mixture, Rwmh, Sampler, Ula, Walkers};

const MU: [f32; 2] = [1.0, -2.0];

/// Runs `steps` steps and returns per-step ensemble averages of
/// x₀, x₁, (x₀−μ₀)², (x₁−μ₁)², (x₀−μ₀)(x₁−μ₁) after `burn` steps.
fn moment_series<K: Kernel>(
    kernel: K,
    cov: [[f64; 2]; 2],
    seed: u64,
    burn: usize,
    steps: usize,
) -> [Vec<f64>; 5] {
    let c = [
        cov[0][0] as f32,
        cov[0][1] as f32,
        cov[1][0] as f32,
        cov[1][1] as f32,
    ];
    let target = Gaussian::<2>::from_covariance(&MU, &c).unwrap();
    const N: usize = 64;
    let init = gaussian2_draws(N, MU, cov, seed);
    let walkers = Walkers::<N, 2>::from_positions(&target, N, seed, &init).unwrap();
    let mut s = Sampler::new(kernel, walkers);
    s.run(&target, burn).unwrap();
    let mut out: [Vec<f64>; 5] = Default::default();
    for _ in 0..steps {
        s.step(&target).unwrap();
        let w = s.walkers();
        let mut acc = [0f64; 5];
        for k in 0..N {
            let a = w.coord(k, 0) as f64 - MU[0] as f64;
            let b = w.coord(k, 1) as f64 - MU[1] as f64;
            acc[0] += a + MU[0] as f64;
            acc[1] += b + MU[1] as f64;
            acc[2] += a * a;
            acc[3] += b * b;
            acc[4] += a * b;
        }
        for (o, a) in out.iter_mut().zip(acc) {
            o.push(a / N as f64);
        }
    }
    out
}

fn check_moments(what: &str, series: &[Vec<f64>; 5], cov: [[f64; 2]; 2]) {
    let truth = [MU[0] as f64, MU[1] as f64, cov[0][0], cov[1][1], cov[0][1]];
    let names = ["mean x0", "mean x1", "var x0", "var x1", "cov x0x1"];
    for k in 0..5 {
        assert_within(&format!("{what} {}", names[k]), &series[k], truth[k]);
    }
}

const CORRELATED: [[f64; 2]; 2] = [[1.0, 0.8], [0.8, 1.0]];

#[test]
fn mala_correlated_gaussian_moments() {
    let s = moment_series(Mala::new(0.15).unwrap(), CORRELATED, 11, 200, 20_000);
    check_moments("MALA", &s, CORRELATED);
}

#[test]
fn rwmh_correlated_gaussian_moments() {
    let s = moment_series(Rwmh::new(0.6).unwrap(), CORRELATED, 12, 200, 20_000);
    check_moments("MH", &s, CORRELATED);
}

/// ULA's stationary covariance is Σ(I − hΣ⁻¹/2)⁻¹ (errata 5), not Σ.
fn ula_covariance(cov: [[f64; 2]; 2], h: f64) -> [[f64; 2]; 2] {
    let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
    let p = [
        [cov[1][1] / det, -cov[0][1] / det],
        [-cov[1][0] / det, cov[0][0] / det],
    ];
    // M = I − (h/2)P, result Σ M⁻¹.
    let m = [
        [1.0 - 0.5 * h * p[0][0], -0.5 * h * p[0][1]],
        [-0.5 * h * p[1][0], 1.0 - 0.5 * h * p[1][1]],
    ];
    let dm = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let mi = [[m[1][1] / dm, -m[0][1] / dm], [-m[1][0] / dm, m[0][0] / dm]];
    let mut r = [[0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            r[i][j] = (0..2).map(|k| cov[i][k] * mi[k][j]).sum();
        }
    }
    r
}

const ULA_COV: [[f64; 2]; 2] = [[1.0, 0.5], [0.5, 1.0]];
const ULA_H: f32 = 0.5;

#[test]
fn ula_large_step_has_the_predicted_bias() {
    let biased = ula_covariance(ULA_COV, ULA_H as f64);
    // Eigenvalues 1.5, 0.5 → 1.8, 1.0: Σ_h = [[1.4, 0.4], [0.4, 1.4]].
    assert!((biased[0][0] - 1.4).abs() < 1e-12 && (biased[0][1] - 0.4).abs() < 1e-12);
    let s = moment_series(Ula::new(ULA_H).unwrap(), ULA_COV, 13, 300, 20_000);
    check_moments("ULA vs Σ_h", &s, biased);
    // And it is measurably not Σ: the variance is off by many standard errors.
    assert_variance_is_not(&s, ULA_COV[0][0], "ULA variance not distinguishable from Σ");
}

#[test]
fn mala_at_the_same_large_step_is_unbiased() {
    let s = moment_series(Mala::new(ULA_H).unwrap(), ULA_COV, 14, 300, 20_000);
    check_moments("MALA at ULA's step", &s, ULA_COV);
    let biased = ula_covariance(ULA_COV, ULA_H as f64);
    assert_variance_is_not(&s, biased[0][0], "MALA variance looks like ULA's");
}

/// The x₀ variance of `series` (from `moment_series`) is more than 10
/// standard errors from `other`.
fn assert_variance_is_not(series: &[Vec<f64>; 5], other: f64, what: &str) {
    let (m, se) = mean_and_se(&series[2]);
    assert!((m - other).abs() > 10.0 * se, "{what}: {m}");
}

/// Temperature: ρ ∝ exp(−βU) for U = x²/2 is N(0, 1/β); ULA at step h has
/// variance 1/(β(1 − h/2)).
#[test]
fn inverse_temperature_scales_the_target() {
    let target = Gaussian::<1>::standard(1).unwrap();
    let beta = 4.0f32;
    for (adjusted, h) in [(true, 0.3f32), (false, 0.3f32)] {
        let walkers = Walkers::<64, 1>::gaussian(&target, 64, 21, &[0.0], 0.5).unwrap();
        let mut series = Vec::new();
        let mut run = |k: &dyn Fn(&mut Walkers<64, 1>)| {
            let mut w = walkers.clone();
            for _ in 0..200 {
                k(&mut w);
            }
            for _ in 0..20_000 {
                k(&mut w);
                series.push(w.energies().iter().map(|&u| 2.0 * u as f64).sum::<f64>() / 64.0);
            }
        };
        if adjusted {
            let m = Mala::new(h).unwrap();
            run(&|w| {
                m.step(&target, beta, w).unwrap();
            });
        } else {
            let u = Ula::new(h).unwrap();
            run(&|w| {
                u.step(&target, beta, w).unwrap();
            });
        }
        let truth = if adjusted {
            1.0 / beta as f64
        } else {
            1.0 / (beta as f64 * (1.0 - h as f64 / 2.0))
        };
        assert_within(
            if adjusted {
                "MALA E[x²] at β=4"
            } else {
                "ULA E[x²] at β=4"
            },
            &series,
            truth,
        );
    }
}

/// Random-walk MH on N(0, 1) with proposal sd s accepts with probability
/// (2/π)·arctan(2/s).
#[test]
fn rwmh_acceptance_matches_arctan_formula() {
    let target = Gaussian::<1>::standard(1).unwrap();
    for (k, s) in [0.5f32, 1.0, 2.4, 6.0].into_iter().enumerate() {
        // Start from the exact target so every step is stationary.
        let mut st = tinyebm::Stream::new(30 + k as u64, 5);
        let init: Vec<f32> = (0..256).map(|_| st.normal_pair().0).collect();
        let w = Walkers::<256, 1>::from_positions(&target, 256, 30 + k as u64, &init).unwrap();
        let mut sampler = Sampler::new(Rwmh::new(s).unwrap(), w);
        let mut series = Vec::new();
        for _ in 0..4000 {
            let r = sampler.step(&target).unwrap();
            series.push(r.accepted as f64 / r.proposed as f64);
        }
        let truth = 2.0 / std::f64::consts::PI * (2.0 / s as f64).atan();
        assert_within(&format!("acceptance at s = {s}"), &series, truth);
    }
}

/// Final positions of independent walkers started from the exact mixture are
/// i.i.d. draws from it if the kernel leaves it invariant.
fn mixture_final_positions<K: Kernel + Copy>(kernel: K, steps: usize) -> Vec<f64> {
    let target = Mixture::review_example();
    const N: usize = 1024;
    let mut pooled = Vec::new();
    for rep in 0..4u64 {
        let init = review_mixture_draws(N, 100 + rep);
        let mut w = Walkers::<N, 1>::from_positions(&target, N, 200 + rep, &init).unwrap();
        for _ in 0..steps {
            kernel.step(&target, 1.0, &mut w).unwrap();
        }
        pooled.extend(w.positions_soa()[0].iter().map(|&v| v as f64));
    }
    pooled.sort_by(|a, b| a.partial_cmp(b).unwrap());
    pooled
}

/// KS distance of sorted draws from the review's mixture, and its critical
/// value at α = 0.001.
fn ks_vs_mixture(x: &[f64]) -> (f64, f64) {
    (ks_statistic(x, review_mixture_cdf), ks_critical(x.len()))
}

#[test]
fn review_mixture_stays_invariant_under_mala() {
    let x = mixture_final_positions(Mala::new(0.2).unwrap(), 400);
    let (d, critical) = ks_vs_mixture(&x);
    assert!(d < critical, "KS D = {d:.4} ≥ {critical:.4}");
    // Mode weight: binomial SE √(0.21/n).
    let right = x.iter().filter(|&&v| v > 2.5).count() as f64 / x.len() as f64;
    let se = (0.3f64 * 0.7 / x.len() as f64).sqrt();
    assert!((right - 0.3).abs() < K_SE * se, "right-mode weight {right}");
}

#[test]
fn review_mixture_stays_invariant_under_rwmh() {
    let x = mixture_final_positions(Rwmh::new(0.8).unwrap(), 400);
    let (d, critical) = ks_vs_mixture(&x);
    assert!(d < critical, "KS D = {d:.4} ≥ {critical:.4}");
}

/// The KS test above has power: ULA at the same step (variance of the narrow
/// mode inflated by 1/(1 − h/(2σ²)) ≈ 1.67) fails it.
#[test]
fn ks_detects_ula_bias_on_the_mixture() {
    let x = mixture_final_positions(Ula::new(0.2).unwrap(), 400);
    let (d, critical) = ks_vs_mixture(&x);
    assert!(d > critical, "KS did not detect ULA's bias (D = {d:.4})");
}

/// HMC (ε = 0.25, L = 8: εL·ω ∈ {1.49, 4.47} rad for this Σ's frequencies
/// 0.745 and 2.236, away from multiples of π).
#[test]
fn hmc_correlated_gaussian_moments() {
    let s = moment_series(Hmc::<2>::new(0.25, 8).unwrap(), CORRELATED, 15, 200, 20_000);
    check_moments("HMC", &s, CORRELATED);
}

/// Scales 2 and 0.8 with correlation 0.75. A diagonal mass M = diag(Σ)⁻¹
/// puts both coordinates on the same time scale; a wrong kinetic energy or
/// momentum scale under M biases the variances.
const ANISOTROPIC: [[f64; 2]; 2] = [[4.0, 1.2], [1.2, 0.64]];

#[test]
fn hmc_diagonal_mass_moments() {
    let m = [
        1.0 / ANISOTROPIC[0][0] as f32,
        1.0 / ANISOTROPIC[1][1] as f32,
    ];
    let k = Hmc::<2>::new(0.25, 8)
        .unwrap()
        .with_diagonal_mass(&m)
        .unwrap();
    let s = moment_series(k, ANISOTROPIC, 16, 200, 20_000);
    check_moments("HMC diagonal mass", &s, ANISOTROPIC);
}

/// Barker's proposal (Livingstone & Zanella 2022), exact under its
/// Metropolis–Hastings correction: Gaussian moments within K_SE standard
/// errors, at a well-chosen scale and at one 4× too large (the kernel's
/// selling point is robustness to that).
#[test]
fn barker_correlated_gaussian_moments() {
    for (seed, sigma) in [(16u64, 0.8f32), (17, 3.2)] {
        let s = moment_series(Barker::new(sigma).unwrap(), CORRELATED, seed, 200, 20_000);
        check_moments(&format!("Barker σ = {sigma}"), &s, CORRELATED);
    }
}

/// Barker leaves the review's bimodal mixture invariant (KS test and the
/// light mode's weight, as for MALA).
#[test]
fn review_mixture_stays_invariant_under_barker() {
    let x = mixture_final_positions(Barker::new(0.6).unwrap(), 400);
    let d = ks_statistic(&x, review_mixture_cdf);
    assert!(d < ks_critical(x.len()), "KS D = {d:.4}");
    let right = x.iter().filter(|&&v| v > 2.5).count() as f64 / x.len() as f64;
    let se = (0.3f64 * 0.7 / x.len() as f64).sqrt();
    assert!((right - 0.3).abs() < K_SE * se, "right-mode weight {right}");
}

/// Preconditioned MALA (mass = the coordinates' precisions) samples a
/// Gaussian whose scales differ by 100× with one step size; moments within
/// K_SE standard errors.
#[test]
fn preconditioned_mala_on_scales_100x_apart() {
    const SCALED: [[f64; 2]; 2] = [[0.01, 0.0], [0.0, 100.0]];
    let k = tinyebm::PMala::<2>::new(0.6)
        .unwrap()
        .with_diagonal_mass(&[100.0, 0.01])
        .unwrap();
    let s = moment_series(k, SCALED, 18, 200, 20_000);
    check_moments("preconditioned MALA", &s, SCALED);
}
