//! Annealed importance sampling from C: log Z of ρ ∝ exp(−βU) with its
//! standard error and ESS ([`tebm_ais_run`]), and the held-out negative
//! log-likelihood ([`tebm_heldout_nll`]). The core's `ebm::ais`.
//!
//! An AIS run is one call. Its state (walkers, log-weights) lives in a
//! [`TebmAis`] in caller memory, which the call (re)initialises in place
//! every time: no separate init, and the walkers and weights of the last
//! run stay readable there. Like the other objects it keeps its last error
//! ([`tebm_ais_last_error`]) and refuses re-entry (`TEBM_STATUS_BUSY`).

use core::ffi::{c_char, c_void};
use core::mem::{align_of, size_of};
use core::ptr::addr_of_mut;

use ebm::ais::{Ais, AisConfig, AnnealingSchedule, Base, held_out_nll};
use ebm::{AnyKernel, Energy, Error};

use crate::energy::energy_ref;
use crate::handle::{
    AIS_TAG, Object, check_null, check_object, floats, object_handle, object_memory, object_ref,
    take, tri,
};
use crate::kernel::{TebmKernel, TebmKernelConfig};
use crate::status::{ErrorText, TebmStatus, write_c_str};
use crate::{TEBM_AIS_SIZE, TEBM_MAX_DIM, TEBM_MAX_WALKERS, TebmAis, TebmEnergy};

/// Largest number of temperatures of a custom schedule (its values are
/// copied aside during the call: 4 bytes each of stack).
pub const TEBM_AIS_MAX_CUSTOM_STEPS: usize = 256;

/// The annealing schedule b₀ = 0 < b₁ ≤ … ≤ b_K = 1 (`TebmAisConfig::schedule`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmAisSchedule {
    /// b_k = k/K.
    Linear = 0,
    /// Equal ratios from b₁ = `schedule_param` (in (0, 1)) to 1.
    Geometric = 1,
    /// Sigmoidal with steepness δ = `schedule_param` (> 0; 4 is usual):
    /// dense at both ends.
    Sigmoidal = 2,
    /// b₁ … b_K from `schedule_values` (K = `steps` values, non-decreasing
    /// in (0, 1], the last 1; K ≤ `TEBM_AIS_MAX_CUSTOM_STEPS`).
    Custom = 3,
}

/// How to run AIS. Start from `tebm_ais_config_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TebmAisConfig {
    /// The transition at every temperature (MALA by default). Use an exact
    /// kernel (MALA, MH, HMC, Barker): ULA's bias enters the estimate.
    pub kernel: TebmKernelConfig,
    /// Walkers, 2..=`TEBM_MAX_WALKERS`.
    pub n_walkers: usize,
    /// Seed of the walkers' streams.
    pub seed: u64,
    /// Inverse temperature β of the target (> 0).
    pub beta: f32,
    /// Number of temperatures K (≥ 1).
    pub steps: usize,
    /// A `TebmAisSchedule` value.
    pub schedule: u32,
    /// b₁ (geometric) or δ (sigmoidal); ignored otherwise.
    pub schedule_param: f32,
    /// Custom schedule: `steps` floats; ignored (and not read) otherwise.
    pub schedule_values: *const f32,
    /// Kernel steps per temperature (≥ 1).
    pub moves: usize,
    /// Base mean (dim floats), or NULL for the origin. Ignored when
    /// `fit_points` is not NULL.
    pub base_mean: *const f32,
    /// Base standard deviations (dim floats, > 0), or NULL for ones.
    /// Ignored when `fit_points` is not NULL.
    pub base_sd: *const f32,
    /// Points to fit the base to (`fit_count` × dim floats, point-major:
    /// e.g. training data or a sampler's walkers), or NULL to use
    /// `base_mean` and `base_sd`.
    pub fit_points: *const f32,
    /// Number of points at `fit_points` (≥ 2).
    pub fit_count: usize,
    /// The fitted sd is the points' sd times this (≥ 1 advisable: a base
    /// narrower than the target misses mass).
    pub fit_inflate: f32,
}

/// What an AIS run estimates (`tebm_ais_run`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TebmAisResult {
    /// log Ẑ = log ∫exp(−βU): `log_z_base` + log mean of the weights.
    pub log_z: f32,
    /// Its Monte Carlo standard error, by the delta method on the final
    /// weights: sd(w)/(√n·mean(w)).
    pub se: f32,
    /// Effective sample size of the final weights, (Σw)²/Σw² ∈ [1, n].
    pub ess: f32,
    /// log Z of the base Gaussian.
    pub log_z_base: f32,
    /// Mean acceptance probability of the kernel over the run.
    pub acceptance: f32,
    /// 1 when ESS ≥ 10% of the walkers, else 0: the SE is then itself
    /// unreliable (log Ẑ most likely too low); use more temperatures.
    pub reliable: i32,
    /// Walkers n.
    pub n_walkers: usize,
}

/// A held-out negative log-likelihood (`tebm_heldout_nll`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TebmHeldOut {
    /// Mean over the points of βU(x) + log Z, nats per point.
    pub nll: f32,
    /// Its standard error: √(se_energy² + se(log Z)²).
    pub se: f32,
    /// Mean of βU over the points.
    pub mean_energy: f32,
    /// Standard error of `mean_energy`.
    pub se_energy: f32,
}

type Inner = Ais<AnyKernel<TEBM_MAX_DIM>, TEBM_MAX_WALKERS, TEBM_MAX_DIM>;
/// The state of an AIS object (no energy cache to track: each run starts
/// afresh).
pub(crate) type State = Inner;
type AisObj = Object<Inner>;

object_handle!(TebmAis, Inner, AIS_TAG, TEBM_AIS_SIZE);

/// Bytes an AIS object needs (≤ `TEBM_AIS_SIZE`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_ais_size() -> usize {
    size_of::<AisObj>()
}

/// Alignment an AIS object needs (≤ `TEBM_OBJECT_ALIGN`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_ais_align() -> usize {
    align_of::<AisObj>()
}

/// Fills `*cfg` with defaults: MALA with step size 0.1, 64 walkers, seed
/// 1, β = 1, 200 temperatures on the sigmoidal schedule (δ = 4), one move
/// per temperature, base N(0, I) (no fit; `fit_inflate` 1.5 for when
/// points are given).
///
/// # Safety
/// `cfg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ais_config_default(cfg: *mut TebmAisConfig) -> TebmStatus {
    check_null!(cfg);
    let c = TebmAisConfig {
        kernel: TebmKernelConfig::new(TebmKernel::Mala, 0.1),
        n_walkers: TEBM_MAX_WALKERS,
        seed: 1,
        beta: 1.0,
        steps: 200,
        schedule: TebmAisSchedule::Sigmoidal as u32,
        schedule_param: 4.0,
        schedule_values: core::ptr::null(),
        moves: 1,
        base_mean: core::ptr::null(),
        base_sd: core::ptr::null(),
        fit_points: core::ptr::null(),
        fit_count: 0,
        fit_inflate: 1.5,
    };
    // SAFETY: non-null and writable per contract.
    unsafe { cfg.write(c) };
    TebmStatus::Ok
}

/// The base a configuration describes, in dimension `d ≤ TEBM_MAX_DIM`.
///
/// # Safety
/// The config's non-NULL arrays have their documented lengths.
unsafe fn base(c: &TebmAisConfig, d: usize) -> Result<Base<TEBM_MAX_DIM>, Error> {
    if !c.fit_points.is_null() {
        if c.fit_count < 2 || c.fit_count > usize::MAX / d.max(1) {
            return Err(Error::InvalidConfig("AIS base fit: at least 2 points"));
        }
        // SAFETY: fit_count·d floats per the config's contract.
        let p = unsafe { floats(c.fit_points, c.fit_count * d) };
        return Base::fit(p, d, c.fit_inflate);
    }
    let (zeros, ones) = ([0f32; TEBM_MAX_DIM], [1f32; TEBM_MAX_DIM]);
    let mean = if c.base_mean.is_null() {
        &zeros[..d]
    } else {
        // SAFETY: d floats per the config's contract.
        unsafe { floats(c.base_mean, d) }
    };
    let sd = if c.base_sd.is_null() {
        &ones[..d]
    } else {
        // SAFETY: d floats per the config's contract.
        unsafe { floats(c.base_sd, d) }
    };
    Base::new(mean, sd)
}

/// Runs AIS on `energy` as `cfg` says, in `mem` (`mem_len` bytes: a
/// `TebmAis`, or `tebm_ais_size()` bytes aligned to `tebm_ais_align()`,
/// fresh or holding an earlier run), and writes the estimate to `*result`.
/// The object is initialised in place at every call (a few KB of stack);
/// its previous run is forgotten. Configuration errors are found before
/// anything is written (an earlier object in `mem` is then unchanged); an
/// energy that fails during the run (`NON_FINITE`, `CALLBACK_ERROR`) stops
/// it, leaving an unfinished run in the object and its text as the last
/// error, and `*result` untouched.
///
/// # Safety
/// `mem` NULL or `mem_len` writable bytes used by no one else during the
/// call (the energy callback must not touch it); `energy` NULL or a
/// `TebmEnergy`'s storage; `cfg` NULL or a readable config whose non-NULL
/// arrays have the documented lengths; `result` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ais_run(
    mem: *mut c_void,
    mem_len: usize,
    energy: *const TebmEnergy,
    cfg: *const TebmAisConfig,
    result: *mut TebmAisResult,
) -> TebmStatus {
    check_null!(mem, energy, cfg, result);
    // SAFETY: non-null and readable per contract.
    let c = unsafe { cfg.read() };
    // SAFETY: non-null; storage per contract.
    let e = tri!(unsafe { energy_ref(energy) });
    let d = e.model.dim();
    if c.n_walkers < 2 {
        return TebmStatus::BadDimension;
    }
    if c.n_walkers > TEBM_MAX_WALKERS {
        return TebmStatus::CapacityExceeded;
    }
    // SAFETY: the mass, when read, holds `d` floats per the config's contract.
    let k = tri!(unsafe { c.kernel.build(d) });
    // SAFETY: the arrays per the config's contract.
    let b = tri!(unsafe { base(&c, d) });
    let mut custom = [0f32; TEBM_AIS_MAX_CUSTOM_STEPS];
    let schedule = match c.schedule {
        0 => AnnealingSchedule::Linear,
        1 => AnnealingSchedule::Geometric {
            b_min: c.schedule_param,
        },
        2 => AnnealingSchedule::Sigmoidal {
            delta: c.schedule_param,
        },
        3 => {
            if c.schedule_values.is_null() {
                return TebmStatus::NullPointer;
            }
            if c.steps > TEBM_AIS_MAX_CUSTOM_STEPS {
                return TebmStatus::CapacityExceeded;
            }
            // SAFETY: `steps` floats per the config's contract.
            custom[..c.steps].copy_from_slice(unsafe { floats(c.schedule_values, c.steps) });
            AnnealingSchedule::Custom(&custom[..c.steps])
        }
        _ => return TebmStatus::BadConfig,
    };
    let acfg = AisConfig {
        walkers: c.n_walkers,
        seed: c.seed,
        beta: c.beta,
        steps: c.steps,
        schedule,
        moves: c.moves,
    };
    let p = tri!(object_memory::<AisObj>(mem, mem_len));
    // SAFETY: `p` is non-null, aligned and has room for one object; the
    // tag is its first 4 bytes.
    let existing = unsafe { check_object::<AisObj>(p.cast_const().cast(), AIS_TAG) }.is_ok();
    // Checked before anything is written: a refused configuration leaves
    // fresh memory as it was, and an existing object's state (its header
    // records the error).
    if let Err(err) = Inner::check_with(&k, &b, &e.model, &acfg) {
        if !existing {
            return TebmStatus::from(err);
        }
        // SAFETY: `p` holds a tagged, hence valid, object (only this
        // function writes the tag, over a whole valid object), used by no
        // one else during the call except through its busy flag.
        let mut obj = tri!(unsafe { take(p) });
        return obj.fail("tebm_ais_run", err);
    }
    // SAFETY: `p` is valid for writing one object and used by no one else
    // during the call except through its busy flag (this function's
    // contract). A tagged object is a valid one (only this function writes
    // the tag, over a whole valid object); otherwise all-zero bytes are a
    // valid `AisObj` (tag, busy flag and `ErrorText` are integers and bytes;
    // `Ais` is zero-valid when its kernel is, as documented on it, and
    // `AnyKernel` is: `repr(u8)`, 0 = `Ula` with h = 0), and fresh memory
    // has no other user to race with the zeroing.
    let taken = unsafe {
        if !existing {
            p.write_bytes(0, 1);
        }
        take(p)
    };
    let mut obj = tri!(taken);
    obj.state.reinit(k, b);
    let r = obj.state.run(&e.model, &acfg);
    let status = match r {
        Ok(r) => {
            *obj.error = ErrorText::new();
            // SAFETY: non-null and writable per contract.
            unsafe {
                result.write(TebmAisResult {
                    log_z: r.log_z,
                    se: r.se,
                    ess: r.ess,
                    log_z_base: r.log_z_base,
                    acceptance: r.acceptance,
                    reliable: r.is_reliable() as i32,
                    n_walkers: r.walkers,
                })
            };
            TebmStatus::Ok
        }
        Err(err) => obj.fail("tebm_ais_run", err),
    };
    drop(obj);
    // SAFETY: the tag is a field apart from those `obj` borrowed (now
    // released); the memory is ours for the call, as above. The object is
    // a whole valid one (built in place), so it is tagged whatever the run did.
    unsafe { addr_of_mut!((*p).tag).write(AIS_TAG) };
    status
}

/// The text of the AIS object's last error ("" if none), NUL-terminated
/// and truncated to `len` bytes.
///
/// # Safety
/// `a` NULL or a `TebmAis`'s storage; `buf` NULL or `len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ais_last_error(
    a: *const TebmAis,
    buf: *mut c_char,
    len: usize,
) -> TebmStatus {
    check_null!(a, buf);
    // SAFETY: non-null; storage per contract.
    let s = tri!(unsafe { object_ref(a) });
    // SAFETY: non-null; `len` writable bytes, a distinct caller buffer.
    unsafe { write_c_str(buf, len, s.error.as_str()) }
}

/// The held-out negative log-likelihood of `count` points (`points`:
/// count × dim floats, point-major) under ρ ∝ exp(−βU) with log Z =
/// `log_z` ± `log_z_se` (from `tebm_ais_run`, or a quadrature with se 0):
/// mean βU + log Z, with the SE of the mean energy and of log Z added in
/// quadrature. An energy that fails at a point is an error.
///
/// # Safety
/// `energy` NULL or a `TebmEnergy`'s storage; `points` NULL or count·dim
/// readable floats; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_heldout_nll(
    energy: *const TebmEnergy,
    beta: f32,
    points: *const f32,
    count: usize,
    log_z: f32,
    log_z_se: f32,
    out: *mut TebmHeldOut,
) -> TebmStatus {
    check_null!(energy, points, out);
    // SAFETY: non-null; storage per contract.
    let e = tri!(unsafe { energy_ref(energy) });
    let d = e.model.dim();
    if count == 0 {
        return TebmStatus::BadDimension;
    }
    let Some(len) = count.checked_mul(d) else {
        return TebmStatus::CapacityExceeded;
    };
    // SAFETY: count·dim floats per contract.
    let x = unsafe { floats(points, len) };
    let h = tri!(held_out_nll(&e.model, beta, x, log_z, log_z_se));
    // SAFETY: non-null and writable per contract.
    unsafe {
        out.write(TebmHeldOut {
            nll: h.nll,
            se: h.se,
            mean_energy: h.mean_energy,
            se_energy: h.se_energy,
        })
    };
    TebmStatus::Ok
}
