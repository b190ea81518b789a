#![allow(clippy::needless_range_loop)]
//! Reproducibility and bad input: every refusal is an `Err`, never a panic,
//! and leaves the object exactly as it was.

mod common;
use common::{bits_after, invalid_before_wall};
use tinyebm::{
    Activation, AnyKernel, Energy, Error, EvalError, FnEnergy, Gaussian, Kernel, Mala, Mlp, Rwmh,
    Sampler, Ula, Walkers,
};

fn mlp() -> Mlp<2, 8> {
    Mlp::init(2, 8, Activation::Tanh, 0.5, 3).unwrap()
}

fn run_bits<K: Kernel + Copy>(k: K, seed: u64, n: usize) -> Vec<u32> {
    let e = mlp();
    let w = Walkers::<16, 2>::gaussian(&e, n, seed, &[0.0, 0.0], 1.0).unwrap();
    bits_after(&k, &e, 1.0, 200, w)
}

#[test]
fn same_seed_same_bits_different_seed_different_bits() {
    for k in [
        AnyKernel::<2>::Mala(Mala::new(0.1).unwrap()),
        AnyKernel::Ula(Ula::new(0.05).unwrap()),
        AnyKernel::Rwmh(Rwmh::new(0.5).unwrap()),
    ] {
        assert_eq!(run_bits(k, 7, 16), run_bits(k, 7, 16), "{k:?}");
        assert_ne!(run_bits(k, 7, 16), run_bits(k, 8, 16), "{k:?}");
    }
}

/// Each walker owns its stream: walker w's trajectory does not depend on how
/// many other walkers share the ensemble (nor on batching).
#[test]
fn walker_trajectories_do_not_depend_on_ensemble_size() {
    let k = Mala::new(0.1).unwrap();
    let all = run_bits(k, 5, 16);
    let few = run_bits(k, 5, 3);
    for w in 0..3 {
        assert_eq!(all[2 * w..2 * w + 2], few[2 * w..2 * w + 2]);
    }
}

#[test]
fn construction_errors() {
    let e = mlp();
    type W = Walkers<4, 2>;
    assert_eq!(
        W::gaussian(&e, 5, 0, &[0.0, 0.0], 1.0).unwrap_err(),
        Error::CapacityExceeded {
            requested: 5,
            capacity: 4
        }
    );
    assert_eq!(
        W::gaussian(&e, 0, 0, &[0.0, 0.0], 1.0).unwrap_err(),
        Error::Empty
    );
    assert!(matches!(
        W::gaussian(&e, 2, 0, &[0.0], 1.0),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(W::gaussian(&e, 2, 0, &[0.0, 0.0], f32::NAN).is_err());
    assert!(W::gaussian(&e, 2, 0, &[f32::INFINITY, 0.0], 1.0).is_err());
    assert!(matches!(
        W::from_positions(&e, 2, 0, &[0.0; 3]),
        Err(Error::DimensionMismatch { .. })
    ));
    let big = Mlp::<3, 2>::init(3, 2, Activation::Tanh, 0.5, 1).unwrap();
    assert!(matches!(
        W::gaussian(&big, 2, 0, &[0.0; 3], 1.0),
        Err(Error::CapacityExceeded { .. })
    ));
    assert!(Mala::new(0.0).is_err());
    assert!(Mala::new(-1.0).is_err());
    assert!(Ula::new(f32::NAN).is_err());
    assert!(Rwmh::new(f32::INFINITY).is_err());
}

/// U is NaN for x > 1 (say, outside a simulator's valid domain).
fn walled() -> impl Energy {
    FnEnergy::new(1, |x: &[f32], g: &mut [f32]| {
        if x[0] > 1.0 {
            g[0] = f32::NAN;
            return f32::NAN;
        }
        g[0] = x[0];
        0.5 * x[0] * x[0]
    })
}

#[test]
fn non_finite_start_is_refused_and_in_place_init_is_atomic() {
    let e = walled();
    assert_eq!(
        Walkers::<4, 1>::from_positions(&e, 2, 0, &[0.0, 2.0]).unwrap_err(),
        Error::NonFinite { walker: 1 }
    );
    let mut w = Walkers::<4, 1>::from_positions(&e, 2, 0, &[0.0, 0.5]).unwrap();
    let before = w.clone();
    assert!(w.init_positions(&e, 3, 9, &[0.1, 0.2, 5.0]).is_err());
    assert!(w == before);
}

#[test]
fn mala_and_mh_reject_non_finite_proposals() {
    let e = walled();
    for k in [
        AnyKernel::<1>::Mala(Mala::new(0.5).unwrap()),
        AnyKernel::Rwmh(Rwmh::new(1.0).unwrap()),
    ] {
        let w = Walkers::<32, 1>::gaussian(&e, 32, 1, &[0.0], 0.2).unwrap();
        let mut s = Sampler::new(k, w);
        let invalid = invalid_before_wall(&mut s, &e, 500, 1.0);
        assert!(invalid > 100, "{k:?}: the wall was never hit ({invalid})");
    }
}

#[test]
fn ula_reports_non_finite_and_changes_nothing() {
    let e = walled();
    let mut w = Walkers::<8, 1>::gaussian(&e, 8, 2, &[0.0], 0.1).unwrap();
    let k = Ula::new(0.8).unwrap();
    let mut hit = None;
    for step in 0..10_000 {
        let before = w.clone();
        match k.step(&e, 1.0, &mut w) {
            Ok(_) => {}
            Err(err) => {
                assert!(matches!(err, Error::NonFinite { .. }), "{err:?}");
                assert!(w == before, "state changed after an error");
                hit = Some(step);
                break;
            }
        }
    }
    assert!(hit.is_some(), "ULA never proposed into the wall");
    // Same call again gives the same error: nothing (not even the streams) advanced.
    let again = w.clone();
    assert!(k.step(&e, 1.0, &mut w).is_err());
    assert!(w == again);
}

/// A user energy that declines (a C callback returning non-zero).
struct Declines;
impl Energy for Declines {
    fn dim(&self) -> usize {
        1
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        if x[0] < -1.0 {
            Err(EvalError::Declined(7))
        } else {
            Ok(0.5 * x[0] * x[0])
        }
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, EvalError> {
        g[0] = x[0];
        self.value(x)
    }
}

#[test]
fn declined_evaluations_reject_or_report_the_code() {
    let e = Declines;
    let mut w = Walkers::<16, 1>::gaussian(&e, 16, 3, &[0.0], 0.1).unwrap();
    let m = Mala::new(1.0).unwrap();
    let mut invalid = 0;
    for _ in 0..300 {
        invalid += m.step(&e, 1.0, &mut w).unwrap().invalid;
    }
    assert!(invalid > 0);
    assert!(w.positions_soa()[0][..16].iter().all(|&x| x >= -1.0));
    let u = Ula::new(1.0).unwrap();
    let err = (0..10_000)
        .find_map(|_| u.step(&e, 1.0, &mut w).err())
        .unwrap();
    assert!(
        matches!(err, Error::EnergyDeclined { code: 7, .. }),
        "{err:?}"
    );
    assert_eq!(
        Walkers::<4, 1>::from_positions(&e, 1, 0, &[-3.0]).unwrap_err(),
        Error::EnergyDeclined { walker: 0, code: 7 }
    );
}

#[test]
fn finite_energy_with_nan_gradient_is_rejected_by_mala() {
    let e = FnEnergy::new(1, |x: &[f32], g: &mut [f32]| {
        g[0] = if x[0] > 0.5 { f32::NAN } else { x[0] };
        0.5 * x[0] * x[0]
    });
    let mut w = Walkers::<16, 1>::gaussian(&e, 16, 4, &[0.0], 0.1).unwrap();
    let m = Mala::new(0.5).unwrap();
    for _ in 0..300 {
        m.step(&e, 1.0, &mut w).unwrap();
    }
    assert!(w.positions_soa()[0][..16].iter().all(|&x| x <= 0.5));
}

#[test]
fn bad_step_arguments_change_nothing() {
    let e = mlp();
    let mut w = Walkers::<4, 2>::gaussian(&e, 4, 0, &[0.0, 0.0], 1.0).unwrap();
    let before = w.clone();
    let k = Mala::new(0.1).unwrap();
    for beta in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        assert!(k.step(&e, beta, &mut w).is_err());
    }
    let other = Gaussian::<2>::standard(1).unwrap();
    assert!(matches!(
        k.step(&other, 1.0, &mut w),
        Err(Error::DimensionMismatch { .. })
    ));
    let mut empty = Walkers::<4, 2>::empty();
    assert_eq!(k.step(&e, 1.0, &mut empty).unwrap_err(), Error::Empty);
    assert!(w == before);
    let mut s = Sampler::new(k, w.clone());
    assert!(s.set_beta(0.0).is_err());
    assert!(s.kernel_mut().set_step_size(-0.1).is_err());
    assert_eq!(s.kernel().step_size(), 0.1);
    assert!(s.start_adaptation(1.5).is_err());
}

/// After the energy's parameters change, cached values are refreshed before
/// the next step; a refresh that fails leaves everything as it was.
#[test]
fn invalidate_refreshes_and_failed_refresh_is_atomic() {
    use tinyebm::Trainable;
    let mut e = mlp();
    let mut w = Walkers::<8, 2>::gaussian(&e, 8, 6, &[0.0, 0.0], 1.0).unwrap();
    let mut theta = vec![0f32; e.num_params()];
    e.params(&mut theta).unwrap();
    theta.iter_mut().for_each(|t| *t *= 1.5);
    e.set_params(&theta).unwrap();
    w.invalidate();
    w.refresh(&e, true).unwrap();
    for k in 0..8 {
        let x = [w.coord(k, 0), w.coord(k, 1)];
        assert_eq!(w.energies()[k].to_bits(), e.value(&x).unwrap().to_bits());
    }
    w.invalidate();
    let before = w.clone();
    assert!(w.refresh(&walled_2d(), true).is_err());
    assert!(w == before);
}

fn walled_2d() -> impl Energy {
    FnEnergy::new(2, |_x: &[f32], g: &mut [f32]| {
        g.fill(0.0);
        f32::NAN
    })
}

#[test]
fn negative_phase_advance_sums_steps() {
    use tinyebm::NegativePhase;
    let e = mlp();
    let w = Walkers::<8, 2>::gaussian(&e, 8, 1, &[0.0, 0.0], 1.0).unwrap();
    let mut s = Sampler::new(Mala::new(0.1).unwrap(), w);
    let mut reference = s.clone();
    let total = s.advance(&e, 5).unwrap();
    let mut probs = 0.0;
    let mut acc = 0;
    for _ in 0..5 {
        let r = reference.step(&e).unwrap();
        probs += r.mean_accept_prob;
        acc += r.accepted;
    }
    assert_eq!(total.proposed, 40);
    assert_eq!(total.accepted, acc);
    assert!((total.mean_accept_prob - probs / 5.0).abs() < 1e-6);
    assert!(s.samples() == reference.walkers());
}

/// The in-place re-initialisers give the same object as the constructors,
/// and a sampler re-initialised in place then runs bit for bit like a new one.
#[test]
fn in_place_reinit_equals_construction() {
    let e = mlp();
    let mala = Mala::new(0.1).unwrap();
    let mut used = Sampler::new(
        AnyKernel::<2>::Rwmh(Rwmh::new(0.5).unwrap()),
        Walkers::<16, 2>::gaussian(&e, 9, 3, &[0.5, 0.0], 1.0).unwrap(),
    );
    used.set_beta(2.0).unwrap();
    used.start_adaptation(0.5).unwrap();
    used.run(&e, 20).unwrap();

    let mut w = used.walkers().clone();
    w.reset();
    assert!(w == Walkers::empty());
    assert_eq!((w.len(), w.dim(), w.steps()), (0, 0, 0));

    let mut d = used.diagnostics().clone();
    assert!(d.draws() > 0);
    d.reset();
    let fresh = tinyebm::Diagnostics::<16, 2>::new();
    assert_eq!(d.draws(), 0);
    assert_eq!(format!("{d:?}"), format!("{fresh:?}"));

    used.reinit(AnyKernel::Mala(mala));
    assert!(!used.is_adapting());
    assert_eq!(used.beta(), 1.0);
    assert_eq!(used.diagnostics().draws(), 0);
    assert!(*used.walkers() == Walkers::empty());
    let mut new = Sampler::new(AnyKernel::Mala(mala), Walkers::<16, 2>::empty());
    for s in [&mut used, &mut new] {
        s.walkers_mut()
            .init_gaussian(&e, 16, 11, &[0.0, 0.0], 1.0)
            .unwrap();
        s.run(&e, 30).unwrap();
    }
    assert!(used.walkers() == new.walkers());
    assert_eq!(
        format!("{:?}", used.diagnostics()),
        format!("{:?}", new.diagnostics())
    );
}

/// Values that make a sampler useless are refused when configured (issue:
/// an HMC mass of 1e-45 rejected every proposal; a mixture σ ≤ 1e-20 made
/// the energy non-finite everywhere), with the limits at the documented
/// bounds accepted.
#[test]
fn useless_masses_and_scales_are_refused_at_configuration() {
    use tinyebm::hmc::{MAX_MASS, MIN_MASS};
    use tinyebm::mixture::{MAX_SIGMA, MIN_SIGMA};
    let h = tinyebm::Hmc::<1>::new(0.1, 3).unwrap();
    for bad in [1e-45f32, 1e-21, 1e21, f32::MAX] {
        assert!(h.with_diagonal_mass(&[bad]).is_err(), "mass {bad}");
    }
    for ok in [MIN_MASS, 1.0, MAX_MASS] {
        assert!(h.with_diagonal_mass(&[ok]).is_ok(), "mass {ok}");
    }
    for bad in [1e-20f32, 1e-16, 1e16] {
        let r = tinyebm::Mixture::<1, 1>::new(&[1.0], &[0.0], &[bad]);
        assert!(r.is_err(), "sigma {bad}");
    }
    for ok in [MIN_SIGMA, 1.0, MAX_SIGMA] {
        let m = tinyebm::Mixture::<1, 1>::new(&[1.0], &[0.0], &[ok]).unwrap();
        // At the smallest σ the energy and its gradient are still finite
        // near the mean.
        let mut g = [0f32];
        let u = m.value_grad(&[ok], &mut g).unwrap();
        assert!(
            u.is_finite() && g[0].is_finite(),
            "sigma {ok}: U {u}, grad {}",
            g[0]
        );
    }
}
