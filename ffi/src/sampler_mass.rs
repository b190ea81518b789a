//! The mass matrix from C: windowed warm-up of the mass and the step size
//! (`tebm_sampler_warmup`), setting and reading the diagonal mass, the
//! leapfrog steps, and NUTS's per-walker divergences and tree-depth
//! histogram.

use ebm::kernels::nuts::MAX_TREE_DEPTH;
use ebm::{Energy, Error, Kernel, MassAdaptation};

use crate::energy::energy_ref;
use crate::handle::{check_null, floats, object_mut, tri, write_optional};
use crate::lifecycle;
use crate::sampler::State;
use crate::status::TebmStatus;
use crate::{TEBM_MAX_DIM, TebmEnergy, TebmSampler};

/// Mass adaptation of `tebm_sampler_warmup` (its `mass_adaptation`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmMassAdaptation {
    /// Step size only (any kernel but ULA): dual averaging over the whole
    /// warm-up, frozen at the end.
    StepSizeOnly = 0,
    /// Stan's windows (75 / 25 doubling / 50 steps, scaled down for short
    /// warm-ups): HMC, NUTS, PMALA.
    Stan = 1,
    /// Short windows for an ensemble (15 / 5 doubling / 15 steps): the
    /// faster in docs/sampling.md's measurement; HMC, NUTS, PMALA.
    Ensemble = 2,
}

/// The default mass adaptation (`TEBM_MASS_ADAPTATION_ENSEMBLE`).
pub const TEBM_MASS_ADAPTATION_DEFAULT: u32 = 2;

/// Entries of the tree-depth histogram (`tebm_sampler_tree_depths`):
/// depths 0 ..= 12.
pub const TEBM_TREE_DEPTH_BINS: usize = 13;

const _: () = {
    assert!(TEBM_MASS_ADAPTATION_DEFAULT == MassAdaptation::DEFAULT as u32);
    assert!(TEBM_TREE_DEPTH_BINS == MAX_TREE_DEPTH + 1);
    assert!(TebmMassAdaptation::StepSizeOnly as u32 == MassAdaptation::StepSizeOnly as u32);
    assert!(TebmMassAdaptation::Stan as u32 == MassAdaptation::Stan as u32);
    assert!(TebmMassAdaptation::Ensemble as u32 == MassAdaptation::Ensemble as u32);
};

/// Warm-up: `steps` steps adapting the step size by dual averaging toward
/// `target_accept` (0: the kernel's default, as `TebmSamplerConfig`) and,
/// unless `mass_adaptation` is `TEBM_MASS_ADAPTATION_STEP_SIZE_ONLY`, the
/// diagonal mass in windows: at the end of each slow window the inverse
/// mass is set to the walkers' regularised variance over the window (Stan's
/// n/(n+5)·var + 1e-3·5/(n+5)) and dual averaging restarts. Starts from the
/// kernel's current mass and step size; at the end the step size is frozen
/// at its averaged iterate and the diagnostics are reset (warm-up draws are
/// not samples). `*steps_done` (when not NULL) gets the steps taken.
///
/// Checked first, changing nothing but the last-error record: an unknown
/// `mass_adaptation` or a target outside [0, 1) (`BAD_CONFIG`), `steps` 0
/// (`BAD_CONFIG`), mass adaptation with a kernel without a mass (ULA, MALA,
/// MH, Barker: `BAD_CONFIG`), ULA (`BAD_CONFIG`: nothing to adapt to), an
/// energy of another dimension (`BAD_DIMENSION`). A step that fails stops
/// the warm-up there as `tebm_sampler_run` does: the steps before it stand
/// and the sampler is still adapting (freeze it, or warm up again).
/// Rerunning a warm-up restarts the schedule from the current mass.
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage used by no one else;
/// `energy` NULL or a `TebmEnergy`'s storage; `steps_done` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_warmup(
    sampler: *mut TebmSampler,
    energy: *const TebmEnergy,
    steps: usize,
    mass_adaptation: u32,
    target_accept: f32,
    steps_done: *mut usize,
) -> TebmStatus {
    const WHAT: &str = "tebm_sampler_warmup";
    // SAFETY: `steps_done` NULL or writable per contract.
    unsafe { write_optional(steps_done, 0) };
    check_null!(sampler, energy);
    // SAFETY: non-null; energy storage per contract.
    let e = tri!(unsafe { energy_ref(energy) });
    let mut state = {
        // SAFETY: non-null; exclusive storage per contract. Released before
        // the run takes the object again.
        let mut s = tri!(unsafe { object_mut(sampler) });
        let sm = &s.state.core;
        let checked = (|| {
            let mode = MassAdaptation::from_code(mass_adaptation)
                .ok_or(Error::InvalidConfig("unknown mass adaptation"))?;
            if target_accept != 0.0 && !(target_accept > 0.0 && target_accept < 1.0) {
                return Err(Error::InvalidConfig("target acceptance must be in (0, 1)"));
            }
            let default = sm
                .kernel()
                .kind()
                .default_target()
                .ok_or(Error::InvalidConfig(
                    "ULA accepts every move: nothing to adapt to",
                ))?;
            let target = if target_accept == 0.0 {
                default
            } else {
                target_accept
            };
            let d = sm.walkers().dim();
            if e.model.dim() != d {
                return Err(Error::DimensionMismatch {
                    expected: d,
                    found: e.model.dim(),
                });
            }
            sm.warmup_state(mode, steps, target)
        })();
        match checked {
            Ok(st) => st,
            Err(err) => return s.fail(WHAT, err),
        }
    };
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::run(
            sampler,
            energy,
            steps,
            steps_done,
            WHAT,
            |s: &mut State, e| {
                s.extra = s.core.warmup_step(&e.model, &mut state)?;
                Ok(())
            },
        )
    }
}

/// Sets the diagonal mass M (`len` = dim floats, each in [1e-20, 1e20];
/// momenta are drawn from N(0, M), and preconditioned MALA scales its step
/// by M⁻¹), or the identity when `mass` is NULL. `BAD_CONFIG` for a kernel
/// without a mass (ULA, MALA, MH, Barker) or a value out of range,
/// `BAD_DIMENSION` when `len` is not the dimension; the sampler is then
/// unchanged.
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage used by no one else; `mass`
/// NULL or `len` readable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_set_mass(
    sampler: *mut TebmSampler,
    mass: *const f32,
    len: usize,
) -> TebmStatus {
    let set = |s: &mut State| {
        let sm = &mut s.core;
        if !sm.kernel().has_mass() {
            return Err(Error::InvalidConfig("this kernel has no mass matrix"));
        }
        if mass.is_null() {
            return sm.kernel_mut().set_identity_mass();
        }
        let d = sm.walkers().dim();
        if len != d {
            return Err(Error::DimensionMismatch {
                expected: d,
                found: len,
            });
        }
        // SAFETY: non-null; `len` = d ≤ TEBM_MAX_DIM readable floats per
        // contract.
        let m = unsafe { floats(mass, d.min(TEBM_MAX_DIM)) };
        sm.kernel_mut().set_diagonal_mass(m)
    };
    // SAFETY: forwarded contract.
    unsafe { lifecycle::update(sampler, "tebm_sampler_set_mass", set) }
}

/// Copies the diagonal mass (dim floats; all 1 for the identity) into
/// `out` (`len` ≥ dim floats). `BAD_CONFIG` for a kernel without a mass.
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `out` NULL or `len`
/// writable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_mass(
    sampler: *const TebmSampler,
    out: *mut f32,
    len: usize,
) -> TebmStatus {
    let need = |s: &State| s.core.walkers().dim();
    let fill = |s: &State, o: &mut [f32]| {
        let k = s.core.kernel();
        if !k.has_mass() {
            return Err(Error::InvalidConfig("this kernel has no mass matrix"));
        }
        if k.diagonal_mass(o).is_none() {
            o.fill(1.0);
        }
        Ok(())
    };
    // SAFETY: forwarded contract.
    unsafe { lifecycle::read_array(sampler, out, len, "tebm_sampler_mass", need, fill) }
}

/// Sets HMC's leapfrog steps per proposal (≥ 1). `BAD_CONFIG` for 0 or
/// another kernel; the sampler is then unchanged.
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage used by no one else.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_set_leapfrog_steps(
    sampler: *mut TebmSampler,
    steps: u32,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(
            sampler,
            "tebm_sampler_set_leapfrog_steps",
            |s: &mut State| {
                let l = usize::try_from(steps).unwrap_or(usize::MAX);
                s.core.kernel_mut().set_leapfrog_steps(l)
            },
        )
    }
}

/// Divergent steps of each walker since the last diagnostics reset
/// (`TEBM_KERNEL_NUTS`; 0 for other kernels) into `out` (`len` ≥
/// n_walkers).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `out` NULL or `len`
/// writable values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_divergences(
    sampler: *const TebmSampler,
    out: *mut u32,
    len: usize,
) -> TebmStatus {
    let need = |s: &State| s.core.walkers().len();
    let fill = |s: &State, o: &mut [u32]| {
        let dg = s.core.diagnostics();
        for (w, v) in o.iter_mut().enumerate() {
            *v = dg.divergences(w);
        }
        Ok(())
    };
    // SAFETY: forwarded contract.
    unsafe { lifecycle::read_array(sampler, out, len, "tebm_sampler_divergences", need, fill) }
}

/// The tree-depth histogram since the last diagnostics reset: `out[k]` =
/// walker-steps whose NUTS tree reached depth k, k = 0 .. 12
/// (`TEBM_TREE_DEPTH_BINS` values; `len` ≥ that). All 0 for other kernels.
/// Many steps at the kernel's `max_tree_depth` mean trajectories were cut
/// short (step too small or depth too low).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `out` NULL or `len`
/// writable values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_tree_depths(
    sampler: *const TebmSampler,
    out: *mut u32,
    len: usize,
) -> TebmStatus {
    let need = |_: &State| TEBM_TREE_DEPTH_BINS;
    let fill = |s: &State, o: &mut [u32]| {
        o.copy_from_slice(s.core.diagnostics().tree_depths());
        Ok(())
    };
    // SAFETY: forwarded contract.
    unsafe { lifecycle::read_array(sampler, out, len, "tebm_sampler_tree_depths", need, fill) }
}
