//! The training conveniences of issue 16: confined starts (`init_confined`,
//! `Walkers::from_confinement`, the pure confinement's log Z) and shuffled
//! minibatch epochs (`Epochs`).

mod common;
use common::*;
use tinyebm::{
    Activation, Confined, DeepMlp, Energy, Epochs, Error, Mlp, Stream, Trainable, Walkers,
    mlp_param_count,
};

const ALPHA: f32 = 0.7;

/// `init_confined` is `init` with the output layer zeroed: the hidden
/// layers are `init`'s (same seed, same bits), the last h + 1 parameters
/// (w₃, b₃) are 0, and U = ½α|x|², ∇U = αx at random points (f32 rounding
/// of a few operations: relative 1e-6).
#[test]
fn init_confined_is_the_pure_confinement() {
    const H: usize = 8;
    const P: usize = mlp_param_count(3, H);
    for act in [Activation::Tanh, Activation::Silu, Activation::Softplus] {
        let m = Mlp::<3, H>::init_confined(3, H, act, ALPHA, 5).unwrap();
        let r = Mlp::<3, H>::init(3, H, act, ALPHA, 5).unwrap();
        let (mut t, mut tr) = ([0f32; P], [0f32; P]);
        m.params(&mut t).unwrap();
        r.params(&mut tr).unwrap();
        assert_eq!(
            t[..P - H - 1],
            tr[..P - H - 1],
            "hidden layers differ from init's"
        );
        assert!(
            t[P - H - 1..].iter().all(|&v| v == 0.0),
            "output layer not zero"
        );
        assert!(
            tr[P - H - 1..].iter().any(|&v| v != 0.0),
            "init's output layer is zero too"
        );
        let deep = DeepMlp::<3, H, 2>::init_confined(3, &[H, 5, 4], act, ALPHA, 5).unwrap();
        let mut s = Stream::new(3, 0);
        for _ in 0..100 {
            let mut x = [0f32; 3];
            s.fill_normal(&mut x);
            let r2: f64 = x.iter().map(|&v| (v as f64).powi(2)).sum();
            let want = 0.5 * ALPHA as f64 * r2;
            let (mut gm, mut gd) = ([0f32; 3], [0f32; 3]);
            let um = m.value_grad(&x, &mut gm).unwrap();
            let ud = deep.value_grad(&x, &mut gd).unwrap();
            for (u, g) in [(um as f64, gm), (ud as f64, gd)] {
                assert!((u - want).abs() <= 1e-6 * want.max(1e-3), "{u} vs {want}");
                for i in 0..3 {
                    let gi = ALPHA as f64 * x[i] as f64;
                    assert!((g[i] as f64 - gi).abs() <= 1e-6 * gi.abs().max(1e-3));
                }
            }
        }
    }
}

/// `from_confinement` draws what `gaussian` draws at sd 1/√(αβ) (same bits),
/// and those draws pass a Kolmogorov–Smirnov test against N(0, 1/(αβ)) at
/// α = 0.001 (2048 draws per coordinate); its log Z matches quadrature.
#[test]
fn confinement_walkers_and_log_z_are_exact() {
    const N: usize = 1024;
    let beta = 1.6f32;
    let m = Mlp::<2, 8>::init_confined(2, 8, Activation::Tanh, ALPHA, 1).unwrap();
    let w = Walkers::<N, 2>::from_confinement(&m, N, 9, beta).unwrap();
    let sd = 1.0 / (ALPHA * beta).sqrt();
    assert_eq!(m.confinement_sd(beta).unwrap(), sd);
    let g = Walkers::<N, 2>::gaussian(&m, N, 9, &[0.0, 0.0], sd).unwrap();
    assert_eq!(w, g);
    let mut z: Vec<f64> = (0..N)
        .flat_map(|k| {
            let mut p = [0f32; 2];
            w.position(k, &mut p).unwrap();
            [p[0] as f64 / sd as f64, p[1] as f64 / sd as f64]
        })
        .collect();
    z.sort_by(f64::total_cmp);
    let ks = ks_statistic(&z, normal_cdf);
    assert!(
        ks < ks_critical(z.len()),
        "KS {ks} ≥ {}",
        ks_critical(z.len())
    );
    // Midpoint rule on a 400² grid over [−10, 10]²: spacing 0.05 ≪ sd ≈ 0.9,
    // mass outside ~e^{-56}: error ≪ 1e-6.
    let (_, log_z) = grid_log_z(400, 10.0, |x| beta as f64 * m.value(x).unwrap() as f64);
    let exact = m.confinement_log_z(beta);
    assert!(
        (log_z - exact).abs() < 1e-6,
        "quadrature {log_z} vs {exact}"
    );
    for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        assert!(Walkers::<N, 2>::from_confinement(&m, N, 9, bad).is_err());
        assert!(m.confinement_log_z(bad).is_nan());
    }
}

/// Φ(x), by the complementary error function.
fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Every epoch hands out each point exactly once, in ⌈n/b⌉ minibatches
/// (the last partial), and the same seed gives the same batches.
#[test]
fn epochs_cover_every_point_once() {
    let mut data: Vec<[f32; 2]> = (0..10).map(|k| [k as f32, -(k as f32)]).collect();
    let mut again = data.clone();
    let mut e = Epochs::new(&mut data, 4, 7).unwrap();
    let mut f = Epochs::new(&mut again, 4, 7).unwrap();
    assert_eq!(e.batches_per_epoch(), 3);
    for epoch in 1..=5 {
        let mut seen = Vec::new();
        for k in 0..3 {
            let b = e.next_batch().to_vec();
            assert_eq!(b, f.next_batch());
            assert_eq!(b.len(), if k < 2 { 8 } else { 4 });
            assert_eq!(e.epoch(), epoch);
            seen.extend(b.chunks(2).map(|p| p[0] as i32));
            assert_eq!(e.epoch_done(), k == 2);
        }
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }
}

/// The shuffle is uniform: over 6000 epochs of 3 points, each of the 6
/// orders appears ~1000 times; Pearson's χ² with 5 degrees of freedom must
/// stay below 20.5 (its 0.999 quantile). Sattolo's variant (j < i) would
/// give only the 2 cyclic orders and fail.
#[test]
fn epochs_shuffle_uniformly() {
    let mut data = [[0f32], [1.0], [2.0]];
    let mut e = Epochs::new(&mut data, 3, 11).unwrap();
    let mut counts = [0u32; 6];
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for _ in 0..6000 {
        let b: Vec<i32> = e.next_batch().iter().map(|&v| v as i32).collect();
        let k = orders.iter().position(|o| o[..] == b[..]).unwrap();
        counts[k] += 1;
    }
    let chi2: f64 = counts
        .iter()
        .map(|&c| (c as f64 - 1000.0).powi(2) / 1000.0)
        .sum();
    assert!(chi2 < 20.5, "χ² = {chi2}: {counts:?}");
}

#[test]
fn epochs_refuse_empty_input() {
    let mut none: [[f32; 2]; 0] = [];
    assert_eq!(Epochs::new(&mut none, 4, 1).unwrap_err(), Error::Empty);
    let mut one = [[1f32, 2.0]];
    assert_eq!(Epochs::new(&mut one, 0, 1).unwrap_err(), Error::Empty);
    let mut e = Epochs::new(&mut one, 5, 1).unwrap();
    assert_eq!(e.next_batch(), &[1.0, 2.0]);
    assert_eq!(e.next_batch(), &[1.0, 2.0]);
    assert_eq!(e.epoch(), 2);
}
