//! Issue 7: the state after any error equals the state before it. For each
//! fallible method of `Walkers`, `Sampler`, the kernels, `ReplicaExchange`,
//! the optimisers and `Persist::decode_into`, every error is provoked and
//! the object compared with a clone taken before the call (`PartialEq`
//! where derived, otherwise the `Debug` text, which prints every field and
//! every float exactly).
//!
//! Already covered elsewhere and not repeated: `Walkers::init_positions`
//! with an infinite energy, `Walkers::refresh`, ULA's non-finite step and
//! `Mala::step` with bad β or shape (tests/robustness.rs); `Pcd::push`,
//! `push_batch` and `update` (tests/pcd.rs: bad data, overflowing update,
//! NaN at new parameters, empty batch); `Mlp::decode_into`
//! (tests/weights.rs).

use tinyebm::{
    Adam, AnyKernel, AnyOptimizer, Energy, Error, FnEnergy, Gaussian, Hmc, Kernel, Mala, Mixture,
    Mlp, Optimizer, Persist, Polynomial, ReplicaExchange, Rwmh, Sampler, Sgd, Ula, Walkers,
    activation::Activation,
};

const BAD: [f32; 6] = [0.0, -0.0, -1.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY];

fn dbg<T: core::fmt::Debug>(t: &T) -> String {
    format!("{t:?}")
}

/// A sampler's state: its walkers (whose `PartialEq` ignores scratch space,
/// which a failed step may write) and the `Debug` text of everything else.
fn sampler_state<K: Kernel + core::fmt::Debug>(s: &Sampler<K, 8, 2>) -> (Walkers<8, 2>, String) {
    let w = s.walkers().clone();
    (w.clone(), dbg(s).replace(&dbg(&w), "<walkers>"))
}

/// The same for replica exchange: every replica compared with `PartialEq`.
fn re_state<K: Kernel + core::fmt::Debug, const R: usize, const D: usize>(
    re: &ReplicaExchange<K, R, 8, D>,
) -> (Vec<Walkers<8, D>>, String) {
    let mut text = dbg(re);
    let mut reps = Vec::new();
    for r in 0..re.replicas() {
        let w = re.replica(r).unwrap().clone();
        text = text.replace(&dbg(&w), "<walkers>");
        reps.push(w);
    }
    (reps, text)
}

fn mlp() -> Mlp<2, 8> {
    Mlp::init(2, 8, Activation::Tanh, 0.5, 3).unwrap()
}

/// Finite for x₀ < 1, NaN beyond (a wall).
fn walled() -> impl Energy {
    FnEnergy::new(2, |x: &[f32], g: &mut [f32]| {
        g[0] = x[0];
        g[1] = x[1];
        if x[0] > 1.0 {
            f32::NAN
        } else {
            0.5 * (x[0] * x[0] + x[1] * x[1])
        }
    })
}

/// Finite everywhere, even at NaN: only the position check can refuse NaN.
fn constant() -> impl Energy {
    FnEnergy::new(2, |_x: &[f32], g: &mut [f32]| {
        g.fill(0.0);
        1.0
    })
}

fn walkers() -> Walkers<8, 2> {
    Walkers::gaussian(&mlp(), 6, 5, &[0.0, 0.0], 1.0).unwrap()
}

#[test]
fn walkers_init_errors_on_live_walkers() {
    let e = mlp();
    let mut w = walkers();
    let before = w.clone();
    let zeros = [0f32; 18];
    assert!(w.init_gaussian(&e, 0, 1, &[0.0, 0.0], 1.0).is_err());
    assert!(w.init_gaussian(&e, 9, 1, &[0.0, 0.0], 1.0).is_err());
    assert!(w.init_gaussian(&e, 4, 1, &[0.0], 1.0).is_err());
    assert!(w.init_gaussian(&e, 4, 1, &[f32::NAN, 0.0], 1.0).is_err());
    for sd in [-1.0, f32::NAN, f32::INFINITY] {
        assert!(w.init_gaussian(&e, 4, 1, &[0.0, 0.0], sd).is_err());
    }
    // Finite centre and sd whose sum overflows: the positions are refused.
    assert_eq!(
        w.init_gaussian(&e, 4, 1, &[f32::MAX, 0.0], f32::MAX)
            .unwrap_err(),
        Error::NonFinite { walker: 0 }
    );
    assert!(w.init_positions(&e, 4, 1, &zeros[..7]).is_err());
    assert!(w.init_positions(&e, 9, 1, &zeros).is_err());
    // NaN positions are refused even by an energy that is finite there.
    let mut p = [0.5f32; 8];
    p[5] = f32::NAN;
    assert_eq!(
        w.init_positions(&constant(), 4, 1, &p).unwrap_err(),
        Error::NonFinite { walker: 2 }
    );
    p[5] = f32::INFINITY;
    assert!(w.init_positions(&constant(), 4, 1, &p).is_err());
    // An energy of another dimension.
    let g3 = Gaussian::<3>::standard(3).unwrap();
    assert!(w.init_gaussian(&g3, 4, 1, &[0.0, 0.0], 1.0).is_err());
    assert!(w == before);
    assert!(Walkers::<8, 2>::from_positions(&constant(), 4, 1, &p).is_err());
}

#[test]
fn walkers_set_position_and_resample_errors() {
    let e = walled();
    let mut w = Walkers::<8, 2>::gaussian(&e, 6, 5, &[-2.0, 0.0], 0.1).unwrap();
    let before = w.clone();
    assert!(w.set_position(&e, 6, &[0.0, 0.0]).is_err()); // walker out of range
    assert!(w.set_position(&e, 0, &[0.0]).is_err()); // short
    assert!(w.set_position(&e, 0, &[0.0, 0.0, 0.0]).is_err()); // long
    assert!(w.set_position(&e, 0, &[2.0, 0.0]).is_err()); // NaN energy
    assert!(w.set_position(&constant(), 0, &[f32::NAN, 0.0]).is_err());
    assert!(
        w.set_position(&constant(), 0, &[0.0, f32::INFINITY])
            .is_err()
    );
    let g3 = Gaussian::<3>::standard(3).unwrap();
    assert!(w.set_position(&g3, 0, &[0.0, 0.0]).is_err());
    assert!(w.resample(&[0, 1, 2, 3, 4]).is_err()); // short
    assert!(w.resample(&[0, 1, 2, 3, 4, 5, 0]).is_err()); // long
    assert!(w.resample(&[0, 1, 2, 3, 4, 6]).is_err()); // index ≥ n
    assert!(w.resample(&[0, 1, 2, 3, 4, usize::MAX]).is_err());
    assert!(w == before);
    let mut empty = Walkers::<8, 2>::empty();
    assert!(empty.resample(&[]).is_ok() || empty == Walkers::<8, 2>::empty());
    assert!(empty.set_position(&e, 0, &[0.0, 0.0]).is_err());
    assert!(empty == Walkers::<8, 2>::empty());
}

/// Every kernel: bad β, an energy of another dimension, empty walkers, a bad
/// step size; nothing changes (walkers or kernel).
#[test]
fn kernel_step_and_set_step_size_errors() {
    let e = mlp();
    let g3 = Gaussian::<3>::standard(3).unwrap();
    let kernels: [AnyKernel<1>; 3] = [
        AnyKernel::Ula(Ula::new(0.1).unwrap()),
        AnyKernel::Mala(Mala::new(0.1).unwrap()),
        AnyKernel::Rwmh(Rwmh::new(0.5).unwrap()),
    ];
    fn check<K: Kernel + Clone + PartialEq + core::fmt::Debug>(
        mut k: K,
        e: &impl Energy,
        g3: &impl Energy,
    ) {
        let mut w = walkers();
        let before = w.clone();
        for beta in BAD {
            assert!(k.step(e, beta, &mut w).is_err(), "{k:?} beta {beta}");
        }
        assert!(matches!(
            k.step(g3, 1.0, &mut w),
            Err(Error::DimensionMismatch { .. })
        ));
        let mut empty = Walkers::<8, 2>::empty();
        assert_eq!(k.step(e, 1.0, &mut empty).unwrap_err(), Error::Empty);
        assert!(empty == Walkers::<8, 2>::empty());
        assert!(w == before, "{k:?}");
        let k0 = k.clone();
        for h in BAD {
            assert!(k.set_step_size(h).is_err());
            assert_eq!(k, k0);
        }
    }
    for k in kernels {
        check(k, &e, &g3);
    }
    check(Ula::new(0.1).unwrap(), &e, &g3);
    check(Rwmh::new(0.1).unwrap(), &e, &g3);
    let hmc = Hmc::<4>::new(0.1, 5).unwrap();
    check(hmc, &e, &g3);
    check(
        Hmc::<4>::new(0.1, 5)
            .unwrap()
            .with_diagonal_mass(&[1.0, 2.0])
            .unwrap(),
        &e,
        &g3,
    );
    let mut h = hmc;
    assert!(h.set_leapfrog_steps(0).is_err());
    assert_eq!(h, hmc);
    // HMC with a mass of another dimension than the walkers.
    let mut w = walkers();
    let before = w.clone();
    let h3 = Hmc::<4>::new(0.1, 5)
        .unwrap()
        .with_diagonal_mass(&[1.0, 2.0, 3.0])
        .unwrap();
    assert!(h3.step(&e, 1.0, &mut w).is_err());
    assert!(w == before);
}

#[test]
fn sampler_errors_change_nothing() {
    let e = mlp();
    let mut s = Sampler::new(Mala::new(0.2).unwrap(), walkers());
    s.start_adaptation(0.574).unwrap();
    s.run(&e, 5).unwrap();
    let before = sampler_state(&s);
    for b in BAD {
        assert!(s.set_beta(b).is_err());
        assert!(s.kernel_mut().set_step_size(b).is_err());
    }
    // A bad target does not end (or restart) the adaptation in progress.
    for t in [0.0, 1.0, -0.5, 1.5, f32::NAN, f32::INFINITY] {
        assert!(s.start_adaptation(t).is_err());
    }
    assert!(s.is_adapting());
    let g3 = Gaussian::<3>::standard(3).unwrap();
    assert!(s.step(&g3,).is_err());
    assert!(s.run(&g3, 3).is_err());
    assert!(sampler_state(&s) == before);

    // ULA stepping into a wall: walkers, adaptation state and diagnostics
    // unchanged (Sampler::step: "on error nothing changes").
    let wall = walled();
    let w = Walkers::<8, 2>::gaussian(&wall, 8, 2, &[0.0, 0.0], 0.1).unwrap();
    let mut s = Sampler::new(Ula::new(0.5).unwrap(), w);
    let mut hit = false;
    for _ in 0..10_000 {
        let before = sampler_state(&s);
        if s.step(&wall).is_err() {
            assert!(sampler_state(&s) == before, "state changed after an error");
            hit = true;
            break;
        }
    }
    assert!(hit, "ULA never stepped into the wall");
}

/// Freezing at an averaged step size that is not a valid step size (it
/// overflows when adaptation starts from the largest float) fails with
/// nothing changed: adaptation continues (found by fuzz/capi).
#[test]
fn failed_freeze_changes_nothing() {
    let e = mlp();
    let mut s = Sampler::new(Mala::new(f32::MAX).unwrap(), walkers());
    s.start_adaptation(0.5).unwrap();
    let before = sampler_state(&s);
    assert!(s.freeze_step_size().is_err(), "expected an overflow");
    assert!(sampler_state(&s) == before);
    assert!(s.is_adapting());
    // After steps the averaged iterate is within bounds again.
    s.run(&e, 20).unwrap();
    s.freeze_step_size().unwrap();
    assert!(!s.is_adapting());

    let w =
        Walkers::<8, 1>::gaussian(&Gaussian::<1>::standard(1).unwrap(), 4, 1, &[0.0], 1.0).unwrap();
    let mut re =
        ReplicaExchange::<Mala, 3, 8, 1>::new(Mala::new(0.5).unwrap(), w, &[1.0, 0.5, 0.25], 7)
            .unwrap();
    re.kernel_mut(2).unwrap().set_step_size(f32::MAX).unwrap();
    re.start_adaptation(0.5).unwrap();
    let before = re_state(&re);
    assert!(re.freeze_step_sizes().is_err());
    assert!(
        re_state(&re) == before,
        "replicas 0 and 1 must not be frozen alone"
    );
    assert!(re.is_adapting());
}

#[test]
fn replica_exchange_errors_change_nothing() {
    let e = Gaussian::<2>::standard(2).unwrap();
    let w = Walkers::<8, 2>::gaussian(&e, 4, 1, &[0.0, 0.0], 1.0).unwrap();
    let mut re =
        ReplicaExchange::<Mala, 4, 8, 2>::new(Mala::new(0.5).unwrap(), w, &[1.0, 0.5, 0.25], 7)
            .unwrap();
    re.run(&e, 3).unwrap();
    let before = re_state(&re);
    for ladder in [
        &[][..],
        &[1.0, 0.5, 0.25, 0.1, 0.05][..],
        &[0.9, 0.5][..],
        &[1.0, 1.0][..],
        &[1.0, 0.5, 0.7][..],
        &[1.0, -0.5][..],
        &[1.0, f32::NAN][..],
        &[1.0, 0.0][..],
    ] {
        assert!(re.set_ladder(ladder).is_err(), "{ladder:?}");
    }
    for t in [0.0, 1.0, f32::NAN] {
        assert!(re.start_adaptation(t).is_err());
    }
    assert!(re.kernel_mut(0).unwrap().set_step_size(f32::NAN).is_err());
    let g3 = Gaussian::<3>::standard(3).unwrap();
    assert!(re.step(&g3).is_err());
    assert!(re.exchange(&g3).is_err());
    assert!(re.run(&g3, 2).is_err());
    assert!(re_state(&re) == before);
    // An energy that is NaN everywhere: MALA rejects, but the first step
    // (new energy) must refresh; a refresh failure changes nothing.
    let nan = FnEnergy::new(2, |_x: &[f32], g: &mut [f32]| {
        g.fill(0.0);
        f32::NAN
    });
    for r in 0..3 {
        re.replica_mut(r).unwrap().invalidate();
    }
    let stale = re_state(&re);
    assert!(re.step(&nan).is_err());
    assert!(re.exchange(&nan).is_err());
    assert!(re_state(&re) == stale);
    re.step(&e).unwrap();
}

#[test]
fn optimiser_errors_change_nothing() {
    fn check<O: Optimizer + Clone + PartialEq + core::fmt::Debug>(mut o: O) {
        let mut theta = [0.5f32, -1.0, 2.0];
        o.step(&mut theta, &[0.1, 0.2, 0.3]).unwrap();
        let (o0, t0) = (o.clone(), theta);
        assert!(o.step(&mut theta[..2], &[0.1, 0.2]).is_err()); // short θ
        assert!(o.step(&mut theta, &[0.1, 0.2]).is_err()); // short gradient
        assert!(o.step(&mut theta, &[0.1, 0.2, 0.3, 0.4]).is_err());
        for g in [f32::NAN, f32::INFINITY] {
            assert!(o.step(&mut theta, &[0.1, g, 0.3]).is_err());
        }
        let mut nan_theta = [0.5, f32::NAN, 2.0];
        assert!(o.step(&mut nan_theta, &[0.1, 0.2, 0.3]).is_err());
        assert!(nan_theta[0] == 0.5 && nan_theta[1].is_nan() && nan_theta[2] == 2.0);
        for lr in [-1.0, f32::NAN, f32::INFINITY] {
            assert!(o.set_learning_rate(lr).is_err());
        }
        assert_eq!((&o, theta), (&o0, t0));
        // An update that overflows: refused, θ and state unchanged.
        let mut big = o.clone();
        big.set_learning_rate(f32::MAX).unwrap();
        let big0 = big.clone();
        let mut t = [f32::MAX / 2.0, 0.0, -f32::MAX / 2.0];
        let t1 = t;
        let r = big.step(&mut t, &[-1e30, 1e30, 1e30]);
        assert!(r.is_err(), "{big:?}");
        assert_eq!((&big, t), (&big0, t1));
        let mut out = [0f32; 3];
        assert!(big.preview(&t, &[-1e30, 1e30, 1e30], &mut out).is_err());
        assert!(o.preview(&theta, &[0.1, 0.2, 0.3], &mut out[..2]).is_err());
        assert_eq!((&o, theta), (&o0, t0));
    }
    check(Sgd::<4>::new(3, 0.1, 0.9).unwrap());
    check(Adam::<4>::new(3, 0.1).unwrap());
    check(AnyOptimizer::<4>::Sgd(
        Sgd::new(3, 0.1, 0.0).unwrap().with_clip_norm(1.0).unwrap(),
    ));
    check(AnyOptimizer::<4>::Adam(
        Adam::new(3, 0.1).unwrap().with_weight_decay(0.01).unwrap(),
    ));
}

/// `decode_into` for the models tests/weights.rs does not cover: a
/// truncated file, a damaged checksum, another model's file, a model too
/// big for the capacity; the model is unchanged each time.
#[test]
fn decode_into_is_all_or_nothing_for_every_model() {
    fn check<M: Persist + Clone + PartialEq + core::fmt::Debug, O: Persist>(m: M, other: &O) {
        let mut buf = [0u8; 8192];
        let n = m.encode(&mut buf).unwrap();
        let good = buf[..n].to_vec();
        let mut target = m.clone();
        let mut damaged = good.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 0x40;
        let mut body = good.clone();
        body[n / 2] ^= 0x01;
        let n_other = other.encode(&mut buf).unwrap();
        let bad: [&[u8]; 6] = [
            &[],
            &good[..4],
            &good[..n - 1],
            &damaged,
            &body,
            &buf[..n_other],
        ];
        for (i, b) in bad.iter().enumerate() {
            assert!(target.decode_into(b).is_err(), "case {i}");
            assert_eq!(target, m, "case {i}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(target.decode_into(&longer).is_err());
        assert_eq!(target, m);
        target.decode_into(&good).unwrap();
        assert_eq!(target, m);
    }
    let g = Gaussian::<2>::full(&[0.5, -1.0], &[2.0, 0.3, 0.3, 1.0]).unwrap();
    let p = Polynomial::<1, 5>::double_well(1.5).unwrap();
    let mix = Mixture::<2, 1>::review_example();
    let m = mlp();
    check(g.clone(), &p);
    check(p.clone(), &mix);
    check(mix.clone(), &g);
    check(m.clone(), &g);
    // A file of a bigger model than the capacity.
    let big = Gaussian::<3>::standard(3).unwrap();
    let mut buf = [0u8; 1024];
    let n = big.encode(&mut buf).unwrap();
    let mut small = g.clone();
    assert!(small.decode_into(&buf[..n]).is_err());
    assert_eq!(small, g);
    let big_mix =
        Mixture::<3, 1>::new(&[0.2, 0.3, 0.5], &[0.0, 1.0, 2.0], &[1.0, 1.0, 1.0]).unwrap();
    let n = big_mix.encode(&mut buf).unwrap();
    let mut small = mix.clone();
    assert!(small.decode_into(&buf[..n]).is_err());
    assert_eq!(small, mix);
}

/// A proposal at ±∞ or NaN is invalid even where the energy is finite (here
/// a constant): adjusted kernels reject it, ULA reports it with nothing
/// changed (found by fuzz/capi: walkers reached ±∞, then NaN).
#[test]
fn non_finite_proposals_are_invalid_even_where_the_energy_is_finite() {
    let e = constant();
    let start = [f32::MAX, -f32::MAX, 1.0, 0.0, -f32::MAX, 3e38, 0.0, 0.0];
    let kernels: [AnyKernel<1>; 2] = [
        AnyKernel::Mala(Mala::new(f32::MAX).unwrap()),
        AnyKernel::Rwmh(Rwmh::new(f32::MAX).unwrap()),
    ];
    fn run<K: Kernel + core::fmt::Debug>(k: K, e: &impl Energy, start: &[f32]) {
        let w = Walkers::<8, 2>::from_positions(e, 4, 1, start).unwrap();
        let mut s = Sampler::new(k, w);
        let mut invalid = 0;
        for _ in 0..50 {
            invalid += s.step(e).unwrap().invalid;
            for w in 0..4 {
                for i in 0..2 {
                    assert!(s.walkers().coord(w, i).is_finite(), "{:?}", s.kernel());
                }
            }
        }
        assert!(
            invalid > 0,
            "{:?}: never proposed a non-finite point",
            s.kernel()
        );
    }
    for k in kernels {
        run(k, &e, &start);
    }
    run(Hmc::<2>::new(f32::MAX, 2).unwrap(), &e, &start);
    let mut w = Walkers::<8, 2>::from_positions(&e, 4, 1, &start).unwrap();
    let before = w.clone();
    assert!(matches!(
        Ula::new(f32::MAX).unwrap().step(&e, 1.0, &mut w),
        Err(Error::NonFinite { .. })
    ));
    assert!(w == before);
}

/// MALA whose step size may not exceed `cap` (a kernel outside the crate
/// with its own limits): adaptation toward a low acceptance target pushes
/// the step size past it.
#[derive(Clone, Debug)]
struct CappedMala {
    inner: Mala,
    cap: f32,
}

impl Kernel for CappedMala {
    fn step_size(&self) -> f32 {
        self.inner.step_size()
    }
    fn set_step_size(&mut self, h: f32) -> Result<(), Error> {
        if h > self.cap {
            return Err(Error::InvalidConfig("step size above the cap"));
        }
        self.inner.set_step_size(h)
    }
    fn propose<E: Energy, const N: usize, const D: usize>(
        &self,
        p: tinyebm::Proposal<'_, E, N, D>,
    ) {
        self.inner.propose(p)
    }
}

/// A step whose adapted step size the kernel refuses changes nothing: not
/// the walkers (the move used to be committed before the refusal), not the
/// kernel, not the adaptation, not the diagnostics.
#[test]
fn sampler_step_refused_by_the_adapted_step_size_changes_nothing() {
    let g = Gaussian::<2>::standard(2).unwrap();
    let kernel = CappedMala {
        inner: Mala::new(0.01).unwrap(),
        cap: 0.0105,
    };
    let w = Walkers::<8, 2>::gaussian(&g, 8, 5, &[0.0, 0.0], 1.0).unwrap();
    let mut s = Sampler::new(kernel, w);
    // Target 0.1 with acceptance ≈ 1 at h = 0.01: the next h is 10·h₀·… > cap.
    s.start_adaptation(0.1).unwrap();
    let before = sampler_state(&s);
    assert!(s.step(&g).is_err());
    assert_eq!(sampler_state(&s), before);
    assert_eq!(s.kernel().step_size(), 0.01);
    // Without the cap the same step succeeds and moves the walkers.
    s.kernel_mut().cap = f32::INFINITY;
    s.step(&g).unwrap();
    assert_ne!(sampler_state(&s), before);
}

/// The same for replica exchange: one replica's refused step size fails the
/// step with every replica, kernel and adaptation as before.
#[test]
fn tempering_step_refused_by_an_adapted_step_size_changes_nothing() {
    let g = Gaussian::<2>::standard(2).unwrap();
    let w = Walkers::<8, 2>::gaussian(&g, 8, 5, &[0.0, 0.0], 1.0).unwrap();
    let k = |cap| CappedMala {
        inner: Mala::new(0.01).unwrap(),
        cap,
    };
    let mut re = ReplicaExchange::<CappedMala, 2, 8, 2>::new(k(1.0), w, &[1.0, 0.5], 9).unwrap();
    re.kernel_mut(1).unwrap().cap = 0.0105;
    re.start_adaptation(0.1).unwrap();
    let before = re_state(&re);
    assert!(re.step(&g).is_err());
    assert_eq!(re_state(&re), before);
}
