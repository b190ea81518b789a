//! Checkpoints: exact resume (run N = run k, save, restore into a fresh
//! object, run N − k: the same bits), refusal of damaged or foreign files
//! with the target unchanged, and warm starts from a saved adaptation.
//! No statistics: every check is bit equality, with fixed seeds.

use tinyebm::checkpoint::VERSION;
use tinyebm::crc32::crc32;
use tinyebm::{
    AnyKernel, Barker, Error, Gaussian, Hmc, KernelState, Mala, Nuts, PMala, Rwmh, Sampler, Ula,
    Walkers,
};

const N: usize = 8;
const D: usize = 3;
const STEPS: usize = 60;

fn target() -> Gaussian<D> {
    // Scales 1, 0.25, 4: a mass matrix and adaptation have work to do.
    Gaussian::diagonal(&[0.5, -1.0, 2.0], &[1.0, 16.0, 0.0625]).unwrap()
}

fn sampler<K: KernelState>(kernel: K, seed: u64) -> Sampler<K, N, D> {
    let e = target();
    let mut w = Walkers::<N, D>::empty();
    w.init_gaussian(&e, N, seed, &[0.0; D], 1.5).unwrap();
    Sampler::new(kernel, w)
}

fn save<K: KernelState, const NN: usize, const DD: usize>(s: &Sampler<K, NN, DD>) -> Vec<u8> {
    let mut buf = vec![0u8; Sampler::<K, NN, DD>::CHECKPOINT_SIZE];
    let n = s.save_checkpoint(&mut buf).unwrap();
    assert_eq!(n, buf.len());
    buf
}

/// Steps `from..to` of the reference schedule: adaptation (when `adapt`)
/// from step 0 to 30, frozen there; diagnostics recorded throughout.
fn run_schedule<K: KernelState>(s: &mut Sampler<K, N, D>, from: usize, to: usize, adapt: bool) {
    let e = target();
    for k in from..to {
        if adapt && k == 0 {
            s.start_adaptation(0.6).unwrap();
        }
        if adapt && k == 30 {
            s.freeze_step_size_keep_diagnostics().unwrap();
        }
        s.step(&e).unwrap();
    }
}

/// Uninterrupted vs. checkpointed at step `k` and resumed in a fresh
/// sampler whose kernel is `fresh` (another configuration).
fn check_resume<K: KernelState + Clone + core::fmt::Debug>(kernel: K, fresh: K, adapt: bool) {
    for k in [0, 1, 20, 30, 45] {
        let mut a = sampler(kernel.clone(), 7);
        run_schedule(&mut a, 0, STEPS, adapt);

        let mut b = sampler(kernel.clone(), 7);
        run_schedule(&mut b, 0, k, adapt);
        let buf = save(&b);
        drop(b);
        let mut c = Sampler::new(fresh.clone(), Walkers::<N, D>::empty());
        c.restore_checkpoint(&buf).unwrap();
        assert_eq!(save(&c), buf, "restore then save is the identity");
        run_schedule(&mut c, k, STEPS, adapt);

        assert_eq!(save(&a), save(&c), "{kernel:?} resumed at {k}");
        assert_eq!(a.walkers(), c.walkers());
        assert_eq!(a.diagnostics(), c.diagnostics());
        assert_eq!(
            a.kernel().step_size().to_bits(),
            c.kernel().step_size().to_bits()
        );
    }
}

use tinyebm::Kernel;

#[test]
fn resume_ula() {
    check_resume(Ula::new(0.02).unwrap(), Ula::new(9.0).unwrap(), false);
}

#[test]
fn resume_mala() {
    check_resume(Mala::new(0.05).unwrap(), Mala::new(9.0).unwrap(), true);
}

#[test]
fn resume_rwmh() {
    check_resume(Rwmh::new(0.5).unwrap(), Rwmh::new(9.0).unwrap(), true);
}

#[test]
fn resume_barker() {
    check_resume(Barker::new(0.3).unwrap(), Barker::new(9.0).unwrap(), true);
}

fn mass() -> [f32; D] {
    [1.0, 16.0, 0.0625]
}

#[test]
fn resume_hmc() {
    let k = Hmc::<D>::new(0.2, 5)
        .unwrap()
        .with_step_jitter(0.2)
        .unwrap()
        .with_diagonal_mass(&mass())
        .unwrap();
    check_resume(k, Hmc::new(1.0, 1).unwrap(), true);
}

#[test]
fn resume_nuts() {
    let k = Nuts::<D>::new(0.2)
        .unwrap()
        .with_max_tree_depth(6)
        .unwrap()
        .with_step_jitter(0.1)
        .unwrap()
        .with_diagonal_mass(&mass())
        .unwrap();
    check_resume(k, Nuts::new(1.0).unwrap(), true);
}

#[test]
fn resume_pmala() {
    let k = PMala::<D>::new(0.1)
        .unwrap()
        .with_diagonal_mass(&mass())
        .unwrap();
    check_resume(k, PMala::new(1.0).unwrap(), true);
}

#[test]
fn resume_any_kernel_changes_kind() {
    let k = AnyKernel::<D>::Hmc(
        Hmc::new(0.2, 4)
            .unwrap()
            .with_diagonal_mass(&mass())
            .unwrap(),
    );
    check_resume(k, AnyKernel::Ula(Ula::new(1.0).unwrap()), true);
}

/// Refusals leave the target byte for byte as it was.
fn assert_refused<K: KernelState>(t: &mut Sampler<K, N, D>, bytes: &[u8], what: &str) -> Error {
    let before = save(t);
    let walkers = t.walkers().clone();
    let err = t.restore_checkpoint(bytes).expect_err(what);
    assert_eq!(save(t), before, "{what}: target changed");
    assert_eq!(*t.walkers(), walkers, "{what}: walkers changed");
    err
}

fn reference_pair() -> (Vec<u8>, Sampler<AnyKernel<D>, N, D>) {
    let mut s = sampler(AnyKernel::<D>::Nuts(Nuts::new(0.3).unwrap()), 1);
    run_schedule(&mut s, 0, 40, true);
    let mut t = sampler(AnyKernel::Mala(Mala::new(0.1).unwrap()), 2);
    run_schedule(&mut t, 0, 35, true);
    (save(&s), t)
}

fn with_crc(mut b: Vec<u8>) -> Vec<u8> {
    let n = b.len() - 4;
    let c = crc32(&b[..n]);
    b[n..].copy_from_slice(&c.to_le_bytes());
    b
}

#[test]
fn truncated_at_every_length_is_refused() {
    let (buf, mut t) = reference_pair();
    for len in 0..buf.len() {
        let e = assert_refused(&mut t, &buf[..len], "truncated");
        assert!(
            matches!(e, Error::Truncated { .. } | Error::BadMagic),
            "length {len}: {e:?}"
        );
    }
    let mut long = buf.clone();
    long.push(0);
    assert!(matches!(
        assert_refused(&mut t, &long, "trailing"),
        Error::TrailingBytes { .. }
    ));
}

#[test]
fn every_flipped_byte_is_refused() {
    let (buf, mut t) = reference_pair();
    for i in 0..buf.len() {
        let mut b = buf.clone();
        b[i] ^= 0xA5;
        assert_refused(&mut t, &b, "flipped byte");
    }
    // The intact file is accepted by the same target.
    t.restore_checkpoint(&buf).unwrap();
    assert_eq!(save(&t), buf);
}

#[test]
fn wrong_kind_version_and_capacity_are_refused() {
    let (buf, mut t) = reference_pair();
    let mut b = buf.clone();
    b[6..8].copy_from_slice(&0x0103u16.to_le_bytes());
    assert!(matches!(
        assert_refused(&mut t, &with_crc(b), "kind"),
        Error::WrongModelKind { .. }
    ));
    let mut b = buf.clone();
    b[4..6].copy_from_slice(&(VERSION + 1).to_le_bytes());
    assert!(matches!(
        assert_refused(&mut t, &with_crc(b), "version"),
        Error::UnsupportedVersion(_)
    ));
    // A weight file is not a checkpoint.
    let mut w = vec![0u8; 64];
    let n = tinyebm::Persist::encode(&target(), &mut w).unwrap();
    assert!(matches!(
        assert_refused(&mut t, &w[..n], "weights"),
        Error::WrongModelKind { .. }
    ));
    // Other capacities: N = 4 and D = 4.
    let e = target();
    let mut w4 = Walkers::<4, D>::empty();
    w4.init_gaussian(&e, 4, 3, &[0.0; D], 1.0).unwrap();
    let small = Sampler::new(AnyKernel::<D>::Mala(Mala::new(0.1).unwrap()), w4);
    let b = save(&small);
    assert!(matches!(
        assert_refused(&mut t, &b, "capacity N"),
        Error::DimensionMismatch { .. }
    ));
    let wide: Sampler<AnyKernel<4>, N, 4> =
        Sampler::new(AnyKernel::Mala(Mala::new(0.1).unwrap()), Walkers::empty());
    assert!(matches!(
        assert_refused(&mut t, &save(&wide), "capacity D"),
        Error::DimensionMismatch { .. }
    ));
}

/// Values behind a valid CRC are still checked: a non-finite position, an
/// invalid step size, an unknown kernel, a walker count above N.
#[test]
fn invalid_fields_behind_a_valid_crc_are_refused() {
    let (buf, mut t) = reference_pair();
    let body = 16 + 4 * 2;
    // Body: β (4), record flag (1), kernel record: kind (4), step size (4) …
    let mut b = buf.clone();
    b[body..body + 4].copy_from_slice(&(-1f32).to_le_bytes());
    assert_refused(&mut t, &with_crc(b), "beta");
    let mut b = buf.clone();
    b[body + 5..body + 9].copy_from_slice(&99u32.to_le_bytes());
    assert_refused(&mut t, &with_crc(b), "kernel kind");
    let mut b = buf.clone();
    b[body + 9..body + 13].copy_from_slice(&f32::NAN.to_le_bytes());
    assert_refused(&mut t, &with_crc(b), "step size");
    let walkers_at = body + 5 + (24 + 8 * D) + 1 + 44;
    let mut b = buf.clone();
    b[walkers_at..walkers_at + 4].copy_from_slice(&(N as u32 + 1).to_le_bytes());
    assert_refused(&mut t, &with_crc(b), "walker count");
    let x_at = walkers_at + 18;
    let mut b = buf.clone();
    b[x_at..x_at + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    assert_refused(&mut t, &with_crc(b), "position");
    // A concrete kernel type refuses another kind.
    let mut m = sampler(Mala::new(0.1).unwrap(), 4);
    let before = save(&m);
    assert!(matches!(
        m.restore_checkpoint(&buf),
        Err(Error::WrongModelKind { .. })
    ));
    assert_eq!(save(&m), before);
}

/// A tuned kernel moves to a new sampler without re-adapting: the new
/// sampler steps exactly as one built with the tuned kernel directly.
#[test]
fn warm_start_takes_step_size_and_mass() {
    let e = target();
    let k0 = Hmc::<D>::new(1.0, 5)
        .unwrap()
        .with_diagonal_mass(&mass())
        .unwrap();
    let mut tuned = sampler(k0, 11);
    tuned.start_adaptation(0.65).unwrap();
    tuned.run(&e, 100).unwrap();
    tuned.freeze_step_size().unwrap();
    let h = tuned.kernel().step_size();
    assert_ne!(h, 1.0, "adaptation moved the step size");
    let a = tuned.adaptation().unwrap();
    assert!(!a.adapting);
    assert_eq!(a.kernel.step_size.to_bits(), h.to_bits());

    let mut fresh = sampler(Hmc::<D>::new(0.5, 5).unwrap(), 12);
    let untouched = fresh.walkers().clone();
    fresh.warm_start(&a).unwrap();
    assert_eq!(fresh.kernel(), tuned.kernel(), "step size, mass, L, jitter");
    assert!(!fresh.is_adapting());
    assert_eq!(*fresh.walkers(), untouched, "walkers stay");

    let mut direct = sampler(*tuned.kernel(), 12);
    fresh.run(&e, 20).unwrap();
    direct.run(&e, 20).unwrap();
    assert_eq!(save(&fresh), save(&direct));

    // From a checkpoint file, into an AnyKernel sampler.
    let buf = save(&tuned);
    let mut any = sampler(AnyKernel::<D>::Ula(Ula::new(0.1).unwrap()), 12);
    any.warm_start_from_checkpoint(&buf).unwrap();
    assert_eq!(any.kernel(), &AnyKernel::Hmc(*tuned.kernel()));
    assert_eq!(*any.walkers(), untouched);
    // A damaged file changes nothing.
    let mut bad = buf.clone();
    bad[100] ^= 1;
    let before = save(&any);
    assert!(any.warm_start_from_checkpoint(&bad).is_err());
    assert_eq!(save(&any), before);
    // Another kind into a concrete kernel type is refused, unchanged.
    let mut m = sampler(Mala::new(0.1).unwrap(), 4);
    let before = save(&m);
    assert!(m.warm_start(&a).is_err());
    assert_eq!(save(&m), before);
}

#[test]
fn sizes_are_constants() {
    const S: usize = Sampler::<Ula, N, D>::CHECKPOINT_SIZE;
    let buf = [0u8; S];
    assert_eq!(
        buf.len(),
        sampler(Ula::new(0.1).unwrap(), 1).checkpoint_size()
    );
    let s = sampler(Ula::new(0.1).unwrap(), 1);
    let mut short = vec![0u8; S - 1];
    assert!(matches!(
        s.save_checkpoint(&mut short),
        Err(Error::CapacityExceeded { .. })
    ));
    assert!(short.iter().all(|&b| b == 0), "nothing written");
}

mod tempering {
    use super::*;
    use tinyebm::{Mixture, ReplicaExchange};

    type Re = ReplicaExchange<AnyKernel<2>, 4, 6, 2>;

    fn mixture() -> Mixture<2, 2> {
        Mixture::new(&[0.3, 0.7], &[-3.0, 0.0, 3.0, 1.0], &[0.5, 0.5, 0.8, 0.8]).unwrap()
    }

    fn make(seed: u64) -> Re {
        let e = mixture();
        let mut w = Walkers::<6, 2>::empty();
        w.init_gaussian(&e, 6, seed, &[0.0, 0.0], 2.0).unwrap();
        let k = AnyKernel::Hmc(Hmc::new(0.3, 3).unwrap().with_step_jitter(0.1).unwrap());
        Re::geometric(k, w, 3, 0.2, seed).unwrap()
    }

    fn save_re(re: &Re) -> Vec<u8> {
        let mut b = vec![0u8; Re::CHECKPOINT_SIZE];
        assert_eq!(re.save_checkpoint(&mut b).unwrap(), b.len());
        b
    }

    fn schedule(re: &mut Re, from: usize, to: usize) {
        let e = mixture();
        for k in from..to {
            if k == 0 {
                re.start_adaptation(0.65).unwrap();
            }
            if k == 25 {
                re.freeze_step_sizes().unwrap();
            }
            re.step(&e).unwrap();
        }
    }

    #[test]
    fn resume_replica_exchange() {
        for k in [0, 10, 25, 40] {
            let mut a = make(5);
            schedule(&mut a, 0, 50);
            let mut b = make(5);
            schedule(&mut b, 0, k);
            let buf = save_re(&b);
            // A fresh object: other seed, other ladder, other kernel.
            let mut c = make(99);
            c.set_ladder(&[1.0, 0.9, 0.8]).unwrap();
            c.restore_checkpoint(&buf).unwrap();
            assert_eq!(save_re(&c), buf);
            schedule(&mut c, k, 50);
            assert_eq!(save_re(&a), save_re(&c), "resumed at {k}");
            assert_eq!(a, c);
            for r in 0..3 {
                assert_eq!(a.swap_stats(r), c.swap_stats(r));
            }
        }
    }

    #[test]
    fn replica_exchange_refusals_leave_it_unchanged() {
        let mut s = make(5);
        schedule(&mut s, 0, 30);
        let buf = save_re(&s);
        let mut t = make(6);
        schedule(&mut t, 0, 12);
        let before = save_re(&t);
        for len in (0..buf.len()).step_by(7) {
            assert!(t.restore_checkpoint(&buf[..len]).is_err());
        }
        for i in (0..buf.len()).step_by(3) {
            let mut b = buf.clone();
            b[i] ^= 0x10;
            assert!(t.restore_checkpoint(&b).is_err(), "byte {i}");
        }
        // A sampler checkpoint is another kind.
        let smp = sampler(AnyKernel::<D>::Mala(Mala::new(0.1).unwrap()), 1);
        assert!(matches!(
            t.restore_checkpoint(&save(&smp)),
            Err(Error::WrongModelKind { .. })
        ));
        // A ladder that is not one (β₀ ≠ 1), behind a valid CRC.
        let mut b = buf.clone();
        let betas_at = 16 + 4 * 3 + 4;
        b[betas_at..betas_at + 4].copy_from_slice(&0.5f32.to_le_bytes());
        assert!(t.restore_checkpoint(&with_crc(b)).is_err());
        assert_eq!(save_re(&t), before);
    }
}

mod trainer {
    use super::*;
    use tinyebm::{
        Adam, AnyOptimizer, Best, Decay, Ema, LrSchedule, Mixture, Mode, Optimizer, Pcd, PcdConfig,
        Reinit, Sgd, Stream, Trainable,
    };

    const TN: usize = 16;
    const TP: usize = 4;
    const B: usize = 8;
    const PUSHES: usize = 30 * B + 3;

    type Model = Mixture<2, 1>;
    type Extras = (Ema<TP>, Best<TP>, LrSchedule);

    fn model(w: f32) -> Model {
        Mixture::new(&[w, 1.0 - w], &[-1.5, 1.0], &[0.6, 0.6]).unwrap()
    }

    /// Data point i, from its own stream (so the data need no state).
    fn point(i: usize) -> f32 {
        let mut s = Stream::new(77, i as u64);
        if s.uniform() < 0.7 {
            -2.0 + 0.5 * s.normal()
        } else {
            2.0 + 0.5 * s.normal()
        }
    }

    fn extras(lr: f32) -> Extras {
        (
            Ema::new(TP, 0.9).unwrap(),
            Best::new(TP).unwrap(),
            LrSchedule::new(lr, 5, 30, Decay::Cosine, 0.1 * lr).unwrap(),
        )
    }

    fn trainer<O: Optimizer + tinyebm::checkpoint::State>(
        m: &Model,
        opt: O,
        mode: Mode,
        seed: u64,
    ) -> Pcd<Sampler<Ula, TN, 1>, O, TN, 1, TP> {
        let mut w = Walkers::<TN, 1>::empty();
        w.init_gaussian(m, TN, seed, &[0.0], 2.0).unwrap();
        let reinit = match mode {
            Mode::Pcd => Reinit::Gaussian { prob: 0.1, sd: 2.0 },
            _ => Reinit::Never,
        };
        let cfg = PcdConfig {
            batch_size: B,
            steps: 3,
            seed,
            reinit,
            ..PcdConfig::new(mode)
        };
        Pcd::new(m, Sampler::new(Ula::new(0.02).unwrap(), w), opt, cfg).unwrap()
    }

    fn drive<O: Optimizer + tinyebm::checkpoint::State>(
        t: &mut Pcd<Sampler<Ula, TN, 1>, O, TN, 1, TP>,
        m: &mut Model,
        x: &mut Extras,
        from: usize,
        to: usize,
    ) {
        for i in from..to {
            if let Some(metrics) = t.push(m, &[point(i)]).unwrap() {
                x.2.apply(metrics.updates, t.optimizer_mut()).unwrap();
                x.0.track(m).unwrap();
                let mut theta = [0f32; TP];
                m.params(&mut theta).unwrap();
                x.1.offer(metrics.gap.abs(), metrics.updates, &theta)
                    .unwrap();
            }
        }
    }

    fn save_t<O: Optimizer + tinyebm::checkpoint::State>(
        t: &Pcd<Sampler<Ula, TN, 1>, O, TN, 1, TP>,
        m: &Model,
        x: &Extras,
    ) -> Vec<u8> {
        let mut b =
            vec![0u8; Pcd::<Sampler<Ula, TN, 1>, O, TN, 1, TP>::checkpoint_size_with::<Extras>()];
        assert_eq!(t.save_checkpoint_with(m, x, &mut b).unwrap(), b.len());
        b
    }

    fn check<O: Optimizer + tinyebm::checkpoint::State + Clone + PartialEq>(
        opt: O,
        fresh_opt: O,
        mode: Mode,
    ) {
        for k in [0, 5, 4 * B, 4 * B + 3, 17 * B + 1] {
            let mut ma = model(0.5);
            let mut a = trainer(&ma, opt.clone(), mode, 3);
            let mut xa = extras(0.05);
            drive(&mut a, &mut ma, &mut xa, 0, PUSHES);

            let mut mb = model(0.5);
            let mut b = trainer(&mb, opt.clone(), mode, 3);
            let mut xb = extras(0.05);
            drive(&mut b, &mut mb, &mut xb, 0, k);
            let buf = save_t(&b, &mb, &xb);
            drop(b);

            // Fresh: other parameters, seed, walkers, optimiser settings, extras.
            let mut mc = model(0.3);
            let mut c = trainer(&mc, fresh_opt.clone(), Mode::Pcd, 99);
            let mut xc = extras(0.5);
            c.restore_checkpoint_with(&mut mc, &mut xc, &buf).unwrap();
            assert_eq!(save_t(&c, &mc, &xc), buf, "restore then save");
            drive(&mut c, &mut mc, &mut xc, k, PUSHES);

            assert_eq!(
                save_t(&a, &ma, &xa),
                save_t(&c, &mc, &xc),
                "{mode:?} at {k}"
            );
            let (mut pa, mut pc) = ([0f32; TP], [0f32; TP]);
            ma.params(&mut pa).unwrap();
            mc.params(&mut pc).unwrap();
            assert_eq!(pa.map(f32::to_bits), pc.map(f32::to_bits));
            assert!(a == c, "persistent state");
            assert_eq!(xa, xc);
            assert!(a.updates() >= 30);
        }
    }

    #[test]
    fn resume_pcd_adam() {
        check(
            Adam::<TP>::new(TP, 0.05)
                .unwrap()
                .with_clip_norm(5.0)
                .unwrap(),
            Adam::new(TP, 0.9).unwrap(),
            Mode::Pcd,
        );
    }

    #[test]
    fn resume_cd_sgd() {
        check(
            Sgd::<TP>::new(TP, 0.05, 0.5).unwrap(),
            Sgd::new(TP, 0.9, 0.0).unwrap(),
            Mode::Cd,
        );
    }

    #[test]
    fn resume_jarzynski_with_resampling_any_optimizer() {
        // Threshold 0.95: resampling happens within the run (checked below).
        check(
            AnyOptimizer::Adam(Adam::<TP>::new(TP, 0.05).unwrap()),
            AnyOptimizer::Sgd(Sgd::new(TP, 0.1, 0.0).unwrap()),
            Mode::Jarzynski {
                ess_threshold: 0.95,
            },
        );
        let mut m = model(0.5);
        let mut t = trainer(
            &m,
            Adam::<TP>::new(TP, 0.05).unwrap(),
            Mode::Jarzynski {
                ess_threshold: 0.95,
            },
            3,
        );
        drive(&mut t, &mut m, &mut extras(0.05), 0, PUSHES);
        assert!(t.resamplings() > 0, "the run resamples");
    }

    #[test]
    fn trainer_refusals_leave_everything_unchanged() {
        let mut m = model(0.5);
        let mut t = trainer(&m, Adam::<TP>::new(TP, 0.05).unwrap(), Mode::Pcd, 3);
        let mut x = extras(0.05);
        drive(&mut t, &mut m, &mut x, 0, 10 * B + 2);
        let buf = save_t(&t, &m, &x);

        let mut m2 = model(0.2);
        let mut t2 = trainer(&m2, Adam::<TP>::new(TP, 0.01).unwrap(), Mode::Pcd, 5);
        let mut x2 = extras(0.5);
        drive(&mut t2, &mut m2, &mut x2, 0, 3 * B);
        let before = save_t(&t2, &m2, &x2);
        let mut refuse = |bytes: &[u8], what: &str| {
            assert!(
                t2.restore_checkpoint_with(&mut m2, &mut x2, bytes).is_err(),
                "{what}"
            );
            assert_eq!(save_t(&t2, &m2, &x2), before, "{what}: changed");
        };
        for len in (0..buf.len()).step_by(5) {
            refuse(&buf[..len], "truncated");
        }
        for i in (0..buf.len()).step_by(3) {
            let mut b = buf.clone();
            b[i] ^= 0x40;
            refuse(&b, "flipped");
        }
        // Non-finite θ behind a valid CRC (θ follows p and d in the body).
        let body = 16 + 4 * 4;
        let mut b = buf.clone();
        b[body + 8..body + 12].copy_from_slice(&f32::NAN.to_le_bytes());
        refuse(&with_crc(b), "NaN parameter");
        // A model refusing θ (a negative mixture weight after the
        // softmax? no: σ is fixed; use an unknown mode tag instead).
        let mut b = buf.clone();
        b[body + 8 + 4 * TP] = 7;
        refuse(&with_crc(b), "mode tag");
        // A sampler checkpoint is another kind; extras of another type are
        // another capacity.
        let s = sampler(Ula::new(0.1).unwrap(), 1);
        refuse(&save(&s), "sampler file");
        let mut plain = vec![0u8; Pcd::<Sampler<Ula, TN, 1>, Adam<TP>, TN, 1, TP>::CHECKPOINT_SIZE];
        t.save_checkpoint(&m, &mut plain).unwrap();
        refuse(&plain, "no extras");
        // Without extras, into a trainer without extras: accepted.
        let mut m3 = model(0.1);
        let mut t3 = trainer(&m3, Adam::<TP>::new(TP, 0.5).unwrap(), Mode::Cd, 8);
        t3.restore_checkpoint(&mut m3, &plain).unwrap();
        assert!(t3 == t);
    }
}
