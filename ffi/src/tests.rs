//! In-process tests of the C entry points, called from Rust as C would call
//! them, against the Rust API (the C programs in tests/c/ do the same
//! from C; scripts/ci-ffi.sh runs them).

use core::ffi::{c_int, c_void};
use core::mem::size_of;
use std::boxed::Box;
use std::vec;

use ebm::adapt::MALA_TARGET;
use ebm::{Activation, AnyKernel, Energy, FnEnergy, Mala, Mlp, Sampler, Walkers};

use crate::*;

#[path = "../examples/common/mod.rs"]
mod energies;

/// A C energy callback that evaluates `f` (U returned, ∇U written).
pub(crate) unsafe extern "C" fn callback<F: EnergyFn>(
    _user: *mut c_void,
    x: *const f32,
    dim: usize,
    u: *mut f32,
    grad: *mut f32,
) -> c_int {
    let mut g = [0f32; TEBM_MAX_DIM];
    // SAFETY: the library passes `dim` (≤ TEBM_MAX_DIM) readable floats, a
    // writable `u` and `dim` writable floats or NULL in `grad` (the
    // TebmEnergyFn contract).
    unsafe {
        *u = F::eval(core::slice::from_raw_parts(x, dim), &mut g[..dim]);
        if !grad.is_null() {
            core::slice::from_raw_parts_mut(grad, dim).copy_from_slice(&g[..dim]);
        }
    }
    0
}

/// An energy as a plain function, for [`callback`].
pub(crate) trait EnergyFn {
    fn eval(x: &[f32], g: &mut [f32]) -> f32;
}

/// See `energies::quartic` (2-D).
pub(crate) struct Quartic;
impl EnergyFn for Quartic {
    fn eval(x: &[f32], g: &mut [f32]) -> f32 {
        energies::quartic(x, g)
    }
}

/// See `energies::bowl`.
pub(crate) struct Bowl;
impl EnergyFn for Bowl {
    fn eval(x: &[f32], g: &mut [f32]) -> f32 {
        energies::bowl(x, g)
    }
}

pub(crate) fn energy_storage() -> Box<TebmEnergy> {
    Box::new(TebmEnergy {
        opaque: [0; TEBM_ENERGY_SIZE],
    })
}

fn sampler_storage() -> Box<TebmSampler> {
    Box::new(TebmSampler {
        opaque: [0; TEBM_SAMPLER_SIZE],
    })
}

/// The in-place init tests: in the storage `p`, for each of `configs` in
/// turn (the first over zeroed memory, each next over the object the one
/// before built and used), `init` returns OK and builds the state that
/// `check` compares with the by-value construction; `exercise` then uses the
/// object a little.
///
/// # Safety
/// `p` is a handle's storage for `init` to build an object in.
pub(crate) unsafe fn check_in_place_inits<H: crate::handle::Handle, C>(
    p: *const H,
    configs: &[C],
    init: impl Fn(&C) -> TebmStatus,
    check: impl Fn(&H::State, &C),
    exercise: impl Fn(&C),
) {
    for c in configs {
        assert_eq!(init(c), TebmStatus::Ok);
        // SAFETY: `init` built an object there; no other call uses it.
        let taken = unsafe { crate::handle::object_ref(p) }.unwrap();
        check(taken.state, c);
        drop(taken);
        exercise(c);
    }
}

#[test]
fn callback_mala_through_the_c_api_matches_the_rust_api_bit_for_bit() {
    let mut e = energy_storage();
    let mut s = sampler_storage();
    let ep: *mut TebmEnergy = &mut *e;
    let sp: *mut TebmSampler = &mut *s;
    let centre = [0.5f32, -0.5];
    // SAFETY: every pointer is valid for what the header documents.
    unsafe {
        let st = tebm_energy_init_callback(
            ep.cast(),
            size_of::<TebmEnergy>(),
            2,
            Some(callback::<Quartic>),
            core::ptr::null_mut(),
        );
        assert_eq!(st, TebmStatus::Ok);
        let mut cfg = core::mem::zeroed::<TebmSamplerConfig>();
        assert_eq!(tebm_sampler_config_default(&mut cfg), TebmStatus::Ok);
        cfg.n_walkers = 16;
        cfg.seed = 7;
        cfg.kernel.step_size = 0.1;
        cfg.adapt = 1;
        cfg.init_center = centre.as_ptr();
        let st = tebm_sampler_init(sp.cast(), size_of::<TebmSampler>(), ep, &cfg);
        assert_eq!(st, TebmStatus::Ok);
        let mut done = 0;
        assert_eq!(tebm_sampler_run(sp, ep, 150, &mut done), TebmStatus::Ok);
        assert_eq!(done, 150);
        assert_eq!(tebm_sampler_freeze_step_size(sp), TebmStatus::Ok);
        assert_eq!(tebm_sampler_run(sp, ep, 150, &mut done), TebmStatus::Ok);
    }
    let mut pos = [0f32; 32];
    let mut stats = TebmSamplerStats::default();
    // SAFETY: valid sampler and output buffers of the given lengths.
    unsafe {
        assert_eq!(
            tebm_sampler_positions(sp, pos.as_mut_ptr(), 32),
            TebmStatus::Ok
        );
        assert_eq!(tebm_sampler_stats(sp, &mut stats), TebmStatus::Ok);
    }

    let f = FnEnergy::new(2, energies::quartic);
    let w = Walkers::<TEBM_MAX_WALKERS, TEBM_MAX_DIM>::gaussian(&f, 16, 7, &centre, 1.0).unwrap();
    let mut r = Sampler::new(AnyKernel::<TEBM_MAX_DIM>::Mala(Mala::new(0.1).unwrap()), w);
    r.start_adaptation(MALA_TARGET).unwrap();
    r.run(&f, 150).unwrap();
    r.freeze_step_size().unwrap();
    r.run(&f, 150).unwrap();
    let mut want = [0f32; 32];
    r.walkers().positions(&mut want).unwrap();
    assert_eq!(pos.map(f32::to_bits), want.map(f32::to_bits));
    assert_eq!(stats.steps, 300);
    assert_eq!(
        stats.step_size.to_bits(),
        ebm::Kernel::step_size(r.kernel()).to_bits()
    );
}

#[test]
fn mlp_energy_through_the_c_api_matches_the_rust_model() {
    let (d, h) = (3, 8);
    let n = tebm_mlp_num_params(d, h);
    let theta: vec::Vec<f32> = (0..n)
        .map(|i| ((i * 37 % 17) as f32 - 8.0) / 16.0)
        .collect();
    let mut e = energy_storage();
    let ep: *mut TebmEnergy = &mut *e;
    // SAFETY: valid storage and a parameter buffer of `n` floats.
    let st = unsafe {
        tebm_energy_init_mlp(
            ep.cast(),
            tebm_energy_size_for(3),
            d,
            h,
            1,
            0.5,
            theta.as_ptr(),
            n,
        )
    };
    assert_eq!(st, TebmStatus::Ok);
    let m = Mlp::<TEBM_MAX_DIM, TEBM_MAX_HIDDEN>::from_params(d, h, Activation::Silu, 0.5, &theta)
        .unwrap();
    let x = [0.3f32, -1.2, 2.0];
    let (mut u, mut g) = (0f32, [0f32; 3]);
    // SAFETY: valid energy; x, u and g have the documented lengths.
    let st = unsafe { tebm_energy_eval(ep, x.as_ptr(), 3, &mut u, g.as_mut_ptr()) };
    assert_eq!(st, TebmStatus::Ok);
    let mut gw = [0f32; 3];
    let uw = m.value_grad(&x, &mut gw).unwrap();
    assert_eq!(u.to_bits(), uw.to_bits());
    assert_eq!(g.map(f32::to_bits), gw.map(f32::to_bits));
}

#[test]
fn sizes_fit_the_published_storage() {
    std::println!(
        "energy {} (align {}), sampler {} (align {})",
        tebm_energy_size(),
        tebm_energy_align(),
        tebm_sampler_size(),
        tebm_sampler_align()
    );
    assert!(tebm_energy_size() <= TEBM_ENERGY_SIZE);
    assert!(tebm_sampler_size() <= TEBM_SAMPLER_SIZE);
    assert_eq!(core::mem::align_of::<TebmSampler>(), TEBM_OBJECT_ALIGN);
    for k in 0..5 {
        assert!(tebm_energy_size_for(k) > 0 && tebm_energy_size_for(k) <= tebm_energy_size());
    }
}

#[test]
fn version_matches_the_header_constants_and_cargo_toml() {
    // SAFETY: `tebm_version` returns a static NUL-terminated string.
    let v = unsafe { core::ffi::CStr::from_ptr(tebm_version()) };
    let want = std::format!("{TEBM_VERSION_MAJOR}.{TEBM_VERSION_MINOR}.{TEBM_VERSION_PATCH}");
    assert_eq!(v.to_str().unwrap(), want);
    assert_eq!(want, env!("CARGO_PKG_VERSION"));
}

/// What the re-entrant callback saw: the statuses of its nested calls.
struct Reentry {
    sampler: *mut TebmSampler,
    energy: *const TebmEnergy,
    nested: std::vec::Vec<TebmStatus>,
}

unsafe extern "C" fn reentrant(
    user: *mut c_void,
    x: *const f32,
    dim: usize,
    u: *mut f32,
    grad: *mut f32,
) -> c_int {
    // SAFETY: `user` is the `Reentry` the test passed, alive during the run.
    let r = unsafe { &mut *user.cast::<Reentry>() };
    let mut pos = [0f32; 64];
    // SAFETY: pointers from the test; the sampler is the one stepping.
    unsafe {
        r.nested.push(tebm_sampler_run(
            r.sampler,
            r.energy,
            1,
            core::ptr::null_mut(),
        ));
        r.nested
            .push(tebm_sampler_positions(r.sampler, pos.as_mut_ptr(), 64));
        r.nested.push(tebm_sampler_invalidate(r.sampler));
    }
    // SAFETY: as in `callback`.
    unsafe { callback::<Bowl>(core::ptr::null_mut(), x, dim, u, grad) }
}

/// A callback that calls back into the sampler whose step is calling it is
/// refused with BUSY and changes nothing: the outer run counts its steps
/// exactly (issue: a nested run left 13 steps after 10 reported).
#[test]
fn a_reentrant_call_from_a_callback_is_refused_with_busy() {
    let mut e = energy_storage();
    let mut s = sampler_storage();
    let ep: *mut TebmEnergy = &mut *e;
    let sp: *mut TebmSampler = &mut *s;
    let mut r = Reentry {
        sampler: sp,
        energy: ep,
        nested: vec![],
    };
    // SAFETY: every pointer is valid for what the header documents; `r`
    // outlives the energy's use.
    unsafe {
        let user: *mut Reentry = &mut r;
        let st = tebm_energy_init_callback(
            ep.cast(),
            size_of::<TebmEnergy>(),
            2,
            Some(reentrant),
            user.cast(),
        );
        assert_eq!(st, TebmStatus::Ok);
        let mut cfg = core::mem::zeroed::<TebmSamplerConfig>();
        tebm_sampler_config_default(&mut cfg);
        cfg.n_walkers = 4;
        assert_eq!(
            tebm_sampler_init(sp.cast(), size_of::<TebmSampler>(), ep, &cfg),
            TebmStatus::Ok
        );
        (*user).nested.clear();
        let mut done = 0;
        assert_eq!(tebm_sampler_run(sp, ep, 10, &mut done), TebmStatus::Ok);
        assert_eq!(done, 10);
        let mut stats = TebmSamplerStats::default();
        assert_eq!(tebm_sampler_stats(sp, &mut stats), TebmStatus::Ok);
        assert_eq!(stats.steps, 10);
        assert!(!(*user).nested.is_empty());
        assert!((*user).nested.iter().all(|&st| st == TebmStatus::Busy));
    }
}

/// A new energy built at the address of a dead one, or the same energy
/// reloaded with other weights, is a different energy: the sampler's next
/// step refreshes its caches instead of reusing stale ones (issue: a new
/// energy at a dead one's address left 10 of 16 walkers with stale U).
#[test]
fn an_energy_rebuilt_at_the_same_address_refreshes_the_caches() {
    let mut e = energy_storage();
    let mut s = sampler_storage();
    let ep: *mut TebmEnergy = &mut *e;
    let sp: *mut TebmSampler = &mut *s;
    let unit = [1f32; 2];
    // SAFETY: every pointer is valid for what the header documents.
    unsafe {
        let init = |mean: [f32; 2]| {
            tebm_energy_init_gaussian_diag(
                ep.cast(),
                size_of::<TebmEnergy>(),
                2,
                mean.as_ptr(),
                unit.as_ptr(),
            )
        };
        assert_eq!(init([0.0, 0.0]), TebmStatus::Ok);
        let mut cfg = core::mem::zeroed::<TebmSamplerConfig>();
        tebm_sampler_config_default(&mut cfg);
        cfg.n_walkers = 16;
        cfg.kernel.kind = TebmKernel::Mh as u32;
        assert_eq!(
            tebm_sampler_init(sp.cast(), size_of::<TebmSampler>(), ep, &cfg),
            TebmStatus::Ok
        );
        assert_eq!(
            tebm_sampler_run(sp, ep, 5, core::ptr::null_mut()),
            TebmStatus::Ok
        );
        // Same address, another model: every cached U must be the new one's.
        assert_eq!(init([3.0, -3.0]), TebmStatus::Ok);
        assert_eq!(
            tebm_sampler_run(sp, ep, 1, core::ptr::null_mut()),
            TebmStatus::Ok
        );
        let (mut pos, mut u) = ([0f32; 32], [0f32; 16]);
        assert_eq!(
            tebm_sampler_positions(sp, pos.as_mut_ptr(), 32),
            TebmStatus::Ok
        );
        assert_eq!(
            tebm_sampler_energies(sp, u.as_mut_ptr(), 16),
            TebmStatus::Ok
        );
        for w in 0..16 {
            let mut want = 0f32;
            let st = tebm_energy_eval(
                ep,
                pos[2 * w..].as_ptr(),
                2,
                &mut want,
                core::ptr::null_mut(),
            );
            assert_eq!(st, TebmStatus::Ok);
            assert_eq!(u[w].to_bits(), want.to_bits(), "walker {w}: stale cache");
        }
    }
}
