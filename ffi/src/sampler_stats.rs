//! Reading a sampler back from C: per-walker acceptance of the last step,
//! the summary ([`TebmSamplerStats`]) and per-coordinate diagnostics.

use ebm::{Error, Kernel};

use crate::handle::{check_null, object_ref, out_slice, tri};
use crate::lifecycle;
use crate::sampler::State;
use crate::status::TebmStatus;
use crate::{TEBM_MAX_DIM, TEBM_MAX_WALKERS, TebmSampler};

/// A summary of a sampler (`tebm_sampler_stats`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TebmSamplerStats {
    /// Number of walkers.
    pub n_walkers: usize,
    /// Dimension.
    pub dim: usize,
    /// Steps taken since initialisation.
    pub steps: u64,
    /// Draws per walker recorded in the diagnostics (since the last reset,
    /// which `tebm_sampler_freeze_step_size` does: warm-up is not counted).
    /// Mean, variance and acceptance cover them all.
    pub draws: u64,
    /// Fraction of proposals accepted since the last diagnostics reset
    /// (NaN before any step).
    pub acceptance_rate: f64,
    /// Mean acceptance probability of the last step.
    pub last_mean_accept_prob: f32,
    /// Current step size.
    pub step_size: f32,
    /// Inverse temperature β.
    pub beta: f32,
    /// 1 while the step size is being adapted.
    pub adapting: u32,
    /// Smallest effective sample size over coordinates: NaN if too few
    /// draws (the batches are shorter than 10 estimated autocorrelation
    /// times: "not enough draws"), or if any coordinate's ESS is NaN (e.g. a
    /// coordinate that cannot move): never a finite value that hides one.
    pub min_ess: f64,
    /// Largest split-R̂ over coordinates: NaN as for `min_ess`.
    pub max_rhat: f64,
    /// Divergent steps summed over walkers since the last diagnostics
    /// reset (`TEBM_KERNEL_NUTS`; 0 for other kernels).
    pub divergences: u64,
    /// Proposals rejected because the energy or its gradient was not
    /// finite there, or the callback declined it (since the last
    /// diagnostics reset, summed over walkers).
    pub invalid_proposals: u64,
    /// Draws per walker the ESS (and MCSE) cover: all recorded draws but
    /// the latest, incomplete batch.
    pub ess_draws: u64,
    /// Draws per walker the R̂ values cover: all recorded draws but the
    /// latest one or two batches.
    pub rhat_draws: u64,
    /// 1 while steps are recorded in the diagnostics
    /// (`tebm_sampler_set_recording`).
    pub recording: u32,
}

/// Per walker, whether its last step's proposal was taken (1) or not (0),
/// into `out` (`len` ≥ n_walkers bytes); and, when `accept_prob` is not
/// NULL, the Metropolis–Hastings acceptance probability of that proposal
/// (`len` floats; 1 for ULA, 0 for an invalid proposal).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `accepted` NULL or `len`
/// writable bytes; `accept_prob` NULL or `len` writable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_last_accepted(
    sampler: *const TebmSampler,
    accepted: *mut u8,
    accept_prob: *mut f32,
    len: usize,
) -> TebmStatus {
    check_null!(sampler, accepted);
    // SAFETY: non-null; storage per contract.
    let mut s = tri!(unsafe { object_ref(sampler) });
    let n = s.state.core.walkers().len();
    if len < n {
        return s.fail_status("tebm_sampler_last_accepted", TebmStatus::BufferTooSmall, n);
    }
    let w = s.state.core.walkers();
    // SAFETY: non-null; at least `n` writable bytes.
    let acc = unsafe { out_slice(accepted, n) };
    for (i, a) in acc.iter_mut().enumerate() {
        *a = u8::from(w.last_step(i).accepted);
    }
    if !accept_prob.is_null() {
        // SAFETY: non-null; at least `n` writable floats.
        let p = unsafe { out_slice(accept_prob, n) };
        for (i, q) in p.iter_mut().enumerate() {
            *q = w.last_step(i).accept_prob;
        }
    }
    TebmStatus::Ok
}

/// The summary `tebm_sampler_stats` writes.
fn stats(s: &State) -> TebmSamplerStats {
    let sm = &s.core;
    let (w, dg) = (sm.walkers(), sm.diagnostics());
    TebmSamplerStats {
        n_walkers: w.len(),
        dim: w.dim(),
        steps: w.steps(),
        draws: dg.draws(),
        acceptance_rate: dg.acceptance_rate(),
        last_mean_accept_prob: s.extra.mean_accept_prob,
        step_size: sm.kernel().step_size(),
        beta: sm.beta(),
        adapting: u32::from(sm.is_adapting()),
        min_ess: dg.min_ess(),
        max_rhat: dg.max_rhat(),
        divergences: dg.total_divergences(),
        invalid_proposals: dg.invalid_proposals(),
        ess_draws: dg.ess_draws(),
        rhat_draws: dg.rhat_draws(),
        recording: u32::from(sm.is_recording()),
    }
}

/// Writes a summary (sizes, steps, acceptance, step size, β, ESS, R̂).
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_stats(
    sampler: *const TebmSampler,
    out: *mut TebmSamplerStats,
) -> TebmStatus {
    // SAFETY: forwarded contract.
    unsafe { lifecycle::read(sampler, out, stats) }
}

/// Which per-coordinate diagnostic (`tebm_sampler_diagnostic`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmDiagnostic {
    /// Mean pooled over walkers and recorded draws.
    Mean = 0,
    /// Variance pooled over walkers and recorded draws.
    Variance = 1,
    /// Effective sample size (per-walker batch means; NaN while the batches
    /// are shorter than 10 estimated autocorrelation times).
    Ess = 2,
    /// Split-R̂ across walkers (over `rhat_draws` draws per walker).
    Rhat = 3,
    /// Monte Carlo standard error of the mean, √(variance/ESS).
    Mcse = 4,
    /// Estimated integrated autocorrelation time τ̂ (reported even when
    /// the batches are too short for the ESS: compare with 10·τ̂ ≤ batch).
    Tau = 5,
}

/// Copies one diagnostic (a `TebmDiagnostic` value) for every coordinate
/// into `out` (`len` ≥ dim doubles). Values are NaN until enough draws are
/// recorded.
///
/// # Safety
/// `sampler` NULL or a `TebmSampler`'s storage; `out` NULL or `len`
/// writable doubles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_sampler_diagnostic(
    sampler: *const TebmSampler,
    which: u32,
    out: *mut f64,
    len: usize,
) -> TebmStatus {
    check_null!(sampler, out);
    // SAFETY: non-null; storage per contract.
    let mut s = tri!(unsafe { object_ref(sampler) });
    const WHAT: &str = "tebm_sampler_diagnostic";
    let f: fn(&ebm::Diagnostics<TEBM_MAX_WALKERS, TEBM_MAX_DIM>, usize) -> f64 = match which {
        0 => |g, i| g.mean(i),
        1 => |g, i| g.variance(i),
        2 => |g, i| g.ess(i),
        3 => |g, i| g.rhat(i),
        4 => |g, i| g.mcse(i),
        5 => |g, i| g.tau(i),
        _ => return s.fail(WHAT, Error::InvalidConfig("unknown diagnostic")),
    };
    let d = s.state.core.walkers().dim();
    if len < d {
        return s.fail_status(WHAT, TebmStatus::BufferTooSmall, d);
    }
    let dg = s.state.core.diagnostics();
    // SAFETY: non-null; at least `d` writable doubles.
    let out = unsafe { out_slice(out, d) };
    for (i, o) in out.iter_mut().enumerate() {
        // i < d ≤ TEBM_MAX_DIM: in range of the diagnostics' arrays.
        *o = f(dg, i);
    }
    TebmStatus::Ok
}
