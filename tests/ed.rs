#![allow(clippy::needless_range_loop)]
//! Energy discrepancy (`tinyebm::ed`): the loss's θ-gradient against finite
//! differences on small models, the trainer against the one-point reference
//! loss, refusals that change nothing, and convergence to the true
//! parameters of Gaussian families.

mod common;
use common::{EPS, close, random_vec};
use tinyebm::ed::point_loss;
use tinyebm::{
    Activation, Adam, Decay, DeepMlp, Ed, EdConfig, Ema, Error, Gaussian, LrSchedule, Mlp,
    Optimizer, Sgd, Soa, Stream, Trainable, deep_mlp_param_count, mlp_param_count,
};

const K: usize = 8;

/// Negatives of `x` as the trainer draws them: y = x + √t·ξ, x′ⱼ = y + √t·ξ′ⱼ.
fn negatives(s: &mut Stream, x: &[f32], m: usize, t: f32) -> Soa<K, 2> {
    let d = x.len();
    let sd = t.sqrt();
    let mut xi = [0f32; 2];
    s.fill_normal(&mut xi[..d]);
    let y: Vec<f32> = (0..d).map(|k| x[k] + sd * xi[k]).collect();
    let mut soa = [[0f32; K]; 2];
    for j in 0..m {
        s.fill_normal(&mut xi[..d]);
        for k in 0..d {
            soa[k][j] = y[k] + sd * xi[k];
        }
    }
    soa
}

/// ∂L/∂θ from `point_loss` against central differences of its loss.
fn check_loss_grad<E: Trainable + Clone>(
    name: &str,
    e: &E,
    x: &[f32],
    neg: &Soa<K, 2>,
    m: usize,
    w: f32,
) {
    let p = e.num_params();
    let mut theta = vec![0f32; p];
    e.params(&mut theta).unwrap();
    let mut g = vec![0f32; p];
    let l = point_loss(e, x, neg, m, w, Some(&mut g)).unwrap();
    assert_eq!(
        l,
        point_loss(e, x, neg, m, w, None).unwrap(),
        "{name}: loss with and without grad"
    );
    let mut mm = e.clone();
    let mut checked = 0;
    for k in 0..p {
        let (mut tp, mut tm) = (theta.clone(), theta.clone());
        tp[k] += EPS;
        tm[k] -= EPS;
        if mm.set_params(&tp).is_err() {
            continue;
        }
        let lp = point_loss(&mm, x, neg, m, w, None).unwrap();
        if mm.set_params(&tm).is_err() {
            continue;
        }
        let lm = point_loss(&mm, x, neg, m, w, None).unwrap();
        let fd = ((lp - lm) / (tp[k] - tm[k]) as f64) as f32;
        assert!(
            close(g[k], fd, l.abs() as f32 * EPS),
            "{name} (w = {w}): ∂L/∂θ{k} = {} vs FD {fd}",
            g[k]
        );
        checked += 1;
    }
    assert!(checked == p, "{name}: {checked} of {p} parameters checked");
}

#[test]
fn loss_gradient_matches_finite_differences() {
    let mut s = Stream::new(11, 0);
    for trial in 0..6 {
        let x = random_vec(&mut s, 2, 1.0);
        let m = 1 + trial % 5;
        // t = 0.3: negatives at distance ~1, energies that differ by O(1).
        let neg = negatives(&mut s, &x, m, 0.3);
        let ws: &[f32] = if m == 1 {
            &[1.0, 0.25]
        } else {
            &[1.0, 0.0, 3.0]
        };
        let mlp = Mlp::<2, 4>::init(2, 4, Activation::Tanh, 0.5, 100 + trial as u64).unwrap();
        let mut theta = vec![0f32; mlp_param_count(2, 4)];
        mlp.params(&mut theta).unwrap();
        // Non-zero biases: every parameter matters.
        let mut mlp = mlp;
        for t in theta.iter_mut() {
            *t += 0.3 * s.normal();
        }
        mlp.set_params(&theta).unwrap();
        let deep =
            DeepMlp::<2, 4, 2>::init(2, &[4, 3, 4], Activation::Softplus, 0.5, 200 + trial as u64)
                .unwrap();
        assert_eq!(deep.num_params(), deep_mlp_param_count(2, &[4, 3, 4]));
        let g = Gaussian::<2>::full(&[0.3, -0.2], &[1.5, 0.4, 0.4, 0.8]).unwrap();
        for &w in ws {
            check_loss_grad("mlp", &mlp, &x, &neg, m, w);
            check_loss_grad("deep mlp", &deep, &x, &neg, m, w);
            check_loss_grad("gaussian", &g, &x, &neg, m, w);
        }
    }
}

#[test]
fn loss_is_stable_for_huge_energy_gaps() {
    // U(x) − U(x′) = ±1e4: a naive exp overflows or underflows to ln 0.
    let far = Gaussian::<1>::diagonal(&[0.0], &[2.0]).unwrap();
    let mut neg = [[0f32; K]; 1];
    neg[0][0] = 0.0;
    neg[0][1] = 0.0;
    // x = 100: U(x) = 1e4, negatives at U = 0: L ≈ 1e4 + ln(2/2).
    let l = point_loss(&far, &[100.0], &neg, 2, 1.0, None).unwrap();
    assert!((l - 1e4).abs() < 1e-3, "{l}");
    // x = 0, negatives at U = 1e4: L = ln(w/M + ~0) = ln(1/2).
    neg[0][0] = 100.0;
    neg[0][1] = 100.0;
    let l = point_loss(&far, &[0.0], &neg, 2, 1.0, None).unwrap();
    assert!((l - 0.5f64.ln()).abs() < 1e-12, "{l}");
    // w = 0: L = U(x) − U(x′) exactly for M = 1.
    let l = point_loss(&far, &[0.0], &neg, 1, 0.0, None).unwrap();
    assert_eq!(l, -1e4);
}

/// Parameters after one update of an `Ed<Sgd(lr = 1)>` on `pts`.
fn one_update(pts: &[f32], cfg: EdConfig, one_at_a_time: bool) -> (Vec<f32>, f32) {
    let mut e = Mlp::<2, 4>::init(2, 4, Activation::Tanh, 0.5, 7).unwrap();
    let p = e.num_params();
    let opt = Sgd::<64>::new(p, 1.0, 0.0).unwrap();
    let mut t = Ed::<_, K, 2, 64>::new(&e, opt, cfg).unwrap();
    let mut last = None;
    if one_at_a_time {
        for x in pts.chunks(2) {
            last = t.push(&mut e, x).unwrap().or(last);
        }
    } else {
        last = t.push_batch(&mut e, pts).unwrap();
    }
    let m = last.expect("one update");
    assert_eq!((m.updates, t.batch_len()), (1, 0));
    let mut theta = vec![0f32; p];
    e.params(&mut theta).unwrap();
    (theta, m.loss)
}

#[test]
fn trainer_descends_the_mean_reference_gradient() {
    let mut s = Stream::new(5, 0);
    let pts = random_vec(&mut s, 2 * 6, 1.0);
    let cfg = EdConfig {
        t: 0.2,
        negatives: 3,
        w: 1.0,
        batch_size: 6,
        seed: 42,
    };
    // Reference: the same perturbations (the trainer's stream, point by
    // point), the loss and gradient of each point from `point_loss`.
    let e0 = Mlp::<2, 4>::init(2, 4, Activation::Tanh, 0.5, 7).unwrap();
    let p = e0.num_params();
    let mut rs = Stream::new(42, u64::MAX - 2);
    let (mut g, mut loss) = (vec![0f32; p], 0f64);
    let mut gsum = vec![0f64; p];
    for x in pts.chunks(2) {
        let neg = negatives(&mut rs, x, 3, 0.2);
        g.fill(0.0);
        loss += point_loss(&e0, x, &neg, 3, 1.0, Some(&mut g)).unwrap();
        for (a, &b) in gsum.iter_mut().zip(&g) {
            *a += b as f64;
        }
    }
    let mut theta0 = vec![0f32; p];
    e0.params(&mut theta0).unwrap();
    for (one, blocks) in [(true, "one at a time"), (false, "blocks of 2")] {
        let (theta, l) = one_update(&pts, cfg, one);
        assert!(
            (l as f64 - loss / 6.0).abs() < 1e-6,
            "{blocks}: loss {l} vs {}",
            loss / 6.0
        );
        for k in 0..p {
            // θ₁ = θ₀ − mean gradient; f32 sums of 6 points of O(1) terms.
            let want = theta0[k] as f64 - gsum[k] / 6.0;
            assert!(
                (theta[k] as f64 - want).abs() < 1e-5,
                "{blocks}: θ{k} = {} vs {want}",
                theta[k]
            );
        }
    }
}

#[test]
fn refusals_change_nothing() {
    let mut e = Gaussian::<1>::diagonal(&[0.0], &[1.0]).unwrap();
    let opt = Sgd::<2>::new(2, 10.0, 0.0).unwrap();
    let cfg = EdConfig {
        batch_size: 4,
        negatives: 3,
        ..EdConfig::new()
    };
    let mut t = Ed::<_, 4, 1, 2>::new(&e, opt, cfg).unwrap();
    t.push(&mut e, &[0.5]).unwrap();
    let (t0, e0) = (t.clone(), e.clone());
    assert!(t.push(&mut e, &[f32::NAN]).is_err());
    assert!(t.push(&mut e, &[0.0, 1.0]).is_err());
    assert!(t.push_batch(&mut e, &[0.0, f32::INFINITY]).is_err());
    assert_eq!((&t, &e), (&t0, &e0));
    // A point far out: lr 10 on ∂L/∂p pushes the precision below 0; the
    // model refuses it, and θ, optimiser and sums stay.
    let big = [30.0];
    let r = t.push_batch(&mut e, &[big[0], big[0], big[0]]);
    assert!(matches!(r, Err(Error::InvalidParameters(_))), "{r:?}");
    assert_eq!(e, e0);
    assert_eq!((t.rejected(), t.updates(), t.batch_len()), (1, 0, 4));
    assert_eq!(t.optimizer(), t0.optimizer());
    // Bad configurations.
    let opt = Sgd::<2>::new(2, 0.1, 0.0).unwrap();
    for bad in [
        EdConfig { t: 0.0, ..cfg },
        EdConfig { t: f32::NAN, ..cfg },
        EdConfig { w: -1.0, ..cfg },
        EdConfig {
            negatives: 0,
            ..cfg
        },
        EdConfig {
            negatives: 4,
            ..cfg
        },
        EdConfig {
            batch_size: 0,
            ..cfg
        },
    ] {
        assert!(
            Ed::<_, 4, 1, 2>::new(&e, opt.clone(), bad).is_err(),
            "{bad:?}"
        );
    }
}

/// Trains a Gaussian of the family of `init` on draws of `draw` by ED
/// (Adam, cosine decay, EMA of θ) and returns the averaged parameters.
fn fit<const D: usize, const P: usize>(
    init: &Gaussian<D>,
    draw: &dyn Fn(&mut Stream) -> [f32; D],
    cfg: EdConfig,
    updates: u64,
    seed: u64,
) -> Vec<f32> {
    let mut e = init.clone();
    let p = e.num_params();
    let opt = Adam::<P>::new(p, 0.02).unwrap();
    let mut t = Ed::<_, 16, D, P>::new(&e, opt, EdConfig { seed, ..cfg }).unwrap();
    let sched = LrSchedule::new(0.02, 50, updates, Decay::Cosine, 0.0).unwrap();
    let mut ema = Ema::<P>::new(p, 0.99).unwrap();
    let mut data = Stream::new(seed, 7);
    let mut theta = vec![0f32; p];
    let mut buf = vec![0f32; D * cfg.batch_size];
    for k in 0..updates {
        for c in buf.chunks_exact_mut(D) {
            c.copy_from_slice(&draw(&mut data));
        }
        sched.apply(k, t.optimizer_mut()).unwrap();
        t.push_batch(&mut e, &buf)
            .unwrap()
            .expect("an update per batch");
        e.params(&mut theta).unwrap();
        // Average over the last quarter only (the decayed part).
        if k >= 3 * updates / 4 {
            ema.update(&theta).unwrap();
        }
    }
    ema.params().to_vec()
}

/// Over `reps` seeds: each fitted parameter's mean is within 4 standard
/// errors (their spread over seeds / √reps) of the truth, and its spread is
/// below `max_sd` (a wrong objective that still wanders near the truth
/// fails this).
fn check_fits(name: &str, fits: &[Vec<f32>], truth: &[f32], max_sd: f64) {
    let r = fits.len() as f64;
    for k in 0..truth.len() {
        let v: Vec<f64> = fits.iter().map(|f| f[k] as f64).collect();
        let mean = v.iter().sum::<f64>() / r;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
        let z = (mean - truth[k] as f64) / (sd / r.sqrt());
        println!(
            "{name} θ{k}: truth {} mean {mean:.4} sd {sd:.4} z {z:+.2}",
            truth[k]
        );
        assert!(
            z.abs() < 4.0,
            "{name} θ{k}: mean {mean} vs truth {} (z = {z:.1})",
            truth[k]
        );
        assert!(sd < max_sd, "{name} θ{k}: spread {sd} over seeds");
    }
}

#[test]
fn recovers_a_1d_gaussian() {
    // N(1.5, 0.5²): μ = 1.5, precision 4; start N(0, 1).
    let init = Gaussian::<1>::diagonal(&[0.0], &[1.0]).unwrap();
    let draw = |s: &mut Stream| [1.5 + 0.5 * s.normal()];
    let cfg = EdConfig {
        t: 0.25,
        negatives: 8,
        w: 1.0,
        batch_size: 64,
        seed: 0,
    };
    let fits: Vec<_> = (0..10)
        .map(|seed| fit::<1, 2>(&init, &draw, cfg, 1500, seed))
        .collect();
    check_fits("1-D", &fits, &[1.5, 4.0], 0.1);
}

#[test]
fn recovers_a_correlated_2d_gaussian() {
    // Mean (1, −1), covariance [[1, 0.6], [0.6, 0.5]]: precision
    // [[3.571, −4.286], [−4.286, 7.143]] (1/0.14 × [[0.5, −0.6], [−0.6, 1]]).
    let init = Gaussian::<2>::full(&[0.0, 0.0], &[1.0, 0.0, 0.0, 1.0]).unwrap();
    let draw = |s: &mut Stream| {
        let (z0, z1) = s.normal_pair();
        // Cholesky factor of the covariance: [[1, 0], [0.6, 0.3742]].
        [1.0 + z0, -1.0 + 0.6 * z0 + 0.14f32.sqrt() * z1]
    };
    let cfg = EdConfig {
        t: 0.1,
        negatives: 8,
        w: 1.0,
        batch_size: 64,
        seed: 0,
    };
    let fits: Vec<_> = (0..10)
        .map(|seed| fit::<2, 5>(&init, &draw, cfg, 12000, seed))
        .collect();
    let (a, b, c) = (0.5 / 0.14, -0.6 / 0.14, 1.0 / 0.14);
    check_fits("2-D", &fits, &[1.0, -1.0, a, b, c], 0.3);
}

#[test]
fn footprint_is_fixed() {
    let e = Mlp::<2, 16>::init(2, 16, Activation::Tanh, 0.5, 1).unwrap();
    const P: usize = mlp_param_count(2, 16);
    let t = Ed::<_, 9, 2, P>::new(&e, Adam::<P>::new(P, 1e-3).unwrap(), EdConfig::new()).unwrap();
    assert_eq!(size_of_val(&t), Ed::<Adam<P>, 9, 2, P>::footprint());
    assert!(Ed::<Adam<P>, 9, 2, P>::footprint() < 8 * P * 4 + 256);
    assert_eq!(t.block_points(), 1);
    assert_eq!(t.optimizer().learning_rate(), 1e-3);
}

#[test]
fn trains_a_deep_mlp() {
    // The trainer is generic over Trainable: a DeepMlp 2 → 8 → 8 → 8 → 1 on
    // four clusters. The loss of the first and last 20 updates (means over
    // 20 × 64 points: their standard error is ~0.01 at these loss values)
    // must fall by more than 0.1 nats (an energy that cannot tell data from
    // negatives scores ln((M + w)/M) = 0.22; measured 0.10 → −0.54, and
    // 0.13 → 0.17 with the data gradient's sign flipped).
    let mut e = DeepMlp::<2, 8, 2>::init(2, &[8, 8, 8], Activation::Tanh, 0.5, 5).unwrap();
    const P: usize = deep_mlp_param_count(2, &[8, 8, 8]);
    let cfg = EdConfig {
        t: 0.25,
        negatives: 4,
        w: 1.0,
        batch_size: 64,
        seed: 1,
    };
    let mut t = Ed::<_, 40, 2, P>::new(&e, Adam::<P>::new(P, 1e-2).unwrap(), cfg).unwrap();
    assert_eq!(t.block_points(), 8);
    let mut s = Stream::new(2, 0);
    let mut losses = Vec::new();
    let mut buf = [0f32; 128];
    for _ in 0..400 {
        for c in buf.chunks_exact_mut(2) {
            let k = s.below(4) as f32;
            let (z0, z1) = s.normal_pair();
            c[0] = if k < 2.0 { -1.5 } else { 1.5 } + 0.2 * z0;
            c[1] = if k as u32 % 2 == 0 { -1.5 } else { 1.5 } + 0.2 * z1;
        }
        losses.push(t.push_batch(&mut e, &buf).unwrap().unwrap().loss as f64);
    }
    let first = losses[..20].iter().sum::<f64>() / 20.0;
    let last = losses[380..].iter().sum::<f64>() / 20.0;
    println!("deep MLP: loss {first:.3} → {last:.3}");
    assert!(last < first - 0.1, "loss {first:.3} → {last:.3}");
    assert_eq!((t.updates(), t.rejected()), (400, 0));
}
