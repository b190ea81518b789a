//! The one place that picks how elementary functions are computed.
//!
//! Everything statistical (normals, accept/reject, log-densities) goes through
//! [`libm`], a pure-Rust port of musl/FreeBSD: the same bits on every target,
//! and only f32 code paths (no soft-float f64 on a Cortex-M4F).
//!
//! The `micromath` feature swaps in approximations for the MLP's activation
//! functions only ([`act_exp`], [`act_tanh`]). Their measured error bounds are
//! stated on those functions and checked by the tests of this module. The
//! MLP's ∇U is then the exact-form gradient evaluated at approximate
//! activations, which differs from the slope of the approximate U by up to a
//! few percent: harmless for MALA and MH (the gradient only shapes proposals;
//! acceptance uses U), but ULA and training inherit it.

/// e^x.
#[inline]
pub fn exp(x: f32) -> f32 {
    libm::expf(x)
}

/// Natural logarithm.
#[inline]
pub fn ln(x: f32) -> f32 {
    libm::logf(x)
}

/// ln(1 + x), accurate for small x.
#[inline]
pub fn ln_1p(x: f32) -> f32 {
    libm::log1pf(x)
}

/// Square root (correctly rounded, so identical on every target).
#[inline]
pub fn sqrt(x: f32) -> f32 {
    libm::sqrtf(x)
}

/// Hyperbolic tangent (used where accuracy matters, e.g. reference values).
#[inline]
pub fn tanh(x: f32) -> f32 {
    libm::tanhf(x)
}

/// ln Σ exp(v_k), stable for any finite inputs; −∞ for an empty slice.
pub fn log_sum_exp(v: &[f32]) -> f32 {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !m.is_finite() {
        return m;
    }
    let s: f32 = v.iter().map(|&a| exp(a - m)).sum();
    m + ln(s)
}

/// e^x for activations (softplus, SiLU).
///
/// With `micromath`: relative error below 2.5e-3 on [−20, 20] (measured
/// maximum 2.39e-3, `tests::micromath_bounds`); otherwise libm (measured
/// 7.4e-8, i.e. ≤ 1 ulp).
#[inline]
pub fn act_exp(x: f32) -> f32 {
    #[cfg(feature = "micromath")]
    {
        micromath::F32Ext::exp(x)
    }
    #[cfg(not(feature = "micromath"))]
    {
        exp(x)
    }
}

/// tanh for activations.
///
/// With `micromath`: 1 − 2/(e^{2x} + 1) over micromath's exp, absolute error
/// below 1.1e-3 everywhere (measured maximum 1.06e-3,
/// `tests::micromath_bounds`); saturates exactly to ±1 beyond |x| > 9.
/// Otherwise libm (measured 8.1e-8).
#[inline]
pub fn act_tanh(x: f32) -> f32 {
    #[cfg(feature = "micromath")]
    {
        if x > 9.0 {
            1.0
        } else if x < -9.0 {
            -1.0
        } else {
            1.0 - 2.0 / (micromath::F32Ext::exp(2.0 * x) + 1.0)
        }
    }
    #[cfg(not(feature = "micromath"))]
    {
        tanh(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sum_exp_is_stable() {
        assert_eq!(log_sum_exp(&[]), f32::NEG_INFINITY);
        let v = log_sum_exp(&[1000.0, 1000.0]);
        assert!((v - (1000.0 + core::f32::consts::LN_2)).abs() < 1e-3);
        let v = log_sum_exp(&[-1000.0, -1000.0]);
        assert!((v - (-1000.0 + core::f32::consts::LN_2)).abs() < 1e-3);
    }

    /// The bounds documented on `act_exp` and `act_tanh`, measured on a fine
    /// grid against f64 references. Without `micromath` this checks libm.
    #[test]
    fn micromath_bounds() {
        let (mut max_rel_exp, mut max_abs_tanh) = (0f64, 0f64);
        let n = 400_000;
        for i in 0..=n {
            let x = -20.0 + 40.0 * (i as f64) / (n as f64);
            let xf = x as f32;
            let e = act_exp(xf) as f64;
            let r = (xf as f64).exp();
            max_rel_exp = max_rel_exp.max(((e - r) / r).abs());
            let t = act_tanh(xf) as f64;
            max_abs_tanh = max_abs_tanh.max((t - (xf as f64).tanh()).abs());
        }
        eprintln!("max rel err exp {max_rel_exp:.3e}, max abs err tanh {max_abs_tanh:.3e}");
        let (exp_bound, tanh_bound) = if cfg!(feature = "micromath") {
            (2.5e-3, 1.1e-3)
        } else {
            (2.0e-7, 2.0e-7)
        };
        assert!(max_rel_exp < exp_bound, "exp rel err {max_rel_exp}");
        assert!(max_abs_tanh < tanh_bound, "tanh abs err {max_abs_tanh}");
    }
}
