//! The kernel registry (`tinyebm::kernels`): every kind builds from one
//! configuration, dispatch through `AnyKernel` gives the bits of the
//! concrete kernel, and the `Kernel` trait is usable from outside the crate.

use tinyebm::{
    AnyKernel, Barker, Energy, Gaussian, Hmc, Kernel, KernelConfig, KernelKind, Mala, Nuts, PMala,
    Proposal, Rwmh, Sampler, Ula, Walkers,
};

const N: usize = 16;
type W = Walkers<N, 2>;

fn target() -> Gaussian<2> {
    Gaussian::<2>::from_covariance(&[0.5, -1.0], &[1.0, 0.6, 0.6, 2.0]).unwrap()
}

fn walkers(e: &Gaussian<2>) -> W {
    W::gaussian(e, N, 3, &[0.0, 0.0], 1.0).unwrap()
}

/// Positions and energies after `steps` steps, as bits.
fn bits<K: Kernel>(k: K, steps: usize) -> Vec<u32> {
    let e = target();
    let mut s = Sampler::new(k, walkers(&e));
    s.run(&e, steps).unwrap();
    let w = s.walkers();
    let mut x = vec![0f32; N * 2];
    w.positions(&mut x).unwrap();
    x.iter().chain(w.energies()).map(|v| v.to_bits()).collect()
}

#[test]
fn every_kind_builds_from_one_config_and_dispatches_to_the_same_bits() {
    let mass = [2.0f32, 0.5];
    for kind in KernelKind::ALL {
        let mut cfg = KernelConfig::new(kind, 0.2);
        cfg.leapfrog_steps = 4;
        cfg.mass = Some(&mass);
        let any = AnyKernel::<2>::from_config(&cfg).unwrap();
        assert_eq!(any.kind(), kind);
        assert_eq!(KernelKind::from_code(kind.code()), Some(kind));
        assert_eq!(kind.default_target().is_none(), kind == KernelKind::Ula);
        let direct = match kind {
            KernelKind::Ula => bits(Ula::new(0.2).unwrap(), 30),
            KernelKind::Mala => bits(Mala::new(0.2).unwrap(), 30),
            KernelKind::Rwmh => bits(Rwmh::new(0.2).unwrap(), 30),
            KernelKind::Hmc => bits(
                Hmc::<2>::new(0.2, 4)
                    .unwrap()
                    .with_diagonal_mass(&mass)
                    .unwrap(),
                30,
            ),
            KernelKind::Barker => bits(Barker::new(0.2).unwrap(), 30),
            KernelKind::Nuts => bits(
                Nuts::<2>::new(0.2)
                    .unwrap()
                    .with_diagonal_mass(&mass)
                    .unwrap(),
                30,
            ),
            KernelKind::PMala => bits(
                PMala::<2>::new(0.2)
                    .unwrap()
                    .with_diagonal_mass(&mass)
                    .unwrap(),
                30,
            ),
        };
        assert_eq!(bits(any, 30), direct, "{kind:?}");
    }
    assert_eq!(KernelKind::from_code(KernelKind::COUNT as u32), None);
}

#[test]
fn configuration_values_are_validated() {
    for kind in KernelKind::ALL {
        for h in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            let r = AnyKernel::<2>::from_config(&KernelConfig::new(kind, h));
            assert!(r.is_err(), "{kind:?} accepted step {h}");
        }
    }
    let mut hmc = KernelConfig::new(KernelKind::Hmc, 0.1);
    hmc.leapfrog_steps = 0;
    assert!(AnyKernel::<2>::from_config(&hmc).is_err());
    hmc.leapfrog_steps = 3;
    hmc.mass = Some(&[1.0, 0.0]);
    assert!(AnyKernel::<2>::from_config(&hmc).is_err());
    hmc.mass = Some(&[1.0, 1.0, 1.0]);
    assert!(
        AnyKernel::<2>::from_config(&hmc).is_err(),
        "mass above capacity"
    );
    hmc.mass = None;
    for j in [1.0, -0.1, f32::NAN] {
        hmc.step_jitter = j;
        assert!(AnyKernel::<2>::from_config(&hmc).is_err(), "jitter {j}");
    }
    let mut nuts = KernelConfig::new(KernelKind::Nuts, 0.1);
    nuts.max_tree_depth = 13;
    assert!(AnyKernel::<2>::from_config(&nuts).is_err());
    nuts.max_tree_depth = 0;
    match AnyKernel::<2>::from_config(&nuts).unwrap() {
        AnyKernel::Nuts(k) => assert_eq!(k.max_tree_depth(), 10),
        other => panic!("{other:?}"),
    }
    nuts.step_jitter = 1.0;
    assert!(AnyKernel::<2>::from_config(&nuts).is_err());
}

/// Jitter 0 (the default) leaves HMC's bits alone; any other value changes
/// them, and jittered HMC still samples the target (its moments).
#[test]
fn hmc_step_jitter() {
    let k = Hmc::<2>::new(0.2, 4).unwrap();
    assert_eq!(bits(k.with_step_jitter(0.0).unwrap(), 30), bits(k, 30));
    assert_ne!(bits(k.with_step_jitter(0.3).unwrap(), 30), bits(k, 30));
    let e = target();
    let mut s = Sampler::new(k.with_step_jitter(0.5).unwrap(), walkers(&e));
    s.run(&e, 300).unwrap();
    s.reset_diagnostics();
    s.run(&e, 3000).unwrap();
    let d = s.diagnostics();
    // Means (0.5, −1) and variances (1, 2) within 5 standard errors from
    // the batch-means ESS (the variance's SE taken as σ²·√(2/ESS)).
    for (i, (m, v)) in [(0.5f64, 1.0f64), (-1.0, 2.0)].into_iter().enumerate() {
        let ess = d.ess(i);
        assert!(ess > 500.0, "{ess}");
        assert!(
            (d.mean(i) - m).abs() < 5.0 * (v / ess).sqrt(),
            "mean {i}: {}",
            d.mean(i)
        );
        assert!(
            (d.variance(i) - v).abs() < 5.0 * v * (2.0 / ess).sqrt(),
            "var {i}: {}",
            d.variance(i)
        );
    }
}

/// A kernel written outside the crate: the random walk again, from the
/// public `Chains` accessors and `Scratch` fields only. It must give
/// exactly `Rwmh`'s bits (same draws, same shared step).
#[derive(Clone, Copy)]
struct OutsideRandomWalk(f32);

impl Kernel for OutsideRandomWalk {
    fn step_size(&self) -> f32 {
        self.0
    }
    fn set_step_size(&mut self, s: f32) -> Result<(), tinyebm::Error> {
        self.0 = s;
        Ok(())
    }
    fn needs_grad(&self) -> bool {
        false
    }
    /// Written from the public API only: walker by walker, its own stream,
    /// its draws laid into the structure-of-arrays proposal.
    fn propose<E: Energy, const M: usize, const D: usize>(&self, p: Proposal<'_, E, M, D>) {
        let Proposal {
            energy,
            chains,
            scratch,
            ..
        } = p;
        let x = chains.positions();
        let mut xi = [0f32; D];
        for (w, stream) in scratch.rng.iter_mut().enumerate().take(chains.len()) {
            let xi = &mut xi[..chains.dim()];
            stream.fill_normal(xi);
            for (i, z) in xi.iter().enumerate() {
                scratch.y[i][w] = x[i][w] + self.0 * z;
            }
        }
        scratch.log_q.fill(0.0);
        energy.eval_batch(&scratch.y, chains.len(), false, &mut scratch.ev);
    }
}

#[test]
fn a_kernel_from_outside_the_crate_uses_the_shared_step() {
    assert_eq!(
        bits(OutsideRandomWalk(0.7), 50),
        bits(Rwmh::new(0.7).unwrap(), 50)
    );
    assert_ne!(
        bits(OutsideRandomWalk(0.7), 50),
        bits(Rwmh::new(0.71).unwrap(), 50)
    );
}

/// Preconditioned MALA with the identity mass is MALA, bit for bit (its
/// per-coordinate scales are exactly 1.0).
#[test]
fn preconditioned_mala_with_the_identity_is_mala() {
    assert_eq!(
        bits(PMala::<2>::new(0.3).unwrap(), 40),
        bits(Mala::new(0.3).unwrap(), 40)
    );
    let ones = PMala::<2>::new(0.3)
        .unwrap()
        .with_diagonal_mass(&[1.0, 1.0])
        .unwrap();
    assert_eq!(bits(ones, 40), bits(Mala::new(0.3).unwrap(), 40));
    assert!(
        PMala::<2>::new(0.3)
            .unwrap()
            .with_diagonal_mass(&[1e-21, 1.0])
            .is_err()
    );
}
