//! Diagnostics on recorded draws: rank-normalised split-R̂, bulk-ESS and
//! tail-ESS (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, "Rank-
//! normalization, folding, and localization: an improved R̂", Bayesian
//! Analysis 16(2)), with the conventions of ArviZ (`az.rhat`, `az.ess`).
//!
//! The draws of one scalar quantity are a caller slice laid out
//! `[chains][draws]` (chain-major, f32 or f64), e.g. one coordinate's block
//! of [`Sampler::run_recording`](crate::Sampler::run_recording)'s buffer.
//! Nothing is allocated: ranks are computed by an in-place (unstable,
//! allocation-free) sort of a caller scratch buffer of
//! [`scratch_len`]`(chains, draws)` = 2·chains·draws doubles.
//!
//! Method, for c chains of n draws:
//! * **split**: each chain is cut into halves of ⌊n/2⌋ draws (for odd n the
//!   middle draw is dropped), giving m = 2c chains of h = ⌊n/2⌋ draws;
//! * **rank normalisation**: the m·h split draws are ranked together
//!   (average ranks for ties) and mapped to z = Φ⁻¹((r − 3/8)/(m·h + 1/4));
//! * **R̂** = max(R̂ of the z-values (bulk), R̂ of the z-values of the
//!   folded draws |x − median| (tail)), each R̂ = √(((h − 1)/h·W + B/h)/W);
//! * **ESS** (Geyer's initial positive then monotone sequence on the
//!   autocorrelations ρ̂ₜ = 1 − (W − mean autocovariance at lag t)/var⁺,
//!   Vehtari et al. eq. 10, ESS = m·h/τ̂ with τ̂ ≥ 1/log₁₀(m·h)):
//!   **bulk-ESS** on the z-values; **tail-ESS** the smaller ESS of the
//!   indicators I(x ≤ q₀.₀₅) and I(x ≤ q₀.₉₅) (quantiles of all c·n draws,
//!   type 7); **mean-ESS** on the split draws themselves, for the Monte
//!   Carlo standard error of the mean.
//!
//! Cost: three sorts of m·h values (O(m·h·log(m·h))) and, per ESS,
//! O(m·h·L) for the autocovariances computed directly up to the truncation
//! lag L of Geyer's sequence (L ≤ h; about 2τ + a few for a chain mixing
//! with autocorrelation time τ): fine for thousands of draws on a host,
//! seconds on a microcontroller for large, slowly mixing draw sets. No FFT.

use crate::error::Error;

/// Scratch doubles [`rank_diagnostics`] needs for `chains` chains of
/// `draws` draws (`None` on overflow).
pub fn scratch_len(chains: usize, draws: usize) -> Option<usize> {
    chains.checked_mul(draws)?.checked_mul(2)
}

/// The diagnostics of one scalar quantity over recorded chains.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankDiagnostics {
    /// Rank-normalised split-R̂: the larger of `rhat_bulk` and
    /// `rhat_tail`. Vehtari et al. recommend using draws only when it is
    /// below 1.01.
    pub rhat: f64,
    /// R̂ of the rank-normalised split draws.
    pub rhat_bulk: f64,
    /// R̂ of the rank-normalised folded split draws |x − median|.
    pub rhat_tail: f64,
    /// Bulk effective sample size (rank-normalised split draws).
    pub ess_bulk: f64,
    /// Tail effective sample size: the smaller ESS of the 5 % and 95 %
    /// quantile indicators.
    pub ess_tail: f64,
    /// ESS of the split draws themselves (for the MCSE of the mean).
    pub ess_mean: f64,
    /// Mean of all draws.
    pub mean: f64,
    /// Monte Carlo standard error of the mean: sd/√`ess_mean`.
    pub mcse_mean: f64,
    /// Chains after splitting (2·chains).
    pub split_chains: usize,
    /// Draws per split chain (⌊draws/2⌋).
    pub split_draws: usize,
}

impl RankDiagnostics {
    fn nan(m: usize, h: usize) -> Self {
        RankDiagnostics {
            rhat: f64::NAN,
            rhat_bulk: f64::NAN,
            rhat_tail: f64::NAN,
            ess_bulk: f64::NAN,
            ess_tail: f64::NAN,
            ess_mean: f64::NAN,
            mean: f64::NAN,
            mcse_mean: f64::NAN,
            split_chains: m,
            split_draws: h,
        }
    }
}

/// Rank-normalised split-R̂, bulk/tail ESS and the MCSE of the mean of
/// `x`, laid out `[chains][draws]` (`x.len()` a multiple of `chains`),
/// using `scratch` (at least [`scratch_len`] doubles; its contents are
/// overwritten).
///
/// Errors: `chains == 0` ([`Error::Empty`]), `x.len()` not a multiple of
/// `chains` ([`Error::DimensionMismatch`]), `scratch` too short
/// ([`Error::CapacityExceeded`]). Every value is NaN (no error) with fewer
/// than 4 draws per chain, or when a draw is not finite; an ESS of draws
/// that are all equal is the number of split draws (as ArviZ), their R̂ NaN.
pub fn rank_diagnostics<T: Copy + Into<f64>>(
    x: &[T],
    chains: usize,
    scratch: &mut [f64],
) -> Result<RankDiagnostics, Error> {
    if chains == 0 {
        return Err(Error::Empty);
    }
    if x.len() % chains != 0 {
        return Err(Error::DimensionMismatch {
            expected: (x.len() / chains + 1) * chains,
            found: x.len(),
        });
    }
    let n = x.len() / chains;
    // Saturating: no overflow at any input (tests/no_panic_recent.rs).
    let need = x.len().saturating_mul(2);
    if scratch.len() < need {
        return Err(Error::CapacityExceeded {
            requested: need,
            capacity: scratch.len(),
        });
    }
    let (m, h) = (chains.saturating_mul(2), n / 2);
    if n < 4 || x.iter().any(|&v| !Into::<f64>::into(v).is_finite()) {
        return Ok(RankDiagnostics::nan(m, h));
    }
    let at = |c: usize, s: usize| -> f64 { x[c * n + s].into() };
    // Split chain q (of m), draw s (of h).
    let sx = |q: usize, s: usize| -> f64 {
        let c = q / 2;
        if q % 2 == 0 {
            at(c, s)
        } else {
            at(c, n - h + s)
        }
    };
    let total = x.len();
    let mean = x.iter().map(|&v| Into::<f64>::into(v)).sum::<f64>() / total as f64;

    // Tail quantiles over all draws.
    let sorted = &mut scratch[..total];
    for (o, &v) in sorted.iter_mut().zip(x) {
        *o = v.into();
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let (q05, q95) = (quantile7(sorted, 0.05), quantile7(sorted, 0.95));
    let var_all = sorted.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (total - 1) as f64;
    let ess_tail = ess(m, h, |q, s| f64::from(u8::from(sx(q, s) <= q05)))
        .min(ess(m, h, |q, s| f64::from(u8::from(sx(q, s) <= q95))));
    let ess_mean = ess(m, h, sx);

    // Bulk: ranks of the split draws.
    let mh = m * h;
    let (z, idx) = scratch[..2 * mh].split_at_mut(mh);
    let flat = |p: usize| sx(p / h, p % h);
    rank_normalise(z, idx, flat);
    let rhat_bulk = rhat(m, h, |q, s| z[q * h + s]);
    let ess_bulk = ess(m, h, |q, s| z[q * h + s]);
    // Tail R̂: fold around the median of the split draws (idx is sorted).
    let med = {
        let v = |k: usize| flat(idx[k] as usize);
        if mh % 2 == 1 {
            v(mh / 2)
        } else {
            0.5 * (v(mh / 2 - 1) + v(mh / 2))
        }
    };
    rank_normalise(z, idx, |p| libm::fabs(flat(p) - med));
    let rhat_tail = rhat(m, h, |q, s| z[q * h + s]);
    let r = if rhat_bulk.is_nan() || rhat_tail.is_nan() {
        f64::NAN
    } else {
        rhat_bulk.max(rhat_tail)
    };
    Ok(RankDiagnostics {
        rhat: r,
        rhat_bulk,
        rhat_tail,
        ess_bulk,
        ess_tail,
        ess_mean,
        mean,
        mcse_mean: libm::sqrt(var_all / ess_mean),
        split_chains: m,
        split_draws: h,
    })
}

/// Type-7 quantile (R's default, NumPy's "linear") of sorted values.
fn quantile7(sorted: &[f64], p: f64) -> f64 {
    let hh = (sorted.len() - 1) as f64 * p;
    let lo = libm::floor(hh) as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (hh - lo as f64) * (sorted[hi] - sorted[lo])
}

/// z[p] = Φ⁻¹((r_p − 3/8)/(M + 1/4)) with r_p the average rank of
/// `key(p)` among the M = z.len() keys; `idx` (M doubles) ends holding the
/// positions sorted by key.
fn rank_normalise(z: &mut [f64], idx: &mut [f64], key: impl Fn(usize) -> f64) {
    let mm = z.len();
    for (k, v) in idx.iter_mut().enumerate() {
        *v = k as f64;
    }
    idx.sort_unstable_by(|a, b| key(*a as usize).total_cmp(&key(*b as usize)));
    let mut start = 0;
    while start < mm {
        let v = key(idx[start] as usize);
        let mut end = start + 1;
        while end < mm && key(idx[end] as usize) == v {
            end += 1;
        }
        // Ranks start+1 ..= end, averaged.
        let r = 0.5 * ((start + 1) + end) as f64;
        let zz = norm_ppf((r - 0.375) / (mm as f64 + 0.25));
        for &p in &idx[start..end] {
            z[p as usize] = zz;
        }
        start = end;
    }
}

/// R̂ of m chains of h draws: √(((h − 1)/h·W + B/h)/W) (NaN if W = 0 or
/// h < 2).
pub(crate) fn rhat(m: usize, h: usize, v: impl Fn(usize, usize) -> f64) -> f64 {
    if h < 2 || m < 2 {
        return f64::NAN;
    }
    let hf = h as f64;
    let (mut w, mut means_sum) = (0.0, 0.0);
    for q in 0..m {
        let mu = (0..h).map(|s| v(q, s)).sum::<f64>() / hf;
        means_sum += mu;
        w += (0..h).map(|s| (v(q, s) - mu) * (v(q, s) - mu)).sum::<f64>() / (hf - 1.0);
    }
    w /= m as f64;
    let grand = means_sum / m as f64;
    let mut b = 0.0;
    for q in 0..m {
        let mu = (0..h).map(|s| v(q, s)).sum::<f64>() / hf;
        b += (mu - grand) * (mu - grand);
    }
    let b_over_h = b / (m - 1) as f64;
    if w > 0.0 {
        libm::sqrt(((hf - 1.0) / hf * w + b_over_h) / w)
    } else {
        f64::NAN
    }
}

/// ESS of m chains of h draws (ArviZ `_ess`): Geyer's initial positive
/// sequence with the initial monotone adjustment, autocovariances computed
/// directly (biased, /h) as far as the sequence goes.
pub(crate) fn ess(m: usize, h: usize, v: impl Fn(usize, usize) -> f64) -> f64 {
    let size = (m * h) as f64;
    if h < 2 {
        return f64::NAN;
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for q in 0..m {
        for s in 0..h {
            let x = v(q, s);
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    if hi - lo < 1e-15 {
        return size;
    }
    let hf = h as f64;
    let mean = |q: usize| (0..h).map(|s| v(q, s)).sum::<f64>() / hf;
    // Mean over chains of the lag-t autocovariance.
    let acov = |t: usize| {
        let mut a = 0.0;
        for q in 0..m {
            let mu = mean(q);
            a += (0..h - t)
                .map(|s| (v(q, s) - mu) * (v(q, s + t) - mu))
                .sum::<f64>()
                / hf;
        }
        a / m as f64
    };
    let mean_var = acov(0) * hf / (hf - 1.0);
    let mut var_plus = mean_var * (hf - 1.0) / hf;
    if m > 1 {
        let mus_mean = (0..m).map(mean).sum::<f64>() / m as f64;
        var_plus += (0..m)
            .map(|q| (mean(q) - mus_mean) * (mean(q) - mus_mean))
            .sum::<f64>()
            / (m - 1) as f64;
    }
    let rho = |t: usize| 1.0 - (mean_var - acov(t)) / var_plus;
    // Stream ArviZ's two passes: pairs (ρ_{2k}, ρ_{2k+1}) while the last
    // computed pair sums to > 0; every pair before the last one computed
    // counts whole, capped by the previous pair (monotone sequence); the
    // last one computed adds its even term when positive.
    let (mut body, mut prev) = (0.0, f64::INFINITY);
    let mut cur = (1.0, rho(1));
    let mut any_nan = cur.1.is_nan();
    let mut t = 1;
    while t + 3 < h && cur.0 + cur.1 > 0.0 {
        let s = (cur.0 + cur.1).min(prev);
        body += s;
        prev = s;
        cur = (rho(t + 1), rho(t + 2));
        any_nan |= cur.0.is_nan() || cur.1.is_nan();
        t += 2;
    }
    if any_nan {
        return f64::NAN;
    }
    let tail = if cur.0 > 0.0 { cur.0 } else { 0.0 };
    let tau = (-1.0 + 2.0 * body + tail).max(1.0 / libm::log10(size));
    size / tau
}

/// Φ⁻¹(p), the standard normal quantile: Acklam's rational approximation
/// refined by one Halley step (relative error ~1e-15).
pub fn norm_ppf(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let p_low = 0.02425;
    let x = if p < p_low {
        tail(libm::sqrt(-2.0 * libm::log(p)))
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail(libm::sqrt(-2.0 * libm::log(1.0 - p)))
    };
    // Halley step on Φ(x) − p.
    let e = 0.5 * libm::erfc(-x / core::f64::consts::SQRT_2) - p;
    let u = e * libm::sqrt(2.0 * core::f64::consts::PI) * libm::exp(0.5 * x * x);
    x - u / (1.0 + 0.5 * x * u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_ppf_inverts_the_cdf() {
        for &p in &[
            1e-10,
            0.001,
            0.02,
            0.025,
            0.3,
            0.5,
            0.7,
            0.975,
            0.99,
            1.0 - 1e-9,
        ] {
            let x = norm_ppf(p);
            let back = 0.5 * libm::erfc(-x / core::f64::consts::SQRT_2);
            assert!((back - p).abs() < 1e-14 * p.max(1e-3), "{p}: {x} -> {back}");
        }
        assert_eq!(norm_ppf(0.5), 0.0);
        assert!((norm_ppf(0.975) - 1.959_963_984_540_054).abs() < 1e-13);
    }
}
