//! The `tebm_energy_init_*` functions: one per built-in model and one for a
//! C callback, each checking its arguments before it writes the object.

use core::ffi::c_void;

use ebm::{Activation, Trainable, deep_mlp_param_count, mlp_param_count, num_monomials};

use crate::energy::*;
use crate::handle::{check_null, floats, tri};
use crate::status::TebmStatus;
use crate::{
    TEBM_MAX_COMPONENTS, TEBM_MAX_DEEP_LAYERS, TEBM_MAX_DEEP_WIDTH, TEBM_MAX_DIM, TEBM_MAX_HIDDEN,
    TEBM_MAX_MONOMIALS, TEBM_MAX_POLY_DEGREE,
};

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
    // SAFETY: forwarded from this function's contract.
    unsafe { init_gaussian(mem, mem_len, dim, mean, precision, false) }
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
    // SAFETY: forwarded from this function's contract.
    unsafe { init_gaussian(mem, mem_len, dim, mean, precision, true) }
}

/// Both Gaussian inits: `precision` holds `dim·dim` floats when `full`,
/// else the `dim` of a diagonal.
///
/// # Safety
/// As for [`tebm_energy_init_gaussian_diag`].
unsafe fn init_gaussian(
    mem: *mut c_void,
    mem_len: usize,
    dim: usize,
    mean: *const f32,
    precision: *const f32,
    full: bool,
) -> TebmStatus {
    check_null!(mem, mean, precision);
    tri!(check_dim(dim));
    // Checked dim ≤ capacity, so dim·dim does not overflow.
    let precision_len = if full { dim * dim } else { dim };
    // SAFETY: non-null; the caller provides `dim` and `precision_len` floats.
    let (m, p) = unsafe { (floats(mean, dim), floats(precision, precision_len)) };
    let g = tri!(if full {
        GaussianM::full(m, p)
    } else {
        GaussianM::diagonal(m, p)
    });
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
/// here), `means` and `sds` (k×dim each, component-major, sds in
/// [1e-15, 1e15]: outside, `BAD_PARAMETERS`).
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
    let expected = mlp_param_count(dim, hidden);
    // SAFETY: non-null; the caller provides `n_params` floats.
    let (act, theta) = tri!(unsafe { mlp_settings(activation, alpha, params, n_params, expected) });
    let p = tri!(energy_memory::<MlpM>(mem, mem_len));
    // Built in place (zero weights, then the parameters): the model is
    // 12.4 KB at full capacity. Everything that can fail was checked above.
    let zeros = tri!(MlpM::zeros(dim, hidden, act, alpha));
    // SAFETY: `p` was checked by `energy_memory`; the memory is writable
    // and unused by anyone else per contract.
    unsafe { fill_in_place(p, TebmEnergyKind::Mlp, zeros, |m| m.set_params(theta)) }
}

/// The checks both MLP energies make after their sizes, in this order: the
/// activation code (`BAD_CONFIG`), the parameter count against `expected`
/// (`BAD_DIMENSION`), α > 0 (`BAD_CONFIG`), every parameter finite
/// (`BAD_PARAMETERS`). Returns the activation and the parameters.
///
/// # Safety
/// `params` is non-null and holds `n_params` readable floats (read only
/// when `n_params == expected`).
unsafe fn mlp_settings<'a>(
    activation: u32,
    alpha: f32,
    params: *const f32,
    n_params: usize,
    expected: usize,
) -> Result<(Activation, &'a [f32]), TebmStatus> {
    let act = u8::try_from(activation)
        .ok()
        .and_then(Activation::from_tag)
        .ok_or(TebmStatus::BadConfig)?;
    if n_params != expected {
        return Err(TebmStatus::BadDimension);
    }
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(TebmStatus::BadConfig);
    }
    // SAFETY: per this function's contract.
    let theta = unsafe { floats(params, n_params) };
    if !theta.iter().all(|v| v.is_finite()) {
        return Err(TebmStatus::BadParameters);
    }
    Ok((act, theta))
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
    let expected = deep_mlp_param_count(dim, widths);
    // SAFETY: non-null; the caller provides `n_params` floats.
    let (act, theta) = tri!(unsafe { mlp_settings(activation, alpha, params, n_params, expected) });
    let p = tri!(energy_memory::<DeepMlpM>(mem, mem_len));
    // Built in place (zero weights, then the parameters), as the MLP.
    let zeros = tri!(DeepMlpM::zeros(dim, widths, act, alpha));
    // SAFETY: as for the MLP.
    unsafe { fill_in_place(p, TebmEnergyKind::DeepMlp, zeros, |m| m.set_params(theta)) }
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
