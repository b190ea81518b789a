//! How good is a model? Annealed importance sampling (Neal 2001) estimates
//! log Z = log ∫exp(−βU(x))dx, and with it the held-out negative
//! log-likelihood E_data\[βU\] + log Z, in fixed memory.
//!
//! **The path.** From a tractable base p₀ = N(μ, diag σ²) (given, or
//! fitted to points: [`Base`]) to ρ ∝ exp(−βU) through the intermediate
//! densities π_k ∝ p₀^(1−b_k)·exp(−b_k·β·U), 0 = b₀ < b₁ ≤ … ≤ b_K = 1
//! ([`AnnealingSchedule`]). π_k has the energy
//!
//! U_k(x) = (1 − b_k)·U₀(x) + b_k·β·U(x),  U₀(x) = ½Σᵢ((xᵢ − μᵢ)/σᵢ)²,
//!
//! which [`Annealed`] implements (value and gradient), so any kernel of the
//! registry moves the walkers at temperature k as it would sample any
//! energy, with β_eff = 1.
//!
//! **One run.** n walkers are drawn exactly from p₀ (each from its own
//! stream), with log-weights A = 0. For k = 1 … K: every walker's weight
//! gets the increment log π̃_k(x) − log π̃_{k−1}(x) = −(b_k − b_{k−1})·(βU(x)
//! − U₀(x)) at its current point, then the kernel makes `moves` steps that
//! leave π_k invariant. Then w = exp(A) has E\[w\] = Z/Z₀ exactly, for any
//! schedule, if the kernel leaves each π_k invariant (MALA, MH, HMC,
//! Barker; not ULA, whose bias then enters the estimate), and
//!
//! log Ẑ = log Z₀ + log mean(w),  log Z₀ = Σᵢ ln(σᵢ√(2π)).
//!
//! Cost: per temperature, one evaluation of U and ∇U at the walkers (for
//! the weights and the kernel's cache) and `moves` kernel steps.
//!
//! **Error bars** ([`WeightStats`]). With w normalised by its maximum
//! (stable for any log-weights), the delta method gives the Monte Carlo
//! standard error se(log Ẑ) ≈ sd(w)/(√n·mean(w)), and the effective sample
//! size of the final weights is ESS = (Σw)²/Σw². The two are tied:
//! sd(w)²/mean(w)² = n/ESS − 1 (with the 1/n variance), so a low ESS means
//! a large SE. log Ẑ is biased low (Jensen: E\[log Ẑ\] ≤ log Z), by about
//! se²/2 when the SE is small. When the weights are dominated by a few
//! walkers (ESS below ~10% of n) the SE is itself unreliable — typically
//! too small, because the walkers that would have revealed the missing mass
//! were never drawn: [`AisResult::is_reliable`] is then false, and the
//! answer is a longer schedule, not the SE. [`pool`] combines R independent
//! runs and reports the spread of their estimates as well.
//!
//! Held-out negative log-likelihood: [`held_out_nll`].
//!
//! References: R. M. Neal, *Annealed importance sampling*, Statistics and
//! Computing 11 (2001); R. Grosse, Z. Ghahramani, R. Adams, *Sandwiching
//! the marginal likelihood using bidirectional Monte Carlo*, 2015 (the
//! sigmoidal schedule).

use crate::energy::Energy;
use crate::error::{Error, check_dim, check_size};
use crate::kernel::Kernel;
use crate::math;
use crate::walkers::{Walkers, first_invalid};

mod base;
mod schedule;

use base::sq;
pub use base::{Annealed, Base};
pub use schedule::AnnealingSchedule;

/// How to run AIS.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AisConfig<'a> {
    /// Walkers n (1 … N).
    pub walkers: usize,
    /// Seed of the walkers' streams.
    pub seed: u64,
    /// Inverse temperature β of the target ρ ∝ exp(−βU) (> 0).
    pub beta: f32,
    /// Number of temperatures K (ignored by a custom schedule).
    pub steps: usize,
    /// The schedule of b.
    pub schedule: AnnealingSchedule<'a>,
    /// Kernel steps per temperature (≥ 1).
    pub moves: usize,
}

impl AisConfig<'_> {
    /// `walkers` walkers, seed 1, β = 1, `steps` temperatures on the
    /// default (sigmoidal) schedule, one move per temperature.
    pub const fn new(walkers: usize, steps: usize) -> Self {
        AisConfig {
            walkers,
            seed: 1,
            beta: 1.0,
            steps,
            schedule: AnnealingSchedule::DEFAULT,
            moves: 1,
        }
    }
}

/// Summary statistics of a set of log-weights ([`WeightStats::of`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightStats {
    /// log mean exp(A).
    pub log_mean: f32,
    /// Delta-method standard error of `log_mean`: sd(w)/(√n·mean(w)) with
    /// the n − 1 sample variance (∞ for one weight).
    pub se: f32,
    /// (Σw)²/Σw², in \[1, n\].
    pub ess: f32,
}

impl WeightStats {
    /// The statistics of log-weights `a` (all finite, at least one),
    /// computed relative to their maximum.
    pub fn of(a: &[f32]) -> Result<Self, Error> {
        if a.is_empty() {
            return Err(Error::Empty);
        }
        if !a.iter().all(|v| v.is_finite()) {
            return Err(Error::NotFinite("AIS log-weights"));
        }
        let n = a.len() as f32;
        let m = a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let (mut s1, mut s2) = (0f32, 0f32);
        for &v in a {
            let w = math::exp(v - m);
            s1 += w;
            s2 += w * w;
        }
        let mean = s1 / n;
        let se = if a.len() < 2 {
            f32::INFINITY
        } else {
            let ss: f32 = a.iter().map(|&v| sq(math::exp(v - m) - mean)).sum();
            math::sqrt(ss / (n - 1.0)) / (math::sqrt(n) * mean)
        };
        Ok(WeightStats {
            log_mean: m + math::ln(mean),
            se,
            ess: s1 * s1 / s2,
        })
    }
}

/// What an AIS run (or a [`pool`] of runs) estimates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AisResult {
    /// log Ẑ = `log_z_base` + log mean(w).
    pub log_z: f32,
    /// Standard error of `log_z`: the delta method on the final weights
    /// (for one run), see the module documentation.
    pub se: f32,
    /// Effective sample size of the final weights, (Σw)²/Σw² ∈ \[1, n\].
    pub ess: f32,
    /// log Z₀ of the base.
    pub log_z_base: f32,
    /// Walkers (all runs together for a pool).
    pub walkers: usize,
    /// Mean acceptance probability of the kernel over the run.
    pub acceptance: f32,
    /// Runs pooled (1 for a single run).
    pub runs: usize,
    /// For a pool of ≥ 2 runs: the standard error from the spread of the
    /// runs' own estimates, sd(log Ẑ_r)/√R (NaN for one run).
    pub se_spread: f32,
}

/// ESS fraction below which [`AisResult::is_reliable`] is false.
pub const MIN_ESS_FRACTION: f32 = 0.1;

impl AisResult {
    /// Whether the weights are spread enough for the SE to mean something:
    /// ESS ≥ [`MIN_ESS_FRACTION`]·n. When false, the estimate and its SE
    /// are both suspect (log Ẑ is then most likely too low): use more
    /// temperatures, a wider base, or more walkers.
    pub fn is_reliable(&self) -> bool {
        self.ess >= MIN_ESS_FRACTION * self.walkers as f32
    }
}

/// Pools independent runs with the same number of walkers (e.g. the same
/// configuration with seeds 1 … R): log Ẑ = log mean_r Ẑ_r (the mean of
/// unbiased estimates of Z is one), `se` by the delta method over the R·n
/// weights together, `ess` the sum of the runs' ESS, and `se_spread` =
/// sd(log Ẑ_r)/√R from the runs' spread, the honest one when the
/// per-run SE is in doubt. Report the larger of `se` and `se_spread`.
pub fn pool(runs: &[AisResult]) -> Result<AisResult, Error> {
    let first = runs.first().ok_or(Error::Empty)?;
    let n = first.walkers;
    let r = runs.len() as f32;
    let m = runs
        .iter()
        .map(|x| x.log_z)
        .fold(f32::NEG_INFINITY, f32::max);
    if !m.is_finite() || runs.iter().any(|x| x.walkers != n || !x.log_z.is_finite()) {
        return Err(Error::InvalidConfig(
            "AIS pool: runs must be finite and have the same number of walkers",
        ));
    }
    // Per run: Σw = n·Ẑ_r, Σw² = (Σw)²/ESS_r (relative to exp(m)).
    let (mut s1, mut s2) = (0f32, 0f32);
    for x in runs {
        let t = n as f32 * math::exp(x.log_z - m);
        s1 += t;
        s2 += t * t / x.ess;
    }
    let total = n as f32 * r;
    let mean = s1 / total;
    let var = ((s2 / total - mean * mean) * total / (total - 1.0)).max(0.0);
    let se = math::sqrt(var) / (math::sqrt(total) * mean);
    let mu = runs.iter().map(|x| x.log_z).sum::<f32>() / r;
    let spread = if runs.len() < 2 {
        f32::NAN
    } else {
        let v = runs.iter().map(|x| sq(x.log_z - mu)).sum::<f32>() / (r - 1.0);
        math::sqrt(v / r)
    };
    Ok(AisResult {
        log_z: m + math::ln(mean),
        se,
        ess: runs.iter().map(|x| x.ess).sum(),
        log_z_base: first.log_z_base,
        walkers: n * runs.len(),
        acceptance: runs.iter().map(|x| x.acceptance).sum::<f32>() / r,
        runs: runs.len(),
        se_spread: spread,
    })
}

/// Annealed importance sampling with kernel `K` over up to `N` walkers in
/// dimension up to `D`: the walkers, their log-weights, the kernel and the
/// base. Fixed memory (`size_of::<Ais<K, N, D>>()`), no allocation.
///
/// Layout note for code that places it in raw memory (the C API): besides
/// `K`, every field is an integer, a float or an array or plain struct of
/// these, or [`Walkers`] (zero-valid), so all-zero bytes are a valid value
/// whenever they are one for `K`; [`Ais::reinit`] readies such storage in
/// place.
#[derive(Clone, Debug)]
pub struct Ais<K, const N: usize, const D: usize> {
    walkers: Walkers<N, D>,
    kernel: K,
    base: Base<D>,
    log_w: [f32; N],
}

impl<K: Kernel, const N: usize, const D: usize> Ais<K, N, D> {
    /// AIS from `base` with `kernel` as the transition at every temperature
    /// (its step size is used as it is at every temperature).
    pub fn new(kernel: K, base: Base<D>) -> Self {
        Ais {
            walkers: Walkers::empty(),
            kernel,
            base,
            log_w: [0.0; N],
        }
    }

    /// Makes this equal to `Ais::new(kernel, base)` in place (no
    /// walkers-sized temporary; any previous value, all-zero bytes
    /// included, is fine).
    pub fn reinit(&mut self, kernel: K, base: Base<D>) {
        self.walkers.reset();
        self.kernel = kernel;
        self.base = base;
        self.log_w = [0.0; N];
    }

    /// The base.
    pub fn base(&self) -> &Base<D> {
        &self.base
    }

    /// Replaces the base (e.g. refitted).
    pub fn set_base(&mut self, base: Base<D>) {
        self.base = base;
    }

    /// The kernel.
    pub fn kernel(&self) -> &K {
        &self.kernel
    }

    /// The kernel, mutably (e.g. its step size).
    pub fn kernel_mut(&mut self) -> &mut K {
        &mut self.kernel
    }

    /// The walkers after the last run: approximate samples of ρ, to be
    /// weighted by [`Ais::log_weights`].
    pub fn walkers(&self) -> &Walkers<N, D> {
        &self.walkers
    }

    /// The final log-weights A of the last run's walkers.
    pub fn log_weights(&self) -> &[f32] {
        &self.log_w[..self.walkers.len()]
    }

    /// Checks a configuration against this object and `energy` without
    /// changing anything (what [`Ais::run`] refuses before it starts).
    pub fn check<E: Energy>(&self, energy: &E, cfg: &AisConfig<'_>) -> Result<(), Error> {
        Self::check_with(&self.kernel, &self.base, energy, cfg)
    }

    /// What [`Ais::check`] would return for an object with `kernel` and
    /// `base` (a front end checks before it builds the object in place).
    pub fn check_with<E: Energy>(
        kernel: &K,
        base: &Base<D>,
        energy: &E,
        cfg: &AisConfig<'_>,
    ) -> Result<(), Error> {
        check_size(cfg.walkers, N)?;
        let d = energy.dim();
        check_size(d, D)?;
        check_dim(d, base.d)?;
        kernel.check_dim(d)?;
        if !(cfg.beta.is_finite() && cfg.beta > 0.0) {
            return Err(Error::InvalidConfig("AIS: beta must be finite and > 0"));
        }
        if cfg.moves == 0 {
            return Err(Error::InvalidConfig("AIS: at least one move per step"));
        }
        cfg.schedule.validate(cfg.steps)
    }

    /// One AIS run on `energy` (see the module documentation). The
    /// configuration is checked first ([`Ais::check`]); on such an error
    /// nothing changes. An energy that is not finite (or declines) where
    /// a weight needs it, or a kernel error, stops the run with that error:
    /// the walkers and weights are then those of an unfinished run.
    pub fn run<E: Energy>(&mut self, energy: &E, cfg: &AisConfig<'_>) -> Result<AisResult, Error> {
        self.check(energy, cfg)?;
        let (n, d) = (cfg.walkers, energy.dim());
        let kk = cfg.schedule.len(cfg.steps);
        let base = self.base;
        self.init_walkers(n, cfg.seed)?;
        self.log_w = [0.0; N];
        let needs_grad = self.kernel.needs_grad();
        let mut acc = 0f32;
        let mut b_prev = 0f32;
        for k in 1..=kk {
            let b = cfg.schedule.b(k, cfg.steps);
            let db = b - b_prev;
            // U and ∇U of the target at the walkers: the weight increment,
            // and π_k's cache for the kernel (the energy changed with b).
            {
                let Walkers { c, s } = &mut self.walkers;
                energy.eval_batch(&c.x, n, needs_grad, &mut s.ev);
                first_invalid(&s.ev, n, d, needs_grad)?;
                let (a, cb) = (1.0 - b, b * cfg.beta);
                for w in 0..n {
                    let u0 = base.u_soa(&c.x, w);
                    let u = s.ev.u[w];
                    self.log_w[w] -= db * (cfg.beta * u - u0);
                    c.u[w] = a * u0 + cb * u;
                    if needs_grad {
                        for i in 0..d {
                            c.g[i][w] = cb * s.ev.grad[i][w] + a * base.grad_i(i, c.x[i][w]);
                        }
                    }
                }
                c.u_fresh = true;
                c.g_fresh = needs_grad;
            }
            let annealed = Annealed {
                target: energy,
                base: &base,
                beta: cfg.beta,
                b,
            };
            for _ in 0..cfg.moves {
                let st = self.kernel.step(&annealed, 1.0, &mut self.walkers)?;
                acc += st.mean_accept_prob;
            }
            b_prev = b;
        }
        let ws = WeightStats::of(&self.log_w[..n])?;
        let log_z_base = base.log_z();
        Ok(AisResult {
            log_z: log_z_base + ws.log_mean,
            se: ws.se,
            ess: ws.ess,
            log_z_base,
            walkers: n,
            acceptance: acc / (kk * cfg.moves) as f32,
            runs: 1,
            se_spread: f32::NAN,
        })
    }

    /// Walkers drawn exactly from the base, walker w from stream (seed, w).
    fn init_walkers(&mut self, n: usize, seed: u64) -> Result<(), Error> {
        let base = self.base;
        self.walkers
            .init_diagonal_gaussian(&base, n, seed, base.mean(), base.sd())
    }
}

/// A held-out negative log-likelihood and its error bar ([`held_out_nll`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeldOut {
    /// Mean over the points of βU(x) + log Z: the NLL per point, in nats.
    pub nll: f32,
    /// Its standard error: √(se_energy² + se(log Z)²).
    pub se: f32,
    /// Mean of βU over the points.
    pub mean_energy: f32,
    /// Standard error of `mean_energy`: sd(βU)/√m (0 for one point).
    pub se_energy: f32,
    /// Points m.
    pub points: usize,
}

/// The held-out negative log-likelihood −mean log ρ(x) = mean βU(x) +
/// log Z over `m` points (`points`: m×d, point-major, d = the energy's
/// dimension), given log Z and its standard error (from [`Ais::run`] or a
/// quadrature, with `log_z_se` = 0). The two errors are independent and
/// add in quadrature. An energy that fails at a point is an error.
pub fn held_out_nll<E: Energy>(
    energy: &E,
    beta: f32,
    points: &[f32],
    log_z: f32,
    log_z_se: f32,
) -> Result<HeldOut, Error> {
    let d = energy.dim();
    if d == 0 || points.is_empty() || points.len() % d != 0 {
        return Err(Error::InvalidConfig(
            "held-out NLL: points must be m×d floats, m ≥ 1",
        ));
    }
    let se_ok = log_z_se.is_finite() && log_z_se >= 0.0 || log_z_se == f32::INFINITY;
    if !(beta.is_finite() && beta > 0.0 && log_z.is_finite() && se_ok) {
        return Err(Error::InvalidConfig(
            "held-out NLL: beta > 0, finite log Z and se ≥ 0",
        ));
    }
    let m = points.len() / d;
    // Welford: one pass, stable.
    let (mut mean, mut m2) = (0f32, 0f32);
    for (p, x) in points.chunks_exact(d).enumerate() {
        let u = energy
            .value(x)
            .map_err(|e| crate::walkers::eval_error(p, e, d))?;
        if !u.is_finite() {
            return Err(Error::NonFinite { walker: p });
        }
        let v = beta * u;
        let delta = v - mean;
        mean += delta / (p + 1) as f32;
        m2 += delta * (v - mean);
    }
    let se_energy = if m > 1 {
        math::sqrt(m2 / (m - 1) as f32 / m as f32)
    } else {
        0.0
    };
    Ok(HeldOut {
        nll: mean + log_z,
        se: math::sqrt(se_energy * se_energy + log_z_se * log_z_se),
        mean_energy: mean,
        se_energy,
        points: m,
    })
}
