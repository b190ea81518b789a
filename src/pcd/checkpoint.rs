//! Trainer checkpoints: the model's parameters, the configuration, the
//! batch being collected, the recent data, the Jarzynski weights, the
//! trainer's stream and counters, the optimiser and the negative-phase
//! sampler, and caller-chosen extras (an [`crate::Ema`], a
//! [`crate::Best`], an [`crate::LrSchedule`]).

use super::{Config, Metrics, Mode, Pcd, Reinit};
use crate::checkpoint::{
    CheckpointKind, Dec, Enc, STREAM_LEN, State, corrupt, frame_len, restore_frame, save_frame,
};
use crate::energy::Trainable;
use crate::error::Error;
use crate::optim::Optimizer;
use crate::sampler::NegativePhase;

const CONFIG_LEN: usize = 34;
const METRICS_LEN: usize = 49;

fn save_config(c: &Config, e: &mut Enc<'_>) {
    match c.mode {
        Mode::Pcd => (e.u8(0), e.f32(0.0)),
        Mode::Cd => (e.u8(1), e.f32(0.0)),
        Mode::Jarzynski { ess_threshold } => (e.u8(2), e.f32(ess_threshold)),
    };
    e.usize(c.batch_size);
    e.usize(c.steps);
    e.f32(c.energy_l2);
    let (tag, prob, sd) = match c.reinit {
        Reinit::Never => (0, 0.0, 0.0),
        Reinit::Data { prob } => (1, prob, 0.0),
        Reinit::Gaussian { prob, sd } => (2, prob, sd),
    };
    e.u8(tag);
    e.f32(prob);
    e.f32(sd);
    e.u64(c.seed);
}

fn load_config(r: &mut Dec<'_>) -> Result<Config, Error> {
    let tag = r.u8()?;
    let ess = r.f32()?;
    // Unused values must be 0: one configuration, one encoding.
    let unused = |v: f32| v.to_bits() == 0;
    let mode = match tag {
        0 if unused(ess) => Mode::Pcd,
        1 if unused(ess) => Mode::Cd,
        2 => Mode::Jarzynski { ess_threshold: ess },
        _ => return Err(corrupt("unknown training mode")),
    };
    let batch_size = r.usize_max(usize::MAX)?;
    let steps = r.usize_max(usize::MAX)?;
    let energy_l2 = r.f32()?;
    let tag = r.u8()?;
    let prob = r.f32()?;
    let sd = r.f32()?;
    let reinit = match tag {
        0 if unused(prob) && unused(sd) => Reinit::Never,
        1 if unused(sd) => Reinit::Data { prob },
        2 => Reinit::Gaussian { prob, sd },
        _ => return Err(corrupt("unknown re-initialisation")),
    };
    let c = Config {
        mode,
        batch_size,
        steps,
        energy_l2,
        reinit,
        seed: r.u64()?,
    };
    c.validate()?;
    Ok(c)
}

fn save_metrics(m: &Metrics, e: &mut Enc<'_>) {
    e.f32s(&[
        m.data_energy,
        m.walker_energy,
        m.gap,
        m.acceptance,
        m.ess,
        m.log_z,
        m.cross_entropy,
        m.grad_norm,
    ]);
    e.bool(m.resampled);
    e.u64(m.rejected);
    e.u64(m.updates);
}

fn load_metrics(r: &mut Dec<'_>) -> Result<Metrics, Error> {
    let mut v = [0f32; 8];
    r.local(|r| r.f32s(&mut v, false))?;
    Ok(Metrics {
        data_energy: v[0],
        walker_energy: v[1],
        gap: v[2],
        acceptance: v[3],
        ess: v[4],
        log_z: v[5],
        cross_entropy: v[6],
        grad_norm: v[7],
        resampled: r.bool()?,
        rejected: r.u64()?,
        updates: r.u64()?,
    })
}

impl<S, O, const N: usize, const D: usize, const P: usize> Pcd<S, O, N, D, P>
where
    S: NegativePhase<N, D> + State,
    O: Optimizer + State,
{
    const BODY_LEN: usize = 8
        + 4 * P
        + CONFIG_LEN
        + (4 * P + 8)
        + (4 * N * D + 8)
        + (4 * N + 12)
        + STREAM_LEN
        + 16
        + METRICS_LEN
        + O::STATE_LEN
        + S::STATE_LEN;

    /// Bytes [`Pcd::save_checkpoint`] writes: a constant of N, D, P and the
    /// sampler's and optimiser's types.
    pub const CHECKPOINT_SIZE: usize = frame_len(4, Self::BODY_LEN);

    /// Bytes [`Pcd::save_checkpoint_with`] writes with extras of type `X`.
    pub const fn checkpoint_size_with<X: State>() -> usize {
        frame_len(4, Self::BODY_LEN + X::STATE_LEN)
    }

    /// [`Pcd::CHECKPOINT_SIZE`], as a method.
    pub const fn checkpoint_size(&self) -> usize {
        Self::CHECKPOINT_SIZE
    }

    /// [`Pcd::save_checkpoint_with`] without extras.
    pub fn save_checkpoint<E: Trainable>(
        &self,
        energy: &E,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.save_checkpoint_with(energy, &(), out)
    }

    /// Writes the trainer's whole state, `energy`'s parameters θ (the
    /// energy the trainer trains) and `extra` (e.g. an
    /// [`Ema`](crate::Ema), or a tuple `(ema, best, schedule)`) into
    /// `out[..checkpoint_size_with::<X>()]`, and returns that length. The
    /// capacities recorded are N, D, P and the length of the extras, so a
    /// file is restored only with extras of the same types. θ is read into
    /// a P-float stack buffer. Errors: a short buffer
    /// ([`Error::CapacityExceeded`]), an energy of other sizes
    /// ([`Error::DimensionMismatch`]); nothing is written then.
    pub fn save_checkpoint_with<E: Trainable, X: State>(
        &self,
        energy: &E,
        extra: &X,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.check_energy(energy)?;
        let mut theta = [0f32; P];
        energy.params(&mut theta[..self.p])?;
        save_frame(
            out,
            CheckpointKind::Trainer,
            &[N, D, P, X::STATE_LEN],
            Self::BODY_LEN + X::STATE_LEN,
            |e| {
                e.usize(self.p);
                e.usize(self.d);
                e.f32s(&theta);
                save_config(&self.cfg, e);
                e.f32s(&self.batch.grad);
                e.f32(self.batch.u_sum);
                e.usize(self.batch.count);
                for row in &self.recent.points {
                    e.f32s(row);
                }
                e.usize(self.recent.next);
                e.usize(self.recent.len);
                e.f32s(&self.jar.log_w);
                e.f32(self.jar.log_z_ref);
                e.u64(self.jar.resamplings);
                e.stream(&self.rng);
                e.u64(self.updates);
                e.u64(self.rejected);
                save_metrics(&self.last, e);
                self.opt.save_state(e);
                self.sampler.save_state(e);
                extra.save_state(e);
            },
        )
    }

    /// [`Pcd::restore_checkpoint_with`] without extras.
    pub fn restore_checkpoint<E: Trainable>(
        &mut self,
        energy: &mut E,
        bytes: &[u8],
    ) -> Result<(), Error> {
        self.restore_checkpoint_with(energy, &mut (), bytes)
    }

    /// Replaces the trainer's whole state, `energy`'s parameters and
    /// `extra` by a checkpoint's. `energy` must be a model of the
    /// checkpointed one's type and sizes (its structure is not in the
    /// file). Every field is checked first; then θ is installed
    /// ([`Trainable::set_params`], which may still refuse a value, e.g. a
    /// Gaussian precision that is not positive definite: an error with
    /// nothing changed), then the rest. On any error the trainer, the
    /// energy and `extra` are unchanged (the trainer's θ scratch excepted).
    pub fn restore_checkpoint_with<E: Trainable, X: State>(
        &mut self,
        energy: &mut E,
        extra: &mut X,
        bytes: &[u8],
    ) -> Result<(), Error> {
        restore_frame(
            bytes,
            CheckpointKind::Trainer,
            &[N, D, P, X::STATE_LEN],
            Self::BODY_LEN + X::STATE_LEN,
            |r| {
                let p = r.usize_max(P)?;
                let d = r.usize_max(D)?;
                if p != energy.num_params() {
                    return Err(Error::DimensionMismatch {
                        expected: energy.num_params(),
                        found: p,
                    });
                }
                if d != energy.dim() {
                    return Err(Error::DimensionMismatch {
                        expected: energy.dim(),
                        found: d,
                    });
                }
                // θ: checked in the first pass, installed first in the second.
                {
                    let (live, rest) = self.theta_next.split_at_mut(p);
                    r.local(|r| r.f32s(live, true))?;
                    r.local(|r| r.f32s(rest, false))?;
                }
                if r.apply {
                    energy.set_params(&self.theta_next[..p])?;
                }
                let cfg = load_config(r)?;
                r.f32s(&mut self.batch.grad, true)?;
                r.set(&mut self.batch.u_sum, |r| r.f32())?;
                r.set(&mut self.batch.count, |r| r.usize_max(usize::MAX))?;
                for row in &mut self.recent.points {
                    r.f32s(row, false)?;
                }
                let next = r.usize_max(N.saturating_sub(1))?;
                let len = r.usize_max(N)?;
                r.set(&mut self.recent.next, |_| Ok(next))?;
                r.set(&mut self.recent.len, |_| Ok(len))?;
                r.f32s(&mut self.jar.log_w, false)?;
                r.set(&mut self.jar.log_z_ref, |r| r.f32())?;
                r.set(&mut self.jar.resamplings, |r| r.u64())?;
                r.set(&mut self.rng, |r| r.stream())?;
                r.set(&mut self.updates, |r| r.u64())?;
                r.set(&mut self.rejected, |r| r.u64())?;
                let last = load_metrics(r)?;
                // The optimiser sections open with a kind byte and n.
                if usize::try_from(r.peek_u32_at(1)?).ok() != Some(p) {
                    return Err(corrupt("optimiser size differs from the parameter count"));
                }
                self.opt.load_state(r)?;
                self.sampler.load_state(r)?;
                extra.load_state(r)?;
                if r.apply {
                    self.cfg = cfg;
                    (self.p, self.d) = (p, d);
                    self.last = last;
                }
                Ok(())
            },
        )
    }
}
