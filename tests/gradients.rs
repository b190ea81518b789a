#![allow(clippy::needless_range_loop)]
//! Every analytic gradient (in x and in θ) against central finite
//! differences, for random inputs and random parameters; and batched
//! evaluation against single-point evaluation, bit for bit. Step, tolerance
//! and the ∇ₓU check are in common/mod.rs (shared with tests/properties.rs).

mod common;
use common::*;
use tinyebm::{
    Activation, Energy, Gaussian, Mixture, Mlp, Polynomial, Stream, Trainable, Walkers,
    mlp_param_count,
};

/// `x_grad_mismatch` (common/mod.rs) as a test failure.
fn check_x_grad<E: Energy>(name: &str, e: &E, x: &[f32]) {
    if let Err(m) = x_grad_mismatch(e, x) {
        panic!("{name}: {m}");
    }
}

/// `theta_grad_mismatch` (common/mod.rs) as a test failure, at scale 2; a
/// −ε step out of the domain fails too (none leaves it at these sizes). The
/// U the θ-gradient pass reports is `value`'s, bit for bit.
fn check_theta_grad<E: Trainable + Clone>(name: &str, e: &E, x: &[f32]) {
    let u = theta_grad_mismatch(e, x, 2.0, false).unwrap_or_else(|m| panic!("{name}: {m}"));
    assert_eq!(
        u.to_bits(),
        e.value(x).unwrap().to_bits(),
        "{name}: value from param grad"
    );
}

#[test]
fn gaussian_gradients() {
    let mut s = Stream::new(1, 0);
    for trial in 0..20 {
        let mean = random_vec(&mut s, 3, 1.0);
        // Random SPD precision A Aᵀ + I.
        let a = random_vec(&mut s, 9, 0.5);
        let mut p = [0f32; 9];
        for i in 0..3 {
            for j in 0..3 {
                p[i * 3 + j] = (0..3).map(|k| a[i * 3 + k] * a[j * 3 + k]).sum::<f32>()
                    + if i == j { 1.0 } else { 0.0 };
            }
        }
        for i in 0..3 {
            for j in 0..i {
                p[j * 3 + i] = p[i * 3 + j];
            }
        }
        let full = Gaussian::<4>::full(&mean, &p).unwrap();
        let diag = Gaussian::<4>::diagonal(&mean, &[p[0], p[4], p[8]]).unwrap();
        let x = random_vec(&mut s, 3, 1.5);
        check_x_grad(&format!("Gaussian full #{trial}"), &full, &x);
        check_theta_grad(&format!("Gaussian full #{trial}"), &full, &x);
        check_x_grad(&format!("Gaussian diag #{trial}"), &diag, &x);
        check_theta_grad(&format!("Gaussian diag #{trial}"), &diag, &x);
    }
}

#[test]
fn polynomial_gradients() {
    let mut s = Stream::new(2, 0);
    for trial in 0..20 {
        let n = tinyebm::num_monomials(2, 4);
        let c = random_vec(&mut s, n, 0.5);
        let p = Polynomial::<2, 15>::new(2, 4, &c).unwrap();
        let x = random_vec(&mut s, 2, 1.0);
        check_x_grad(&format!("polynomial #{trial}"), &p, &x);
        check_theta_grad(&format!("polynomial #{trial}"), &p, &x);
    }
    let dw = Polynomial::<1, 5>::double_well(1.5).unwrap();
    for x in [-1.7f32, -0.3, 0.0, 0.4, 1.2] {
        check_x_grad("double well", &dw, &[x]);
        check_theta_grad("double well", &dw, &[x]);
    }
}

#[test]
fn mixture_gradients() {
    let mut s = Stream::new(3, 0);
    for trial in 0..20 {
        let w = [0.2 + s.uniform(), 0.2 + s.uniform(), 0.2 + s.uniform()];
        let means = random_vec(&mut s, 6, 2.0);
        let sig: Vec<f32> = (0..6).map(|_| 0.5 + s.uniform()).collect();
        let m = Mixture::<3, 2>::new(&w, &means, &sig).unwrap();
        let x = random_vec(&mut s, 2, 2.0);
        check_x_grad(&format!("mixture #{trial}"), &m, &x);
        check_theta_grad(&format!("mixture #{trial}"), &m, &x);
    }
    // Far from every mode: log-sum-exp keeps U and ∇U finite and exact.
    let m = Mixture::review_example();
    let mut g = [0f32];
    let u = m.value_grad(&[1000.0], &mut g).unwrap();
    assert!(u.is_finite() && g[0].is_finite() && g[0] > 0.0);
    // Far out the wide N(0, 1) component dominates: U ≈ x²/2 − ln 0.7 + ln √(2π),
    // ∇U ≈ x.
    let want = 1000f64.powi(2) / 2.0 - 0.7f64.ln() + (2.0 * std::f64::consts::PI).sqrt().ln();
    assert!(((u as f64) - want).abs() / want < 1e-6, "{u} vs {want}");
    assert!((g[0] - 1000.0).abs() < 1e-3);
}

#[test]
fn mlp_gradients_all_activations() {
    let mut s = Stream::new(4, 0);
    // With `micromath`, SiLU and softplus use its piecewise e^x, whose slope
    // is not the derivative the analytic gradient uses: finite differences of
    // the approximate U differ from it by 2 % at some points and by 12 % at
    // others (softplus, ∂U/∂θ₉, the second trial of this stream), 2× at a
    // seam (tests/properties.rs). Not a test of our gradients there; the
    // exact-math build checks all three, and tanh is exact in both.
    let acts: &[Activation] = if cfg!(feature = "micromath") {
        &[Activation::Tanh]
    } else {
        &[Activation::Tanh, Activation::Silu, Activation::Softplus]
    };
    for &act in acts {
        for trial in 0..10 {
            let (d, h) = (3, 5);
            let theta = random_vec(&mut s, mlp_param_count(d, h), 0.7);
            let m = Mlp::<4, 8>::from_params(d, h, act, 0.3, &theta).unwrap();
            let x = random_vec(&mut s, d, 1.0);
            check_x_grad(&format!("MLP {act:?} #{trial}"), &m, &x);
            check_theta_grad(&format!("MLP {act:?} #{trial}"), &m, &x);
        }
    }
}

/// The batched pass computes exactly what the single-point pass computes
/// (same operations in the same order per lane): same bits.
#[test]
fn batched_evaluation_equals_single_point_bits() {
    let mut s = Stream::new(5, 0);
    // Sizes in use below capacity (d < D, h < H), and a walker count that is
    // not a multiple of the lane count: full chunks and one-walker leftovers.
    let (d, h) = (2, 7);
    let theta = random_vec(&mut s, mlp_param_count(d, h), 0.7);
    let m = Mlp::<3, 8>::from_params(d, h, Activation::Tanh, 0.5, &theta).unwrap();
    const N: usize = 2 * tinyebm::mlp::LANES + 5;
    let pos = random_vec(&mut s, N * d, 1.5);
    let w = Walkers::<N, 2>::from_positions(&m, N, 0, &pos).unwrap();
    let mut ev = tinyebm::Evals::<N, 2>::new();
    m.eval_batch(w.positions_soa(), N, true, &mut ev);
    let mut grad_sum = vec![0f32; m.num_params()];
    let weights: [f32; N] = core::array::from_fn(|k| 0.1 * k as f32 - 1.0);
    m.accumulate_param_grad_batch(w.positions_soa(), N, &weights, &mut grad_sum)
        .unwrap();
    let mut single_sum = vec![0f32; m.num_params()];
    for k in 0..N {
        let x = &pos[k * d..(k + 1) * d];
        let mut g = [0f32; 2];
        let u = m.value_grad(x, &mut g).unwrap();
        assert_eq!(u.to_bits(), ev.u[k].to_bits());
        assert_eq!(g[0].to_bits(), ev.grad[0][k].to_bits());
        assert_eq!(g[1].to_bits(), ev.grad[1][k].to_bits());
        m.accumulate_param_grad(x, weights[k], &mut single_sum)
            .unwrap();
    }
    // Lanes are summed in walker order: the same bits as one walker at a time.
    for (a, b) in grad_sum.iter().zip(&single_sum) {
        assert_eq!(a.to_bits(), b.to_bits(), "{a} vs {b}");
    }
}

/// Per-walker reference for the batched θ-gradient entry points: the
/// trait's default bodies, one point at a time.
struct PerPoint<'a, E>(&'a E);

impl<E: Energy> Energy for PerPoint<'_, E> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn value(&self, x: &[f32]) -> Result<f32, tinyebm::EvalError> {
        self.0.value(x)
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, tinyebm::EvalError> {
        self.0.value_grad(x, g)
    }
}

impl<E: Trainable> Trainable for PerPoint<'_, E> {
    fn num_params(&self) -> usize {
        self.0.num_params()
    }
    fn params(&self, out: &mut [f32]) -> Result<(), tinyebm::Error> {
        self.0.params(out)
    }
    fn set_params(&mut self, _: &[f32]) -> Result<(), tinyebm::Error> {
        unreachable!()
    }
    fn add_param_grad(&self, x: &[f32], s: f32, g: &mut [f32]) -> Result<f32, tinyebm::EvalError> {
        self.0.add_param_grad(x, s, g)
    }
}

/// The MLP's batched θ-gradients (`accumulate_param_grad_batch`, and
/// `param_grad_each` as the trainer's positive phase uses it) equal the
/// per-point ones bit for bit, at the reference size 2→32→32→1 (h = H) and
/// below capacity, for random walker counts that are not multiples of LANES.
#[test]
fn batched_param_grad_equals_per_point_bits() {
    const N: usize = 3 * tinyebm::mlp::LANES + 7;
    let mut s = Stream::new(11, 0);
    for (h, act) in [
        (32, Activation::Tanh),
        (29, Activation::Silu),
        (5, Activation::Softplus),
    ] {
        let theta = random_vec(&mut s, mlp_param_count(2, h), 0.6);
        let m = Mlp::<2, 32>::from_params(2, h, act, 0.5, &theta).unwrap();
        let reference = PerPoint(&m);
        for _ in 0..4 {
            let n = 1 + s.below(N as u32) as usize;
            let n = if n % tinyebm::mlp::LANES == 0 {
                n - 1
            } else {
                n
            }
            .max(1);
            let pos = random_vec(&mut s, N * 2, 1.5);
            let w = Walkers::<N, 2>::from_positions(&m, N, 0, &pos).unwrap();
            let x = w.positions_soa();
            let weights: [f32; N] = core::array::from_fn(|_| s.uniform() - 0.5);
            let p = m.num_params();
            let (mut a, mut b) = (random_vec(&mut s, p, 1.0), vec![0f32; p]);
            b.copy_from_slice(&a);
            m.accumulate_param_grad_batch(x, n, &weights, &mut a)
                .unwrap();
            reference
                .accumulate_param_grad_batch(x, n, &weights, &mut b)
                .unwrap();
            assert_eq!(bits(&a), bits(&b), "h {h}, n {n}");
            let seen = [each_bits(&m, x, n), each_bits(&reference, x, n)];
            assert_eq!(seen[0].len(), n);
            assert_eq!(seen[0], seen[1], "h {h}, n {n}");
        }
    }
}

#[test]
fn set_params_is_all_or_nothing() {
    let mut m = Mlp::<2, 4>::init(2, 4, Activation::Tanh, 0.5, 9).unwrap();
    let before = m.clone();
    let mut bad = vec![0.1f32; m.num_params()];
    bad[7] = f32::NAN;
    assert!(m.set_params(&bad).is_err());
    assert!(m.set_params(&bad[..5]).is_err());
    assert_eq!(m, before);

    let mut g = Gaussian::<2>::full(&[0.0, 0.0], &[2.0, 0.5, 0.5, 1.0]).unwrap();
    let before = g.clone();
    // μ, then the lower triangle (P00, P10, P11): not positive definite.
    assert!(g.set_params(&[0.0, 0.0, 1.0, 3.0, 1.0]).is_err());
    assert_eq!(g, before);
    assert!(
        Gaussian::<2>::full(&[0.0, 0.0], &[1.0, 0.5, 0.4, 1.0]).is_err(),
        "asymmetric"
    );
    assert!(Gaussian::<2>::diagonal(&[0.0, 0.0], &[1.0, 0.0]).is_err());
    assert!(Gaussian::<2>::standard(3).is_err());
    assert!(Mixture::<2, 1>::new(&[0.5, -0.5], &[0.0, 1.0], &[1.0, 1.0]).is_err());
    assert!(Mixture::<2, 1>::new(&[0.5, 0.5], &[0.0, 1.0], &[1.0, 0.0]).is_err());
    assert!(Mixture::<1, 1>::new(&[0.5, 0.5], &[0.0, 1.0], &[1.0, 1.0]).is_err());
    assert!(Mlp::<2, 4>::zeros(2, 5, Activation::Tanh, 0.5).is_err());
    assert!(Mlp::<2, 4>::zeros(2, 4, Activation::Tanh, 0.0).is_err());
}

#[test]
fn wrong_lengths_are_errors_not_panics() {
    use tinyebm::EvalError::WrongLength;
    let m = Mlp::<2, 4>::init(2, 4, Activation::Tanh, 0.5, 9).unwrap();
    let mut g3 = [0f32; 3];
    assert_eq!(m.value(&[0.0; 3]), Err(WrongLength));
    assert_eq!(m.value_grad(&[0.0; 2], &mut g3), Err(WrongLength));
    let mut small = [0f32; 3];
    assert_eq!(
        m.accumulate_param_grad(&[0.0; 2], 1.0, &mut small),
        Err(WrongLength)
    );
    assert!(m.params(&mut small).is_err());
    let g = Gaussian::<2>::standard(2).unwrap();
    assert_eq!(g.value(&[0.0]), Err(WrongLength));
    let p = Polynomial::<1, 5>::double_well(1.0).unwrap();
    assert_eq!(p.value(&[0.0, 1.0]), Err(WrongLength));
    let x = Mixture::review_example();
    assert_eq!(x.value_grad(&[0.0], &mut g3), Err(WrongLength));
}

/// The MLP's batched θ-gradients refuse a buffer shorter than the parameter
/// count before touching anything, whatever the number of points (with 0
/// points an unchecked call would have "succeeded").
#[test]
fn mlp_batched_param_grads_refuse_a_short_buffer() {
    let net = Mlp::<2, 8>::init(2, 8, Activation::Tanh, 0.5, 3).unwrap();
    let p = net.num_params();
    let x = [[0.1f32; 4], [-0.2f32; 4]];
    let coef = [0.25f32; 4];
    for n in [0, 1, 4] {
        let mut short = vec![0f32; p - 1];
        let e = net.accumulate_param_grad_batch(&x, n, &coef, &mut short);
        assert_eq!(e, Err((0, tinyebm::EvalError::WrongLength)), "n = {n}");
        assert!(short.iter().all(|&v| v == 0.0));
        let mut calls = 0;
        let e = net.param_grad_each(&x, n, &mut short, |_, _, _| {
            calls += 1;
            true
        });
        assert_eq!(e, Err((0, tinyebm::EvalError::WrongLength)), "n = {n}");
        assert_eq!(calls, 0);
        let mut exact = vec![0f32; p];
        assert!(
            net.accumulate_param_grad_batch(&x, n, &coef, &mut exact)
                .is_ok()
        );
        assert!(
            net.param_grad_each(&x, n, &mut exact, |_, _, _| true)
                .is_ok()
        );
    }
}
