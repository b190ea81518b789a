//! Samplers from C: n walkers stepped by any kernel of the registry (ULA,
//! MALA, random-walk MH, HMC, Barker), with optional step-size adaptation
//! and streaming diagnostics ([`TebmSampler`]). The energy is passed to
//! every step; the lifecycle is [`crate::lifecycle`]'s.

use core::cmp::min;
use core::ffi::{c_char, c_void};
use core::mem::{align_of, size_of};

use ebm::{AnyKernel, DualAveraging, Energy, Error, Kernel, Sampler, StepSummary};

use crate::energy::{EnergyKey, energy_ref};
use crate::handle::{
    InUse, Object, SAMPLER_TAG, check_null, object_handle, object_mut, out_slice, tri,
    write_optional,
};
use crate::kernel::{TebmKernel, TebmKernelConfig};
use crate::lifecycle::{self, Start, own_phase};
use crate::status::TebmStatus;
use crate::{TEBM_MAX_DIM, TEBM_MAX_WALKERS, TEBM_SAMPLER_SIZE, TebmEnergy, TebmSampler};

/// How to build a sampler. Start from `tebm_sampler_config_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TebmSamplerConfig {
    /// The kernel and its settings.
    pub kernel: TebmKernelConfig,
    /// Number of walkers, 1..=`TEBM_MAX_WALKERS`.
    pub n_walkers: usize,
    /// Seed of the walkers' random streams (same seed, same bits).
    pub seed: u64,
    /// Inverse temperature β > 0.
    pub beta: f32,
    /// Non-zero: adapt the step size by dual averaging toward
    /// `target_accept` until `tebm_sampler_freeze_step_size`. Not for ULA.
    pub adapt: u32,
    /// Target acceptance in (0, 1); 0 picks the kernel's default (0.574
    /// MALA, 0.234 MH, 0.65 HMC, 0.40 Barker). Checked even when `adapt`
    /// is 0 (`BAD_CONFIG` outside [0, 1)).
    pub target_accept: f32,
    /// Initial positions (n_walkers × dim floats, walker-major), or NULL
    /// to draw them from N(`init_center`, `init_sd`²·I).
    pub init_positions: *const f32,
    /// Centre of the initial Gaussian (dim floats), or NULL for the origin.
    pub init_center: *const f32,
    /// Standard deviation of the initial Gaussian (≥ 0).
    pub init_sd: f32,
}

type Inner = Sampler<AnyKernel<TEBM_MAX_DIM>, TEBM_MAX_WALKERS, TEBM_MAX_DIM>;

/// Bytes of this object's checkpoint (`ebm::checkpoint`).
pub(crate) const CHECKPOINT_SIZE: usize = Inner::CHECKPOINT_SIZE;

/// A sampler object in caller memory: a header (tag and last-error record,
/// `TEBM_SAMPLER_HEADER_SIZE` bytes), then the state.
pub(crate) type SamplerObj = Object<State>;

object_handle!(TebmSampler, State, SAMPLER_TAG, TEBM_SAMPLER_SIZE);

/// The sampler, the energy its caches belong to, and the last step's summary.
pub(crate) type State = lifecycle::State<Inner, StepSummary>;

// SAFETY (for `own_phase!`): all-zero bytes are a valid `Inner`: the core
// `Sampler`'s fields are integers, floats, bools, random streams, arrays and
// plain structs of these (documented on `Sampler`, `Walkers` and
// `Diagnostics`), plus its kernel `AnyKernel`, `repr(u8)` with tag 0 = `Ula`
// whose field is a float.
own_phase!(Inner, TEBM_MAX_WALKERS);

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

/// Fills `*cfg` with defaults: MALA, 32 walkers (at most `TEBM_MAX_WALKERS`), seed 1, step size 0.1,
/// β = 1, no adaptation, default target, 10 leapfrog steps, identity mass,
/// initial positions N(0, 1).
///
/// # Safety
/// `cfg` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_config_default(cfg: *mut TebmSamplerConfig) -> TebmStatus {
    check_null!(cfg);
    let c = TebmSamplerConfig {
        kernel: TebmKernelConfig::new(TebmKernel::Mala, 0.1),
        // Capped by the build's capacity (the default build: 32).
        n_walkers: min(32, TEBM_MAX_WALKERS),
        seed: 1,
        beta: 1.0,
        adapt: 0,
        target_accept: 0.0,
        init_positions: core::ptr::null(),
        init_center: core::ptr::null(),
        init_sd: 1.0,
    };
    // SAFETY: non-null and writable per contract.
    unsafe { cfg.write(c) };
    TebmStatus::Ok
}

/// The adaptation target: `target`, or the kernel's default when 0.
fn adaptation_target(k: &AnyKernel<TEBM_MAX_DIM>, target: f32) -> Result<f32, Error> {
    let default = k.kind().default_target().ok_or(Error::InvalidConfig(
        "ULA accepts every move: nothing to adapt to",
    ))?;
    Ok(if target == 0.0 { default } else { target })
}

/// Builds the sampler in the valid object `obj` in place (no sampler-sized
/// temporary). Everything was checked beforehand, the energy at the starts
/// included: this cannot fail (a callback that answers differently when
/// asked again leaves the caches stale, see `Start::apply`; an error is
/// still returned rather than a panic).
#[inline(never)]
fn build(
    obj: &mut InUse<'_, State>,
    e: &impl Energy,
    energy: EnergyKey,
    kernel: AnyKernel<TEBM_MAX_DIM>,
    cfg: &TebmSamplerConfig,
    adapt: Option<DualAveraging>,
    start: Start<'_>,
) -> Result<(), Error> {
    let sm = &mut obj.state.core;
    start.apply(sm.walkers_mut(), e)?;
    sm.stop_adaptation();
    *sm.kernel_mut() = kernel;
    sm.set_beta(cfg.beta)?;
    if let Some(da) = adapt {
        sm.start_adaptation_with(da);
    }
    sm.set_recording(true);
    sm.reset_diagnostics();
    obj.state.extra = StepSummary::default();
    obj.state.energy = energy;
    Ok(())
}

/// Initialises a sampler in `mem` (`mem_len` bytes: a `TebmSampler`, or
/// `tebm_sampler_size()` bytes aligned to `tebm_sampler_align()`) for
/// `energy`, as `cfg` says. The initial positions must have finite
/// energies and gradients.
///
/// On failure nothing is written (an existing sampler in `mem` is
/// unchanged): everything, the energy at the initial positions included
/// (evaluated aside, a few walkers at a time, so a callback is called twice
/// for them), is checked before the first write. The object is then built
/// in place, on fresh memory as on an existing sampler: about 2 KB of stack
/// on a Cortex-M4F. The check's verdict stands: a callback that fails at
/// the second evaluation of a start where it passed the first (an energy
/// that answers differently when asked again) does not fail the init,
/// which has written by then; the sampler is built at its starts with its
/// cached energies stale (read as 0), and the first step evaluates them.
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
    // SAFETY: the mass, when read, holds `d` floats per the config's contract.
    let kernel = tri!(unsafe { cfg.kernel.build(d) });
    if !(cfg.beta.is_finite() && cfg.beta > 0.0) {
        return TebmStatus::from(Error::InvalidConfig("inverse temperature beta must be > 0"));
    }
    if cfg.target_accept != 0.0 && !(cfg.target_accept > 0.0 && cfg.target_accept < 1.0) {
        return TebmStatus::from(Error::InvalidConfig("target acceptance must be in (0, 1)"));
    }
    let adapt = if cfg.adapt != 0 {
        let target = tri!(adaptation_target(&kernel, cfg.target_accept));
        Some(tri!(DualAveraging::new(kernel.step_size(), target)))
    } else {
        None
    };
    // SAFETY: n·d (≤ 64·16) and d floats per the config's contract.
    let start = unsafe {
        Start::from_c(
            cfg.init_positions,
            cfg.init_center,
            cfg.init_sd,
            cfg.seed,
            n,
            d,
        )
    };
    tri!(start.check::<_, TEBM_MAX_WALKERS>(&e.model));
    lifecycle::init::<TebmSampler, TEBM_MAX_WALKERS>(mem, mem_len, |obj| {
        build(obj, &e.model, e.key, kernel, &cfg, adapt, start)
    })
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
/// energy than the one last used — another object, or the same object
/// re-initialised, loaded with `tebm_weights_load` or trained since (every
/// energy object carries an identity renewed by each of these) — it is
/// first evaluated aside at every current position: if it is not usable
/// there, nothing changes (status `NON_FINITE` or `CALLBACK_ERROR`); else
/// the first step re-evaluates the caches (if that step then fails — ULA —
/// the caches already belong to the new energy, the rest is unchanged). The
/// same rule holds for trainers and replica exchange. Only a change the
/// energy object cannot see (a callback whose own parameters changed) needs
/// `tebm_sampler_invalidate`.
///
/// A call on a sampler that is in use — from the energy callback of its
/// own step, or from another thread — returns `BUSY` and does nothing.
///
/// # Safety
/// `sampler` must be NULL or a `TebmSampler`'s storage; `energy` NULL or a
/// `TebmEnergy`'s storage; `steps_done` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_run(
    sampler: *mut TebmSampler,
    energy: *const TebmEnergy,
    steps: usize,
    steps_done: *mut usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::run(
            sampler,
            energy,
            steps,
            steps_done,
            "tebm_sampler_run",
            |s: &mut State, e| {
                s.extra = s.core.step(&e.model)?;
                Ok(())
            },
        )
    }
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
    // SAFETY: forwarded contract.
    unsafe { lifecycle::invalidate(sampler) }
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
    // SAFETY: forwarded contract.
    unsafe { lifecycle::positions(sampler, out, len, "tebm_sampler_positions") }
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
    // SAFETY: forwarded contract.
    unsafe { lifecycle::energies(sampler, out, len, "tebm_sampler_energies") }
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
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(sampler, "tebm_sampler_set_step_size", |s: &mut State| {
            s.core.kernel_mut().set_step_size(h)
        })
    }
}

/// Sets the inverse temperature β (finite, > 0).
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_set_beta(sampler: *mut TebmSampler, beta: f32) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(sampler, "tebm_sampler_set_beta", |s: &mut State| {
            s.core.set_beta(beta)
        })
    }
}

/// (Re)starts step-size adaptation toward acceptance `target` in (0, 1)
/// (0: the kernel's default), from the current step size. Not for ULA.
/// Before the first step the step size is a guess and dual averaging
/// explores around 10× it (Hoffman & Gelman); after steps have been taken
/// it is taken as tuned and adaptation restarts around it (shrinkage point
/// log h instead of log 10h), so the next step size stays within a factor
/// e^{20/11} ≈ 6 of the current one, ≈ 1.2 when the acceptance is within
/// 0.1 of the target.
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_start_adaptation(
    sampler: *mut TebmSampler,
    target: f32,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(sampler, "tebm_sampler_start_adaptation", |s: &mut State| {
            let t = adaptation_target(s.core.kernel(), target)?;
            s.core.start_adaptation(t)
        })
    }
}

/// Stops adaptation, fixes the step size at its averaged iterate and
/// resets the diagnostics (acceptance, moments, ESS, R̂, invalid
/// proposals): warm-up draws are not samples (Stan discards them too). A
/// no-op when not adapting. To keep warm-up in the diagnostics, use
/// `tebm_sampler_stop_adaptation` (keeps the current, not the averaged,
/// step size) or read them before freezing.
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_freeze_step_size(sampler: *mut TebmSampler) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(sampler, "tebm_sampler_freeze_step_size", |s: &mut State| {
            s.core.freeze_step_size()
        })
    }
}

/// Forgets the diagnostics (acceptance, moments, ESS, R̂), e.g. after
/// warm-up.
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_reset_diagnostics(sampler: *mut TebmSampler) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(
            sampler,
            "tebm_sampler_reset_diagnostics",
            |s: &mut State| {
                s.core.reset_diagnostics();
                Ok(())
            },
        )
    }
}

/// Switches recording of steps into the diagnostics on (`on` ≠ 0, the
/// default) or off. Off, steps cost no diagnostics time (f64 arithmetic,
/// soft-float on a Cortex-M4F) and the diagnostics keep what they had.
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_set_recording(
    sampler: *mut TebmSampler,
    on: u32,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(sampler, "tebm_sampler_set_recording", |s: &mut State| {
            s.core.set_recording(on != 0);
            Ok(())
        })
    }
}

/// Stops adaptation keeping the current step size and the diagnostics (a
/// no-op when not adapting); compare `tebm_sampler_freeze_step_size`.
///
/// # Safety
/// As for [`tebm_sampler_set_step_size`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_stop_adaptation(sampler: *mut TebmSampler) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(sampler, "tebm_sampler_stop_adaptation", |s: &mut State| {
            s.core.stop_adaptation();
            Ok(())
        })
    }
}

/// Runs `steps` steps as `tebm_sampler_run` does (diagnostics and
/// adaptation included) and records the positions of walkers
/// `first_walker .. first_walker + n_walkers` after every `thin`-th step
/// into `out` (`out_len` floats), coordinate-major:
/// `out[(i * n_walkers + w) * draws + s]` is coordinate `i` of walker
/// `first_walker + w` at draw `s`, with `draws = steps / thin`. Each
/// coordinate is one `[chains][draws]` block of `n_walkers * draws` floats,
/// as `tebm_draws_diagnostics` reads it. Needs `out_len ≥ dim * n_walkers *
/// draws`. `*draws_written` (when not NULL) is set to the draws per walker
/// written: `draws`, or fewer when a step failed (those of the steps before
/// it stand in `out`; the steps taken are in `tebm_sampler_stats`).
///
/// Only this call's steps are recorded: warm-up run before it is never in
/// `out` (and `tebm_sampler_freeze_step_size` takes it out of the running
/// diagnostics). Arguments are checked before the first step, changing
/// nothing but the last-error record: `thin` 0 (`BAD_CONFIG`), `n_walkers`
/// 0 (`BAD_DIMENSION`), walkers beyond the sampler's (`CAPACITY_EXCEEDED`),
/// `out_len` too small (`BUFFER_TOO_SMALL`), another dimension than the
/// energy's (`BAD_DIMENSION`).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage used by no one else;
/// `energy` NULL or a `TebmEnergy`'s storage; `out` NULL or `out_len`
/// writable floats (not inside the sampler); `draws_written` NULL or
/// writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn tebm_sampler_record_draws(
    sampler: *mut TebmSampler,
    energy: *const TebmEnergy,
    steps: usize,
    thin: usize,
    first_walker: usize,
    n_walkers: usize,
    out: *mut f32,
    out_len: usize,
    draws_written: *mut usize,
) -> TebmStatus {
    const WHAT: &str = "tebm_sampler_record_draws";
    // SAFETY: `draws_written` NULL or writable per contract.
    unsafe { write_optional(draws_written, 0) };
    check_null!(sampler, energy, out);
    let range = first_walker..first_walker.saturating_add(n_walkers);
    let (dim, draws, need) = {
        // SAFETY: non-null; exclusive storage per contract. Released before
        // the run takes the object again.
        let mut s = tri!(unsafe { object_mut(sampler) });
        let sm = &s.state.core;
        let checked = if first_walker.checked_add(n_walkers).is_none() {
            Err(Error::CapacityExceeded {
                requested: usize::MAX,
                capacity: sm.walkers().len(),
            })
        } else {
            sm.recording_len(steps, thin, range.clone())
        };
        let need = match checked {
            Ok(need) => need,
            Err(e) => return s.fail(WHAT, e),
        };
        if out_len < need {
            return s.fail_status(WHAT, TebmStatus::BufferTooSmall, need);
        }
        (sm.walkers().dim(), steps / thin, need)
    };
    // SAFETY: non-null; `need` writable floats (out_len ≥ need), not
    // aliased by the sampler per contract.
    let out = unsafe { out_slice(out, need) };
    let mut k = 0usize;
    let mut done = 0usize;
    // SAFETY: forwarded contract.
    let st = unsafe {
        lifecycle::run(
            sampler,
            energy,
            steps,
            &mut done,
            WHAT,
            |s: &mut State, e| {
                s.extra = s.core.step(&e.model)?;
                k += 1;
                if k % thin == 0 {
                    let d = k / thin - 1;
                    let x = s.core.walkers().positions_soa();
                    for i in 0..dim {
                        for (w, &v) in x[i][range.clone()].iter().enumerate() {
                            out[(i * n_walkers + w) * draws + d] = v;
                        }
                    }
                }
                Ok(())
            },
        )
    };
    // SAFETY: `draws_written` NULL or writable per contract.
    unsafe { write_optional(draws_written, done / thin) };
    st
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
    // SAFETY: forwarded contract.
    unsafe { lifecycle::last_error(sampler, buf, len) }
}
