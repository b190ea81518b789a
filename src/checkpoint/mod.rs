//! Checkpoints: the whole state of a [`Sampler`](crate::Sampler), a
//! [`ReplicaExchange`](crate::ReplicaExchange) or a trainer
//! ([`Pcd`](crate::Pcd)) in one portable byte string, so that a run can be
//! stopped, moved (to another machine, another target) and resumed with
//! exactly the bits it would have produced uninterrupted.
//!
//! Nothing is allocated: `save_checkpoint` writes into a caller's buffer of
//! `checkpoint_size()` bytes (a `const fn` of the capacities, also available
//! as an associated `CHECKPOINT_SIZE` constant), `restore_checkpoint` reads
//! from a slice. Restoring is all-or-nothing: the frame (magic, version,
//! kind, capacities, length, CRC-32) and then every field are checked in a
//! first pass that writes nothing, and only then is the object written; on
//! any error it is byte for byte unchanged.
//!
//! ## Frame (version 1)
//!
//! The framing of the weight format ([`crate::weights`]): same magic, an
//! own version number and object kinds that no model uses. Integers are
//! unsigned little-endian, reals IEEE-754 little-endian bit patterns (f32,
//! and f64 for the diagnostics' accumulators), so a checkpoint written on
//! x86_64 restores on a Cortex-M and continues with the same bits.
//!
//! | offset      | size | field |
//! |-------------|------|-------|
//! | 0           | 4    | magic `54 45 42 4D` (`"TEBM"`) |
//! | 4           | 2    | checkpoint format version, u16 = [`VERSION`] |
//! | 6           | 2    | object kind, u16 ([`CheckpointKind`]) |
//! | 8           | 4    | capacity count c, u32 |
//! | 12          | 4·c  | capacities, u32 each (by kind, below) |
//! | 12 + 4c     | 4    | body length B, u32 |
//! | 16 + 4c     | B    | body, by kind |
//! | 16 + 4c + B | 4    | CRC-32 (as the weight format's) of every byte before it |
//!
//! The capacities are the const generics of the type written (a sampler's
//! walker capacity N and dimension capacity D, …); a file is restored only
//! by a type of the very same capacities, because the body holds whole
//! capacity-sized arrays (unused slots included) and so has a length fixed
//! by them. See `docs/checkpoints.md` for every body's layout.
//!
//! ## Validation order
//!
//! 1. magic → [`Error::BadMagic`] (a short prefix is [`Error::Truncated`]);
//! 2. version → [`Error::UnsupportedVersion`];
//! 3. kind → [`Error::WrongModelKind`] (expected and found kind codes);
//! 4. capacity count and each capacity → [`Error::DimensionMismatch`]
//!    (expected: this object's, found: the file's);
//! 5. body length → [`Error::CorruptData`];
//! 6. file length → [`Error::Truncated`] / [`Error::TrailingBytes`];
//! 7. CRC-32 → [`Error::Checksum`];
//! 8. fields: sizes above capacity → [`Error::CapacityExceeded`]; flags,
//!    codes and non-finite values where they are forbidden →
//!    [`Error::CorruptData`]; an invalid configuration (step size, mass,
//!    jitter, learning rate …) → the error its constructor reports.
//!
//! ## What is not in a checkpoint
//!
//! The energy of a sampler or of a replica exchange (a model, a closure, a
//! C callback) is not: restore into an object that will be stepped with the
//! same energy. A trainer's checkpoint does hold its model's parameters
//! (not the model's structure: the model type and its fixed configuration
//! — sizes, activation, confinement — come from the object restored into).
//! Scratch space (proposals, evaluations in flight) is not state and is not
//! saved; a sampler's draws buffer given to
//! [`Sampler::run_recording`](crate::Sampler::run_recording) belongs to the
//! caller.

use crate::crc32::{check_framed, crc32};
use crate::error::Error;

mod codec;
mod sampler;
mod tempering;

pub use codec::{Dec, Enc};
pub(crate) use codec::{STREAM_LEN, corrupt};
pub use sampler::{Adaptation, KernelRecord, KernelState};

/// The first four bytes of every checkpoint (and weight file).
pub const MAGIC: [u8; 4] = crate::weights::MAGIC;

/// The checkpoint format version this build writes and reads.
pub const VERSION: u16 = 1;

/// What a checkpoint holds. The codes are disjoint from the weight
/// format's model kinds, so neither format's reader mistakes the other's
/// files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum CheckpointKind {
    /// A [`Sampler`](crate::Sampler).
    Sampler = 0x0101,
    /// A trainer ([`Pcd`](crate::Pcd)).
    Trainer = 0x0102,
    /// A [`ReplicaExchange`](crate::ReplicaExchange).
    Tempering = 0x0103,
}

impl CheckpointKind {
    /// The code written in the file.
    pub const fn code(self) -> u16 {
        self as u16
    }
}

/// A part of a checkpoint: a fixed-length section that an object writes
/// and reads back. Implemented by the checkpointable objects themselves
/// ([`Sampler`](crate::Sampler), [`ReplicaExchange`](crate::ReplicaExchange))
/// and by what a trainer's checkpoint nests: its optimiser
/// ([`Sgd`](crate::Sgd), [`Adam`](crate::Adam),
/// [`AnyOptimizer`](crate::AnyOptimizer)) and, as extras chosen by the
/// caller, [`Ema`](crate::Ema), [`Best`](crate::Best),
/// [`LrSchedule`](crate::LrSchedule), `()` and pairs and triples of these.
/// The encoding is the crate's: the trait is implemented here only.
pub trait State {
    /// Bytes of the section.
    const STATE_LEN: usize;
    /// Writes the section.
    #[doc(hidden)]
    fn save_state(&self, e: &mut Enc<'_>);
    /// Reads the section: in the check pass (`Dec` not applying) every
    /// value is validated and nothing written; in the apply pass the
    /// object is written.
    #[doc(hidden)]
    fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error>;
}

impl State for () {
    const STATE_LEN: usize = 0;
    fn save_state(&self, _: &mut Enc<'_>) {}
    fn load_state(&mut self, _: &mut Dec<'_>) -> Result<(), Error> {
        Ok(())
    }
}

impl<A: State, B: State> State for (A, B) {
    const STATE_LEN: usize = A::STATE_LEN + B::STATE_LEN;
    fn save_state(&self, e: &mut Enc<'_>) {
        self.0.save_state(e);
        self.1.save_state(e);
    }
    fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error> {
        self.0.load_state(r)?;
        self.1.load_state(r)
    }
}

impl<A: State, B: State, C: State> State for (A, B, C) {
    const STATE_LEN: usize = A::STATE_LEN + B::STATE_LEN + C::STATE_LEN;
    fn save_state(&self, e: &mut Enc<'_>) {
        self.0.save_state(e);
        self.1.save_state(e);
        self.2.save_state(e);
    }
    fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error> {
        self.0.load_state(r)?;
        self.1.load_state(r)?;
        self.2.load_state(r)
    }
}

/// Bytes of the frame around a body of `body` bytes with `caps` capacities.
pub const fn frame_len(caps: usize, body: usize) -> usize {
    16 + 4 * caps + body + 4
}

/// Writes a whole checkpoint: header, body (`body`, which must write
/// exactly `body_len` bytes), CRC. A buffer shorter than the frame is
/// [`Error::CapacityExceeded`] and nothing is written.
pub(crate) fn save_frame(
    out: &mut [u8],
    kind: CheckpointKind,
    caps: &[usize],
    body_len: usize,
    body: impl FnOnce(&mut Enc<'_>),
) -> Result<usize, Error> {
    let len = frame_len(caps.len(), body_len);
    let Some(out) = out.get_mut(..len) else {
        return Err(Error::CapacityExceeded {
            requested: len,
            capacity: out.len(),
        });
    };
    let mut e = Enc::new(out);
    e.put(&MAGIC);
    e.u16(VERSION);
    e.u16(kind.code());
    e.usize(caps.len());
    for &c in caps {
        e.usize(c);
    }
    e.usize(body_len);
    let start = e.pos;
    body(&mut e);
    if e.pos != start + body_len {
        // A layout bug; never a panic on a microcontroller.
        return Err(corrupt("checkpoint body length disagrees with its layout"));
    }
    let end = e.pos;
    let Some((data, slot)) = out.split_at_mut_checked(end) else {
        return Err(corrupt("checkpoint layout"));
    };
    let crc = crc32(data);
    slot.copy_from_slice(&crc.to_le_bytes());
    Ok(len)
}

/// Validation steps 1–7: the body of a checkpoint of `kind` with exactly
/// capacities `caps` and a body of `body_len` bytes.
pub(crate) fn open_frame<'a>(
    bytes: &'a [u8],
    kind: CheckpointKind,
    caps: &[usize],
    body_len: usize,
) -> Result<&'a [u8], Error> {
    let available = bytes.len().min(MAGIC.len());
    if bytes.get(..available) != MAGIC.get(..available) {
        return Err(Error::BadMagic);
    }
    let mut d = Dec::new(bytes.get(MAGIC.len()..).unwrap_or(&[]), false);
    let truncated = |e: Error| match e {
        Error::Truncated { needed, .. } => Error::Truncated {
            needed: needed + MAGIC.len(),
            found: bytes.len(),
        },
        e => e,
    };
    let version = d.u16().map_err(truncated)?;
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    let code = d.u16().map_err(truncated)?;
    if code != kind.code() {
        return Err(Error::WrongModelKind {
            expected: kind.code(),
            found: code,
        });
    }
    let n_caps = d.u32().map_err(truncated)?;
    if usize::try_from(n_caps).ok() != Some(caps.len()) {
        return Err(Error::DimensionMismatch {
            expected: caps.len(),
            found: usize::try_from(n_caps).unwrap_or(usize::MAX),
        });
    }
    for &c in caps {
        let found = d.u32().map_err(truncated)?;
        if usize::try_from(found).ok() != Some(c) {
            return Err(Error::DimensionMismatch {
                expected: c,
                found: usize::try_from(found).unwrap_or(usize::MAX),
            });
        }
    }
    let stored = d.u32().map_err(truncated)?;
    if usize::try_from(stored).ok() != Some(body_len) {
        return Err(corrupt(
            "checkpoint body length does not match its capacities",
        ));
    }
    let total = frame_len(caps.len(), body_len);
    let data = check_framed(bytes, total)?;
    data.get(total - 4 - body_len..)
        .ok_or(corrupt("checkpoint layout"))
}

/// Restores a checkpoint: [`open_frame`], then `body` once to check every
/// field (writing nothing) and once more to write them. `body` must
/// validate from the bytes alone (not from the target's current state), so
/// that the second pass cannot fail where the first passed.
pub(crate) fn restore_frame(
    bytes: &[u8],
    kind: CheckpointKind,
    caps: &[usize],
    body_len: usize,
    mut body: impl FnMut(&mut Dec<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let data = open_frame(bytes, kind, caps, body_len)?;
    let mut check = Dec::new(data, false);
    body(&mut check)?;
    check.finish()?;
    let mut apply = Dec::new(data, true);
    body(&mut apply)
}
