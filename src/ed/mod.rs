//! Sampling-free training by energy discrepancy, in fixed memory: [`Ed`].
//!
//! Energy discrepancy (Schröder, Ou, Lim, Li, Vollmer & Duncan, *Energy
//! Discrepancies: A Score-Independent Loss for Energy-Based Models*,
//! NeurIPS 2023) with a Gaussian perturbation: for a data point x, draw
//! y = x + √t·ξ and M negatives x′ⱼ = y + √t·ξ′ⱼ (ξ, ξ′ⱼ ~ N(0, I)); the
//! stabilised loss is
//!
//! L = mean over data of ln( w/M + (1/M)·Σⱼ exp(U(x) − U(x′ⱼ)) ),
//!
//! w ≥ 0 (w = 1 in the paper's experiments). Its θ-gradient needs U and
//! ∂θU at the data point and at its M negatives only: no Markov chain, no
//! walkers, no step size, which suits a microcontroller.
//!
//! With w = 1 the loss is, up to the constant ln M, the cross-entropy of
//! picking x out of {x, x′₁, …, x′_M} with probabilities ∝ exp(−U): since
//! the Gaussian kernel is symmetric, the Bayes-optimal choice weighs each
//! point by the data density, so the loss is minimised exactly by
//! U = −ln ρ_data + const for every t > 0 and M ≥ 1 (in a model family that
//! contains it). Other w are consistent as M → ∞.
//!
//! **Computation.** Data arrive one at a time ([`Ed::push`]) or in groups
//! ([`Ed::push_batch`]). Each point's loss and gradient are computed at
//! once and added to running f64 sums, so no batch is stored: the memory is
//! the optimiser, three P-float buffers and a P-double sum, whatever the
//! batch size. Points are evaluated in blocks of up to `K` evaluations
//! (`⌊K/(M+1)⌋` data points with their negatives): one batched forward pass
//! for every U, the log-sum-exp weights in f64 (see [`point_loss`]), and one
//! batched ∂θU pass with those weights. When `batch_size` points have
//! arrived, or on [`Ed::update`], the optimiser steps along the mean
//! gradient.
//!
//! **Random numbers.** One stream (`Stream::new(seed, u64::MAX − 2)`): for
//! each data point in order, d normals for ξ, then d normals for each ξ′ⱼ.
//! Pushing points one at a time or in groups draws the same numbers; the
//! gradient sums then differ only in f32 rounding (a block sums its points'
//! ∂θU before adding them to the f64 total).
//!
//! **Refusals.** A point that is not finite, or whose energies or gradient
//! are not finite at x or a negative, is refused and nothing changes (the
//! stream included). An update whose gradient or new parameters are not
//! finite, or which the model refuses, leaves θ, the optimiser and the
//! collected sums as they were; it is counted ([`EdMetrics::rejected`]).
//!
//! **Energy ownership.** As for [`crate::Pcd`]: θ lives in the energy,
//! passed to each call and read at each update.

mod loss;

pub use loss::point_loss;

use crate::energy::{Evals, Trainable, all_finite};
use crate::error::{Error, check_dim, check_size};
use crate::optim::Optimizer;
use crate::rng::Stream;
use crate::train_step::{
    Collect, commit_step, impl_counted, preview_step, push_chunks, tally, trainer_accessors,
    update_if_full,
};
use crate::walkers::eval_error;
use loss::point_weights;

/// Energy-discrepancy configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdConfig {
    /// Variance t of each Gaussian perturbation (> 0, finite): the noise
    /// has standard deviation √t per coordinate.
    pub t: f32,
    /// Negatives M per data point (≥ 1, M + 1 ≤ the trainer's `K`).
    pub negatives: usize,
    /// Stabiliser w (≥ 0, finite).
    pub w: f32,
    /// Data points per update (≥ 1).
    pub batch_size: usize,
    /// Seed of the trainer's stream (the perturbations).
    pub seed: u64,
}

impl EdConfig {
    /// t = 0.25 (data of unit scale; see `docs/training.md`), M = 8, w = 1,
    /// batches of 32, seed 0.
    pub const fn new() -> Self {
        EdConfig {
            t: 0.25,
            negatives: 8,
            w: 1.0,
            batch_size: 32,
            seed: 0,
        }
    }

    /// The checks [`Ed::new`] applies to a configuration (the capacity `K`
    /// aside).
    pub fn validate(&self) -> Result<(), Error> {
        if self.batch_size == 0 || self.negatives == 0 {
            return Err(Error::Empty);
        }
        if !(self.t.is_finite() && self.t > 0.0) {
            return Err(Error::InvalidConfig(
                "perturbation variance t must be finite and > 0",
            ));
        }
        if !(self.w.is_finite() && self.w >= 0.0) {
            return Err(Error::InvalidConfig("stabiliser w must be finite and ≥ 0"));
        }
        Ok(())
    }
}

impl Default for EdConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// What one update measured, at the parameters θ_k it started from (means
/// over the batch).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdMetrics {
    /// The loss L (see the module documentation).
    pub loss: f32,
    /// Mean U at the data points.
    pub data_energy: f32,
    /// Mean U at the negatives.
    pub negative_energy: f32,
    /// Mean Σⱼ sⱼ, the weight of ∂θU at the data point (in [0, 1); near
    /// M/(M + w) when the model cannot tell data from negatives).
    pub data_weight: f32,
    /// Euclidean norm of the gradient handed to the optimiser (before clipping).
    pub grad_norm: f32,
    /// Updates refused so far.
    pub rejected: u64,
    /// Updates done so far, this one included.
    pub updates: u64,
}

impl_counted!(EdMetrics);

impl EdMetrics {
    const NONE: EdMetrics = EdMetrics {
        loss: f32::NAN,
        data_energy: f32::NAN,
        negative_energy: f32::NAN,
        data_weight: f32::NAN,
        grad_norm: f32::NAN,
        rejected: 0,
        updates: 0,
    };
}

/// Sums over the points collected since the last update.
#[derive(Clone, Debug, PartialEq)]
struct Sums<const P: usize> {
    grad: [f64; P],
    loss: f64,
    u_data: f64,
    u_neg: f64,
    weight: f64,
    count: usize,
}

/// An energy-discrepancy trainer for a [`Trainable`] energy in dimension
/// `d ≤ D` with up to `P` parameters, evaluating up to `K` points together
/// (so M + 1 ≤ K), stepping with optimiser `O`.
///
/// Everything is fixed-size: its footprint is `size_of::<Ed<…>>()`; a call
/// also takes about `K·(D + 5)` floats of stack for a block.
///
/// Layout note for code that places trainers in raw memory (the C API):
/// besides `O`, every field is an integer, a float, a random stream, or an
/// array or plain struct of these, so all-zero bytes are a valid (not yet
/// usable) value whenever they are one for `O` (e.g.
/// [`crate::AnyOptimizer`]). Such storage is made ready in place with an
/// in-place optimiser constructor through [`Ed::optimizer_mut`] and
/// [`Ed::reinit`].
#[derive(Clone, Debug)]
pub struct Ed<O, const K: usize, const D: usize, const P: usize> {
    opt: O,
    cfg: EdConfig,
    p: usize,
    d: usize,
    sums: Sums<P>,
    rng: Stream,
    updates: u64,
    rejected: u64,
    last: EdMetrics,
    /// Scratch: θ_k, θ_{k+1}, and the mean gradient (or a block's ∂θU sum).
    theta: [f32; P],
    next: [f32; P],
    scratch: [f32; P],
}

impl<O: PartialEq, const K: usize, const D: usize, const P: usize> PartialEq for Ed<O, K, D, P> {
    /// Compares the persistent state: optimiser, configuration, sums,
    /// stream and counters (not scratch, not the last metrics).
    fn eq(&self, o: &Self) -> bool {
        self.opt == o.opt
            && self.cfg == o.cfg
            && (self.p, self.d) == (o.p, o.d)
            && self.sums == o.sums
            && self.rng == o.rng
            && (self.updates, self.rejected) == (o.updates, o.rejected)
    }
}

/// The stream index of the trainer's perturbations.
const STREAM: u64 = u64::MAX - 2;

impl<O: Optimizer, const K: usize, const D: usize, const P: usize> Ed<O, K, D, P> {
    /// A trainer for `energy` (read for its sizes only), stepping with
    /// `optimizer` (built for `energy.num_params()` parameters).
    pub fn new<E: Trainable>(energy: &E, optimizer: O, config: EdConfig) -> Result<Self, Error> {
        let (p, d) = Self::check(energy, &optimizer, &config)?;
        Ok(Ed {
            opt: optimizer,
            cfg: config,
            p,
            d,
            sums: Sums {
                grad: [0.0; P],
                loss: 0.0,
                u_data: 0.0,
                u_neg: 0.0,
                weight: 0.0,
                count: 0,
            },
            rng: Stream::new(config.seed, STREAM),
            updates: 0,
            rejected: 0,
            last: EdMetrics::NONE,
            theta: [0.0; P],
            next: [0.0; P],
            scratch: [0.0; P],
        })
    }

    fn check<E: Trainable>(energy: &E, opt: &O, cfg: &EdConfig) -> Result<(usize, usize), Error> {
        cfg.validate()?;
        let (p, d) = (energy.num_params(), energy.dim());
        check_size(p, P)?;
        check_size(d, D)?;
        check_size(cfg.negatives + 1, K)?;
        check_dim(p, opt.len())?;
        Ok((p, d))
    }

    /// Makes this trainer equal to `Ed::new(energy, optimizer, config)`
    /// built from its *current* optimiser, in place (re-initialise that
    /// first if wanted, through [`Ed::optimizer_mut`]). Checked as
    /// [`Ed::new`] checks; on error nothing changes.
    pub fn reinit<E: Trainable>(&mut self, energy: &E, config: EdConfig) -> Result<(), Error> {
        let (p, d) = Self::check(energy, &self.opt, &config)?;
        self.cfg = config;
        (self.p, self.d) = (p, d);
        self.clear_batch();
        self.rng = Stream::new(config.seed, STREAM);
        self.updates = 0;
        self.rejected = 0;
        self.last = EdMetrics::NONE;
        self.theta.fill(0.0);
        self.next.fill(0.0);
        self.scratch.fill(0.0);
        Ok(())
    }

    /// Bytes taken by a trainer of this type (optimiser included; the
    /// energy is separate).
    pub const fn footprint() -> usize {
        core::mem::size_of::<Self>()
    }

    /// Data points evaluated together in one block (with their negatives).
    pub fn block_points(&self) -> usize {
        (K / (self.cfg.negatives + 1)).max(1)
    }

    fn check_energy<E: Trainable>(&self, energy: &E) -> Result<(), Error> {
        check_dim(self.p, energy.num_params())?;
        check_dim(self.d, energy.dim())
    }

    /// Adds one data point's loss and gradient; when the batch is full,
    /// runs [`Ed::update`] and returns its metrics. A point of the wrong
    /// length or not finite, or where an energy or gradient is not finite,
    /// is refused and nothing changes. If the update runs and is refused,
    /// its error is returned and the point stays collected.
    pub fn push<E: Trainable>(
        &mut self,
        energy: &mut E,
        x: &[f32],
    ) -> Result<Option<EdMetrics>, Error> {
        self.check_energy(energy)?;
        check_dim(self.d, x.len())?;
        if !x.iter().all(|v| v.is_finite()) {
            return Err(Error::NotFinite("data point"));
        }
        self.block(energy, x)?;
        update_if_full(self, energy)
    }

    /// [`Ed::push`] for each point of `xs` (point-major, a multiple of d
    /// values), in blocks of [`Ed::block_points`] points (never across the
    /// end of a batch); returns the metrics of the last update that ran.
    /// Lengths and finiteness of all points are checked first (refused:
    /// nothing changes); a later error stops at that block, with the blocks
    /// before it collected.
    pub fn push_batch<E: Trainable>(
        &mut self,
        energy: &mut E,
        xs: &[f32],
    ) -> Result<Option<EdMetrics>, Error> {
        self.check_energy(energy)?;
        let d = self.d;
        if d == 0 || xs.len() % d != 0 {
            return Err(Error::DimensionMismatch {
                expected: d * (xs.len() / d.max(1) + 1),
                found: xs.len(),
            });
        }
        if !xs.iter().all(|v| v.is_finite()) {
            return Err(Error::NotFinite("data point"));
        }
        let chunk = self.block_points();
        push_chunks(self, energy, xs, d, chunk)
    }

    /// Loss and gradient of the points `xs` (finite, at most
    /// `block_points()`), added to the sums; all-or-nothing.
    fn block<E: Trainable>(&mut self, energy: &E, xs: &[f32]) -> Result<(), Error> {
        let (d, m) = (self.d, self.cfg.negatives);
        let g = xs.len() / d;
        let n = g * (m + 1);
        // Columns 0..g: the data; g + i·m + j: negative j of point i.
        let mut soa = [[0f32; K]; D];
        let mut rng = self.rng.clone();
        let sd = crate::math::sqrt(self.cfg.t);
        let (mut xi, mut y) = ([0f32; D], [0f32; D]);
        for (i, x) in xs.chunks_exact(d).enumerate() {
            rng.fill_normal(&mut xi[..d]);
            for k in 0..d {
                soa[k][i] = x[k];
                y[k] = x[k] + sd * xi[k];
            }
            for j in 0..m {
                rng.fill_normal(&mut xi[..d]);
                let c = g + i * m + j;
                for k in 0..d {
                    soa[k][c] = y[k] + sd * xi[k];
                }
            }
        }
        let mut ev = Evals::<K, D>::new();
        energy.eval_batch(&soa, n, false, &mut ev);
        if let Some(c) = (0..n).find(|&c| ev.code[c] != 0) {
            return Err(Error::EnergyDeclined {
                walker: c,
                code: ev.code[c],
            });
        }
        let mut coef = [0f32; K];
        let mut s = [0f64; K];
        let (mut loss, mut u_data, mut u_neg, mut weight) = (0f64, 0f64, 0f64, 0f64);
        for i in 0..g {
            let neg = &ev.u[g + i * m..g + (i + 1) * m];
            let (l, total) = point_weights(ev.u[i], neg, self.cfg.w as f64, &mut s)
                .ok_or(Error::NotFinite("energy at a data point or a negative"))?;
            coef[i] = total as f32;
            for j in 0..m {
                coef[g + i * m + j] = -(s[j] as f32);
                u_neg += neg[j] as f64;
            }
            loss += l;
            u_data += ev.u[i] as f64;
            weight += total;
        }
        let gs = &mut self.scratch[..self.p];
        gs.fill(0.0);
        energy
            .accumulate_param_grad_batch(&soa, n, &coef, gs)
            .map_err(|(c, e)| eval_error(c, e, d))?;
        // A finite f32 block sum keeps the f64 sums finite (far below f64's
        // range): one check in f32, then one pass of f64 additions (soft-float
        // on a Cortex-M4F: a second pass would cost as much again).
        if !(all_finite(gs.iter().copied()) && loss.is_finite() && u_neg.is_finite()) {
            return Err(Error::NotFinite("loss or its parameter gradient"));
        }
        let sums = &mut self.sums;
        for (a, &b) in sums.grad[..self.p].iter_mut().zip(gs.iter()) {
            *a += b as f64;
        }
        sums.loss += loss;
        sums.u_data += u_data;
        sums.u_neg += u_neg;
        sums.weight += weight;
        sums.count += g;
        self.rng = rng;
        Ok(())
    }

    /// Runs one update on the points collected so far (at least one): the
    /// optimiser descends the mean gradient. A refusal keeps θ, the
    /// optimiser and the sums, and is counted.
    pub fn update<E: Trainable>(&mut self, energy: &mut E) -> Result<EdMetrics, Error> {
        self.check_energy(energy)?;
        if self.sums.count == 0 {
            return Err(Error::Empty);
        }
        let outcome = self.try_update(energy);
        let m = tally(
            outcome,
            &mut self.updates,
            &mut self.rejected,
            &mut self.last,
        )?;
        self.clear_batch();
        Ok(m)
    }

    fn try_update<E: Trainable>(&mut self, energy: &mut E) -> Result<EdMetrics, Error> {
        let p = self.p;
        energy.params(&mut self.theta[..p])?;
        let n = self.sums.count as f64;
        let g = &mut self.scratch[..p];
        for (gj, &sj) in g.iter_mut().zip(&self.sums.grad[..p]) {
            *gj = (sj / n) as f32;
        }
        let grad_norm = preview_step(&self.opt, &self.theta[..p], g, &mut self.next[..p])?;
        energy.set_params(&self.next[..p])?;
        let (theta, g) = (&mut self.theta[..p], &self.scratch[..p]);
        commit_step(energy, &mut self.opt, theta, g, |_| Ok(()))?;
        Ok(EdMetrics {
            loss: (self.sums.loss / n) as f32,
            data_energy: (self.sums.u_data / n) as f32,
            negative_energy: (self.sums.u_neg / (n * self.cfg.negatives as f64)) as f32,
            data_weight: (self.sums.weight / n) as f32,
            grad_norm,
            rejected: self.rejected,
            updates: self.updates,
        })
    }
}

impl<O: Optimizer, const K: usize, const D: usize, const P: usize> Collect for Ed<O, K, D, P> {
    type Metrics = EdMetrics;
    fn collected(&self) -> usize {
        self.sums.count
    }
    fn batch_size(&self) -> usize {
        self.cfg.batch_size
    }
    fn collect<E: Trainable>(&mut self, energy: &E, xs: &[f32]) -> Result<(), Error> {
        self.block(energy, xs)
    }
    fn update<E: Trainable>(&mut self, energy: &mut E) -> Result<EdMetrics, Error> {
        Ed::update(self, energy)
    }
}

impl<O, const K: usize, const D: usize, const P: usize> Ed<O, K, D, P> {
    trainer_accessors!(EdConfig, EdMetrics, sums);

    /// The dimension of the energy it was built for.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Drops the points collected since the last update (e.g. after
    /// changing θ by hand). The stream is not rewound.
    pub fn clear_batch(&mut self) {
        self.sums.grad.fill(0.0);
        self.sums.loss = 0.0;
        self.sums.u_data = 0.0;
        self.sums.u_neg = 0.0;
        self.sums.weight = 0.0;
        self.sums.count = 0;
    }

    /// The optimiser back.
    pub fn into_optimizer(self) -> O {
        self.opt
    }
}
