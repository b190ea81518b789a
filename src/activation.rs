//! Smooth activation functions for the MLP energy. All are C^∞, as the
//! review's Assumption 2.1 asks (U ∈ C², bounded Hessian given the
//! confinement term); ReLU is deliberately absent.

use crate::math::{act_exp, act_tanh, ln_1p};

/// Which activation an MLP's hidden layers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Activation {
    /// tanh(a).
    #[default]
    Tanh = 0,
    /// SiLU (swish): a·σ(a) with σ the logistic function.
    Silu = 1,
    /// softplus: ln(1 + eᵃ).
    Softplus = 2,
}

impl Activation {
    /// The activation with this tag (the weight format's encoding).
    pub fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(Activation::Tanh),
            1 => Some(Activation::Silu),
            2 => Some(Activation::Softplus),
            _ => None,
        }
    }

    /// (σ(a), σ'(a)) for one unit, computed exactly as the MLP's hidden
    /// layers do (including the `micromath` choice): for custom energies
    /// and for timing the activation share of an evaluation.
    #[inline]
    pub fn value_slope(self, a: f32) -> (f32, f32) {
        match self {
            Activation::Tanh => TanhAct::f_df(a),
            Activation::Silu => SiluAct::f_df(a),
            Activation::Softplus => SoftplusAct::f_df(a),
        }
    }
}

/// An activation as a type, so the MLP's loops are monomorphised per
/// activation instead of matching inside the innermost loop.
pub(crate) trait Act {
    /// (f(a), f'(a)).
    fn f_df(a: f32) -> (f32, f32);
}

pub(crate) struct TanhAct;
pub(crate) struct SiluAct;
pub(crate) struct SoftplusAct;

impl Act for TanhAct {
    #[inline(always)]
    fn f_df(a: f32) -> (f32, f32) {
        let t = act_tanh(a);
        (t, 1.0 - t * t)
    }
}

/// Logistic σ(a) and e^{−|a|}, computed without overflow.
#[inline(always)]
fn logistic(a: f32) -> (f32, f32) {
    let e = act_exp(-a.abs());
    let s = if a >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    (s, e)
}

impl Act for SiluAct {
    #[inline(always)]
    fn f_df(a: f32) -> (f32, f32) {
        let (s, _) = logistic(a);
        (a * s, s * (1.0 + a * (1.0 - s)))
    }
}

impl Act for SoftplusAct {
    #[inline(always)]
    fn f_df(a: f32) -> (f32, f32) {
        let (s, e) = logistic(a);
        // ln(1 + eᵃ) = max(a, 0) + ln(1 + e^{−|a|}); libm's log1p, never an
        // approximate ln (micromath's is wrong below 1).
        (a.max(0.0) + ln_1p(e), s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<A: Act>(f: impl Fn(f64) -> f64) {
        for i in -200..=200 {
            let a = i as f32 * 0.1;
            let (v, dv) = A::f_df(a);
            let h = 1e-3;
            let fd = (f(a as f64 + h) - f(a as f64 - h)) / (2.0 * h);
            let tol = if cfg!(feature = "micromath") {
                5e-4
            } else {
                1e-5
            };
            assert!(
                (v as f64 - f(a as f64)).abs() < tol * (1.0 + f(a as f64).abs()),
                "f({a})"
            );
            assert!((dv as f64 - fd).abs() < tol * (1.0 + fd.abs()), "f'({a})");
        }
    }

    #[test]
    fn derivatives_match_definitions() {
        check::<TanhAct>(|a| a.tanh());
        check::<SiluAct>(|a| a / (1.0 + (-a).exp()));
        check::<SoftplusAct>(|a| (1.0 + a.exp()).ln());
    }
}
