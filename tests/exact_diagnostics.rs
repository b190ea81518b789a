//! Exact tests of the streaming diagnostics (issue 19, mutation testing)
//! beyond `tests/diagnostics.rs`: split-R̂, τ̂ and the pooled moments of two
//! coordinates after batches have merged (the within-batch sums of squares
//! carried through a merge), the counters, and the reset on a change of
//! ensemble size. Expected values are the published formulas (BDA3 §11.4;
//! batch means) computed in f64 from the raw draws.

use tinyebm::{Diagnostics, StepSummary};

const N: usize = 3;

/// Deterministic draws of walker w, coordinate i at step t (exact in f32).
fn draw(i: usize, w: usize, t: usize) -> f32 {
    if i == 0 {
        ((w * 7 + t * t * 3 + t * w) % 11) as f32 * 0.25 - w as f32
    } else {
        ((w * 5 + t * 13 + (t * t) % 7) % 9) as f32 * 0.5 + 0.125 * w as f32
    }
}

fn var(v: &[f64]) -> f64 {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64
}

/// Split-R̂ of the first 2l draws of each walker, halves of l (BDA3).
fn split_rhat(i: usize, l: usize) -> f64 {
    let m = 2 * N;
    let (mut means, mut vars) = (Vec::new(), Vec::new());
    for w in 0..N {
        for h in 0..2 {
            let v: Vec<f64> = (0..l).map(|t| draw(i, w, h * l + t) as f64).collect();
            means.push(v.iter().sum::<f64>() / l as f64);
            vars.push(var(&v));
        }
    }
    let w_ = vars.iter().sum::<f64>() / m as f64;
    let grand = means.iter().sum::<f64>() / m as f64;
    let b_over_l = means.iter().map(|x| (x - grand).powi(2)).sum::<f64>() / (m - 1) as f64;
    let lf = l as f64;
    (((lf - 1.0) / lf * w_ + b_over_l) / w_).sqrt()
}

fn record(diag: &mut Diagnostics<N, 2>, t: usize, step: Option<&StepSummary>) {
    let x = [
        [draw(0, 0, t), draw(0, 1, t), draw(0, 2, t)],
        [draw(1, 0, t), draw(1, 1, t), draw(1, 2, t)],
    ];
    diag.record_soa(&x, N, 2, step);
}

/// 3 walkers keep 16 batch slots each: 40 draws fill 16 batches of 1, merge
/// to 8 of 2, fill 16 of 2, merge to 8 of 4, and end with 10 batches of 4.
/// R̂ (computed at 10 complete batches: halves of 20 draws), τ̂ and the
/// pooled moments must equal the formulas over the raw draws.
#[test]
fn rhat_tau_and_moments_after_merges() {
    let mut diag = Diagnostics::<N, 2>::new();
    let steps = 40;
    for t in 0..steps {
        record(&mut diag, t, None);
    }
    assert_eq!(
        (diag.draws(), diag.batch_size(), diag.ess_draws()),
        (40, 4, 40)
    );
    assert_eq!((diag.walkers(), diag.dim()), (N, 2));
    assert_eq!(diag.rhat_draws(), 40);
    let mut rhats = [0f64; 2];
    for (i, r) in rhats.iter_mut().enumerate() {
        let want = split_rhat(i, 20);
        let got = diag.rhat(i);
        assert!(
            (got - want).abs() < 1e-9 * want,
            "coordinate {i}: R̂ {got} vs {want}"
        );
        *r = want;
        // Pooled moments of all 120 values.
        let all: Vec<f64> = (0..N)
            .flat_map(|w| (0..steps).map(move |t| draw(i, w, t) as f64))
            .collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        assert!((diag.mean(i) - mean).abs() < 1e-12 * (1.0 + mean.abs()));
        assert!((diag.variance(i) - var(&all)).abs() < 1e-12 * var(&all));
        // τ̂ = b·s²/σ² over 10 batch means of 4 per walker.
        let means: Vec<f64> = (0..N)
            .flat_map(|w| {
                (0..10)
                    .map(move |j| (0..4).map(|s| draw(i, w, 4 * j + s) as f64).sum::<f64>() / 4.0)
            })
            .collect();
        let tau = 4.0 * var(&means) / var(&all);
        let got = diag.tau(i);
        assert!(
            (got - tau).abs() < 1e-9 * tau,
            "coordinate {i}: τ̂ {got} vs {tau}"
        );
        // Reported only when b ≥ 10 τ̂, then n·k·b/τ̂·(ν − 2)/ν.
        let nu = (N * 10 - 1) as f64;
        let ess = diag.ess(i);
        if 4.0 >= 10.0 * tau {
            let want = 120.0 / tau * (nu - 2.0) / nu;
            assert!((ess - want).abs() < 1e-9 * want);
            let mcse = (var(&all) / want).sqrt();
            assert!((diag.mcse(i) - mcse).abs() < 1e-9 * mcse);
        } else {
            assert!(ess.is_nan() && diag.mcse(i).is_nan());
        }
    }
    let k = if rhats[1] > rhats[0] { 1 } else { 0 };
    assert_eq!(diag.worst_rhat(), Some((k, diag.rhat(k))));
    assert_eq!(
        diag.max_rhat(),
        rhats[k].max(rhats[1 - k]).min(diag.rhat(k))
    );
    // Two more draws: the batch in progress is not covered yet.
    record(&mut diag, 40, None);
    assert_eq!(
        (diag.draws(), diag.ess_draws(), diag.rhat_draws()),
        (41, 40, 40)
    );
}

/// R̂ and τ̂ are recomputed as batches complete: after 12 draws (12 batches
/// of 1, R̂ at 12: halves of 6), and after 24 (merged at 16 to 8 of 2,
/// then 12 of 2: halves of 12).
#[test]
fn rhat_before_and_after_the_first_merge() {
    for (steps, l, b) in [(12usize, 6usize, 1u64), (24, 12, 2)] {
        let mut diag = Diagnostics::<N, 2>::new();
        for t in 0..steps {
            record(&mut diag, t, None);
        }
        assert_eq!(diag.batch_size(), b);
        assert_eq!(diag.rhat_draws(), 2 * l as u64);
        for i in 0..2 {
            let want = split_rhat(i, l);
            assert!(
                (diag.rhat(i) - want).abs() < 1e-9 * want,
                "{steps} draws, coordinate {i}"
            );
        }
    }
}

/// Acceptance, invalid proposals and proposals add up over the recorded
/// steps; a change of ensemble size starts afresh; a diagnostics object
/// before any draw reports NaN and nothing.
#[test]
fn counters_and_resets() {
    let mut diag = Diagnostics::<N, 2>::new();
    assert!(diag.acceptance_rate().is_nan() && diag.mean(0).is_nan());
    assert_eq!((diag.worst_ess(), diag.worst_rhat()), (None, None));
    assert!(diag.min_ess().is_nan() && diag.max_rhat().is_nan());
    let steps = [(3usize, 1usize), (1, 0), (2, 2), (0, 1)];
    let (mut acc, mut inv) = (0u64, 0u64);
    for (t, &(a, v)) in steps.iter().enumerate() {
        let s = StepSummary {
            accepted: a,
            proposed: N,
            mean_accept_prob: 0.5,
            invalid: v,
        };
        record(&mut diag, t, Some(&s));
        acc += a as u64;
        inv += v as u64;
    }
    record(&mut diag, 4, None);
    assert_eq!(diag.proposals(), (N * steps.len()) as u64);
    assert_eq!(diag.invalid_proposals(), inv);
    let want = acc as f64 / (N * steps.len()) as f64;
    assert_eq!(diag.acceptance_rate(), want);
    assert_eq!(diag.draws(), 5);
    // Two walkers now: everything restarts with them.
    let x = [[1.0f32, 2.0, 0.0], [0.5, -0.5, 0.0]];
    diag.record_soa(&x, 2, 2, None);
    assert_eq!((diag.walkers(), diag.draws(), diag.proposals()), (2, 1, 0));
    assert_eq!((diag.mean(0), diag.mean(1)), (1.5, 0.0));
    assert!(diag.variance(0) == 0.5 && diag.variance(1) == 0.5);
    // Sizes above the capacity are cut to it; zero sizes record nothing.
    diag.record_soa(&x, 0, 2, None);
    diag.record_soa(&x, 2, 0, None);
    assert_eq!(diag.draws(), 1);
    diag.reset();
    assert_eq!(
        (diag.walkers(), diag.dim(), diag.draws(), diag.proposals()),
        (0, 0, 0, 0)
    );
    assert_eq!(
        (diag.batch_size(), diag.ess_draws(), diag.rhat_draws()),
        (1, 0, 0)
    );
    assert!(diag.acceptance_rate().is_nan() && diag.rhat(0).is_nan());
}
