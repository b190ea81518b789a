//! What the two parameter trainers ([`crate::Pcd`] and [`crate::Ed`]) share:
//! the optimiser step with its checks and roll-back, the update/refusal
//! counters, and the accessors over them.

use crate::energy::{Trainable, all_finite};
use crate::error::Error;
use crate::optim::{Optimizer, global_norm};

/// Metrics that carry the trainer's update and refusal counts.
pub(crate) trait Counted {
    /// Sets both counts (after a successful update).
    fn set_counts(&mut self, updates: u64, rejected: u64);
    /// Sets the refusal count (after a refused update).
    fn set_rejected(&mut self, rejected: u64);
}

/// Checks the descent direction `g` (the optimiser's gradient) is finite and
/// writes the optimiser's proposal θ_{k+1} for `theta` into `next`, changing
/// nothing else. Returns ‖g‖.
pub(crate) fn preview_step<O: Optimizer>(
    opt: &O,
    theta: &[f32],
    g: &[f32],
    next: &mut [f32],
) -> Result<f32, Error> {
    if !all_finite(g.iter().copied()) {
        return Err(Error::NotFinite("gradient"));
    }
    let grad_norm = global_norm(g);
    opt.preview(theta, g, next)?;
    Ok(grad_norm)
}

/// With θ_{k+1} already installed in `energy`: runs `check` there, then
/// commits the optimiser's step of `theta` (θ_k) along `g`. If either fails,
/// θ_k is put back into the energy and the error returned.
pub(crate) fn commit_step<E: Trainable, O: Optimizer>(
    energy: &mut E,
    opt: &mut O,
    theta: &mut [f32],
    g: &[f32],
    check: impl FnOnce(&mut E) -> Result<(), Error>,
) -> Result<(), Error> {
    let committed = check(energy).and_then(|()| opt.step(theta, g));
    if committed.is_err() {
        // θ_k was accepted by the model before, so this cannot fail.
        energy.set_params(theta).ok();
    }
    committed
}

/// Counts the outcome of an update: a success increments `updates`, stamps
/// both counts into its metrics and keeps them as `last`; a refusal
/// increments `rejected` and stamps it into `last`.
pub(crate) fn tally<M: Counted + Copy>(
    outcome: Result<M, Error>,
    updates: &mut u64,
    rejected: &mut u64,
    last: &mut M,
) -> Result<M, Error> {
    match outcome {
        Ok(mut m) => {
            *updates += 1;
            m.set_counts(*updates, *rejected);
            *last = m;
            Ok(m)
        }
        Err(e) => {
            *rejected += 1;
            last.set_rejected(*rejected);
            Err(e)
        }
    }
}

/// A trainer that collects data points toward a batch and updates when the
/// batch is full.
pub(crate) trait Collect {
    /// What an update returns.
    type Metrics;
    /// Points collected since the last update.
    fn collected(&self) -> usize;
    /// Points per update.
    fn batch_size(&self) -> usize;
    /// Adds the points `xs` (finite, whole points, at most the chunk size
    /// [`push_chunks`] was given); all-or-nothing per point.
    fn collect<E: Trainable>(&mut self, energy: &E, xs: &[f32]) -> Result<(), Error>;
    /// Runs one update on the points collected.
    fn update<E: Trainable>(&mut self, energy: &mut E) -> Result<Self::Metrics, Error>;
}

/// Runs the update of `t` when its batch is full; its metrics then.
pub(crate) fn update_if_full<T: Collect, E: Trainable>(
    t: &mut T,
    energy: &mut E,
) -> Result<Option<T::Metrics>, Error> {
    if t.collected() >= t.batch_size() {
        t.update(energy).map(Some)
    } else {
        Ok(None)
    }
}

/// Collects the points of `xs` (d values each, checked) in chunks of up to
/// `chunk` points that never cross the end of a batch, updating whenever the
/// batch fills; the metrics of the last update that ran. Stops at the first
/// error, with the chunks before it collected.
pub(crate) fn push_chunks<T: Collect, E: Trainable>(
    t: &mut T,
    energy: &mut E,
    xs: &[f32],
    d: usize,
    chunk: usize,
) -> Result<Option<T::Metrics>, Error> {
    let mut last = None;
    let mut rest = xs;
    while !rest.is_empty() {
        let room = t.batch_size().saturating_sub(t.collected()).max(1);
        let take = (rest.len() / d).min(room).min(chunk);
        let (points, tail) = rest.split_at(take * d);
        t.collect(energy, points)?;
        rest = tail;
        if let Some(m) = update_if_full(t, energy)? {
            last = Some(m);
        }
    }
    Ok(last)
}

/// Implements [`Counted`] for metrics with `updates` and `rejected` fields.
macro_rules! impl_counted {
    ($metrics:ty) => {
        impl $crate::train_step::Counted for $metrics {
            fn set_counts(&mut self, updates: u64, rejected: u64) {
                self.updates = updates;
                self.rejected = rejected;
            }
            fn set_rejected(&mut self, rejected: u64) {
                self.rejected = rejected;
            }
        }
    };
}

/// The accessors both trainers have, over their fields `opt`, `cfg`, `last`,
/// `updates`, `rejected` and the batch field named (with a `count`).
macro_rules! trainer_accessors {
    ($config:ty, $metrics:ty, $batch:ident) => {
        /// The optimiser.
        pub fn optimizer(&self) -> &O {
            &self.opt
        }

        /// The optimiser, mutably (e.g. a learning-rate schedule).
        pub fn optimizer_mut(&mut self) -> &mut O {
            &mut self.opt
        }

        /// The configuration.
        pub fn config(&self) -> &$config {
            &self.cfg
        }

        /// Metrics of the last successful update, with the current refusal
        /// count (NaN before the first update).
        pub fn metrics(&self) -> $metrics {
            self.last
        }

        /// Updates done.
        pub fn updates(&self) -> u64 {
            self.updates
        }

        /// Updates refused.
        pub fn rejected(&self) -> u64 {
            self.rejected
        }

        /// Data points collected since the last update.
        pub fn batch_len(&self) -> usize {
            self.$batch.count
        }
    };
}

pub(crate) use {impl_counted, trainer_accessors};
