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
//! | 6             | 2    | model kind, u16 ([`ModelKind`]: 1 Gaussian, 2 Polynomial, 3 Mixture, 4 Mlp) |
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
//! |            | 4      | 4     | total degree p, u32 ≤ [`MAX_DEGREE`] |
//! | Mixture    | 0      | 4     | components k, u32 ≥ 1 |
//! |            | 4      | 4     | d, u32 ≥ 1 |
//! |            | 8      | 4·k·d | standard deviations σ, f32 > 0, component-major |
//! | Mlp        | 0      | 4     | d, u32 ≥ 1 |
//! |            | 4      | 4     | hidden width h, u32 ≥ 1 |
//! |            | 8      | 4     | activation, u32 ([`Activation`] tag: 0 tanh, 1 SiLU, 2 softplus) |
//! |            | 12     | 4     | confinement α, f32 > 0 |
//!
//! Parameter counts: Gaussian d + d (diagonal) or d + d(d+1)/2 (full);
//! Polynomial C(d + p, p); Mixture k·(1 + d); Mlp h·(d + h + 3) + 1. The
//! parameter orders are documented on each model ([`crate::gaussian`],
//! [`crate::polynomial`], [`crate::mixture`], [`crate::mlp`]).
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
//!    degree above [`MAX_DEGREE`] → [`Error::CapacityExceeded`];
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

use crate::activation::Activation;
use crate::crc32::crc32;
use crate::energy::{Energy, Trainable};
use crate::error::{Error, check_positive, check_size};
use crate::gaussian::Gaussian;
use crate::mixture::Mixture;
use crate::mlp::Mlp;
use crate::polynomial::{MAX_DEGREE, Polynomial};

/// The first four bytes of every weight file.
pub const MAGIC: [u8; 4] = *b"TEBM";

/// The format version this build writes and reads.
pub const VERSION: u16 = 1;

/// Bytes [`peek`] reads at most: magic, version, kind and the integer
/// configuration fields of the longest kind (Mlp). Any valid file is longer.
pub const PEEK_LEN: usize = 20;

/// Bytes before the configuration block: magic, version, kind.
const PREAMBLE: usize = 8;

/// Which model a weight file holds. The discriminant is the file's code;
/// 0 is never used, so zeroed memory is not a valid file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum ModelKind {
    /// [`Gaussian`].
    Gaussian = 1,
    /// [`Polynomial`].
    Polynomial = 2,
    /// [`Mixture`].
    Mixture = 3,
    /// [`Mlp`].
    Mlp = 4,
}

impl ModelKind {
    /// The kind with this code, if any.
    pub const fn from_code(code: u16) -> Option<Self> {
        match code {
            1 => Some(ModelKind::Gaussian),
            2 => Some(ModelKind::Polynomial),
            3 => Some(ModelKind::Mixture),
            4 => Some(ModelKind::Mlp),
            _ => None,
        }
    }

    /// The code written in files.
    pub const fn code(self) -> u16 {
        self as u16
    }
}

/// A model's sizes and structural choices: what a loader needs to size
/// buffers before decoding. Fixed real values (α, σ) are not included; they
/// are validated with the parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelConfig {
    /// A [`Gaussian`] in dimension `d`.
    Gaussian {
        /// Dimension.
        d: usize,
        /// Precision stored as a diagonal (else full, lower triangle).
        diagonal: bool,
    },
    /// A [`Polynomial`] in `d` variables of total degree `degree`.
    Polynomial {
        /// Number of variables.
        d: usize,
        /// Total degree (≤ [`MAX_DEGREE`]).
        degree: usize,
    },
    /// A [`Mixture`] of `k` components in dimension `d`.
    Mixture {
        /// Number of components.
        k: usize,
        /// Dimension.
        d: usize,
    },
    /// An [`Mlp`] `d → h → h → 1`.
    Mlp {
        /// Input dimension.
        d: usize,
        /// Hidden width.
        h: usize,
        /// Hidden-layer activation.
        activation: Activation,
    },
}

impl ModelConfig {
    /// The model kind.
    pub const fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Gaussian { .. } => ModelKind::Gaussian,
            ModelConfig::Polynomial { .. } => ModelKind::Polynomial,
            ModelConfig::Mixture { .. } => ModelKind::Mixture,
            ModelConfig::Mlp { .. } => ModelKind::Mlp,
        }
    }

    /// The dimension d of x.
    pub const fn dim(&self) -> usize {
        match *self {
            ModelConfig::Gaussian { d, .. }
            | ModelConfig::Polynomial { d, .. }
            | ModelConfig::Mixture { d, .. }
            | ModelConfig::Mlp { d, .. } => d,
        }
    }

    /// The parameter count the configuration implies (`None` on overflow).
    pub fn num_params(&self) -> Option<usize> {
        match *self {
            ModelConfig::Gaussian { d, diagonal } => {
                let prec = if diagonal {
                    d
                } else {
                    d.checked_mul(d.checked_add(1)?)? / 2
                };
                d.checked_add(prec)
            }
            ModelConfig::Polynomial { d, degree } => monomials(d, degree),
            ModelConfig::Mixture { k, d } => k.checked_mul(d.checked_add(1)?),
            ModelConfig::Mlp { d, h, .. } => h
                .checked_mul(d.checked_add(h)?.checked_add(3)?)?
                .checked_add(1),
        }
    }

    /// Length of the integer fields that open the configuration block.
    const fn int_fields_len(&self) -> usize {
        match self {
            ModelConfig::Mlp { .. } => 12,
            _ => 8,
        }
    }

    /// Length of the real-valued fields after them (σ, α).
    fn values_len(&self) -> Option<usize> {
        match *self {
            ModelConfig::Mixture { k, d } => k.checked_mul(d)?.checked_mul(4),
            ModelConfig::Mlp { .. } => Some(4),
            _ => Some(0),
        }
    }

    /// Offset of the parameter count field.
    fn count_offset(&self) -> Option<usize> {
        (PREAMBLE + self.int_fields_len()).checked_add(self.values_len()?)
    }

    /// Total file length (`None` on overflow).
    pub fn encoded_len(&self) -> Option<usize> {
        let params = self.num_params()?.checked_mul(4)?;
        self.count_offset()?
            .checked_add(4)?
            .checked_add(params)?
            .checked_add(4)
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
    const OVERFLOW: Error = Error::CorruptData("model sizes overflow usize");
    Ok(Header {
        version,
        config,
        num_params: config.num_params().ok_or(OVERFLOW)?,
        encoded_len: config.encoded_len().ok_or(OVERFLOW)?,
    })
}

/// Saving and loading a model in the weight format.
///
/// Implemented by every built-in [`Trainable`] model. Decoding checks the
/// file's sizes against the type's const-generic capacities, so the same
/// file loads into any type large enough to hold it.
pub trait Persist: Trainable + Sized {
    /// The kind code written for this model.
    const KIND: ModelKind;

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

impl<const D: usize> Persist for Gaussian<D> {
    const KIND: ModelKind = ModelKind::Gaussian;

    fn config(&self) -> ModelConfig {
        ModelConfig::Gaussian {
            d: self.mean().len(),
            diagonal: self.is_diagonal(),
        }
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_with(
            out,
            &self.config(),
            |_| {},
            |w| self.visit_params(|v| w.f32(v)),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let f = open(bytes, Self::KIND, |c| check_size(c.dim(), D))?;
        let ModelConfig::Gaussian { d, diagonal } = f.config else {
            return Err(INCONSISTENT);
        };
        let mut g = Gaussian::blank(d, diagonal)?;
        g.load_params(f32s(f.params))?;
        Ok(g)
    }
}

impl<const D: usize, const M: usize> Persist for Polynomial<D, M> {
    const KIND: ModelKind = ModelKind::Polynomial;

    fn config(&self) -> ModelConfig {
        ModelConfig::Polynomial {
            d: self.exponents(0).len(),
            degree: self.degree(),
        }
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_with(
            out,
            &self.config(),
            |_| {},
            |w| self.coefficients().iter().for_each(|&v| w.f32(v)),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let f = open(bytes, Self::KIND, |c| {
            check_size(c.dim(), D)?;
            // `dim ≤ D` and degree ≤ MAX_DEGREE were checked: no overflow.
            check_size(c.num_params().unwrap_or(usize::MAX), M)
        })?;
        let ModelConfig::Polynomial { d, degree } = f.config else {
            return Err(INCONSISTENT);
        };
        let mut coef = [0f32; M];
        let m = fill(&mut coef, f.params);
        Polynomial::new(d, degree, &coef[..m])
    }
}

impl<const K: usize, const D: usize> Persist for Mixture<K, D> {
    const KIND: ModelKind = ModelKind::Mixture;

    fn config(&self) -> ModelConfig {
        ModelConfig::Mixture {
            k: self.components(),
            d: self.mean(0).len(),
        }
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_with(
            out,
            &self.config(),
            |w| self.visit_sigmas(|s| w.f32(s)),
            |w| self.visit_params(|v| w.f32(v)),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let f = open(bytes, Self::KIND, |c| match *c {
            ModelConfig::Mixture { k, d } => {
                check_size(k, K)?;
                check_size(d, D)
            }
            _ => Err(INCONSISTENT),
        })?;
        let ModelConfig::Mixture { k, d } = f.config else {
            return Err(INCONSISTENT);
        };
        // k ≤ K and d ≤ D, so k·d values fit in the flattened K×D arrays
        // (packed with stride d, as the constructor expects).
        let (mut logits, mut means, mut sigmas) = ([0f32; K], [[0f32; D]; K], [[0f32; D]; K]);
        let (logit_bytes, mean_bytes) = f
            .params
            .split_at_checked(k.saturating_mul(4))
            .ok_or(INCONSISTENT)?;
        fill(&mut logits, logit_bytes);
        let means = means.as_flattened_mut();
        let sigmas = sigmas.as_flattened_mut();
        fill(means, mean_bytes);
        fill(sigmas, f.values);
        let kd = k * d;
        Mixture::with_logits(&logits[..k], &means[..kd], &sigmas[..kd])
    }
}

impl<const D: usize, const H: usize> Persist for Mlp<D, H> {
    const KIND: ModelKind = ModelKind::Mlp;

    fn config(&self) -> ModelConfig {
        ModelConfig::Mlp {
            d: self.dim(),
            h: self.hidden(),
            activation: self.activation(),
        }
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_with(
            out,
            &self.config(),
            |w| w.f32(self.alpha()),
            |w| self.visit_params(|v| w.f32(v)),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let (d, h, activation, alpha, params) = mlp_frame::<D, H>(bytes)?;
        let mut m = Mlp::zeros(d, h, activation, alpha)?;
        m.load_params(f32s(params))?;
        Ok(m)
    }

    fn decode_into(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let (d, h, activation, alpha, params) = mlp_frame::<D, H>(bytes)?;
        // Everything was checked: neither call can fail now, so `self` is
        // never left half-written.
        self.reinit_zeros(d, h, activation, alpha)?;
        self.load_params(f32s(params))
    }

    fn validate(bytes: &[u8]) -> Result<(), Error> {
        mlp_frame::<D, H>(bytes).map(|_| ())
    }
}

/// Validation steps 1–9 of an MLP file for `Mlp<D, H>`, without building
/// the model: d, h, activation, α and the parameter bytes (all finite,
/// exactly `num_params` of them).
fn mlp_frame<const D: usize, const H: usize>(
    bytes: &[u8],
) -> Result<(usize, usize, Activation, f32, &[u8]), Error> {
    let f = open(bytes, ModelKind::Mlp, |c| match *c {
        ModelConfig::Mlp { d, h, .. } => {
            check_size(d, D)?;
            check_size(h, H)
        }
        _ => Err(INCONSISTENT),
    })?;
    let ModelConfig::Mlp { d, h, activation } = f.config else {
        return Err(INCONSISTENT);
    };
    let mut alpha = [0f32; 1];
    fill(&mut alpha, f.values);
    let alpha = alpha[0];
    // The checks of `Mlp::zeros` (sizes passed `open`) and `load_params`.
    check_positive(alpha, "confinement alpha must be > 0")?;
    let p = crate::mlp::mlp_param_count(d, h);
    if f32s(f.params).count() != p {
        return Err(INCONSISTENT);
    }
    if !f32s(f.params).all(f32::is_finite) {
        return Err(Error::InvalidParameters("MLP weights"));
    }
    Ok((d, h, activation, alpha, f.params))
}

/// Never returned: `open` only hands back a configuration of the kind asked
/// for, with exactly the byte counts it implies. An error, not a panic, so
/// that no input can abort a microcontroller.
const INCONSISTENT: Error = Error::CorruptData("inconsistent layout");

/// A file whose structure, length and checksum have been verified.
struct Frame<'a> {
    config: ModelConfig,
    /// The real-valued configuration fields (σ or α), unchecked.
    values: &'a [u8],
    /// The parameters, unchecked: exactly 4·P bytes.
    params: &'a [u8],
}

/// Validation steps 1–8 for a file of kind `kind`; `capacity` is step 5.
fn open(
    bytes: &[u8],
    kind: ModelKind,
    capacity: impl FnOnce(&ModelConfig) -> Result<(), Error>,
) -> Result<Frame<'_>, Error> {
    let mut r = Reader::new(bytes);
    let (_, config) = read_prefix(&mut r, Some(kind))?;
    capacity(&config)?;
    // Capacities are array lengths of a value in memory: none of these overflow
    // for a type that passed them, but stay checked so no input can panic.
    const OVERFLOW: Error = Error::CorruptData("model sizes overflow usize");
    let num_params = config.num_params().ok_or(OVERFLOW)?;
    let count_at = config.count_offset().ok_or(OVERFLOW)?;
    let total = config.encoded_len().ok_or(OVERFLOW)?;
    r.seek(count_at)?;
    let stored = r.u32()?;
    if usize::try_from(stored).ok() != Some(num_params) {
        return Err(Error::CorruptData(
            "parameter count does not match the configuration",
        ));
    }
    if bytes.len() < total {
        return Err(Error::Truncated {
            needed: total,
            found: bytes.len(),
        });
    }
    if bytes.len() > total {
        return Err(Error::TrailingBytes {
            expected: total,
            found: bytes.len(),
        });
    }
    let (body, crc) = bytes.split_at_checked(total - 4).ok_or(OVERFLOW)?;
    let mut stored = [0u8; 4];
    stored.copy_from_slice(crc);
    let stored = u32::from_le_bytes(stored);
    let computed = crc32(body);
    if stored != computed {
        return Err(Error::Checksum { stored, computed });
    }
    let values_at = PREAMBLE + config.int_fields_len();
    Ok(Frame {
        config,
        values: body.get(values_at..count_at).ok_or(OVERFLOW)?,
        params: body.get(count_at + 4..).ok_or(OVERFLOW)?,
    })
}

/// Validation steps 1–4: magic, version, kind (checked against `expected`
/// when given) and the integer configuration fields.
fn read_prefix(
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
    let config = match kind {
        ModelKind::Gaussian => {
            let d = r.size()?;
            let diagonal = match r.u32()? {
                0 => true,
                1 => false,
                _ => return Err(Error::CorruptData("Gaussian storage flag is not 0 or 1")),
            };
            ModelConfig::Gaussian { d, diagonal }
        }
        ModelKind::Polynomial => {
            let d = r.size()?;
            let degree = r.u32()?;
            if degree as u64 > MAX_DEGREE as u64 {
                return Err(Error::CapacityExceeded {
                    requested: usize::try_from(degree).unwrap_or(usize::MAX),
                    capacity: MAX_DEGREE,
                });
            }
            ModelConfig::Polynomial {
                d,
                degree: degree as usize,
            }
        }
        ModelKind::Mixture => {
            let k = r.size()?;
            let d = r.size()?;
            ModelConfig::Mixture { k, d }
        }
        ModelKind::Mlp => {
            let d = r.size()?;
            let h = r.size()?;
            let activation = u8::try_from(r.u32()?)
                .ok()
                .and_then(Activation::from_tag)
                .ok_or(Error::CorruptData("unknown activation code"))?;
            ModelConfig::Mlp { d, h, activation }
        }
    };
    Ok((version, config))
}

/// Bounds-checked little-endian reads: running off the end is
/// [`Error::Truncated`], never a panic.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn seek(&mut self, pos: usize) -> Result<(), Error> {
        if pos > self.bytes.len() {
            return Err(Error::Truncated {
                needed: pos,
                found: self.bytes.len(),
            });
        }
        self.pos = pos;
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let end = self.pos.saturating_add(N);
        let src = self.bytes.get(self.pos..end).ok_or(Error::Truncated {
            needed: end,
            found: self.bytes.len(),
        })?;
        let mut a = [0u8; N];
        a.copy_from_slice(src);
        self.pos = end;
        Ok(a)
    }

    fn u16(&mut self) -> Result<u16, Error> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32, Error> {
        self.array().map(u32::from_le_bytes)
    }

    /// A size field: a u32 that must be ≥ 1. (Above `usize::MAX` on a
    /// 16-bit target it saturates and fails the capacity check.)
    fn size(&mut self) -> Result<usize, Error> {
        match self.u32()? {
            0 => Err(Error::Empty),
            v => Ok(usize::try_from(v).unwrap_or(usize::MAX)),
        }
    }
}

/// Sequential writes into a buffer already checked to be long enough.
struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, b: &[u8]) {
        let end = self.pos.saturating_add(b.len());
        if let Some(dst) = self.out.get_mut(self.pos..end) {
            dst.copy_from_slice(b);
        }
        self.pos = end;
    }

    fn u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }

    fn f32(&mut self, v: f32) {
        self.put(&v.to_le_bytes());
    }
}

/// A size as the file's u32.
fn size_u32(v: usize) -> Result<u32, Error> {
    u32::try_from(v).map_err(|_| Error::CapacityExceeded {
        requested: v,
        capacity: u32::MAX as usize,
    })
}

/// Writes a whole file: preamble, configuration (`values` writes the real
/// fields after the integer ones), count, parameters (`params`), checksum.
fn encode_with(
    out: &mut [u8],
    config: &ModelConfig,
    values: impl FnOnce(&mut Writer<'_>),
    params: impl FnOnce(&mut Writer<'_>),
) -> Result<usize, Error> {
    let len = config.encoded_len().unwrap_or(usize::MAX);
    let num_params = size_u32(config.num_params().unwrap_or(usize::MAX))?;
    let ints: [u32; 3] = match *config {
        ModelConfig::Gaussian { d, diagonal } => [size_u32(d)?, u32::from(!diagonal), 0],
        ModelConfig::Polynomial { d, degree } => [size_u32(d)?, size_u32(degree)?, 0],
        ModelConfig::Mixture { k, d } => [size_u32(k)?, size_u32(d)?, 0],
        ModelConfig::Mlp { d, h, activation } => [size_u32(d)?, size_u32(h)?, activation as u32],
    };
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
    for &v in ints.iter().take(config.int_fields_len() / 4) {
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

/// Little-endian f32 values of `bytes` (whole 4-byte groups only).
fn f32s(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes.chunks_exact(4).map(|c| {
        let mut a = [0u8; 4];
        a.copy_from_slice(c);
        f32::from_le_bytes(a)
    })
}

/// Copies the f32 values of `bytes` into `out`; returns how many.
fn fill(out: &mut [f32], bytes: &[u8]) -> usize {
    let mut n = 0;
    for (o, v) in out.iter_mut().zip(f32s(bytes)) {
        *o = v;
        n += 1;
    }
    n
}

/// C(d + degree, degree), checked.
fn monomials(d: usize, degree: usize) -> Option<usize> {
    let mut num = 1usize;
    for k in 1..=degree {
        // num·(d + k) is divisible by k: it is C(d + k, k)·k.
        num = num.checked_mul(d.checked_add(k)?)? / k;
    }
    Some(num)
}
