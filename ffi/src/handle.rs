//! Checking raw C arguments: NULL pointers, object memory (size and
//! alignment), type tags, and C arrays turned into slices.

use core::ffi::{c_int, c_void};
use core::mem::{align_of, size_of};
use core::ptr::{addr_of, addr_of_mut};
use core::sync::atomic::{AtomicU16, Ordering};

use ebm::Error;

use crate::TEBM_ERROR_MESSAGE_CAPACITY;
use crate::status::{ErrorText, TebmStatus};

/// Type tag of an energy (“tEN1”).
pub(crate) const ENERGY_TAG: u32 = 0x7445_4e31;
/// Type tag of a sampler (“tSM1”).
pub(crate) const SAMPLER_TAG: u32 = 0x7453_4d31;
/// Type tag of a trainer (“tTR1”).
pub(crate) const TRAINER_TAG: u32 = 0x7454_5231;
/// Type tag of a replica-exchange sampler (“tRX1”).
pub(crate) const TEMPERING_TAG: u32 = 0x7452_5831;
/// Type tag of an AIS object (“tAI1”).
pub(crate) const AIS_TAG: u32 = 0x7441_4931;
/// Type tag of an energy-discrepancy trainer (“tED1”).
pub(crate) const ED_TAG: u32 = 0x7445_4431;
/// Every tag, to tell "another tinyebm object" from "not initialised".
const TAGS: [u32; 6] = [
    ENERGY_TAG,
    SAMPLER_TAG,
    TRAINER_TAG,
    TEMPERING_TAG,
    AIS_TAG,
    ED_TAG,
];

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

/// Declares `$handle` (an opaque C type of `$size` bytes) as the storage of
/// an `Object<$state>` tagged `$tag`, and checks at compile time that the
/// object fits: state right after the `TEBM_SAMPLER_HEADER_SIZE`-byte
/// header, size at most `$size`, alignment at most `TEBM_OBJECT_ALIGN`.
macro_rules! object_handle {
    ($handle:ty, $state:ty, $tag:expr, $size:expr) => {
        impl $crate::handle::Handle for $handle {
            type State = $state;
            const TAG: u32 = $tag;
        }
        const _: () = {
            type Obj = $crate::handle::Object<$state>;
            assert!(core::mem::offset_of!(Obj, state) == $crate::TEBM_SAMPLER_HEADER_SIZE);
            assert!(core::mem::size_of::<Obj>() <= $size);
            assert!(core::mem::align_of::<Obj>() <= $crate::TEBM_OBJECT_ALIGN);
            assert!(core::mem::size_of::<$handle>() == $size);
        };
    };
}

pub(crate) use {check_null, object_handle, tri};

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

/// A stateful object in caller memory (sampler, trainer, tempering): type
/// tag, busy flag and last-error record (the first
/// `TEBM_SAMPLER_HEADER_SIZE` bytes, checked per type at compile time), then
/// the state. A failing call may write the last-error record only.
#[repr(C)]
pub(crate) struct Object<S> {
    pub(crate) tag: u32,
    /// Non-zero while a call uses the object: a call that finds it set
    /// (a callback re-entering the object it is called from, or a second
    /// thread) is refused with `TEBM_STATUS_BUSY` before it touches the
    /// state. Atomic, so that the check itself is no data race.
    busy: AtomicU16,
    pub(crate) error: ErrorText<TEBM_ERROR_MESSAGE_CAPACITY>,
    pub(crate) state: S,
}

const _: () = assert!(TEBM_ERROR_MESSAGE_CAPACITY < u16::MAX as usize);

/// An object in use by the current call: its state and last-error record,
/// borrowed apart from its busy flag, which is set while this lives.
pub(crate) struct InUse<'a, S> {
    pub(crate) state: &'a mut S,
    pub(crate) error: &'a mut ErrorText<TEBM_ERROR_MESSAGE_CAPACITY>,
    busy: &'a AtomicU16,
}

impl<S> InUse<'_, S> {
    /// Records `e` as the last error and returns its status.
    pub(crate) fn fail(&mut self, what: &str, e: Error) -> TebmStatus {
        self.error.set(what, &e);
        TebmStatus::from(e)
    }

    /// The status of a push that ran `done` updates with outcome `r`: on
    /// success `*updated` = `done` (saturated; when `updated` is not NULL),
    /// else the failure recorded as `what`'s.
    ///
    /// # Safety
    /// `updated` NULL or writable.
    pub(crate) unsafe fn pushed<T>(
        &mut self,
        what: &str,
        r: Result<T, Error>,
        done: u64,
        updated: *mut c_int,
    ) -> TebmStatus {
        match r {
            Ok(_) => {
                if !updated.is_null() {
                    // SAFETY: non-null and writable per contract.
                    unsafe { updated.write(c_int::try_from(done).unwrap_or(c_int::MAX)) };
                }
                TebmStatus::Ok
            }
            Err(e) => self.fail(what, e),
        }
    }

    /// Records a failure that is a status of the C API only (e.g.
    /// `BUFFER_TOO_SMALL`: `what: buffer too small, need n`) and returns it.
    pub(crate) fn fail_status(&mut self, what: &str, st: TebmStatus, need: usize) -> TebmStatus {
        self.error.set(what, &Need(st, need));
        st
    }
}

/// `message, need n` for [`InUse::fail_status`] (no number when 0).
struct Need(TebmStatus, usize);

impl core::fmt::Display for Need {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.1 == 0 {
            f.write_str(self.0.message())
        } else {
            write!(f, "{}, need {}", self.0.message(), self.1)
        }
    }
}

impl<S> Drop for InUse<'_, S> {
    fn drop(&mut self) {
        self.busy.store(0, Ordering::Release);
    }
}

/// Sets the busy flag if it is clear; false if it was set. Where the target
/// has no compare-and-swap (Cortex-M0), a load then a store: enough against
/// re-entry from a callback, not against two cores.
fn acquire(busy: &AtomicU16) -> bool {
    #[cfg(target_has_atomic = "16")]
    {
        busy.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }
    #[cfg(not(target_has_atomic = "16"))]
    {
        if busy.load(Ordering::Acquire) != 0 {
            return false;
        }
        busy.store(1, Ordering::Release);
        true
    }
}

/// Takes the object at `p` for the current call: checks its busy flag
/// (through the atomic only, so a refused call touches nothing else), sets
/// it, and borrows the state and the last-error record.
///
/// # Safety
/// `p` points to a valid `Object<S>` at an aligned address, in memory that
/// no one else uses during `'a` except through its busy flag (the contract
/// of every function taking an object: one call at a time per object — the
/// flag turns a breach into `TEBM_STATUS_BUSY`).
pub(crate) unsafe fn take<'a, S>(p: *mut Object<S>) -> Result<InUse<'a, S>, TebmStatus> {
    // SAFETY: `p` points to a valid object; a shared borrow of the atomic
    // field alone does not overlap the state or error record, which another
    // call (the one that set the flag) may hold mutably.
    let busy = unsafe { &*addr_of!((*p).busy) };
    if !acquire(busy) {
        return Err(TebmStatus::Busy);
    }
    // SAFETY: the flag was clear and is now ours: no other call holds the
    // state or the error record (per the contract above), and the two
    // fields are disjoint.
    unsafe {
        Ok(InUse {
            state: &mut *addr_of_mut!((*p).state),
            error: &mut *addr_of_mut!((*p).error),
            busy,
        })
    }
}

/// An opaque C handle type and the object its storage holds.
pub(crate) trait Handle {
    /// The state after the header.
    type State;
    /// The tag its init function writes.
    const TAG: u32;
}

/// The object behind a handle, taken for the current call (for reading
/// as for writing: a call that reads an object in the middle of another
/// call's step would see half a step).
///
/// # Safety
/// `p` must be NULL or point to `size_of::<H>()` bytes of a handle's
/// storage used by no other call during `'a` except through the busy flag;
/// `size_of::<Object<H::State>>() ≤ size_of::<H>()` (checked at compile
/// time by `object_handle!`).
pub(crate) unsafe fn object_mut<'a, H: Handle>(
    p: *const H,
) -> Result<InUse<'a, H::State>, TebmStatus> {
    // SAFETY: forwarded contract; `check_object` reads the 4-byte tag only.
    let p = unsafe { check_object::<Object<H::State>>(p.cast(), H::TAG)? };
    // SAFETY: the tag is only written by the handle's init function,
    // together with a whole valid object at this aligned address (or copied
    // with one: objects hold no self-references); the memory is used as the
    // contract says.
    unsafe { take(p.cast_mut()) }
}

/// [`object_mut`], for the functions that only read (the same access).
///
/// # Safety
/// As for [`object_mut`].
pub(crate) unsafe fn object_ref<'a, H: Handle>(
    p: *const H,
) -> Result<InUse<'a, H::State>, TebmStatus> {
    // SAFETY: forwarded contract.
    unsafe { object_mut(p) }
}

/// Writes `v` into an optional out-parameter: nothing when `p` is NULL.
///
/// # Safety
/// `p` NULL or writable.
pub(crate) unsafe fn write_optional<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-null and writable per contract.
        unsafe { p.write(v) };
    }
}
