//! Training from C: a [`TebmTrainer`] wraps the core's online contrastive
//! divergence trainer (`ebm::Pcd`) with a run-time choice of kernel,
//! optimiser and mode. The energy (a trainable built-in model) is passed to
//! every call and holds the parameters θ; the trainer holds the walkers,
//! the optimiser state and the batch being collected.

use core::ffi::{c_char, c_int, c_void};
use core::mem::{align_of, size_of};

use ebm::{
    AnyKernel, AnyOptimizer, BuiltIn, Energy, Error, Kernel, Metrics, Mode, NegativePhase,
    Optimizer, Pcd, Sampler, Trainable,
};

use crate::dispatch::Fast;
use crate::energy::{
    EnergyKey, Identity, Model, TebmEnergyKind, TrainableMut, energy_ref, trainable_mut,
};
use crate::handle::{
    InUse, Object, TRAINER_TAG, check_null, floats, object_handle, object_mut, tri,
};
use crate::lifecycle::{self, Owner, Start, adopt_energy};
use crate::status::TebmStatus;
use crate::trainer_config::{
    Plan, TebmTrainerConfig, TebmTrainerMetrics, optimizer, optimizer_in_place, plan,
};
use crate::{
    TEBM_MAX_DIM, TEBM_MAX_PARAMS, TEBM_MAX_TRAIN_WALKERS, TEBM_TRAINER_SIZE, TebmEnergy,
    TebmTrainer,
};

type TrainSampler = Sampler<AnyKernel<TEBM_MAX_DIM>, TEBM_MAX_TRAIN_WALKERS, TEBM_MAX_DIM>;
type Inner = Pcd<
    TrainSampler,
    AnyOptimizer<TEBM_MAX_PARAMS>,
    TEBM_MAX_TRAIN_WALKERS,
    TEBM_MAX_DIM,
    TEBM_MAX_PARAMS,
>;

/// Bytes of this object's checkpoint (`ebm::checkpoint`).
pub(crate) const CHECKPOINT_SIZE: usize = Inner::CHECKPOINT_SIZE;

/// A trainer object in caller memory: tag and last-error record (the first
/// `TEBM_SAMPLER_HEADER_SIZE` bytes, as for samplers), then the state.
type TrainerObj = Object<State>;

object_handle!(TebmTrainer, State, TRAINER_TAG, TEBM_TRAINER_SIZE);

/// The trainer, the energy its walkers' caches belong to, and the
/// `TebmEnergyKind` of the energy it was built for.
pub(crate) type State = lifecycle::State<Inner, u32>;

// SAFETY: all-zero bytes are a valid `Inner`: the core `Pcd`'s fields besides
// the sampler and optimiser are integers, floats, bools, random streams,
// `repr(u8)` enums with field-less variant 0 (`Mode`, `Reinit`) and arrays or
// plain structs of these (documented on `Pcd`); the `Sampler` is zero-valid
// when its kernel is (documented on `Sampler`), and `AnyKernel` is
// (`repr(u8)`, 0 = `Ula` with h = 0); `AnyOptimizer` is `repr(u8)` with 0 =
// `Sgd`, all of whose fields are integers and floats (documented on
// `AnyOptimizer`).
unsafe impl Owner<TEBM_MAX_TRAIN_WALKERS> for Inner {
    type Phase = TrainSampler;
    fn phase(&self) -> &TrainSampler {
        self.sampler()
    }
    fn phase_mut(&mut self) -> &mut TrainSampler {
        self.sampler_mut()
    }
    /// Also drops the batch collected so far (its gradients were taken at
    /// the old parameters).
    fn invalidate(&mut self) {
        // Explicit: when `TEBM_MAX_TRAIN_WALKERS == TEBM_MAX_WALKERS` the
        // trainer's sampler is the sampler object's type, which also has
        // `Owner::invalidate`.
        NegativePhase::invalidate(self.sampler_mut());
        self.clear_batch();
    }
}

/// Bytes a trainer object needs (≤ `TEBM_TRAINER_SIZE`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_trainer_size() -> usize {
    size_of::<TrainerObj>()
}

/// Alignment a trainer object needs (≤ `TEBM_OBJECT_ALIGN`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_trainer_align() -> usize {
    align_of::<TrainerObj>()
}

/// Everything `Pcd::new`, the optimiser and the walkers' init would refuse,
/// checked before anything is written. The starts are evaluated aside, a
/// few at a time (not staged in the object's scratch space), so that a
/// failure leaves the caller's memory byte for byte as it was.
fn precheck<M: Trainable>(
    m: &M,
    plan: &Plan,
    c: &TebmTrainerConfig,
    start: Start<'_>,
) -> Result<(), Error> {
    optimizer::<1>(c, 1)?;
    for (n, cap) in [(m.num_params(), TEBM_MAX_PARAMS), (m.dim(), TEBM_MAX_DIM)] {
        if n > cap {
            return Err(Error::CapacityExceeded {
                requested: n,
                capacity: cap,
            });
        }
    }
    plan.pcfg.validate()?;
    if matches!(plan.pcfg.mode, Mode::Jarzynski { .. }) && !plan.kernel.unadjusted_langevin() {
        return Err(Error::InvalidConfig(
            "Jarzynski mode needs a sampler whose step is one ULA move",
        ));
    }
    start.check::<_, TEBM_MAX_TRAIN_WALKERS>(m)
}

/// Builds the trainer in the valid object `obj` in place (no trainer-sized
/// temporary). Everything, the walkers' starts included, was checked by
/// `precheck`: this cannot fail (an error is still returned rather than a
/// panic).
#[inline(never)]
fn build<M: Trainable>(
    obj: &mut InUse<'_, State>,
    m: &M,
    plan: &Plan,
    c: &TebmTrainerConfig,
    start: Start<'_>,
) -> Result<(), Error> {
    let pcd = &mut obj.state.core;
    start.apply(pcd.sampler_mut().walkers_mut(), m)?;
    // As `TrainSampler::new(kernel, walkers)` then `set_beta` (trainers
    // never adapt the step size; drop any adaptation anyway).
    let sm = pcd.sampler_mut();
    sm.stop_adaptation();
    *sm.kernel_mut() = plan.kernel;
    sm.set_beta(c.beta)?;
    sm.set_recording(true);
    sm.reset_diagnostics();
    optimizer_in_place(pcd.optimizer_mut(), c, m.num_params())?;
    pcd.reinit(m, plan.pcfg)
}

/// Checks, then initialises a trainer for the model `m` (energy kind
/// `kind`, object address `addr`) in `mem`.
fn init_for<M: Trainable>(
    mem: *mut c_void,
    mem_len: usize,
    m: &M,
    (energy, kind): (EnergyKey, u32),
    plan: &Plan,
    c: &TebmTrainerConfig,
    start: Start<'_>,
) -> TebmStatus {
    tri!(precheck(m, plan, c, start));
    lifecycle::init::<TebmTrainer, TEBM_MAX_TRAIN_WALKERS>(mem, mem_len, |obj| {
        build(obj, m, plan, c, start)?;
        obj.state.energy = energy;
        obj.state.extra = kind;
        Ok(())
    })
}

fn trainable_kind(t: &TrainableMut<'_>) -> u32 {
    TebmEnergyKind::of(t.kind()).map_or(u32::MAX, |k| k as u32)
}

/// Initialises a trainer in `mem` (`mem_len` bytes: a `TebmTrainer`, or
/// `tebm_trainer_size()` bytes aligned to `tebm_trainer_align()`) for
/// `energy`, which must be a trainable built-in model (Gaussian,
/// polynomial, mixture, MLP; a callback energy is `BAD_CONFIG`). The
/// walkers are initialised as `cfg` says and must have finite energies.
/// On failure nothing is written (an existing trainer in `mem` is
/// unchanged): everything, the energy at the initial walker positions
/// included (evaluated aside, a few walkers at a time), is checked before
/// the first write. The object is then built in place, on fresh memory as
/// on an existing trainer: a few KB of stack on a Cortex-M4F (see the
/// README).
///
/// # Safety
/// `mem` NULL or `mem_len` writable bytes not in use by another call;
/// `energy` NULL or a `TebmEnergy`'s storage (only read);
/// `cfg` NULL or a readable config whose non-NULL arrays have the
/// documented lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_init(
    mem: *mut c_void,
    mem_len: usize,
    energy: *const TebmEnergy,
    cfg: *const TebmTrainerConfig,
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
    let d = e.model.dim();
    // SAFETY: the mass, when read, holds `d` floats per the config's contract.
    let plan = tri!(unsafe { plan(&c, d) });
    // SAFETY: n_walkers (checked by `plan`: ≤ 32) × d (≤ 16) and d floats
    // per the config's contract.
    let start = unsafe {
        Start::from_c(
            c.init_positions,
            c.init_center,
            c.init_sd,
            c.seed,
            c.n_walkers,
            d,
        )
    };
    let id = (e.key, kind);
    ebm::model_dispatch!(model, m => init_for(mem, mem_len, m, id, &plan, &c, start))
}

/// Checks and borrows the trainer and the energy of a training call.
///
/// # Safety
/// As for the public functions calling it.
unsafe fn args<'a>(
    trainer: *mut TebmTrainer,
    energy: *mut TebmEnergy,
) -> Result<(InUse<'a, State>, TrainableMut<'a>, Identity<'a>), TebmStatus> {
    // SAFETY: non-null (checked by the caller); exclusive storage per
    // contract. The energy is checked first: if both handles were the same
    // memory, one of the two tag checks fails.
    let (t, identity) = unsafe { trainable_mut(energy)? };
    // SAFETY: as above.
    let s = unsafe { object_mut(trainer)? };
    Ok((s, t, identity))
}

/// Pre-checks shared by push and update: the energy is the kind and size
/// the trainer was built for; a different energy object is adopted by the
/// one policy of `lifecycle::adopt_energy` (checked aside, then the caches
/// go stale).
fn prepare(s: &mut InUse<'_, State>, t: &TrainableMut<'_>, energy: EnergyKey) -> Result<(), Error> {
    if trainable_kind(t) != s.state.extra {
        return Err(Error::InvalidConfig(
            "energy kind differs from the trainer's",
        ));
    }
    let p = ebm::model_dispatch!(t, m => m.num_params());
    if p != s.state.core.optimizer().len() {
        return Err(Error::DimensionMismatch {
            expected: s.state.core.optimizer().len(),
            found: p,
        });
    }
    ebm::model_dispatch!(t, m => adopt_energy(&mut *s.state, &**m, energy))
}

/// θ changed: the energy gets a new identity, so that samplers and other
/// trainers using it refresh their caches; this trainer's walkers are kept
/// consistent by the core trainer itself.
fn trained(s: &mut InUse<'_, State>, identity: &mut Identity<'_>) {
    identity.renew();
    s.state.energy = identity.key;
}

/// Checks `n` points of `dim` floats at `x` and returns them as a slice.
///
/// # Safety
/// `x` non-null and `n·dim` readable floats when `dim`, `n` pass the checks.
unsafe fn points<'a>(
    s: &InUse<'_, State>,
    x: *const f32,
    n: usize,
    dim: usize,
) -> Result<&'a [f32], TebmStatus> {
    if dim == 0 || n == 0 {
        return Err(TebmStatus::BadDimension);
    }
    if dim > TEBM_MAX_DIM {
        return Err(TebmStatus::CapacityExceeded);
    }
    if dim != s.state.core.sampler().samples().dim() {
        return Err(TebmStatus::BadDimension);
    }
    let Some(len) = n.checked_mul(dim) else {
        return Err(TebmStatus::CapacityExceeded);
    };
    // SAFETY: forwarded contract.
    Ok(unsafe { floats(x, len) })
}

/// Adds one data point `x` (`dim` floats, the energy's dimension) to the
/// batch; when the batch is full, runs an update (`*updated` = 1, else 0;
/// `updated` may be NULL). Refused before anything changes: a NULL
/// pointer, a wrong dimension, another energy kind or size, a non-finite
/// point (`NON_FINITE`) or a point where U or ∂θU is not finite. A refused
/// *update* (`NON_FINITE`: a non-finite gradient, parameter or walker
/// energy; `BAD_PARAMETERS`: new parameters that break the model's
/// constraints, e.g. a precision that is not positive definite) leaves θ, the optimiser and the batch as they were (the point
/// stays in the batch and the next push or update tries again), counts in
/// `rejected`, and keeps the walkers' kernel steps. Passing another energy
/// object than the last one re-evaluates the walkers' caches.
///
/// # Safety
/// `trainer` NULL or a `TebmTrainer`'s storage and `energy` NULL or a
/// `TebmEnergy`'s storage, each used by no one else during the call; `x`
/// NULL or `dim` readable floats; `updated` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_push(
    trainer: *mut TebmTrainer,
    energy: *mut TebmEnergy,
    x: *const f32,
    dim: usize,
    updated: *mut c_int,
) -> TebmStatus {
    // SAFETY: as documented; `tebm_trainer_push_batch` with one point.
    unsafe { tebm_trainer_push_batch(trainer, energy, x, 1, dim, updated) }
}

/// Pushes `n` points (`n × dim` floats, point-major) as `tebm_trainer_push`
/// does, one after the other; `*updated` (when not NULL) is the number of
/// updates that ran. Sizes and finiteness of all points are checked first
/// (refused: nothing changes); a later failure stops at that point, with
/// the points before it pushed (and their updates done).
///
/// # Safety
/// As for [`tebm_trainer_push`]; `x` holds `n × dim` floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_push_batch(
    trainer: *mut TebmTrainer,
    energy: *mut TebmEnergy,
    x: *const f32,
    n: usize,
    dim: usize,
    updated: *mut c_int,
) -> TebmStatus {
    check_null!(trainer, energy, x);
    // SAFETY: non-null; per contract.
    let (mut s, t, mut identity) = tri!(unsafe { args(trainer, energy) });
    // SAFETY: non-null; n·dim floats per contract.
    let xs = tri!(unsafe { points(&s, x, n, dim) });
    if !xs.iter().all(|v| v.is_finite()) {
        return s.fail("tebm_trainer_push", Error::NotFinite("data point"));
    }
    if let Err(e) = prepare(&mut s, &t, identity.key) {
        return s.fail("tebm_trainer_push", e);
    }
    let before = s.state.core.updates();
    let r = match t {
        // The MLP's batched passes on the CPU's widest vector unit.
        BuiltIn::Mlp(m) => s.state.core.push_batch(&mut Fast(m), xs),
        t => ebm::model_dispatch!(t, m => s.state.core.push_batch(m, xs)),
    };
    let done = s.state.core.updates() - before;
    if done > 0 {
        trained(&mut s, &mut identity);
    }
    // SAFETY: `updated` NULL or writable per contract.
    unsafe { s.pushed("tebm_trainer_push", r, done, updated) }
}

/// Runs an update on the points collected so far (at least one, else
/// `BAD_DIMENSION`), as a full batch would. A refused update is as for
/// `tebm_trainer_push`.
///
/// # Safety
/// As for [`tebm_trainer_push`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_update(
    trainer: *mut TebmTrainer,
    energy: *mut TebmEnergy,
) -> TebmStatus {
    check_null!(trainer, energy);
    // SAFETY: non-null; per contract.
    let (mut s, t, mut identity) = tri!(unsafe { args(trainer, energy) });
    if s.state.core.batch_len() == 0 {
        return s.fail("tebm_trainer_update", Error::Empty);
    }
    if let Err(e) = prepare(&mut s, &t, identity.key) {
        return s.fail("tebm_trainer_update", e);
    }
    let before = s.state.core.updates();
    let r = match t {
        // The MLP's batched passes on the CPU's widest vector unit.
        BuiltIn::Mlp(m) => s.state.core.update(&mut Fast(m)),
        t => ebm::model_dispatch!(t, m => s.state.core.update(m)),
    };
    if s.state.core.updates() > before {
        trained(&mut s, &mut identity);
    }
    match r {
        Ok(_) => TebmStatus::Ok,
        Err(e) => s.fail("tebm_trainer_update", e),
    }
}

/// Marks the walkers' cached energies stale and drops the batch collected
/// so far (its gradients were taken at the old parameters). Needed only for
/// a change the energy object cannot see: an energy re-initialised, loaded
/// with `tebm_weights_load` or trained by another trainer gets a new
/// identity, and the next push or update does the same by itself.
///
/// # Safety
/// `trainer` NULL or a `TebmTrainer`'s storage used by no one else.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_invalidate(trainer: *mut TebmTrainer) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::invalidate(trainer) }
}

/// Sets the optimiser's learning rate (finite, ≥ 0; 0 freezes θ), e.g.
/// for a schedule.
///
/// # Safety
/// As for [`tebm_trainer_invalidate`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_set_learning_rate(
    trainer: *mut TebmTrainer,
    lr: f32,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::update(
            trainer,
            "tebm_trainer_set_learning_rate",
            |s: &mut State| s.core.optimizer_mut().set_learning_rate(lr),
        )
    }
}

/// What `tebm_trainer_metrics` writes.
fn metrics(s: &State) -> TebmTrainerMetrics {
    let pcd = &s.core;
    let m: Metrics = pcd.metrics();
    let w = pcd.sampler().samples();
    TebmTrainerMetrics {
        data_energy: m.data_energy,
        walker_energy: m.walker_energy,
        gap: m.gap,
        acceptance: m.acceptance,
        ess: m.ess,
        log_z: m.log_z,
        cross_entropy: m.cross_entropy,
        grad_norm: m.grad_norm,
        resampled: u32::from(m.resampled),
        updates: pcd.updates(),
        rejected: pcd.rejected(),
        batch_len: pcd.batch_len(),
        n_walkers: w.len(),
        dim: w.dim(),
        num_params: pcd.optimizer().len(),
        learning_rate: pcd.optimizer().learning_rate(),
    }
}

/// Writes the last update's metrics and the trainer's counters.
///
/// # Safety
/// `trainer` NULL or a `TebmTrainer`'s storage; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_metrics(
    trainer: *const TebmTrainer,
    out: *mut TebmTrainerMetrics,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::read(trainer, out, metrics) }
}

/// Copies the walkers' positions (n_walkers × dim floats, walker-major)
/// into `out` (`len` ≥ n_walkers·dim floats).
///
/// # Safety
/// `trainer` NULL or a `TebmTrainer`'s storage; `out` NULL or `len`
/// writable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_positions(
    trainer: *const TebmTrainer,
    out: *mut f32,
    len: usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::positions(trainer, out, len, "tebm_trainer_positions") }
}

/// Copies each walker's cached energy into `out` (`len` ≥ n_walkers
/// floats); NaN for a walker whose cache is stale.
///
/// # Safety
/// As for [`tebm_trainer_positions`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_energies(
    trainer: *const TebmTrainer,
    out: *mut f32,
    len: usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::energies(trainer, out, len, "tebm_trainer_energies") }
}

/// Writes the text of the trainer's last error ("" if none) into `buf`
/// (NUL-terminated, truncated to `len` bytes).
///
/// # Safety
/// `trainer` NULL or a `TebmTrainer`'s storage; `buf` NULL or `len`
/// writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_last_error(
    trainer: *const TebmTrainer,
    buf: *mut c_char,
    len: usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::last_error(trainer, buf, len) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::energy_init::tebm_energy_init_mlp;
    use crate::kernel::TebmKernel;
    use crate::trainer_config::*;
    use std::boxed::Box;

    /// The trainer the old by-value path built: sampler, optimiser and
    /// `Pcd::new` on the stack.
    fn by_value(m: &crate::energy::MlpM, c: &TebmTrainerConfig) -> Box<Inner> {
        // SAFETY: the config's mass is NULL.
        let plan = unsafe { plan(c, m.dim()) }.unwrap();
        let opt = optimizer::<TEBM_MAX_PARAMS>(c, m.num_params()).unwrap();
        let mut sampler = TrainSampler::new(plan.kernel, ebm::Walkers::empty());
        sampler.set_beta(c.beta).unwrap();
        let zeros = [0f32; TEBM_MAX_DIM];
        sampler
            .walkers_mut()
            .init_gaussian(m, c.n_walkers, c.seed, &zeros[..m.dim()], c.init_sd)
            .unwrap();
        Box::new(Inner::new(m, sampler, opt, plan.pcfg).unwrap())
    }

    /// In fresh memory and over existing trainers of another optimiser,
    /// mode and kernel, the in-place init builds what `Pcd::new` builds.
    #[test]
    fn in_place_init_equals_by_value_construction() {
        let mut e = crate::tests::energy_storage();
        let mut t = Box::new(TebmTrainer {
            opaque: [0; TEBM_TRAINER_SIZE],
        });
        let ep: *mut TebmEnergy = &mut *e;
        let tp: *mut TebmTrainer = &mut *t;
        let theta: std::vec::Vec<f32> = (0..ebm::mlp_param_count(3, 5))
            .map(|i| 0.05 * (i % 7) as f32 - 0.1)
            .collect();
        // SAFETY: every pointer is valid for what the header documents.
        unsafe {
            let st = tebm_energy_init_mlp(
                ep.cast(),
                size_of::<TebmEnergy>(),
                3,
                5,
                0,
                0.5,
                theta.as_ptr(),
                theta.len(),
            );
            assert_eq!(st, TebmStatus::Ok);
            let Model::BuiltIn(ebm::BuiltIn::Mlp(m)) = energy_ref(ep).unwrap().model else {
                panic!("not an MLP")
            };
            let mut c = core::mem::zeroed::<TebmTrainerConfig>();
            tebm_trainer_config_default(&mut c);
            c.n_walkers = 12;
            c.seed = 5;
            let mut configs = std::vec::Vec::new();
            configs.push(c);
            let mut sgd = c;
            sgd.optimizer = TebmOptimizer::Sgd as u32;
            sgd.mode = TebmTrainMode::Jarzynski as u32;
            sgd.clip_norm = 2.0;
            sgd.weight_decay = 0.01;
            configs.push(sgd);
            let mut adam = c;
            adam.kernel.kind = TebmKernel::Hmc as u32;
            adam.mode = TebmTrainMode::Cd as u32;
            adam.n_walkers = 32;
            adam.adam_beta1 = 0.8;
            adam.reinit = TebmReinit::Never as u32;
            configs.push(adam);
            let mut mala = sgd;
            mala.kernel.kind = TebmKernel::Mala as u32;
            mala.mode = TebmTrainMode::Pcd as u32;
            mala.reinit = TebmReinit::Gaussian as u32;
            configs.push(mala);
            crate::tests::check_in_place_inits(
                tp,
                &configs,
                |c| tebm_trainer_init(tp.cast(), size_of::<TebmTrainer>(), ep, c),
                |state, c| {
                    let (got, want) = (&state.core, by_value(m, c));
                    assert!(*got == *want);
                    assert_eq!(got.sampler().kernel(), want.sampler().kernel());
                    assert_eq!(
                        got.sampler().beta().to_bits(),
                        want.sampler().beta().to_bits()
                    );
                },
                // Train a little so the next init starts from a used trainer.
                |c| {
                    let x = [0.1f32, -0.2, 0.3];
                    for _ in 0..c.batch_size {
                        let mut updated = 0;
                        let st = tebm_trainer_push(tp, ep, x.as_ptr(), 3, &mut updated);
                        assert_eq!(st, TebmStatus::Ok);
                    }
                },
            );
        }
    }
}
