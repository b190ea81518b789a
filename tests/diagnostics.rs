#![allow(clippy::needless_range_loop)]
//! Streaming diagnostics against known answers, and step-size adaptation on
//! a real kernel.

use tinyebm::{Diagnostics, Gaussian, Kernel, Mala, Rwmh, Sampler, Stream, Walkers, adapt};

/// Feeds `steps` draws of `n` independent AR(1) chains x' = φx + √(1−φ²)ξ
/// (stationary N(0, 1), integrated autocorrelation time τ = (1+φ)/(1−φ)).
fn ar1_diagnostics<const N: usize, const D: usize>(
    phi: f64,
    steps: usize,
    seed: u64,
    offsets: &[f32],
) -> Diagnostics<N, D> {
    let mut s = Stream::new(seed, 0);
    let mut x = [[0f32; N]; D];
    for row in x.iter_mut() {
        s.fill_normal(row);
    }
    let c = ((1.0 - phi * phi) as f32).sqrt();
    let mut diag = Diagnostics::<N, D>::new();
    let mut xi = [0f32; N];
    let mut shifted = x;
    for _ in 0..steps {
        for i in 0..D {
            s.fill_normal(&mut xi);
            for w in 0..N {
                x[i][w] = phi as f32 * x[i][w] + c * xi[w];
                shifted[i][w] = x[i][w] + offsets[w % offsets.len()];
            }
        }
        diag.record_soa(&shifted, N, D, None);
    }
    diag
}

/// As [`ar1_diagnostics`], recording only the first `n` of the N chains
/// (capacity N, n walkers in use: the C API's 64 and 32 by default).
fn ar1_diagnostics_n<const N: usize>(
    phi: f64,
    steps: usize,
    seed: u64,
    n: usize,
) -> Diagnostics<N, 1> {
    let mut s = Stream::new(seed, 0);
    let mut x = [[0f32; N]; 1];
    s.fill_normal(&mut x[0][..n]);
    let c = ((1.0 - phi * phi) as f32).sqrt();
    let mut diag = Diagnostics::<N, 1>::new();
    let mut xi = [0f32; N];
    for _ in 0..steps {
        s.fill_normal(&mut xi[..n]);
        for w in 0..n {
            x[0][w] = phi as f32 * x[0][w] + c * xi[w];
        }
        diag.record_soa(&x, n, 1, None);
    }
    diag
}

/// The running ESS against AR(1) series of known integrated autocorrelation
/// time τ = (1+φ)/(1−φ): 32 walkers (capacity 64, as the C API's default
/// sampler: 32 batch slots per walker, ν = 511 to 1023 batch means) started
/// in the stationary N(0, 1), 20 seeds per φ, T = max(4096, 400·τ) steps.
///
/// Tolerance: for every seed, the ESS must not exceed the true n·T'/τ (T'
/// the draws it covers) by more than 20 % ("overconfident by at most 20 %"),
/// and the mean over seeds must be within 10 % of the truth (it is not
/// pessimistic either). Printed: φ, τ, the mean and smallest τ̂ over seeds
/// (τ̂ = n·T'/ESS), and the worst overconfidence ESS/ESS_true − 1.
#[test]
fn running_ess_is_calibrated_on_ar1() {
    const SEEDS: u64 = 20;
    for phi in [0.0f64, 0.5, 0.9, 0.99] {
        let tau = (1.0 + phi) / (1.0 - phi);
        let steps = ((400.0 * tau) as usize).max(4096);
        let (mut sum, mut min, mut worst) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
        for seed in 0..SEEDS {
            let d = ar1_diagnostics_n::<64>(phi, steps, 100 + seed, 32);
            let ess = d.ess(0);
            assert!(ess.is_finite(), "φ={phi} seed {seed}: ESS {ess}");
            let cover = (d.walkers() as u64 * d.ess_draws()) as f64;
            assert!(d.ess_draws() as f64 >= 0.5 * steps as f64);
            let tau_hat = cover / ess;
            let over = tau / tau_hat - 1.0;
            sum += tau_hat;
            min = min.min(tau_hat);
            worst = worst.max(over);
            assert!(
                over <= 0.2,
                "φ={phi} seed {seed}: ESS overconfident by {:.1} %",
                100.0 * over
            );
            // MCSE = √(σ²/ESS).
            let mcse = d.mcse(0);
            assert!((mcse - (d.variance(0) / ess).sqrt()).abs() < 1e-12);
        }
        let mean = sum / SEEDS as f64;
        eprintln!(
            "phi {phi:5} tau {tau:7.2} tau_hat mean {mean:8.2} min {min:8.2} worst overconfidence {:+.1} %",
            100.0 * worst
        );
        assert!(
            (mean / tau - 1.0).abs() < 0.10,
            "φ={phi}: mean τ̂ {mean} vs {tau}"
        );
    }
}

/// Too few draws for the autocorrelation: the running ESS says so (NaN)
/// rather than a confident wrong number. φ = 0.999 (τ = 1999) over 2000
/// steps, φ = 0.99 (τ = 199) over 1000, and walkers sitting in two places
/// (every batch mean disagrees with half the others) are all NaN; τ̂ is
/// still readable, and of the order of the batch size.
#[test]
fn running_ess_refuses_slow_series() {
    for seed in 0..10 {
        for (phi, steps) in [(0.999, 2000), (0.99, 1000)] {
            let d = ar1_diagnostics::<32, 1>(phi, steps, 200 + seed, &[0.0]);
            assert!(d.ess(0).is_nan(), "φ={phi} seed {seed}: ESS {}", d.ess(0));
            assert!(d.mcse(0).is_nan() && d.min_ess().is_nan());
            assert!(d.tau(0) > d.batch_size() as f64 / 10.0, "τ̂ {}", d.tau(0));
        }
        let d = ar1_diagnostics::<32, 1>(0.5, 20_000, 300 + seed, &[0.0, 3.0]);
        assert!(d.ess(0).is_nan(), "two places: ESS {}", d.ess(0));
        assert!(d.rhat(0) > 1.2, "two places: R̂ {}", d.rhat(0));
    }
    // The same walkers, mixed: finite.
    let d = ar1_diagnostics::<32, 1>(0.5, 20_000, 400, &[0.0]);
    assert!(d.ess(0).is_finite());
}

#[test]
fn rhat_is_one_for_mixed_chains_and_large_for_separated_ones() {
    let d = ar1_diagnostics::<8, 2>(0.5, 4096, 3, &[0.0]);
    assert_eq!(d.rhat_draws(), 4096);
    for i in 0..2 {
        // 16 half-chains of 2048 draws, τ = 3: R̂ − 1 is O(1e-3).
        assert!(d.rhat(i) < 1.01, "R̂ = {}", d.rhat(i));
    }
    // Half the chains sit one unit higher: between-chain variance ≈ 0.25 on
    // top of within-chain 1, R̂ ≈ √1.25 ≈ 1.12.
    let d = ar1_diagnostics::<8, 2>(0.5, 4096, 4, &[0.0, 1.0]);
    for i in 0..2 {
        assert!(d.rhat(i) > 1.08, "R̂ = {}", d.rhat(i));
    }
    // R̂ is recomputed when the recorded draws double; before 4 draws it is NaN.
    let d = ar1_diagnostics::<8, 2>(0.5, 3, 5, &[0.0]);
    assert!(d.rhat(0).is_nan());
    assert!(d.ess(0).is_nan());
}

#[test]
fn pooled_moments_match_two_pass() {
    let d = ar1_diagnostics::<5, 1>(0.3, 1000, 6, &[0.0, 3.0, -2.0]);
    // Re-generate the same values and compute two-pass moments.
    let mut s = Stream::new(6, 0);
    let mut x = [[0f32; 5]; 1];
    s.fill_normal(&mut x[0]);
    let c = (1.0f32 - 0.09).sqrt();
    let mut all = Vec::new();
    let mut xi = [0f32; 5];
    for _ in 0..1000 {
        s.fill_normal(&mut xi);
        for w in 0..5 {
            x[0][w] = 0.3 * x[0][w] + c * xi[w];
            all.push((x[0][w] + [0.0, 3.0, -2.0][w % 3]) as f64);
        }
    }
    let m = all.iter().sum::<f64>() / all.len() as f64;
    let v = all.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (all.len() - 1) as f64;
    assert!((d.mean(0) - m).abs() < 1e-9 && (d.variance(0) - v).abs() < 1e-9);
}

/// Dual averaging on a real run reaches the target acceptance, and the
/// frozen step then keeps it.
fn adapted_rate<K: Kernel>(kernel: K, target_acc: f32) -> f64 {
    let target = Gaussian::<4>::diagonal(&[0.0; 4], &[1.0, 4.0, 9.0, 16.0]).unwrap();
    let w = Walkers::<32, 4>::gaussian(&target, 32, 8, &[0.0; 4], 0.3).unwrap();
    let mut s = Sampler::new(kernel, w);
    s.start_adaptation(target_acc).unwrap();
    s.run(&target, 2000).unwrap();
    s.freeze_step_size().unwrap();
    s.reset_diagnostics();
    s.run(&target, 4000).unwrap();
    s.diagnostics().acceptance_rate()
}

#[test]
fn adaptation_reaches_target_acceptance() {
    for (name, rate, target_acc) in [
        (
            "MALA",
            adapted_rate(Mala::new(1.0).unwrap(), adapt::MALA_TARGET),
            adapt::MALA_TARGET,
        ),
        (
            "MH",
            adapted_rate(Rwmh::new(5.0).unwrap(), adapt::RWMH_TARGET),
            adapt::RWMH_TARGET,
        ),
    ] {
        eprintln!("{name}: acceptance after adaptation {rate:.4}");
        // 128k correlated accept indicators: SE ≈ 0.005; allow 0.04 for the
        // averaged step's own noise.
        assert!(
            (rate - target_acc as f64).abs() < 0.04,
            "{name}: acceptance {rate} vs {target_acc}"
        );
    }
}

/// Coordinate 0 stuck at 1e8 (a 2-D Gaussian centred there cannot move it in
/// f32), coordinate 1 an AR(1) series: the stuck coordinate's ESS and R̂
/// are NaN, and the summaries must say so instead of reporting the other
/// coordinate (f64::min/max drop NaN).
fn stuck_first_coordinate() -> Diagnostics<4, 2> {
    let mut s = Stream::new(3, 0);
    let mut diag = Diagnostics::<4, 2>::new();
    let mut x = [[1e8f32; 4], [0f32; 4]];
    let mut xi = [0f32; 4];
    for _ in 0..1024 {
        s.fill_normal(&mut xi);
        for w in 0..4 {
            x[1][w] = 0.5 * x[1][w] + xi[w];
        }
        diag.record_soa(&x, 4, 2, None);
    }
    diag
}

#[test]
fn summaries_propagate_nan_from_a_stuck_coordinate() {
    let diag = stuck_first_coordinate();
    assert!(diag.ess(0).is_nan() && diag.rhat(0).is_nan());
    assert!(diag.ess(1).is_finite() && diag.rhat(1).is_finite());
    assert!(diag.min_ess().is_nan(), "min_ess {}", diag.min_ess());
    assert!(diag.max_rhat().is_nan(), "max_rhat {}", diag.max_rhat());
}

#[test]
fn worst_coordinate_is_reported() {
    let diag = stuck_first_coordinate();
    let (i, v) = diag.worst_ess().unwrap();
    assert!(i == 0 && v.is_nan());
    let (i, v) = diag.worst_rhat().unwrap();
    assert!(i == 0 && v.is_nan());
    assert_eq!(Diagnostics::<4, 2>::new().worst_ess(), None);
    assert!(Diagnostics::<4, 2>::new().min_ess().is_nan());
    // Out-of-range coordinates are NaN, not a panic or a stale zero.
    assert!(diag.mean(2).is_nan() && diag.ess(usize::MAX).is_nan());
    assert!(diag.variance(7).is_nan() && diag.rhat(usize::MAX).is_nan());
    // All finite: the smallest ESS / largest R̂ and where they are.
    let d = ar1_diagnostics::<8, 3>(0.5, 1024, 9, &[0.0]);
    let (i, v) = d.worst_ess().unwrap();
    assert_eq!(v, d.min_ess());
    assert!((0..3).all(|j| d.ess(j) >= v) && d.ess(i) == v && v > 0.0);
    let (i, v) = d.worst_rhat().unwrap();
    assert_eq!(v, d.max_rhat());
    assert!((0..3).all(|j| d.rhat(j) <= v) && d.rhat(i) == v && v > 0.0);
}

/// Deterministic draws x[w][t] for 3 chains (exact in f32).
fn det_draw(w: usize, t: usize) -> f32 {
    ((w * 7 + t * t * 3 + t * w) % 11) as f32 * 0.25 - (w as f32)
}

/// Split-R̂ against BDA3 §11.4 written out in f64: after 8 draws of 3
/// chains, halves of l = 4 draws, m = 6 sequences.
#[test]
fn split_rhat_matches_the_published_formula() {
    const N: usize = 3;
    let mut diag = Diagnostics::<N, 1>::new();
    for t in 0..8 {
        let x = [[det_draw(0, t), det_draw(1, t), det_draw(2, t)]];
        diag.record_soa(&x, N, 1, None);
    }
    assert_eq!(diag.rhat_draws(), 8);
    let l = 4usize;
    let mut means = [0f64; 2 * N];
    let mut vars = [0f64; 2 * N];
    for w in 0..N {
        for h in 0..2 {
            let v: Vec<f64> = (0..l).map(|t| det_draw(w, h * l + t) as f64).collect();
            let mean = v.iter().sum::<f64>() / l as f64;
            means[2 * w + h] = mean;
            vars[2 * w + h] = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (l - 1) as f64;
        }
    }
    let m = (2 * N) as f64;
    let w_ = vars.iter().sum::<f64>() / m;
    let grand = means.iter().sum::<f64>() / m;
    let b_over_l = means.iter().map(|x| (x - grand).powi(2)).sum::<f64>() / (m - 1.0);
    let lf = l as f64;
    let want = (((lf - 1.0) / lf * w_ + b_over_l) / w_).sqrt();
    let got = diag.rhat(0);
    assert!((got - want).abs() < 1e-12 * want, "R̂ {got} vs {want}");
    assert_eq!(diag.max_rhat(), got);
}

/// The batch-means τ̂ and ESS against their formulas in f64: 3 walkers,
/// 16 batch slots each. After 20 draws the batches have merged once:
/// k = 10 batches of b = 2 per walker, covering all 20 draws. τ̂ = b·s²/σ²
/// with s² the variance of the 30 batch means and σ² that of the 60 draws.
#[test]
fn tau_matches_the_batch_means_formula() {
    const N: usize = 3;
    let mut diag = Diagnostics::<N, 1>::new();
    let mut all = Vec::new();
    for t in 0..20 {
        let x = [[det_draw(0, t), det_draw(1, t), det_draw(2, t)]];
        diag.record_soa(&x, N, 1, None);
        all.extend(x[0].iter().map(|&v| v as f64));
    }
    assert_eq!((diag.batch_size(), diag.ess_draws()), (2, 20));
    let var = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64
    };
    let means: Vec<f64> = (0..N)
        .flat_map(|w| {
            (0..10).map(move |j| 0.5 * (det_draw(w, 2 * j) + det_draw(w, 2 * j + 1)) as f64)
        })
        .collect();
    let want = 2.0 * var(&means) / var(&all);
    let got = diag.tau(0);
    assert!((got - want).abs() < 1e-12 * want, "τ̂ {got} vs {want}");
    assert!((diag.variance(0) - var(&all)).abs() < 1e-12 * var(&all));
    // b = 2 < 10·τ̂: too short to trust.
    assert!(diag.ess(0).is_nan());
}

/// ESS = n·k·b/τ̂·(ν − 2)/ν whenever it is reported, recomputed from the
/// series in f64 (iid draws: batches long enough after a few hundred).
#[test]
fn ess_matches_its_formula() {
    const N: usize = 4;
    let mut s = Stream::new(11, 0);
    let mut diag = Diagnostics::<N, 1>::new();
    let mut series = vec![Vec::new(); N];
    let mut x = [[0f32; N]; 1];
    for _ in 0..700 {
        s.fill_normal(&mut x[0]);
        diag.record_soa(&x, N, 1, None);
        for w in 0..N {
            series[w].push(x[0][w] as f64);
        }
    }
    let (b, k) = (
        diag.batch_size() as usize,
        (diag.ess_draws() / diag.batch_size()) as usize,
    );
    assert_eq!(k * b, diag.ess_draws() as usize);
    let mut means = Vec::new();
    let mut covered = Vec::new();
    for w in 0..N {
        for j in 0..k {
            let c = &series[w][j * b..(j + 1) * b];
            means.push(c.iter().sum::<f64>() / b as f64);
            covered.extend_from_slice(c);
        }
    }
    let var = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64
    };
    let tau = b as f64 * var(&means) / var(&covered);
    let nu = (N * k - 1) as f64;
    let want = (N * k * b) as f64 / tau * (nu - 2.0) / nu;
    let got = diag.ess(0);
    // Batch means are kept in f32.
    assert!((got - want).abs() < 1e-5 * want, "ESS {got} vs {want}");
    assert!((diag.tau(0) - tau).abs() < 1e-5 * tau);
}

/// R̂ covers all draws but the latest batch or two (not a power-of-two
/// prefix), and is recomputed as batches complete.
#[test]
fn rhat_covers_most_draws() {
    for steps in [100usize, 1000, 3000, 5000, 40_000] {
        let d = ar1_diagnostics::<16, 1>(0.5, steps, 12, &[0.0]);
        let cover = d.rhat_draws() as f64 / steps as f64;
        // 16 slots per walker: R̂ over 2j ≥ 8 complete batches of at most
        // 2j + 2, so it covers at least 8/10 of the draws.
        assert!((0.8..=1.0).contains(&cover), "{steps}: R̂ covers {cover}");
        assert!(d.rhat(0) < 1.05, "{steps}: R̂ {}", d.rhat(0));
        // One walker of 4: 64 slots, at least 32/34 of the draws.
        let d = ar1_diagnostics_n::<4>(0.5, steps, 13, 1);
        let cover = d.rhat_draws() as f64 / steps as f64;
        assert!(
            cover >= 32.0 / 34.0,
            "{steps}: one walker, R̂ covers {cover}"
        );
    }
}

/// Invalid proposals are counted from the steps' summaries.
#[test]
fn invalid_proposals_are_counted() {
    let mut diag = Diagnostics::<2, 1>::new();
    let s = tinyebm::StepSummary {
        accepted: 1,
        proposed: 2,
        mean_accept_prob: 0.5,
        invalid: 1,
    };
    for _ in 0..3 {
        diag.record_soa(&[[0.0, 1.0]], 2, 1, Some(&s));
    }
    assert_eq!((diag.invalid_proposals(), diag.proposals()), (3, 6));
    diag.reset();
    assert_eq!(diag.invalid_proposals(), 0);
}

/// Restarting adaptation on a tuned sampler (tebm_sampler_start_adaptation
/// used to jump from 0.47 to 10.2 on the next step: μ = log(10·h₀)) stays
/// near the tuned step: within a factor 1.5 on the next step and the
/// averaged step within 30 % after 200 more.
#[test]
fn adaptation_restart_keeps_the_tuned_step() {
    let target = Gaussian::<4>::diagonal(&[0.0; 4], &[1.0, 4.0, 9.0, 16.0]).unwrap();
    let w = Walkers::<32, 4>::gaussian(&target, 32, 8, &[0.0; 4], 0.3).unwrap();
    let mut s = Sampler::new(Mala::new(1.0).unwrap(), w);
    s.start_adaptation(adapt::MALA_TARGET).unwrap();
    s.run(&target, 2000).unwrap();
    s.freeze_step_size().unwrap();
    let tuned = s.kernel().step_size();
    s.start_adaptation(adapt::MALA_TARGET).unwrap();
    s.step(&target).unwrap();
    let next = s.kernel().step_size();
    eprintln!("tuned {tuned}, next {next}");
    assert!(
        next / tuned < 1.5 && tuned / next < 1.5,
        "{tuned} -> {next}"
    );
    s.run(&target, 200).unwrap();
    s.freeze_step_size().unwrap();
    let again = s.kernel().step_size();
    assert!((again / tuned - 1.0).abs() < 0.3, "{tuned} -> {again}");
    // Before any step, the first start still explores around 10·h₀ (the
    // same bits as before this change).
    let w = Walkers::<32, 4>::gaussian(&target, 32, 8, &[0.0; 4], 0.3).unwrap();
    let mut f = Sampler::new(Mala::new(0.1).unwrap(), w);
    f.start_adaptation(adapt::MALA_TARGET).unwrap();
    f.step(&target).unwrap();
    assert!(f.kernel().step_size() > 0.3, "{}", f.kernel().step_size());
}

/// freeze_step_size forgets the warm-up; the keep variant does not; a
/// freeze when not adapting changes nothing.
#[test]
fn freeze_resets_the_diagnostics() {
    let target = Gaussian::<1>::diagonal(&[0.0], &[1.0]).unwrap();
    let w = Walkers::<8, 1>::gaussian(&target, 8, 1, &[0.0], 1.0).unwrap();
    let mut s = Sampler::new(Mala::new(0.5).unwrap(), w);
    s.start_adaptation(0.5).unwrap();
    s.run(&target, 50).unwrap();
    let mut k = s.clone();
    s.freeze_step_size().unwrap();
    assert_eq!(s.diagnostics().draws(), 0);
    k.freeze_step_size_keep_diagnostics().unwrap();
    assert_eq!(k.diagnostics().draws(), 50);
    s.run(&target, 5).unwrap();
    s.freeze_step_size().unwrap();
    assert_eq!(s.diagnostics().draws(), 5);
}
