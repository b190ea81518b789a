//! Annealed importance sampling against exact log Z: a correlated Gaussian,
//! the review's mixture, the double well (quadrature) and an 8-D product
//! of 1-D mixtures; the weights' SE and ESS; a schedule far too short,
//! which must report its error rather than hide it; held-out NLL.
//!
//! Tolerance: |log Ẑ − log Z| ≤ 4·SE (SE: the delta method on the final
//! weights), and the SE itself below a stated bound (not absurd). Fixed
//! seeds.

mod common;

use common::review_mixture_draws;
use tinyebm::ais::{MIN_ESS_FRACTION, WeightStats, pool};
use tinyebm::{
    Ais, AisConfig, AisResult, AnnealingSchedule, AnyKernel, Base, Energy, FnEnergy, Gaussian,
    KernelConfig, KernelKind, Mala, Mixture, Polynomial, held_out_nll,
};

const N: usize = 256;

fn report(what: &str, r: &AisResult, truth: f64) -> f64 {
    let err = r.log_z as f64 - truth;
    eprintln!(
        "{what}: truth {truth:.4}  estimate {:.4}  SE {:.4}  ESS {:.1}/{}  error {err:+.4} ({:+.2} SE)  acceptance {:.3}",
        r.log_z,
        r.se,
        r.ess,
        r.walkers,
        err / r.se as f64,
        r.acceptance
    );
    err
}

/// Asserts |error| ≤ 4·SE, SE ≤ `max_se`, and a reliable ESS.
fn check(what: &str, r: &AisResult, truth: f64, max_se: f32) {
    let err = report(what, r, truth);
    assert!(
        err.abs() <= 4.0 * r.se as f64,
        "{what}: log Z {} vs {truth} (SE {})",
        r.log_z,
        r.se
    );
    assert!(r.se > 0.0 && r.se <= max_se, "{what}: SE {}", r.se);
    assert!(r.is_reliable(), "{what}: ESS {}", r.ess);
}

/// The run of `steps` temperatures with `N` walkers from `seed`.
fn seeded(steps: usize, seed: u64) -> AisConfig<'static> {
    AisConfig {
        seed,
        ..AisConfig::new(N, steps)
    }
}

fn mala_ais<const D: usize>(h: f32, base: Base<D>) -> Ais<Mala, N, D> {
    Ais::new(Mala::new(h).unwrap(), base)
}

/// A 3-D Gaussian with a non-trivial mean and covariance, β = 1.5: log Z =
/// (d/2)·ln(2π/β) + ½·ln det Σ, from the standard normal base.
#[test]
fn correlated_gaussian() {
    let mean = [1.0f32, -2.0, 0.5];
    let cov = [
        2.0f32, 0.6, 0.3, //
        0.6, 1.0, -0.2, //
        0.3, -0.2, 0.5,
    ];
    let g = Gaussian::<3>::from_covariance(&mean, &cov).unwrap();
    let c = |i: usize, j: usize| cov[3 * i + j] as f64;
    let det = c(0, 0) * (c(1, 1) * c(2, 2) - c(1, 2) * c(2, 1))
        - c(0, 1) * (c(1, 0) * c(2, 2) - c(1, 2) * c(2, 0))
        + c(0, 2) * (c(1, 0) * c(2, 1) - c(1, 1) * c(2, 0));
    let beta = 1.5f64;
    let truth = 1.5 * (std::f64::consts::TAU / beta).ln() + 0.5 * det.ln();
    let mut ais = mala_ais(0.2, Base::<3>::standard(3).unwrap());
    let cfg = AisConfig {
        beta: beta as f32,
        seed: 11,
        ..AisConfig::new(N, 200)
    };
    let r = ais.run(&g, &cfg).unwrap();
    check("correlated Gaussian (3-D, β = 1.5)", &r, truth, 0.05);
}

/// The review's mixture 0.7·N(0, 1) + 0.3·N(5, 0.5²): U = −log density,
/// so log Z = 0 exactly.
#[test]
fn review_mixture() {
    let m = Mixture::review_example();
    let mut ais = mala_ais(0.3, Base::<1>::new(&[2.0], &[3.0]).unwrap());
    let cfg = seeded(200, 3);
    let r = ais.run(&m, &cfg).unwrap();
    check("review mixture (1-D)", &r, 0.0, 0.05);
}

/// log ∫exp(−β·a(x² − 1)²)dx by the midpoint rule on [−4, 4] in f64.
fn double_well_log_z(a: f64, beta: f64) -> f64 {
    let m = 200_000;
    let hx = 8.0 / m as f64;
    let s: f64 = (0..m)
        .map(|k| {
            let x = -4.0 + (k as f64 + 0.5) * hx;
            (-beta * a * (x * x - 1.0).powi(2)).exp()
        })
        .sum();
    (s * hx).ln()
}

/// The double well a(x² − 1)² with a = 4 at β = 1 (barrier 4 nats): truth
/// by quadrature.
#[test]
fn double_well() {
    let p = Polynomial::<1, 5>::double_well(4.0).unwrap();
    let truth = double_well_log_z(4.0, 1.0);
    let mut ais = mala_ais(0.05, Base::<1>::new(&[0.0], &[1.5]).unwrap());
    let cfg = seeded(300, 5);
    let r = ais.run(&p, &cfg).unwrap();
    check("double well (1-D, a = 4)", &r, truth, 0.05);
}

/// −log of 0.4·N(x; −1.5, 0.5²) + 0.6·N(x; 1, 0.8²), and its derivative.
fn mix1(x: f32) -> (f32, f32) {
    let n = |x: f32, m: f32, s: f32| {
        let z = (x - m) / s;
        (
            (-0.5 * z * z).exp() / (s * (std::f32::consts::TAU).sqrt()),
            z / s,
        )
    };
    let (p1, g1) = n(x, -1.5, 0.5);
    let (p2, g2) = n(x, 1.0, 0.8);
    let (a, b) = (0.4 * p1, 0.6 * p2);
    let s = a + b;
    (-s.ln(), (a * g1 + b * g2) / s)
}

/// An 8-D product of normalised bimodal 1-D mixtures: log Z = 0 exactly.
fn product8() -> impl Energy {
    FnEnergy::new(8, |x: &[f32], g: &mut [f32]| {
        let mut u = 0.0;
        for i in 0..8 {
            let (ui, gi) = mix1(x[i]);
            u += ui;
            g[i] = gi;
        }
        u
    })
}

#[test]
fn product_of_mixtures_8d() {
    let e = product8();
    let mut ais = mala_ais(0.15, Base::<8>::new(&[0.0; 8], &[2.0; 8]).unwrap());
    let cfg = seeded(1000, 8);
    let r = ais.run(&e, &cfg).unwrap();
    check("product of 8 mixtures (8-D)", &r, 0.0, 0.1);
}

/// The SE is honest: over 40 seeds, the spread of log Ẑ matches the mean
/// reported SE, and the mean error is within its own standard error.
#[test]
fn se_is_calibrated() {
    let p = Polynomial::<1, 5>::double_well(4.0).unwrap();
    let truth = double_well_log_z(4.0, 1.0);
    let mut ais = mala_ais(0.05, Base::<1>::new(&[0.0], &[1.5]).unwrap());
    let runs: Vec<AisResult> = (0..40)
        .map(|s| {
            let cfg = seeded(300, 100 + s);
            ais.run(&p, &cfg).unwrap()
        })
        .collect();
    let est: Vec<f64> = runs.iter().map(|r| r.log_z as f64).collect();
    let m = est.iter().sum::<f64>() / est.len() as f64;
    let sd = (est.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (est.len() - 1) as f64).sqrt();
    let mean_se = runs.iter().map(|r| r.se as f64).sum::<f64>() / runs.len() as f64;
    let z = (m - truth) / (sd / (est.len() as f64).sqrt());
    eprintln!(
        "double well over 40 seeds: mean {m:.4} (truth {truth:.4}, z {z:+.2}), sd {sd:.4}, mean SE {mean_se:.4}"
    );
    let pooled = pool(&runs).unwrap();
    report("double well, 40 runs pooled", &pooled, truth);
    eprintln!(
        "  pooled SE {:.4}, spread SE {:.4}",
        pooled.se, pooled.se_spread
    );
    assert!(z.abs() <= 4.0);
    // 40 runs estimate an sd to about ±11%: 0.7 … 1.4 is beyond 3σ.
    assert!(
        (0.7..1.4).contains(&(sd / mean_se)),
        "sd {sd} vs mean SE {mean_se}"
    );
    assert!((pooled.log_z as f64 - truth).abs() <= 4.0 * pooled.se as f64);
}

/// The negative control: the 8-D product with K = 2 temperatures instead
/// of 1000. "Reporting" the larger error means, on every one of 10 seeds:
/// the truth is still within 4 SE, the SE is at least 4× that of the long
/// schedule, and the ESS is below 20% of n (the mean ESS below the
/// [`MIN_ESS_FRACTION`] flag's 10% … 20%); no seed gives a wrong answer with
/// a small SE.
#[test]
fn a_short_schedule_reports_a_larger_error() {
    let e = product8();
    let base = Base::<8>::new(&[0.0; 8], &[2.0; 8]).unwrap();
    let mut ais = mala_ais(0.15, base);
    let long = ais.run(&e, &seeded(1000, 8)).unwrap();
    let mut runs = Vec::new();
    for seed in 0..10 {
        let r = ais
            .run(
                &e,
                &AisConfig {
                    seed,
                    ..AisConfig::new(N, 2)
                },
            )
            .unwrap();
        let err = report(&format!("8-D, K = 2, seed {seed}"), &r, 0.0);
        assert!(err.abs() <= 4.0 * r.se as f64, "seed {seed}: {r:?}");
        assert!(
            r.se >= 4.0 * long.se,
            "seed {seed}: SE {} vs {}",
            r.se,
            long.se
        );
        assert!(r.ess < 0.2 * N as f32, "seed {seed}: ESS {}", r.ess);
        runs.push(r);
    }
    let mean_ess = runs.iter().map(|r| r.ess).sum::<f32>() / runs.len() as f32;
    let unreliable = runs.iter().filter(|r| !r.is_reliable()).count();
    eprintln!(
        "K = 2: mean ESS {mean_ess:.1}/{N}, {unreliable}/10 flagged unreliable; K = 1000: SE {:.4}, ESS {:.1}",
        long.se, long.ess
    );
    assert!(mean_ess < 2.0 * MIN_ESS_FRACTION * N as f32);
    let p = pool(&runs).unwrap();
    report("8-D, K = 2, 10 runs pooled", &p, 0.0);
    eprintln!("  spread SE {:.4}", p.se_spread);
    assert!((p.log_z as f64).abs() <= 4.0 * p.se.max(p.se_spread) as f64);
}

/// What AIS cannot report: a base that misses a mode the local kernel
/// never finds. From N(0, 1) on the review mixture (30% of the mass at
/// x = 5, six base sds away) the walkers all stay in the left mode: log Ẑ
/// ≈ log 0.7 with an ESS of n and a tiny SE. The base must cover the
/// target (fit it to data with inflate ≥ 1; docs/evaluation.md).
#[test]
fn a_base_that_misses_a_mode_is_confidently_wrong() {
    let m = Mixture::review_example();
    let mut ais = mala_ais(0.3, Base::<1>::new(&[0.0], &[1.0]).unwrap());
    let r = ais.run(&m, &seeded(10, 1)).unwrap();
    report("review mixture from N(0, 1), K = 10", &r, 0.0);
    assert!((r.log_z - 0.7f32.ln()).abs() < 0.01 && r.se < 0.01 && r.is_reliable());
}

/// Every exact kernel of the registry as the transition.
#[test]
fn every_exact_kernel_of_the_registry() {
    let g = Gaussian::<2>::from_covariance(&[1.0, -1.0], &[1.0, 0.5, 0.5, 2.0]).unwrap();
    let truth = (std::f64::consts::TAU).ln() + 0.5 * (2.0f64 - 0.25).ln();
    for kind in KernelKind::ALL {
        if kind == KernelKind::Ula {
            continue;
        }
        let h = match kind {
            KernelKind::Rwmh => 0.8,
            KernelKind::Hmc => 0.2,
            KernelKind::Barker => 0.8,
            _ => 0.3,
        };
        let k = AnyKernel::<2>::from_config(&KernelConfig::new(kind, h)).unwrap();
        let mut ais = Ais::<_, N, 2>::new(k, Base::standard(2).unwrap());
        let r = ais.run(&g, &seeded(100, 21)).unwrap();
        check(&format!("2-D Gaussian, {kind:?}"), &r, truth, 0.05);
    }
}

/// Every schedule, and a fitted base.
#[test]
fn schedules_and_a_fitted_base() {
    let m = Mixture::review_example();
    let data = review_mixture_draws(500, 4);
    let base = Base::<1>::fit(&data, 1, 1.5).unwrap();
    eprintln!("fitted base: mean {:?} sd {:?}", base.mean(), base.sd());
    let custom: Vec<f32> = (1..=200).map(|k| (k as f32 / 200.0).powi(2)).collect();
    for sch in [
        AnnealingSchedule::Linear,
        AnnealingSchedule::Geometric { b_min: 1e-3 },
        AnnealingSchedule::Sigmoidal { delta: 4.0 },
        AnnealingSchedule::Custom(&custom),
    ] {
        let mut ais = mala_ais(0.3, base);
        let cfg = AisConfig {
            seed: 9,
            schedule: sch,
            ..AisConfig::new(N, 200)
        };
        let r = ais.run(&m, &cfg).unwrap();
        let name = match sch {
            AnnealingSchedule::Custom(_) => "Custom(b = (k/K)²)".to_string(),
            _ => format!("{sch:?}"),
        };
        check(&format!("review mixture, {name}"), &r, 0.0, 0.05);
        // The schedule's ends and order.
        let k = sch.len(200);
        assert_eq!((sch.b(0, 200), sch.b(k, 200)), (0.0, 1.0));
        assert!((1..=k).all(|j| sch.b(j, 200) >= sch.b(j - 1, 200)));
    }
}

/// Bad configurations are refused before anything changes.
#[test]
fn bad_configurations_change_nothing() {
    let m = Mixture::review_example();
    let mut ais = mala_ais(0.3, Base::<1>::new(&[2.0], &[3.0]).unwrap());
    ais.run(&m, &AisConfig::new(8, 5)).unwrap();
    let (w, a) = (ais.walkers().clone(), ais.log_weights().to_vec());
    let bad = [
        AisConfig::new(0, 5),
        AisConfig::new(N + 1, 5),
        AisConfig::new(8, 0),
        AisConfig {
            beta: 0.0,
            ..AisConfig::new(8, 5)
        },
        AisConfig {
            beta: f32::NAN,
            ..AisConfig::new(8, 5)
        },
        AisConfig {
            moves: 0,
            ..AisConfig::new(8, 5)
        },
        AisConfig {
            schedule: AnnealingSchedule::Geometric { b_min: 0.0 },
            ..AisConfig::new(8, 5)
        },
        AisConfig {
            schedule: AnnealingSchedule::Sigmoidal { delta: -1.0 },
            ..AisConfig::new(8, 5)
        },
        AisConfig {
            schedule: AnnealingSchedule::Custom(&[0.5, 0.4, 1.0]),
            ..AisConfig::new(8, 5)
        },
        AisConfig {
            schedule: AnnealingSchedule::Custom(&[0.5, 0.9]),
            ..AisConfig::new(8, 5)
        },
        AisConfig {
            schedule: AnnealingSchedule::Custom(&[]),
            ..AisConfig::new(8, 5)
        },
    ];
    for cfg in bad {
        assert!(ais.run(&m, &cfg).is_err(), "{cfg:?}");
        assert!(ais.walkers() == &w && ais.log_weights() == &a[..]);
    }
    // A base of another dimension.
    let g = Gaussian::<2>::standard(2).unwrap();
    let mut ais2 = Ais::<Mala, N, 2>::new(Mala::new(0.3).unwrap(), Base::standard(1).unwrap());
    assert!(ais2.run(&g, &AisConfig::new(8, 5)).is_err());
    assert!(Base::<2>::new(&[0.0, 0.0], &[1.0, 0.0]).is_err());
    assert!(Base::<2>::fit(&[1.0, 2.0], 2, 1.0).is_err());
    assert!(Base::<1>::fit(&[1.0, 1.0, 1.0], 1, 1.0).is_err());
}

/// The weight statistics, computed stably.
#[test]
fn weight_statistics() {
    let s = WeightStats::of(&[3.0; 10]).unwrap();
    assert!((s.log_mean - 3.0).abs() < 1e-6 && s.se == 0.0 && (s.ess - 10.0).abs() < 1e-4);
    // Huge log-weights: no overflow.
    let s = WeightStats::of(&[1000.0, 1000.0 + 2f32.ln()]).unwrap();
    assert!((s.log_mean - (1000.0 + 1.5f32.ln())).abs() < 1e-3);
    assert!((s.ess - 9.0 / 5.0).abs() < 1e-4);
    // sd(w)/(√n·mean(w)) with w = (1, 2): sd = 0.7071, mean 1.5.
    assert!((s.se - 0.70710677 / (2f32.sqrt() * 1.5)).abs() < 1e-4);
    assert!(WeightStats::of(&[]).is_err() && WeightStats::of(&[0.0, f32::NAN]).is_err());
    assert!(WeightStats::of(&[1.0]).unwrap().se.is_infinite());
}

/// Held-out NLL of the review mixture from exact draws: its expectation is
/// the entropy H = −∫p log p (quadrature), within 4 SE.
#[test]
fn held_out_nll_of_the_review_mixture() {
    let m = Mixture::review_example();
    let mut ais = mala_ais(0.3, Base::<1>::new(&[2.0], &[3.0]).unwrap());
    let r = ais.run(&m, &seeded(200, 2)).unwrap();
    let data = review_mixture_draws(4000, 12);
    let h = held_out_nll(&m, 1.0, &data, r.log_z, r.se).unwrap();
    let entropy: f64 = {
        let (lo, hi, k) = (-10.0f64, 12.0f64, 200_000);
        let dx = (hi - lo) / k as f64;
        (0..k)
            .map(|j| {
                let x = lo + (j as f64 + 0.5) * dx;
                let p = common::review_mixture_pdf(x);
                if p > 0.0 { -p * p.ln() * dx } else { 0.0 }
            })
            .sum()
    };
    eprintln!(
        "held-out NLL {:.4} ± {:.4} (energy {:.4} ± {:.4}, log Z {:.4} ± {:.4}); entropy {entropy:.4}",
        h.nll, h.se, h.mean_energy, h.se_energy, r.log_z, r.se
    );
    assert!(((h.nll as f64) - entropy).abs() <= 4.0 * h.se as f64);
    assert!((h.nll - h.mean_energy - r.log_z).abs() < 1e-5);
    assert!(h.se >= h.se_energy && h.se >= r.se && h.points == 4000);
    assert!(held_out_nll(&m, 1.0, &[], 0.0, 0.0).is_err());
    assert!(held_out_nll(&m, 0.0, &data, 0.0, 0.0).is_err());
}
