//! Rank-normalised split-R̂ and bulk/tail ESS on recorded draws against
//! ArviZ 0.23.4: the reference numbers were printed by
//! `scripts/draws_reference.py` (ArviZ from PyPI in a venv) on draws that
//! `case` below reproduces bit for bit; and draws recorded by a sampler.

use tinyebm::draws::{rank_diagnostics, scratch_len};
use tinyebm::{Error, Gaussian, Mala, Sampler, Walkers};

/// The draws of `scripts/draws_reference.py`'s `case`: a 64-bit LCG and
/// f64 arithmetic, chain-major.
fn case(
    chains: usize,
    draws: usize,
    phi: f64,
    offsets: &[f64],
    seed: u64,
    quantum: f64,
) -> Vec<f64> {
    let mut state = seed;
    let mut out = Vec::with_capacity(chains * draws);
    for c in 0..chains {
        let mut x = 0.0f64;
        for _ in 0..draws {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 * 2f64.powi(-53);
            x = phi * x + (u - 0.5);
            let mut v = x + offsets[c % offsets.len()];
            if quantum > 0.0 {
                v = (v / quantum).floor() * quantum;
            }
            out.push(v);
        }
    }
    out
}

struct Want {
    rhat: f64,
    rhat_bulk: f64,
    rhat_tail: f64,
    ess_bulk: f64,
    ess_tail: f64,
    ess_mean: f64,
    mcse_mean: f64,
}

fn check(name: &str, x: &[f64], chains: usize, want: Want) {
    let mut scratch = vec![0.0; scratch_len(chains, x.len() / chains).unwrap()];
    let got = rank_diagnostics(x, chains, &mut scratch).unwrap();
    let pairs = [
        ("rhat", got.rhat, want.rhat),
        ("rhat_bulk", got.rhat_bulk, want.rhat_bulk),
        ("rhat_tail", got.rhat_tail, want.rhat_tail),
        ("ess_bulk", got.ess_bulk, want.ess_bulk),
        ("ess_tail", got.ess_tail, want.ess_tail),
        ("ess_mean", got.ess_mean, want.ess_mean),
        ("mcse_mean", got.mcse_mean, want.mcse_mean),
    ];
    for (what, g, w) in pairs {
        eprintln!("{name} {what}: {g} (ArviZ {w})");
        // ArviZ's autocovariances come from an FFT, ours are direct sums:
        // equal to rounding.
        assert!(
            (g - w).abs() <= 1e-9 * w.abs(),
            "{name} {what}: {g} vs ArviZ {w}"
        );
    }
}

#[test]
fn matches_arviz() {
    check(
        "mixing",
        &case(4, 200, 0.9, &[0.0], 1, 0.0),
        4,
        Want {
            rhat: 1.036445304802662,
            rhat_bulk: 1.036445304802662,
            rhat_tail: 1.0093744933961175,
            ess_bulk: 75.82790821370874,
            ess_tail: 159.99014948653092,
            ess_mean: 75.66649934417714,
            mcse_mean: 0.0662015480324354,
        },
    );
    check(
        "odd_offset",
        &case(4, 101, 0.5, &[0.0, 0.0, 0.0, 1.0], 2, 0.0),
        4,
        Want {
            rhat: 1.5298967976492672,
            rhat_bulk: 1.5298967976492672,
            rhat_tail: 1.31413535339944,
            ess_bulk: 8.07270499405686,
            ess_tail: 52.170181461500775,
            ess_mean: 6.607596626597449,
            mcse_mean: 0.22272795048654515,
        },
    );
    check(
        "ties",
        &case(3, 50, 0.3, &[0.0], 3, 0.5),
        3,
        Want {
            rhat: 1.0227670165789269,
            rhat_bulk: 1.0227670165789269,
            rhat_tail: 1.0053388316018892,
            ess_bulk: 80.87881778741315,
            ess_tail: 92.55195979376525,
            ess_mean: 80.71528331688678,
            mcse_mean: 0.03741226825986218,
        },
    );
    check(
        "slow",
        &case(2, 64, 0.99, &[0.0], 4, 0.0),
        2,
        Want {
            rhat: 1.6203626904222925,
            rhat_bulk: 1.6203626904222925,
            rhat_tail: 1.0320047440372537,
            ess_bulk: 3.681527296685309,
            ess_tail: 32.15815961081597,
            ess_mean: 3.384413151913283,
            mcse_mean: 0.44481408342137224,
        },
    );
}

#[test]
fn f32_draws_give_the_f64_answer_of_their_values() {
    let x = case(4, 200, 0.9, &[0.0], 1, 0.0);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let widened: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
    let mut s = vec![0.0; 1600];
    let a = rank_diagnostics(&x32, 4, &mut s).unwrap();
    let b = rank_diagnostics(&widened, 4, &mut s).unwrap();
    assert_eq!(a, b);
}

#[test]
fn edges() {
    let x = case(2, 10, 0.0, &[0.0], 5, 0.0);
    let mut s = vec![0.0; 40];
    assert_eq!(rank_diagnostics(&x, 0, &mut s), Err(Error::Empty));
    assert!(matches!(
        rank_diagnostics(&x, 3, &mut s),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        rank_diagnostics(&x, 2, &mut s[..39]),
        Err(Error::CapacityExceeded {
            requested: 40,
            capacity: 39
        })
    ));
    // Fewer than 4 draws per chain, or a non-finite draw: NaN, no error.
    let r = rank_diagnostics(&x[..6], 2, &mut s).unwrap();
    assert!(r.rhat.is_nan() && r.ess_bulk.is_nan() && r.ess_tail.is_nan());
    let mut y = x.clone();
    y[3] = f64::NAN;
    assert!(rank_diagnostics(&y, 2, &mut s).unwrap().rhat.is_nan());
    // All equal: ESS = split draws (as ArviZ), R̂ NaN.
    let r = rank_diagnostics(&[1.5f32; 20], 2, &mut s).unwrap();
    assert_eq!(
        (r.ess_bulk, r.ess_tail, r.split_chains, r.split_draws),
        (20.0, 20.0, 4, 5)
    );
    assert!(r.rhat.is_nan());
}

/// Draws recorded by a sampler after warm-up, 16 chains of a 2-D Gaussian:
/// R̂ < 1.01 and bulk-ESS comparable to the running ESS per draw.
#[test]
fn recorded_draws_of_a_sampler() {
    let g = Gaussian::<2>::diagonal(&[1.0, -2.0], &[1.0, 4.0]).unwrap();
    let w = Walkers::<16, 2>::gaussian(&g, 16, 3, &[0.0; 2], 1.0).unwrap();
    let mut s = Sampler::new(Mala::new(0.5).unwrap(), w);
    s.start_adaptation(0.574).unwrap();
    s.run(&g, 500).unwrap();
    s.freeze_step_size().unwrap();
    assert_eq!(s.diagnostics().draws(), 0, "freeze resets the diagnostics");
    let (steps, thin) = (2000, 2);
    let mut out = vec![f32::NAN; s.recording_len(steps, thin, 0..16).unwrap()];
    assert_eq!(out.len(), 2 * 16 * 1000);
    assert_eq!(s.run_recording(&g, steps, thin, 0..16, &mut out), Ok(1000));
    assert!(out.iter().all(|v| v.is_finite()));
    assert_eq!(s.diagnostics().draws(), 2000);
    let mut scratch = vec![0.0; scratch_len(16, 1000).unwrap()];
    for i in 0..2 {
        let block = &out[i * 16_000..(i + 1) * 16_000];
        let r = rank_diagnostics(block, 16, &mut scratch).unwrap();
        eprintln!("coordinate {i}: {r:?}");
        assert!(r.rhat < 1.01, "R̂ {}", r.rhat);
        assert!(r.ess_bulk > 1000.0 && r.ess_tail > 500.0, "{r:?}");
        let mean = [1.0, -2.0][i];
        assert!((r.mean - mean).abs() < 5.0 * r.mcse_mean, "{r:?}");
        // The draw at s of chain w is walker w's position after step 2(s+1).
    }
    // A sub-range of walkers, and a refused buffer that changes nothing.
    let before = s.walkers().steps();
    let mut small = vec![0f32; 10];
    assert!(matches!(
        s.run_recording(&g, 10, 1, 4..6, &mut small),
        Err(Error::CapacityExceeded {
            requested: 40,
            capacity: 10
        })
    ));
    let mut twelve = vec![0f32; 12];
    assert_eq!(s.run_recording(&g, 10, 3, 4..6, &mut twelve), Ok(3));
    assert_eq!(s.walkers().steps(), before + 10);
    assert!(s.run_recording(&g, 10, 0, 4..6, &mut small).is_err());
    assert!(s.run_recording(&g, 10, 1, 4..4, &mut small).is_err());
    assert!(s.run_recording(&g, 10, 1, 15..17, &mut small).is_err());
    assert_eq!(s.walkers().steps(), before + 10);
}

/// Thinning and layout: the recorded values are the positions after every
/// `thin`-th step, at out[(i·r + w)·draws + s].
#[test]
fn recording_layout() {
    let g = Gaussian::<2>::diagonal(&[0.0; 2], &[1.0, 1.0]).unwrap();
    let w = Walkers::<4, 2>::gaussian(&g, 4, 9, &[0.0; 2], 1.0).unwrap();
    let mut a = Sampler::new(Mala::new(0.5).unwrap(), w.clone());
    let mut b = Sampler::new(Mala::new(0.5).unwrap(), w);
    let mut out = vec![0f32; 2 * 2 * 3];
    assert_eq!(a.run_recording(&g, 7, 2, 1..3, &mut out), Ok(3));
    let mut p = [0f32; 2];
    for s in 0..3 {
        b.run(&g, 2).unwrap();
        for wk in 0..2 {
            b.walkers().position(1 + wk, &mut p).unwrap();
            for i in 0..2 {
                assert_eq!(out[(i * 2 + wk) * 3 + s], p[i]);
            }
        }
    }
    b.run(&g, 1).unwrap();
    assert_eq!(a.walkers().positions_soa(), b.walkers().positions_soa());
}
