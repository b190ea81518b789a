//! Gaussian-mixture energy U(x) = −log Σₖ πₖ N(x; μₖ, diag σₖ²), evaluated
//! with log-sum-exp so that far-away points give large finite energies rather
//! than −log 0.
//!
//! The weights are a softmax of trainable log-weights (logits), so they stay
//! positive and sum to one whatever the optimiser does; the means are
//! trainable; the standard deviations are fixed at construction.
//! Parameters, flat: logits (k values), then means (k×d, component-major).

use crate::energy::{Energy, EvalError, Trainable, check_finite, check_len, params_out};
use crate::error::{Error, check_dim, check_size};
use crate::math;
use crate::model::{ModelConfig, ModelKind};
use crate::weights::{
    ConfigBlock, INCONSISTENT, ModelCodec, Persist, Reader, encode_with, fill, open,
};

/// Parameter count of `k` components in dimension `d`: k·(1 + d) (logits,
/// then means); `None` on overflow.
pub fn param_count(k: usize, d: usize) -> Option<usize> {
    k.checked_mul(d.checked_add(1)?)
}

/// A mixture of `k ≤ K` diagonal Gaussians in dimension `d ≤ D`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture<const K: usize, const D: usize> {
    k: usize,
    d: usize,
    logits: [f32; K],
    means: [[f32; D]; K],
    inv_var: [[f32; D]; K],
    /// The standard deviations as given, so the weight format stores them
    /// exactly (1/√(1/σ²) is not always σ in f32).
    sigmas: [[f32; D]; K],
    /// −Σᵢ ln σₖᵢ − (d/2) ln 2π: the component's log normaliser.
    log_norm: [f32; K],
}

const LN_2PI: f32 = 1.837_877_1;

/// Smallest standard deviation of a component: 1/σ² stays finite in f32
/// (σ = 1e-20 made the energy non-finite everywhere; 1/σ² ≤ 1e30 here).
pub const MIN_SIGMA: f32 = 1e-15;
/// Largest standard deviation of a component (so that σ² stays finite).
pub const MAX_SIGMA: f32 = 1e15;

impl<const K: usize, const D: usize> Mixture<K, D> {
    /// Weights (positive; normalised here), means (`k×d`) and standard
    /// deviations (`k×d`, in [[`MIN_SIGMA`], [`MAX_SIGMA`]]), all
    /// component-major.
    pub fn new(weights: &[f32], means: &[f32], sigmas: &[f32]) -> Result<Self, Error> {
        let k = weights.len();
        check_size(k, K)?;
        if means.len() % k != 0 {
            return Err(Error::DimensionMismatch {
                expected: k,
                found: means.len(),
            });
        }
        let d = means.len() / k;
        check_size(d, D)?;
        check_dim(k * d, sigmas.len())?;
        check_finite(means, "mixture means")?;
        if !weights
            .iter()
            .all(|&w| w > 0.0 && w / weights.iter().sum::<f32>() > 0.0)
        {
            return Err(Error::InvalidParameters("mixture weights must be positive"));
        }
        if !sigmas.iter().all(|&s| (MIN_SIGMA..=MAX_SIGMA).contains(&s)) {
            return Err(Error::InvalidParameters(
                "mixture sigmas must be in [1e-15, 1e15]",
            ));
        }
        Ok(Self::build(weights, means, sigmas, d))
    }

    /// Builds from validated inputs.
    fn build(weights: &[f32], means: &[f32], sigmas: &[f32], d: usize) -> Self {
        let k = weights.len();
        let total: f32 = weights.iter().sum();
        let mut m = Mixture {
            k,
            d,
            logits: [0.0; K],
            means: [[0.0; D]; K],
            inv_var: [[0.0; D]; K],
            sigmas: [[0.0; D]; K],
            log_norm: [0.0; K],
        };
        for c in 0..k {
            m.logits[c] = math::ln(weights[c] / total);
            let mut ln_sigma = 0.0;
            for i in 0..d {
                let s = sigmas[c * d + i];
                m.means[c][i] = means[c * d + i];
                m.inv_var[c][i] = 1.0 / (s * s);
                m.sigmas[c][i] = s;
                ln_sigma += math::ln(s);
            }
            m.log_norm[c] = -ln_sigma - 0.5 * d as f32 * LN_2PI;
        }
        m
    }

    /// Number of components.
    pub fn components(&self) -> usize {
        self.k
    }

    /// Mixture weight πₖ (softmax of the logits).
    ///
    /// # Panics
    ///
    /// If `c ≥ components()`, like slice indexing.
    pub fn weight(&self, c: usize) -> f32 {
        let logits = &self.logits[..self.k];
        math::exp(logits[c] - math::log_sum_exp(logits))
    }

    /// Mean of component `c`.
    ///
    /// # Panics
    ///
    /// If `c ≥ components()`, like slice indexing.
    pub fn mean(&self, c: usize) -> &[f32] {
        &self.means[..self.k][c][..self.d]
    }

    /// Standard deviation of component `c` along coordinate `i`.
    ///
    /// # Panics
    ///
    /// If `c ≥ components()` or `i ≥ dim()`, like slice indexing.
    pub fn sigma(&self, c: usize, i: usize) -> f32 {
        self.sigmas[..self.k][c][..self.d][i]
    }

    /// Per-component log-joint ℓₖ = log πₖ + log N(x; μₖ, σₖ²) and squared
    /// Mahalanobis terms; returns U = −LSE(ℓ).
    #[inline]
    fn log_joint(&self, x: &[f32], l: &mut [f32; K]) -> f32 {
        let lse_w = math::log_sum_exp(&self.logits[..self.k]);
        for c in 0..self.k {
            let mut q = 0f32;
            for i in 0..self.d {
                let r = x[i] - self.means[c][i];
                q += r * r * self.inv_var[c][i];
            }
            l[c] = self.logits[c] - lse_w + self.log_norm[c] - 0.5 * q;
        }
        -math::log_sum_exp(&l[..self.k])
    }

    /// Responsibilities rₖ(x) = exp(ℓₖ + U) into `l`, returning U.
    #[inline]
    fn responsibilities(&self, x: &[f32], l: &mut [f32; K]) -> f32 {
        let u = self.log_joint(x, l);
        for v in l[..self.k].iter_mut() {
            *v = math::exp(*v + u);
        }
        u
    }
}

impl Mixture<2, 1> {
    /// The review's example (section 2): p = 0.7, μ = (0, 5), σ = (1, 0.5), in 1-D.
    pub fn review_example() -> Self {
        Self::build(&[0.7, 0.3], &[0.0, 5.0], &[1.0, 0.5], 1)
    }
}

impl<const K: usize, const D: usize> Energy for Mixture<K, D> {
    fn dim(&self) -> usize {
        self.d
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        if x.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let mut l = [0f32; K];
        Ok(self.log_joint(x, &mut l))
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if x.len() != self.d || grad.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let mut r = [0f32; K];
        let u = self.responsibilities(x, &mut r);
        for (i, g) in grad.iter_mut().enumerate() {
            *g = (0..self.k)
                .map(|c| r[c] * (x[i] - self.means[c][i]) * self.inv_var[c][i])
                .sum();
        }
        Ok(u)
    }
}

impl<const K: usize, const D: usize> Trainable for Mixture<K, D> {
    fn num_params(&self) -> usize {
        // k ≤ K, d ≤ D: no overflow for a model in memory.
        param_count(self.k, self.d).unwrap_or(0)
    }

    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        let out = params_out(out, self.num_params())?;
        out[..self.k].copy_from_slice(&self.logits[..self.k]);
        for c in 0..self.k {
            let o = self.k + c * self.d;
            out[o..o + self.d].copy_from_slice(&self.means[c][..self.d]);
        }
        Ok(())
    }

    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        check_len(self.num_params(), theta.len())?;
        check_finite(theta, "mixture parameters")?;
        self.logits[..self.k].copy_from_slice(&theta[..self.k]);
        for c in 0..self.k {
            let o = self.k + c * self.d;
            self.means[c][..self.d].copy_from_slice(&theta[o..o + self.d]);
        }
        Ok(())
    }

    fn add_param_grad(&self, x: &[f32], scale: f32, grad: &mut [f32]) -> Result<f32, EvalError> {
        let mut r = [0f32; K];
        let u = self.responsibilities(x, &mut r);
        let lse_w = math::log_sum_exp(&self.logits[..self.k]);
        for c in 0..self.k {
            // ∂U/∂logit_c = π_c − r_c;  ∂U/∂μ_c = −r_c (x − μ_c)/σ_c².
            grad[c] += scale * (math::exp(self.logits[c] - lse_w) - r[c]);
            let o = self.k + c * self.d;
            for i in 0..self.d {
                grad[o + i] -= scale * r[c] * (x[i] - self.means[c][i]) * self.inv_var[c][i];
            }
        }
        Ok(u)
    }
}

/// Hooks for the weight format.
impl<const K: usize, const D: usize> Mixture<K, D> {
    /// Logits (k), means and standard deviations (`k×d`, component-major).
    /// The logits are kept as given, not renormalised, so that
    /// [`Trainable::params`] returns them bit for bit.
    pub(crate) fn with_logits(
        logits: &[f32],
        means: &[f32],
        sigmas: &[f32],
    ) -> Result<Self, Error> {
        let ones = [1f32; K];
        let mut m = Self::new(
            ones.get(..logits.len()).ok_or(Error::CapacityExceeded {
                requested: logits.len(),
                capacity: K,
            })?,
            means,
            sigmas,
        )?;
        check_finite(logits, "mixture parameters")?;
        m.logits[..m.k].copy_from_slice(logits);
        Ok(m)
    }

    /// Calls `f` on each parameter in the flat order of [`Trainable::params`].
    pub(crate) fn visit_params(&self, mut f: impl FnMut(f32)) {
        self.logits[..self.k].iter().for_each(|&v| f(v));
        for row in &self.means[..self.k] {
            row[..self.d].iter().for_each(|&v| f(v));
        }
    }

    /// Calls `f` on every standard deviation, component-major.
    pub(crate) fn visit_sigmas(&self, mut f: impl FnMut(f32)) {
        for row in &self.sigmas[..self.k] {
            row[..self.d].iter().for_each(|&s| f(s));
        }
    }
}

/// The configuration block: k, d, then the k·d standard deviations (f32,
/// component-major).
pub(crate) fn config_block(k: usize, d: usize) -> ConfigBlock {
    let sigmas_len = k.checked_mul(d).and_then(|kd| kd.checked_mul(4));
    ConfigBlock::new(&[k, d], sigmas_len, param_count(k, d))
}

/// Reads [`config_block`]'s integer fields.
pub(crate) fn read_config(r: &mut Reader<'_>) -> Result<ModelConfig, Error> {
    let k = r.size()?;
    let d = r.size()?;
    Ok(ModelConfig::Mixture { k, d })
}

impl<const K: usize, const D: usize> ModelCodec for Mixture<K, D> {
    const KIND: ModelKind = ModelKind::Mixture;

    fn check_capacity(config: &ModelConfig) -> Result<(), Error> {
        match *config {
            ModelConfig::Mixture { k, d } => {
                check_size(k, K)?;
                check_size(d, D)
            }
            _ => Err(INCONSISTENT),
        }
    }
}

impl<const K: usize, const D: usize> Persist for Mixture<K, D> {
    fn config(&self) -> ModelConfig {
        ModelConfig::Mixture {
            k: self.k,
            d: self.d,
        }
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_with(
            out,
            &self.config(),
            |w| self.visit_sigmas(|s| w.f32(s)),
            |w| self.visit_params(|v| w.f32(v)),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let f = open::<Self>(bytes)?;
        let ModelConfig::Mixture { k, d } = f.config else {
            return Err(INCONSISTENT);
        };
        // k ≤ K and d ≤ D, so k·d values fit in the flattened K×D arrays
        // (packed with stride d, as the constructor expects).
        let (mut logits, mut means, mut sigmas) = ([0f32; K], [[0f32; D]; K], [[0f32; D]; K]);
        let (logit_bytes, mean_bytes) = f
            .params
            .split_at_checked(k.saturating_mul(4))
            .ok_or(INCONSISTENT)?;
        fill(&mut logits, logit_bytes);
        let means = means.as_flattened_mut();
        let sigmas = sigmas.as_flattened_mut();
        fill(means, mean_bytes);
        fill(sigmas, f.values);
        let kd = k * d;
        Mixture::with_logits(&logits[..k], &means[..kd], &sigmas[..kd])
    }
}
