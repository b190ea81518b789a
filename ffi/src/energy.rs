//! Energies from C: the built-in models and a C callback, behind one
//! object type ([`TebmEnergy`]).

use core::ffi::{c_int, c_void};
use core::mem::size_of;
use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicU32, Ordering};

use ebm::{BuiltIn, Energy, EvalError, Evals, ModelCodec, Soa, model_dispatch};

use crate::handle::{ENERGY_TAG, check_null, check_object, floats, out_slice, tri};
pub(crate) use crate::models::{
    DeepMlpM, GaussianM, MixtureM, MlpM, Models, PolynomialM, TrainableMut,
};
use crate::models::{ENERGY_ALIGN, ENERGY_MAX_SIZE, OBJECTS, built_in_at, built_in_mut};
use crate::status::TebmStatus;
use crate::{TEBM_ENERGY_SIZE, TEBM_MAX_DIM, TEBM_OBJECT_ALIGN, TebmEnergy};

/// A user energy: computes U(x) into `*energy` and, when `grad` is not
/// NULL, ∇U(x) into `grad[0..dim]`; returns 0 on success. A non-zero return
/// declines the point (a rejected proposal for MALA, MH and HMC; an error
/// `TEBM_STATUS_CALLBACK_ERROR` for ULA and initialisation). Non-finite
/// values are allowed and handled the same way (status `NON_FINITE`).
///
/// `grad` is NULL when only U is needed (random-walk MH proposals). When it
/// is not, it is pre-filled with NaN: a gradient left unwritten is caught.
/// `x` and `grad` hold `dim` floats and are valid only during the call.
/// The callback must not unwind (C++ exceptions, longjmp) and must not call
/// tinyebm functions on the sampler that is stepping; it may evaluate other
/// energies.
pub type TebmEnergyFn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        x: *const f32,
        dim: usize,
        energy: *mut f32,
        grad: *mut f32,
    ) -> c_int,
>;

/// Hidden-layer activation of an MLP energy (`tebm_energy_init_mlp`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmActivation {
    /// tanh.
    Tanh = 0,
    /// SiLU (swish): a·σ(a).
    Silu = 1,
    /// softplus: ln(1 + eᵃ).
    Softplus = 2,
}

/// A C callback with its context.
#[derive(Clone, Copy)]
pub(crate) struct Callback {
    pub(crate) f: unsafe extern "C" fn(*mut c_void, *const f32, usize, *mut f32, *mut f32) -> c_int,
    pub(crate) user: *mut c_void,
    pub(crate) dim: usize,
}

impl Callback {
    fn call(&self, x: &[f32], grad: Option<&mut [f32]>) -> Result<f32, EvalError> {
        if x.len() != self.dim || grad.as_ref().is_some_and(|g| g.len() != self.dim) {
            return Err(EvalError::WrongLength);
        }
        let mut u = f32::NAN;
        let g = match grad {
            Some(g) => {
                g.fill(f32::NAN);
                g.as_mut_ptr()
            }
            None => core::ptr::null_mut(),
        };
        // SAFETY: `f` and `user` were given together to
        // `tebm_energy_init_callback`, whose contract makes `f` callable
        // with `user` for as long as the energy is used. `x` points to `dim`
        // readable floats and `g` to `dim` writable floats (or is NULL, as
        // documented), `&mut u` to one writable float; all are Rust-owned,
        // valid and unaliased for the duration of the call, which is all
        // the callback may use them for. The callback must not unwind.
        let rc = unsafe { (self.f)(self.user, x.as_ptr(), self.dim, &mut u, g) };
        match rc {
            0 => Ok(u),
            // i32::MIN is the core's marker for a length error.
            i32::MIN => Err(EvalError::Declined(i32::MIN + 1)),
            code => Err(EvalError::Declined(code)),
        }
    }
}

/// Which model an energy object holds (`tebm_energy_size_for`). Each kind
/// has its own object size: a callback energy needs a few dozen bytes, an
/// MLP at full capacity about 12.7 KB.
// The built-in kinds are named as the core's `ebm::ModelKind`; `models.rs`
// maps the two.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmEnergyKind {
    /// Gaussian, diagonal or full precision.
    Gaussian = 0,
    /// Polynomial (including the double well).
    Polynomial = 1,
    /// Gaussian mixture.
    Mixture = 2,
    /// MLP.
    Mlp = 3,
    /// C callback.
    Callback = 4,
    /// Deep MLP (1 to `TEBM_MAX_DEEP_LAYERS` hidden layers).
    DeepMlp = 5,
}

/// An energy object in caller memory: type tag, kind, identity, a reserved
/// word, then the model. The layout is `repr(C)`, so the 16-byte header
/// sits at offsets 0 to 15 whatever the model (whose alignment is at most
/// 16, checked below).
#[repr(C)]
pub(crate) struct Obj<M> {
    tag: u32,
    kind: u32,
    /// New at every init, weights load and training update of the object:
    /// with the address, what samplers remember of the energy their cached
    /// values came from ([`EnergyKey`]).
    id: u32,
    /// Zero: keeps the header 16 bytes long with no padding whose bytes
    /// would be indeterminate.
    reserved: u32,
    pub(crate) model: M,
}

/// The header every energy object starts with.
#[repr(C)]
pub(crate) struct Header {
    tag: u32,
    kind: u32,
    id: u32,
    reserved: u32,
}

/// Which energy a sampler's, trainer's or replica exchange's cached values
/// were computed with: the object's address and its identity. A new
/// energy at the address of a dead one, re-initialised in place, reloaded
/// from weights or trained has another identity, so stale caches cannot be
/// reused. (A callback whose own parameters change keeps its identity:
/// `tebm_*_invalidate` is for that.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct EnergyKey {
    pub(crate) addr: usize,
    pub(crate) id: u32,
}

/// A fresh energy identity. Ids only need to differ between successive
/// models at one address, so where the target has no atomic read-modify-
/// write (Cortex-M0) a load and a store are enough.
pub(crate) fn fresh_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    #[cfg(target_has_atomic = "32")]
    {
        NEXT.fetch_add(1, Ordering::Relaxed)
    }
    #[cfg(not(target_has_atomic = "32"))]
    {
        let id = NEXT.load(Ordering::Relaxed);
        NEXT.store(id.wrapping_add(1), Ordering::Relaxed);
        id
    }
}

/// The identity of a trainable energy borrowed for writing, and the means
/// to renew it once its parameters changed.
pub(crate) struct Identity<'a> {
    pub(crate) key: EnergyKey,
    id: &'a mut u32,
}

impl Identity<'_> {
    /// The parameters changed: the energy gets a new identity.
    pub(crate) fn renew(&mut self) {
        *self.id = fresh_id();
        self.key.id = *self.id;
    }
}

const _: () = assert!(ENERGY_MAX_SIZE <= TEBM_ENERGY_SIZE);
const _: () = assert!(ENERGY_ALIGN <= TEBM_OBJECT_ALIGN);
const _: () = assert!(size_of::<Header>() == 16);
const _: () = assert!(size_of::<TebmEnergy>() == TEBM_ENERGY_SIZE);

/// A model held by an energy object, borrowed from caller memory.
#[derive(Clone, Copy)]
pub(crate) enum Model<'a> {
    BuiltIn(Models<'a>),
    Callback(&'a Callback),
}

impl Energy for Model<'_> {
    fn dim(&self) -> usize {
        match self {
            Model::BuiltIn(m) => model_dispatch!(m, e => e.dim()),
            Model::Callback(c) => c.dim,
        }
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        match self {
            Model::BuiltIn(m) => model_dispatch!(m, e => e.value(x)),
            Model::Callback(c) => c.call(x, None),
        }
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        match self {
            Model::BuiltIn(m) => model_dispatch!(m, e => e.value_grad(x, grad)),
            Model::Callback(c) => c.call(x, Some(grad)),
        }
    }

    /// Forwards to each model's own batched pass (the MLP's is vectorised).
    fn eval_batch<const N: usize, const D: usize>(
        &self,
        x: &Soa<N, D>,
        n: usize,
        with_grad: bool,
        out: &mut Evals<N, D>,
    ) {
        match self {
            // The MLP's batched pass on the CPU's widest vector unit.
            Model::BuiltIn(BuiltIn::Mlp(m)) => {
                crate::dispatch::mlp_eval_batch(*m, x, n, with_grad, out)
            }
            Model::BuiltIn(m) => model_dispatch!(m, e => e.eval_batch(x, n, with_grad, out)),
            // The trait's default: one walker at a time through value_grad.
            Model::Callback(_) => ebm::energy::eval_each(self, x, n, with_grad, out),
        }
    }
}

/// An energy handle, checked: the model and which energy it is (what
/// samplers remember to know whose cached values they hold).
#[derive(Clone, Copy)]
pub(crate) struct EnergyRef<'a> {
    pub(crate) model: Model<'a>,
    pub(crate) key: EnergyKey,
}

/// Borrows the model of an object of kind `M` at `p`.
///
/// # Safety
/// `p` must point to a valid `Obj<M>` not written during `'a`.
pub(crate) unsafe fn model_at<'a, M>(p: *const Header) -> &'a M {
    // SAFETY: forwarded contract: a valid `Obj<M>` lives at `p`.
    unsafe { &(*p.cast::<Obj<M>>()).model }
}

/// The energy behind a handle.
///
/// # Safety
/// `p` must be NULL or point to `TEBM_ENERGY_SIZE` readable bytes — or, for
/// memory initialised by a `tebm_energy_init_*` call with less, at least
/// what that call was given — not written during `'a` (the call).
pub(crate) unsafe fn energy_ref<'a>(p: *const TebmEnergy) -> Result<EnergyRef<'a>, TebmStatus> {
    // SAFETY: forwarded contract (an object has at least its 8-byte header).
    let h = unsafe { check_object::<Header>(p.cast(), ENERGY_TAG)? };
    if (h as usize) % ENERGY_ALIGN != 0 {
        // Objects are only ever created at addresses aligned to ENERGY_ALIGN.
        return Err(TebmStatus::NotInitialised);
    }
    // SAFETY: the header was checked readable and aligned just above; every
    // bit pattern is a valid u32.
    let (kind, id) = unsafe { ((*h).kind, (*h).id) };
    // SAFETY: (each arm) the tag and kind are only ever written by `init`
    // below, together with a whole valid `Obj<M>` of the model type the kind
    // names, at this address aligned to ENERGY_ALIGN ≥ align_of::<Obj<M>>()
    // (or copied with one: objects hold no self-references). The caller
    // does not write the memory during the call, so a shared borrow is sound.
    let model = unsafe {
        match TebmEnergyKind::core(kind) {
            Some(k) => built_in_at(h, k).map(Model::BuiltIn),
            None if kind == TebmEnergyKind::Callback as u32 => Some(Model::Callback(model_at(h))),
            None => None,
        }
    };
    let model = model.ok_or(TebmStatus::NotInitialised)?;
    Ok(EnergyRef {
        model,
        key: EnergyKey {
            addr: h as usize,
            id,
        },
    })
}

/// Checks caller memory for an `Obj<M>`: non-null, large enough, aligned to
/// `ENERGY_ALIGN`.
pub(crate) fn energy_memory<M>(mem: *mut c_void, len: usize) -> Result<*mut Obj<M>, TebmStatus> {
    if mem.is_null() {
        return Err(TebmStatus::NullPointer);
    }
    if len < size_of::<Obj<M>>() {
        return Err(TebmStatus::BufferTooSmall);
    }
    if (mem as usize) % ENERGY_ALIGN != 0 {
        return Err(TebmStatus::Misaligned);
    }
    Ok(mem.cast::<Obj<M>>())
}

/// Writes a new energy object of model type `M` from the weight file `b`
/// into caller memory, in place (no model-sized temporary). `b` must have
/// passed `M::validate`: then nothing can fail after the memory checks, and
/// on any failure the object is left untagged.
///
/// # Safety
/// All-zero bytes must be a valid `M` (as documented on `Mlp` and
/// `DeepMlp`: integers, floats, arrays of them and the `repr(u8)`
/// `Activation`, 0 = tanh).
#[inline(never)]
pub(crate) unsafe fn init_from_weights_in_place<M: ModelCodec>(
    mem: *mut c_void,
    len: usize,
    b: &[u8],
) -> TebmStatus {
    let Some(kind) = TebmEnergyKind::of(M::KIND) else {
        return TebmStatus::BadConfig;
    };
    let p = tri!(energy_memory::<M>(mem, len));
    // SAFETY: `p` is non-null, aligned to ENERGY_ALIGN and has room for an
    // `Obj<M>` (checked by `energy_memory`), writable and unused by anyone
    // else per the init functions' contract. All-zero bytes are a valid
    // `Obj<M>`: four integers and an `M`, for which the caller guarantees
    // it. The tag stays 0 ("no energy") until the model is complete.
    let obj = unsafe {
        p.write_bytes(0, 1);
        &mut *p
    };
    match ebm::Persist::decode_into(&mut obj.model, b) {
        Ok(()) => {
            obj.kind = kind as u32;
            obj.id = fresh_id();
            obj.tag = ENERGY_TAG;
            TebmStatus::Ok
        }
        // Unreachable (validated by the caller); never leave an energy behind.
        Err(e) => TebmStatus::from(e),
    }
}

/// Writes a new energy object of kind `kind` holding `model` at `p` in
/// place, then `fill`s it (e.g. with its parameters). Meant for `fill`s
/// that cannot fail after the caller's checks; should one fail anyway, the
/// object is left untagged (no half-built energy) and its status returned.
///
/// # Safety
/// `p` is non-null, aligned to `ENERGY_ALIGN` and has room for an `Obj<M>`
/// (as `energy_memory` checks), writable and unused by anyone else.
pub(crate) unsafe fn fill_in_place<M>(
    p: *mut Obj<M>,
    kind: TebmEnergyKind,
    model: M,
    fill: impl FnOnce(&mut M) -> Result<(), ebm::Error>,
) -> TebmStatus {
    // SAFETY: per this function's contract; the writes initialise every
    // field of the `repr(C)` object without reading or dropping the old
    // contents.
    let obj = unsafe {
        addr_of_mut!((*p).model).write(model);
        addr_of_mut!((*p).kind).write(kind as u32);
        addr_of_mut!((*p).id).write(fresh_id());
        addr_of_mut!((*p).reserved).write(0);
        addr_of_mut!((*p).tag).write(ENERGY_TAG);
        &mut *p
    };
    match fill(&mut obj.model) {
        Ok(()) => TebmStatus::Ok,
        Err(e) => {
            obj.tag = 0;
            TebmStatus::from(e)
        }
    }
}

/// Writes a new energy object of kind `kind` into checked caller memory:
/// `len` must be at least `size_of::<Obj<M>>()`, the address aligned to
/// `ENERGY_ALIGN`.
pub(crate) fn init<M>(mem: *mut c_void, len: usize, kind: TebmEnergyKind, model: M) -> TebmStatus {
    let p = tri!(energy_memory::<M>(mem, len));
    // SAFETY: `p` is non-null, aligned to ENERGY_ALIGN ≥ align_of::<Obj<M>>()
    // and points to at least `size_of::<Obj<M>>()` bytes, writable by the
    // init functions' contract. `write` neither reads nor drops the old
    // contents, which may be anything.
    unsafe {
        p.write(Obj {
            tag: ENERGY_TAG,
            kind: kind as u32,
            id: fresh_id(),
            reserved: 0,
            model,
        })
    };
    TebmStatus::Ok
}

/// Checks a dimension against `TEBM_MAX_DIM` (and zero).
pub(crate) fn check_dim(dim: usize) -> Result<(), TebmStatus> {
    if dim == 0 {
        Err(TebmStatus::BadDimension)
    } else if dim > TEBM_MAX_DIM {
        Err(TebmStatus::CapacityExceeded)
    } else {
        Ok(())
    }
}

/// Bytes the largest energy object needs (≤ `TEBM_ENERGY_SIZE`): enough
/// for any kind.
#[unsafe(no_mangle)]
pub extern "C" fn tebm_energy_size() -> usize {
    ENERGY_MAX_SIZE
}

/// Bytes an energy object of one kind (a `TebmEnergyKind` value) needs;
/// 0 for an unknown kind. Arena users can give an energy just this much.
#[unsafe(no_mangle)]
pub extern "C" fn tebm_energy_size_for(kind: u32) -> usize {
    OBJECTS
        .iter()
        .find(|o| o.0 == kind)
        .map_or(0, |&(_, size)| size)
}

/// Alignment every energy object needs (≤ `TEBM_OBJECT_ALIGN`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_energy_align() -> usize {
    ENERGY_ALIGN
}

/// Writes the energy's dimension into `*dim`.
///
/// # Safety
/// `energy` must be NULL or a `TebmEnergy`'s storage; `dim` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_energy_dim(energy: *const TebmEnergy, dim: *mut usize) -> TebmStatus {
    check_null!(energy, dim);
    // SAFETY: `energy` non-null, storage per contract.
    let e = tri!(unsafe { energy_ref(energy) });
    // SAFETY: non-null and writable per contract.
    unsafe { dim.write(e.model.dim()) };
    TebmStatus::Ok
}

/// Evaluates U at `x` (`dim` floats, `dim` = the energy's dimension) into
/// `*u` and, when `grad` is not NULL, ∇U into `grad[0..dim]`. A declined
/// point gives `TEBM_STATUS_CALLBACK_ERROR`, a non-finite result
/// `TEBM_STATUS_NON_FINITE` (outputs are then unspecified).
///
/// # Safety
/// `energy` must be NULL or a `TebmEnergy`'s storage; `x` NULL or `dim`
/// readable floats; `u` NULL or writable; `grad` NULL or `dim` writable
/// floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_energy_eval(
    energy: *const TebmEnergy,
    x: *const f32,
    dim: usize,
    u: *mut f32,
    grad: *mut f32,
) -> TebmStatus {
    check_null!(energy, x, u);
    // SAFETY: `energy` non-null, storage per contract.
    let e = tri!(unsafe { energy_ref(energy) });
    if dim != e.model.dim() {
        return TebmStatus::BadDimension;
    }
    // SAFETY: non-null; `dim` readable floats per contract.
    let xs = unsafe { floats(x, dim) };
    let mut g = [0f32; TEBM_MAX_DIM];
    let r = if grad.is_null() {
        e.model.value(xs)
    } else {
        e.model.value_grad(xs, &mut g[..dim])
    };
    let value = match r {
        Ok(v) => v,
        Err(EvalError::Declined(_)) => return TebmStatus::CallbackError,
        Err(_) => return TebmStatus::BadDimension,
    };
    // SAFETY: `u` non-null and writable per contract.
    unsafe { u.write(value) };
    if !grad.is_null() {
        // SAFETY: non-null; `dim` writable floats per contract.
        unsafe { out_slice(grad, dim) }.copy_from_slice(&g[..dim]);
    }
    let finite = value.is_finite() && (grad.is_null() || g[..dim].iter().all(|v| v.is_finite()));
    if finite {
        TebmStatus::Ok
    } else {
        TebmStatus::NonFinite
    }
}

/// The trainable model behind a handle, for writing, and the object's
/// identity. A callback energy is `TEBM_STATUS_BAD_CONFIG` (it has no
/// parameters tinyebm can see).
///
/// # Safety
/// As for [`energy_ref`], and nothing else reads or writes the object
/// during `'a` (no other argument of the call).
pub(crate) unsafe fn trainable_mut<'a>(
    p: *mut TebmEnergy,
) -> Result<(TrainableMut<'a>, Identity<'a>), TebmStatus> {
    // SAFETY: forwarded contract.
    let r = unsafe { energy_ref(p.cast_const())? };
    let h = r.key.addr as *mut Header;
    let Model::BuiltIn(m) = r.model else {
        return Err(TebmStatus::BadConfig);
    };
    // SAFETY: `energy_ref` checked the tag and kind at this aligned
    // address: a whole valid `Obj<M>` of the kind's model type lives there
    // (see `energy_ref`). The shared borrow `r` is not used again, and the
    // caller guarantees exclusive access for `'a`.
    let t = unsafe { built_in_mut(h, m.kind()) };
    // SAFETY: as above; the identity is a header field, apart from the
    // model borrowed just before.
    let id = unsafe { &mut *addr_of_mut!((*h).id) };
    let identity = Identity { key: r.key, id };
    Ok((t.ok_or(TebmStatus::BadConfig)?, identity))
}
