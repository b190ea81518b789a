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

/// tanh for activations: a branch-free 13/6 rational approximation (the
/// coefficients of Eigen's `generic_fast_tanh_float`, with its later input
/// clamp at ±7.9053, beyond which tanh rounds to ±1 in f32). The compiler
/// vectorises it; on a Cortex-M4F it costs about 40 instructions, libm's
/// `tanhf` about 90.
///
/// Accuracy, measured exhaustively over every f32 in [−10, 10] (beyond, the
/// clamp returns exactly ±1) against an f64 reference: absolute error
/// ≤ 4.2e-7 everywhere, relative error ≤ 4.2e-7 for |x| ≥ 1e-30 (below,
/// the numerator underflows and the absolute error is < 1e-30); the result
/// never leaves [−1, 1] and the function is exactly odd. It is not monotone
/// at the ulp level (rounding noise), which nothing here relies on.
/// `tests::tanh_bound` re-checks a strided subset; the exhaustive run is
/// `cargo test --release --lib tanh_exhaustive -- --ignored`.
///
/// Not affected by `micromath`: this is both faster and more accurate.
#[inline(always)]
#[allow(clippy::excessive_precision)] // the published coefficients, verbatim
pub fn act_tanh(x: f32) -> f32 {
    let c = x.clamp(-7.905_311_107_635_498, 7.905_311_107_635_498);
    let x2 = c * c;
    let p = ((((((-2.76076847742355e-16 * x2 + 2.00018790482477e-13) * x2
        - 8.60467152213735e-11)
        * x2
        + 5.12229709037114e-08)
        * x2
        + 1.48572235717979e-05)
        * x2
        + 6.37261928875436e-04)
        * x2
        + 4.89352455891786e-03)
        * c;
    let q = ((1.19825839466702e-06 * x2 + 1.18534705686654e-04) * x2 + 2.26843463243900e-03) * x2
        + 4.89352518554385e-03;
    p / q
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

    /// The bound documented on `act_exp`, measured on a fine grid against an
    /// f64 reference. Without `micromath` this checks libm.
    #[test]
    fn micromath_bounds() {
        let mut max_rel_exp = 0f64;
        let n = 400_000;
        for i in 0..=n {
            let xf = (-20.0 + 40.0 * (i as f64) / (n as f64)) as f32;
            let e = act_exp(xf) as f64;
            let r = (xf as f64).exp();
            max_rel_exp = max_rel_exp.max(((e - r) / r).abs());
        }
        let exp_bound = if cfg!(feature = "micromath") {
            2.5e-3
        } else {
            2.0e-7
        };
        assert!(max_rel_exp < exp_bound, "exp rel err {max_rel_exp}");
    }

    /// Largest absolute error, largest relative error for x ≥ 1e-30, and
    /// whether any result left [−1, 1] or broke oddness, over every `step`-th
    /// f32 in [−10, 10].
    fn tanh_errors(step: u32) -> (f64, f64, bool) {
        let (mut abs, mut rel, mut bad) = (0f64, 0f64, false);
        // Non-negative floats up to 10 in bit order; oddness covers the rest.
        let top = 10f32.to_bits();
        let mut b = 0u32;
        while b <= top {
            let x = f32::from_bits(b);
            let t = act_tanh(x);
            let r = (x as f64).tanh();
            let e = (t as f64 - r).abs();
            abs = abs.max(e);
            if x >= 1e-30 {
                rel = rel.max(e / r);
            }
            bad |= t.abs() > 1.0 || act_tanh(-x).to_bits() != (-t).to_bits();
            b += step;
        }
        (abs, rel, bad)
    }

    #[test]
    fn tanh_bound() {
        let (abs, rel, bad) = tanh_errors(97);
        assert!(
            abs <= 4.2e-7 && rel <= 4.2e-7 && !bad,
            "abs {abs:e} rel {rel:e} bad {bad}"
        );
        // Saturation and NaN propagation.
        assert_eq!(act_tanh(50.0), 1.0);
        assert_eq!(act_tanh(f32::INFINITY), 1.0);
        assert_eq!(act_tanh(f32::NEG_INFINITY), -1.0);
        assert!(act_tanh(f32::NAN).is_nan());
    }

    /// Every f32 in [−10, 10] (about 1.1e9 non-negative ones, by oddness the
    /// rest): ~1 min in release. The documented bound comes from this run.
    #[test]
    #[ignore]
    fn tanh_exhaustive() {
        let (abs, rel, bad) = tanh_errors(1);
        eprintln!("tanh exhaustive: max abs {abs:.3e}, max rel {rel:.3e}");
        assert!(abs <= 4.2e-7 && rel <= 4.2e-7 && !bad);
    }
}
