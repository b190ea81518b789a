//! Samplers from C: n walkers stepped by ULA, MALA, random-walk MH or HMC,
//! with optional step-size adaptation and streaming diagnostics
//! ([`TebmSampler`]). The energy is passed to every step.

use core::ffi::{c_char, c_void};
use core::mem::{align_of, offset_of, size_of};

use ebm::adapt::{HMC_TARGET, MALA_TARGET, RWMH_TARGET};
use ebm::walkers::{Chains, Scratch};
use ebm::{
    AnyKernel, DualAveraging, Energy, Error, Evals, Hmc, Kernel, Mala, Rwmh, Sampler, StepSummary,
    Ula, Walkers,
};

use crate::energy::{EnergyRef, energy_ref};
use crate::handle::{
    Handle, Object, SAMPLER_TAG, check_null, check_object, floats, object_memory, object_mut,
    object_ref, out_slice, tri,
};
use crate::status::{ErrorText, TebmStatus, write_c_str};
use crate::{
    TEBM_MAX_DIM, TEBM_MAX_WALKERS, TEBM_OBJECT_ALIGN, TEBM_SAMPLER_HEADER_SIZE, TEBM_SAMPLER_SIZE,
    TebmEnergy, TebmSampler,
};

/// Markov kernel of a sampler (`TebmSamplerConfig::kernel`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmKernel {
    /// Unadjusted Langevin: x' = x − h∇U + √(2h/β)ξ, always taken (biased
    /// for h > 0). A non-finite or declined proposal is an error.
    Ula = 0,
    /// Metropolis-adjusted Langevin (exact).
    Mala = 1,
    /// Random-walk Metropolis–Hastings with proposal sd = step size (exact;
    /// needs no gradient).
    Mh = 2,
    /// Hamiltonian Monte Carlo, `leapfrog_steps` leapfrog steps of size
    /// `step_size` per proposal (exact).
    Hmc = 3,
}

/// How to build a sampler. Start from `tebm_sampler_config_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TebmSamplerConfig {
    /// A `TebmKernel` value.
    pub kernel: u32,
    /// Number of walkers, 1..=`TEBM_MAX_WALKERS`.
    pub n_walkers: usize,
    /// Seed of the walkers' random streams (same seed, same bits).
    pub seed: u64,
    /// Step size h (Langevin), proposal sd (MH) or leapfrog step (HMC); > 0.
    pub step_size: f32,
    /// Inverse temperature β > 0.
    pub beta: f32,
    /// Non-zero: adapt the step size by dual averaging toward
    /// `target_accept` until `tebm_sampler_freeze_step_size`. Not for ULA.
    pub adapt: u32,
    /// Target acceptance in (0, 1); 0 picks the kernel's default (0.574
    /// MALA, 0.234 MH, 0.65 HMC).
    pub target_accept: f32,
    /// HMC: leapfrog steps per proposal (≥ 1). Ignored by other kernels.
    pub leapfrog_steps: u32,
    /// HMC: diagonal mass (dim positive floats), or NULL for the identity.
    pub hmc_mass: *const f32,
    /// Initial positions (n_walkers × dim floats, walker-major), or NULL
    /// to draw them from N(`init_center`, `init_sd`²·I).
    pub init_positions: *const f32,
    /// Centre of the initial Gaussian (dim floats), or NULL for the origin.
    pub init_center: *const f32,
    /// Standard deviation of the initial Gaussian (≥ 0).
    pub init_sd: f32,
}

/// A summary of a sampler (`tebm_sampler_stats`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TebmSamplerStats {
    /// Number of walkers.
    pub n_walkers: usize,
    /// Dimension.
    pub dim: usize,
    /// Steps taken since initialisation.
    pub steps: u64,
    /// Draws per walker recorded in the diagnostics (since the last reset).
    pub draws: u64,
    /// Fraction of proposals accepted since the last diagnostics reset
    /// (NaN before any step).
    pub acceptance_rate: f64,
    /// Mean acceptance probability of the last step.
    pub last_mean_accept_prob: f32,
    /// Current step size.
    pub step_size: f32,
    /// Inverse temperature β.
    pub beta: f32,
    /// 1 while the step size is being adapted.
    pub adapting: u32,
    /// Smallest effective sample size over coordinates (NaN if too few draws).
    pub min_ess: f64,
    /// Largest split-R̂ over coordinates (NaN if too few draws).
    pub max_rhat: f64,
}

/// The kernels behind one type (also the trainer's). `repr(u8)`: all-zero
/// bytes are a valid value (`Basic(Ula)` with h = 0), which `write_blank`
/// relies on.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub(crate) enum FfiKernel {
    Basic(AnyKernel),
    Hmc(Hmc<TEBM_MAX_DIM>),
}

impl Kernel for FfiKernel {
    fn step_size(&self) -> f32 {
        match self {
            FfiKernel::Basic(k) => k.step_size(),
            FfiKernel::Hmc(k) => k.step_size(),
        }
    }
    fn set_step_size(&mut self, h: f32) -> Result<(), Error> {
        match self {
            FfiKernel::Basic(k) => k.set_step_size(h),
            FfiKernel::Hmc(k) => k.set_step_size(h),
        }
    }
    fn adjusted(&self) -> bool {
        match self {
            FfiKernel::Basic(k) => k.adjusted(),
            FfiKernel::Hmc(k) => k.adjusted(),
        }
    }
    fn needs_grad(&self) -> bool {
        match self {
            FfiKernel::Basic(k) => k.needs_grad(),
            FfiKernel::Hmc(k) => k.needs_grad(),
        }
    }
    fn unadjusted_langevin(&self) -> bool {
        match self {
            FfiKernel::Basic(k) => k.unadjusted_langevin(),
            FfiKernel::Hmc(k) => k.unadjusted_langevin(),
        }
    }
    fn check_dim(&self, dim: usize) -> Result<(), Error> {
        match self {
            FfiKernel::Basic(k) => k.check_dim(dim),
            FfiKernel::Hmc(k) => k.check_dim(dim),
        }
    }
    fn propose<E: Energy, const N: usize, const D: usize>(
        &self,
        energy: &E,
        beta: f32,
        c: &Chains<N, D>,
        s: &mut Scratch<N, D>,
    ) {
        match self {
            FfiKernel::Basic(k) => k.propose(energy, beta, c, s),
            FfiKernel::Hmc(k) => k.propose(energy, beta, c, s),
        }
    }
    fn step<E: Energy, const N: usize, const D: usize>(
        &self,
        energy: &E,
        beta: f32,
        walkers: &mut Walkers<N, D>,
    ) -> Result<StepSummary, Error> {
        match self {
            FfiKernel::Basic(k) => k.step(energy, beta, walkers),
            FfiKernel::Hmc(k) => k.step(energy, beta, walkers),
        }
    }
}

type Inner = Sampler<FfiKernel, TEBM_MAX_WALKERS, TEBM_MAX_DIM>;

/// A sampler object in caller memory: a header (tag and last-error record,
/// `TEBM_SAMPLER_HEADER_SIZE` bytes), then the state.
pub(crate) type SamplerObj = Object<State>;

impl Handle for TebmSampler {
    type State = State;
    const TAG: u32 = SAMPLER_TAG;
}

pub(crate) struct State {
    sampler: Inner,
    /// The kernel family, for the adaptation target's default.
    kind: TebmKernel,
    last: StepSummary,
    /// Address of the energy the cached U and ∇U belong to.
    energy_addr: usize,
}

const _: () = assert!(offset_of!(SamplerObj, state) == TEBM_SAMPLER_HEADER_SIZE);
const _: () = assert!(size_of::<SamplerObj>() <= TEBM_SAMPLER_SIZE);
const _: () = assert!(align_of::<SamplerObj>() <= TEBM_OBJECT_ALIGN);
const _: () = assert!(size_of::<TebmSampler>() == TEBM_SAMPLER_SIZE);

/// Bytes a sampler object needs (≤ `TEBM_SAMPLER_SIZE`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_sampler_size() -> usize {
    size_of::<SamplerObj>()
}

/// Alignment a sampler object needs (≤ `TEBM_OBJECT_ALIGN`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_sampler_align() -> usize {
    align_of::<SamplerObj>()
}

/// Fills `*cfg` with defaults: MALA, 32 walkers, seed 1, step size 0.1,
/// β = 1, no adaptation, default target, 10 leapfrog steps, identity mass,
/// initial positions N(0, 1).
///
/// # Safety
/// `cfg` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_config_default(cfg: *mut TebmSamplerConfig) -> TebmStatus {
    check_null!(cfg);
    let c = TebmSamplerConfig {
        kernel: TebmKernel::Mala as u32,
        n_walkers: 32,
        seed: 1,
        step_size: 0.1,
        beta: 1.0,
        adapt: 0,
        target_accept: 0.0,
        leapfrog_steps: 10,
        hmc_mass: core::ptr::null(),
        init_positions: core::ptr::null(),
        init_center: core::ptr::null(),
        init_sd: 1.0,
    };
    // SAFETY: non-null and writable per contract.
    unsafe { cfg.write(c) };
    TebmStatus::Ok
}

fn default_target(kind: TebmKernel) -> f32 {
    match kind {
        TebmKernel::Ula | TebmKernel::Mala => MALA_TARGET,
        TebmKernel::Mh => RWMH_TARGET,
        TebmKernel::Hmc => HMC_TARGET,
    }
}

fn kernel_kind(k: u32) -> Result<TebmKernel, Error> {
    Ok(match k {
        0 => TebmKernel::Ula,
        1 => TebmKernel::Mala,
        2 => TebmKernel::Mh,
        3 => TebmKernel::Hmc,
        _ => return Err(Error::InvalidConfig("unknown kernel")),
    })
}

fn adaptation_target(kind: TebmKernel, target: f32) -> Result<f32, Error> {
    if kind == TebmKernel::Ula {
        return Err(Error::InvalidConfig(
            "ULA accepts every move: nothing to adapt to",
        ));
    }
    Ok(if target == 0.0 {
        default_target(kind)
    } else {
        target
    })
}

/// A sampler configuration, fully validated before any memory is written.
struct Plan {
    kind: TebmKernel,
    kernel: FfiKernel,
    beta: f32,
    adapt: Option<DualAveraging>,
}

fn plan(cfg: &TebmSamplerConfig, mass: Option<&[f32]>) -> Result<Plan, Error> {
    let kind = kernel_kind(cfg.kernel)?;
    let h = cfg.step_size;
    let kernel = match kind {
        TebmKernel::Ula => FfiKernel::Basic(AnyKernel::Ula(Ula::new(h)?)),
        TebmKernel::Mala => FfiKernel::Basic(AnyKernel::Mala(Mala::new(h)?)),
        TebmKernel::Mh => FfiKernel::Basic(AnyKernel::Rwmh(Rwmh::new(h)?)),
        TebmKernel::Hmc => {
            let steps = usize::try_from(cfg.leapfrog_steps).unwrap_or(usize::MAX);
            let k = Hmc::new(h, steps)?;
            FfiKernel::Hmc(match mass {
                Some(m) => k.with_diagonal_mass(m)?,
                None => k,
            })
        }
    };
    if !(cfg.beta.is_finite() && cfg.beta > 0.0) {
        return Err(Error::InvalidConfig("inverse temperature beta must be > 0"));
    }
    let adapt = if cfg.adapt != 0 {
        let target = adaptation_target(kind, cfg.target_accept)?;
        Some(DualAveraging::new(h, target)?)
    } else {
        None
    };
    Ok(Plan {
        kind,
        kernel,
        beta: cfg.beta,
        adapt,
    })
}

enum Init<'a> {
    Positions(&'a [f32]),
    Gaussian(Option<&'a [f32]>),
}

/// Writes a valid, empty sampler object (no walkers) at `p`, in place: the
/// memory is zeroed (a valid `SamplerObj`, see below), then the core's
/// in-place `Sampler::reinit` fills it. No sampler-sized temporary is built,
/// so this needs only a few hundred bytes of stack.
///
/// # Safety
/// `p` must be non-null, aligned for `SamplerObj`, and point to
/// `size_of::<SamplerObj>()` writable bytes used by no one else.
#[inline(never)]
unsafe fn write_blank(p: *mut SamplerObj, plan: &Plan) {
    // SAFETY: per this function's contract, `p` is valid for writing one
    // `SamplerObj`. All-zero bytes are a valid `SamplerObj`: its fields and
    // theirs are integers, floats, bools, random streams (two u64), arrays
    // and plain structs of these (documented for `Sampler`, `Walkers` and
    // `Diagnostics` in the core), plus enums with a fixed layout whose tag 0
    // is a variant whose fields are again all zero-valid: `FfiKernel`
    // (`repr(u8)`, 0 = `Basic`), `AnyKernel` (`repr(u8)`, 0 = `Ula`) and
    // `TebmKernel` (`repr(C)`, 0 = `Ula`). So after `write_bytes` the
    // reference below points to a valid, exclusively owned object.
    let obj = unsafe {
        p.write_bytes(0, 1);
        &mut *p
    };
    obj.state.sampler.reinit(plan.kernel);
    obj.state.kind = plan.kind;
    obj.state.last = StepSummary::default();
    obj.state.energy_addr = 0;
    obj.error = ErrorText::new();
    obj.tag = SAMPLER_TAG;
}

/// (Re)initialises a valid sampler object in place, without building a
/// second one on the stack. The walkers are initialised first, all or
/// nothing for their state (their scratch space may be written on
/// failure); everything after them cannot fail (validated by `plan`).
#[inline(never)]
fn init_in_place(
    obj: &mut SamplerObj,
    energy: EnergyRef<'_>,
    plan: Plan,
    cfg: &TebmSamplerConfig,
    init: Init<'_>,
) -> Result<(), Error> {
    let e = &energy.model;
    let sm = &mut obj.state.sampler;
    match init {
        Init::Positions(p) => sm
            .walkers_mut()
            .init_positions(e, cfg.n_walkers, cfg.seed, p)?,
        Init::Gaussian(c) => {
            let zeros = [0f32; TEBM_MAX_DIM];
            let c = c.unwrap_or(&zeros[..e.dim().min(TEBM_MAX_DIM)]);
            sm.walkers_mut()
                .init_gaussian(e, cfg.n_walkers, cfg.seed, c, cfg.init_sd)?
        }
    }
    // Drop any adaptation in progress (its result is overwritten next).
    sm.stop_adaptation();
    *sm.kernel_mut() = plan.kernel;
    // Validated by `plan`: cannot fail.
    sm.set_beta(plan.beta)?;
    if let Some(da) = plan.adapt {
        sm.start_adaptation_with(da);
    }
    sm.set_recording(true);
    sm.reset_diagnostics();
    obj.state.kind = plan.kind;
    obj.state.last = StepSummary::default();
    obj.state.energy_addr = energy.addr;
    obj.error = ErrorText::new();
    Ok(())
}

/// Initialises a sampler in `mem` (`mem_len` bytes: a `TebmSampler`, or
/// `tebm_sampler_size()` bytes aligned to `tebm_sampler_align()`) for
/// `energy`, as `cfg` says. The initial positions must have finite
/// energies and gradients.
///
/// The object is built in place, on fresh memory as on an existing sampler:
/// about 2 KB of stack on a Cortex-M4F. On failure:
/// if `mem` held a sampler, its state is unchanged (only scratch space may
/// differ, as after a failed step); otherwise `mem` still holds no sampler
/// (it may have been written to when the failure came from evaluating the
/// energy at the initial positions; argument, configuration and memory
/// errors write nothing).
///
/// # Safety
/// Pointers must be NULL or valid: `mem` for `mem_len` writable bytes not
/// in use by another call, `energy` a `TebmEnergy`'s storage, `cfg` a
/// readable config whose non-NULL arrays have the documented lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_init(
    mem: *mut c_void,
    mem_len: usize,
    energy: *const TebmEnergy,
    cfg: *const TebmSamplerConfig,
) -> TebmStatus {
    check_null!(mem, energy, cfg);
    let p = tri!(object_memory::<SamplerObj>(mem, mem_len));
    // SAFETY: non-null; energy storage per contract, not written by us.
    let e = tri!(unsafe { energy_ref(energy) });
    // SAFETY: non-null and readable per contract; every bit pattern of the
    // struct's fields (integers, floats, raw pointers) is valid.
    let cfg = unsafe { cfg.read() };
    let (n, d) = (cfg.n_walkers, e.model.dim());
    if n == 0 {
        return TebmStatus::BadDimension;
    }
    if n > TEBM_MAX_WALKERS {
        return TebmStatus::CapacityExceeded;
    }
    let mass = if cfg.kernel == TebmKernel::Hmc as u32 && !cfg.hmc_mass.is_null() {
        // SAFETY: non-null; `dim` floats per the config's contract.
        Some(unsafe { floats(cfg.hmc_mass, d) })
    } else {
        None
    };
    let init = if !cfg.init_positions.is_null() {
        // SAFETY: non-null; n·dim floats (≤ 64·16) per the config's contract.
        Init::Positions(unsafe { floats(cfg.init_positions, n * d) })
    } else if !cfg.init_center.is_null() {
        // SAFETY: non-null; `dim` floats per the config's contract.
        Init::Gaussian(Some(unsafe { floats(cfg.init_center, d) }))
    } else {
        Init::Gaussian(None)
    };
    let plan = tri!(plan(&cfg, mass));
    // Checked here too (the walkers check it again) so that a bad centre or
    // sd writes nothing into fresh memory (found by fuzz/capi).
    if let Init::Gaussian(c) = &init {
        if !(cfg.init_sd.is_finite() && cfg.init_sd >= 0.0)
            || c.is_some_and(|c| c.iter().any(|v| !v.is_finite()))
        {
            return TebmStatus::BadConfig;
        }
    }
    // SAFETY: `p` is non-null, aligned for `SamplerObj` and has room for one
    // (checked by `object_memory`); `check_object` reads its first 4 bytes.
    let existing =
        unsafe { check_object::<SamplerObj>(p.cast_const().cast(), SAMPLER_TAG) }.is_ok();
    if !existing {
        // SAFETY: as above, and the memory is writable and not in use by
        // anyone else per contract.
        unsafe { write_blank(p, &plan) };
    }
    // SAFETY: `p` now holds a valid `SamplerObj` (an existing one, checked
    // by its tag, or the one just written), used by no one else per contract.
    let obj = unsafe { &mut *p };
    match init_in_place(obj, e, plan, &cfg, init) {
        Ok(()) => TebmStatus::Ok,
        Err(err) => {
            if !existing {
                // Not a sampler before the call: not one after a failure.
                obj.tag = 0;
            }
            TebmStatus::from(err)
        }
    }
}

/// Runs `steps` steps of every walker on `energy` (whose dimension must be
/// the sampler's). Each step is all-or-nothing; the run stops at the first
/// failing step, whose changes are discarded, and `*steps_done` (when not
/// NULL) tells how many steps were taken. So a failing call with
/// `steps == 1` leaves the sampler's state as it was (its last-error record
/// and scratch space aside). A proposal with a non-finite or declined
/// energy is a rejection for MALA, MH and HMC, and a failure (`NON_FINITE`
/// or `CALLBACK_ERROR`) for ULA.
///
/// Each walker caches U and ∇U at its position. When `energy` is another
/// object than the one last used (compared by address), the first step
/// re-evaluates the caches; if the new energy is not usable at every
/// current position, nothing changes (status `NON_FINITE` or
/// `CALLBACK_ERROR`); if the step fails later (ULA), the caches already
/// belong to the new energy, the rest is unchanged. When the *same* object
/// now computes something else
/// (a callback whose parameters changed, an energy re-initialised in
/// place), call `tebm_sampler_invalidate` first.
///
/// # Safety
/// `sampler` must be NULL or a `TebmSampler`'s storage used by no one else
/// during the call (the energy callback must not touch it); `energy` NULL
/// or a `TebmEnergy`'s storage; `steps_done` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_run(
    sampler: *mut TebmSampler,
    energy: *const TebmEnergy,
    steps: usize,
    steps_done: *mut usize,
) -> TebmStatus {
    check_null!(sampler, energy);
    // SAFETY: non-null; storage per contract. The energy is checked before
    // the sampler is borrowed mutably; if both handles were the same
    // memory, one of the two tag checks fails.
    let e = tri!(unsafe { energy_ref(energy) });
    // SAFETY: non-null; exclusive storage per contract.
    let s = tri!(unsafe { object_mut(sampler) });
    let mut done = 0;
    let mut status = TebmStatus::Ok;
    if e.model.dim() != s.state.sampler.walkers().dim() {
        status = s.fail(
            "tebm_sampler_run",
            Error::DimensionMismatch {
                expected: s.state.sampler.walkers().dim(),
                found: e.model.dim(),
            },
        );
    } else {
        while done < steps {
            let r = if e.addr == s.state.energy_addr {
                s.state.sampler.step(&e.model)
            } else {
                step_new_energy(&mut s.state, e)
            };
            match r {
                Ok(summary) => {
                    s.state.last = summary;
                    done += 1;
                }
                Err(err) => {
                    status = s.fail("tebm_sampler_run", err);
                    break;
                }
            }
        }
    }
    if !steps_done.is_null() {
        // SAFETY: non-null and writable per contract.
        unsafe { steps_done.write(done) };
    }
    status
}

/// Marks the cached energies and gradients stale: call it after changing
/// what the energy computes (e.g. the parameters a callback reads). The
/// next step re-evaluates every walker first (and fails, changing nothing
/// else, if a walker's energy is then not finite).
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_invalidate(sampler: *mut TebmSampler) -> TebmStatus {
    check_null!(sampler);
    // SAFETY: non-null; exclusive storage per contract.
    let s = tri!(unsafe { object_mut(sampler) });
    s.state.sampler.walkers_mut().invalidate();
    TebmStatus::Ok
}

/// One step on an energy object other than the one the cached values came
/// from. The new energy is first evaluated at the current positions into a
/// local buffer: if any walker's value is unusable, nothing changes. Then
/// the caches are marked stale and the step re-evaluates them (so a ULA
/// step that fails at its proposals still leaves caches that belong to the
/// new energy; positions, random streams and everything else are as
/// before). Out of line: its buffer (≈ 4.6 KB) is only on the stack when
/// the energy changes.
#[inline(never)]
fn step_new_energy(state: &mut State, e: EnergyRef<'_>) -> Result<StepSummary, Error> {
    let sm = &mut state.sampler;
    let needs_grad = sm.kernel().needs_grad();
    let w = sm.walkers();
    let (n, d) = (w.len(), w.dim());
    let mut ev = Evals::<TEBM_MAX_WALKERS, TEBM_MAX_DIM>::new();
    e.model
        .eval_batch(w.positions_soa(), n, needs_grad, &mut ev);
    for i in 0..n {
        if !ev.is_valid(i, d, needs_grad) {
            return Err(match ev.code[i] {
                0 => Error::NonFinite { walker: i },
                i32::MIN => Error::DimensionMismatch {
                    expected: d,
                    found: e.model.dim(),
                },
                code => Error::EnergyDeclined { walker: i, code },
            });
        }
    }
    sm.walkers_mut().invalidate();
    state.energy_addr = e.addr;
    sm.step(&e.model)
}

/// Copies the positions (n_walkers × dim floats, walker-major) into `out`
/// (`len` floats, at least n_walkers·dim).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `out` NULL or `len`
/// writable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_positions(
    sampler: *const TebmSampler,
    out: *mut f32,
    len: usize,
) -> TebmStatus {
    check_null!(sampler, out);
    // SAFETY: non-null; storage per contract.
    let s = tri!(unsafe { object_ref(sampler) });
    let w = s.state.sampler.walkers();
    let need = w.len() * w.dim();
    if len < need {
        return TebmStatus::BufferTooSmall;
    }
    // SAFETY: non-null; at least `need` writable floats (len ≥ need).
    let out = unsafe { out_slice(out, need) };
    tri!(w.positions(out));
    TebmStatus::Ok
}

/// Copies each walker's energy U at its position into `out` (`len` ≥
/// n_walkers floats).
///
/// # Safety
/// As for [`tebm_sampler_positions`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_energies(
    sampler: *const TebmSampler,
    out: *mut f32,
    len: usize,
) -> TebmStatus {
    check_null!(sampler, out);
    // SAFETY: non-null; storage per contract.
    let s = tri!(unsafe { object_ref(sampler) });
    let u = s.state.sampler.walkers().energies();
    if len < u.len() {
        return TebmStatus::BufferTooSmall;
    }
    // SAFETY: non-null; at least `u.len()` writable floats.
    unsafe { out_slice(out, u.len()) }.copy_from_slice(u);
    TebmStatus::Ok
}

/// Per walker, whether its last step's proposal was taken (1) or not (0),
/// into `out` (`len` ≥ n_walkers bytes); and, when `accept_prob` is not
/// NULL, the Metropolis–Hastings acceptance probability of that proposal
/// (`len` floats; 1 for ULA, 0 for an invalid proposal).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `accepted` NULL or `len`
/// writable bytes; `accept_prob` NULL or `len` writable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_last_accepted(
    sampler: *const TebmSampler,
    accepted: *mut u8,
    accept_prob: *mut f32,
    len: usize,
) -> TebmStatus {
    check_null!(sampler, accepted);
    // SAFETY: non-null; storage per contract.
    let s = tri!(unsafe { object_ref(sampler) });
    let w = s.state.sampler.walkers();
    let n = w.len();
    if len < n {
        return TebmStatus::BufferTooSmall;
    }
    // SAFETY: non-null; at least `n` writable bytes.
    let acc = unsafe { out_slice(accepted, n) };
    for (i, a) in acc.iter_mut().enumerate() {
        *a = u8::from(w.last_step(i).accepted);
    }
    if !accept_prob.is_null() {
        // SAFETY: non-null; at least `n` writable floats.
        let p = unsafe { out_slice(accept_prob, n) };
        for (i, q) in p.iter_mut().enumerate() {
            *q = w.last_step(i).accept_prob;
        }
    }
    TebmStatus::Ok
}

/// Writes a summary (sizes, steps, acceptance, step size, β, ESS, R̂).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_stats(
    sampler: *const TebmSampler,
    out: *mut TebmSamplerStats,
) -> TebmStatus {
    check_null!(sampler, out);
    // SAFETY: non-null; storage per contract.
    let s = tri!(unsafe { object_ref(sampler) });
    let sm = &s.state.sampler;
    let (w, dg) = (sm.walkers(), sm.diagnostics());
    let stats = TebmSamplerStats {
        n_walkers: w.len(),
        dim: w.dim(),
        steps: w.steps(),
        draws: dg.draws(),
        acceptance_rate: dg.acceptance_rate(),
        last_mean_accept_prob: s.state.last.mean_accept_prob,
        step_size: sm.kernel().step_size(),
        beta: sm.beta(),
        adapting: u32::from(sm.is_adapting()),
        min_ess: dg.min_ess(),
        max_rhat: dg.max_rhat(),
    };
    // SAFETY: non-null and writable per contract.
    unsafe { out.write(stats) };
    TebmStatus::Ok
}

/// Which per-coordinate diagnostic (`tebm_sampler_diagnostic`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmDiagnostic {
    /// Mean pooled over walkers and recorded draws.
    Mean = 0,
    /// Variance pooled over walkers and recorded draws.
    Variance = 1,
    /// Effective sample size (batch means).
    Ess = 2,
    /// Split-R̂ across walkers (over the largest power-of-two prefix).
    Rhat = 3,
}

/// Copies one diagnostic (a `TebmDiagnostic` value) for every coordinate
/// into `out` (`len` ≥ dim doubles). Values are NaN until enough draws are
/// recorded.
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `out` NULL or `len`
/// writable doubles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_diagnostic(
    sampler: *const TebmSampler,
    which: u32,
    out: *mut f64,
    len: usize,
) -> TebmStatus {
    check_null!(sampler, out);
    // SAFETY: non-null; storage per contract.
    let s = tri!(unsafe { object_ref(sampler) });
    let sm = &s.state.sampler;
    let d = sm.walkers().dim();
    let dg = sm.diagnostics();
    let f: fn(&ebm::Diagnostics<TEBM_MAX_WALKERS, TEBM_MAX_DIM>, usize) -> f64 = match which {
        0 => |g, i| g.mean(i),
        1 => |g, i| g.variance(i),
        2 => |g, i| g.ess(i),
        3 => |g, i| g.rhat(i),
        _ => return TebmStatus::BadConfig,
    };
    if len < d {
        return TebmStatus::BufferTooSmall;
    }
    // SAFETY: non-null; at least `d` writable doubles.
    let out = unsafe { out_slice(out, d) };
    for (i, o) in out.iter_mut().enumerate() {
        // i < d ≤ TEBM_MAX_DIM: in range of the diagnostics' arrays.
        *o = f(dg, i);
    }
    TebmStatus::Ok
}

/// Sets the step size (finite, > 0). During adaptation the adaptation
/// overrides it at the next step; freeze first to fix it.
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage used by no one else.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_set_step_size(
    sampler: *mut TebmSampler,
    h: f32,
) -> TebmStatus {
    check_null!(sampler);
    // SAFETY: non-null; exclusive storage per contract.
    let s = tri!(unsafe { object_mut(sampler) });
    match s.state.sampler.kernel_mut().set_step_size(h) {
        Ok(()) => TebmStatus::Ok,
        Err(e) => s.fail("tebm_sampler_set_step_size", e),
    }
}

/// Sets the inverse temperature β (finite, > 0).
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_set_beta(sampler: *mut TebmSampler, beta: f32) -> TebmStatus {
    check_null!(sampler);
    // SAFETY: non-null; exclusive storage per contract.
    let s = tri!(unsafe { object_mut(sampler) });
    match s.state.sampler.set_beta(beta) {
        Ok(()) => TebmStatus::Ok,
        Err(e) => s.fail("tebm_sampler_set_beta", e),
    }
}

/// (Re)starts step-size adaptation toward acceptance `target` in (0, 1)
/// (0: the kernel's default), from the current step size. Not for ULA.
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_start_adaptation(
    sampler: *mut TebmSampler,
    target: f32,
) -> TebmStatus {
    check_null!(sampler);
    // SAFETY: non-null; exclusive storage per contract.
    let s = tri!(unsafe { object_mut(sampler) });
    let r =
        adaptation_target(s.state.kind, target).and_then(|t| s.state.sampler.start_adaptation(t));
    match r {
        Ok(()) => TebmStatus::Ok,
        Err(e) => s.fail("tebm_sampler_start_adaptation", e),
    }
}

/// Stops adaptation and fixes the step size at its averaged iterate (a
/// no-op when not adapting).
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_freeze_step_size(sampler: *mut TebmSampler) -> TebmStatus {
    check_null!(sampler);
    // SAFETY: non-null; exclusive storage per contract.
    let s = tri!(unsafe { object_mut(sampler) });
    match s.state.sampler.freeze_step_size() {
        Ok(()) => TebmStatus::Ok,
        Err(e) => s.fail("tebm_sampler_freeze_step_size", e),
    }
}

/// Forgets the diagnostics (acceptance, moments, ESS, R̂), e.g. after
/// warm-up.
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_reset_diagnostics(sampler: *mut TebmSampler) -> TebmStatus {
    check_null!(sampler);
    // SAFETY: non-null; exclusive storage per contract.
    let s = tri!(unsafe { object_mut(sampler) });
    s.state.sampler.reset_diagnostics();
    TebmStatus::Ok
}

/// Writes the text of the sampler's last error ("" if none) into `buf`
/// (NUL-terminated, truncated to `len` bytes; `BUFFER_TOO_SMALL` when
/// truncated).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `buf` NULL or `len`
/// writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_last_error(
    sampler: *const TebmSampler,
    buf: *mut c_char,
    len: usize,
) -> TebmStatus {
    check_null!(sampler, buf);
    // SAFETY: non-null; storage per contract.
    let s = tri!(unsafe { object_ref(sampler) });
    // SAFETY: non-null; `len` writable bytes per contract, not overlapping
    // the sampler (a distinct caller buffer).
    unsafe { write_c_str(buf, len, s.error.as_str()) }
}
