//! Fixed runs shared by the firmware and a host program: both print their
//! fingerprints, and CI checks they are equal (same seed, same bits, on
//! x86_64 and on a Cortex-M4F).

use tinyebm::{
    Activation, Adam, Ed, EdConfig, Ensemble, Hmc, Kernel, Mala, Mlp, Mode, Pcd, PcdConfig,
    Sampler, Stream, Trainable, Ula, Walkers, mlp_param_count,
};

/// The reference model of the MCU figures: MLP 2→16→16→1, tanh, α = 0.5.
pub type Net = Mlp<2, 16>;
/// Parameters of [`Net`].
pub const P: usize = mlp_param_count(2, 16);
/// Walkers of the trainer's negative phase.
pub const WALKERS: usize = 16;
/// The reference trainer: 16 ULA walkers, Adam, batches of 16 data points.
pub type Trainer = Pcd<Ensemble<Ula, WALKERS, 2>, Adam<P>, WALKERS, 2, P>;
/// ULA steps K per update.
pub const STEPS_PER_UPDATE: usize = 10;

/// The network every run uses (`None` only if the fixed sizes were invalid).
pub fn net() -> Option<Net> {
    Net::init(2, 16, Activation::Tanh, 0.5, 2024).ok()
}

/// FNV-1a, one f32's bits at a time.
pub struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Hashes the bits of `v`.
    pub fn eat(&mut self, v: f32) {
        self.0 = (self.0 ^ u64::from(v.to_bits())).wrapping_mul(0x0100_0000_01b3);
    }
}

/// FNV-1a over the bits of every position and energy.
pub fn fingerprint<const N: usize, const D: usize>(w: &Walkers<N, D>) -> u64 {
    let mut h = Fnv::default();
    for row in &w.positions_soa()[..w.dim()] {
        row[..w.len()].iter().for_each(|&v| h.eat(v));
    }
    w.energies().iter().for_each(|&v| h.eat(v));
    h.0
}

/// Runs the reference workloads and prints their lines — the ones the host
/// (`examples/firmware_reference.rs`) and every firmware must print alike —
/// with `$print` (`hprintln` on a target); evaluates to whether the values
/// are sane on their own, and the resumed checkpoint run equals the
/// uninterrupted one.
macro_rules! print_reference_lines {
    ($print:ident) => {{
        let (fp, accepted) = $crate::workload::reference_run();
        $print!("fingerprint {:016x} accepted {}", fp, accepted);
        // 3200 MALA proposals at h = 0.1 on this smooth model: most are accepted.
        let mut ok = fp != 0 && accepted > 1600;
        let (params, walkers, updates, gap) = $crate::workload::training_run();
        $print!(
            "training params {:016x} walkers {:016x} updates {} gap {:.6}",
            params,
            walkers,
            updates,
            gap
        );
        ok &= params != 0 && updates == $crate::workload::TRAIN_UPDATES as u64 && gap.is_finite();
        // A run resumed from a checkpoint the host wrote (x86_64): its bits
        // must equal the host's uninterrupted run.
        let (ck_walkers, ck_state) =
            $crate::workload::checkpoint_resume($crate::workload::CHECKPOINT);
        $print!(
            "checkpoint walkers {:016x} state {:016x} bytes {}",
            ck_walkers,
            ck_state,
            $crate::workload::CHECKPOINT.len()
        );
        ok && ck_walkers != 0
            && (ck_walkers, ck_state) == $crate::workload::checkpoint_uninterrupted()
    }};
}
pub(crate) use print_reference_lines;

/// 16 walkers: 200 MALA steps then 200 ULA steps from seed 7.
/// Returns (fingerprint, accepted MALA proposals).
pub fn reference_run() -> (u64, usize) {
    let Some(net) = net() else {
        return (0, 0);
    };
    let Ok(mut w) = Walkers::<16, 2>::gaussian(&net, 16, 7, &[0.0, 0.0], 1.0) else {
        return (0, 0);
    };
    let (Ok(mala), Ok(ula)) = (Mala::new(0.1), Ula::new(0.05)) else {
        return (0, 0);
    };
    let mut accepted = 0;
    for _ in 0..200 {
        match mala.step(&net, 1.0, &mut w) {
            Ok(s) => accepted += s.accepted,
            Err(_) => return (0, 0),
        }
    }
    for _ in 0..200 {
        if ula.step(&net, 1.0, &mut w).is_err() {
            return (0, 0);
        }
    }
    (fingerprint(&w), accepted)
}

/// The trainer of the MCU figures for `net`: 16 walkers from N(0, I)
/// (seed 7), ULA h = 0.02, K = 10 steps per update, Adam (lr 5e-3, gradient
/// norm clipped at 10), PCD mode, batches of 16. The negative phase is an
/// `Ensemble` (walkers and kernel only): a `Sampler` would also record
/// diagnostics, whose f64 accumulators are soft-float on a Cortex-M4F (an
/// update then costs 45 % more, unless recording is switched off).
pub fn trainer(net: &Net) -> Option<Trainer> {
    let walkers = Walkers::<WALKERS, 2>::gaussian(net, WALKERS, 7, &[0.0, 0.0], 1.0).ok()?;
    let sampler = Ensemble::new(Ula::new(0.02).ok()?, walkers);
    let adam = Adam::<P>::new(net.num_params(), 5e-3)
        .ok()?
        .with_clip_norm(10.0)
        .ok()?;
    let cfg = PcdConfig {
        batch_size: 16,
        steps: STEPS_PER_UPDATE,
        seed: 3,
        ..PcdConfig::new(Mode::Pcd)
    };
    Pcd::new(net, sampler, adam, cfg).ok()
}

/// The energy-discrepancy trainer of the MCU figures: M = 8 negatives,
/// t = 0.25, w = 1, batches of 16, evaluation blocks of one point (K = 9).
pub type EdTrainer = Ed<Adam<P>, 9, 2, P>;

/// The reference energy-discrepancy trainer (Adam, lr 5e-3, clipped at 10).
pub fn ed_trainer(net: &Net) -> Option<EdTrainer> {
    let adam = Adam::<P>::new(net.num_params(), 5e-3)
        .ok()?
        .with_clip_norm(10.0)
        .ok()?;
    let cfg = EdConfig {
        t: 0.25,
        negatives: 8,
        w: 1.0,
        batch_size: 16,
        seed: 3,
    };
    Ed::new(net, adam, cfg).ok()
}

/// The data stream: four Gaussians (sd 0.3) at (±1, ±1), 16 points per call
/// (walker-major pairs).
pub fn data_batch(s: &mut Stream, out: &mut [f32; 32]) {
    for p in out.chunks_exact_mut(2) {
        let k = s.below(4);
        let (z0, z1) = s.normal_pair();
        p[0] = if k & 1 == 0 { 1.0 } else { -1.0 } + 0.3 * z0;
        p[1] = if k & 2 == 0 { 1.0 } else { -1.0 } + 0.3 * z1;
    }
}

/// Updates of the reference training run.
pub const TRAIN_UPDATES: usize = 40;

/// A fixed PCD training run: [`TRAIN_UPDATES`] updates of [`trainer`] on
/// [`data_batch`] (data seed 11). Returns the fingerprints of the trained
/// parameters' bits and of the walkers, the updates done and the last
/// data−walker energy gap; zeros and NaN on any error.
pub fn training_run() -> (u64, u64, u64, f32) {
    let fail = (0, 0, 0, f32::NAN);
    let Some(mut net) = net() else { return fail };
    let Some(mut t) = trainer(&net) else {
        return fail;
    };
    let mut data = Stream::new(11, 0);
    let mut xs = [0f32; 32];
    let mut gap = f32::NAN;
    for _ in 0..TRAIN_UPDATES {
        data_batch(&mut data, &mut xs);
        match t.push_batch(&mut net, &xs) {
            Ok(Some(m)) => gap = m.gap,
            _ => return fail,
        }
    }
    let mut theta = [0f32; P];
    if net.params(&mut theta).is_err() {
        return fail;
    }
    let mut h = Fnv::default();
    theta.iter().for_each(|&v| h.eat(v));
    let walkers = fingerprint(tinyebm::NegativePhase::samples(t.sampler()));
    (h.0, walkers, t.updates(), gap)
}

/// The sampler of the cross-target checkpoint run: HMC (diagonal mass,
/// 4 leapfrog steps, step jitter 0.2) on [`net`], 16 walkers, step-size
/// adaptation and diagnostics.
pub type CkSampler = Sampler<Hmc<2>, 16, 2>;
/// Steps the host runs before writing [`CHECKPOINT`].
pub const CK_BEFORE: usize = 30;
/// Steps run after restoring it.
pub const CK_AFTER: usize = 50;
/// Adaptation stops (frozen, diagnostics kept) before this step; the
/// checkpoint is written while it runs.
pub const CK_FREEZE_AT: usize = 45;

/// A checkpoint written by the host (x86_64) after [`CK_BEFORE`] steps of
/// [`checkpoint_sampler`]: `cargo run --release --example
/// firmware_reference -- --write-checkpoint firmware/checkpoint.bin`
/// regenerates it, and the example checks it is current.
pub const CHECKPOINT: &[u8] = include_bytes!("../checkpoint.bin");

/// A fresh [`CkSampler`] (seed 5), adapting toward acceptance 0.65.
pub fn checkpoint_sampler(net: &Net) -> Option<CkSampler> {
    let walkers = Walkers::<16, 2>::gaussian(net, 16, 5, &[0.0, 0.0], 1.0).ok()?;
    let hmc = Hmc::new(0.3, 4)
        .ok()?
        .with_diagonal_mass(&[1.0, 2.0])
        .ok()?
        .with_step_jitter(0.2)
        .ok()?;
    let mut s = Sampler::new(hmc, walkers);
    s.start_adaptation(0.65).ok()?;
    Some(s)
}

/// Steps `from..to` of the checkpoint run's schedule.
pub fn checkpoint_steps(s: &mut CkSampler, net: &Net, from: usize, to: usize) -> Option<()> {
    for k in from..to {
        if k == CK_FREEZE_AT {
            s.freeze_step_size_keep_diagnostics().ok()?;
        }
        s.step(net).ok()?;
    }
    Some(())
}

/// FNV-1a over bytes.
pub fn fnv_bytes(b: &[u8]) -> u64 {
    let mut h = Fnv::default().0;
    for &v in b {
        h = (h ^ u64::from(v)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Restores `bytes` into a fresh sampler of another configuration (HMC
/// with ε = 1, one leapfrog step, identity mass; seed 1), runs the remaining [`CK_AFTER`] steps and returns the
/// fingerprint of its walkers and the FNV-1a of its own checkpoint then
/// (every bit of state: streams, adaptation, diagnostics); zeros on error.
pub fn checkpoint_resume(bytes: &[u8]) -> (u64, u64) {
    let run = || -> Option<(u64, u64)> {
        let net = net()?;
        let walkers = Walkers::<16, 2>::gaussian(&net, 16, 1, &[0.0, 0.0], 1.0).ok()?;
        let mut s = CkSampler::new(Hmc::new(1.0, 1).ok()?, walkers);
        s.restore_checkpoint(bytes).ok()?;
        checkpoint_steps(&mut s, &net, CK_BEFORE, CK_BEFORE + CK_AFTER)?;
        let mut buf = [0u8; CkSampler::CHECKPOINT_SIZE];
        s.save_checkpoint(&mut buf).ok()?;
        Some((fingerprint(s.walkers()), fnv_bytes(&buf)))
    };
    run().unwrap_or((0, 0))
}

/// The same run uninterrupted: [`CK_BEFORE`] + [`CK_AFTER`] steps of a
/// fresh [`checkpoint_sampler`]; (fingerprint, state hash) as
/// [`checkpoint_resume`] reports them; zeros on error.
pub fn checkpoint_uninterrupted() -> (u64, u64) {
    let run = || -> Option<(u64, u64)> {
        let net = net()?;
        let mut s = checkpoint_sampler(&net)?;
        checkpoint_steps(&mut s, &net, 0, CK_BEFORE + CK_AFTER)?;
        let mut buf = [0u8; CkSampler::CHECKPOINT_SIZE];
        s.save_checkpoint(&mut buf).ok()?;
        Some((fingerprint(s.walkers()), fnv_bytes(&buf)))
    };
    run().unwrap_or((0, 0))
}
