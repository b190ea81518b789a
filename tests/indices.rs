//! Index-, size- and count-taking functions under abuse: errors where a
//! `Result` is returned, documented panics for index accessors (like slice
//! indexing), total size helpers (no hang, no overflow, no wrong value).
//! See the crate documentation's "Panics" section.

use tinyebm::{
    Evals, Gaussian, Mixture, Polynomial, Stream, Walkers, checked_mlp_param_count,
    checked_num_monomials, mlp_param_count, num_monomials,
};

fn walkers() -> (Gaussian<2>, Walkers<8, 2>) {
    let g = Gaussian::<2>::standard(2).unwrap();
    let w = Walkers::<8, 2>::gaussian(&g, 4, 1, &[0.0, 0.0], 1.0).unwrap();
    (g, w)
}

/// `w + 1` in the error used to overflow (a panic with overflow checks).
#[test]
fn walker_index_usize_max_is_an_error() {
    let (g, mut w) = walkers();
    let mut out = [0f32; 2];
    assert!(w.position(usize::MAX, &mut out).is_err());
    assert!(w.set_position(&g, usize::MAX, &[0.0, 0.0]).is_err());
    assert!(w.position(4, &mut out).is_err());
}

/// Used to loop 2⁴⁰ times (d = 0) and, at degree usize::MAX, to divide by
/// zero after `k += 1` wrapped.
#[test]
fn num_monomials_is_total_and_exact() {
    assert_eq!(num_monomials(0, 1 << 40), 1);
    assert_eq!(num_monomials(1 << 40, 0), 1);
    assert_eq!(num_monomials(0, usize::MAX), 1);
    assert_eq!(num_monomials(1, usize::MAX), 0);
    assert_eq!(num_monomials(usize::MAX, 1), 0);
    assert_eq!(num_monomials(usize::MAX, usize::MAX), 0);
    assert_eq!(num_monomials(1, 1 << 40), (1 << 40) + 1);
    assert_eq!(num_monomials(2, 3), 10);
    assert_eq!(num_monomials(3, 2), 10);
    // Against C(n, k) in u128, near the usize limit (64-bit: C(67, 33)
    // fits, C(68, 34) does not).
    let binom = |n: u128, k: u128| (1..=k).fold(1u128, |c, i| c * (n - k + i) / i);
    for d in 0..60usize {
        for p in 0..60usize {
            let want = binom((d + p) as u128, p as u128);
            let got = checked_num_monomials(d, p);
            if want <= usize::MAX as u128 {
                assert_eq!(got, Some(want as usize), "C({}, {p})", d + p);
            } else {
                assert_eq!(got, None, "C({}, {p})", d + p);
            }
        }
    }
}

#[test]
fn mlp_param_count_is_total() {
    assert_eq!(mlp_param_count(2, 32), 32 * (2 + 32 + 3) + 1);
    for (d, h) in [
        (usize::MAX, 2),
        (2, usize::MAX),
        (usize::MAX, usize::MAX),
        (1 << 40, 1 << 30),
    ] {
        assert_eq!(mlp_param_count(d, h), 0);
        assert_eq!(checked_mlp_param_count(d, h), None);
    }
    assert_eq!(mlp_param_count(0, 0), 1);
}

/// Used to return 1 (a stale logit of 0 against an LSE of 0 over the
/// components in use… or whatever the unused capacity held).
#[test]
#[should_panic]
fn mixture_weight_out_of_range_panics() {
    let m = Mixture::<4, 1>::new(&[0.5, 0.5], &[0.0, 1.0], &[1.0, 1.0]).unwrap();
    let _ = m.weight(2);
}

#[test]
#[should_panic]
fn mixture_mean_out_of_range_panics() {
    let m = Mixture::<4, 1>::new(&[0.5, 0.5], &[0.0, 1.0], &[1.0, 1.0]).unwrap();
    let _ = m.mean(3);
}

#[test]
#[should_panic]
fn mixture_sigma_out_of_range_panics() {
    let m = Mixture::<4, 2>::new(&[0.5, 0.5], &[0.0, 1.0, 2.0, 3.0], &[1.0; 4]).unwrap();
    let _ = m.sigma(2, 0);
}

#[test]
fn mixture_accessors_in_range() {
    let m = Mixture::<4, 1>::new(&[0.25, 0.75], &[0.0, 1.0], &[1.0, 2.0]).unwrap();
    assert!((m.weight(0) - 0.25).abs() < 1e-6 && (m.weight(1) - 0.75).abs() < 1e-6);
    assert_eq!((m.mean(1), m.sigma(1, 0)), (&[1.0f32][..], 2.0));
}

/// Walker `w` in `len()..N` used to return a stale value.
#[test]
#[should_panic]
fn coord_of_an_unused_walker_panics() {
    let (_, w) = walkers();
    let _ = w.coord(4, 0);
}

#[test]
#[should_panic]
fn grad_of_an_unused_coordinate_panics() {
    let g = Gaussian::<2>::standard(1).unwrap();
    let w = Walkers::<8, 2>::gaussian(&g, 4, 1, &[0.0], 1.0).unwrap();
    let _ = w.grad(0, 1);
}

#[test]
#[should_panic]
fn last_step_of_an_unused_walker_panics() {
    let (_, w) = walkers();
    let _ = w.last_step(5);
}

#[test]
#[should_panic]
fn precision_out_of_range_panics() {
    let g = Gaussian::<3>::standard(2).unwrap();
    let _ = g.precision(2, 0);
}

#[test]
#[should_panic]
fn exponents_out_of_range_panics() {
    let p = Polynomial::<1, 8>::new(1, 2, &[0.0, 0.0, 1.0]).unwrap();
    let _ = p.exponents(3);
}

#[test]
#[should_panic]
fn evals_is_valid_out_of_range_panics() {
    let ev = Evals::<4, 2>::new();
    let _ = ev.is_valid(4, 1, true);
}

/// Used to fail a debug assertion; documented as below(1).
#[test]
fn below_zero_is_zero() {
    let (mut a, mut b) = (Stream::new(1, 2), Stream::new(1, 2));
    assert_eq!(a.below(0), 0);
    assert_eq!(b.below(1), 0);
    assert_eq!(a, b);
}
