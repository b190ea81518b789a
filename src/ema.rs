//! Fixed-size parameter snapshots for training: [`Ema`], the exponential
//! moving average (Polyak averaging) of θ, the model to evaluate and save
//! rather than the last, noisy iterate; and [`Best`], the parameters with
//! the best held-out score seen so far.
//!
//! Both keep `P` floats and are fed by the caller after each update (θ
//! lives in the energy, see [`crate::Pcd`]); [`Ema::write_into`] and
//! [`Best::write_into`] put their parameters into a model, e.g. a copy of
//! the one being trained.

use crate::energy::Trainable;
use crate::error::{Error, check_dim, check_size};

/// Exponential moving average θ̄ ← δ_t·θ̄ + (1 − δ_t)·θ of the parameters,
/// with δ_t = min(δ, (1 + t)/(10 + t)) after t updates (the usual ramp, so
/// that early averages do not remember the initial weights for 1/(1 − δ)
/// updates); the first update copies θ.
#[derive(Clone, Debug, PartialEq)]
pub struct Ema<const P: usize> {
    n: usize,
    decay: f32,
    count: u64,
    avg: [f32; P],
}

impl<const P: usize> Ema<P> {
    /// An empty average of `n ≤ P` parameters with decay δ ∈ [0, 1).
    pub fn new(n: usize, decay: f32) -> Result<Self, Error> {
        check_size(n, P)?;
        if !(0.0..1.0).contains(&decay) {
            return Err(Error::InvalidConfig("EMA decay must be in [0, 1)"));
        }
        Ok(Ema {
            n,
            decay,
            count: 0,
            avg: [0.0; P],
        })
    }

    /// Folds `theta` (length n, finite) into the average; on error nothing changes.
    pub fn update(&mut self, theta: &[f32]) -> Result<(), Error> {
        check_dim(self.n, theta.len())?;
        if !theta.iter().all(|t| t.is_finite()) {
            return Err(Error::NotFinite("parameters"));
        }
        let t = self.count as f32;
        let d = self.decay.min((1.0 + t) / (10.0 + t));
        let d = if self.count == 0 { 0.0 } else { d };
        for (a, &x) in self.avg[..self.n].iter_mut().zip(theta) {
            *a = d * *a + (1.0 - d) * x;
        }
        self.count += 1;
        Ok(())
    }

    /// Folds the parameters of `energy` into the average (through a
    /// P-float buffer on the stack; use [`Ema::update`] with θ at hand to
    /// avoid it).
    pub fn track<E: Trainable>(&mut self, energy: &E) -> Result<(), Error> {
        check_dim(self.n, energy.num_params())?;
        let mut theta = [0f32; P];
        energy.params(&mut theta[..self.n])?;
        self.update(&theta[..self.n])
    }

    /// The averaged parameters (empty before the first update).
    pub fn params(&self) -> &[f32] {
        if self.count == 0 {
            &[]
        } else {
            &self.avg[..self.n]
        }
    }

    /// Updates folded in.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Writes the average into `energy`.
    pub fn write_into<E: Trainable>(&self, energy: &mut E) -> Result<(), Error> {
        if self.count == 0 {
            return Err(Error::Empty);
        }
        energy.set_params(&self.avg[..self.n])
    }

    /// Forgets the average.
    pub fn reset(&mut self) {
        self.count = 0;
        self.avg.fill(0.0);
    }
}

/// The parameters with the lowest score offered so far (e.g. a held-out
/// negative log-likelihood), and when they were offered.
#[derive(Clone, Debug, PartialEq)]
pub struct Best<const P: usize> {
    n: usize,
    score: f32,
    at: u64,
    params: [f32; P],
}

impl<const P: usize> Best<P> {
    /// Nothing kept yet, for `n ≤ P` parameters.
    pub fn new(n: usize) -> Result<Self, Error> {
        check_size(n, P)?;
        Ok(Best {
            n,
            score: f32::INFINITY,
            at: 0,
            params: [0.0; P],
        })
    }

    /// Keeps `theta` (length n) if `score` is finite and below the best so
    /// far; returns whether it was kept. `at` is a label (e.g. the update).
    pub fn offer(&mut self, score: f32, at: u64, theta: &[f32]) -> Result<bool, Error> {
        check_dim(self.n, theta.len())?;
        if !(score.is_finite() && score < self.score) {
            return Ok(false);
        }
        self.params[..self.n].copy_from_slice(theta);
        self.score = score;
        self.at = at;
        Ok(true)
    }

    /// The best score (∞ before anything was kept).
    pub fn score(&self) -> f32 {
        self.score
    }

    /// The label of the kept parameters.
    pub fn at(&self) -> u64 {
        self.at
    }

    /// The kept parameters (empty before anything was kept).
    pub fn params(&self) -> &[f32] {
        if self.score.is_finite() {
            &self.params[..self.n]
        } else {
            &[]
        }
    }

    /// Writes the kept parameters into `energy`.
    pub fn write_into<E: Trainable>(&self, energy: &mut E) -> Result<(), Error> {
        if !self.score.is_finite() {
            return Err(Error::Empty);
        }
        energy.set_params(&self.params[..self.n])
    }
}

/// Checkpoint sections (see [`crate::checkpoint`]): a trainer checkpoint's
/// extras.
mod checkpoint {
    use super::*;
    use crate::checkpoint::{Dec, Enc, State};

    impl<const P: usize> State for Ema<P> {
        /// n, δ, count, the average (P values).
        const STATE_LEN: usize = 16 + 4 * P;
        fn save_state(&self, e: &mut Enc<'_>) {
            e.usize(self.n);
            e.f32(self.decay);
            e.u64(self.count);
            e.f32s(&self.avg);
        }
        fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error> {
            let n = r.usize_max(P)?;
            let decay = r.f32()?;
            Ema::<1>::new(1, decay)?;
            check_size(n, P)?;
            r.set(&mut self.n, |_| Ok(n))?;
            r.set(&mut self.decay, |_| Ok(decay))?;
            r.set(&mut self.count, |r| r.u64())?;
            r.f32s(&mut self.avg, true)
        }
    }

    impl<const P: usize> State for Best<P> {
        /// n, score, at, the parameters (P values).
        const STATE_LEN: usize = 16 + 4 * P;
        fn save_state(&self, e: &mut Enc<'_>) {
            e.usize(self.n);
            e.f32(self.score);
            e.u64(self.at);
            e.f32s(&self.params);
        }
        fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error> {
            let n = r.usize_max(P)?;
            check_size(n, P)?;
            r.set(&mut self.n, |_| Ok(n))?;
            r.set(&mut self.score, |r| r.f32())?;
            r.set(&mut self.at, |r| r.u64())?;
            r.f32s(&mut self.params, true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ema_average() {
        let mut e = Ema::<3>::new(2, 0.5).unwrap();
        assert!(e.params().is_empty());
        e.update(&[2.0, 4.0]).unwrap();
        assert_eq!(e.params(), &[2.0, 4.0]);
        // t = 1: δ = min(0.5, 2/11) = 2/11.
        e.update(&[13.0, 4.0]).unwrap();
        assert!((e.params()[0] - (2.0 * 2.0 / 11.0 + 13.0 * 9.0 / 11.0)).abs() < 1e-5);
        assert_eq!(e.params()[1], 4.0);
        for _ in 0..100 {
            e.update(&[1.0, 1.0]).unwrap();
        }
        assert!((e.params()[0] - 1.0).abs() < 1e-6);
        let before = e.clone();
        assert!(e.update(&[f32::NAN, 0.0]).is_err());
        assert!(e.update(&[0.0]).is_err());
        assert_eq!(e, before);
        assert!(Ema::<3>::new(4, 0.5).is_err());
        assert!(Ema::<3>::new(3, 1.0).is_err());
    }

    #[test]
    fn best_keeps_lowest() {
        let mut b = Best::<2>::new(2).unwrap();
        assert!(b.params().is_empty());
        assert!(b.offer(3.0, 1, &[1.0, 1.0]).unwrap());
        assert!(!b.offer(4.0, 2, &[2.0, 2.0]).unwrap());
        assert!(!b.offer(f32::NAN, 3, &[3.0, 3.0]).unwrap());
        assert!(b.offer(2.5, 4, &[4.0, 4.0]).unwrap());
        assert_eq!((b.score(), b.at(), b.params()), (2.5, 4, &[4.0, 4.0][..]));
    }
}
