//! Sampler checkpoints: kernel records, the adaptation section, walkers,
//! diagnostics; and warm starts from a saved adaptation.

use super::{
    CheckpointKind, Dec, Enc, STREAM_LEN, State, corrupt, frame_len, restore_frame, save_frame,
};
use crate::adapt::DualAveraging;
use crate::diagnostics::Diagnostics;
use crate::error::Error;
use crate::kernel::Kernel;
use crate::kernels::{AnyKernel, Barker, Hmc, KernelKind, Mala, Nuts, PMala, Rwmh, Ula};
use crate::sampler::Sampler;
use crate::walkers::{StepInfo, Walkers};

/// A kernel's whole configuration as a checkpoint stores it, for walkers of
/// dimension capacity `D`: one layout for every kernel (fields a kind does
/// not use are left at their defaults). The masses are stored as the
/// kernel keeps them (HMC and NUTS: 1/mᵢ and √mᵢ; preconditioned MALA:
/// 1/mᵢ and √(1/mᵢ)), so a restored kernel has the same bits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelRecord<const D: usize> {
    /// [`KernelKind`] code.
    pub kind: u32,
    /// The kernel's step size.
    pub step_size: f32,
    /// HMC: leapfrog steps per proposal (1 for NUTS, 0 for other kinds).
    pub leapfrog_steps: u32,
    /// NUTS: maximum tree depth (0 for other kinds).
    pub max_tree_depth: u32,
    /// HMC, NUTS: step jitter fraction (0 for other kinds).
    pub step_jitter: f32,
    /// Length of the diagonal mass, 0 for the identity.
    pub mass_dim: u32,
    /// HMC, NUTS, PMala: 1/mᵢ (1 beyond `mass_dim` and for other kinds).
    pub a: [f32; D],
    /// HMC, NUTS: √mᵢ; PMala: √(1/mᵢ) (1 beyond `mass_dim`).
    pub b: [f32; D],
}

impl<const D: usize> KernelRecord<D> {
    /// Bytes a record takes in a checkpoint.
    pub const LEN: usize = 24 + 8 * D;

    /// A record of kind `kind` and step size `h`, identity mass, nothing
    /// else set.
    pub const fn new(kind: KernelKind, h: f32) -> Self {
        KernelRecord {
            kind: kind.code(),
            step_size: h,
            leapfrog_steps: 0,
            max_tree_depth: 0,
            step_jitter: 0.0,
            mass_dim: 0,
            a: [1.0; D],
            b: [1.0; D],
        }
    }

    /// The kind, if the code is known.
    pub const fn kernel_kind(&self) -> Option<KernelKind> {
        KernelKind::from_code(self.kind)
    }

    /// The mass length, checked against a kernel's capacity `dm`: the
    /// first `mass_dim` stored values finite and positive (1/m and √m of
    /// masses in [1e-20, 1e20] are), every one after them exactly 1 (the
    /// encoding is canonical: one state, one file).
    pub(crate) fn mass_checked(&self, dm: usize) -> Result<usize, Error> {
        let m = usize::try_from(self.mass_dim).unwrap_or(usize::MAX);
        if m > dm.min(D) {
            return Err(Error::CapacityExceeded {
                requested: m,
                capacity: dm.min(D),
            });
        }
        let ok = |v: &f32| v.is_finite() && *v > 0.0;
        let one = |v: &f32| v.to_bits() == 1f32.to_bits();
        let (a, ta) = self.a.split_at(m);
        let (b, tb) = self.b.split_at(m);
        if !(a.iter().chain(b).all(ok) && ta.iter().chain(tb).all(one)) {
            return Err(Error::InvalidConfig("checkpoint holds an invalid mass"));
        }
        Ok(m)
    }

    /// The fields the record's kind does not use hold their defaults (0;
    /// the mass is checked by [`KernelRecord::mass_checked`]).
    fn check_unused(&self, leapfrog: bool, depth: bool, jitter: bool) -> Result<(), Error> {
        if (!leapfrog && self.leapfrog_steps != 0)
            || (!depth && self.max_tree_depth != 0)
            || (!jitter && self.step_jitter.to_bits() != 0)
        {
            return Err(corrupt("kernel record sets a field its kind does not use"));
        }
        Ok(())
    }

    pub(crate) fn save(&self, e: &mut Enc<'_>) {
        e.u32(self.kind);
        e.f32(self.step_size);
        e.u32(self.leapfrog_steps);
        e.u32(self.max_tree_depth);
        e.f32(self.step_jitter);
        e.u32(self.mass_dim);
        e.f32s(&self.a);
        e.f32s(&self.b);
    }

    pub(crate) fn load(r: &mut Dec<'_>) -> Result<Self, Error> {
        let mut rec = KernelRecord::new(KernelKind::Ula, 0.0);
        rec.kind = r.u32()?;
        rec.step_size = r.f32()?;
        rec.leapfrog_steps = r.u32()?;
        rec.max_tree_depth = r.u32()?;
        rec.step_jitter = r.f32()?;
        rec.mass_dim = r.u32()?;
        r.local(|r| {
            r.f32s(&mut rec.a, false)?;
            r.f32s(&mut rec.b, false)
        })?;
        Ok(rec)
    }
}

/// A kernel a checkpoint can hold: every kernel of the crate and
/// [`AnyKernel`]. A kernel outside the crate implements it to make its
/// samplers checkpointable (any layout within a [`KernelRecord`]).
pub trait KernelState: Kernel + Sized {
    /// The kernel's record for walkers of dimension capacity `D`
    /// ([`Error::CapacityExceeded`] if its mass does not fit `D`).
    fn to_record<const D: usize>(&self) -> Result<KernelRecord<D>, Error>;

    /// The kernel a record describes, every value validated as the
    /// kernel's constructors do; another kind is
    /// [`Error::WrongModelKind`] (expected and found kernel codes).
    fn from_record<const D: usize>(rec: &KernelRecord<D>) -> Result<Self, Error>;
}

fn expect_kind<const D: usize>(rec: &KernelRecord<D>, kind: KernelKind) -> Result<(), Error> {
    if rec.kind == kind.code() {
        Ok(())
    } else {
        Err(Error::WrongModelKind {
            expected: kind.code() as u16,
            found: u16::try_from(rec.kind).unwrap_or(u16::MAX),
        })
    }
}

macro_rules! simple_kernel_state {
    ($t:ty, $kind:expr) => {
        impl KernelState for $t {
            fn to_record<const D: usize>(&self) -> Result<KernelRecord<D>, Error> {
                Ok(KernelRecord::new($kind, self.step_size()))
            }
            fn from_record<const D: usize>(rec: &KernelRecord<D>) -> Result<Self, Error> {
                expect_kind(rec, $kind)?;
                rec.check_unused(false, false, false)?;
                rec.mass_checked(0)?;
                <$t>::new(rec.step_size)
            }
        }
    };
}
simple_kernel_state!(Ula, KernelKind::Ula);
simple_kernel_state!(Mala, KernelKind::Mala);
simple_kernel_state!(Rwmh, KernelKind::Rwmh);
simple_kernel_state!(Barker, KernelKind::Barker);

macro_rules! mass_kernel_state {
    ($t:ident, $kind:expr, $used:expr) => {
        impl<const DM: usize> KernelState for $t<DM> {
            fn to_record<const D: usize>(&self) -> Result<KernelRecord<D>, Error> {
                let mut rec = KernelRecord::new($kind, self.step_size());
                self.fill_record(&mut rec)?;
                Ok(rec)
            }
            fn from_record<const D: usize>(rec: &KernelRecord<D>) -> Result<Self, Error> {
                expect_kind(rec, $kind)?;
                let (leapfrog, depth, jitter) = $used;
                rec.check_unused(leapfrog, depth, jitter)?;
                $t::<DM>::from_record(rec)
            }
        }
    };
}
// Which of leapfrog steps, tree depth and jitter each kind uses.
mass_kernel_state!(Hmc, KernelKind::Hmc, (true, false, true));
mass_kernel_state!(Nuts, KernelKind::Nuts, (true, true, true));
mass_kernel_state!(PMala, KernelKind::PMala, (false, false, false));

impl<const DM: usize> KernelState for AnyKernel<DM> {
    fn to_record<const D: usize>(&self) -> Result<KernelRecord<D>, Error> {
        match self {
            AnyKernel::Ula(k) => k.to_record(),
            AnyKernel::Mala(k) => k.to_record(),
            AnyKernel::Rwmh(k) => k.to_record(),
            AnyKernel::Hmc(k) => k.to_record(),
            AnyKernel::Barker(k) => k.to_record(),
            AnyKernel::Nuts(k) => k.to_record(),
            AnyKernel::PMala(k) => k.to_record(),
        }
    }
    fn from_record<const D: usize>(rec: &KernelRecord<D>) -> Result<Self, Error> {
        Ok(match rec.kernel_kind() {
            Some(KernelKind::Ula) => AnyKernel::Ula(KernelState::from_record(rec)?),
            Some(KernelKind::Mala) => AnyKernel::Mala(KernelState::from_record(rec)?),
            Some(KernelKind::Rwmh) => AnyKernel::Rwmh(KernelState::from_record(rec)?),
            Some(KernelKind::Hmc) => AnyKernel::Hmc(KernelState::from_record(rec)?),
            Some(KernelKind::Barker) => AnyKernel::Barker(KernelState::from_record(rec)?),
            Some(KernelKind::Nuts) => AnyKernel::Nuts(KernelState::from_record(rec)?),
            Some(KernelKind::PMala) => AnyKernel::PMala(KernelState::from_record(rec)?),
            None => return Err(corrupt("unknown kernel kind")),
        })
    }
}

/// What a sampler has learnt about its target: the tuned kernel (step
/// size, mass, and the rest of its configuration) and the step-size
/// adaptation. Exported with [`Sampler::adaptation`], imported with
/// [`Sampler::warm_start`] to start new walkers (another seed, another
/// start) with a tuned kernel and no warm-up.
///
/// This is also the adaptation section of a sampler checkpoint: every
/// adaptation state is saved and restored here, in one place
/// (`Adaptation::save`, `Adaptation::load`), so further adaptation
/// state (e.g. a mass-matrix adapter's accumulators) is one more field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptation<const D: usize> {
    /// The kernel, as in force for the next step.
    pub kernel: KernelRecord<D>,
    /// Whether step-size adaptation is running.
    pub adapting: bool,
    /// The dual-averaging state (meaningful while `adapting`).
    pub dual_averaging: DualAveraging,
}

impl<const D: usize> Adaptation<D> {
    /// Bytes the adaptation section takes in a checkpoint.
    pub const LEN: usize = KernelRecord::<D>::LEN + 1 + DualAveraging::STATE_LEN;

    pub(crate) fn save(&self, e: &mut Enc<'_>) {
        self.kernel.save(e);
        e.bool(self.adapting);
        self.dual_averaging.save_state(e);
    }

    pub(crate) fn load(r: &mut Dec<'_>) -> Result<Self, Error> {
        let kernel = KernelRecord::load(r)?;
        let adapting = r.bool()?;
        let dual_averaging = DualAveraging::load_state(r, adapting)?;
        Ok(Adaptation {
            kernel,
            adapting,
            dual_averaging,
        })
    }
}

/// Bytes of one [`StepInfo`] in a checkpoint.
const STEP_INFO_LEN: usize = 13;

/// Bytes of a walkers section.
pub(crate) const fn walkers_len(n: usize, d: usize) -> usize {
    18 + 8 * n * d + 4 * n + STREAM_LEN * n + STEP_INFO_LEN * n
}

/// Writes the persistent state of `w` (not its scratch): sizes, cache
/// flags, step count, positions, cached energies and gradients (whole
/// capacity-sized arrays), random streams, last-step records.
pub(crate) fn save_walkers<const N: usize, const D: usize>(w: &Walkers<N, D>, e: &mut Enc<'_>) {
    let c = &w.c;
    e.usize(c.n);
    e.usize(c.d);
    e.bool(c.u_fresh);
    e.bool(c.g_fresh);
    e.u64(c.steps);
    for row in &c.x {
        e.f32s(row);
    }
    e.f32s(&c.u);
    for row in &c.g {
        e.f32s(row);
    }
    for s in &c.rng {
        e.stream(s);
    }
    for i in &c.info {
        e.bool(i.accepted);
        e.f32(i.accept_prob);
        e.f32(i.energy);
        e.u8(i.tree_depth);
        e.bool(i.divergent);
        e.u16(i.n_leapfrog);
    }
}

/// Reads what [`save_walkers`] wrote. Positions of live walkers must be
/// finite, and so must the cached energies and gradients marked fresh.
pub(crate) fn load_walkers<const N: usize, const D: usize>(
    w: &mut Walkers<N, D>,
    r: &mut Dec<'_>,
) -> Result<(), Error> {
    let n = r.usize_max(N)?;
    let d = r.usize_max(D)?;
    if (n == 0) != (d == 0) {
        return Err(corrupt("walker sizes"));
    }
    let u_fresh = r.bool()?;
    let g_fresh = r.bool()?;
    let c = &mut w.c;
    r.set(&mut c.n, |_| Ok(n))?;
    r.set(&mut c.d, |_| Ok(d))?;
    r.set(&mut c.u_fresh, |_| Ok(u_fresh))?;
    r.set(&mut c.g_fresh, |_| Ok(g_fresh))?;
    r.set(&mut c.steps, |r| r.u64())?;
    for (i, row) in c.x.iter_mut().enumerate() {
        let live = if i < d { n } else { 0 };
        let (a, b) = row.split_at_mut(live);
        r.f32s(a, true)?;
        r.f32s(b, false)?;
    }
    let (a, b) = c.u.split_at_mut(n);
    r.f32s(a, u_fresh)?;
    r.f32s(b, false)?;
    for (i, row) in c.g.iter_mut().enumerate() {
        let live = if i < d { n } else { 0 };
        let (a, b) = row.split_at_mut(live);
        r.f32s(a, g_fresh)?;
        r.f32s(b, false)?;
    }
    for s in &mut c.rng {
        r.set(s, |r| r.stream())?;
    }
    for i in &mut c.info {
        let v = StepInfo {
            accepted: r.bool()?,
            accept_prob: r.f32()?,
            energy: r.f32()?,
            tree_depth: r.u8()?,
            divergent: r.bool()?,
            n_leapfrog: r.u16()?,
        };
        r.set(i, |_| Ok(v))?;
    }
    Ok(())
}

impl<K: KernelState, const N: usize, const D: usize> Sampler<K, N, D> {
    /// Bytes of the body of a checkpoint.
    const BODY_LEN: usize =
        4 + 1 + Adaptation::<D>::LEN + walkers_len(N, D) + Diagnostics::<N, D>::STATE_LEN;

    /// Bytes [`Sampler::save_checkpoint`] writes: a constant of N and D
    /// (the kernel's record is sized by D whatever the kernel).
    pub const CHECKPOINT_SIZE: usize = frame_len(2, Self::BODY_LEN);

    /// [`Sampler::CHECKPOINT_SIZE`], as a method.
    pub const fn checkpoint_size(&self) -> usize {
        Self::CHECKPOINT_SIZE
    }

    /// The tuned kernel and the adaptation state, to start another sampler
    /// without re-adapting ([`Sampler::warm_start`]). While adapting, the
    /// kernel's step size is the current (noisy) iterate; freeze first
    /// ([`Sampler::freeze_step_size`]) to export the averaged one.
    pub fn adaptation(&self) -> Result<Adaptation<D>, Error> {
        Ok(Adaptation {
            kernel: self.ens.kernel.to_record()?,
            adapting: self.adapting,
            dual_averaging: self.adapt,
        })
    }

    /// Takes the tuned kernel of `a` (step size, mass, leapfrog steps,
    /// tree depth, jitter) and stops adaptation: the walkers, β and the
    /// diagnostics stay as they are. With `a.adapting`, adaptation instead
    /// continues from `a`'s dual-averaging state. On error (an invalid or
    /// other-kind kernel, an unusable adaptation state) nothing changes.
    pub fn warm_start(&mut self, a: &Adaptation<D>) -> Result<(), Error> {
        let kernel = K::from_record(&a.kernel)?;
        if a.adapting {
            a.dual_averaging.check_usable()?;
        }
        self.ens.kernel = kernel;
        self.adapting = a.adapting;
        self.adapt = if a.adapting {
            a.dual_averaging
        } else {
            DualAveraging::idle()
        };
        Ok(())
    }

    /// [`Sampler::warm_start`] from the adaptation section of a sampler
    /// checkpoint (frame, CRC and adaptation section are validated; its
    /// walkers and diagnostics are not used). On error nothing changes.
    pub fn warm_start_from_checkpoint(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let mut found = None;
        restore_frame(
            bytes,
            CheckpointKind::Sampler,
            &[N, D],
            Self::BODY_LEN,
            |r| {
                let (a, _, _) = Self::load_head(r)?;
                // Skip (and check) the rest without a sampler-sized copy.
                skip_walkers_and_diagnostics::<N, D>(r)?;
                found = Some(a);
                Ok(())
            },
        )?;
        let a = found.ok_or(corrupt("checkpoint layout"))?;
        let a = Adaptation {
            adapting: false,
            ..a
        };
        self.warm_start(&a)
    }

    /// Writes the sampler's whole state into `out[..CHECKPOINT_SIZE]` and
    /// returns that length: β, recording flag, the [`Adaptation`] section
    /// (kernel and dual averaging), the walkers (positions, cached U and
    /// ∇U with their validity, random streams, last-step records, step
    /// count) and the diagnostics. The energy is not saved. A short buffer
    /// is [`Error::CapacityExceeded`], a kernel whose mass does not fit D
    /// too; nothing is written then.
    pub fn save_checkpoint(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.ens.kernel.to_record::<D>()?;
        save_frame(out, CheckpointKind::Sampler, &[N, D], Self::BODY_LEN, |e| {
            self.save_state(e)
        })
    }

    /// Replaces the sampler's whole state by a checkpoint's; stepping it
    /// with the energy the checkpointed sampler used continues that run
    /// bit for bit. On any error (see [`crate::checkpoint`] for the
    /// checks, in order) the sampler is unchanged.
    pub fn restore_checkpoint(&mut self, bytes: &[u8]) -> Result<(), Error> {
        restore_frame(
            bytes,
            CheckpointKind::Sampler,
            &[N, D],
            Self::BODY_LEN,
            |r| self.load_state(r),
        )
    }

    /// β, the recording flag and the adaptation section.
    fn load_head(r: &mut Dec<'_>) -> Result<(Adaptation<D>, f32, bool), Error> {
        let beta = r.f32()?;
        crate::walkers::check_beta(beta)?;
        let record = r.bool()?;
        let a = Adaptation::load(r)?;
        K::from_record(&a.kernel)?;
        Ok((a, beta, record))
    }
}

impl<K: KernelState, const N: usize, const D: usize> State for Sampler<K, N, D> {
    const STATE_LEN: usize = Self::BODY_LEN;

    /// β, recording flag, adaptation section, walkers, diagnostics. A
    /// kernel whose record does not fit D (checked by `save_checkpoint`
    /// first) is written as a zero record, which no restore accepts.
    fn save_state(&self, e: &mut Enc<'_>) {
        e.f32(self.ens.beta);
        e.bool(self.record);
        let a = self.adaptation().unwrap_or(Adaptation {
            kernel: KernelRecord {
                kind: u32::MAX,
                ..KernelRecord::new(KernelKind::Ula, 0.0)
            },
            adapting: false,
            dual_averaging: DualAveraging::idle(),
        });
        a.save(e);
        save_walkers(&self.ens.walkers, e);
        self.diag.save_state(e);
    }

    fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error> {
        let (a, beta, record) = Self::load_head(r)?;
        let kernel = K::from_record(&a.kernel)?;
        load_walkers(&mut self.ens.walkers, r)?;
        self.diag.load_state(r)?;
        if r.apply {
            self.ens.beta = beta;
            self.record = record;
            self.ens.kernel = kernel;
            self.adapting = a.adapting;
            self.adapt = a.dual_averaging;
        }
        Ok(())
    }
}

/// Checks the walkers and diagnostics sections without a target.
fn skip_walkers_and_diagnostics<const N: usize, const D: usize>(
    r: &mut Dec<'_>,
) -> Result<(), Error> {
    let len = walkers_len(N, D) + Diagnostics::<N, D>::STATE_LEN;
    for _ in 0..len {
        r.u8()?;
    }
    Ok(())
}
