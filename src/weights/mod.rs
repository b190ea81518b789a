//! The portable weight format: one little-endian byte layout that loads the
//! same model in Rust, in C (through the FFI crate) and on a Cortex-M.
//!
//! A file holds one trainable model: its kind, its configuration (sizes and
//! the fixed, untrained values such as the MLP's activation and confinement
//! α) and its flat parameters in the order of [`Trainable::params`], closed
//! by a CRC-32. Nothing is allocated: [`Persist::encode`] writes into a
//! caller's buffer and [`Persist::decode`] reads from a slice.
//!
//! ## Layout (version 1)
//!
//! All integers are unsigned little-endian, all reals IEEE-754 binary32
//! little-endian. `C` is the length of the configuration block, `P` the
//! parameter count.
//!
//! | offset        | size | field |
//! |---------------|------|-------|
//! | 0             | 4    | magic `54 45 42 4D` (`"TEBM"`) |
//! | 4             | 2    | format version, u16 = 1 |
//! | 6             | 2    | model kind, u16 ([`ModelKind`]: 1 Gaussian, 2 Polynomial, 3 Mixture, 4 Mlp, 5 DeepMlp) |
//! | 8             | C    | configuration block, by kind (below) |
//! | 8 + C         | 4    | parameter count P, u32 (must equal the count the configuration implies) |
//! | 12 + C        | 4·P  | parameters, f32, in the model's flat order |
//! | 12 + C + 4·P  | 4    | CRC-32 (IEEE 802.3, as zlib's `crc32`) of bytes `0 .. 12 + C + 4·P` |
//!
//! Configuration blocks (offsets relative to byte 8):
//!
//! | kind       | offset | size  | field |
//! |------------|--------|-------|-------|
//! | Gaussian   | 0      | 4     | d, u32 ≥ 1 |
//! |            | 4      | 4     | precision storage, u32: 0 diagonal, 1 full |
//! | Polynomial | 0      | 4     | d, u32 ≥ 1 |
//! |            | 4      | 4     | total degree p, u32 ≤ [`MAX_DEGREE`](crate::polynomial::MAX_DEGREE) |
//! | Mixture    | 0      | 4     | components k, u32 ≥ 1 |
//! |            | 4      | 4     | d, u32 ≥ 1 |
//! |            | 8      | 4·k·d | standard deviations σ, f32 > 0, component-major |
//! | Mlp        | 0      | 4     | d, u32 ≥ 1 |
//! |            | 4      | 4     | hidden width h, u32 ≥ 1 |
//! |            | 8      | 4     | activation, u32 ([`Activation`](crate::Activation) tag: 0 tanh, 1 SiLU, 2 softplus) |
//! |            | 12     | 4     | confinement α, f32 > 0 |
//! | DeepMlp    | 0      | 4     | d, u32 ≥ 1 |
//! |            | 4      | 4     | hidden layers n, u32, 1 ≤ n ≤ [`MAX_LAYERS`](crate::deep_mlp::MAX_LAYERS) (8) |
//! |            | 8      | 4·n   | hidden widths h₀ … hₙ₋₁, u32 ≥ 1 each |
//! |            | 8 + 4n | 4     | activation, u32 (as the Mlp's) |
//! |            | 12 + 4n| 4     | confinement α, f32 > 0 |
//!
//! Parameter counts: Gaussian d + d (diagonal) or d + d(d+1)/2 (full);
//! Polynomial C(d + p, p); Mixture k·(1 + d); Mlp h·(d + h + 3) + 1;
//! DeepMlp Σₖ hₖ·(hₖ₋₁ + 1) + hₙ₋₁ + 1 with h₋₁ = d. The parameter orders
//! are documented on each model ([`crate::gaussian`],
//! [`crate::polynomial`], [`crate::mixture`], [`crate::mlp`],
//! [`crate::deep_mlp`]). A DeepMlp with two hidden layers of width h has
//! an Mlp's parameters in an Mlp's order; only its configuration block
//! differs.
//!
//! This module is the framing (preamble, count, checksum, validation
//! order); each model's configuration block, capacity check and
//! [`Persist`] implementation live beside the model, and the kinds are
//! listed once, in [`crate::model`].
//!
//! ## Validation order
//!
//! Loading checks every field and stops at the first failure. Structural
//! fields are checked as they are read, because they are needed to find the
//! checksum at all; values are checked only once the checksum holds, so a
//! flipped bit in a weight reports the honest cause ([`Error::Checksum`])
//! rather than whatever the damaged number happens to look like.
//!
//! 1. magic → [`Error::BadMagic`] (a short prefix of the magic is [`Error::Truncated`]);
//! 2. version → [`Error::UnsupportedVersion`];
//! 3. kind → [`Error::WrongModelKind`] (or, in [`peek`], [`Error::CorruptData`] if unknown);
//! 4. integer configuration fields, in file order: a zero size → [`Error::Empty`];
//!    an unknown storage flag or activation code → [`Error::CorruptData`]; a
//!    degree above [`MAX_DEGREE`](crate::polynomial::MAX_DEGREE) or more than
//!    [`MAX_LAYERS`](crate::deep_mlp::MAX_LAYERS) hidden layers → [`Error::CapacityExceeded`];
//! 5. sizes against the loading type's capacities → [`Error::CapacityExceeded`];
//! 6. parameter count against the configuration → [`Error::CorruptData`];
//! 7. length: too short → [`Error::Truncated`], too long → [`Error::TrailingBytes`];
//! 8. CRC-32 → [`Error::Checksum`];
//! 9. values: α → [`Error::InvalidConfig`]; σ and parameters (finite, and the
//!    Gaussian's precision positive definite) → [`Error::InvalidParameters`].
//!
//! Any read past the end of the input at steps 1–6 is [`Error::Truncated`].
//! A file that fails any step never yields a model, and
//! [`Persist::decode_into`] leaves its target unchanged.

use crate::crc32::{check_framed, crc32};
use crate::energy::Trainable;
use crate::error::Error;
pub use crate::model::{ModelConfig, ModelKind};

mod bytes;
pub(crate) use bytes::{Reader, Writer, f32s, fill, size_u32};

/// The first four bytes of every weight file.
pub const MAGIC: [u8; 4] = *b"TEBM";

/// The format version this build writes and reads.
pub const VERSION: u16 = 1;

/// Bytes [`peek`] reads at most: magic, version, kind and the integer
/// configuration fields of the longest kind (a [`DeepMlp`](crate::DeepMlp)
/// of [`MAX_LAYERS`](crate::deep_mlp::MAX_LAYERS) layers). A file shorter
/// than this (the smallest Gaussian's is 32 bytes) is peeked whole: `peek`
/// reads only the fields the file's kind has.
pub const PEEK_LEN: usize = PREAMBLE + 4 * MAX_INT_FIELDS;

/// Bytes before the configuration block: magic, version, kind.
const PREAMBLE: usize = 8;

/// Most integer fields a configuration block opens with (a DeepMlp's: d,
/// the layer count, a width per layer and the activation).
const MAX_INT_FIELDS: usize = 3 + crate::deep_mlp::MAX_LAYERS;

/// How one configuration is laid out in a file: what the framing needs
/// from a model's codec to find the count, the parameters and the checksum.
pub(crate) struct ConfigBlock {
    /// The integer fields (sizes, flags, codes), in file order.
    ints: [usize; MAX_INT_FIELDS],
    n_ints: usize,
    /// Bytes of the real-valued fields after them (σ, α); `None` on overflow.
    values_len: Option<usize>,
    /// The parameter count the configuration implies; `None` on overflow.
    pub(crate) num_params: Option<usize>,
}

impl ConfigBlock {
    /// A block of integer fields `ints` (at most `MAX_INT_FIELDS`), `values_len` bytes
    /// of real values and `num_params` parameters.
    pub(crate) fn new(
        ints: &[usize],
        values_len: Option<usize>,
        num_params: Option<usize>,
    ) -> Self {
        let mut all = [0; MAX_INT_FIELDS];
        let n_ints = ints.len().min(MAX_INT_FIELDS);
        all[..n_ints].copy_from_slice(&ints[..n_ints]);
        ConfigBlock {
            ints: all,
            n_ints,
            values_len,
            num_params,
        }
    }

    fn ints_len(&self) -> usize {
        4 * self.n_ints
    }

    /// Offset of the parameter count field.
    fn count_offset(&self) -> Option<usize> {
        (PREAMBLE + self.ints_len()).checked_add(self.values_len?)
    }

    /// Total file length.
    fn encoded_len(&self) -> Option<usize> {
        let params = self.num_params?.checked_mul(4)?;
        self.count_offset()?
            .checked_add(4)?
            .checked_add(params)?
            .checked_add(4)
    }
}

impl ModelConfig {
    /// Total file length (`None` on overflow).
    pub fn encoded_len(&self) -> Option<usize> {
        self.block().encoded_len()
    }
}

/// What [`peek`] learns from the start of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The format version.
    pub version: u16,
    /// The model's sizes and structure.
    pub config: ModelConfig,
    /// The parameter count the configuration implies.
    pub num_params: usize,
    /// The length of the whole file, checksum included.
    pub encoded_len: usize,
}

impl Header {
    /// The model kind.
    pub const fn kind(&self) -> ModelKind {
        self.config.kind()
    }
}

/// Model sizes whose byte count does not fit `usize`.
const OVERFLOW: Error = Error::CorruptData("model sizes overflow usize");

/// Reads the kind, sizes and total length of a weight file from its first
/// bytes ([`PEEK_LEN`] always suffice; the whole file is fine too), without
/// decoding it: enough to choose a model type and size buffers.
///
/// Checks steps 1–4 of the validation order only; a file that peeks well
/// may still fail to decode. Sizes whose byte count overflows `usize` are
/// [`Error::CorruptData`].
pub fn peek(bytes: &[u8]) -> Result<Header, Error> {
    let mut r = Reader::new(bytes);
    let (version, config) = read_prefix(&mut r, None)?;
    let block = config.block();
    Ok(Header {
        version,
        config,
        num_params: block.num_params.ok_or(OVERFLOW)?,
        encoded_len: block.encoded_len().ok_or(OVERFLOW)?,
    })
}

/// Saving and loading a model in the weight format.
///
/// Implemented by every built-in [`Trainable`] model, and by
/// [`crate::AnyModel`], which loads whichever kind a file holds. Decoding
/// checks the file's sizes against the type's const-generic capacities, so
/// the same file loads into any type large enough to hold it.
pub trait Persist: Trainable + Sized {
    /// This model's sizes and structure, as [`peek`] would report them.
    fn config(&self) -> ModelConfig;

    /// Bytes [`Persist::encode`] writes.
    fn encoded_len(&self) -> usize {
        // A model in memory has sizes far below any overflow; saturate
        // rather than panic so `encode` reports a too-small buffer.
        self.config().encoded_len().unwrap_or(usize::MAX)
    }

    /// Writes the model into `out[..encoded_len()]` and returns that length.
    /// A buffer shorter than [`Persist::encoded_len`] is
    /// [`Error::CapacityExceeded`] and nothing is written.
    fn encode(&self, out: &mut [u8]) -> Result<usize, Error>;

    /// Reads a model from exactly one encoded file. See the
    /// [module documentation](self) for what is checked, in which order.
    fn decode(bytes: &[u8]) -> Result<Self, Error>;

    /// Replaces `self` with the model in `bytes`; on any error `self` is
    /// unchanged. The MLP validates the whole file first (structure,
    /// checksum, α and every parameter), then writes `self` in place, with
    /// no model-sized temporary; the other models (at most a few KB) are
    /// decoded aside and moved in, because the Gaussian's positive
    /// definiteness needs its factorisation built before it can be accepted.
    fn decode_into(&mut self, bytes: &[u8]) -> Result<(), Error> {
        *self = Self::decode(bytes)?;
        Ok(())
    }

    /// Checks `bytes` exactly as [`Persist::decode`] does and returns the
    /// same error, without keeping a model (the MLP's check streams over
    /// the parameters and builds none).
    fn validate(bytes: &[u8]) -> Result<(), Error> {
        Self::decode(bytes).map(|_| ())
    }

    /// Writes the model to a file (host only).
    #[cfg(feature = "std")]
    fn save(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        let mut buf = std::vec![0u8; self.encoded_len()];
        let n = self.encode(&mut buf).map_err(std::io::Error::other)?;
        std::fs::write(path, &buf[..n])
    }

    /// Reads a model from a file (host only). A file that does not decode is
    /// an [`std::io::ErrorKind::InvalidData`] error wrapping the [`Error`]
    /// (recover it with `get_ref()` and `downcast_ref::<Error>()`).
    #[cfg(feature = "std")]
    fn load(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        Self::decode(&bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

/// A model type of one kind: its file code and what it can hold. Each
/// built-in model implements it beside its [`Persist`] implementation,
/// where its configuration block is read and written.
pub trait ModelCodec: Persist {
    /// The kind code written for this model.
    const KIND: ModelKind;

    /// Validation step 5: whether a file's sizes fit this type's
    /// capacities ([`Error::CapacityExceeded`] if not).
    fn check_capacity(config: &ModelConfig) -> Result<(), Error>;
}

/// Never returned: `open` only hands back a configuration of the kind asked
/// for, with exactly the byte counts it implies. An error, not a panic, so
/// that no input can abort a microcontroller.
pub(crate) const INCONSISTENT: Error = Error::CorruptData("inconsistent layout");

/// A file whose structure, length and checksum have been verified.
pub(crate) struct Frame<'a> {
    pub(crate) config: ModelConfig,
    /// The real-valued configuration fields (σ or α), unchecked.
    pub(crate) values: &'a [u8],
    /// The parameters, unchecked: exactly 4·P bytes.
    pub(crate) params: &'a [u8],
}

/// Validation steps 1–8 for a file of `M`'s kind, with `M`'s capacities.
pub(crate) fn open<M: ModelCodec>(bytes: &[u8]) -> Result<Frame<'_>, Error> {
    open_kind(bytes, M::KIND, M::check_capacity)
}

/// Validation steps 1–8 for a file of kind `kind`; `capacity` is step 5.
fn open_kind(
    bytes: &[u8],
    kind: ModelKind,
    capacity: impl FnOnce(&ModelConfig) -> Result<(), Error>,
) -> Result<Frame<'_>, Error> {
    let mut r = Reader::new(bytes);
    let (_, config) = read_prefix(&mut r, Some(kind))?;
    capacity(&config)?;
    // Capacities are array lengths of a value in memory: none of these overflow
    // for a type that passed them, but stay checked so no input can panic.
    let block = config.block();
    let num_params = block.num_params.ok_or(OVERFLOW)?;
    let count_at = block.count_offset().ok_or(OVERFLOW)?;
    let total = block.encoded_len().ok_or(OVERFLOW)?;
    r.seek(count_at)?;
    let stored = r.u32()?;
    if usize::try_from(stored).ok() != Some(num_params) {
        return Err(Error::CorruptData(
            "parameter count does not match the configuration",
        ));
    }
    let body = check_framed(bytes, total)?;
    let values_at = PREAMBLE + block.ints_len();
    Ok(Frame {
        config,
        values: body.get(values_at..count_at).ok_or(OVERFLOW)?,
        params: body.get(count_at + 4..).ok_or(OVERFLOW)?,
    })
}

/// Validation steps 1–4: magic, version, kind (checked against `expected`
/// when given) and the integer configuration fields.
pub(crate) fn read_prefix(
    r: &mut Reader<'_>,
    expected: Option<ModelKind>,
) -> Result<(u16, ModelConfig), Error> {
    let available = r.bytes.len().min(MAGIC.len());
    if r.bytes.get(..available) != MAGIC.get(..available) {
        return Err(Error::BadMagic);
    }
    r.seek(MAGIC.len())?;
    let version = r.u16()?;
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    let code = r.u16()?;
    let kind = match (ModelKind::from_code(code), expected) {
        (Some(k), None) => k,
        (Some(k), Some(e)) if k == e => k,
        (_, Some(e)) => {
            return Err(Error::WrongModelKind {
                expected: e.code(),
                found: code,
            });
        }
        (None, None) => return Err(Error::CorruptData("unknown model kind")),
    };
    Ok((version, kind.read_config(r)?))
}

/// Writes a whole file: preamble, configuration (`values` writes the real
/// fields after the integer ones), count, parameters (`params`), checksum.
pub(crate) fn encode_with(
    out: &mut [u8],
    config: &ModelConfig,
    values: impl FnOnce(&mut Writer<'_>),
    params: impl FnOnce(&mut Writer<'_>),
) -> Result<usize, Error> {
    let block = config.block();
    let len = block.encoded_len().unwrap_or(usize::MAX);
    let num_params = size_u32(block.num_params.unwrap_or(usize::MAX))?;
    let mut ints = [0u32; MAX_INT_FIELDS];
    for (i, &v) in ints.iter_mut().zip(&block.ints[..block.n_ints]) {
        *i = size_u32(v)?;
    }
    let Some(out) = out.get_mut(..len) else {
        return Err(Error::CapacityExceeded {
            requested: len,
            capacity: out.len(),
        });
    };
    let mut w = Writer { out, pos: 0 };
    w.put(&MAGIC);
    w.put(&VERSION.to_le_bytes());
    w.put(&config.kind().code().to_le_bytes());
    for &v in &ints[..block.n_ints] {
        w.u32(v);
    }
    values(&mut w);
    w.u32(num_params);
    params(&mut w);
    debug_assert_eq!(w.pos, len - 4, "encoded length disagrees with the layout");
    let crc = crc32(w.out.get(..w.pos).unwrap_or(&[]));
    w.u32(crc);
    Ok(len)
}
