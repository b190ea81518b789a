//! Sampling-free training from C: a [`TebmEd`] wraps the core's
//! energy-discrepancy trainer (`ebm::Ed`): no walkers, no kernel; the
//! trainable energy is passed to every call and holds θ, as for
//! [`crate::TebmTrainer`]. A separate object rather than a trainer mode:
//! it keeps none of a trainer's walkers, so it is much smaller.

use core::ffi::{c_char, c_int, c_void};
use core::mem::{align_of, size_of};

use ebm::{AnyOptimizer, Ed, EdConfig, Error, Optimizer, Trainable};

use crate::energy::{Model, TebmEnergyKind, TrainableMut, energy_ref, trainable_mut};
use crate::handle::{ED_TAG, InUse, Object, check_null, floats, object_handle, object_mut, tri};
use crate::lifecycle;
use crate::status::TebmStatus;
use crate::trainer_config::{
    TebmOptimizer, TebmTrainerConfig, optimizer, optimizer_in_place, tebm_trainer_config_default,
};
use crate::{
    TEBM_ED_SIZE, TEBM_MAX_DIM, TEBM_MAX_ED_NEGATIVES, TEBM_MAX_PARAMS, TebmEd, TebmEnergy,
};

/// Evaluations per block: one data point and its negatives at the most.
const K: usize = TEBM_MAX_ED_NEGATIVES + 1;

type Inner = Ed<AnyOptimizer<TEBM_MAX_PARAMS>, K, TEBM_MAX_DIM, TEBM_MAX_PARAMS>;

/// The trainer and the `TebmEnergyKind` of the energy it was built for.
pub(crate) struct State {
    core: Inner,
    kind: u32,
}

type EdObj = Object<State>;

object_handle!(TebmEd, State, ED_TAG, TEBM_ED_SIZE);

/// How to build an energy-discrepancy trainer. Start from
/// `tebm_ed_config_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TebmEdConfig {
    /// Variance t of each Gaussian perturbation (> 0).
    pub t: f32,
    /// Negatives M per data point, 1..=`TEBM_MAX_ED_NEGATIVES`.
    pub negatives: usize,
    /// Stabiliser w (≥ 0; 1 in the paper).
    pub w: f32,
    /// Data points per update (≥ 1).
    pub batch_size: usize,
    /// Seed of the perturbations' random stream.
    pub seed: u64,
    /// A `TebmOptimizer` value.
    pub optimizer: u32,
    /// Learning rate η (≥ 0).
    pub learning_rate: f32,
    /// SGD momentum μ in [0, 1).
    pub momentum: f32,
    /// Adam β₁ in [0, 1).
    pub adam_beta1: f32,
    /// Adam β₂ in [0, 1).
    pub adam_beta2: f32,
    /// Adam ε (> 0).
    pub adam_eps: f32,
    /// Clip the gradient to this global norm; 0 (or ∞) for no clipping.
    pub clip_norm: f32,
    /// L2 weight decay coefficient (≥ 0).
    pub weight_decay: f32,
}

/// What the last update measured, and the trainer's counters
/// (`tebm_ed_metrics`). Values are NaN before the first update.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TebmEdMetrics {
    /// The loss: mean of ln(w/M + (1/M)·Σⱼ exp(U(x) − U(x′ⱼ))) over the batch.
    pub loss: f32,
    /// Mean U at the data points.
    pub data_energy: f32,
    /// Mean U at the negatives.
    pub negative_energy: f32,
    /// Mean weight Σⱼ sⱼ of ∂θU at the data points, in [0, 1).
    pub data_weight: f32,
    /// Norm of the gradient handed to the optimiser (before clipping).
    pub grad_norm: f32,
    /// Updates done.
    pub updates: u64,
    /// Updates refused (θ and the optimiser kept).
    pub rejected: u64,
    /// Data points collected toward the next update.
    pub batch_len: usize,
    /// Dimension.
    pub dim: usize,
    /// Number of parameters trained.
    pub num_params: usize,
    /// Current learning rate.
    pub learning_rate: f32,
}

/// Fills `*cfg` with defaults: t = 0.25, 8 negatives, w = 1, batches of 32,
/// seed 0; Adam (η = 0.001, β₁ 0.9, β₂ 0.999, ε 1e-8; SGD momentum 0.9 when
/// chosen), no clipping, no weight decay.
///
/// # Safety
/// `cfg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ed_config_default(cfg: *mut TebmEdConfig) -> TebmStatus {
    check_null!(cfg);
    let e = EdConfig::new();
    let c = TebmEdConfig {
        t: e.t,
        negatives: e.negatives,
        w: e.w,
        batch_size: e.batch_size,
        seed: e.seed,
        optimizer: TebmOptimizer::Adam as u32,
        learning_rate: 1e-3,
        momentum: 0.9,
        adam_beta1: 0.9,
        adam_beta2: 0.999,
        adam_eps: 1e-8,
        clip_norm: 0.0,
        weight_decay: 0.0,
    };
    // SAFETY: non-null and writable per contract.
    unsafe { cfg.write(c) };
    TebmStatus::Ok
}

/// Bytes an energy-discrepancy trainer needs (≤ `TEBM_ED_SIZE`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_ed_size() -> usize {
    size_of::<EdObj>()
}

/// Alignment an energy-discrepancy trainer needs (≤ `TEBM_OBJECT_ALIGN`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_ed_align() -> usize {
    align_of::<EdObj>()
}

/// The core configuration and the trainer configuration whose optimiser
/// fields the optimiser builders read.
fn split(c: &TebmEdConfig) -> (EdConfig, TebmTrainerConfig) {
    let mut t = core::mem::MaybeUninit::<TebmTrainerConfig>::uninit();
    // SAFETY: `t` is writable; the function writes a whole config.
    let mut t = unsafe {
        tebm_trainer_config_default(t.as_mut_ptr());
        t.assume_init()
    };
    t.optimizer = c.optimizer;
    t.learning_rate = c.learning_rate;
    t.momentum = c.momentum;
    t.adam_beta1 = c.adam_beta1;
    t.adam_beta2 = c.adam_beta2;
    t.adam_eps = c.adam_eps;
    t.clip_norm = c.clip_norm;
    t.weight_decay = c.weight_decay;
    let e = EdConfig {
        t: c.t,
        negatives: c.negatives,
        w: c.w,
        batch_size: c.batch_size,
        seed: c.seed,
    };
    (e, t)
}

/// Everything `Ed::new` and the optimiser would refuse, checked before
/// anything is written.
fn precheck<M: Trainable>(m: &M, e: &EdConfig, t: &TebmTrainerConfig) -> Result<(), Error> {
    optimizer::<1>(t, 1)?;
    e.validate()?;
    for (n, cap) in [
        (m.num_params(), TEBM_MAX_PARAMS),
        (m.dim(), TEBM_MAX_DIM),
        (e.negatives, TEBM_MAX_ED_NEGATIVES),
    ] {
        if n > cap {
            return Err(Error::CapacityExceeded {
                requested: n,
                capacity: cap,
            });
        }
    }
    Ok(())
}

/// Initialises an energy-discrepancy trainer in `mem` (`mem_len` bytes: a
/// `TebmEd`, or `tebm_ed_size()` bytes aligned to `tebm_ed_align()`) for
/// `energy`, a trainable built-in model (a callback energy is
/// `BAD_CONFIG`). Everything is checked before the first write: on failure
/// nothing is written (an existing object in `mem` is unchanged).
///
/// # Safety
/// `mem` NULL or `mem_len` writable bytes not in use by another call;
/// `energy` NULL or a `TebmEnergy`'s storage (only read); `cfg` NULL or
/// readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ed_init(
    mem: *mut c_void,
    mem_len: usize,
    energy: *const TebmEnergy,
    cfg: *const TebmEdConfig,
) -> TebmStatus {
    check_null!(mem, energy, cfg);
    // SAFETY: non-null and readable per contract.
    let c = unsafe { cfg.read() };
    // SAFETY: non-null; storage per contract; only read here.
    let e = tri!(unsafe { energy_ref(energy) });
    let Model::BuiltIn(model) = e.model else {
        return TebmStatus::BadConfig;
    };
    let kind = TebmEnergyKind::of(model.kind()).map_or(u32::MAX, |k| k as u32);
    let (ecfg, tcfg) = split(&c);
    tri!(ebm::model_dispatch!(model, m => precheck(m, &ecfg, &tcfg)));
    // SAFETY: all-zero bytes are a valid `State`: `kind` is an integer and
    // the core `Ed` is zero-valid (documented on `Ed`: integers, floats, a
    // random stream and arrays of these besides the optimiser, and
    // `AnyOptimizer` is `repr(u8)` with 0 = `Sgd`, all of whose fields are
    // integers and floats).
    unsafe {
        lifecycle::init_zero_valid::<TebmEd>(
            mem,
            mem_len,
            |obj| ebm::model_dispatch!(model, m => build(obj, m, &ecfg, &tcfg, kind)),
        )
    }
}

/// Builds the trainer in the valid object in place; everything was checked
/// by `precheck`, so this cannot fail (an error is still returned rather
/// than a panic).
fn build<M: Trainable>(
    obj: &mut InUse<'_, State>,
    m: &M,
    e: &EdConfig,
    t: &TebmTrainerConfig,
    kind: u32,
) -> Result<(), Error> {
    optimizer_in_place(obj.state.core.optimizer_mut(), t, m.num_params())?;
    obj.state.core.reinit(m, *e)?;
    obj.state.kind = kind;
    Ok(())
}

/// Checks and borrows the trainer and the energy of a training call, and
/// that the energy is the kind and size the trainer was built for.
///
/// # Safety
/// As for the public functions calling it.
unsafe fn args<'a>(
    ed: *mut TebmEd,
    energy: *mut TebmEnergy,
    what: &str,
) -> Result<
    (
        InUse<'a, State>,
        TrainableMut<'a>,
        crate::energy::Identity<'a>,
    ),
    TebmStatus,
> {
    // SAFETY: non-null (checked by the caller); exclusive storage per
    // contract. The energy is checked first: if both handles were the same
    // memory, one of the two tag checks fails.
    let (t, identity) = unsafe { trainable_mut(energy)? };
    // SAFETY: as above.
    let mut s = unsafe { object_mut(ed)? };
    let kind = TebmEnergyKind::of(t.kind()).map_or(u32::MAX, |k| k as u32);
    let p = ebm::model_dispatch!(&t, m => m.num_params());
    if kind != s.state.kind {
        return Err(s.fail(
            what,
            Error::InvalidConfig("energy kind differs from the trainer's"),
        ));
    }
    if p != s.state.core.optimizer().len() {
        let expected = s.state.core.optimizer().len();
        return Err(s.fail(what, Error::DimensionMismatch { expected, found: p }));
    }
    Ok((s, t, identity))
}

/// Adds one data point `x` (`dim` floats, the energy's dimension): its
/// loss and gradient at the current θ, from M perturbed copies; when the
/// batch is full, runs an update (`*updated` = 1, else 0; `updated` may be
/// NULL). Refused before anything changes: a NULL pointer, a wrong
/// dimension, another energy kind or size, a non-finite point
/// (`NON_FINITE`) or a point where an energy or gradient is not finite. A
/// refused *update* (`NON_FINITE`, or `BAD_PARAMETERS` for parameters the
/// model refuses) leaves θ, the optimiser and the collected points as they
/// were and counts in `rejected`.
///
/// # Safety
/// `ed` NULL or a `TebmEd`'s storage and `energy` NULL or a `TebmEnergy`'s
/// storage, each used by no one else during the call; `x` NULL or `dim`
/// readable floats; `updated` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ed_push(
    ed: *mut TebmEd,
    energy: *mut TebmEnergy,
    x: *const f32,
    dim: usize,
    updated: *mut c_int,
) -> TebmStatus {
    // SAFETY: as documented; `tebm_ed_push_batch` with one point.
    unsafe { tebm_ed_push_batch(ed, energy, x, 1, dim, updated) }
}

/// Pushes `n` points (`n × dim` floats, point-major) as `tebm_ed_push`
/// does; `*updated` (when not NULL) is the number of updates that ran.
/// Sizes and finiteness of all points are checked first (refused: nothing
/// changes); a later failure stops there, with the points before it
/// collected (and their updates done).
///
/// # Safety
/// As for [`tebm_ed_push`]; `x` holds `n × dim` floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ed_push_batch(
    ed: *mut TebmEd,
    energy: *mut TebmEnergy,
    x: *const f32,
    n: usize,
    dim: usize,
    updated: *mut c_int,
) -> TebmStatus {
    check_null!(ed, energy, x);
    // SAFETY: non-null; per contract.
    let (mut s, t, mut identity) = tri!(unsafe { args(ed, energy, "tebm_ed_push") });
    if dim == 0 || n == 0 {
        return TebmStatus::BadDimension;
    }
    if dim > TEBM_MAX_DIM {
        return TebmStatus::CapacityExceeded;
    }
    if dim != s.state.core.dim() {
        return TebmStatus::BadDimension;
    }
    let Some(len) = n.checked_mul(dim) else {
        return TebmStatus::CapacityExceeded;
    };
    // SAFETY: non-null; n·dim floats per contract.
    let xs = unsafe { floats(x, len) };
    let before = s.state.core.updates();
    let r = ebm::model_dispatch!(t, m => s.state.core.push_batch(m, xs));
    let done = s.state.core.updates() - before;
    if done > 0 {
        // θ changed: samplers and trainers caching this energy refresh.
        identity.renew();
    }
    // SAFETY: `updated` NULL or writable per contract.
    unsafe { s.pushed("tebm_ed_push", r, done, updated) }
}

/// Runs an update on the points collected so far (at least one, else
/// `BAD_DIMENSION`). A refused update is as for `tebm_ed_push`.
///
/// # Safety
/// As for [`tebm_ed_push`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ed_update(ed: *mut TebmEd, energy: *mut TebmEnergy) -> TebmStatus {
    check_null!(ed, energy);
    // SAFETY: non-null; per contract.
    let (mut s, t, mut identity) = tri!(unsafe { args(ed, energy, "tebm_ed_update") });
    let r = ebm::model_dispatch!(t, m => s.state.core.update(m));
    match r {
        Ok(_) => {
            identity.renew();
            TebmStatus::Ok
        }
        Err(e) => s.fail("tebm_ed_update", e),
    }
}

/// Sets the optimiser's learning rate (finite, ≥ 0; 0 freezes θ), e.g.
/// for a schedule.
///
/// # Safety
/// `ed` NULL or a `TebmEd`'s storage used by no one else.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ed_set_learning_rate(ed: *mut TebmEd, lr: f32) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(ed, "tebm_ed_set_learning_rate", |s: &mut State| {
            s.core.optimizer_mut().set_learning_rate(lr)
        })
    }
}

/// What `tebm_ed_metrics` writes.
fn metrics(s: &State) -> TebmEdMetrics {
    let ed = &s.core;
    let m = ed.metrics();
    TebmEdMetrics {
        loss: m.loss,
        data_energy: m.data_energy,
        negative_energy: m.negative_energy,
        data_weight: m.data_weight,
        grad_norm: m.grad_norm,
        updates: ed.updates(),
        rejected: ed.rejected(),
        batch_len: ed.batch_len(),
        dim: ed.dim(),
        num_params: ed.optimizer().len(),
        learning_rate: ed.optimizer().learning_rate(),
    }
}

/// Writes the last update's metrics and the trainer's counters.
///
/// # Safety
/// `ed` NULL or a `TebmEd`'s storage; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ed_metrics(ed: *const TebmEd, out: *mut TebmEdMetrics) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::read(ed, out, metrics) }
}

/// Writes the text of the trainer's last error ("" if none) into `buf`
/// (NUL-terminated, truncated to `len` bytes).
///
/// # Safety
/// `ed` NULL or a `TebmEd`'s storage; `buf` NULL or `len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_ed_last_error(
    ed: *const TebmEd,
    buf: *mut c_char,
    len: usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::last_error(ed, buf, len) }
}
