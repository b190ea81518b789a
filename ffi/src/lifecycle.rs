//! The lifecycle every stateful C object shares — sampler, trainer and
//! replica exchange: init in place (all checks first, then build), run on
//! an energy, read back, invalidate, last error. Each object type says what
//! its state is ([`Stateful`]); the functions here do the rest once, with
//! one policy for an energy other than the last one ([`adopt_energy`]).

use core::ffi::{c_char, c_void};
use core::ptr::addr_of_mut;

use ebm::{Energy, Error, EvalError, NegativePhase, Walkers};

use crate::TEBM_MAX_DIM;
use crate::TebmEnergy;
use crate::energy::{EnergyKey, EnergyRef, energy_ref};
use crate::handle::{
    Handle, InUse, Object, check_null, check_object, floats, object_memory, object_mut, object_ref,
    out_slice, take, tri,
};
use crate::status::{ErrorText, TebmStatus, write_c_str};

/// A core object that a C object wraps and that owns the walkers: a
/// sampler or replica exchange (their own negative phase), or a trainer
/// (whose sampler is).
///
/// # Safety
/// All-zero bytes must be a valid `Self`: [`init`] zeroes fresh memory and
/// then hands it to the builder as a `&mut`.
pub(crate) unsafe trait Owner<const N: usize> {
    /// The sampler whose walkers are the samples.
    type Phase: NegativePhase<N, TEBM_MAX_DIM>;
    /// The negative phase.
    fn phase(&self) -> &Self::Phase;
    /// The negative phase, mutably.
    fn phase_mut(&mut self) -> &mut Self::Phase;
    /// Called by `tebm_*_invalidate`. Default: the caches go stale.
    fn invalidate(&mut self) {
        self.phase_mut().invalidate();
    }
}

/// Implements [`Owner`] for a core type that is its own negative phase.
/// The caller states, in a `// SAFETY:` comment before the invocation, why
/// all-zero bytes are a valid value of the type.
macro_rules! own_phase {
    ($t:ty, $n:expr) => {
        // SAFETY: see the comment at the invocation.
        unsafe impl $crate::lifecycle::Owner<{ $n }> for $t {
            type Phase = $t;
            fn phase(&self) -> &$t {
                self
            }
            fn phase_mut(&mut self) -> &mut $t {
                self
            }
        }
    };
}
pub(crate) use own_phase;

/// The state of every stateful C object: the core object, the energy its
/// cached values belong to, and what else the object keeps.
pub(crate) struct State<P, X> {
    pub(crate) core: P,
    /// The energy the cached values belong to.
    pub(crate) energy: EnergyKey,
    pub(crate) extra: X,
}

/// What the shared lifecycle needs from an object's state.
///
/// # Safety
/// All-zero bytes must be a valid `Self` (see [`init`]).
pub(crate) unsafe trait Stateful<const N: usize> {
    /// The core object.
    type Core: Owner<N>;
    /// The core object.
    fn core(&self) -> &Self::Core;
    /// The core object, mutably.
    fn core_mut(&mut self) -> &mut Self::Core;
    /// The energy the cached values belong to.
    fn energy(&mut self) -> &mut EnergyKey;
}

// SAFETY: all-zero bytes are a valid `State<P, X>` when they are a valid
// `P` (`Owner`'s contract), a valid `EnergyKey` (two integers) and a valid
// `X` (the `Zeroed` bound's contract).
unsafe impl<P: Owner<N>, X: Zeroed, const N: usize> Stateful<N> for State<P, X> {
    type Core = P;
    fn core(&self) -> &P {
        &self.core
    }
    fn core_mut(&mut self) -> &mut P {
        &mut self.core
    }
    fn energy(&mut self) -> &mut EnergyKey {
        &mut self.energy
    }
}

/// Plain data whose all-zero bytes are a valid value.
///
/// # Safety
/// As said.
pub(crate) unsafe trait Zeroed {}
// SAFETY: integers.
unsafe impl Zeroed for u32 {}
// SAFETY: no bytes.
unsafe impl Zeroed for () {}
// SAFETY: integers and a float (`StepSummary`: three `usize`, one `f32`).
unsafe impl Zeroed for ebm::StepSummary {}

/// The one policy for a new energy: an energy other than the one the cached
/// values came from (another object, or the same object re-initialised,
/// reloaded or trained since: see `EnergyKey`) is first checked aside at
/// every position where it will be evaluated; if it is unusable the error
/// comes back and nothing has changed, else the caches are marked stale (the
/// next step re-evaluates them) and the object remembers the new energy.
pub(crate) fn adopt_energy<S: Stateful<N>, E: Energy, const N: usize>(
    s: &mut S,
    e: &E,
    key: EnergyKey,
) -> Result<(), Error> {
    let dim = s.core().phase().samples().dim();
    if e.dim() != dim {
        return Err(Error::DimensionMismatch {
            expected: dim,
            found: e.dim(),
        });
    }
    if key != *s.energy() {
        s.core().phase().check_energy(e)?;
        s.core_mut().invalidate();
        *s.energy() = key;
    }
    Ok(())
}

/// Initialises an object of handle type `H` in `mem` (`mem_len` bytes)
/// once everything that can be checked without writing has been checked:
/// `build` gets a valid object — the one already there (recognised by its
/// tag) or zeroed memory — and makes it the new object, failing only on
/// what could not be checked beforehand. On failure an existing object's
/// state is as `build` left it (builders change nothing then), and fresh
/// memory is left untagged (it holds no object).
pub(crate) fn init<H: Handle, const N: usize>(
    mem: *mut c_void,
    mem_len: usize,
    build: impl FnOnce(&mut InUse<'_, H::State>) -> Result<(), Error>,
) -> TebmStatus
where
    H::State: Stateful<N>,
{
    // SAFETY: all-zero bytes are a valid `H::State` by `Stateful`'s contract.
    unsafe { init_zero_valid::<H>(mem, mem_len, build) }
}

/// [`init`] for any handle type whose state is valid as all-zero bytes.
///
/// # Safety
/// All-zero bytes must be a valid `H::State`.
pub(crate) unsafe fn init_zero_valid<H: Handle>(
    mem: *mut c_void,
    mem_len: usize,
    build: impl FnOnce(&mut InUse<'_, H::State>) -> Result<(), Error>,
) -> TebmStatus {
    let p = tri!(object_memory::<Object<H::State>>(mem, mem_len));
    // SAFETY: `p` is non-null, aligned and has room for one object (checked
    // by `object_memory`); `check_object` reads its first 4 bytes.
    let existing =
        unsafe { check_object::<Object<H::State>>(p.cast_const().cast(), H::TAG) }.is_ok();
    // SAFETY: `p` is valid for writing one object and used by no one else
    // during the call except through its busy flag (the init functions'
    // contract). A tagged object is a valid one (only init writes tags,
    // with a whole object); otherwise all-zero bytes are a valid
    // `Object<H::State>` (tag, busy flag and `ErrorText` are integers and
    // bytes, the state is zero-valid by this function's contract) and fresh
    // memory has no other user to race with the zeroing.
    let taken = unsafe {
        if !existing {
            p.write_bytes(0, 1);
        }
        take(p)
    };
    let mut obj = tri!(taken);
    let r = build(&mut obj);
    if r.is_ok() {
        *obj.error = ErrorText::new();
    }
    drop(obj);
    // SAFETY: the tag is a field apart from those `obj` borrowed (now
    // released); the memory is ours for the call, as above.
    let tag = unsafe { addr_of_mut!((*p).tag) };
    match r {
        Ok(()) => {
            // SAFETY: as above.
            unsafe { tag.write(H::TAG) };
            TebmStatus::Ok
        }
        Err(e) => {
            if !existing {
                // SAFETY: as above.
                unsafe { tag.write(0) };
            }
            TebmStatus::from(e)
        }
    }
}

/// `tebm_*_run`: `steps` calls of `step` on the energy, each all-or-nothing,
/// after [`adopt_energy`]; stops at the first failure and reports the steps
/// taken in `*steps_done` (when not NULL).
///
/// # Safety
/// `h` NULL or a handle's storage used by no one else during the call (the
/// energy callback must not touch it); `energy` NULL or a `TebmEnergy`'s
/// storage; `steps_done` NULL or writable.
pub(crate) unsafe fn run<H: Handle, const N: usize>(
    h: *mut H,
    energy: *const TebmEnergy,
    steps: usize,
    steps_done: *mut usize,
    what: &str,
    mut step: impl FnMut(&mut H::State, &EnergyRef<'_>) -> Result<(), Error>,
) -> TebmStatus
where
    H::State: Stateful<N>,
{
    check_null!(h, energy);
    // SAFETY: non-null; storage per contract. The energy is checked before
    // the object is borrowed mutably; equal handles fail one of the tag checks.
    let e = tri!(unsafe { energy_ref(energy) });
    // SAFETY: non-null; exclusive storage per contract.
    let mut s = tri!(unsafe { object_mut(h) });
    let mut done = 0;
    let dim = s.state.core().phase().samples().dim();
    let adopted = if e.model.dim() != dim {
        Err(Error::DimensionMismatch {
            expected: dim,
            found: e.model.dim(),
        })
    } else if steps > 0 {
        adopt_energy(&mut *s.state, &e.model, e.key)
    } else {
        Ok(())
    };
    let mut status = match adopted {
        Ok(()) => TebmStatus::Ok,
        Err(err) => s.fail(what, err),
    };
    while status == TebmStatus::Ok && done < steps {
        match step(&mut *s.state, &e) {
            Ok(()) => done += 1,
            Err(err) => status = s.fail(what, err),
        }
    }
    if !steps_done.is_null() {
        // SAFETY: non-null and writable per contract.
        unsafe { steps_done.write(done) };
    }
    status
}

/// A call that changes an object: `f` on its state. The status of a
/// failure is returned and its text recorded as the object's last error,
/// under the name `what`.
///
/// # Safety
/// `h` NULL or a handle's storage used by no one else during the call.
pub(crate) unsafe fn update<H: Handle>(
    h: *mut H,
    what: &str,
    f: impl FnOnce(&mut H::State) -> Result<(), Error>,
) -> TebmStatus {
    check_null!(h);
    // SAFETY: non-null; exclusive storage per contract.
    let mut s = tri!(unsafe { object_mut(h) });
    match f(&mut *s.state) {
        Ok(()) => TebmStatus::Ok,
        Err(e) => s.fail(what, e),
    }
}

/// A read-back of one value: `f` of the state into `*out`.
///
/// # Safety
/// `h` NULL or a handle's storage; `out` NULL or writable.
pub(crate) unsafe fn read<H: Handle, T>(
    h: *const H,
    out: *mut T,
    f: impl FnOnce(&H::State) -> T,
) -> TebmStatus {
    check_null!(h, out);
    // SAFETY: non-null; storage per contract.
    let s = tri!(unsafe { object_ref(h) });
    // SAFETY: non-null and writable per contract.
    unsafe { out.write(f(s.state)) };
    TebmStatus::Ok
}

/// A read-back of an array: `need(state)` elements written by `fill` into
/// `out` (`len` elements; `BUFFER_TOO_SMALL` when fewer than needed). A
/// failure is recorded as the object's last error under the name `what`.
///
/// # Safety
/// `h` NULL or a handle's storage; `out` NULL or `len` writable elements.
pub(crate) unsafe fn read_array<H: Handle, T>(
    h: *const H,
    out: *mut T,
    len: usize,
    what: &str,
    need: impl FnOnce(&H::State) -> usize,
    fill: impl FnOnce(&H::State, &mut [T]) -> Result<(), Error>,
) -> TebmStatus {
    check_null!(h, out);
    // SAFETY: non-null; storage per contract.
    let mut s = tri!(unsafe { object_ref(h) });
    let n = need(s.state);
    if len < n {
        return s.fail_status(what, TebmStatus::BufferTooSmall, n);
    }
    // SAFETY: non-null; at least `n` writable elements (len ≥ n).
    match fill(s.state, unsafe { out_slice(out, n) }) {
        Ok(()) => TebmStatus::Ok,
        Err(e) => s.fail(what, e),
    }
}

/// The walkers whose positions are an object's samples.
fn samples<S: Stateful<N>, const N: usize>(s: &S) -> &Walkers<N, TEBM_MAX_DIM> {
    s.core().phase().samples()
}

/// An array of the samples that a read-back copies.
#[derive(Clone, Copy)]
enum SampleArray {
    /// n × dim floats, walker-major.
    Positions,
    /// n floats: the cached energies.
    Energies,
}

/// A read-back of the samples' `what` into `out` (`len` floats).
///
/// # Safety
/// `h` NULL or a handle's storage; `out` NULL or `len` writable floats.
unsafe fn read_samples<S: Stateful<N>, H: Handle<State = S>, const N: usize>(
    h: *const H,
    out: *mut f32,
    len: usize,
    what: &str,
    which: SampleArray,
) -> TebmStatus {
    let need = |s: &S| match which {
        SampleArray::Positions => samples(s).len() * samples(s).dim(),
        SampleArray::Energies => samples(s).len(),
    };
    let fill = |s: &S, o: &mut [f32]| match which {
        SampleArray::Positions => samples(s).positions(o),
        SampleArray::Energies => {
            o.copy_from_slice(samples(s).energies());
            Ok(())
        }
    };
    // SAFETY: forwarded contract.
    unsafe { read_array(h, out, len, what, need, fill) }
}

/// `tebm_*_positions`: the samples' positions (n × dim floats,
/// walker-major) into `out` (`len` floats).
///
/// # Safety
/// As for [`read_samples`].
pub(crate) unsafe fn positions<S: Stateful<N>, H: Handle<State = S>, const N: usize>(
    h: *const H,
    out: *mut f32,
    len: usize,
    what: &str,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { read_samples(h, out, len, what, SampleArray::Positions) }
}

/// `tebm_*_energies`: the samples' cached energies (n floats) into `out`.
///
/// # Safety
/// As for [`read_samples`].
pub(crate) unsafe fn energies<S: Stateful<N>, H: Handle<State = S>, const N: usize>(
    h: *const H,
    out: *mut f32,
    len: usize,
    what: &str,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { read_samples(h, out, len, what, SampleArray::Energies) }
}

/// `tebm_*_invalidate`.
///
/// # Safety
/// `h` NULL or a handle's storage used by no one else.
pub(crate) unsafe fn invalidate<S: Stateful<N>, H: Handle<State = S>, const N: usize>(
    h: *mut H,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        update(h, "invalidate", |s| {
            s.core_mut().invalidate();
            Ok(())
        })
    }
}

/// `tebm_*_last_error`: the text of the object's last error ("" if none),
/// NUL-terminated and truncated to `len` bytes. The one call that does not
/// record its own failure (`BUFFER_TOO_SMALL` when truncated): it would
/// overwrite the text being read.
///
/// # Safety
/// `h` NULL or a handle's storage; `buf` NULL or `len` writable bytes.
pub(crate) unsafe fn last_error<H: Handle>(
    h: *const H,
    buf: *mut c_char,
    len: usize,
) -> TebmStatus {
    check_null!(h, buf);
    // SAFETY: non-null; storage per contract.
    let s = tri!(unsafe { object_ref(h) });
    // SAFETY: non-null; `len` writable bytes, a distinct caller buffer.
    unsafe { write_c_str(buf, len, s.error.as_str()) }
}

/// Where the walkers of a new object start: given positions, or draws from
/// N(center, sd²·I) (center: the origin when not given).
#[derive(Clone, Copy)]
pub(crate) struct Start<'a> {
    positions: Option<&'a [f32]>,
    center: Option<&'a [f32]>,
    sd: f32,
    seed: u64,
    n: usize,
}

impl<'a> Start<'a> {
    /// The start a C configuration describes, for `n` walkers (already
    /// checked against its capacity) of dimension `dim ≤ TEBM_MAX_DIM`.
    ///
    /// # Safety
    /// `positions` NULL or `n·dim` readable floats; `center` NULL or `dim`
    /// readable floats; both unchanged during the call.
    pub(crate) unsafe fn from_c(
        positions: *const f32,
        center: *const f32,
        sd: f32,
        seed: u64,
        n: usize,
        dim: usize,
    ) -> Self {
        // SAFETY: (each) non-null; the lengths per this function's contract.
        let positions = (!positions.is_null()).then(|| unsafe { floats(positions, n * dim) });
        // SAFETY: as above.
        let center = (!center.is_null()).then(|| unsafe { floats(center, dim) });
        Start {
            positions,
            center,
            sd,
            seed,
            n,
        }
    }

    /// Checks, without writing anything, what [`Start::apply`] would
    /// refuse: the Gaussian's settings, and `e` at every start (evaluated
    /// aside, a few walkers at a time).
    pub(crate) fn check<E: Energy, const N: usize>(&self, e: &E) -> Result<(), Error> {
        type W<const N: usize> = Walkers<N, TEBM_MAX_DIM>;
        match self.positions {
            Some(x) => W::<N>::check_init_positions(e, self.n, x),
            None => {
                if !(self.sd.is_finite() && self.sd >= 0.0)
                    || self
                        .center
                        .is_some_and(|c| c.iter().any(|v| !v.is_finite()))
                {
                    return Err(Error::InvalidConfig(
                        "initial centre and sd must be finite, sd ≥ 0",
                    ));
                }
                let zeros = [0f32; TEBM_MAX_DIM];
                let c = self.center.unwrap_or(&zeros[..e.dim().min(TEBM_MAX_DIM)]);
                W::<N>::check_init_gaussian(e, self.n, self.seed, c, self.sd)
            }
        }
    }

    /// Initialises `w` at the start, which [`Start::check`] found usable.
    ///
    /// The init evaluates `e` at every start once more (into `w`'s scratch
    /// space, then the caches). An energy that fails there now (a callback
    /// that answers differently when asked again) cannot undo the check's
    /// verdict, and the init may not fail once it has written: the walkers
    /// are then placed at their starts without evaluating `e`, with stale
    /// caches (energies read as 0) that the first step evaluates again, as
    /// after `invalidate` (issue 19, item 3).
    pub(crate) fn apply<E: Energy, const N: usize>(
        &self,
        w: &mut Walkers<N, TEBM_MAX_DIM>,
        e: &E,
    ) -> Result<(), Error> {
        match self.place(w, e) {
            Err(Error::NonFinite { .. } | Error::EnergyDeclined { .. }) => {
                self.place(w, &Unevaluated(e.dim()))?;
                w.invalidate();
                Ok(())
            }
            r => r,
        }
    }

    /// Initialises `w` at the start, evaluating `e` there.
    fn place<E: Energy, const N: usize>(
        &self,
        w: &mut Walkers<N, TEBM_MAX_DIM>,
        e: &E,
    ) -> Result<(), Error> {
        match self.positions {
            Some(x) => w.init_positions(e, self.n, self.seed, x),
            None => {
                let zeros = [0f32; TEBM_MAX_DIM];
                let c = self.center.unwrap_or(&zeros[..e.dim().min(TEBM_MAX_DIM)]);
                w.init_gaussian(e, self.n, self.seed, c, self.sd)
            }
        }
    }
}

/// An energy of dimension `.0` that is 0 with a zero gradient everywhere:
/// what [`Start::apply`] places walkers with when the real energy may not
/// be called again (their caches are then marked stale).
struct Unevaluated(usize);

impl Energy for Unevaluated {
    fn dim(&self) -> usize {
        self.0
    }

    fn value(&self, _x: &[f32]) -> Result<f32, EvalError> {
        Ok(0.0)
    }

    fn value_grad(&self, _x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        grad.fill(0.0);
        Ok(0.0)
    }
}
