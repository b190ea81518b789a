//! The tractable base of annealed importance sampling, a diagonal Gaussian,
//! and the interpolated energies between it and the target.

use crate::energy::{Energy, EvalError, Evals, Soa};
use crate::error::{Error, check_dim, check_size};
use crate::math;
use crate::walkers::Walkers;

/// x².
#[inline]
pub(super) fn sq(x: f32) -> f32 {
    x * x
}

/// ½·ln(2π).
const HALF_LN_TAU: f32 = 0.918_938_5;

/// The base density N(μ, diag σ²) the annealing starts from.
///
/// All-zero bytes are a valid value (d = 0: unusable until set).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Base<const D: usize> {
    pub(super) d: usize,
    mean: [f32; D],
    sd: [f32; D],
}

impl<const D: usize> Base<D> {
    /// N(`mean`, diag `sd`²); every value finite, every sd > 0.
    pub fn new(mean: &[f32], sd: &[f32]) -> Result<Self, Error> {
        let d = mean.len();
        check_size(d, D)?;
        check_dim(d, sd.len())?;
        if !mean.iter().all(|m| m.is_finite()) || !sd.iter().all(|s| s.is_finite() && *s > 0.0) {
            return Err(Error::InvalidConfig(
                "AIS base: mean must be finite and sd finite and > 0",
            ));
        }
        let mut b = Base {
            d,
            mean: [0.0; D],
            sd: [1.0; D],
        };
        b.mean[..d].copy_from_slice(mean);
        b.sd[..d].copy_from_slice(sd);
        Ok(b)
    }

    /// N(0, I) in dimension `d`.
    pub fn standard(d: usize) -> Result<Self, Error> {
        check_size(d, D)?;
        Ok(Base {
            d,
            mean: [0.0; D],
            sd: [1.0; D],
        })
    }

    /// Fitted to `m ≥ 2` points of dimension `d` (`points`: m×d,
    /// point-major): the sample mean and `inflate` × the sample standard
    /// deviation of each coordinate (two passes, no cancellation). A base
    /// wider than the target is safe and costs a few more temperatures; a
    /// narrower one misses mass, so `inflate` ≥ 1 (e.g. 1.5) is advisable.
    /// A coordinate with zero spread is an error.
    pub fn fit(points: &[f32], d: usize, inflate: f32) -> Result<Self, Error> {
        check_size(d, D)?;
        let m = points.len() / d;
        if m < 2 || points.len() != m * d {
            return Err(Error::InvalidConfig(
                "AIS base fit: need at least 2 points of dimension d",
            ));
        }
        if !(inflate.is_finite() && inflate > 0.0) {
            return Err(Error::InvalidConfig("AIS base fit: inflate must be > 0"));
        }
        let (mut mean, mut sd) = ([0f32; D], [0f32; D]);
        for i in 0..d {
            let mu = (0..m).map(|p| points[p * d + i]).sum::<f32>() / m as f32;
            let ss: f32 = (0..m).map(|p| sq(points[p * d + i] - mu)).sum();
            mean[i] = mu;
            sd[i] = inflate * math::sqrt(ss / (m - 1) as f32);
        }
        Self::new(&mean[..d], &sd[..d])
    }

    /// Fitted to the positions of `walkers` (e.g. a sampler's, after
    /// burn-in), as [`Base::fit`]; no copy of the positions is made.
    pub fn fit_walkers<const N: usize>(w: &Walkers<N, D>, inflate: f32) -> Result<Self, Error> {
        let (n, d) = (w.len(), w.dim());
        if n < 2 || d == 0 {
            return Err(Error::InvalidConfig(
                "AIS base fit: need at least 2 points of dimension d",
            ));
        }
        if !(inflate.is_finite() && inflate > 0.0) {
            return Err(Error::InvalidConfig("AIS base fit: inflate must be > 0"));
        }
        let x = w.positions_soa();
        let (mut mean, mut sd) = ([0f32; D], [0f32; D]);
        for i in 0..d {
            let mu = x[i][..n].iter().sum::<f32>() / n as f32;
            let ss: f32 = x[i][..n].iter().map(|v| sq(v - mu)).sum();
            mean[i] = mu;
            sd[i] = inflate * math::sqrt(ss / (n - 1) as f32);
        }
        Self::new(&mean[..d], &sd[..d])
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// μ.
    pub fn mean(&self) -> &[f32] {
        &self.mean[..self.d]
    }

    /// σ.
    pub fn sd(&self) -> &[f32] {
        &self.sd[..self.d]
    }

    /// log Z₀ = log ∫exp(−U₀) = Σᵢ ln(σᵢ√(2π)).
    pub fn log_z(&self) -> f32 {
        self.sd().iter().map(|s| math::ln(*s) + HALF_LN_TAU).sum()
    }

    /// U₀ at walker `w` of `x`.
    #[inline]
    pub(super) fn u_soa<const N: usize, const DD: usize>(&self, x: &Soa<N, DD>, w: usize) -> f32 {
        let mut u = 0f32;
        for i in 0..self.d {
            let z = (x[i][w] - self.mean[i]) / self.sd[i];
            u += z * z;
        }
        0.5 * u
    }

    /// ∂U₀/∂xᵢ at xᵢ.
    #[inline]
    pub(super) fn grad_i(&self, i: usize, xi: f32) -> f32 {
        (xi - self.mean[i]) / (self.sd[i] * self.sd[i])
    }
}

impl<const D: usize> Energy for Base<D> {
    fn dim(&self) -> usize {
        self.d
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        if x.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let mut u = 0f32;
        for i in 0..self.d {
            let z = (x[i] - self.mean[i]) / self.sd[i];
            u += z * z;
        }
        Ok(0.5 * u)
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if grad.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let u = self.value(x)?;
        for i in 0..self.d {
            grad[i] = self.grad_i(i, x[i]);
        }
        Ok(u)
    }
}

/// The energy of the intermediate density π_b ∝ p₀^(1−b)·exp(−b·β·U):
/// U_b(x) = (1 − b)·U₀(x) + b·β·U(x), with its gradient; sample it at β = 1.
/// At b = 0 the target is not evaluated.
#[derive(Clone, Copy, Debug)]
pub struct Annealed<'a, E, const D: usize> {
    /// The target's energy U.
    pub target: &'a E,
    /// The base p₀.
    pub base: &'a Base<D>,
    /// The target's inverse temperature β.
    pub beta: f32,
    /// The annealing parameter b ∈ \[0, 1\].
    pub b: f32,
}

impl<E: Energy, const D: usize> Energy for Annealed<'_, E, D> {
    fn dim(&self) -> usize {
        self.base.d
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        let u0 = self.base.value(x)?;
        if self.b == 0.0 {
            return Ok(u0);
        }
        let u = self.target.value(x)?;
        Ok((1.0 - self.b) * u0 + self.b * self.beta * u)
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if self.b == 0.0 {
            return self.base.value_grad(x, grad);
        }
        let u0 = self.base.value(x)?;
        let u = self.target.value_grad(x, grad)?;
        if grad.len() != self.base.d {
            return Err(EvalError::WrongLength);
        }
        let (a, c) = (1.0 - self.b, self.b * self.beta);
        for i in 0..self.base.d {
            grad[i] = c * grad[i] + a * self.base.grad_i(i, x[i]);
        }
        Ok(a * u0 + c * u)
    }

    /// The target's batched evaluation (vectorised models stay vectorised),
    /// then the base term per walker.
    fn eval_batch<const N: usize, const DD: usize>(
        &self,
        x: &Soa<N, DD>,
        n: usize,
        with_grad: bool,
        out: &mut Evals<N, DD>,
    ) {
        let d = self.base.d.min(DD);
        if self.b == 0.0 {
            for w in 0..n.min(N) {
                out.u[w] = self.base.u_soa(x, w);
                out.code[w] = 0;
                if with_grad {
                    for i in 0..d {
                        out.grad[i][w] = self.base.grad_i(i, x[i][w]);
                    }
                }
            }
            return;
        }
        self.target.eval_batch(x, n, with_grad, out);
        let (a, c) = (1.0 - self.b, self.b * self.beta);
        for w in 0..n.min(N) {
            if out.code[w] != 0 {
                continue;
            }
            out.u[w] = a * self.base.u_soa(x, w) + c * out.u[w];
            if with_grad {
                for i in 0..d {
                    out.grad[i][w] = c * out.grad[i][w] + a * self.base.grad_i(i, x[i][w]);
                }
            }
        }
    }
}
