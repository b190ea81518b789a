//! Replica-exchange checkpoints: every replica's walkers, kernel and
//! adaptation, the ladder, the swap stream, sweeps and swap statistics.

use super::sampler::{
    Adaptation, KernelRecord, KernelState, load_walkers, save_walkers, walkers_len,
};
use super::{
    CheckpointKind, Dec, Enc, STREAM_LEN, State, corrupt, frame_len, restore_frame, save_frame,
};
use crate::error::Error;
use crate::kernel::StepSummary;
use crate::kernels::KernelKind;
use crate::tempering::{ReplicaExchange, SwapStats, check_ladder};

impl<K: KernelState, const R: usize, const N: usize, const D: usize> ReplicaExchange<K, R, N, D> {
    const BODY_LEN: usize = 4
        + 4 * R
        + R * (Adaptation::<D>::LEN + walkers_len(N, D))
        + STREAM_LEN
        + 8
        + 16 * R
        + 16 * R;

    /// Bytes [`ReplicaExchange::save_checkpoint`] writes (a constant of R,
    /// N and D).
    pub const CHECKPOINT_SIZE: usize = frame_len(3, Self::BODY_LEN);

    /// [`ReplicaExchange::CHECKPOINT_SIZE`], as a method.
    pub const fn checkpoint_size(&self) -> usize {
        Self::CHECKPOINT_SIZE
    }

    /// Writes the whole state into `out[..CHECKPOINT_SIZE]`: the replica
    /// count and ladder, then per replica slot (all R) its [`Adaptation`]
    /// section and walkers, the swap decisions' stream, the sweep count,
    /// the swap statistics and the last step summaries. The energy is not
    /// saved. A short buffer is [`Error::CapacityExceeded`], nothing
    /// written.
    pub fn save_checkpoint(&self, out: &mut [u8]) -> Result<usize, Error> {
        for k in &self.kernels {
            k.to_record::<D>()?;
        }
        save_frame(
            out,
            CheckpointKind::Tempering,
            &[R, N, D],
            Self::BODY_LEN,
            |e| self.save_state(e),
        )
    }

    /// Replaces the whole state by a checkpoint's (see
    /// [`crate::checkpoint`] for the checks); on any error nothing changes.
    pub fn restore_checkpoint(&mut self, bytes: &[u8]) -> Result<(), Error> {
        restore_frame(
            bytes,
            CheckpointKind::Tempering,
            &[R, N, D],
            Self::BODY_LEN,
            |r| self.load_state(r),
        )
    }
}

impl<K: KernelState, const R: usize, const N: usize, const D: usize> State
    for ReplicaExchange<K, R, N, D>
{
    const STATE_LEN: usize = Self::BODY_LEN;

    fn save_state(&self, e: &mut Enc<'_>) {
        e.usize(self.count);
        e.f32s(&self.betas);
        for k in 0..R {
            let a = Adaptation {
                kernel: self.kernels[k].to_record::<D>().unwrap_or(KernelRecord {
                    kind: u32::MAX,
                    ..KernelRecord::new(KernelKind::Ula, 0.0)
                }),
                adapting: self.adapting[k],
                dual_averaging: self.adapt[k],
            };
            a.save(e);
            save_walkers(&self.replicas[k], e);
        }
        e.stream(&self.swap_rng);
        e.u64(self.sweeps);
        for s in &self.swaps {
            e.u64(s.attempted);
            e.u64(s.accepted);
        }
        for s in &self.last {
            e.usize(s.accepted);
            e.usize(s.proposed);
            e.f32(s.mean_accept_prob);
            e.usize(s.invalid);
        }
    }

    fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error> {
        let count = r.usize_max(R)?;
        if count == 0 {
            return Err(corrupt("replica count"));
        }
        let mut betas = [0f32; R];
        r.local(|r| r.f32s(&mut betas, false))?;
        check_ladder(&betas[..count], R)?;
        for k in 0..R {
            let a = Adaptation::<D>::load(r)?;
            let kernel = K::from_record(&a.kernel)?;
            load_walkers(&mut self.replicas[k], r)?;
            if r.apply {
                self.kernels[k] = kernel;
                self.adapting[k] = a.adapting;
                self.adapt[k] = a.dual_averaging;
            }
        }
        r.set(&mut self.swap_rng, |r| r.stream())?;
        r.set(&mut self.sweeps, |r| r.u64())?;
        for s in &mut self.swaps {
            let v = SwapStats {
                attempted: r.u64()?,
                accepted: r.u64()?,
            };
            r.set(s, |_| Ok(v))?;
        }
        for s in &mut self.last {
            let v = StepSummary {
                accepted: r.usize_max(usize::MAX)?,
                proposed: r.usize_max(usize::MAX)?,
                mean_accept_prob: r.f32()?,
                invalid: r.usize_max(usize::MAX)?,
            };
            r.set(s, |_| Ok(v))?;
        }
        if r.apply {
            self.count = count;
            self.betas = betas;
        }
        Ok(())
    }
}
