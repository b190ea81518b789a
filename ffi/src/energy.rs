//! Energies from C: the built-in models and a C callback, behind one
//! object type ([`TebmEnergy`]).

use core::ffi::{c_int, c_void};
use core::mem::size_of;
use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicU32, Ordering};

use ebm::{
    Activation, Energy, EvalError, Evals, ModelCodec, Soa, Trainable, deep_mlp_param_count,
    mlp_param_count, model_dispatch, num_monomials,
};

use crate::handle::{ENERGY_TAG, check_null, check_object, floats, out_slice, tri};
pub(crate) use crate::models::{
    DeepMlpM, GaussianM, MixtureM, MlpM, Models, PolynomialM, TrainableMut,
};
use crate::models::{ENERGY_ALIGN, ENERGY_MAX_SIZE, OBJECTS, built_in_at, built_in_mut};
use crate::status::TebmStatus;
use crate::{
    TEBM_ENERGY_SIZE, TEBM_MAX_COMPONENTS, TEBM_MAX_DEEP_LAYERS, TEBM_MAX_DEEP_WIDTH, TEBM_MAX_DIM,
    TEBM_MAX_HIDDEN, TEBM_MAX_MONOMIALS, TEBM_MAX_POLY_DEGREE, TEBM_OBJECT_ALIGN, TebmEnergy,
};

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
    f: unsafe extern "C" fn(*mut c_void, *const f32, usize, *mut f32, *mut f32) -> c_int,
    user: *mut c_void,
    dim: usize,
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
fn energy_memory<M>(mem: *mut c_void, len: usize) -> Result<*mut Obj<M>, TebmStatus> {
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

/// Gaussian energy U(x) = ½(x−μ)ᵀP(x−μ) with diagonal precision
/// P = diag(`precision`), all positive: `mean` and `precision` hold `dim`
/// floats.
///
/// Like every `tebm_energy_init_*`: `mem` points to `mem_len` bytes of
/// caller memory (a `TebmEnergy`, or at least
/// `tebm_energy_size_for(kind)` bytes aligned to `tebm_energy_align()`);
/// on failure nothing is written. Argument checks come first (NULL
/// pointers, sizes and capacities, parameters), then the memory (size,
/// alignment).
///
/// # Safety
/// Pointers must be NULL or valid for the documented lengths; `mem` must
/// not be in use by another call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_energy_init_gaussian_diag(
    mem: *mut c_void,
    mem_len: usize,
    dim: usize,
    mean: *const f32,
    precision: *const f32,
) -> TebmStatus {
    check_null!(mem, mean, precision);
    tri!(check_dim(dim));
    // SAFETY: non-null; the caller provides `dim` floats each (≤ capacity).
    let (m, p) = unsafe { (floats(mean, dim), floats(precision, dim)) };
    let g = tri!(GaussianM::diagonal(m, p));
    init(mem, mem_len, TebmEnergyKind::Gaussian, g)
}

/// Gaussian energy with full precision matrix `precision` (`dim×dim`,
/// row-major, symmetric positive definite) and mean `mean` (`dim`).
///
/// # Safety
/// As for [`tebm_energy_init_gaussian_diag`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_energy_init_gaussian_full(
    mem: *mut c_void,
    mem_len: usize,
    dim: usize,
    mean: *const f32,
    precision: *const f32,
) -> TebmStatus {
    check_null!(mem, mean, precision);
    tri!(check_dim(dim));
    // SAFETY: non-null; the caller provides `dim` and `dim·dim` floats
    // (dim ≤ 16, so no overflow).
    let (m, p) = unsafe { (floats(mean, dim), floats(precision, dim * dim)) };
    let g = tri!(GaussianM::full(m, p));
    init(mem, mem_len, TebmEnergyKind::Gaussian, g)
}

/// Number of coefficients of a polynomial energy, C(dim + degree, degree);
/// 0 when `dim` is 0 or above `TEBM_MAX_DIM`, or `degree` is above
/// `TEBM_MAX_POLY_DEGREE`. (Whether it fits `TEBM_MAX_MONOMIALS` is checked
/// by `tebm_energy_init_polynomial`.)
#[unsafe(no_mangle)]
pub extern "C" fn tebm_polynomial_num_coefficients(dim: usize, degree: usize) -> usize {
    if dim == 0 || dim > TEBM_MAX_DIM || degree > TEBM_MAX_POLY_DEGREE {
        // Outside the supported range the count is not needed; keep the
        // arithmetic small (and overflow-free).
        return 0;
    }
    num_monomials(dim, degree)
}

/// Polynomial energy U(x) = Σₖ θₖ φₖ(x) over all monomials of total degree
/// ≤ `degree` (≤ `TEBM_MAX_POLY_DEGREE`), ordered by degree, then with
/// larger exponents on earlier coordinates (2-D, degree 2: 1, x₀, x₁, x₀²,
/// x₀x₁, x₁²). `coef` holds `n_coef` =
/// `tebm_polynomial_num_coefficients(dim, degree)` (≤ `TEBM_MAX_MONOMIALS`)
/// values. Normalisability is the caller's responsibility.
///
/// # Safety
/// As for [`tebm_energy_init_gaussian_diag`]; `coef` holds `n_coef` floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_energy_init_polynomial(
    mem: *mut c_void,
    mem_len: usize,
    dim: usize,
    degree: usize,
    coef: *const f32,
    n_coef: usize,
) -> TebmStatus {
    check_null!(mem, coef);
    tri!(check_dim(dim));
    if degree > TEBM_MAX_POLY_DEGREE {
        return TebmStatus::CapacityExceeded;
    }
    let m = num_monomials(dim, degree);
    if m > TEBM_MAX_MONOMIALS {
        return TebmStatus::CapacityExceeded;
    }
    if n_coef != m {
        return TebmStatus::BadDimension;
    }
    // SAFETY: non-null; the caller provides `n_coef` floats.
    let c = unsafe { floats(coef, n_coef) };
    let p = tri!(PolynomialM::new(dim, degree, c));
    init(mem, mem_len, TebmEnergyKind::Polynomial, p)
}

/// The 1-D double well U(x) = a·(x² − 1)², a > 0 (a polynomial energy of
/// degree 4).
///
/// # Safety
/// As for [`tebm_energy_init_gaussian_diag`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_energy_init_double_well(
    mem: *mut c_void,
    mem_len: usize,
    a: f32,
) -> TebmStatus {
    check_null!(mem);
    if !(a.is_finite() && a > 0.0) {
        return TebmStatus::BadParameters;
    }
    let p = tri!(PolynomialM::new(1, 4, &[a, 0.0, -2.0 * a, 0.0, a]));
    init(mem, mem_len, TebmEnergyKind::Polynomial, p)
}

/// Gaussian-mixture energy U(x) = −log Σₖ πₖ N(x; μₖ, diag σₖ²) with
/// `k ≤ TEBM_MAX_COMPONENTS` components: `weights` (k, positive, normalised
/// here), `means` and `sds` (k×dim each, component-major, sds positive).
///
/// # Safety
/// As for [`tebm_energy_init_gaussian_diag`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_energy_init_mixture(
    mem: *mut c_void,
    mem_len: usize,
    k: usize,
    dim: usize,
    weights: *const f32,
    means: *const f32,
    sds: *const f32,
) -> TebmStatus {
    check_null!(mem, weights, means, sds);
    tri!(check_dim(dim));
    if k == 0 {
        return TebmStatus::BadDimension;
    }
    if k > TEBM_MAX_COMPONENTS {
        return TebmStatus::CapacityExceeded;
    }
    // SAFETY: non-null; the caller provides k and k·dim floats (≤ 8·16).
    let (w, m, s) = unsafe {
        (
            floats(weights, k),
            floats(means, k * dim),
            floats(sds, k * dim),
        )
    };
    let mix = tri!(MixtureM::new(w, m, s));
    init(mem, mem_len, TebmEnergyKind::Mixture, mix)
}

/// Number of parameters of a `dim → hidden → hidden → 1` MLP energy:
/// hidden·(dim + hidden + 3) + 1 (0 outside the capacities).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_mlp_num_params(dim: usize, hidden: usize) -> usize {
    if dim == 0 || dim > TEBM_MAX_DIM || hidden == 0 || hidden > TEBM_MAX_HIDDEN {
        return 0;
    }
    mlp_param_count(dim, hidden)
}

/// MLP energy U(x) = w₃·σ(W₂σ(W₁x + b₁) + b₂) + b₃ + ½α|x|², sizes
/// dim → hidden → hidden → 1, activation σ a `TebmActivation` value,
/// confinement α > 0. `params` holds `n_params` = `tebm_mlp_num_params(dim,
/// hidden)` floats in this order: W₁ (hidden×dim, row j = hidden unit j),
/// b₁ (hidden), W₂ (hidden×hidden, row k = unit k of layer 2), b₂ (hidden),
/// w₃ (hidden), b₃ (1).
///
/// # Safety
/// As for [`tebm_energy_init_gaussian_diag`]; `params` holds `n_params`
/// floats.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn tebm_energy_init_mlp(
    mem: *mut c_void,
    mem_len: usize,
    dim: usize,
    hidden: usize,
    activation: u32,
    alpha: f32,
    params: *const f32,
    n_params: usize,
) -> TebmStatus {
    check_null!(mem, params);
    tri!(check_dim(dim));
    if hidden == 0 {
        return TebmStatus::BadDimension;
    }
    if hidden > TEBM_MAX_HIDDEN {
        return TebmStatus::CapacityExceeded;
    }
    let Some(act) = u8::try_from(activation).ok().and_then(Activation::from_tag) else {
        return TebmStatus::BadConfig;
    };
    if n_params != mlp_param_count(dim, hidden) {
        return TebmStatus::BadDimension;
    }
    if !(alpha.is_finite() && alpha > 0.0) {
        return TebmStatus::BadConfig;
    }
    // SAFETY: non-null; the caller provides `n_params` floats.
    let theta = unsafe { floats(params, n_params) };
    if !theta.iter().all(|v| v.is_finite()) {
        return TebmStatus::BadParameters;
    }
    let p = tri!(energy_memory::<MlpM>(mem, mem_len));
    // Built in place (zero weights, then the parameters), not on the stack
    // and copied: the model is 12.4 KB at full capacity. Everything that
    // can fail was checked above.
    let zeros = tri!(MlpM::zeros(dim, hidden, act, alpha));
    // SAFETY: `p` is non-null, aligned to ENERGY_ALIGN and has room for an
    // `Obj<MlpM>` (checked by `energy_memory`), writable and unused by
    // anyone else per contract; the writes initialise every field of the
    // `repr(C)` object without reading or dropping the old contents.
    let obj = unsafe {
        addr_of_mut!((*p).model).write(zeros);
        addr_of_mut!((*p).kind).write(TebmEnergyKind::Mlp as u32);
        addr_of_mut!((*p).id).write(fresh_id());
        addr_of_mut!((*p).reserved).write(0);
        addr_of_mut!((*p).tag).write(ENERGY_TAG);
        &mut *p
    };
    match obj.model.set_params(theta) {
        Ok(()) => TebmStatus::Ok,
        Err(e) => {
            // Unreachable (lengths and finiteness checked); never leave a
            // half-built energy behind.
            obj.tag = 0;
            TebmStatus::from(e)
        }
    }
}

/// Number of parameters of a deep MLP energy `dim → widths[0] → … →
/// widths[n_layers − 1] → 1`: Σₖ widths[k]·(widths[k−1] + 1) + widths[n_layers − 1] + 1
/// with widths[−1] = dim (0 when `widths` is NULL or any size is 0 or above
/// its capacity: `TEBM_MAX_DIM`, `TEBM_MAX_DEEP_LAYERS`, `TEBM_MAX_DEEP_WIDTH`).
///
/// # Safety
/// `widths` NULL or `n_layers` readable values (only read when `n_layers`
/// is within the capacity).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_deep_mlp_num_params(
    dim: usize,
    n_layers: usize,
    widths: *const usize,
) -> usize {
    if widths.is_null() {
        return 0;
    }
    // SAFETY: non-null; `n_layers` readable values per contract (read only
    // within the capacity).
    match unsafe { deep_widths(dim, n_layers, widths) } {
        Ok(w) => deep_mlp_param_count(dim, &w[..n_layers]),
        Err(_) => 0,
    }
}

/// Checks a deep MLP's sizes against the capacities and copies the widths.
///
/// # Safety
/// `widths` non-null and `n_layers` readable values when `n_layers` is at
/// most `TEBM_MAX_DEEP_LAYERS`.
unsafe fn deep_widths(
    dim: usize,
    n_layers: usize,
    widths: *const usize,
) -> Result<[usize; TEBM_MAX_DEEP_LAYERS], TebmStatus> {
    check_dim(dim)?;
    if n_layers == 0 {
        return Err(TebmStatus::BadDimension);
    }
    if n_layers > TEBM_MAX_DEEP_LAYERS {
        return Err(TebmStatus::CapacityExceeded);
    }
    let mut w = [0; TEBM_MAX_DEEP_LAYERS];
    // SAFETY: non-null, `n_layers` (≤ the capacity) readable values per
    // contract.
    w[..n_layers].copy_from_slice(unsafe { core::slice::from_raw_parts(widths, n_layers) });
    for &h in &w[..n_layers] {
        if h == 0 {
            return Err(TebmStatus::BadDimension);
        }
        if h > TEBM_MAX_DEEP_WIDTH {
            return Err(TebmStatus::CapacityExceeded);
        }
    }
    Ok(w)
}

/// Deep MLP energy U(x) = w_out·zₙ₋₁ + b_out + ½α|x|² with
/// z_k = σ(W_k z_{k−1} + b_k), z₋₁ = x: `n_layers` (1 to
/// `TEBM_MAX_DEEP_LAYERS`) hidden layers of widths `widths[0..n_layers]`
/// (each 1 to `TEBM_MAX_DEEP_WIDTH`), activation σ a `TebmActivation`
/// value, confinement α > 0. `params` holds `n_params` =
/// `tebm_deep_mlp_num_params(dim, n_layers, widths)` floats in this order:
/// W₀ (widths[0]×dim, row j = unit j of layer 0), b₀, W₁ (widths[1]×widths[0]),
/// b₁, …, w_out (widths[n_layers − 1]), b_out (1). Two layers of width h
/// are `tebm_energy_init_mlp`'s network, with the same parameters and bits.
///
/// # Safety
/// As for [`tebm_energy_init_gaussian_diag`]; `widths` holds `n_layers`
/// values and `params` `n_params` floats.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn tebm_energy_init_deep_mlp(
    mem: *mut c_void,
    mem_len: usize,
    dim: usize,
    n_layers: usize,
    widths: *const usize,
    activation: u32,
    alpha: f32,
    params: *const f32,
    n_params: usize,
) -> TebmStatus {
    check_null!(mem, widths, params);
    // SAFETY: non-null; `n_layers` readable values per contract.
    let w = tri!(unsafe { deep_widths(dim, n_layers, widths) });
    let widths = &w[..n_layers];
    let Some(act) = u8::try_from(activation).ok().and_then(Activation::from_tag) else {
        return TebmStatus::BadConfig;
    };
    if n_params != deep_mlp_param_count(dim, widths) {
        return TebmStatus::BadDimension;
    }
    if !(alpha.is_finite() && alpha > 0.0) {
        return TebmStatus::BadConfig;
    }
    // SAFETY: non-null; the caller provides `n_params` floats.
    let theta = unsafe { floats(params, n_params) };
    if !theta.iter().all(|v| v.is_finite()) {
        return TebmStatus::BadParameters;
    }
    let p = tri!(energy_memory::<DeepMlpM>(mem, mem_len));
    // Built in place (zero weights, then the parameters), as the MLP.
    let zeros = tri!(DeepMlpM::zeros(dim, widths, act, alpha));
    // SAFETY: `p` is non-null, aligned to ENERGY_ALIGN and has room for an
    // `Obj<DeepMlpM>` (checked by `energy_memory`), writable and unused by
    // anyone else per contract; the writes initialise every field of the
    // `repr(C)` object without reading or dropping the old contents.
    let obj = unsafe {
        addr_of_mut!((*p).model).write(zeros);
        addr_of_mut!((*p).kind).write(TebmEnergyKind::DeepMlp as u32);
        addr_of_mut!((*p).id).write(fresh_id());
        addr_of_mut!((*p).reserved).write(0);
        addr_of_mut!((*p).tag).write(ENERGY_TAG);
        &mut *p
    };
    match obj.model.set_params(theta) {
        Ok(()) => TebmStatus::Ok,
        Err(e) => {
            // Unreachable (sizes, lengths and finiteness checked); never
            // leave a half-built energy behind.
            obj.tag = 0;
            TebmStatus::from(e)
        }
    }
}

/// An energy computed by the C callback `f` with context `user` in
/// dimension `dim` (see `TebmEnergyFn`). `user` may be NULL; it is passed
/// back unchanged. `f` and `user` must stay valid while the energy is used.
///
/// # Safety
/// As for [`tebm_energy_init_gaussian_diag`]; `f` must follow the
/// `TebmEnergyFn` contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_energy_init_callback(
    mem: *mut c_void,
    mem_len: usize,
    dim: usize,
    f: TebmEnergyFn,
    user: *mut c_void,
) -> TebmStatus {
    check_null!(mem);
    let Some(f) = f else {
        return TebmStatus::NullPointer;
    };
    tri!(check_dim(dim));
    init(
        mem,
        mem_len,
        TebmEnergyKind::Callback,
        Callback { f, user, dim },
    )
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
