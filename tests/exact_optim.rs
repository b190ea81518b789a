//! Exact tests of the optimisers (issue 19, mutation testing): several
//! steps of SGD with momentum and of Adam (bias correction on and off,
//! non-default moments), with gradient clipping and weight decay, against
//! the published update rules computed independently in f64.

use tinyebm::optim::global_norm;
use tinyebm::{Adam, AnyOptimizer, Optimizer, Sgd};

const THETA0: [f32; 3] = [0.5, -1.25, 2.0];
/// Gradients of successive steps (the third is large, to trigger clipping).
const GRADS: [[f32; 3]; 5] = [
    [0.3, -0.7, 1.1],
    [-0.2, 0.4, 0.05],
    [2.5, -3.0, 1.75],
    [0.0, 0.9, -0.6],
    [-1.3, 0.2, 0.8],
];

/// The conditioned gradient in f64: g·min(1, c/‖g‖) + λθ.
fn conditioned(theta: &[f64], g: &[f32], clip: f64, decay: f64) -> Vec<f64> {
    let norm = g
        .iter()
        .map(|&v| (v as f64) * (v as f64))
        .sum::<f64>()
        .sqrt();
    let scale = if norm > clip { clip / norm } else { 1.0 };
    theta
        .iter()
        .zip(g)
        .map(|(&t, &gi)| scale * gi as f64 + decay * t)
        .collect()
}

fn close(got: &[f32], want: &[f64], tol: f64, what: &str) {
    for (j, (&a, &b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a as f64 - b).abs() <= tol * (1.0 + b.abs()),
            "{what}: θ[{j}] = {a}, formula {b}"
        );
    }
}

/// v ← μv + g, θ ← θ − ηv.
fn sgd_reference(lr: f64, mu: f64, clip: f64, decay: f64) -> Vec<Vec<f64>> {
    let mut th: Vec<f64> = THETA0.iter().map(|&v| v as f64).collect();
    let mut v = [0f64; 3];
    let mut out = Vec::new();
    for g in GRADS {
        let c = conditioned(&th, &g, clip, decay);
        for j in 0..3 {
            v[j] = mu * v[j] + c[j];
            th[j] -= lr * v[j];
        }
        out.push(th.clone());
    }
    out
}

/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η m̂/(√v̂ + ε).
fn adam_reference(
    lr: f64,
    (b1, b2, eps): (f64, f64, f64),
    bias: bool,
    clip: f64,
    decay: f64,
) -> Vec<Vec<f64>> {
    let mut th: Vec<f64> = THETA0.iter().map(|&v| v as f64).collect();
    let (mut m, mut v) = ([0f64; 3], [0f64; 3]);
    let mut out = Vec::new();
    for (t, g) in GRADS.iter().enumerate() {
        let t = (t + 1) as i32;
        let c = conditioned(&th, g, clip, decay);
        for j in 0..3 {
            m[j] = b1 * m[j] + (1.0 - b1) * c[j];
            v[j] = b2 * v[j] + (1.0 - b2) * c[j] * c[j];
            let (mh, vh) = if bias {
                (m[j] / (1.0 - b1.powi(t)), v[j] / (1.0 - b2.powi(t)))
            } else {
                (m[j], v[j])
            };
            th[j] -= lr * mh / (vh.sqrt() + eps);
        }
        out.push(th.clone());
    }
    out
}

fn run<O: Optimizer>(o: &mut O, want: &[Vec<f64>], tol: f64, what: &str) {
    let mut th = THETA0;
    for (k, g) in GRADS.iter().enumerate() {
        let mut preview = [0f32; 3];
        o.preview(&th, g, &mut preview).unwrap();
        o.step(&mut th, g).unwrap();
        assert_eq!(preview, th, "{what}: preview = step");
        close(&th, &want[k], tol, &format!("{what}, step {}", k + 1));
    }
}

#[test]
fn sgd_matches_the_update_rule() {
    for (lr, mu, clip, decay) in [
        (0.1f32, 0.0f32, f32::INFINITY, 0.0f32),
        (0.05, 0.9, f32::INFINITY, 0.0),
        (0.2, 0.5, 1.5, 0.0),
        (0.1, 0.7, f32::INFINITY, 0.3),
        (0.3, 0.25, 2.0, 0.1),
    ] {
        let want = sgd_reference(lr as f64, mu as f64, clip as f64, decay as f64);
        let what = format!("SGD η {lr} μ {mu} clip {clip} λ {decay}");
        let mut o = Sgd::<3>::new(3, lr, mu)
            .unwrap()
            .with_clip_norm(clip)
            .unwrap()
            .with_weight_decay(decay)
            .unwrap();
        assert_eq!((o.learning_rate(), o.momentum()), (lr, mu));
        assert_eq!((o.clip_norm(), o.weight_decay()), (clip, decay));
        run(&mut o, &want, 2e-6, &what);
        // reset forgets the velocity: the same run again.
        o.reset();
        run(&mut o, &want, 2e-6, &what);
        // Through the run-time choice.
        let mut any = AnyOptimizer::Sgd(
            Sgd::<3>::new(3, lr, mu)
                .unwrap()
                .with_clip_norm(clip)
                .unwrap()
                .with_weight_decay(decay)
                .unwrap(),
        );
        run(&mut any, &want, 2e-6, &what);
    }
}

#[test]
fn adam_matches_the_update_rule() {
    for (lr, moments, bias, clip, decay) in [
        (
            0.1f32,
            (0.9f32, 0.999f32, 1e-8f32),
            true,
            f32::INFINITY,
            0.0f32,
        ),
        (0.05, (0.8, 0.95, 1e-3), true, f32::INFINITY, 0.0),
        (0.05, (0.8, 0.95, 1e-3), false, f32::INFINITY, 0.0),
        (0.2, (0.5, 0.9, 1e-2), true, 1.5, 0.2),
        (0.01, (0.0, 0.5, 0.1), true, 3.0, 0.05),
    ] {
        let (b1, b2, eps) = moments;
        let want = adam_reference(
            lr as f64,
            (b1 as f64, b2 as f64, eps as f64),
            bias,
            clip as f64,
            decay as f64,
        );
        let what = format!("Adam η {lr} β {moments:?} bias {bias} clip {clip} λ {decay}");
        let make = || {
            Adam::<3>::with_moments(3, lr, b1, b2, eps)
                .unwrap()
                .with_bias_correction(bias)
                .with_clip_norm(clip)
                .unwrap()
                .with_weight_decay(decay)
                .unwrap()
        };
        let mut o = make();
        run(&mut o, &want, 2e-5, &what);
        assert_eq!(o.steps(), GRADS.len() as u64);
        o.reset();
        assert_eq!(o.steps(), 0);
        run(&mut o, &want, 2e-5, &what);
        let mut any = AnyOptimizer::Adam(make());
        run(&mut any, &want, 2e-5, &what);
        // In place: reinit gives the optimiser `with_moments` gives.
        let mut re = make();
        re.step(&mut [0.0; 3], &[1.0; 3]).unwrap();
        re.reinit_with_moments(3, lr, b1, b2, eps).unwrap();
        let fresh = Adam::<3>::with_moments(3, lr, b1, b2, eps).unwrap();
        assert_eq!(re, fresh);
    }
}

/// Setting the learning rate takes effect at the next step; an SGD
/// re-initialised in place forgets its velocity.
#[test]
fn learning_rate_and_reinit() {
    let mut o = Sgd::<3>::new(3, 0.1, 0.5).unwrap();
    let mut th = THETA0;
    o.step(&mut th, &GRADS[0]).unwrap();
    o.set_learning_rate(0.3).unwrap();
    assert_eq!(o.learning_rate(), 0.3);
    let before = th;
    o.step(&mut th, &GRADS[1]).unwrap();
    for j in 0..3 {
        let v = 0.5 * GRADS[0][j] as f64 + GRADS[1][j] as f64;
        let want = before[j] as f64 - 0.3 * v;
        assert!(
            (th[j] as f64 - want).abs() < 1e-6,
            "{j}: {} vs {want}",
            th[j]
        );
    }
    o.reinit(3, 0.1, 0.5).unwrap();
    assert_eq!(o, Sgd::<3>::new(3, 0.1, 0.5).unwrap());
    assert_eq!((o.len(), o.is_empty()), (3, false));
}

/// ‖v‖ against the f64 norm, including values whose squares overflow f32.
#[test]
fn global_norm_matches_f64() {
    for v in [
        vec![3.0f32, 4.0],
        vec![0.1, -0.2, 0.3, -0.4],
        vec![1e30, -2e30, 2e30],
        vec![1e-30, 1e-31],
        vec![-7.5],
    ] {
        let want = v.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
        let got = global_norm(&v) as f64;
        assert!((got - want).abs() <= 1e-6 * want, "{v:?}: {got} vs {want}");
    }
    assert_eq!(global_norm(&[0.0, -0.0]), 0.0);
    assert_eq!(global_norm(&[]), 0.0);
}
