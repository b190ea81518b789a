//! Online training of an energy's parameters θ by contrastive divergence, in
//! fixed memory: [`Pcd`].
//!
//! The cross-entropy H(ρ*, ρθ) = E_data\[βU\] + log Zθ has gradient
//! ∂θH = β(E_data\[∂θU\] − E_θ\[∂θU\]) (review, eq. 109, where −D is this
//! quantity at β = 1). The trainer hands the optimiser
//!
//! G = mean_data ∂θU − Σᵢ pᵢ ∂θU(Xᵢ) + 2λ·(mean_data U∂θU + Σᵢ pᵢ Uᵢ∂θU(Xᵢ)),
//!
//! i.e. −D (errata 7) plus the θ-gradient of the optional energy
//! regulariser λ·(E_data\[U²\] + E_walkers\[U²\]) (Du & Mordatch 2019), and the
//! optimiser *descends* G. Stepping along +D is what lowers the energy of
//! data and raises that of walkers (review, eq. 111: θ̇ = E_θ\[∂θU\] −
//! E_*\[∂θU\]); the factor β is left to the learning rate. The walkers' weights
//! pᵢ are 1/n except in Jarzynski mode.
//!
//! **Positive phase.** Data arrive one point at a time ([`Pcd::push`]) or in
//! small groups ([`Pcd::push_batch`]); each point's ∂θU is accumulated at
//! once into a fixed buffer, so no batch is stored, only the last N points
//! (for CD restarts and re-initialisation). When `batch_size` points have
//! arrived, or on [`Pcd::update`], the update runs. The first 4096 points
//! of a batch are summed in f32; beyond that the batch keeps running means
//! instead, so a batch of any size has an accurate mean (a plain f32 sum of
//! 2²⁵ points of U = 0.5 stops at 2²³: a mean of 0.25).
//!
//! **One update k**, in three modes of the same code:
//!
//! 1. [`Mode::Cd`] only (review, Algorithm 1): walkers restart from the most
//!    recent data points and take K kernel steps under θ_k.
//! 2. Negative phase and G at θ_k; the optimiser proposes θ_{k+1}.
//! 3. [`Mode::Pcd`] and [`Mode::Jarzynski`] (Algorithm 2): optional
//!    re-initialisation of a few walkers (PCD), then K kernel steps under
//!    θ_k; in Jarzynski mode every step updates the log-weights
//!    (see [`crate::jarzynski`]).
//! 4. θ_{k+1} is installed in the energy and the walkers are evaluated there
//!    (the evaluation the next step needs anyway; in Jarzynski mode it also
//!    completes the weight update). Only when all of it is finite is the
//!    optimiser committed; Jarzynski mode then resamples if the ESS is low.
//!
//! **Refusals.** A non-finite gradient, parameter, walker energy or weight
//! refuses the update: the energy's θ, the optimiser state and the collected
//! batch are as before, the error is returned and counted
//! ([`Metrics::rejected`]). The walkers keep the kernel steps they took
//! under θ_k (valid moves of the unchanged model; in Jarzynski mode their
//! weights are updated for them as for an unchanged θ; a CD restart may have
//! moved some walkers to data points). Wrong sizes and bad data are refused
//! before anything changes, and are not counted.
//!
//! **Energy ownership.** The trainer owns the sampler and the optimiser; the
//! energy is passed to each call, and θ lives in the energy only (read with
//! [`Trainable::params`] at each update), so weights loaded into the energy
//! between updates are what training continues from. Change θ only between
//! updates, with an empty batch: points pushed before the change were
//! differentiated at the old θ.

use crate::energy::Trainable;
use crate::error::{Error, check_dim, check_size};
use crate::jarzynski::Weights;
use crate::optim::Optimizer;
use crate::rng::Stream;
use crate::sampler::{Langevin, NegativePhase, summed_steps};
use crate::train_step::{
    Collect, commit_step, preview_step, push_chunks, tally, trainer_accessors, update_if_full,
};
use crate::walkers::eval_error;

mod batch;
mod checkpoint;
mod config;

use batch::{Batch, Recent, commit_point};
pub use config::{Config, Metrics, Mode, Reinit};

/// Data points whose ∂θU [`Pcd::push_batch`] computes together: 64 where
/// the MLP has batched passes (a multiple of every lane count a build or
/// its runtime dispatch uses: 16, 32, 64), 1 on small targets, where
/// points go one at a time as through [`Pcd::push`]. Points are committed
/// one by one in order, so the chunk size never changes the bits.
pub const PUSH_CHUNK: usize = if crate::mlp::LANES > 1 { 64 } else { 1 };

/// A trainer for a [`Trainable`] energy with `n ≤ N` walkers in dimension
/// `d ≤ D` and up to `P` parameters, sampling its negative phase with `S`
/// (any [`NegativePhase`]: a [`crate::Sampler`] with any kernel, or
/// [`crate::ReplicaExchange`]) and stepping with optimiser `O`.
///
/// Everything is fixed-size: its footprint is `size_of::<Pcd<…>>()`.
///
/// Layout note for code that places trainers in raw memory (the C API):
/// besides `S` and `O`, every field is an integer, a float, a bool, a
/// random stream, a `repr(u8)` enum whose variant 0 has no fields
/// ([`Mode`], [`Reinit`]), or an array or plain struct of these, so all-zero
/// bytes are a valid (not yet usable) value whenever they are one for `S`
/// and `O` (e.g. [`crate::Sampler`] with a zero-valid kernel, and
/// [`crate::AnyOptimizer`]). Such storage is made ready in place with
/// [`crate::Sampler::reinit`] through [`Pcd::sampler_mut`], an `init_*` of
/// the walkers, an in-place optimiser constructor through
/// [`Pcd::optimizer_mut`] and [`Pcd::reinit`]: no trainer-sized temporary.
#[derive(Clone, Debug)]
pub struct Pcd<S, O, const N: usize, const D: usize, const P: usize> {
    sampler: S,
    opt: O,
    cfg: Config,
    /// Parameters and dimension of the energy it was built for.
    p: usize,
    d: usize,
    batch: Batch<P>,
    recent: Recent<N, D>,
    jar: Weights<N, D>,
    rng: Stream,
    updates: u64,
    rejected: u64,
    last: Metrics,
    /// Scratch: θ_k, θ_{k+1}, the gradient G (or one point's ∂θU).
    theta: [f32; P],
    theta_next: [f32; P],
    grad: [f32; P],
}

impl<S, O, const N: usize, const D: usize, const P: usize> PartialEq for Pcd<S, O, N, D, P>
where
    S: NegativePhase<N, D>,
    O: PartialEq,
{
    /// Compares the persistent state: walkers, optimiser, batch, recent
    /// data, weights, streams and counters (not scratch, not the last metrics).
    fn eq(&self, o: &Self) -> bool {
        self.sampler.samples() == o.sampler.samples()
            && self.opt == o.opt
            && self.cfg == o.cfg
            && (self.p, self.d) == (o.p, o.d)
            && self.batch == o.batch
            && self.recent == o.recent
            && self.jar == o.jar
            && self.rng == o.rng
            && (self.updates, self.rejected) == (o.updates, o.rejected)
    }
}

impl<S, O, const N: usize, const D: usize, const P: usize> Pcd<S, O, N, D, P>
where
    S: NegativePhase<N, D>,
    O: Optimizer,
{
    /// A trainer for `energy` (read for its sizes only) whose walkers are
    /// those of `sampler`, stepping with `optimizer` (built for
    /// `energy.num_params()` parameters).
    pub fn new<E: Trainable>(
        energy: &E,
        sampler: S,
        optimizer: O,
        config: Config,
    ) -> Result<Self, Error> {
        config.validate()?;
        let (p, d) = (energy.num_params(), energy.dim());
        check_size(p, P)?;
        check_size(d, D)?;
        check_dim(p, optimizer.len())?;
        let walkers = sampler.samples();
        if walkers.is_empty() {
            return Err(Error::Empty);
        }
        check_dim(d, walkers.dim())?;
        let t = Pcd {
            sampler,
            opt: optimizer,
            cfg: config,
            p,
            d,
            batch: Batch {
                grad: [0.0; P],
                u_sum: 0.0,
                count: 0,
            },
            recent: Recent {
                points: [[0.0; D]; N],
                next: 0,
                len: 0,
            },
            jar: Weights::new(),
            rng: Stream::new(config.seed, u64::MAX - 1),
            updates: 0,
            rejected: 0,
            last: Metrics::NONE,
            theta: [0.0; P],
            theta_next: [0.0; P],
            grad: [0.0; P],
        };
        t.langevin()?;
        Ok(t)
    }

    /// Makes this trainer equal to `Pcd::new(energy, sampler, optimizer,
    /// config)` built from its *current* sampler and optimiser, in place:
    /// no trainer-sized temporary, for trainers kept in static or
    /// caller-provided memory on small stacks. Re-initialise those two first
    /// if wanted, e.g. [`crate::Sampler::reinit`] and an `init_*` of its
    /// walkers through [`Pcd::sampler_mut`], and [`Optimizer::reset`] through
    /// [`Pcd::optimizer_mut`]. Batch, recent data, weights, stream, counters
    /// and metrics start afresh. Checked as [`Pcd::new`] checks; on error
    /// nothing changes.
    pub fn reinit<E: Trainable>(&mut self, energy: &E, config: Config) -> Result<(), Error> {
        config.validate()?;
        let (p, d) = (energy.num_params(), energy.dim());
        check_size(p, P)?;
        check_size(d, D)?;
        check_dim(p, self.opt.len())?;
        let walkers = self.sampler.samples();
        if walkers.is_empty() {
            return Err(Error::Empty);
        }
        check_dim(d, walkers.dim())?;
        if matches!(config.mode, Mode::Jarzynski { .. }) && self.sampler.langevin().is_none() {
            return Err(Error::InvalidConfig(
                "Jarzynski mode needs a sampler whose step is one ULA move",
            ));
        }
        self.cfg = config;
        (self.p, self.d) = (p, d);
        self.clear_batch();
        for row in self.recent.points.iter_mut() {
            row.fill(0.0);
        }
        self.recent.next = 0;
        self.recent.len = 0;
        self.jar.clear();
        self.rng = Stream::new(config.seed, u64::MAX - 1);
        self.updates = 0;
        self.rejected = 0;
        self.last = Metrics::NONE;
        self.theta.fill(0.0);
        self.theta_next.fill(0.0);
        self.grad.fill(0.0);
        Ok(())
    }

    /// Bytes taken by a trainer of this type (sampler, optimiser and buffers
    /// included; the energy is separate): everything is inline, no heap.
    pub const fn footprint() -> usize {
        core::mem::size_of::<Self>()
    }

    /// In Jarzynski mode, the ULA move of the sampler (refused otherwise).
    fn langevin(&self) -> Result<Option<Langevin>, Error> {
        match self.cfg.mode {
            Mode::Jarzynski { .. } => {
                self.sampler
                    .langevin()
                    .map(Some)
                    .ok_or(Error::InvalidConfig(
                        "Jarzynski mode needs a sampler whose step is one ULA move",
                    ))
            }
            Mode::Pcd | Mode::Cd => Ok(None),
        }
    }

    fn check_energy<E: Trainable>(&self, energy: &E) -> Result<(), Error> {
        check_dim(self.p, energy.num_params())?;
        check_dim(self.d, energy.dim())?;
        check_dim(self.d, self.sampler.samples().dim())
    }

    /// Adds one data point to the batch; when the batch is full, runs
    /// [`Pcd::update`] and returns its metrics.
    ///
    /// A point of the wrong length, not finite, or where U or ∂θU is not
    /// finite is refused and nothing changes (an energy that declines at the
    /// point gives [`Error::EnergyDeclined`] with `walker` 0). If the update
    /// then runs and is refused, its error is returned and the point stays in
    /// the batch (the next push or [`Pcd::update`] tries again).
    pub fn push<E: Trainable>(
        &mut self,
        energy: &mut E,
        x: &[f32],
    ) -> Result<Option<Metrics>, Error> {
        self.check_energy(energy)?;
        self.accumulate(energy, x)?;
        update_if_full(self, energy)
    }

    /// [`Pcd::push`] for each point of `xs` (walker-major, a multiple of d
    /// values), returning the metrics of the last update that ran. Lengths and
    /// finiteness of all points are checked first (refused: nothing changes);
    /// a later error stops at that point, with the points before it pushed.
    ///
    /// Same result, bit for bit, as pushing the points one at a time, but
    /// faster: up to [`PUSH_CHUNK`] points at a time (never across the end of
    /// a batch) go through the energy's batched θ-gradient
    /// ([`Trainable::param_grad_each`]).
    pub fn push_batch<E: Trainable>(
        &mut self,
        energy: &mut E,
        xs: &[f32],
    ) -> Result<Option<Metrics>, Error> {
        self.check_energy(energy)?;
        if xs.len() % self.d != 0 {
            return Err(Error::DimensionMismatch {
                expected: self.d * (xs.len() / self.d + 1),
                found: xs.len(),
            });
        }
        if !xs.iter().all(|v| v.is_finite()) {
            return Err(Error::NotFinite("data point"));
        }
        // Chunks of up to PUSH_CHUNK points that end where the batch fills
        // (the update changes θ): each chunk's ∂θU are computed together
        // (Trainable::param_grad_each) and committed point by point, with the
        // bits and the all-or-nothing checks of Pcd::push.
        let d = self.d;
        push_chunks(self, energy, xs, d, PUSH_CHUNK)
    }

    /// Adds x's ∂θU (at the current θ) to the batch; all-or-nothing.
    fn accumulate<E: Trainable>(&mut self, energy: &E, x: &[f32]) -> Result<(), Error> {
        check_dim(self.d, x.len())?;
        if !x.iter().all(|v| v.is_finite()) {
            return Err(Error::NotFinite("data point"));
        }
        let g = &mut self.grad[..self.p];
        g.fill(0.0);
        let u = energy
            .accumulate_param_grad(x, 1.0, g)
            .map_err(|e| eval_error(0, e, self.d))?;
        let l2 = self.cfg.energy_l2;
        commit_point(&mut self.batch, &mut self.recent, l2, u, g, x)
    }

    /// [`Pcd::accumulate`] for each point of `xs` (walker-major, finite, at
    /// most [`PUSH_CHUNK`] points), stopping at the first refused point.
    fn accumulate_chunk<E: Trainable>(&mut self, energy: &E, xs: &[f32]) -> Result<(), Error> {
        let d = self.d;
        let mut soa = [[0f32; PUSH_CHUNK]; D];
        for (w, x) in xs.chunks_exact(d).take(PUSH_CHUNK).enumerate() {
            for (row, &v) in soa.iter_mut().zip(x) {
                row[w] = v;
            }
        }
        let m = (xs.len() / d).min(PUSH_CHUNK);
        let (batch, recent, l2) = (&mut self.batch, &mut self.recent, self.cfg.energy_l2);
        let mut res = Ok(());
        energy
            .param_grad_each(&soa, m, &mut self.grad[..self.p], |w, u, g| {
                res = commit_point(batch, recent, l2, u, g, &xs[w * d..(w + 1) * d]);
                res.is_ok()
            })
            .map_err(|(_, e)| eval_error(0, e, d))?;
        res
    }

    /// Runs one update on the batch collected so far (at least one point).
    /// See the module documentation for the steps and for what a refusal
    /// keeps; a refusal is counted in [`Metrics::rejected`].
    pub fn update<E: Trainable>(&mut self, energy: &mut E) -> Result<Metrics, Error> {
        self.check_energy(energy)?;
        if self.batch.count == 0 {
            return Err(Error::Empty);
        }
        let lv = self.langevin()?;
        energy.params(&mut self.theta[..self.p])?;
        let outcome = self.try_update(energy, lv);
        let m = tally(
            outcome,
            &mut self.updates,
            &mut self.rejected,
            &mut self.last,
        )?;
        self.clear_batch();
        Ok(m)
    }

    fn try_update<E: Trainable>(
        &mut self,
        energy: &mut E,
        lv: Option<Langevin>,
    ) -> Result<Metrics, Error> {
        let (n, p, k) = (self.sampler.samples().len(), self.p, self.cfg.steps);
        let mut acceptance = f32::NAN;
        if self.cfg.mode == Mode::Cd {
            self.restart_from_data(energy)?;
            acceptance = self.sampler.advance(energy, k)?.mean_accept_prob;
        }
        self.sampler.samples_mut().refresh(energy, true)?;

        // Negative phase at θ_k.
        let mut pw = [0f32; N];
        let (ess, log_z) = if lv.is_some() {
            self.jar.normalise(n, &mut pw)
        } else {
            pw[..n].fill(1.0 / n as f32);
            (n as f32, f32::NAN)
        };
        let walkers = self.sampler.samples();
        let u = walkers.energies();
        let lambda2 = 2.0 * self.cfg.energy_l2;
        let mut coef = [0f32; N];
        let mut walker_energy = 0f32;
        for w in 0..n {
            walker_energy += pw[w] * u[w];
            coef[w] = pw[w] * (lambda2 * u[w] - 1.0);
        }
        // 1/count (bit for bit as before for batches of up to SUM_LIMIT
        // points), 1 for larger batches, which hold means (batch.rs).
        let inv = self.batch.to_mean();
        let g = &mut self.grad[..p];
        for (gj, sj) in g.iter_mut().zip(&self.batch.grad[..p]) {
            *gj = sj * inv;
        }
        energy
            .accumulate_param_grad_batch(walkers.positions_soa(), n, &coef, g)
            .map_err(|(w, e)| eval_error(w, e, self.d))?;
        let grad_norm = preview_step(&self.opt, &self.theta[..p], g, &mut self.theta_next[..p])?;

        if self.cfg.mode != Mode::Cd {
            self.reinit_walkers(energy);
            acceptance = match lv {
                Some(_) => self.weighted_moves(energy, k)?,
                None => self.sampler.advance(energy, k)?.mean_accept_prob,
            };
        }

        // θ_{k+1}: install, evaluate the walkers there, then commit.
        energy.set_params(&self.theta_next[..p])?;
        self.sampler.invalidate();
        let mut log_w = [0f32; N];
        let (sampler, jar) = (&mut self.sampler, &mut self.jar);
        let (theta, g) = (&mut self.theta[..p], &self.grad[..p]);
        let committed = commit_step(energy, &mut self.opt, theta, g, |energy| {
            sampler.samples_mut().refresh(energy, true)?;
            match lv {
                Some(_) => jar.retarget(sampler.samples(), &mut log_w),
                None => Ok(()),
            }
        });
        if let Err(e) = committed {
            self.sampler.invalidate();
            return Err(e);
        }
        let mut resampled = false;
        if let Mode::Jarzynski { ess_threshold } = self.cfg.mode {
            self.jar.log_w[..n].copy_from_slice(&log_w[..n]);
            resampled =
                self.jar
                    .maybe_resample(self.sampler.samples_mut(), ess_threshold, &mut self.rng);
        }

        let data_energy = self.batch.u_sum * inv;
        let beta = lv.map_or(1.0, |l| l.beta);
        Ok(Metrics {
            data_energy,
            walker_energy,
            gap: walker_energy - data_energy,
            acceptance,
            ess,
            log_z,
            cross_entropy: beta * data_energy + log_z,
            grad_norm,
            resampled,
            rejected: self.rejected,
            updates: self.updates,
        })
    }

    /// CD: walker w restarts at the w-th most recent data point (cycling
    /// when fewer points than walkers have arrived).
    fn restart_from_data<E: Trainable>(&mut self, energy: &E) -> Result<(), Error> {
        let walkers = self.sampler.samples_mut();
        for w in 0..walkers.len() {
            let x = self.recent.get(w);
            walkers.set_position(energy, w, &x[..self.d])?;
        }
        Ok(())
    }

    /// PCD: each walker restarts with probability `prob`, decided and drawn
    /// from its own stream. A target where U is not finite is skipped.
    fn reinit_walkers<E: Trainable>(&mut self, energy: &E) {
        let prob = match self.cfg.reinit {
            Reinit::Never => return,
            Reinit::Data { prob } | Reinit::Gaussian { prob, .. } => prob,
        };
        let walkers = self.sampler.samples_mut();
        let d = self.d;
        for w in 0..walkers.len() {
            let Some(s) = walkers.stream_mut(w) else {
                break;
            };
            if s.uniform() >= prob {
                continue;
            }
            let mut x = [0f32; D];
            match self.cfg.reinit {
                Reinit::Gaussian { sd, .. } => {
                    s.fill_normal(&mut x[..d]);
                    x[..d].iter_mut().for_each(|v| *v *= sd);
                }
                _ => {
                    x = *self
                        .recent
                        .get(s.below(self.recent.len.max(1) as u32) as usize)
                }
            }
            walkers.set_position(energy, w, &x[..d]).ok();
        }
    }

    /// Jarzynski: K ULA steps under θ_k, one at a time, each completing the
    /// log-weights for an unchanged θ. Returns the mean acceptance (1).
    fn weighted_moves<E: Trainable>(&mut self, energy: &E, k: usize) -> Result<f32, Error> {
        let total = summed_steps(k, || {
            let lv = self.langevin()?.ok_or(Error::InvalidConfig(
                "Jarzynski mode needs a sampler whose step is one ULA move",
            ))?;
            self.sampler.samples_mut().refresh(energy, true)?;
            self.jar.before_move(self.sampler.samples());
            let s = self.sampler.advance(energy, 1)?;
            self.jar.after_move(self.sampler.samples(), lv);
            Ok(s)
        })?;
        Ok(total.mean_accept_prob)
    }

    /// The sampler of the negative phase.
    pub fn sampler(&self) -> &S {
        &self.sampler
    }

    /// The sampler, mutably (e.g. to re-draw walkers; in Jarzynski mode call
    /// [`Pcd::reset_weights`] after drawing them from the current model).
    pub fn sampler_mut(&mut self) -> &mut S {
        &mut self.sampler
    }

    trainer_accessors!(Config, Metrics, batch);

    /// Drops the data collected since the last update (e.g. after changing
    /// θ by hand).
    pub fn clear_batch(&mut self) {
        self.batch.grad.fill(0.0);
        self.batch.u_sum = 0.0;
        self.batch.count = 0;
    }

    /// The walkers' log-weights Aᵢ (all 0 outside Jarzynski mode).
    pub fn log_weights(&self) -> &[f32] {
        &self.jar.log_w[..self.sampler.samples().len()]
    }

    /// Normalised walker weights into `out[..n]` (1/n outside Jarzynski mode).
    pub fn weights(&self, out: &mut [f32]) -> Result<(), Error> {
        let n = self.sampler.samples().len();
        if out.len() < n {
            return Err(Error::CapacityExceeded {
                requested: n,
                capacity: out.len(),
            });
        }
        let mut p = [0f32; N];
        self.jar.normalise(n, &mut p);
        out[..n].copy_from_slice(&p[..n]);
        Ok(())
    }

    /// Current estimate of log Z_θ − log Z_θ₀ (Jarzynski; NaN otherwise).
    pub fn log_z(&self) -> f32 {
        match self.cfg.mode {
            Mode::Jarzynski { .. } => {
                let mut p = [0f32; N];
                self.jar.normalise(self.sampler.samples().len(), &mut p).1
            }
            Mode::Pcd | Mode::Cd => f32::NAN,
        }
    }

    /// Resamplings so far (Jarzynski).
    pub fn resamplings(&self) -> u64 {
        self.jar.resamplings
    }

    /// Sets every log-weight to 0 and the log Z reference to 0: the walkers
    /// are now taken as draws from the current model, which becomes θ₀.
    pub fn reset_weights(&mut self) {
        self.jar.reset();
    }

    /// The sampler and the optimiser back.
    pub fn into_parts(self) -> (S, O) {
        (self.sampler, self.opt)
    }
}

impl<S, O, const N: usize, const D: usize, const P: usize> Collect for Pcd<S, O, N, D, P>
where
    S: NegativePhase<N, D>,
    O: Optimizer,
{
    type Metrics = Metrics;
    fn collected(&self) -> usize {
        self.batch.count
    }
    fn batch_size(&self) -> usize {
        self.cfg.batch_size
    }
    fn collect<E: Trainable>(&mut self, energy: &E, xs: &[f32]) -> Result<(), Error> {
        self.accumulate_chunk(energy, xs)
    }
    fn update<E: Trainable>(&mut self, energy: &mut E) -> Result<Metrics, Error> {
        Pcd::update(self, energy)
    }
}
