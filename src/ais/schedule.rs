//! The annealing schedules of inverse temperatures.

use crate::error::Error;
use crate::math;

/// The annealing schedule 0 = b₀ < b₁ ≤ … ≤ b_K = 1 over K temperatures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AnnealingSchedule<'a> {
    /// b_k = k/K.
    Linear,
    /// b_k = b_min^((K − k)/(K − 1)) for k ≥ 1: equal ratios from `b_min`
    /// (in (0, 1)) to 1. Spends most temperatures near b = 0, where a
    /// target much narrower than the base changes fastest.
    Geometric {
        /// b₁.
        b_min: f32,
    },
    /// b̃_k = σ(δ(2k/K − 1)), b_k = (b̃_k − b̃₀)/(b̃_K − b̃₀) (Grosse et al.
    /// 2015): dense at both ends. δ = 4 is usual.
    Sigmoidal {
        /// Steepness δ > 0.
        delta: f32,
    },
    /// b₁ … b_K given (K = length): finite, non-decreasing, in (0, 1], the
    /// last equal to 1.
    Custom(&'a [f32]),
}

impl AnnealingSchedule<'_> {
    /// The default: sigmoidal with δ = 4.
    pub const DEFAULT: AnnealingSchedule<'static> = AnnealingSchedule::Sigmoidal { delta: 4.0 };

    /// Number of temperatures K for `steps` (the length of a custom schedule).
    pub fn len(&self, steps: usize) -> usize {
        match self {
            AnnealingSchedule::Custom(b) => b.len(),
            _ => steps,
        }
    }

    /// Checks the schedule for `steps` temperatures.
    pub fn validate(&self, steps: usize) -> Result<(), Error> {
        if self.len(steps) == 0 {
            return Err(Error::InvalidConfig("AIS schedule: at least one step"));
        }
        match *self {
            AnnealingSchedule::Linear => Ok(()),
            AnnealingSchedule::Geometric { b_min } if b_min > 0.0 && b_min < 1.0 => Ok(()),
            AnnealingSchedule::Geometric { .. } => Err(Error::InvalidConfig(
                "AIS schedule: geometric b_min must be in (0, 1)",
            )),
            // A δ so small that s(0) = s(1) in f32 (δ ≲ 1e-7) would make
            // every b 0/0 (found by tests/no_panic_recent.rs).
            AnnealingSchedule::Sigmoidal { delta }
                if delta.is_finite()
                    && delta > 0.0
                    && sigmoid(delta, 1.0) > sigmoid(delta, 0.0) =>
            {
                Ok(())
            }
            AnnealingSchedule::Sigmoidal { .. } => Err(Error::InvalidConfig(
                "AIS schedule: sigmoidal delta must be finite and > 0 (large enough that s(0) < s(1) in f32)",
            )),
            AnnealingSchedule::Custom(b) => {
                let mut prev = 0f32;
                for &v in b {
                    if !(v.is_finite() && v > 0.0 && v <= 1.0 && v >= prev) {
                        return Err(Error::InvalidConfig(
                            "AIS schedule: custom values must be non-decreasing in (0, 1]",
                        ));
                    }
                    prev = v;
                }
                if prev != 1.0 {
                    return Err(Error::InvalidConfig(
                        "AIS schedule: the last custom value must be 1",
                    ));
                }
                Ok(())
            }
        }
    }

    /// b_k for k = 0 … K (K = `self.len(steps)`; b₀ = 0, b_K = 1).
    pub fn b(&self, k: usize, steps: usize) -> f32 {
        let kk = self.len(steps);
        if k == 0 {
            return 0.0;
        }
        if k >= kk {
            return 1.0;
        }
        let t = k as f32 / kk as f32;
        match *self {
            AnnealingSchedule::Linear => t,
            AnnealingSchedule::Geometric { b_min } => {
                let e = (kk - k) as f32 / (kk - 1) as f32;
                math::exp(e * math::ln(b_min))
            }
            AnnealingSchedule::Sigmoidal { delta } => {
                let (s0, s1) = (sigmoid(delta, 0.0), sigmoid(delta, 1.0));
                ((sigmoid(delta, t) - s0) / (s1 - s0)).clamp(0.0, 1.0)
            }
            AnnealingSchedule::Custom(b) => b[k - 1],
        }
    }
}

/// The sigmoidal schedule's s(t) = 1/(1 + exp(−δ(2t − 1))).
fn sigmoid(delta: f32, t: f32) -> f32 {
    1.0 / (1.0 + math::exp(-delta * (2.0 * t - 1.0)))
}
