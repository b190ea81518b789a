#![allow(clippy::needless_range_loop)]
//! HMC beyond its moments (those are in kernels.rs): invalid trajectories,
//! determinism, configuration errors, step-size adaptation.

mod common;
use common::*;
use tinyebm::{
    Energy, Error, EvalError, Gaussian, Hmc, Kernel, Sampler, Walkers, adapt::HMC_TARGET,
};

/// U = x²/2, but the energy declines (returns an error code) on the band
/// 0.5 < x < 1.5 while its gradient there stays finite. A trajectory that
/// passes through the band is invalid even if it ends outside.
fn banded() -> impl Energy {
    TryFnEnergy::<_, 1>(|x: &[f32], g: &mut [f32]| {
        g[0] = x[0];
        if x[0] > 0.5 && x[0] < 1.5 {
            return Err(EvalError::Declined(7));
        }
        Ok(0.5 * x[0] * x[0])
    })
}

/// With ε = 0.1 a leapfrog drift moves at most ε·|p| (< 0.6 for the momenta
/// and energies here), less than the band's width 1, so every trajectory
/// from x < 0.5 to x > 1.5 evaluates a point inside it. Without the band,
/// trajectories of length εL = 3 from x ≈ −1 reach x > 1.5 often.
#[test]
fn a_trajectory_through_an_invalid_region_is_rejected() {
    let e = banded();
    const M: usize = 64;
    let w = Walkers::<M, 1>::gaussian(&e, M, 1, &[-1.0], 0.2).unwrap();
    let mut s = Sampler::new(Hmc::<1>::new(0.1, 30).unwrap(), w);
    let mut invalid = 0;
    for _ in 0..300 {
        invalid += s.step(&e).unwrap().invalid;
        let x = &s.walkers().positions_soa()[0][..M];
        assert!(x.iter().all(|&v| v <= 0.5), "a walker crossed the band");
    }
    assert!(invalid > 1000, "the band was hardly ever hit ({invalid})");

    // Control: on plain U = x²/2 the same kernel does cross.
    let g = Gaussian::<1>::standard(1).unwrap();
    let w = Walkers::<M, 1>::gaussian(&g, M, 1, &[-1.0], 0.2).unwrap();
    let mut s = Sampler::new(Hmc::<1>::new(0.1, 30).unwrap(), w);
    s.run(&g, 300).unwrap();
    assert!(s.walkers().positions_soa()[0][..M].iter().any(|&v| v > 1.5));
}

/// A NaN gradient (finite U) anywhere on the trajectory is a rejection too.
#[test]
fn nan_gradient_on_the_trajectory_is_rejected() {
    let e = tinyebm::FnEnergy::new(1, |x: &[f32], g: &mut [f32]| {
        g[0] = if x[0] > 1.0 { f32::NAN } else { x[0] };
        0.5 * x[0] * x[0]
    });
    let w = Walkers::<32, 1>::gaussian(&e, 32, 2, &[0.0], 0.3).unwrap();
    let mut s = Sampler::new(Hmc::<1>::new(0.2, 10).unwrap(), w);
    let invalid = invalid_before_wall(&mut s, &e, 300, 1.0);
    assert!(invalid > 100, "{invalid}");
}

fn run_bits(seed: u64, n: usize) -> Vec<u32> {
    let e = Gaussian::<2>::from_covariance(&[0.0, 1.0], &[1.0, 0.5, 0.5, 2.0]).unwrap();
    let w = Walkers::<16, 2>::gaussian(&e, n, seed, &[0.0, 0.0], 1.0).unwrap();
    let k = Hmc::<2>::new(0.3, 5)
        .unwrap()
        .with_diagonal_mass(&[1.0, 0.5])
        .unwrap();
    bits_after(&k, &e, 0.7, 100, w)
}

/// Same seed, same bits; and walker w's trajectory does not depend on how
/// many walkers integrate alongside it (momenta come from its own stream).
#[test]
fn deterministic_and_independent_of_ensemble_size() {
    assert_eq!(run_bits(3, 16), run_bits(3, 16));
    assert_ne!(run_bits(3, 16), run_bits(4, 16));
    let all = run_bits(5, 16);
    let few = run_bits(5, 3);
    assert_eq!(all[..6], few[..6]);
}

/// Steps `w` with `k`, which must refuse; returns the error after checking
/// the walkers are as they were.
fn refusal<K: Kernel>(k: &K, e: &impl Energy, w: &mut Walkers<8, 2>) -> Error {
    let before = w.clone();
    let err = k.step(e, 1.0, w).unwrap_err();
    assert!(*w == before);
    err
}

#[test]
fn mass_of_the_wrong_size_changes_nothing() {
    let e = Gaussian::<2>::standard(2).unwrap();
    let mut w = Walkers::<8, 2>::gaussian(&e, 8, 1, &[0.0, 0.0], 1.0).unwrap();
    let k = Hmc::<2>::new(0.3, 5)
        .unwrap()
        .with_diagonal_mass(&[1.0])
        .unwrap();
    let small = Hmc::<1>::new(0.3, 5).unwrap();
    assert_eq!(
        [refusal(&k, &e, &mut w), refusal(&small, &e, &mut w)],
        [
            Error::DimensionMismatch {
                expected: 1,
                found: 2
            },
            Error::CapacityExceeded {
                requested: 2,
                capacity: 1
            }
        ]
    );
    let mut k = k.with_identity_mass();
    k.step(&e, 1.0, &mut w).unwrap();
    assert!(k.set_step_size(0.0).is_err() && k.set_leapfrog_steps(0).is_err());
    assert_eq!(k.step_size(), 0.3);
    assert_eq!(k.leapfrog_steps(), 5);
}

/// Dual averaging through `set_step_size`, from a step 30× too small. What
/// it guarantees is that the running mean of (target − acceptance) goes to
/// 0: the acceptance over the second half of adaptation must be within 0.03
/// of the target (its Monte Carlo SE is < 0.005). With fixed L the acceptance
/// is steep and non-monotone in ε near the stability limit (measured: 0.94 at
/// ε = 0.4, 0.99 at 0.5, 0.78 at 0.76, 0.56 at 0.8), so the frozen averaged
/// step is only required to land in a broad band around the target.
#[test]
fn adaptation_reaches_the_hmc_target() {
    let e = Gaussian::<2>::from_covariance(&[1.0, -2.0], &[1.0, 0.8, 0.8, 1.0]).unwrap();
    let w = Walkers::<64, 2>::gaussian(&e, 64, 3, &[1.0, -2.0], 1.0).unwrap();
    let mut s = Sampler::new(Hmc::<2>::new(0.01, 8).unwrap(), w);
    s.start_adaptation(HMC_TARGET).unwrap();
    let mut during = Vec::new();
    for t in 0..2000 {
        let a = s.step(&e).unwrap().mean_accept_prob as f64;
        if t >= 1000 {
            during.push(a);
        }
    }
    let (acc, se) = mean_and_se(&during);
    eprintln!("acceptance while adapting {acc:.3} ± {se:.3} (target {HMC_TARGET})");
    assert!((acc - HMC_TARGET as f64).abs() < 0.03);
    s.freeze_step_size().unwrap();
    let mut after = Vec::new();
    for _ in 0..2000 {
        after.push(s.step(&e).unwrap().mean_accept_prob as f64);
    }
    let (acc, se) = mean_and_se(&after);
    eprintln!(
        "frozen ε = {:.3}, acceptance {acc:.3} ± {se:.3}",
        s.kernel().step_size()
    );
    assert!((acc - HMC_TARGET as f64).abs() < 0.15);
}

/// The temperature scales the force: with H = βU + K on U = x²/2, the
/// substitution x' = √β·x turns HMC at (β, ε) into HMC at (1, ε√β) with the
/// same momenta. For β = 4 every rescaling is by a power of two, exact in
/// floating point, so the two chains must agree bit for bit (x' = 2x).
/// (Dropping β from the force would still sample exactly — any leapfrog map
/// is volume-preserving and reversible — but would integrate the wrong
/// dynamics; this pins them down.)
#[test]
fn temperature_scales_the_force() {
    let e = tinyebm::FnEnergy::new(1, |x: &[f32], g: &mut [f32]| {
        g[0] = x[0];
        0.5 * x[0] * x[0]
    });
    const M: usize = 32;
    let start: Vec<f32> = (0..M).map(|i| -1.5 + 0.1 * i as f32).collect();
    let wide: Vec<f32> = start.iter().map(|x| 2.0 * x).collect();
    let mut cold = Walkers::<M, 1>::from_positions(&e, M, 9, &start).unwrap();
    let mut unit = Walkers::<M, 1>::from_positions(&e, M, 9, &wide).unwrap();
    let (k4, k1) = (
        Hmc::<1>::new(0.3, 7).unwrap(),
        Hmc::<1>::new(0.6, 7).unwrap(),
    );
    let mut accepted = 0;
    for _ in 0..200 {
        accepted += k4.step(&e, 4.0, &mut cold).unwrap().accepted;
        k1.step(&e, 1.0, &mut unit).unwrap();
        for i in 0..M {
            assert_eq!(2.0 * cold.coord(i, 0), unit.coord(i, 0), "walker {i}");
        }
    }
    assert!(accepted > 0 && accepted < 200 * M, "{accepted}");
}
