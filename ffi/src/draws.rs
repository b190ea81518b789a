//! Diagnostics of recorded draws from C: rank-normalised split-R̂ and
//! bulk/tail ESS ([`ebm::draws`]) over a caller's `[chains][draws]` array,
//! e.g. one coordinate's block of `tebm_sampler_record_draws`.

use ebm::draws::{RankDiagnostics, rank_diagnostics};

use crate::handle::{check_null, floats, out_slice};
use crate::status::TebmStatus;

/// Diagnostics of one scalar quantity over recorded chains
/// (`tebm_draws_diagnostics`; Vehtari et al. 2021, ArviZ's conventions).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TebmDrawsDiagnostics {
    /// Rank-normalised split-R̂: the larger of `rhat_bulk` and `rhat_tail`
    /// (use the draws when below 1.01).
    pub rhat: f64,
    /// R̂ of the rank-normalised split draws.
    pub rhat_bulk: f64,
    /// R̂ of the rank-normalised folded draws |x − median|.
    pub rhat_tail: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Tail effective sample size (the smaller of the 5 % and 95 % quantile
    /// indicators' ESS).
    pub ess_tail: f64,
    /// ESS of the draws themselves (for the MCSE of the mean).
    pub ess_mean: f64,
    /// Mean of all draws.
    pub mean: f64,
    /// Monte Carlo standard error of the mean.
    pub mcse_mean: f64,
    /// Chains after splitting each in two.
    pub split_chains: usize,
    /// Draws per split chain (the middle draw of an odd count is dropped).
    pub split_draws: usize,
}

impl From<RankDiagnostics> for TebmDrawsDiagnostics {
    fn from(r: RankDiagnostics) -> Self {
        TebmDrawsDiagnostics {
            rhat: r.rhat,
            rhat_bulk: r.rhat_bulk,
            rhat_tail: r.rhat_tail,
            ess_bulk: r.ess_bulk,
            ess_tail: r.ess_tail,
            ess_mean: r.ess_mean,
            mean: r.mean,
            mcse_mean: r.mcse_mean,
            split_chains: r.split_chains,
            split_draws: r.split_draws,
        }
    }
}

/// Rank-normalised split-R̂, bulk/tail ESS and the MCSE of the mean of
/// `chains` chains of `draws_per_chain` draws laid out chain after chain
/// (`draws[c * draws_per_chain + s]`), into `*out`. `scratch` holds
/// `scratch_len ≥ 2 * chains * draws_per_chain` doubles (overwritten; no
/// allocation: ranks are an in-place sort of it). Cost: three sorts of the
/// draws, plus direct autocovariances up to Geyer's truncation lag
/// (O(draws × lag) per ESS).
///
/// Statuses: NULL pointers; `chains` or `draws_per_chain` 0
/// (`BAD_DIMENSION`); sizes whose product overflows
/// (`CAPACITY_EXCEEDED`); `scratch_len` too small (`BUFFER_TOO_SMALL`).
/// With fewer than 4 draws per chain, or a non-finite draw, the call
/// succeeds and every value is NaN; draws that are all equal have ESS =
/// the number of split draws and R̂ NaN.
///
/// # Safety
/// `draws` NULL or `chains * draws_per_chain` readable floats; `scratch`
/// NULL or `scratch_len` writable doubles; `out` NULL or writable; none
/// overlapping.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_draws_diagnostics(
    draws: *const f32,
    chains: usize,
    draws_per_chain: usize,
    scratch: *mut f64,
    scratch_len: usize,
    out: *mut TebmDrawsDiagnostics,
) -> TebmStatus {
    check_null!(draws, scratch, out);
    if chains == 0 || draws_per_chain == 0 {
        return TebmStatus::BadDimension;
    }
    let Some(need) = ebm::draws::scratch_len(chains, draws_per_chain) else {
        return TebmStatus::CapacityExceeded;
    };
    if scratch_len < need {
        return TebmStatus::BufferTooSmall;
    }
    // SAFETY: non-null; chains·draws_per_chain (≤ need/2, no overflow)
    // readable floats per contract.
    let x = unsafe { floats(draws, need / 2) };
    // SAFETY: non-null; `need` writable doubles (scratch_len ≥ need).
    let sc = unsafe { out_slice(scratch, need) };
    match rank_diagnostics(x, chains, sc) {
        Ok(r) => {
            // SAFETY: non-null and writable per contract.
            unsafe { out.write(r.into()) };
            TebmStatus::Ok
        }
        Err(e) => TebmStatus::from(e),
    }
}
