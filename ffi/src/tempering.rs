//! Replica exchange (parallel tempering) from C: a [`TebmTempering`] holds
//! R copies of an ensemble of walkers on a geometric ladder of inverse
//! temperatures 1 = β₀ > … > β_{R−1} = `beta_min`, each stepped by its own
//! copy of the kernel, with swaps between neighbouring temperatures after
//! every step. Samples are read from the β = 1 replica.

use core::cmp::min;
use core::ffi::{c_char, c_void};
use core::mem::{align_of, size_of};

use ebm::{AnyKernel, Energy, Error, ReplicaExchange};

use crate::energy::energy_ref;
use crate::handle::{
    InUse, Object, TEMPERING_TAG, check_null, object_handle, object_ref, out_slice, tri,
};
use crate::kernel::{TebmKernel, TebmKernelConfig};
use crate::lifecycle::{self, Start, own_phase};
use crate::status::TebmStatus;
use crate::{
    TEBM_MAX_DIM, TEBM_MAX_REPLICAS, TEBM_MAX_TEMPERING_WALKERS, TEBM_TEMPERING_SIZE, TebmEnergy,
    TebmTempering,
};

/// How to build a replica-exchange sampler. Start from
/// `tebm_tempering_config_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TebmTemperingConfig {
    /// Kernel of every replica (the same step size at every temperature).
    pub kernel: TebmKernelConfig,
    /// Walkers per replica, 1..=`TEBM_MAX_TEMPERING_WALKERS`.
    pub n_walkers: usize,
    /// Number of replicas (temperatures), 1..=`TEBM_MAX_REPLICAS`.
    pub replicas: usize,
    /// Smallest inverse temperature, in (0, 1) (ignored for one replica):
    /// the ladder is βₖ = beta_min^(k/(R−1)).
    pub beta_min: f32,
    /// Seed of the walkers' streams and of the swap decisions.
    pub seed: u64,
    /// Initial positions (n_walkers × dim, walker-major; every replica
    /// starts there), or NULL to draw them from N(`init_center`, `init_sd`²·I).
    pub init_positions: *const f32,
    /// Centre of the initial Gaussian (dim floats) or NULL for the origin.
    pub init_center: *const f32,
    /// Standard deviation of the initial Gaussian (≥ 0).
    pub init_sd: f32,
}

/// Swap statistics of one pair of neighbouring temperatures (k, k+1).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TebmSwapStats {
    /// Swaps proposed.
    pub attempted: u64,
    /// Swaps taken.
    pub accepted: u64,
    /// accepted / attempted (NaN before any proposal).
    pub rate: f32,
}

type Inner = ReplicaExchange<
    AnyKernel<TEBM_MAX_DIM>,
    TEBM_MAX_REPLICAS,
    TEBM_MAX_TEMPERING_WALKERS,
    TEBM_MAX_DIM,
>;

/// Bytes of this object's checkpoint (`ebm::checkpoint`).
pub(crate) const CHECKPOINT_SIZE: usize = Inner::CHECKPOINT_SIZE;

type TemperingObj = Object<State>;

object_handle!(TebmTempering, State, TEMPERING_TAG, TEBM_TEMPERING_SIZE);

/// The replicas and the energy their caches belong to.
pub(crate) type State = lifecycle::State<Inner, ()>;

// SAFETY (for `own_phase!`): all-zero bytes are a valid `Inner`: the core
// `ReplicaExchange`'s fields besides the kernels are integers, floats,
// bools, random streams and arrays or plain structs of these (documented on
// `ReplicaExchange`; its walkers are documented zero-valid on `Walkers`),
// and its kernels are `AnyKernel`s, zero-valid (`repr(u8)`, 0 = `Ula` with
// h = 0).
own_phase!(Inner, TEBM_MAX_TEMPERING_WALKERS);

/// Bytes a replica-exchange object needs (≤ `TEBM_TEMPERING_SIZE`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_tempering_size() -> usize {
    size_of::<TemperingObj>()
}

/// Alignment a replica-exchange object needs (≤ `TEBM_OBJECT_ALIGN`).
#[unsafe(no_mangle)]
pub extern "C" fn tebm_tempering_align() -> usize {
    align_of::<TemperingObj>()
}

/// Fills `*cfg` with defaults: MALA, 16 walkers, 4 replicas (at most
/// `TEBM_MAX_TEMPERING_WALKERS` and `TEBM_MAX_REPLICAS`) down to β = 0.1,
/// seed 1, step size 0.1, 10 leapfrog steps, identity mass, walkers from
/// N(0, 1).
///
/// # Safety
/// `cfg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_config_default(
    cfg: *mut TebmTemperingConfig,
) -> TebmStatus {
    check_null!(cfg);
    let c = TebmTemperingConfig {
        kernel: TebmKernelConfig::new(TebmKernel::Mala, 0.1),
        // Capped by the build's capacities (the default build: 16 and 4).
        n_walkers: min(16, TEBM_MAX_TEMPERING_WALKERS),
        replicas: min(4, TEBM_MAX_REPLICAS),
        beta_min: 0.1,
        seed: 1,
        init_positions: core::ptr::null(),
        init_center: core::ptr::null(),
        init_sd: 1.0,
    };
    // SAFETY: non-null and writable per contract.
    unsafe { cfg.write(c) };
    TebmStatus::Ok
}

/// Builds the object in the valid object `obj` in place (no replica-sized
/// temporary): the β = 1 walkers, then the core's in-place
/// `ReplicaExchange::reinit`. Everything (the starts and the ladder) was
/// checked beforehand: this cannot fail (a callback energy that answers
/// differently the second time it is asked leaves the caches stale, see
/// `Start::apply`; an error is still returned rather than a panic).
#[inline(never)]
fn build(
    obj: &mut InUse<'_, State>,
    e: &crate::energy::EnergyRef<'_>,
    k: AnyKernel<TEBM_MAX_DIM>,
    c: &TebmTemperingConfig,
    ladder: &[f32],
    start: Start<'_>,
) -> Result<(), Error> {
    let rx = &mut obj.state.core;
    start.apply(rx.base_mut(), &e.model)?;
    // Cannot fail: the ladder was checked and the walkers are not empty.
    rx.reinit(k, ladder, c.seed)?;
    obj.state.energy = e.key;
    Ok(())
}

/// Initialises a replica-exchange sampler in `mem` (`mem_len` bytes: a
/// `TebmTempering`, or `tebm_tempering_size()` bytes aligned to
/// `tebm_tempering_align()`) for `energy` (any kind, callbacks included).
/// Every replica starts from the same walkers; replica 0 (β = 1) keeps
/// their streams, the others get fresh streams from the seed. On failure
/// nothing is written (an existing object in `mem` is unchanged):
/// everything, the energy at the initial positions included (evaluated
/// aside, a few walkers at a time, so a callback is called twice for
/// them), is checked before the first write. The object is then built in
/// place, on fresh memory as on an existing one: a few KB of stack on a
/// Cortex-M4F (see the README). The check's verdict stands: a callback
/// that fails at the second evaluation of a start where it passed the
/// first does not fail the init, which has written by then; the replicas
/// are built at their starts with their cached energies stale (read as 0),
/// and the first step evaluates them.
///
/// # Safety
/// `mem` NULL or `mem_len` writable bytes not in use by another call;
/// `energy` NULL or a `TebmEnergy`'s storage; `cfg` NULL or a readable
/// config whose non-NULL arrays have the documented lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_init(
    mem: *mut c_void,
    mem_len: usize,
    energy: *const TebmEnergy,
    cfg: *const TebmTemperingConfig,
) -> TebmStatus {
    check_null!(mem, energy, cfg);
    // SAFETY: non-null and readable per contract.
    let c = unsafe { cfg.read() };
    // SAFETY: non-null; storage per contract.
    let e = tri!(unsafe { energy_ref(energy) });
    let d = e.model.dim();
    // SAFETY: the mass, when read, holds `d` floats per the config's contract.
    let k = tri!(unsafe { c.kernel.build(d) });
    if c.n_walkers == 0 || c.replicas == 0 {
        return TebmStatus::BadDimension;
    }
    if c.n_walkers > TEBM_MAX_TEMPERING_WALKERS || c.replicas > TEBM_MAX_REPLICAS {
        return TebmStatus::CapacityExceeded;
    }
    let mut ladder = [0f32; TEBM_MAX_REPLICAS];
    let ladder = &mut ladder[..c.replicas];
    tri!(ebm::tempering::geometric_ladder(c.beta_min, ladder));
    // SAFETY: n_walkers·d (≤ 16·16) and d floats per the config's contract.
    let start = unsafe {
        Start::from_c(
            c.init_positions,
            c.init_center,
            c.init_sd,
            c.seed,
            c.n_walkers,
            d,
        )
    };
    tri!(start.check::<_, TEBM_MAX_TEMPERING_WALKERS>(&e.model));
    lifecycle::init::<TebmTempering, TEBM_MAX_TEMPERING_WALKERS>(mem, mem_len, |obj| {
        build(obj, &e, k, &c, ladder, start)
    })
}

/// Runs `steps` steps: a kernel step of every replica at its temperature,
/// then a swap sweep between neighbours (alternating even and odd pairs).
/// Each step is all-or-nothing; the run stops at the first failing step
/// and `*steps_done` (when not NULL) tells how many were taken. Another
/// energy object than the last one (by address) re-evaluates the caches
/// first; after changing what the same object computes call
/// `tebm_tempering_invalidate`.
///
/// # Safety
/// `t` NULL or a `TebmTempering`'s storage used by no one else during the
/// call (the energy callback must not touch it); `energy` NULL or a
/// `TebmEnergy`'s storage; `steps_done` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_run(
    t: *mut TebmTempering,
    energy: *const TebmEnergy,
    steps: usize,
    steps_done: *mut usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lifecycle::run(
            t,
            energy,
            steps,
            steps_done,
            "tebm_tempering_run",
            |s: &mut State, e| s.core.step(&e.model).map(|_| ()),
        )
    }
}

/// Marks every replica's cached energies stale (after changing what the
/// energy computes).
///
/// # Safety
/// `t` NULL or a `TebmTempering`'s storage used by no one else.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_invalidate(t: *mut TebmTempering) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::invalidate(t) }
}

/// Copies the positions of the β = 1 replica (n_walkers × dim floats,
/// walker-major) into `out` (`len` ≥ n_walkers·dim floats).
///
/// # Safety
/// `t` NULL or a `TebmTempering`'s storage; `out` NULL or `len` writable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_positions(
    t: *const TebmTempering,
    out: *mut f32,
    len: usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::positions(t, out, len, "tebm_tempering_positions") }
}

/// Copies the cached energies U of the β = 1 replica's walkers into `out`
/// (`len` ≥ n_walkers floats).
///
/// # Safety
/// As for [`tebm_tempering_positions`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_energies(
    t: *const TebmTempering,
    out: *mut f32,
    len: usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::energies(t, out, len, "tebm_tempering_energies") }
}

/// Copies the ladder β₀ = 1 > β₁ > … (R floats, `len` ≥ R) into `out` and
/// the swap statistics of the R − 1 neighbouring pairs into `swaps`
/// (when not NULL; `len` ≥ R − 1 entries). `*sweeps` (when not NULL) gets
/// the number of steps taken.
///
/// # Safety
/// `t` NULL or a `TebmTempering`'s storage; `betas` NULL or `len` writable
/// floats; `swaps` NULL or `len` writable entries; `sweeps` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_ladder(
    t: *const TebmTempering,
    betas: *mut f32,
    swaps: *mut TebmSwapStats,
    len: usize,
    sweeps: *mut u64,
) -> TebmStatus {
    check_null!(t, betas);
    // SAFETY: non-null; storage per contract.
    let mut s = tri!(unsafe { object_ref(t) });
    let r = s.state.core.replicas();
    if len < r {
        return s.fail_status("tebm_tempering_ladder", TebmStatus::BufferTooSmall, r);
    }
    let rx = &s.state.core;
    // SAFETY: non-null; at least `r` writable floats.
    unsafe { out_slice(betas, r) }.copy_from_slice(rx.betas());
    if !swaps.is_null() {
        // SAFETY: non-null; at least `r - 1` writable entries.
        let out = unsafe { out_slice(swaps, r - 1) };
        for (k, o) in out.iter_mut().enumerate() {
            let st = rx.swap_stats(k).unwrap_or_default();
            *o = TebmSwapStats {
                attempted: st.attempted,
                accepted: st.accepted,
                rate: st.rate(),
            };
        }
    }
    if !sweeps.is_null() {
        // SAFETY: non-null and writable per contract.
        unsafe { sweeps.write(rx.sweeps()) };
    }
    TebmStatus::Ok
}

/// Writes the text of the object's last error ("" if none) into `buf`.
///
/// # Safety
/// `t` NULL or a `TebmTempering`'s storage; `buf` NULL or `len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_tempering_last_error(
    t: *const TebmTempering,
    buf: *mut c_char,
    len: usize,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::last_error(t, buf, len) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::energy_init::tebm_energy_init_callback;
    use std::boxed::Box;

    /// In fresh memory and over used objects of other sizes and kernels, the
    /// in-place init builds what `ReplicaExchange::geometric` builds.
    #[test]
    fn in_place_init_equals_by_value_construction() {
        let mut e = crate::tests::energy_storage();
        let mut t = Box::new(TebmTempering {
            opaque: [0; TEBM_TEMPERING_SIZE],
        });
        let ep: *mut TebmEnergy = &mut *e;
        let tp: *mut TebmTempering = &mut *t;
        // SAFETY: every pointer is valid for what the header documents.
        unsafe {
            let st = tebm_energy_init_callback(
                ep.cast(),
                size_of::<TebmEnergy>(),
                3,
                Some(crate::tests::callback::<crate::tests::Bowl>),
                core::ptr::null_mut(),
            );
            assert_eq!(st, TebmStatus::Ok);
            let er = energy_ref(ep).unwrap();
            let mut c = core::mem::zeroed::<TebmTemperingConfig>();
            tebm_tempering_config_default(&mut c);
            let mut configs = std::vec![c];
            let mut more = c;
            more.kernel.kind = TebmKernel::Hmc as u32;
            more.replicas = TEBM_MAX_REPLICAS;
            more.n_walkers = TEBM_MAX_TEMPERING_WALKERS;
            more.seed = 9;
            configs.push(more);
            let mut fewer = c;
            fewer.kernel.kind = TebmKernel::Mala as u32;
            fewer.replicas = 2;
            fewer.n_walkers = 3;
            fewer.init_sd = 0.5;
            configs.push(fewer);
            crate::tests::check_in_place_inits(
                tp,
                &configs,
                |c| tebm_tempering_init(tp.cast(), size_of::<TebmTempering>(), ep, c),
                |state, c| {
                    let mut w = ebm::Walkers::empty();
                    w.init_gaussian(&er.model, c.n_walkers, c.seed, &[0.0; 3], c.init_sd)
                        .unwrap();
                    let k = c.kernel.build(3).unwrap();
                    let want =
                        Box::new(Inner::geometric(k, w, c.replicas, c.beta_min, c.seed).unwrap());
                    assert!(state.core == *want);
                },
                // Run a little so the next init starts from a used object.
                |_| {
                    let st = tebm_tempering_run(tp, ep, 3, core::ptr::null_mut());
                    assert_eq!(st, TebmStatus::Ok);
                },
            );
        }
    }
}
