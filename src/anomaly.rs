//! Anomaly detection with an energy as the score: a calibrated alarm
//! threshold ([`Threshold`]), a stopping rule for training on a finite set
//! of normal data ([`EarlyStop`]), and the rank statistic that measures a
//! score ([`auroc`]). Fixed memory, no allocation: the caller owns every
//! buffer.
//!
//! **The threshold** is split-conformal (Vovk et al. 2005; Lei et al.,
//! *Distribution-free predictive inference for regression*, JASA 2018):
//! score n held-out *normal* points that the model was not trained on, and
//! take τ = the k-th smallest score with k = ⌈(n + 1)(1 − α)⌉. If a new
//! normal point and the n calibration points are exchangeable (drawn
//! i.i.d. from the same source, say), its score exceeds τ with probability
//!
//! P(s_new > τ) ≤ 1 − k/(n + 1) ≤ α,
//!
//! whatever the model and the distribution; with continuous scores (no
//! ties) the first inequality is an equality: the false-alarm rate,
//! averaged over calibration sets, is exactly 1 − k/(n + 1)
//! ([`Threshold::expected_rate`]). Conditional on one calibration set the
//! rate is random (Beta(n + 1 − k, k)-distributed), so a large n makes it
//! tight. k ≤ n needs n ≥ ⌈1/α⌉ − 1 points ([`points_needed`]): 19 for
//! α = 0.05, 100 for α = 0.01 (exact for the f32 value of α, and
//! f32 0.01 is just below 1/100).
//!
//! **The stopping rule** ([`EarlyStop`]): every so many updates, score the
//! model on held-out normal data (e.g. the held-out negative log-likelihood
//! of [`crate::held_out_nll`] with log Z by [`crate::Ais`], and its standard
//! error); keep the parameters with the best score (a [`Best`]); stop once
//! `patience` evaluations in a row have not improved on the last
//! significant improvement by more than the score's standard error.

use crate::ema::Best;
use crate::energy::Energy;
use crate::error::{Error, check_size};

/// The smallest number of calibration points n for which α leaves a
/// threshold (k = ⌈(n + 1)(1 − α)⌉ ≤ n): ⌈1/α⌉ − 1, exactly for the f32
/// value of α; `None` for α ∉ (0, 1) or NaN; `usize::MAX` when it does not
/// fit.
pub fn points_needed(alpha: f32) -> Option<usize> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return None;
    }
    // α = mant·2^−s exactly; the least m = n + 1 with ⌊m·α⌋ ≥ 1 is ⌈2^s/mant⌉.
    let (mant, s) = split(alpha);
    if s >= 127 {
        return Some(usize::MAX);
    }
    let m = (1u128 << s).div_ceil(mant as u128);
    Some(usize::try_from(m - 1).unwrap_or(usize::MAX))
}

/// α = mant·2^−s exactly, for a positive finite f32 below 1 (s ≥ 1).
fn split(alpha: f32) -> (u32, u32) {
    let bits = alpha.to_bits();
    let (e, frac) = ((bits >> 23) & 0xff, bits & 0x7f_ffff);
    if e == 0 {
        (frac, 149)
    } else {
        (frac | 0x80_0000, 150 - e)
    }
}

/// ⌊m·α⌋ exactly, α ∈ (0, 1) an f32.
fn floor_times(m: usize, alpha: f32) -> usize {
    let (mant, s) = split(alpha);
    if s >= 128 {
        return 0; // m·mant < 2^88 ≤ 2^s
    }
    // m < 2^64 and mant < 2^24: the product fits in u128; < m since α < 1.
    ((m as u128 * mant as u128) >> s) as usize
}

/// The rank k = ⌈(n + 1)(1 − α)⌉ = n + 1 − ⌊(n + 1)α⌋ of the threshold
/// among n calibration scores, exact for the f32 value of α (it may be
/// n + 1, i.e. no threshold); `None` for α ∉ (0, 1).
pub fn conformal_rank(n: usize, alpha: f32) -> Option<usize> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return None;
    }
    let m = n.checked_add(1)?;
    Some(m - floor_times(m, alpha))
}

/// A calibrated alarm threshold: a score above `tau` is an anomaly
/// ([`Threshold::calibrate`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    tau: f32,
    k: usize,
    n: usize,
    alpha: f32,
}

impl Threshold {
    /// Calibrates on the scores of n held-out normal points (e.g. their
    /// energies, [`scores`]): τ = the k-th smallest, k = ⌈(n + 1)(1 − α)⌉,
    /// so that a new normal point's score exceeds τ with probability at
    /// most α (exactly [`Threshold::expected_rate`] with continuous scores)
    /// when it and the calibration points are exchangeable. The points must
    /// not have been used for training or for choosing the model.
    ///
    /// `scores` is reordered on success (a selection, O(n)). Errors, with
    /// `scores` untouched: [`Error::Empty`] for no scores,
    /// [`Error::InvalidConfig`] for α ∉ (0, 1), [`Error::NotFinite`] for a
    /// non-finite score, and [`Error::TooFewPoints`] when k > n, with the
    /// number of points α needs ([`points_needed`]).
    pub fn calibrate(scores: &mut [f32], alpha: f32) -> Result<Self, Error> {
        let n = scores.len();
        if n == 0 {
            return Err(Error::Empty);
        }
        let k = conformal_rank(n, alpha).ok_or(Error::InvalidConfig(
            "false-alarm rate alpha must be in (0, 1)",
        ))?;
        if !scores.iter().all(|s| s.is_finite()) {
            return Err(Error::NotFinite("calibration scores"));
        }
        if k > n {
            return Err(Error::TooFewPoints {
                needed: points_needed(alpha).unwrap_or(usize::MAX),
                found: n,
            });
        }
        let (_, tau, _) = scores.select_nth_unstable_by(k - 1, f32::total_cmp);
        Ok(Threshold {
            tau: *tau,
            k,
            n,
            alpha,
        })
    }

    /// Whether `score` is an alarm: above τ, or NaN (a model that cannot
    /// score a point has not seen anything like it).
    pub fn is_anomalous(&self, score: f32) -> bool {
        score.is_nan() || score > self.tau
    }

    /// τ, the k-th smallest calibration score.
    pub fn tau(&self) -> f32 {
        self.tau
    }

    /// k, the rank of τ among the calibration scores (1-based).
    pub fn rank(&self) -> usize {
        self.k
    }

    /// n, the calibration points.
    pub fn points(&self) -> usize {
        self.n
    }

    /// The nominal false-alarm rate α asked for.
    pub fn alpha(&self) -> f32 {
        self.alpha
    }

    /// 1 − k/(n + 1) = ⌊(n + 1)α⌋/(n + 1) ≤ α: the false-alarm rate on new
    /// normal points, averaged over calibration sets; exact for continuous
    /// scores, an upper bound with ties.
    pub fn expected_rate(&self) -> f64 {
        (self.n + 1 - self.k) as f64 / (self.n + 1) as f64
    }
}

/// The energies of m points (`points`: m×d, point-major, d = the energy's
/// dimension) into `out[..m]`, e.g. as scores for [`Threshold::calibrate`].
/// On error `out` may be partly written.
pub fn scores<E: Energy>(energy: &E, points: &[f32], out: &mut [f32]) -> Result<(), Error> {
    let d = energy.dim();
    if d == 0 || points.len() % d != 0 {
        return Err(Error::InvalidConfig("points must be m×d floats"));
    }
    let m = points.len() / d;
    check_size(m, out.len())?;
    for (p, (x, o)) in points.chunks_exact(d).zip(out.iter_mut()).enumerate() {
        *o = energy
            .value(x)
            .map_err(|e| crate::walkers::eval_error(p, e, d))?;
    }
    Ok(())
}

/// AUROC of a score: the probability that an anomaly scores above a normal
/// point, ties counted ½ (the Mann–Whitney statistic), by comparing every
/// pair (n·m comparisons, no buffer). A NaN score counts as +∞ (the same
/// convention as [`Threshold::is_anomalous`]). 0.5 is chance, 1 perfect.
/// `None` when either set is empty.
pub fn auroc(normal: &[f32], anomalous: &[f32]) -> Option<f64> {
    if normal.is_empty() || anomalous.is_empty() {
        return None;
    }
    let key = |s: f32| if s.is_nan() { f32::INFINITY } else { s };
    let mut twice = 0u64;
    for &a in anomalous {
        let a = key(a);
        for &b in normal {
            let b = key(b);
            twice += if a > b {
                2
            } else if a == b {
                1
            } else {
                0
            };
        }
    }
    Some(twice as f64 / (2.0 * normal.len() as f64 * anomalous.len() as f64))
}

/// Early stopping on a held-out score (lower is better, e.g. a held-out
/// negative log-likelihood): keeps the parameters with the best score
/// ([`Best`]) and says stop after `patience` evaluations in a row without a
/// significant improvement, i.e. none with
///
/// score < reference − se,
///
/// where `se` is the standard error the caller gives with the score and
/// the reference is the score of the last significant improvement (∞ at
/// first; so small gains that add up to more than an SE count too).
/// Fixed memory: `P` floats and a few counters.
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStop<const P: usize> {
    best: Best<P>,
    patience: u32,
    reference: f32,
    since: u32,
    evaluations: u64,
}

impl<const P: usize> EarlyStop<P> {
    /// For `n ≤ P` parameters; stop after `patience ≥ 1` evaluations
    /// without a significant improvement.
    pub fn new(n: usize, patience: u32) -> Result<Self, Error> {
        if patience == 0 {
            return Err(Error::InvalidConfig("patience must be at least 1"));
        }
        Ok(EarlyStop {
            best: Best::new(n)?,
            patience,
            reference: f32::INFINITY,
            since: 0,
            evaluations: 0,
        })
    }

    /// One evaluation: `score` (lower is better; a non-finite score is no
    /// improvement and is not kept) with its standard error `se ≥ 0` (∞
    /// allowed), at label `at` (e.g. the update), of parameters `theta`
    /// (length n). Returns whether to stop now. On error nothing changes.
    pub fn offer(&mut self, score: f32, se: f32, at: u64, theta: &[f32]) -> Result<bool, Error> {
        if se.is_nan() || se < 0.0 {
            return Err(Error::InvalidConfig("standard error must be ≥ 0"));
        }
        self.best.offer(score, at, theta)?;
        self.evaluations += 1;
        // The first finite score improves on ∞ (even with se = ∞).
        let first = self.reference == f32::INFINITY;
        if score.is_finite() && (first || score < self.reference - se) {
            self.reference = score;
            self.since = 0;
        } else {
            self.since = self.since.saturating_add(1);
        }
        Ok(self.should_stop())
    }

    /// Whether `patience` evaluations in a row have brought no significant
    /// improvement.
    pub fn should_stop(&self) -> bool {
        self.since >= self.patience
    }

    /// Evaluations since the last significant improvement.
    pub fn since_improvement(&self) -> u32 {
        self.since
    }

    /// Evaluations offered.
    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    /// The patience.
    pub fn patience(&self) -> u32 {
        self.patience
    }

    /// The best parameters kept, their score and label.
    pub fn best(&self) -> &Best<P> {
        &self.best
    }

    /// Writes the best parameters into `energy` ([`Error::Empty`] before
    /// any finite score).
    pub fn write_into<E: crate::energy::Trainable>(&self, energy: &mut E) -> Result<(), Error> {
        self.best.write_into(energy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_is_exact() {
        // (n + 1)(1 − α) by exact rationals for α of a few bits.
        assert_eq!(conformal_rank(19, 0.05), Some(19)); // ⌈19.0000...⌉, α f32 > 0.05
        assert_eq!(conformal_rank(3, 0.25), Some(3));
        assert_eq!(conformal_rank(4, 0.25), Some(4)); // ⌈3.75⌉
        assert_eq!(conformal_rank(7, 0.5), Some(4));
        assert_eq!(conformal_rank(0, 0.5), Some(1));
        assert_eq!(conformal_rank(usize::MAX, 0.5), None);
        assert_eq!(points_needed(0.25), Some(3));
        assert_eq!(points_needed(0.5), Some(1));
        assert_eq!(points_needed(0.3), Some(3)); // ⌈3.33⌉ − 1
        assert_eq!(points_needed(f32::MIN_POSITIVE / 4.0), Some(usize::MAX));
        assert_eq!(points_needed(1.0), None);
    }
}
