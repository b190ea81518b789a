//! Learning-rate schedules: linear warm-up, then constant, linear or cosine
//! decay. A [`LrSchedule`] is a pure function of the update count, so it needs
//! no state; the caller applies it before each update with
//! [`LrSchedule::apply`] (or reads [`LrSchedule::at`] and sets the rate itself).
//!
//! ```
//! use tinyebm::{Adam, Decay, Optimizer, LrSchedule};
//! let s = LrSchedule::new(1e-3, 100, 10_000, Decay::Cosine, 1e-5).unwrap();
//! let mut opt = Adam::<4>::new(4, 1e-3).unwrap();
//! s.apply(0, &mut opt).unwrap();
//! assert!((opt.learning_rate() - 1e-5).abs() < 1e-9); // warm-up starts at lr/warmup
//! assert_eq!(s.at(100), 1e-3);
//! assert!((s.at(10_000) - 1e-5).abs() < 1e-9);
//! ```

use crate::error::Error;
use crate::optim::Optimizer;

/// How the rate falls from its peak after warm-up.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub enum Decay {
    /// Stays at the peak.
    Constant = 0,
    /// Straight line from the peak to the final rate.
    Linear = 1,
    /// Half a cosine from the peak to the final rate (Loshchilov & Hutter 2017).
    Cosine = 2,
}

/// A learning-rate schedule over `total` updates: warm-up from `peak/warmup`
/// to `peak` over the first `warmup` updates (linear), then [`Decay`] from
/// `peak` to `last` at update `total`; `last` from then on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrSchedule {
    peak: f32,
    warmup: u64,
    total: u64,
    decay: Decay,
    last: f32,
}

impl LrSchedule {
    /// A schedule; `peak` and `last` finite and ≥ 0, `warmup ≤ total`.
    pub fn new(peak: f32, warmup: u64, total: u64, decay: Decay, last: f32) -> Result<Self, Error> {
        let ok = |v: f32| v.is_finite() && v >= 0.0;
        if !(ok(peak) && ok(last)) {
            return Err(Error::InvalidConfig(
                "learning rates must be finite and ≥ 0",
            ));
        }
        if warmup > total {
            return Err(Error::InvalidConfig("warm-up longer than the schedule"));
        }
        Ok(LrSchedule {
            peak,
            warmup,
            total,
            decay,
            last,
        })
    }

    /// A constant rate (no warm-up, no decay).
    pub fn constant(lr: f32) -> Result<Self, Error> {
        Self::new(lr, 0, 0, Decay::Constant, lr)
    }

    /// The rate for update `k` (0-based: the rate of the first update is `at(0)`).
    pub fn at(&self, k: u64) -> f32 {
        if k < self.warmup {
            return self.peak * (k + 1) as f32 / self.warmup as f32;
        }
        let span = self.total - self.warmup;
        if self.decay == Decay::Constant {
            return self.peak;
        }
        if k >= self.total || span == 0 {
            return self.last;
        }
        let t = (k - self.warmup) as f32 / span as f32;
        let f = match self.decay {
            Decay::Linear => 1.0 - t,
            _ => 0.5 * (1.0 + libm::cosf(core::f32::consts::PI * t)),
        };
        self.last + (self.peak - self.last) * f
    }

    /// Sets `opt`'s learning rate to [`LrSchedule::at`]`(k)`.
    pub fn apply<O: Optimizer>(&self, k: u64, opt: &mut O) -> Result<(), Error> {
        opt.set_learning_rate(self.at(k))
    }

    /// The peak rate.
    pub fn peak(&self) -> f32 {
        self.peak
    }

    /// Updates the schedule spans (warm-up included).
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Checkpoint section (see [`crate::checkpoint`]): peak, warm-up, total,
/// decay code (u8), last. A schedule is a function of the update count, so
/// a restored trainer (whose count is in its checkpoint) continues it.
impl crate::checkpoint::State for LrSchedule {
    const STATE_LEN: usize = 25;
    fn save_state(&self, e: &mut crate::checkpoint::Enc<'_>) {
        e.f32(self.peak);
        e.u64(self.warmup);
        e.u64(self.total);
        e.u8(self.decay as u8);
        e.f32(self.last);
    }
    fn load_state(&mut self, r: &mut crate::checkpoint::Dec<'_>) -> Result<(), Error> {
        let peak = r.f32()?;
        let warmup = r.u64()?;
        let total = r.u64()?;
        let decay = match r.u8()? {
            0 => Decay::Constant,
            1 => Decay::Linear,
            2 => Decay::Cosine,
            _ => return Err(Error::CorruptData("unknown learning-rate decay")),
        };
        let last = r.f32()?;
        let s = LrSchedule::new(peak, warmup, total, decay, last)?;
        r.set(self, |_| Ok(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let c = LrSchedule::new(1.0, 10, 110, Decay::Cosine, 0.0).unwrap();
        assert_eq!(c.at(0), 0.1);
        assert_eq!(c.at(9), 1.0);
        assert_eq!(c.at(10), 1.0);
        assert!((c.at(60) - 0.5).abs() < 1e-6);
        assert_eq!(c.at(110), 0.0);
        assert_eq!(c.at(u64::MAX), 0.0);
        let l = LrSchedule::new(2.0, 0, 100, Decay::Linear, 0.2).unwrap();
        assert_eq!(l.at(0), 2.0);
        assert!((l.at(50) - 1.1).abs() < 1e-6);
        assert_eq!(l.at(100), 0.2);
        let k = LrSchedule::constant(0.5).unwrap();
        assert_eq!((k.at(0), k.at(1 << 40)), (0.5, 0.5));
        let w = LrSchedule::new(1.0, 4, 4, Decay::Linear, 0.0).unwrap();
        assert_eq!((w.at(3), w.at(4)), (1.0, 0.0));
        for k in 0..200 {
            assert!(c.at(k + 1) <= c.at(k) || k < 10);
        }
    }

    #[test]
    fn bad() {
        assert!(LrSchedule::new(f32::NAN, 0, 1, Decay::Linear, 0.0).is_err());
        assert!(LrSchedule::new(1.0, 0, 1, Decay::Linear, -1.0).is_err());
        assert!(LrSchedule::new(1.0, 2, 1, Decay::Linear, 0.0).is_err());
    }
}
