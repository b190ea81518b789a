//! Streaming convergence diagnostics in fixed memory.
//!
//! * acceptance rate;
//! * per-dimension mean and variance pooled over walkers and draws (Welford,
//!   merged per step with Chan et al.'s formula);
//! * effective sample size per dimension, by batch means on the
//!   walker-averaged series with a fixed number of batches whose size doubles
//!   when they fill up (so memory does not grow with the run length);
//! * split-R̂ per dimension (Gelman et al., BDA3 §11.4) across walkers;
//! * for trajectory kernels ([`crate::Nuts`]): divergent steps per walker
//!   and a histogram of tree depths (from each walker's
//!   [`crate::StepInfo`], by [`Diagnostics::record`]).
//!
//! Split-R̂ needs two equal halves of every chain. With fixed memory the
//! halves are kept as two running accumulators per chain: when the second
//! half has as many draws as the first, R̂ is computed over the first 2ᵏ
//! recorded draws and the halves merge. So [`Diagnostics::rhat`] refers to the
//! largest power-of-two prefix of the draws recorded since the last
//! [`Diagnostics::reset`]: reset after warm-up.
//!
//! Accumulators are f64 (soft-float on a Cortex-M4F): record every k-th step
//! there if the cost matters.

use crate::energy::Soa;
use crate::kernel::StepSummary;
use crate::kernels::nuts::MAX_TREE_DEPTH;
use crate::walkers::Walkers;

/// Batches kept for the batch-means ESS.
pub const ESS_BATCHES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Default)]
struct Moments {
    mean: f64,
    m2: f64,
}

impl Moments {
    #[inline]
    fn push(&mut self, x: f64, count_after: f64) {
        let delta = x - self.mean;
        self.mean += delta / count_after;
        self.m2 += delta * (x - self.mean);
    }

    /// Chan et al.: merges `o` (count `nb`) into `self` (count `na`).
    #[inline]
    fn merge(&mut self, na: f64, o: &Moments, nb: f64) {
        if nb == 0.0 {
            return;
        }
        let n = na + nb;
        let delta = o.mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += o.m2 + delta * delta * na * nb / n;
    }
}

/// Diagnostics of an ensemble of `n ≤ N` walkers in dimension `d ≤ D`.
///
/// Every field is an integer, a float or an array of these, so all-zero
/// bytes are a valid value; [`Diagnostics::reset`] makes any value equal to
/// [`Diagnostics::new`] in place.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostics<const N: usize, const D: usize> {
    n: usize,
    d: usize,
    draws: u64,
    proposed: u64,
    accepted: u64,
    pooled: [Moments; D],
    /// Per chain: first and second half of the current R̂ window.
    first: [[Moments; N]; D],
    second: [[Moments; N]; D],
    first_len: u64,
    second_len: u64,
    rhat: [f64; D],
    rhat_draws: u64,
    /// Batch means of the walker-averaged series.
    batches: [[f64; ESS_BATCHES]; D],
    full_batches: usize,
    batch_size: u64,
    batch_fill: u64,
    batch_sum: [f64; D],
    /// Divergent steps per walker (NUTS).
    divergences: [u32; N],
    /// Steps per tree depth 0..=MAX_TREE_DEPTH (NUTS; steps of other
    /// kernels are not counted).
    depths: [u32; MAX_TREE_DEPTH + 1],
}

impl<const N: usize, const D: usize> Default for Diagnostics<N, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const D: usize> Diagnostics<N, D> {
    /// Empty diagnostics; sized by the first recorded ensemble.
    pub fn new() -> Self {
        Diagnostics {
            n: 0,
            d: 0,
            draws: 0,
            proposed: 0,
            accepted: 0,
            pooled: [Moments::default(); D],
            first: [[Moments::default(); N]; D],
            second: [[Moments::default(); N]; D],
            first_len: 0,
            second_len: 0,
            rhat: [f64::NAN; D],
            rhat_draws: 0,
            batches: [[0.0; ESS_BATCHES]; D],
            full_batches: 0,
            batch_size: 1,
            batch_fill: 0,
            batch_sum: [0.0; D],
            divergences: [0; N],
            depths: [0; MAX_TREE_DEPTH + 1],
        }
    }

    /// Forgets everything (e.g. after warm-up): the value becomes equal to
    /// [`Diagnostics::new`], written in place without a temporary (these
    /// accumulators are large: 32·N·D + 544·D bytes and more).
    pub fn reset(&mut self) {
        self.n = 0;
        self.d = 0;
        self.draws = 0;
        self.proposed = 0;
        self.accepted = 0;
        self.pooled.fill(Moments::default());
        for row in self.first.iter_mut().chain(self.second.iter_mut()) {
            row.fill(Moments::default());
        }
        self.first_len = 0;
        self.second_len = 0;
        self.rhat.fill(f64::NAN);
        self.rhat_draws = 0;
        for row in self.batches.iter_mut() {
            row.fill(0.0);
        }
        self.full_batches = 0;
        self.batch_size = 1;
        self.batch_fill = 0;
        self.batch_sum.fill(0.0);
        self.divergences.fill(0);
        self.depths.fill(0);
    }

    /// Records the ensemble's current positions as one draw per walker, and
    /// the step's acceptance when given. A change of ensemble size resets.
    /// With a step, also counts each walker's divergence and tree depth
    /// (kernels that build no trajectory report none).
    pub fn record(&mut self, walkers: &Walkers<N, D>, step: Option<&StepSummary>) {
        self.record_soa(walkers.positions_soa(), walkers.len(), walkers.dim(), step);
        if step.is_some() && self.n == walkers.len() {
            for w in 0..self.n {
                let info = walkers.last_step(w);
                if info.n_leapfrog > 0 {
                    self.divergences[w] += u32::from(info.divergent);
                    self.depths[(info.tree_depth as usize).min(MAX_TREE_DEPTH)] += 1;
                }
            }
        }
    }

    /// Divergent steps of walker `w` since the last reset ([`crate::Nuts`];
    /// 0 for other kernels or an out-of-range walker).
    pub fn divergences(&self, w: usize) -> u32 {
        if w < self.n { self.divergences[w] } else { 0 }
    }

    /// Divergent steps of all walkers since the last reset.
    pub fn total_divergences(&self) -> u64 {
        self.divergences[..self.n]
            .iter()
            .map(|&v| u64::from(v))
            .sum()
    }

    /// Walker-steps that reached tree depth `k` (index) since the last
    /// reset, for k in `0..=`[`MAX_TREE_DEPTH`] ([`crate::Nuts`]; all zero
    /// for other kernels). Steps at the kernel's maximum depth were cut
    /// short: many of them mean the maximum is too small (or ε is).
    pub fn tree_depths(&self) -> &[u32; MAX_TREE_DEPTH + 1] {
        &self.depths
    }

    /// As [`Diagnostics::record`], from raw positions `x[dim][walker]` of
    /// `n` walkers in dimension `d` (any chains, not only this crate's).
    #[inline(never)]
    pub fn record_soa(&mut self, x: &Soa<N, D>, n: usize, d: usize, step: Option<&StepSummary>) {
        let (n, d) = (n.min(N), d.min(D));
        if n == 0 || d == 0 {
            return;
        }
        if (n, d) != (self.n, self.d) {
            self.reset();
            self.n = n;
            self.d = d;
        }
        if let Some(s) = step {
            self.proposed += s.proposed as u64;
            self.accepted += s.accepted as u64;
        }
        let into_first = self.first_len == 0;
        let half_len = if into_first {
            1.0
        } else {
            (self.second_len + 1) as f64
        };
        for i in 0..d {
            // Pooled moments: merge this step's n values.
            let mut step_m = Moments::default();
            for w in 0..n {
                step_m.push(x[i][w] as f64, (w + 1) as f64);
            }
            self.pooled[i].merge(self.draws as f64 * n as f64, &step_m, n as f64);
            self.batch_sum[i] += step_m.mean;
            let half = if into_first {
                &mut self.first[i]
            } else {
                &mut self.second[i]
            };
            for w in 0..n {
                half[w].push(x[i][w] as f64, half_len);
            }
        }
        self.draws += 1;
        if into_first {
            self.first_len = 1;
        } else {
            self.second_len += 1;
        }
        if self.second_len == self.first_len {
            self.close_rhat_window();
        }
        self.batch_fill += 1;
        if self.batch_fill == self.batch_size {
            self.close_batch();
        }
    }

    fn close_rhat_window(&mut self) {
        let (n, d, l) = (self.n, self.d, self.first_len as f64);
        for i in 0..d {
            self.rhat[i] = split_rhat(&self.first[i][..n], &self.second[i][..n], l);
            for w in 0..n {
                let s = self.second[i][w];
                self.first[i][w].merge(l, &s, l);
                self.second[i][w] = Moments::default();
            }
        }
        self.rhat_draws = 2 * self.first_len;
        self.first_len *= 2;
        self.second_len = 0;
    }

    fn close_batch(&mut self) {
        let b = self.batch_size as f64;
        for i in 0..self.d {
            self.batches[i][self.full_batches] = self.batch_sum[i] / b;
            self.batch_sum[i] = 0.0;
        }
        self.full_batches += 1;
        self.batch_fill = 0;
        if self.full_batches == ESS_BATCHES {
            for i in 0..self.d {
                for k in 0..ESS_BATCHES / 2 {
                    self.batches[i][k] =
                        0.5 * (self.batches[i][2 * k] + self.batches[i][2 * k + 1]);
                }
            }
            self.full_batches = ESS_BATCHES / 2;
            self.batch_size *= 2;
        }
    }

    /// Draws recorded per walker.
    pub fn draws(&self) -> u64 {
        self.draws
    }

    /// Fraction of proposals accepted (NaN before any step was recorded).
    pub fn acceptance_rate(&self) -> f64 {
        self.accepted as f64 / self.proposed as f64
    }

    /// Coordinates recorded (0 before the first draw).
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Pooled mean of coordinate `i` (NaN before any draw, or when `i` is
    /// not a recorded coordinate: `i ≥` [`Diagnostics::dim`]).
    pub fn mean(&self, i: usize) -> f64 {
        if i >= self.d {
            return f64::NAN;
        }
        self.pooled[i].mean
    }

    /// Pooled (unbiased) variance of coordinate `i` (NaN with fewer than two
    /// values, or when `i ≥` [`Diagnostics::dim`]).
    pub fn variance(&self, i: usize) -> f64 {
        if i >= self.d {
            return f64::NAN;
        }
        let total = self.draws as f64 * self.n as f64;
        self.pooled[i].m2 / (total - 1.0)
    }

    /// Effective sample size of the pooled mean of coordinate `i` (all
    /// walkers together); NaN until 8 batches are complete, when the batch
    /// means do not vary (a coordinate that does not move), and when
    /// `i ≥` [`Diagnostics::dim`].
    ///
    /// ESS = σ²·B / s²_b · (B−3)/(B−1) with σ² the pooled variance and s²_b
    /// the variance of the B batch means of the walker-averaged series (the
    /// last factor removes the bias of 1/s²_b). For independent
    /// walkers with integrated autocorrelation time τ this estimates n·T/τ.
    /// Walkers stuck in different modes can look well mixed here: read it
    /// together with [`Diagnostics::rhat`].
    pub fn ess(&self, i: usize) -> f64 {
        let b = self.full_batches;
        if b < 8 || i >= self.d {
            return f64::NAN;
        }
        let m = &self.batches[i][..b];
        let mean = m.iter().sum::<f64>() / b as f64;
        let s2 = m.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (b - 1) as f64;
        // 1/s2 overestimates 1/σ²_b by (B−1)/(B−3) for Gaussian batch means.
        let unbias = (b - 3) as f64 / (b - 1) as f64;
        // s2 = 0 (walkers frozen) gives NaN or ∞: no information, not "perfect".
        if s2 > 0.0 {
            self.variance(i) * b as f64 / s2 * unbias
        } else {
            f64::NAN
        }
    }

    /// Smallest ESS over coordinates. NaN when any coordinate's ESS is NaN
    /// (too few draws, or a coordinate that does not move: a NaN is never
    /// hidden behind the other coordinates) and before the first draw; see
    /// [`Diagnostics::worst_ess`] for which coordinate it is.
    pub fn min_ess(&self) -> f64 {
        self.worst_ess().map_or(f64::NAN, |(_, v)| v)
    }

    /// The coordinate with the smallest ESS and that ESS: the first
    /// coordinate whose ESS is NaN if there is one, else the first with the
    /// smallest value; `None` before the first draw.
    pub fn worst_ess(&self) -> Option<(usize, f64)> {
        worst((0..self.d).map(|i| self.ess(i)), |a, b| a < b)
    }

    /// Split-R̂ of coordinate `i` (NaN until 4 draws per walker, when the
    /// chains do not move, and when `i ≥` [`Diagnostics::dim`]).
    ///
    /// With the m = 2n half-chains of length l of the current window (see
    /// the module documentation), W the mean of their unbiased variances and
    /// B/l the variance (over m − 1) of their means:
    /// R̂ = √(((l − 1)/l·W + B/l) / W) (BDA3 §11.4).
    pub fn rhat(&self, i: usize) -> f64 {
        if i >= self.d {
            return f64::NAN;
        }
        self.rhat[i]
    }

    /// Largest split-R̂ over coordinates. NaN when any coordinate's R̂ is
    /// NaN (too few draws, or a coordinate that does not move) and before
    /// the first draw; see [`Diagnostics::worst_rhat`].
    pub fn max_rhat(&self) -> f64 {
        self.worst_rhat().map_or(f64::NAN, |(_, v)| v)
    }

    /// The coordinate with the largest split-R̂ and that R̂: the first
    /// coordinate whose R̂ is NaN if there is one, else the first with the
    /// largest value; `None` before the first draw.
    pub fn worst_rhat(&self) -> Option<(usize, f64)> {
        worst((0..self.d).map(|i| self.rhat[i]), |a, b| a > b)
    }

    /// Draws per walker that the current R̂ values cover.
    pub fn rhat_draws(&self) -> u64 {
        self.rhat_draws
    }
}

/// The first NaN of `values` with its index, else the first value that no
/// later one is `better` than; `None` when empty.
fn worst(
    values: impl Iterator<Item = f64>,
    better: impl Fn(f64, f64) -> bool,
) -> Option<(usize, f64)> {
    let mut out: Option<(usize, f64)> = None;
    for (i, v) in values.enumerate() {
        if v.is_nan() {
            return Some((i, v));
        }
        match out {
            Some((_, w)) if !better(v, w) => {}
            _ => out = Some((i, v)),
        }
    }
    out
}

/// Split-R̂ from two halves of length `l` for each of the chains.
fn split_rhat(first: &[Moments], second: &[Moments], l: f64) -> f64 {
    if l < 2.0 {
        return f64::NAN;
    }
    let m = (first.len() + second.len()) as f64;
    let seqs = || first.iter().chain(second.iter());
    let w = seqs().map(|s| s.m2 / (l - 1.0)).sum::<f64>() / m;
    let grand = seqs().map(|s| s.mean).sum::<f64>() / m;
    let b_over_l = seqs()
        .map(|s| (s.mean - grand) * (s.mean - grand))
        .sum::<f64>()
        / (m - 1.0);
    let var_plus = (l - 1.0) / l * w + b_over_l;
    libm::sqrt(var_plus / w)
}
