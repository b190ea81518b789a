//! Streaming convergence diagnostics in fixed memory.
//!
//! * acceptance rate and invalid proposals;
//! * per-dimension mean and variance pooled over walkers and draws (Welford,
//!   merged per step with Chan et al.'s formula);
//! * effective sample size and Monte Carlo standard error of the mean per
//!   dimension, by **per-walker batch means** (below);
//! * split-R̂ per dimension (Gelman et al., BDA3 §11.4) across walkers, on
//!   the same batches.
//! * for trajectory kernels ([`crate::Nuts`]): divergent steps per walker
//!   and a histogram of tree depths (from each walker's
//!   [`crate::StepInfo`], by [`Diagnostics::record`]).
//!
//! # Batches
//!
//! Each walker's draws are cut into consecutive batches of `b` draws; the
//! batch means are kept per walker (f32, `cap` ≤ [`ESS_BATCHES_MAX`] slots
//! per walker, [`ESS_BATCHES`]·N slots per coordinate shared by the
//! walkers in use) with, per coordinate, the sum over walkers of the
//! within-batch sums of squares (f64). When a walker's slots are full,
//! neighbouring batches merge pairwise and `b` doubles: memory does not grow
//! with the run, and between `cap/2` and `cap − 1` complete batches of every
//! walker are held (plus one batch in progress).
//!
//! ESS: with Y the n·k complete batch means (n walkers, k batches each,
//! every batch of size b), s² their variance (over n·k − 1) and σ² the
//! variance of the n·k·b draws they cover, the integrated autocorrelation
//! time is estimated as τ̂ = b·s²/σ² and ESS = n·k·b/τ̂·(ν − 2)/ν with
//! ν = n·k − 1 (the last factor removes the bias of 1/s² for Gaussian batch
//! means). The batch means of *all* walkers enter s² around one grand mean,
//! so walkers that disagree (stuck in different modes, not yet converged)
//! inflate τ̂ instead of hiding behind an average: the between-walker part
//! is counted, not averaged away. Assumptions: walkers independent and
//! (after warm-up) stationary, batches long enough that their means are
//! nearly uncorrelated. The last one is checked: **the ESS is NaN unless
//! b ≥ [`ESS_BATCH_TAU_RATIO`]·τ̂** (a batch of fewer draws than 10 τ̂ is
//! too short to trust: the estimate would be too small for τ, i.e.
//! overconfident, by roughly τ/(2b)), and unless ν ≥ 7. On AR(1) series
//! of known τ the estimator is never overconfident by more than 20 % (see
//! `tests/diagnostics.rs`, `running_ess_is_calibrated_on_ar1`).
//!
//! Split-R̂ needs equal halves of every chain: it is computed whenever a
//! walker holds an even number 2j of complete batches, the first j batches
//! against the last j, so it covers all draws but those of the latest
//! batch or two (at least (cap/2)/(cap/2 + 2) of them — 2/3 with 64
//! walkers, more with fewer — not a power-of-two prefix), and
//! [`Diagnostics::rhat_draws`] says how many. The within-half variances come
//! exactly from the within-batch sums of squares and the batch means.
//!
//! Accumulators are f64 (soft-float on a Cortex-M4F): record every k-th step
//! there if the cost matters. For the rank-normalised R̂ and bulk/tail ESS
//! of Vehtari et al. (2021), record draws and use [`crate::draws`].

use crate::energy::Soa;
use crate::kernel::StepSummary;
use crate::kernels::nuts::MAX_TREE_DEPTH;
use crate::walkers::Walkers;

/// Batch-mean slots per walker of capacity: a coordinate keeps
/// `ESS_BATCHES · N` batch means, shared by the walkers in use (each walker
/// gets an even number of them, at most [`ESS_BATCHES_MAX`]).
pub const ESS_BATCHES: usize = 16;

/// Most batch means one walker keeps (fewer walkers than the capacity get
/// more batches each, up to this).
pub const ESS_BATCHES_MAX: usize = 64;

/// The ESS is reported only when the batch size is at least this many times
/// the estimated integrated autocorrelation time (else NaN: not enough
/// draws to trust it).
pub const ESS_BATCH_TAU_RATIO: f64 = 10.0;

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
    invalid: u64,
    pooled: [Moments; D],
    /// Per coordinate, per walker slot row: batch means (walker w's `cap`
    /// batches at `w·cap..` of the flattened row).
    batches: [[[f32; ESS_BATCHES]; N]; D],
    /// Per coordinate and walker: mean of the batch in progress.
    open: [[f64; N]; D],
    /// Per coordinate: Σ over walkers and complete batches of the
    /// within-batch sums of squares.
    ss_in: [f64; D],
    /// The same for the batches in progress.
    ss_open: [f64; D],
    /// Batch slots per walker (even, ≥ 2; 0 before the first draw).
    cap: usize,
    /// Complete batches per walker.
    full: usize,
    batch_size: u64,
    fill: u64,
    rhat: [f64; D],
    rhat_draws: u64,
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
            invalid: 0,
            pooled: [Moments::default(); D],
            batches: [[[0.0; ESS_BATCHES]; N]; D],
            open: [[0.0; N]; D],
            ss_in: [0.0; D],
            ss_open: [0.0; D],
            cap: 0,
            full: 0,
            batch_size: 1,
            fill: 0,
            rhat: [f64::NAN; D],
            rhat_draws: 0,
            divergences: [0; N],
            depths: [0; MAX_TREE_DEPTH + 1],
        }
    }

    /// Forgets everything (e.g. after warm-up): the value becomes equal to
    /// [`Diagnostics::new`], written in place without a temporary (these
    /// accumulators are large: (4·`ESS_BATCHES` + 8)·N·D + 48·D bytes and
    /// more).
    pub fn reset(&mut self) {
        self.n = 0;
        self.d = 0;
        self.draws = 0;
        self.proposed = 0;
        self.accepted = 0;
        self.invalid = 0;
        self.pooled.fill(Moments::default());
        for plane in self.batches.iter_mut() {
            plane.fill([0.0; ESS_BATCHES]);
        }
        for row in self.open.iter_mut() {
            row.fill(0.0);
        }
        self.ss_in.fill(0.0);
        self.ss_open.fill(0.0);
        self.cap = 0;
        self.full = 0;
        self.batch_size = 1;
        self.fill = 0;
        self.rhat.fill(f64::NAN);
        self.rhat_draws = 0;
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
            // n ≤ N, so ESS_BATCHES·N/n ≥ ESS_BATCHES ≥ 2.
            self.cap = ((ESS_BATCHES * N) / n).min(ESS_BATCHES_MAX) & !1;
        }
        if let Some(s) = step {
            self.proposed += s.proposed as u64;
            self.accepted += s.accepted as u64;
            self.invalid += s.invalid as u64;
        }
        let f = (self.fill + 1) as f64;
        for i in 0..d {
            // Pooled moments: merge this step's n values.
            let mut step_m = Moments::default();
            let mut ss = 0.0;
            for w in 0..n {
                let v = x[i][w] as f64;
                step_m.push(v, (w + 1) as f64);
                let m = &mut self.open[i][w];
                let delta = v - *m;
                *m += delta / f;
                ss += delta * (v - *m);
            }
            self.pooled[i].merge(self.draws as f64 * n as f64, &step_m, n as f64);
            self.ss_open[i] += ss;
        }
        self.draws += 1;
        self.fill += 1;
        if self.fill == self.batch_size {
            self.close_batch();
        }
    }

    fn close_batch(&mut self) {
        let (n, cap, k) = (self.n, self.cap, self.full);
        for i in 0..self.d {
            let row = self.batches[i].as_flattened_mut();
            for w in 0..n {
                row[w * cap + k] = self.open[i][w] as f32;
                self.open[i][w] = 0.0;
            }
            self.ss_in[i] += self.ss_open[i];
            self.ss_open[i] = 0.0;
        }
        self.full += 1;
        self.fill = 0;
        if self.full % 2 == 0 {
            self.update_rhat();
        }
        if self.full == cap {
            // Merge neighbours: same draws, batches twice as long.
            let half_b = self.batch_size as f64 / 2.0;
            for i in 0..self.d {
                let row = self.batches[i].as_flattened_mut();
                let mut ss = 0.0;
                for w in 0..n {
                    let c = &mut row[w * cap..(w + 1) * cap];
                    for j in 0..cap / 2 {
                        let (a, b) = (c[2 * j] as f64, c[2 * j + 1] as f64);
                        ss += half_b * (a - b) * (a - b);
                        c[j] = (0.5 * (a + b)) as f32;
                    }
                }
                self.ss_in[i] += ss;
            }
            self.full = cap / 2;
            self.batch_size *= 2;
        }
    }

    /// The complete batch means of walker `w` for coordinate `i`.
    fn walker_batches(&self, i: usize, w: usize) -> &[f32] {
        let c = self.cap;
        &self.batches[i].as_flattened()[w * c..w * c + self.full]
    }

    /// Split-R̂ of every coordinate over the 2j complete batches.
    fn update_rhat(&mut self) {
        let (n, j, b) = (self.n, self.full / 2, self.batch_size as f64);
        let l = j as f64 * b;
        let m = (2 * n) as f64;
        for i in 0..self.d {
            let half = |w: usize, h: usize| {
                let s = &self.walker_batches(i, w)[h * j..(h + 1) * j];
                s.iter().map(|&y| y as f64).sum::<f64>() / j as f64
            };
            let mut grand = 0.0;
            for w in 0..n {
                grand += half(w, 0) + half(w, 1);
            }
            grand /= m;
            let (mut between, mut within) = (0.0, self.ss_in[i]);
            for w in 0..n {
                let ys = self.walker_batches(i, w);
                for h in 0..2 {
                    let mu = half(w, h);
                    between += (mu - grand) * (mu - grand);
                    within += b * ys[h * j..(h + 1) * j]
                        .iter()
                        .map(|&y| (y as f64 - mu) * (y as f64 - mu))
                        .sum::<f64>();
                }
            }
            self.rhat[i] = if l < 2.0 {
                f64::NAN
            } else {
                let w_ = within / (m * (l - 1.0));
                let b_over_l = between / (m - 1.0);
                let r = libm::sqrt(((l - 1.0) / l * w_ + b_over_l) / w_);
                // W = 0 (chains that do not move): no information.
                if w_ > 0.0 { r } else { f64::NAN }
            };
        }
        self.rhat_draws = 2 * j as u64 * self.batch_size;
    }

    /// Draws recorded per walker.
    pub fn draws(&self) -> u64 {
        self.draws
    }

    /// Fraction of proposals accepted (NaN before any step was recorded).
    pub fn acceptance_rate(&self) -> f64 {
        self.accepted as f64 / self.proposed as f64
    }

    /// Proposals rejected because the energy or its gradient was not finite
    /// there, or a callback declined it, summed over walkers and recorded
    /// steps.
    pub fn invalid_proposals(&self) -> u64 {
        self.invalid
    }

    /// Proposals recorded (walkers × recorded steps).
    pub fn proposals(&self) -> u64 {
        self.proposed
    }

    /// Coordinates recorded (0 before the first draw).
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Walkers recorded (0 before the first draw).
    pub fn walkers(&self) -> usize {
        self.n
    }

    /// Pooled mean of coordinate `i` over all recorded draws (NaN before
    /// any draw, or when `i` is not a recorded coordinate: `i ≥`
    /// [`Diagnostics::dim`]).
    pub fn mean(&self, i: usize) -> f64 {
        if i >= self.d {
            return f64::NAN;
        }
        self.pooled[i].mean
    }

    /// Pooled (unbiased) variance of coordinate `i` over all recorded draws
    /// (NaN with fewer than two values, or when `i ≥` [`Diagnostics::dim`]).
    pub fn variance(&self, i: usize) -> f64 {
        if i >= self.d {
            return f64::NAN;
        }
        let total = self.draws as f64 * self.n as f64;
        self.pooled[i].m2 / (total - 1.0)
    }

    /// Draws per walker that [`Diagnostics::ess`], [`Diagnostics::tau`] and
    /// [`Diagnostics::mcse`] cover: the complete batches (all draws but
    /// the batch in progress).
    pub fn ess_draws(&self) -> u64 {
        self.full as u64 * self.batch_size
    }

    /// Current batch size of the batch means (draws per batch).
    pub fn batch_size(&self) -> u64 {
        self.batch_size
    }

    /// (τ̂, s², σ²) from the complete batches of coordinate `i`, or `None`
    /// when there are too few (ν < 7) or `i` is out of range.
    fn batch_estimate(&self, i: usize) -> Option<(f64, f64)> {
        if i >= self.d {
            return None;
        }
        let (n, k, b) = (self.n, self.full, self.batch_size as f64);
        let nb = n * k;
        if nb < 8 {
            return None;
        }
        let mut sum = 0.0;
        for w in 0..n {
            sum += self
                .walker_batches(i, w)
                .iter()
                .map(|&y| y as f64)
                .sum::<f64>();
        }
        let grand = sum / nb as f64;
        let mut ss = 0.0;
        for w in 0..n {
            ss += self
                .walker_batches(i, w)
                .iter()
                .map(|&y| (y as f64 - grand) * (y as f64 - grand))
                .sum::<f64>();
        }
        let s2 = ss / (nb - 1) as f64;
        // Variance of the n·k·b covered draws: within batches plus between.
        let sigma2 = (self.ss_in[i] + b * ss) / (nb as f64 * b - 1.0);
        // s² = 0 (walkers frozen) gives NaN or ∞: no information, not "perfect".
        if s2 > 0.0 && sigma2 > 0.0 {
            Some((b * s2 / sigma2, (nb - 1) as f64))
        } else {
            None
        }
    }

    /// Estimated integrated autocorrelation time τ̂ = b·s²/σ² of coordinate
    /// `i` (see the module documentation), whether or not the batches are
    /// long enough to trust it (compare with [`Diagnostics::batch_size`]);
    /// NaN with fewer than 8 batches in all, for a coordinate that does not
    /// move, and when `i ≥` [`Diagnostics::dim`].
    pub fn tau(&self, i: usize) -> f64 {
        self.batch_estimate(i).map_or(f64::NAN, |(t, _)| t)
    }

    /// Effective sample size of the pooled mean of coordinate `i` (all
    /// walkers together) over the [`Diagnostics::ess_draws`] draws per
    /// walker it covers: n·k·b/τ̂·(ν − 2)/ν (module documentation).
    ///
    /// NaN — "not enough draws", never a confident wrong number — while the
    /// batches are shorter than [`ESS_BATCH_TAU_RATIO`]·τ̂ or fewer than 8
    /// in all; also when the batch means do not vary (a coordinate that
    /// does not move) and when `i ≥` [`Diagnostics::dim`]. Walkers stuck in
    /// different modes lower it (their batch means disagree), but read it
    /// together with [`Diagnostics::rhat`].
    pub fn ess(&self, i: usize) -> f64 {
        let Some((tau, nu)) = self.batch_estimate(i) else {
            return f64::NAN;
        };
        if (self.batch_size as f64) < ESS_BATCH_TAU_RATIO * tau {
            return f64::NAN;
        }
        (self.n as u64 * self.ess_draws()) as f64 / tau * (nu - 2.0) / nu
    }

    /// Monte Carlo standard error of the pooled mean of coordinate `i`:
    /// √(σ²/ESS), with σ² the pooled variance; NaN whenever
    /// [`Diagnostics::ess`] is.
    pub fn mcse(&self, i: usize) -> f64 {
        libm::sqrt(self.variance(i) / self.ess(i))
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

    /// Split-R̂ of coordinate `i` over the [`Diagnostics::rhat_draws`]
    /// draws per walker it covers (NaN until 4 draws per walker, when the
    /// chains do not move, and when `i ≥` [`Diagnostics::dim`]).
    ///
    /// With the m = 2n half-chains of length l (the first and last j of 2j
    /// complete batches of every walker), W the mean of their unbiased
    /// variances and B/l the variance (over m − 1) of their means:
    /// R̂ = √(((l − 1)/l·W + B/l) / W) (BDA3 §11.4). Not rank-normalised:
    /// for that, record draws and use [`crate::draws::rank_diagnostics`].
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

    /// Draws per walker that the current R̂ values cover (the first ones
    /// since the last reset; all but the latest one or two batches).
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

/// Checkpoint encoding (see [`crate::checkpoint`]): every field, the
/// per-walker batch means included, in declaration order.
impl<const N: usize, const D: usize> Diagnostics<N, D> {
    /// Bytes [`Diagnostics::save_state`] writes.
    pub(crate) const STATE_LEN: usize = 8
        + 32
        + 16 * D
        + 4 * ESS_BATCHES * N * D
        + 8 * N * D
        + 16 * D
        + 8
        + 16
        + 8 * D
        + 8
        + 4 * N
        + 4 * (MAX_TREE_DEPTH + 1);

    pub(crate) fn save_state(&self, e: &mut crate::checkpoint::Enc<'_>) {
        e.usize(self.n);
        e.usize(self.d);
        for v in [self.draws, self.proposed, self.accepted, self.invalid] {
            e.u64(v);
        }
        for m in &self.pooled {
            e.f64(m.mean);
            e.f64(m.m2);
        }
        for plane in &self.batches {
            e.f32s(plane.as_flattened());
        }
        for row in &self.open {
            e.f64s(row);
        }
        e.f64s(&self.ss_in);
        e.f64s(&self.ss_open);
        e.usize(self.cap);
        e.usize(self.full);
        e.u64(self.batch_size);
        e.u64(self.fill);
        e.f64s(&self.rhat);
        e.u64(self.rhat_draws);
        for &v in self.divergences.iter().chain(&self.depths) {
            e.u32(v);
        }
    }

    /// Reads (and in the apply pass stores) what [`Diagnostics::save_state`]
    /// wrote, refusing sizes and batch bookkeeping no recording produces.
    pub(crate) fn load_state(
        &mut self,
        r: &mut crate::checkpoint::Dec<'_>,
    ) -> Result<(), crate::error::Error> {
        use crate::checkpoint::corrupt;
        let n = r.usize_max(N)?;
        let d = r.usize_max(D)?;
        if (n == 0) != (d == 0) {
            return Err(corrupt("diagnostics sizes"));
        }
        r.set(&mut self.n, |_| Ok(n))?;
        r.set(&mut self.d, |_| Ok(d))?;
        for f in [
            &mut self.draws,
            &mut self.proposed,
            &mut self.accepted,
            &mut self.invalid,
        ] {
            r.set(f, |r| r.u64())?;
        }
        for m in &mut self.pooled {
            r.set(&mut m.mean, |r| r.f64())?;
            r.set(&mut m.m2, |r| r.f64())?;
        }
        for plane in &mut self.batches {
            r.f32s(plane.as_flattened_mut(), false)?;
        }
        for row in &mut self.open {
            r.f64s(row)?;
        }
        r.f64s(&mut self.ss_in)?;
        r.f64s(&mut self.ss_open)?;
        let cap = r.usize_max(ESS_BATCHES_MAX)?;
        let full = r.usize_max(ESS_BATCHES_MAX)?;
        let expected_cap = match n {
            0 => 0,
            n => ((ESS_BATCHES * N) / n).min(ESS_BATCHES_MAX) & !1,
        };
        if cap != expected_cap || (n > 0 && full >= cap) || (n == 0 && full != 0) {
            return Err(corrupt("diagnostics batch bookkeeping"));
        }
        r.set(&mut self.cap, |_| Ok(cap))?;
        r.set(&mut self.full, |_| Ok(full))?;
        let batch_size = r.u64()?;
        let fill = r.u64()?;
        if batch_size == 0 || fill >= batch_size {
            return Err(corrupt("diagnostics batch bookkeeping"));
        }
        r.set(&mut self.batch_size, |_| Ok(batch_size))?;
        r.set(&mut self.fill, |_| Ok(fill))?;
        r.f64s(&mut self.rhat)?;
        r.set(&mut self.rhat_draws, |r| r.u64())?;
        for f in self.divergences.iter_mut().chain(self.depths.iter_mut()) {
            r.set(f, |r| r.u32())?;
        }
        Ok(())
    }
}
