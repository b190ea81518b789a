//! Checking raw C arguments: NULL pointers, object memory (size and
//! alignment), type tags, and C arrays turned into slices.

use core::ffi::c_void;
use core::mem::{align_of, size_of};

use crate::status::TebmStatus;

/// Type tag of an energy (“tEN1”).
pub(crate) const ENERGY_TAG: u32 = 0x7445_4e31;
/// Type tag of a sampler (“tSM1”).
pub(crate) const SAMPLER_TAG: u32 = 0x7453_4d31;
/// Type tag of a trainer (“tTR1”).
pub(crate) const TRAINER_TAG: u32 = 0x7454_5231;
/// Type tag of a replica-exchange sampler (“tRX1”).
pub(crate) const TEMPERING_TAG: u32 = 0x7452_5831;
/// Every tag, to tell "another tinyebm object" from "not initialised".
const TAGS: [u32; 4] = [ENERGY_TAG, SAMPLER_TAG, TRAINER_TAG, TEMPERING_TAG];

/// Returns `TEBM_STATUS_NULL_POINTER` from the enclosing function when any
/// of the pointers is NULL; checked in argument order before anything else.
macro_rules! check_null {
    ($($p:expr),+ $(,)?) => {
        $(
            if $p.is_null() {
                return $crate::status::TebmStatus::NullPointer;
            }
        )+
    };
}

/// `?` for functions returning a bare `TebmStatus`.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(s) => return $crate::status::TebmStatus::from(s),
        }
    };
}

pub(crate) use {check_null, tri};

/// Checks caller memory for an object of type `T`: non-null, at least
/// `size_of::<T>()` bytes, aligned for `T`.
pub(crate) fn object_memory<T>(mem: *mut c_void, len: usize) -> Result<*mut T, TebmStatus> {
    if mem.is_null() {
        return Err(TebmStatus::NullPointer);
    }
    if len < size_of::<T>() {
        return Err(TebmStatus::BufferTooSmall);
    }
    if (mem as usize) % align_of::<T>() != 0 {
        return Err(TebmStatus::Misaligned);
    }
    Ok(mem.cast::<T>())
}

/// Checks that `p` points to an initialised object of type `T` whose first
/// field is the `u32` tag `tag`.
///
/// # Safety
/// `p` must be NULL or point to at least `size_of::<T>()` readable bytes
/// (the object storage handed out by the header's types or sizes).
pub(crate) unsafe fn check_object<T>(p: *const c_void, tag: u32) -> Result<*const T, TebmStatus> {
    if p.is_null() {
        return Err(TebmStatus::NullPointer);
    }
    if (p as usize) % align_of::<T>() != 0 {
        // Objects are only ever created at aligned addresses.
        return Err(TebmStatus::NotInitialised);
    }
    // SAFETY: `p` is non-null, aligned for `T` (whose alignment is at least
    // that of `u32`, its first field) and points to at least 4 readable
    // bytes by this function's contract. Every bit pattern is a valid `u32`.
    // (Storage that C never wrote holds indeterminate bytes: the tag check
    // then fails except with probability 2⁻³²; zeroed or static storage
    // fails it always.)
    let found = unsafe { p.cast::<u32>().read() };
    if found == tag {
        Ok(p.cast::<T>())
    } else if TAGS.contains(&found) {
        Err(TebmStatus::WrongObject)
    } else {
        Err(TebmStatus::NotInitialised)
    }
}

/// `n` floats from C as a slice (`n` already validated against a capacity).
///
/// # Safety
/// `p` must be non-null, aligned, and point to `n` readable `f32` that C
/// does not modify while the slice lives (the duration of the call).
pub(crate) unsafe fn floats<'a>(p: *const f32, n: usize) -> &'a [f32] {
    debug_assert!(!p.is_null());
    // SAFETY: forwarded from this function's contract.
    unsafe { core::slice::from_raw_parts(p, n) }
}

/// `n` writable elements from C as a slice.
///
/// # Safety
/// `p` must be non-null, aligned, and point to `n` writable `T` not
/// aliased by anything else used during the call (in particular not by an
/// object passed to the same call).
pub(crate) unsafe fn out_slice<'a, T>(p: *mut T, n: usize) -> &'a mut [T] {
    debug_assert!(!p.is_null());
    // SAFETY: forwarded from this function's contract.
    unsafe { core::slice::from_raw_parts_mut(p, n) }
}
