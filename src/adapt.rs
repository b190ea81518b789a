//! Step-size adaptation by dual averaging (Nesterov 2009, as in Hoffman &
//! Gelman 2014, §3.2), driven online by each step's mean acceptance
//! probability, then frozen at the averaged iterate.
//!
//! Targets (errata 6): ≈0.574 for MALA, ≈0.234 for random-walk MH in high
//! dimension, ≈0.65 for HMC. An acceptance near 1 means the step is too
//! small, not that the chain has converged.

use crate::error::{Error, check_positive};
use crate::math;

/// Optimal MALA acceptance (Roberts & Rosenthal 1998).
pub const MALA_TARGET: f32 = 0.574;
/// Optimal random-walk MH acceptance in high dimension (Roberts et al. 1997).
pub const RWMH_TARGET: f32 = 0.234;
/// Optimal HMC acceptance in high dimension (Beskos et al. 2013: 0.651);
/// Stan's default of 0.8 trades a smaller step for robustness.
pub const HMC_TARGET: f32 = 0.65;

/// Smallest lower bound [`DualAveraging::with_bounds`] accepts: below it
/// exp(ln h) is no longer a usable positive f32 step.
pub const MIN_STEP_BOUND: f32 = 1e-30;
/// Largest upper bound [`DualAveraging::with_bounds`] accepts, so that every
/// step size [`DualAveraging::update`] returns is finite.
pub const MAX_STEP_BOUND: f32 = 1e30;

/// Dual-averaging state for one step size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DualAveraging {
    target: f32,
    /// Shrinkage point log(10·h₀) (log h₀ on a restart).
    mu: f32,
    gamma: f32,
    t0: f32,
    kappa: f32,
    t: u32,
    /// Running average of (target − acceptance).
    h_bar: f32,
    log_h: f32,
    log_h_avg: f32,
    log_min: f32,
    log_max: f32,
}

impl DualAveraging {
    /// Adaptation from initial step `h0` toward acceptance `target` ∈ (0, 1),
    /// with the usual constants γ = 0.05, t₀ = 10, κ = 0.75 and the step kept
    /// within [1e-6, 1e3].
    pub fn new(h0: f32, target: f32) -> Result<Self, Error> {
        check_positive(h0, "initial step size must be > 0")?;
        if !(target > 0.0 && target < 1.0) {
            return Err(Error::InvalidConfig("target acceptance must be in (0, 1)"));
        }
        Ok(DualAveraging {
            target,
            mu: math::ln(10.0 * h0),
            gamma: 0.05,
            t0: 10.0,
            kappa: 0.75,
            t: 0,
            h_bar: 0.0,
            log_h: math::ln(h0),
            log_h_avg: math::ln(h0),
            log_min: math::ln(1e-6),
            log_max: math::ln(1e3),
        })
    }

    /// Adaptation restarted from a step size `h` already in use (e.g. after
    /// an earlier adaptation was frozen): as [`DualAveraging::new`] but with
    /// the shrinkage point μ = log h instead of log(10·h). Hoffman &
    /// Gelman's μ = log(10·h₀) biases the first iterates toward a step ten
    /// times larger — right when h₀ is a guess, wrong when it is tuned: the
    /// first update would multiply a tuned step by about 10 (by 22 at
    /// acceptance 1, target 0.574). From here the first step size is
    /// h·exp(√1/γ·(a − δ)/(1 + t₀)), within a factor e^{20/11} ≈ 6 of h for
    /// any acceptance a, and within ×1.2 when a is within 0.1 of the target.
    pub fn restart(h: f32, target: f32) -> Result<Self, Error> {
        let mut da = Self::new(h, target)?;
        da.mu = math::ln(h);
        Ok(da)
    }

    /// A placeholder for a sampler that is not adapting (all zero, the
    /// value all-zero bytes hold); never updated.
    pub(crate) const fn idle() -> Self {
        DualAveraging {
            target: 0.0,
            mu: 0.0,
            gamma: 0.0,
            t0: 0.0,
            kappa: 0.0,
            t: 0,
            h_bar: 0.0,
            log_h: 0.0,
            log_h_avg: 0.0,
            log_min: 0.0,
            log_max: 0.0,
        }
    }

    /// Restricts the step size to `[min, max]`, with
    /// [`MIN_STEP_BOUND`] ≤ min ≤ max ≤ [`MAX_STEP_BOUND`] (min = max is
    /// allowed: a fixed step). Within these limits every step size
    /// [`DualAveraging::update`] returns is finite and > 0.
    pub fn with_bounds(mut self, min: f32, max: f32) -> Result<Self, Error> {
        check_positive(min, "minimum step size must be > 0")?;
        check_positive(max, "maximum step size must be > 0")?;
        if min > max {
            return Err(Error::InvalidConfig("minimum step size above maximum"));
        }
        if min < MIN_STEP_BOUND || max > MAX_STEP_BOUND {
            return Err(Error::InvalidConfig(
                "step-size bounds must lie in [MIN_STEP_BOUND, MAX_STEP_BOUND]",
            ));
        }
        self.log_min = math::ln(min);
        self.log_max = math::ln(max);
        self.log_h = self.log_h.clamp(self.log_min, self.log_max);
        self.log_h_avg = self.log_h_avg.clamp(self.log_min, self.log_max);
        Ok(self)
    }

    /// Feeds one acceptance probability (clamped to [0, 1]; NaN counts as 0)
    /// and returns the step size to use next: finite and within the bounds.
    ///
    /// Hoffman & Gelman 2014, Algorithm 5, with t the number of updates and
    /// a the acceptance: H̄ₜ = (1 − 1/(t + t₀))·H̄ₜ₋₁ + (δ − a)/(t + t₀);
    /// log hₜ = μ − √t/γ·H̄ₜ (clamped to the bounds); η = t^−κ;
    /// log h̄ₜ = η·log hₜ + (1 − η)·log h̄ₜ₋₁.
    pub fn update(&mut self, accept_prob: f32) -> f32 {
        let a = if accept_prob.is_nan() {
            0.0
        } else {
            accept_prob.clamp(0.0, 1.0)
        };
        self.t = self.t.saturating_add(1);
        let t = self.t as f32;
        let w = 1.0 / (t + self.t0);
        self.h_bar = (1.0 - w) * self.h_bar + w * (self.target - a);
        self.log_h =
            (self.mu - math::sqrt(t) / self.gamma * self.h_bar).clamp(self.log_min, self.log_max);
        let eta = math::exp(-self.kappa * math::ln(t));
        self.log_h_avg = eta * self.log_h + (1.0 - eta) * self.log_h_avg;
        math::exp(self.log_h)
    }

    /// The current (noisy) step size.
    pub fn step_size(&self) -> f32 {
        math::exp(self.log_h)
    }

    /// The averaged step size: the value to freeze at when adaptation ends.
    pub fn averaged(&self) -> f32 {
        math::exp(self.log_h_avg)
    }

    /// Updates fed so far.
    pub fn iterations(&self) -> u32 {
        self.t
    }

    /// The target acceptance.
    pub fn target(&self) -> f32 {
        self.target
    }
}

/// Checkpoint encoding (see [`crate::checkpoint`]): the eleven fields in
/// declaration order, reals as f32 bit patterns.
impl DualAveraging {
    /// Bytes [`DualAveraging::save_state`] writes.
    pub(crate) const STATE_LEN: usize = 44;

    pub(crate) fn save_state(&self, e: &mut crate::checkpoint::Enc<'_>) {
        e.f32s(&[self.target, self.mu, self.gamma, self.t0, self.kappa]);
        e.u32(self.t);
        e.f32s(&[
            self.h_bar,
            self.log_h,
            self.log_h_avg,
            self.log_min,
            self.log_max,
        ]);
    }

    /// Reads what [`DualAveraging::save_state`] wrote: every value finite
    /// and, when `active` (the sampler is adapting), a usable adaptation
    /// (target in (0, 1), γ > 0, ordered bounds).
    pub(crate) fn load_state(
        r: &mut crate::checkpoint::Dec<'_>,
        active: bool,
    ) -> Result<Self, Error> {
        let (mut a, mut b) = ([0f32; 5], [0f32; 5]);
        let t = r.local(|r| {
            r.f32s(&mut a, true)?;
            let t = r.u32()?;
            r.f32s(&mut b, true)?;
            Ok(t)
        })?;
        let [target, mu, gamma, t0, kappa] = a;
        let [h_bar, log_h, log_h_avg, log_min, log_max] = b;
        let da = DualAveraging {
            target,
            mu,
            gamma,
            t0,
            kappa,
            t,
            h_bar,
            log_h,
            log_h_avg,
            log_min,
            log_max,
        };
        if active {
            da.check_usable()?;
        }
        Ok(da)
    }

    /// An adaptation that can be updated: every field finite, target in
    /// (0, 1), γ > 0, ordered bounds (what every constructor gives).
    pub(crate) fn check_usable(&self) -> Result<(), Error> {
        let all = [
            self.target,
            self.mu,
            self.gamma,
            self.t0,
            self.kappa,
            self.h_bar,
            self.log_h,
            self.log_h_avg,
            self.log_min,
            self.log_max,
        ];
        if all.iter().all(|v| v.is_finite())
            && self.target > 0.0
            && self.target < 1.0
            && self.gamma > 0.0
            && self.log_min <= self.log_max
        {
            Ok(())
        } else {
            Err(Error::InvalidConfig("unusable step-size adaptation state"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a synthetic kernel whose acceptance is exp(−h), the averaged step
    /// converges to −ln(target).
    #[test]
    fn converges_on_synthetic_acceptance() {
        let mut da = DualAveraging::new(5.0, 0.574).unwrap();
        let mut h = da.step_size();
        for _ in 0..5000 {
            h = da.update(math::exp(-h));
        }
        let want = -math::ln(0.574);
        assert!(
            (da.averaged() - want).abs() < 0.02 * want,
            "{} vs {want}",
            da.averaged()
        );
    }

    /// Hoffman & Gelman 2014, Algorithm 5, written out in f64 for a few
    /// updates with varied acceptances (inside the bounds, so no clamping).
    #[test]
    fn update_matches_algorithm_5_in_f64() {
        let (h0, delta) = (0.3f64, 0.65f64);
        let mut da = DualAveraging::new(h0 as f32, delta as f32).unwrap();
        let (gamma, t0, kappa) = (0.05f64, 10.0f64, 0.75f64);
        let mu = (10.0 * h0).ln();
        let (mut h_bar, mut log_h_avg) = (0.0f64, h0.ln());
        let accepts = [0.9, 0.2, 0.7, 0.65, 1.0, 0.0, 0.5, 0.61, 0.66, 0.8];
        for (k, &a) in accepts.iter().enumerate() {
            let t = (k + 1) as f64;
            h_bar = (1.0 - 1.0 / (t + t0)) * h_bar + (delta - a) / (t + t0);
            let log_h = mu - t.sqrt() / gamma * h_bar;
            let eta = t.powf(-kappa);
            log_h_avg = eta * log_h + (1.0 - eta) * log_h_avg;
            let h = da.update(a as f32) as f64;
            assert!(
                (h - log_h.exp()).abs() < 1e-5 * log_h.exp(),
                "t={t}: h {h} vs {}",
                log_h.exp()
            );
            let avg = da.averaged() as f64;
            assert!(
                (avg - log_h_avg.exp()).abs() < 1e-5 * log_h_avg.exp(),
                "t={t}: averaged {avg} vs {}",
                log_h_avg.exp()
            );
            assert_eq!(da.iterations(), k as u32 + 1);
        }
    }

    /// Bounds: min = max is a fixed step; bounds whose step sizes would
    /// not be finite, positive f32 values are refused (with_bounds(MAX, MAX)
    /// used to be accepted and `update` then returned +∞).
    #[test]
    fn bounds_are_validated() {
        let da = DualAveraging::new(1.0, 0.5).unwrap();
        let mut fixed = da.with_bounds(0.25, 0.25).unwrap();
        assert_eq!(fixed.update(0.0), 0.25);
        assert_eq!(fixed.update(1.0), 0.25);
        assert!(da.with_bounds(f32::MAX, f32::MAX).is_err());
        assert!(da.with_bounds(1.0, f32::MAX).is_err());
        assert!(da.with_bounds(1e-45, 1.0).is_err());
        assert!(da.with_bounds(MIN_STEP_BOUND, MAX_STEP_BOUND).is_ok());
        let mut wide = da.with_bounds(MIN_STEP_BOUND, MAX_STEP_BOUND).unwrap();
        for a in [0.0, 1.0] {
            for _ in 0..10_000 {
                let h = wide.update(a);
                assert!(h.is_finite() && h > 0.0, "{h}");
            }
        }
    }

    #[test]
    fn stays_in_bounds_and_rejects_bad_config() {
        let mut da = DualAveraging::new(1.0, 0.5)
            .unwrap()
            .with_bounds(0.1, 2.0)
            .unwrap();
        for _ in 0..100 {
            let h = da.update(1.0);
            assert!(h <= 2.0 * 1.0001);
        }
        for _ in 0..1000 {
            let h = da.update(f32::NAN);
            assert!(h >= 0.1 * 0.9999);
        }
        assert!(DualAveraging::new(0.0, 0.5).is_err());
        assert!(DualAveraging::new(1.0, 1.0).is_err());
        assert!(DualAveraging::new(f32::NAN, 0.5).is_err());
        assert!(
            DualAveraging::new(1.0, 0.5)
                .unwrap()
                .with_bounds(2.0, 1.0)
                .is_err()
        );
    }
}
