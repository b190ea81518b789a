//! Property tests: the public functions that take an index, a size or a
//! count, called with arbitrary values (0, 1, usize::MAX, huge, in range),
//! never panic, hang or overflow, except the documented panics of plain
//! index accessors (crate docs, "Panics"), which happen exactly when the
//! index is outside the size in use. The test profile has overflow checks
//! on, so an arithmetic overflow would be a panic here.

#[path = "common/no_panic.rs"]
mod no_panic;
use no_panic::{panics, size};

use proptest::prelude::*;
use tinyebm::{
    Activation, Diagnostics, Evals, Gaussian, Mixture, Mlp, Polynomial, ReplicaExchange, Sampler,
    Stream, Ula, Walkers, checked_mlp_param_count, checked_num_monomials, mlp_param_count,
    num_monomials, peek,
};

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

    #[test]
    fn size_helpers_are_total(d in size(), p in size()) {
        let m = checked_num_monomials(d, p);
        prop_assert_eq!(num_monomials(d, p), m.unwrap_or(0));
        if let Some(m) = m {
            prop_assert!(m >= 1);
            prop_assert_eq!(checked_num_monomials(p, d), Some(m));
        }
        let c = checked_mlp_param_count(d, p);
        prop_assert_eq!(mlp_param_count(d, p), c.unwrap_or(0));
    }

    #[test]
    fn constructors_refuse_sizes(d in size(), h in size(), n in size(), k in size()) {

        prop_assert!(!panics(|| Gaussian::<3>::standard(d)));
        prop_assert!(!panics(|| Polynomial::<2, 16>::new(d, h, &[0.0; 4])));
        prop_assert!(!panics(|| Mlp::<2, 4>::init(d, h, Activation::Tanh, 0.5, 1)));
        prop_assert!(!panics(|| Mlp::<2, 4>::zeros(d, h, Activation::Tanh, 0.5)));
        let g = Gaussian::<2>::standard(2).unwrap();
        prop_assert!(!panics(|| Walkers::<4, 2>::gaussian(&g, n, 1, &[0.0, 0.0], 1.0)));
        let means = vec![0.0f32; (k % 9) * (d % 3)];
        let sig = vec![1.0f32; means.len()];
        let w = vec![1.0f32; k % 9];
        prop_assert!(!panics(|| Mixture::<4, 2>::new(&w, &means, &sig)));
    }

    #[test]
    fn walker_indices(w in size(), i in size(), len in size()) {

        let g = Gaussian::<2>::standard(2).unwrap();
        let mut ws = Walkers::<4, 2>::gaussian(&g, 3, 1, &[0.0, 0.0], 1.0).unwrap();
        let mut out = vec![0f32; len % 5];
        prop_assert!(!panics(|| ws.position(w, &mut out)));
        let ok = w < 3 && out.len() >= 2;
        prop_assert_eq!(ws.position(w, &mut out).is_ok(), ok);
        let pos = vec![0.5f32; len % 5];
        prop_assert!(!panics(|| ws.clone().set_position(&g, w, &pos)));
        prop_assert_eq!(ws.set_position(&g, w, &pos).is_ok(), w < 3 && pos.len() == 2);
        let mut all = vec![0f32; len % 10];
        prop_assert!(!panics(|| ws.positions(&mut all)));
        // Documented panics: exactly outside the size in use.
        let inside = w < 3 && i < 2;
        prop_assert_eq!(panics(|| ws.coord(w, i)), !inside);
        prop_assert_eq!(panics(|| ws.grad(w, i)), !inside);
        prop_assert_eq!(panics(|| ws.last_step(w)), w >= 3);
    }

    #[test]
    fn model_indices(c in size(), i in size(), j in size()) {

        let m = Mixture::<4, 2>::new(&[0.5, 0.5], &[0.0, 0.0, 1.0, 1.0], &[1.0; 4]).unwrap();
        prop_assert_eq!(panics(|| m.weight(c)), c >= 2);
        prop_assert_eq!(panics(|| m.mean(c)), c >= 2);
        prop_assert_eq!(panics(|| m.sigma(c, i)), c >= 2 || i >= 2);
        let g = Gaussian::<3>::standard(2).unwrap();
        prop_assert_eq!(panics(|| g.precision(i, j)), i >= 2 || j >= 2);
        let p = Polynomial::<2, 16>::new(2, 2, &[0.0; 6]).unwrap();
        prop_assert_eq!(panics(|| p.exponents(c)), c >= 6);
        let ev = Evals::<4, 2>::new();
        prop_assert_eq!(panics(|| ev.is_valid(c, i, true)), c >= 4 || i > 2);
    }

    #[test]
    fn statistics_and_options_never_panic(i in size(), k in size(), n in any::<u32>()) {
        let g = Gaussian::<2>::standard(2).unwrap();
        let ws = Walkers::<4, 2>::gaussian(&g, 4, 1, &[0.0, 0.0], 1.0).unwrap();
        let mut s = Sampler::new(Ula::new(0.1).unwrap(), ws.clone());
        s.run(&g, 20).unwrap();
        let d: &Diagnostics<4, 2> = s.diagnostics();
        let v = [d.mean(i), d.variance(i), d.ess(i), d.rhat(i)];
        if i >= 2 {
            prop_assert!(v.iter().all(|x| x.is_nan()));
        }
        let _ = (d.min_ess(), d.max_rhat(), d.worst_ess(), d.worst_rhat());
        let re = ReplicaExchange::<Ula, 2, 4, 2>::new(Ula::new(0.1).unwrap(), ws, &[1.0, 0.5], 1)
            .unwrap();
        prop_assert_eq!(re.replica(k).is_some(), k < 2);
        prop_assert_eq!(re.kernel(k).is_some(), k < 2);
        prop_assert_eq!(re.swap_stats(k).is_some(), k < 1);
        prop_assert_eq!(re.last_step(k).is_some(), k < 2);
        let mut st = Stream::new(i as u64, k as u64);
        prop_assert!(st.below(n) < n.max(1));
    }

    #[test]
    fn weight_headers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = peek(&bytes);
    }
}
