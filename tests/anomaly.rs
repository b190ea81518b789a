//! The calibrated threshold's guarantee, exactly on small inputs and
//! statistically over many calibration sets; the AUROC; the stopping rule.
//!
//! Statistical tolerances: 4 standard errors of a mean over R independent
//! repetitions (fixed seeds), the SE from the exact variance of what is
//! averaged (a Beta or a Bernoulli variable), so a correct threshold fails
//! a check with probability ≈ 6e-5. A rank off by one moves the mean by
//! 1/(n + 1) = 0.05 here, 24–48 SE.

use tinyebm::anomaly::{conformal_rank, points_needed, scores};
use tinyebm::{EarlyStop, Error, Gaussian, Stream, Threshold, auroc};

/// Exchangeability, exactly: with n + 1 distinct scores, leaving each one
/// out in turn as the "new" point and calibrating on the other n, the new
/// point is above τ for exactly n + 1 − k of the n + 1 choices (its rank
/// among all is uniform), and n + 1 − k ≤ α(n + 1).
#[test]
fn leave_one_out_count_is_exact() {
    let mut s = Stream::new(1, 0);
    for n in 1..=60usize {
        for &alpha in &[0.5f32, 0.3, 0.2, 0.1, 0.05, 0.01] {
            // n + 1 distinct values in a shuffled order.
            let mut all: Vec<f32> = (0..=n).map(|v| v as f32 * 0.5 - 3.0).collect();
            for i in (1..all.len()).rev() {
                all.swap(i, s.below(i as u32 + 1) as usize);
            }
            let k = (((n + 1) as f64) * (1.0 - alpha as f64)).ceil() as usize;
            let mut alarms = 0;
            for i in 0..=n {
                let mut cal: Vec<f32> = all
                    .iter()
                    .enumerate()
                    .filter(|p| p.0 != i)
                    .map(|p| *p.1)
                    .collect();
                match Threshold::calibrate(&mut cal, alpha) {
                    Ok(t) => {
                        assert_eq!((t.rank(), t.points()), (k, n));
                        alarms += usize::from(t.is_anomalous(all[i]));
                    }
                    Err(e) => {
                        assert!(k > n, "n {n} α {alpha}: {e}");
                        assert_eq!(
                            e,
                            Error::TooFewPoints {
                                needed: (1.0 / alpha as f64).ceil() as usize - 1,
                                found: n
                            }
                        );
                        alarms = usize::MAX;
                        break;
                    }
                }
            }
            if alarms != usize::MAX {
                assert_eq!(alarms, n + 1 - k, "n {n} α {alpha}");
                assert!(alarms as f64 <= alpha as f64 * (n + 1) as f64);
            }
        }
    }
}

#[test]
fn small_inputs_by_hand() {
    // Sorted: 1 2 3 4 5; n = 5, n + 1 = 6.
    let base = [5.0f32, 1.0, 4.0, 2.0, 3.0];
    // α = 0.5: k = ⌈3⌉ = 3, τ = 3, expected rate 3/6.
    let t = Threshold::calibrate(&mut base.clone(), 0.5).unwrap();
    assert_eq!((t.tau(), t.rank(), t.points()), (3.0, 3, 5));
    assert_eq!(t.expected_rate(), 0.5);
    // α = 0.4: k = ⌈3.6⌉ = 4, τ = 4, rate 2/6.
    let t = Threshold::calibrate(&mut base.clone(), 0.4).unwrap();
    assert_eq!((t.tau(), t.rank()), (4.0, 4));
    assert!((t.expected_rate() - 2.0 / 6.0).abs() < 1e-15);
    // α = 0.2: k = ⌈4.8⌉ = 5, τ = 5 (the largest), rate 1/6.
    let t = Threshold::calibrate(&mut base.clone(), 0.2).unwrap();
    assert_eq!((t.tau(), t.rank()), (5.0, 5));
    assert!(!t.is_anomalous(5.0) && t.is_anomalous(5.0001) && t.is_anomalous(f32::NAN));
    assert!(t.is_anomalous(f32::INFINITY) && !t.is_anomalous(f32::NEG_INFINITY));
    // α = 0.1 needs n ≥ 9 (α's f32 value is just above 0.1).
    assert_eq!(points_needed(0.1), Some(9));
    assert_eq!(points_needed(0.05), Some(19));
    assert_eq!(points_needed(0.01), Some(100)); // f32 0.01 < 1/100
    assert_eq!(conformal_rank(9, 0.1), Some(9));
    // Ties: the k-th smallest of 1 1 1 2 at α = 0.5 is 1 (k = ⌈2.5⌉ = 3).
    let t = Threshold::calibrate(&mut [1.0, 2.0, 1.0, 1.0], 0.5).unwrap();
    assert_eq!((t.tau(), t.rank()), (1.0, 3));
}

#[test]
fn refusals_leave_scores_untouched() {
    let orig = [3.0f32, 1.0, 2.0, 0.5, 7.0, 6.0, 5.0, 4.0];
    let cases: [(&[f32], f32, Error); 7] = [
        (&orig, 0.0, Error::InvalidConfig("")),
        (&orig, 1.0, Error::InvalidConfig("")),
        (&orig, f32::NAN, Error::InvalidConfig("")),
        (&orig, -0.1, Error::InvalidConfig("")),
        (&[1.0, f32::NAN, 2.0], 0.5, Error::NotFinite("")),
        (&[1.0, f32::INFINITY, 2.0], 0.5, Error::NotFinite("")),
        (
            &orig,
            0.1,
            Error::TooFewPoints {
                needed: 9,
                found: 8,
            },
        ),
    ];
    for (input, alpha, want) in cases {
        let mut buf = input.to_vec();
        let e = Threshold::calibrate(&mut buf, alpha).unwrap_err();
        assert_eq!(
            core::mem::discriminant(&e),
            core::mem::discriminant(&want),
            "{e}"
        );
        if let Error::TooFewPoints { .. } = want {
            assert_eq!(e, want);
        }
        assert_eq!(buf.len(), input.len());
        assert!(
            buf.iter()
                .zip(input)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
    assert_eq!(Threshold::calibrate(&mut [], 0.5), Err(Error::Empty));
}

/// Uniform(0, 1) scores: the false-alarm rate of a calibrated τ is exactly
/// 1 − τ, and 1 − τ = 1 − U₍ₖ₎ ~ Beta(n + 1 − k, k), of mean 1 − k/(n + 1)
/// (the guarantee, with equality for continuous scores) and variance
/// ab/((a + b)²(a + b + 1)). Its mean over R = 4000 calibration sets must
/// be within 4 SE of 1 − k/(n + 1), which must be ≤ α.
#[test]
fn expected_false_alarm_rate_is_exact() {
    const R: usize = 4000;
    for (n, alpha, seed) in [
        (19usize, 0.1f32, 10u64),
        (50, 0.05, 11),
        (200, 0.1, 12),
        (9, 0.5, 13),
    ] {
        let mut s = Stream::new(seed, 0);
        let mut buf = vec![0f32; n];
        let (mut sum, mut expected) = (0f64, 0f64);
        for _ in 0..R {
            buf.iter_mut().for_each(|v| *v = s.uniform());
            let t = Threshold::calibrate(&mut buf, alpha).unwrap();
            sum += 1.0 - t.tau() as f64;
            expected = t.expected_rate();
        }
        let k = (((n + 1) as f64) * (1.0 - alpha as f64)).ceil();
        let (a, b) = (n as f64 + 1.0 - k, k);
        assert!((expected - a / (n as f64 + 1.0)).abs() < 1e-12);
        assert!(expected <= alpha as f64);
        let var = a * b / ((a + b).powi(2) * (a + b + 1.0));
        let (mean, se) = (sum / R as f64, (var / R as f64).sqrt());
        eprintln!("n {n} α {alpha}: mean rate {mean:.5}, exact {expected:.5}, SE {se:.5}");
        assert!(
            (mean - expected).abs() <= 4.0 * se,
            "n {n} α {alpha}: {mean} vs {expected} ± {se}"
        );
    }
}

/// Gaussian energies as scores, and one fresh normal point per calibration
/// set: P(new > τ) over R = 20000 repetitions is a Bernoulli mean with SE
/// √(p(1 − p)/R) around p = 1 − k/(n + 1).
#[test]
fn fresh_normal_point_alarm_rate() {
    const R: usize = 20_000;
    let g = Gaussian::<2>::standard(2).unwrap();
    for (n, alpha, seed) in [(19usize, 0.1f32, 20u64), (99, 0.05, 21)] {
        let mut s = Stream::new(seed, 0);
        let mut pts = vec![0f32; 2 * n];
        let mut buf = vec![0f32; n];
        let mut alarms = 0usize;
        let mut p = 0f64;
        for _ in 0..R {
            s.fill_normal(&mut pts);
            scores(&g, &pts, &mut buf).unwrap();
            let t = Threshold::calibrate(&mut buf, alpha).unwrap();
            let (x, y) = s.normal_pair();
            let u = tinyebm::Energy::value(&g, &[x, y]).unwrap();
            alarms += usize::from(t.is_anomalous(u));
            p = t.expected_rate();
        }
        // The rank from the definition, not from the code under test.
        let k = (((n + 1) as f64) * (1.0 - alpha as f64)).ceil();
        assert!((p - (1.0 - k / (n + 1) as f64)).abs() < 1e-12 && p <= alpha as f64);
        let rate = alarms as f64 / R as f64;
        let se = (p * (1.0 - p) / R as f64).sqrt();
        eprintln!("n {n} α {alpha}: alarm rate {rate:.5}, exact {p:.5}, SE {se:.5}");
        assert!((rate - p).abs() <= 4.0 * se, "{rate} vs {p} ± {se}");
    }
}

#[test]
fn scores_checks_sizes() {
    let g = Gaussian::<2>::standard(2).unwrap();
    let mut out = [0f32; 2];
    assert!(scores(&g, &[1.0, 2.0, 3.0], &mut out).is_err());
    assert!(scores(&g, &[0.0; 6], &mut out).is_err());
    scores(&g, &[0.0, 0.0, 2.0, 0.0], &mut out).unwrap();
    assert_eq!(out, [0.0, 2.0]);
}

#[test]
fn auroc_by_hand() {
    assert_eq!(auroc(&[0.0, 1.0], &[2.0, 3.0]), Some(1.0));
    assert_eq!(auroc(&[2.0, 3.0], &[0.0, 1.0]), Some(0.0));
    // Pairs (a, n): (1,0) win, (1,1) tie, (1,2) loss, (3, ·) 3 wins: 4.5/6.
    assert_eq!(auroc(&[0.0, 1.0, 2.0], &[1.0, 3.0]), Some(4.5 / 6.0));
    // NaN counts as +∞: above every finite score, tied with +∞.
    assert_eq!(auroc(&[0.0, f32::INFINITY], &[f32::NAN]), Some(0.75));
    assert_eq!(auroc(&[], &[1.0]), None);
}

#[test]
fn early_stop_waits_for_significant_improvement() {
    let mut e = EarlyStop::<2>::new(2, 3).unwrap();
    assert!(EarlyStop::<2>::new(2, 0).is_err());
    assert!(EarlyStop::<2>::new(3, 1).is_err());
    // Scores with SE 0.1.
    let seq: [(f32, bool); 10] = [
        (5.0, false),     // first: improvement (reference ∞)
        (4.0, false),     // −1.0: improvement
        (3.95, false),    // −0.05 < SE: kept as best, not significant (1)
        (3.92, false),    // −0.08 from 4.0 (2)
        (3.85, false),    // −0.15 from 4.0: significant, reset
        (3.9, false),     // (1)
        (3.8, false),     // −0.05 (2), best
        (f32::NAN, true), // (3): stop
        (3.0, false),     // a big improvement resets
        (3.5, false),     // (1)
    ];
    for (i, &(score, stop)) in seq.iter().enumerate() {
        let theta = [i as f32, -(i as f32)];
        assert_eq!(
            e.offer(score, 0.1, i as u64, &theta).unwrap(),
            stop,
            "evaluation {i}"
        );
        assert_eq!(e.should_stop(), stop);
    }
    assert_eq!(e.evaluations(), 10);
    assert_eq!(e.since_improvement(), 1);
    assert_eq!(
        (e.best().score(), e.best().at(), e.best().params()),
        (3.0, 8, &[8.0, -8.0][..])
    );
    let before = e.clone();
    assert!(e.offer(1.0, f32::NAN, 11, &[0.0, 0.0]).is_err());
    assert!(e.offer(1.0, -1.0, 11, &[0.0, 0.0]).is_err());
    assert!(e.offer(1.0, 0.0, 11, &[0.0]).is_err());
    assert_eq!(e, before);
    // SE ∞: only the first finite score counts as an improvement.
    let mut e = EarlyStop::<1>::new(1, 2).unwrap();
    assert!(!e.offer(1.0, f32::INFINITY, 0, &[0.0]).unwrap());
    assert!(!e.offer(0.5, f32::INFINITY, 1, &[1.0]).unwrap());
    assert!(e.offer(0.1, f32::INFINITY, 2, &[2.0]).unwrap());
    assert_eq!(e.best().params(), &[2.0]);
}
