//! Checkpoints from C: the whole state of a sampler, a replica exchange or
//! a trainer in the core's portable checkpoint format (`ebm::checkpoint`),
//! saved into caller memory and restored all-or-nothing. The bytes are
//! those of the Rust API, so a checkpoint moves between C and Rust and
//! between targets built with the same capacities (`TEBM_MAX_*`).

use core::cmp::min;

use ebm::Error;

use crate::energy::Model;
use crate::energy::{EnergyKey, TebmEnergyKind, energy_ref, trainable_mut};
use crate::handle::{Handle, check_null, object_mut, object_ref, tri, write_optional};
use crate::status::TebmStatus;
use crate::{TebmEnergy, TebmSampler, TebmTempering, TebmTrainer};

/// Bytes as a slice (`n` may be 0: then no pointer is read).
///
/// # Safety
/// `p` non-null and valid for `n` readable bytes during the call.
unsafe fn byte_slice<'a>(p: *const u8, n: usize) -> &'a [u8] {
    // SAFETY: forwarded contract.
    unsafe { core::slice::from_raw_parts(p, n) }
}

/// `*_checkpoint_size`: the constant `size` into `*len`, after checking
/// that `h` is an object of its type.
///
/// # Safety
/// `h` NULL or a handle's storage; `len` NULL or writable.
unsafe fn size<H: Handle>(h: *const H, len: *mut usize, size: usize) -> TebmStatus {
    check_null!(h, len);
    // SAFETY: non-null; storage per contract.
    drop(tri!(unsafe { object_ref(h) }));
    // SAFETY: non-null and writable per contract.
    unsafe { len.write(size) };
    TebmStatus::Ok
}

/// `*_checkpoint_save`: `save` of the state into `buf[..len]`
/// (`BUFFER_TOO_SMALL` below `size`, recorded with the size needed), the
/// byte count into `*written` when not NULL.
///
/// # Safety
/// `h` NULL or a handle's storage used by no one else during the call;
/// `buf` NULL or `len` writable bytes not overlapping it; `written` NULL or
/// writable.
unsafe fn save<H: Handle>(
    h: *const H,
    buf: *mut u8,
    len: usize,
    written: *mut usize,
    what: &str,
    size: usize,
    save: impl FnOnce(&H::State, &mut [u8]) -> Result<usize, Error>,
) -> TebmStatus {
    check_null!(h, buf);
    // SAFETY: non-null; storage per contract.
    let mut s = tri!(unsafe { object_ref(h) });
    if len < size {
        return s.fail_status(what, TebmStatus::BufferTooSmall, size);
    }
    // SAFETY: non-null; `len` writable bytes per contract, distinct from
    // the object.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, min(len, size)) };
    match save(s.state, out) {
        Ok(n) => {
            // SAFETY: `written` NULL or writable per contract.
            unsafe { write_optional(written, n) };
            TebmStatus::Ok
        }
        Err(e) => s.fail(what, e),
    }
}

/// `*_checkpoint_restore` of a single object: `restore` of
/// `bytes[..nbytes]` into its state (all or nothing: `restore` leaves the
/// state unchanged on error, which is recorded under `what`).
///
/// # Safety
/// `h` NULL or a handle's storage used by no one else during the call;
/// `bytes` NULL or `nbytes` readable bytes.
unsafe fn restore<H: Handle>(
    h: *mut H,
    bytes: *const u8,
    nbytes: usize,
    what: &str,
    restore: impl FnOnce(&mut H::State, &[u8]) -> Result<(), Error>,
) -> TebmStatus {
    check_null!(h, bytes);
    // SAFETY: non-null; exclusive storage per contract.
    let mut s = tri!(unsafe { object_mut(h) });
    // SAFETY: non-null; `nbytes` readable bytes per contract.
    let b = unsafe { byte_slice(bytes, nbytes) };
    match restore(s.state, b) {
        Ok(()) => TebmStatus::Ok,
        Err(e) => s.fail(what, e),
    }
}

/// Bytes `tebm_sampler_checkpoint_save` writes (a constant of this build's
/// capacities `TEBM_MAX_WALKERS` and `TEBM_MAX_DIM`) into `*len`.
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_checkpoint_size(
    sampler: *const TebmSampler,
    len: *mut usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { size(sampler, len, crate::sampler::CHECKPOINT_SIZE) }
}

/// Saves the sampler's whole state — walkers (positions, cached energies
/// and gradients, random streams, last steps, step count), kernel (step
/// size, mass, every setting), step-size adaptation state, β and
/// diagnostics — into `buf[0..len]`, and the byte count into `*written`
/// (when not NULL). Not saved: the energy, and the last step's summary
/// (`tebm_sampler_last_step` reads zeros after a restore, until the next
/// step). `len` below `tebm_sampler_checkpoint_size`: `BUFFER_TOO_SMALL`
/// and nothing written.
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage used by no one else during
/// the call; `buf` NULL or `len` writable bytes not overlapping it;
/// `written` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_checkpoint_save(
    sampler: *const TebmSampler,
    buf: *mut u8,
    len: usize,
    written: *mut usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        save(
            sampler,
            buf,
            len,
            written,
            "tebm_sampler_checkpoint_save",
            crate::sampler::CHECKPOINT_SIZE,
            |s, out| s.core.save_checkpoint(out),
        )
    }
}

/// Replaces the sampler's whole state by the checkpoint in
/// `bytes[0..nbytes]` (exactly one checkpoint). All or nothing: on any
/// error the sampler is unchanged. Statuses: `TRUNCATED`, `CHECKSUM`,
/// `CORRUPT_DATA` (bad magic, version, another object kind, a bad field,
/// trailing bytes), `BAD_DIMENSION` (written with other capacities),
/// `BAD_CONFIG` / `CAPACITY_EXCEEDED` (a field out of range). The sampler
/// then continues the checkpointed run bit for bit when stepped with the
/// energy that run used: the cached energies are re-evaluated at the
/// first step (the sampler cannot know the energy was the same).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage used by no one else during
/// the call; `bytes` NULL or `nbytes` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_checkpoint_restore(
    sampler: *mut TebmSampler,
    bytes: *const u8,
    nbytes: usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        restore(
            sampler,
            bytes,
            nbytes,
            "tebm_sampler_checkpoint_restore",
            |s, b| {
                s.core.restore_checkpoint(b)?;
                s.energy = EnergyKey::default();
                s.extra = ebm::StepSummary::default();
                Ok(())
            },
        )
    }
}

/// Bytes `tebm_tempering_checkpoint_save` writes into `*len`.
///
/// # Safety
/// `tempering` NULL or a `TebmTempering`'s storage; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_checkpoint_size(
    tempering: *const TebmTempering,
    len: *mut usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { size(tempering, len, crate::tempering::CHECKPOINT_SIZE) }
}

/// Saves the replica exchange's whole state — the ladder, every replica's
/// walkers, kernel and adaptation, the swap stream, sweeps and swap
/// statistics — as `tebm_sampler_checkpoint_save` does.
///
/// # Safety
/// As for `tebm_sampler_checkpoint_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_checkpoint_save(
    tempering: *const TebmTempering,
    buf: *mut u8,
    len: usize,
    written: *mut usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        save(
            tempering,
            buf,
            len,
            written,
            "tebm_tempering_checkpoint_save",
            crate::tempering::CHECKPOINT_SIZE,
            |s, out| s.core.save_checkpoint(out),
        )
    }
}

/// Replaces the replica exchange's whole state by a checkpoint's, as
/// `tebm_sampler_checkpoint_restore` does (same statuses, all or nothing).
///
/// # Safety
/// As for `tebm_sampler_checkpoint_restore`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_checkpoint_restore(
    tempering: *mut TebmTempering,
    bytes: *const u8,
    nbytes: usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        restore(
            tempering,
            bytes,
            nbytes,
            "tebm_tempering_checkpoint_restore",
            |s, b| {
                s.core.restore_checkpoint(b)?;
                s.energy = EnergyKey::default();
                Ok(())
            },
        )
    }
}

/// Bytes `tebm_trainer_checkpoint_save` writes into `*len`.
///
/// # Safety
/// `trainer` NULL or a `TebmTrainer`'s storage; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_checkpoint_size(
    trainer: *const TebmTrainer,
    len: *mut usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { size(trainer, len, crate::trainer::CHECKPOINT_SIZE) }
}

/// Saves the trainer's whole state and the parameters of `energy` (the
/// model it trains: a built-in energy of the kind and size it was built
/// for, else `BAD_CONFIG` / `BAD_DIMENSION`) — configuration, batch being
/// collected, recent data, Jarzynski weights, counters, optimiser moments
/// and learning rate, and its sampler — as `tebm_sampler_checkpoint_save`
/// does. The model's structure (kind, sizes, activation …) is not saved:
/// restore with an energy built the same way.
///
/// # Safety
/// `trainer` NULL or a `TebmTrainer`'s storage used by no one else during
/// the call; `energy` NULL or a `TebmEnergy`'s storage; `buf` NULL or
/// `len` writable bytes overlapping neither; `written` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_checkpoint_save(
    trainer: *const TebmTrainer,
    energy: *const TebmEnergy,
    buf: *mut u8,
    len: usize,
    written: *mut usize,
) -> TebmStatus {
    check_null!(trainer, energy);
    // SAFETY: non-null; storage per contract.
    let e = tri!(unsafe { energy_ref(energy) });
    // SAFETY: forwarded contract.
    unsafe {
        save(
            trainer,
            buf,
            len,
            written,
            "tebm_trainer_checkpoint_save",
            crate::trainer::CHECKPOINT_SIZE,
            |s, out| {
                let Model::BuiltIn(m) = e.model else {
                    return Err(Error::InvalidConfig("a callback energy is not trainable"));
                };
                if TebmEnergyKind::of(m.kind()).map_or(u32::MAX, |k| k as u32) != s.extra {
                    return Err(Error::InvalidConfig(
                        "energy kind differs from the trainer's",
                    ));
                }
                ebm::model_dispatch!(m, m => s.core.save_checkpoint(m, out))
            },
        )
    }
}

/// Replaces the trainer's whole state and `energy`'s parameters by a
/// checkpoint's (`energy`: a built-in energy of the kind and sizes the
/// trainer was built for). All or nothing: on any error the trainer and
/// the energy are unchanged (statuses as for
/// `tebm_sampler_checkpoint_restore`, and `BAD_PARAMETERS` for parameters
/// the model refuses). On success the energy gets a new identity (other
/// samplers using it refresh their caches) and the trainer continues the
/// checkpointed run bit for bit, batch in progress included.
///
/// # Safety
/// `trainer` NULL or a `TebmTrainer`'s storage and `energy` NULL or a
/// `TebmEnergy`'s storage, each used by no one else during the call;
/// `bytes` NULL or `nbytes` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_checkpoint_restore(
    trainer: *mut TebmTrainer,
    energy: *mut TebmEnergy,
    bytes: *const u8,
    nbytes: usize,
) -> TebmStatus {
    check_null!(trainer, energy, bytes);
    // SAFETY: non-null; exclusive storage per contract. The energy is
    // checked first: if both handles were the same memory, one of the two
    // tag checks fails.
    let (t, mut identity) = tri!(unsafe { trainable_mut(energy) });
    // SAFETY: as above.
    let mut s = tri!(unsafe { object_mut(trainer) });
    // SAFETY: non-null; `nbytes` readable bytes per contract.
    let b = unsafe { byte_slice(bytes, nbytes) };
    if TebmEnergyKind::of(t.kind()).map_or(u32::MAX, |k| k as u32) != s.state.extra {
        return s.fail(
            "tebm_trainer_checkpoint_restore",
            Error::InvalidConfig("energy kind differs from the trainer's"),
        );
    }
    match ebm::model_dispatch!(t, m => s.state.core.restore_checkpoint(m, b)) {
        Ok(()) => {
            // New parameters: the energy's identity changes, and this
            // trainer's caches (from the checkpoint) belong to them.
            identity.renew();
            s.state.energy = identity.key;
            TebmStatus::Ok
        }
        Err(e) => s.fail("tebm_trainer_checkpoint_restore", e),
    }
}
