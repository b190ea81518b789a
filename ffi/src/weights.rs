//! The portable weight format from C: save a trainable energy's model into
//! a caller buffer, load one into an existing energy or a new one, and read
//! a file's kind and sizes. The bytes are those of the Rust API
//! (`ebm::Persist`), so a file written by either loads in the other.

use core::ffi::{c_char, c_void};

use ebm::{Error, ModelConfig, Persist, model_dispatch, peek};

use crate::energy::{Model, TebmEnergyKind, energy_ref, trainable_mut};
use crate::handle::{check_null, tri};
use crate::models::create_from_weights;
use crate::status::{ErrorText, TebmStatus, write_c_str};
use crate::{TEBM_ERROR_MESSAGE_CAPACITY, TebmEnergy};

/// What `tebm_weights_peek` reads from the start of a weight file.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TebmWeightsHeader {
    /// The model, as a `TebmEnergyKind` value.
    pub kind: u32,
    /// The format version.
    pub version: u32,
    /// Dimension d of x.
    pub dim: usize,
    /// MLP: hidden width h; deep MLP: the widest hidden layer (else 0).
    pub hidden: usize,
    /// MLP, deep MLP: activation, a `TebmActivation` value (else 0).
    pub activation: u32,
    /// Gaussian: 1 when the precision is stored as a diagonal (else 0).
    pub diagonal: u32,
    /// Polynomial: total degree (else 0).
    pub degree: usize,
    /// Mixture: number of components (else 0).
    pub components: usize,
    /// Number of parameters.
    pub num_params: usize,
    /// Length of the whole file in bytes, checksum included.
    pub encoded_len: usize,
    /// 1 when the model fits this build's capacities (`TEBM_MAX_*`), so
    /// `tebm_energy_init_from_weights` can hold it; else 0.
    pub fits: u32,
    /// Deep MLP: number of hidden layers (else 0).
    pub layers: usize,
}

/// Bytes as a slice (`n` may be 0: then no pointer is read).
///
/// # Safety
/// `p` non-null and valid for `n` readable bytes during the call.
unsafe fn byte_slice<'a>(p: *const u8, n: usize) -> &'a [u8] {
    // SAFETY: forwarded contract.
    unsafe { core::slice::from_raw_parts(p, n) }
}

/// Writes into `*len` the number of bytes `tebm_weights_save` writes for
/// this energy. A callback energy has no saveable model: `BAD_CONFIG`.
///
/// # Safety
/// `energy` NULL or a `TebmEnergy`'s storage; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_weights_size(
    energy: *const TebmEnergy,
    len: *mut usize,
) -> TebmStatus {
    check_null!(energy, len);
    // SAFETY: non-null; storage per contract.
    let e = tri!(unsafe { energy_ref(energy) });
    let Model::BuiltIn(m) = e.model else {
        return TebmStatus::BadConfig;
    };
    let n = model_dispatch!(m, m => m.encoded_len());
    // SAFETY: non-null and writable per contract.
    unsafe { len.write(n) };
    TebmStatus::Ok
}

/// Saves the energy's model (kind, sizes, parameters, CRC-32) into
/// `buf[0..len]` in the portable weight format, and the byte count into
/// `*written` (when not NULL). `len` below `tebm_weights_size`:
/// `BUFFER_TOO_SMALL` and nothing is written. The same bytes load with
/// `tebm_weights_load`, `tebm_energy_init_from_weights` and the Rust API's
/// `Persist::decode`, on any target.
///
/// # Safety
/// `energy` NULL or a `TebmEnergy`'s storage; `buf` NULL or `len` writable
/// bytes not overlapping the energy; `written` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_weights_save(
    energy: *const TebmEnergy,
    buf: *mut u8,
    len: usize,
    written: *mut usize,
) -> TebmStatus {
    check_null!(energy, buf);
    // SAFETY: non-null; storage per contract.
    let e = tri!(unsafe { energy_ref(energy) });
    // SAFETY: non-null; `len` writable bytes per contract, distinct from
    // the energy.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, len) };
    fn save<M: Persist>(m: &M, out: &mut [u8]) -> Result<usize, TebmStatus> {
        if out.len() < m.encoded_len() {
            return Err(TebmStatus::BufferTooSmall);
        }
        m.encode(out).map_err(TebmStatus::from)
    }
    let n = tri!(match e.model {
        Model::BuiltIn(m) => model_dispatch!(m, m => save(m, out)),
        Model::Callback(_) => Err(TebmStatus::BadConfig),
    });
    if !written.is_null() {
        // SAFETY: non-null and writable per contract.
        unsafe { written.write(n) };
    }
    TebmStatus::Ok
}

/// Loads a weight file (`nbytes` bytes, exactly one file) into an existing
/// energy of the same built-in kind. Its sizes may differ from the energy's
/// (within the capacities). All or nothing: on any error the energy is
/// unchanged. Statuses: `CORRUPT_DATA` (bad magic, version, another model
/// kind, bad field, trailing bytes), `TRUNCATED`, `CHECKSUM`,
/// `CAPACITY_EXCEEDED`, `BAD_PARAMETERS`; a callback energy is
/// `BAD_CONFIG`. `tebm_weights_check` gives the detailed reason.
///
/// Loading gives the energy a new identity: samplers, trainers and
/// replica-exchange objects that cached values of it re-evaluate them at
/// their next step by themselves (no `tebm_*_invalidate` needed). An MLP is checked whole (checksum and every
/// parameter) and then written in place, in little stack; the other
/// models (a few KB at most) are decoded aside first.
///
/// # Safety
/// `energy` NULL or a `TebmEnergy`'s storage used by no one else during the
/// call; `bytes` NULL or `nbytes` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_weights_load(
    energy: *mut TebmEnergy,
    bytes: *const u8,
    nbytes: usize,
) -> TebmStatus {
    check_null!(energy, bytes);
    // SAFETY: non-null; exclusive storage per contract.
    let (t, mut identity) = tri!(unsafe { trainable_mut(energy) });
    // SAFETY: non-null; `nbytes` readable bytes per contract.
    let b = unsafe { byte_slice(bytes, nbytes) };
    // The core's `decode_into`: an MLP is validated whole, then written in
    // place; the smaller models are decoded aside and moved in. Either way
    // the energy changes only on success.
    match model_dispatch!(t, m => decode_into(m, b)) {
        Ok(()) => {
            // New parameters: samplers and trainers using this energy
            // refresh their caches by themselves.
            identity.renew();
            TebmStatus::Ok
        }
        Err(e) => TebmStatus::from(e),
    }
}

/// Reads the kind, sizes and total length of a weight file from its first
/// bytes (the first 52 always suffice — 20 for all but a deep MLP; the
/// whole file is fine too) into
/// `*out`, without decoding it. A file that peeks well may still fail to
/// load (checksum, parameters).
///
/// # Safety
/// `bytes` NULL or `nbytes` readable bytes; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_weights_peek(
    bytes: *const u8,
    nbytes: usize,
    out: *mut TebmWeightsHeader,
) -> TebmStatus {
    check_null!(bytes, out);
    // SAFETY: non-null; `nbytes` readable bytes per contract.
    let h = tri!(peek(unsafe { byte_slice(bytes, nbytes) }));
    let mut r = TebmWeightsHeader {
        // Every kind a file can name is stored by the C API.
        kind: TebmEnergyKind::of(h.kind()).map_or(u32::MAX, |k| k as u32),
        version: u32::from(h.version),
        dim: h.config.dim(),
        num_params: h.num_params,
        encoded_len: h.encoded_len,
        ..TebmWeightsHeader::default()
    };
    let d_ok = h.config.dim() <= crate::TEBM_MAX_DIM;
    r.fits = u32::from(match h.config {
        ModelConfig::Gaussian { diagonal, .. } => {
            r.diagonal = u32::from(diagonal);
            d_ok
        }
        ModelConfig::Polynomial { degree, .. } => {
            r.degree = degree;
            d_ok && degree <= crate::TEBM_MAX_POLY_DEGREE
                && h.num_params <= crate::TEBM_MAX_MONOMIALS
        }
        ModelConfig::Mixture { k, .. } => {
            r.components = k;
            d_ok && k <= crate::TEBM_MAX_COMPONENTS
        }
        ModelConfig::Mlp {
            h: hid, activation, ..
        } => {
            r.hidden = hid;
            r.activation = activation as u32;
            d_ok && hid <= crate::TEBM_MAX_HIDDEN
        }
        ModelConfig::DeepMlp {
            layers,
            widths,
            activation,
            ..
        } => {
            let w = &widths[..layers.min(widths.len())];
            r.hidden = w.iter().copied().max().unwrap_or(0);
            r.layers = layers;
            r.activation = activation as u32;
            d_ok && layers <= crate::TEBM_MAX_DEEP_LAYERS && r.hidden <= crate::TEBM_MAX_DEEP_WIDTH
        }
        _ => false,
    });
    // SAFETY: non-null and writable per contract.
    unsafe { out.write(r) };
    TebmStatus::Ok
}

/// `M::decode_into` out of line (its temporaries live in this frame only).
#[inline(never)]
fn decode_into<M: Persist>(m: &mut M, b: &[u8]) -> Result<(), Error> {
    m.decode_into(b)
}

/// Creates an energy in `mem` (`mem_len` bytes, as for the
/// `tebm_energy_init_*` functions; `tebm_energy_size_for(header.kind)`
/// suffices) from a weight file of `nbytes` bytes: the model kind, sizes
/// and parameters all come from the file. On failure nothing is written.
/// Statuses as for `tebm_weights_load`, then the memory's
/// (`BUFFER_TOO_SMALL`, `MISALIGNED`). An MLP is checked whole, then
/// written in place, in little stack; the other models (a few KB at most)
/// are decoded aside first.
///
/// # Safety
/// `mem` NULL or `mem_len` writable bytes not in use by another call;
/// `bytes` NULL or `nbytes` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_energy_init_from_weights(
    mem: *mut c_void,
    mem_len: usize,
    bytes: *const u8,
    nbytes: usize,
) -> TebmStatus {
    check_null!(mem, bytes);
    // SAFETY: non-null; `nbytes` readable bytes per contract.
    let b = unsafe { byte_slice(bytes, nbytes) };
    match create_from_weights(b, Some((mem, mem_len))) {
        Ok(s) => s,
        Err(e) => TebmStatus::from(e),
    }
}

/// Validates a whole weight file (`nbytes` bytes) as `tebm_energy_init_from_weights`
/// would, without creating anything, and writes the detailed reason of a
/// failure ("" when valid) into `msg` (`msg_len` bytes, NUL-terminated,
/// truncated) when `msg` is not NULL. Returns the file's status (not the
/// message's): `OK`, `CORRUPT_DATA`, `TRUNCATED`, `CHECKSUM`, ….
///
/// # Safety
/// `bytes` NULL or `nbytes` readable bytes; `msg` NULL or `msg_len`
/// writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_weights_check(
    bytes: *const u8,
    nbytes: usize,
    msg: *mut c_char,
    msg_len: usize,
) -> TebmStatus {
    check_null!(bytes);
    // SAFETY: non-null; `nbytes` readable bytes per contract.
    let b = unsafe { byte_slice(bytes, nbytes) };
    let mut text = ErrorText::<TEBM_ERROR_MESSAGE_CAPACITY>::new();
    let status = match create_from_weights(b, None) {
        Ok(s) => s,
        Err(e) => {
            text.set("weight file", &e);
            TebmStatus::from(e)
        }
    };
    if !msg.is_null() {
        // SAFETY: non-null; `msg_len` writable bytes per contract.
        let _ = unsafe { write_c_str(msg, msg_len, text.as_str()) };
    }
    status
}
