//! Property tests (issue 19, item 5) for the public functions added since
//! `tests/api_no_panic.rs` was written: NUTS, preconditioned MALA, AIS
//! (base, schedules, weights, runs), the draw diagnostics and the deep MLP
//! (constructors, parameter counts, accessors). Called with arbitrary
//! sizes, indices and floats (0, 1, usize::MAX, huge, NaN, ±∞, in range)
//! they return `Err` or a value, never panic, hang or overflow (the test
//! profile has overflow checks on), and refuse exactly what their docs
//! refuse.

#[path = "common/no_panic.rs"]
mod no_panic;
use no_panic::{panics, size};

use proptest::prelude::*;
use tinyebm::ais::{WeightStats, pool};
use tinyebm::draws::{rank_diagnostics, scratch_len};
use tinyebm::{
    Activation, Ais, AisConfig, AnnealingSchedule, Base, DeepMlp, Energy, Gaussian, Mala, Nuts,
    PMala, Trainable, checked_deep_mlp_param_count, deep_mlp_param_count,
};

/// Floats: ordinary values, edges and non-finite ones.
fn float() -> impl Strategy<Value = f32> {
    prop_oneof![
        -10f32..10.0,
        Just(0.0f32),
        Just(-0.0f32),
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(f32::MAX),
        Just(f32::MIN_POSITIVE),
        Just(1e-45f32),
        any::<f32>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

    #[test]
    fn nuts_and_pmala_configuration(
        h in float(), depth in size(), jitter in float(), k in size(),
        mass in proptest::collection::vec(float(), 0..6),
    ) {
        prop_assert!(!panics(|| Nuts::<4>::new(h)));
        let ok_h = h.is_finite() && h > 0.0;
        prop_assert_eq!(Nuts::<4>::new(h).is_ok(), ok_h);
        prop_assert_eq!(PMala::<4>::new(h).is_ok(), ok_h);
        let n = Nuts::<4>::new(0.1).unwrap();
        prop_assert!(!panics(|| n.with_max_tree_depth(depth)));
        let d = n.with_max_tree_depth(depth);
        prop_assert_eq!(d.is_ok(), (1..=tinyebm::kernels::nuts::MAX_TREE_DEPTH).contains(&depth));
        if let Ok(d) = d {
            prop_assert_eq!(d.max_tree_depth(), depth);
        }
        prop_assert!(!panics(|| n.with_step_jitter(jitter)));
        if let Ok(j) = n.with_step_jitter(jitter) {
            prop_assert_eq!(j.step_jitter(), jitter);
        }
        prop_assert!(!panics(|| n.with_diagonal_mass(&mass)));
        prop_assert!(!panics(|| PMala::<4>::new(0.1).unwrap().with_diagonal_mass(&mass)));
        let m = n.with_diagonal_mass(&mass);
        let p = PMala::<4>::new(0.1).unwrap().with_diagonal_mass(&mass);
        prop_assert_eq!(m.is_ok(), p.is_ok());
        if mass.is_empty() || mass.len() > 4 {
            prop_assert!(m.is_err());
        }
        let mut out = vec![0f32; k % 8];
        if let Ok(m) = m {
            prop_assert!(!panics(|| m.diagonal_mass(&mut out)));
            let got = m.diagonal_mass(&mut out);
            if out.len() >= mass.len() {
                prop_assert_eq!(got, Some(mass.len()));
            }
        }
        prop_assert!(!panics(|| n.with_identity_mass().diagonal_mass(&mut out)));
    }

    #[test]
    fn ais_bases_schedules_and_weights(
        d in size(), k in size(), steps in size(), inflate in float(), p in float(),
        mean in proptest::collection::vec(float(), 0..6),
        sd in proptest::collection::vec(float(), 0..6),
        a in proptest::collection::vec(float(), 0..6),
    ) {
        prop_assert!(!panics(|| Base::<4>::new(&mean, &sd)));
        prop_assert!(!panics(|| Base::<4>::standard(d)));
        prop_assert_eq!(Base::<4>::standard(d).is_ok(), (1..=4).contains(&d));
        let pts: Vec<f32> = mean.iter().chain(&sd).copied().collect();
        prop_assert!(!panics(|| Base::<4>::fit(&pts, d, inflate)));
        if let Ok(b) = Base::<4>::new(&mean, &sd) {
            prop_assert_eq!(b.dim(), mean.len());
            prop_assert_eq!(b.mean().len(), b.sd().len());
            let _ = b.log_z();
        }
        let custom = [0.25f32, 0.5, 1.0];
        for s in [
            AnnealingSchedule::Linear,
            AnnealingSchedule::Geometric { b_min: p },
            AnnealingSchedule::Sigmoidal { delta: p },
            AnnealingSchedule::Custom(&custom),
            AnnealingSchedule::Custom(&[]),
            AnnealingSchedule::DEFAULT,
        ] {
            prop_assert!(!panics(|| s.len(steps)));
            prop_assert!(!panics(|| s.validate(steps)));
            if s.validate(steps).is_ok() {
                prop_assert!(!panics(|| s.b(k, steps)));
                let b = s.b(k, steps);
                prop_assert!((0.0..=1.0).contains(&b), "b = {}", b);
            }
        }
        prop_assert!(!panics(|| WeightStats::of(&a)));
        prop_assert_eq!(
            WeightStats::of(&a).is_ok(),
            !a.is_empty() && a.iter().all(|v| v.is_finite())
        );
        prop_assert!(pool(&[]).is_err());
    }

    #[test]
    fn ais_runs_refuse_bad_sizes(walkers in size(), steps in size(), moves in size(), beta in float()) {
        let g = Gaussian::<2>::standard(2).unwrap();
        let ais = Ais::<Mala, 8, 2>::new(Mala::new(0.3).unwrap(), Base::standard(2).unwrap());
        let cfg = AisConfig {
            walkers,
            seed: 1,
            beta,
            steps,
            schedule: AnnealingSchedule::Linear,
            moves,
        };
        prop_assert!(!panics(|| ais.check(&g, &cfg)));
        let ok = (1..=8).contains(&walkers) && beta.is_finite() && beta > 0.0 && moves >= 1
            && steps >= 1;
        prop_assert_eq!(ais.check(&g, &cfg).is_ok(), ok);
        // Run only what finishes quickly: the work is steps × moves.
        if ok && steps <= 8 && moves <= 4 {
            let mut ais = ais;
            prop_assert!(!panics(|| ais.run(&g, &cfg)));
        }
    }

    #[test]
    fn draw_diagnostics(chains in size(), draws in size(), k in size(), s in size()) {
        prop_assert!(!panics(|| scratch_len(chains, draws)));
        if let (Some(c2), Some(d2)) = (chains.checked_mul(draws), chains.checked_mul(2)) {
            prop_assert_eq!(scratch_len(chains, draws), c2.checked_mul(2));
            let _ = d2;
        }
        let x: Vec<f32> = (0..k % 40).map(|i| ((i * 7) % 5) as f32).collect();
        let mut scratch = vec![0f64; s % 100];
        prop_assert!(!panics(|| rank_diagnostics(&x, chains, &mut scratch)));
        if chains == 0 {
            prop_assert!(rank_diagnostics(&x, chains, &mut scratch).is_err());
        }
    }

    #[test]
    fn deep_mlp_sizes(
        d in size(), w1 in size(), w2 in size(), layers in 0usize..5, seed in any::<u64>(),
        alpha in float(), t in size(),
    ) {
        let widths: Vec<usize> = [w1, w2, 3, 2].iter().copied().take(layers).collect();
        prop_assert!(!panics(|| checked_deep_mlp_param_count(d, &widths)));
        let c = checked_deep_mlp_param_count(d, &widths);
        prop_assert_eq!(deep_mlp_param_count(d, &widths), c.unwrap_or(0));
        type M = DeepMlp<3, 4, 3>;
        prop_assert!(!panics(|| M::zeros(d, &widths, Activation::Tanh, alpha)));
        prop_assert!(!panics(|| M::init(d, &widths, Activation::Silu, alpha, seed)));
        let theta = vec![0.01f32; t % 64];
        prop_assert!(!panics(|| M::from_params(d, &widths, Activation::Tanh, alpha, &theta)));
        if let Ok(m) = M::init(d, &widths, Activation::Tanh, alpha, seed) {
            prop_assert_eq!(m.widths(), &widths[..]);
            prop_assert_eq!(m.dim(), d);
            prop_assert_eq!(m.num_params(), c.unwrap());
            prop_assert_eq!(m.alpha(), alpha);
            prop_assert_eq!(m.activation(), Activation::Tanh);
        }
    }
}
