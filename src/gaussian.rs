//! Gaussian energy U(x) = ½ (x−μ)ᵀ P (x−μ) with precision P, full or diagonal.
//!
//! Parameters, flat: μ (d values), then P — its diagonal (d values) when
//! diagonal, else its lower triangle row by row ((0,0), (1,0), (1,1), (2,0)…,
//! d(d+1)/2 values). P must stay symmetric positive definite: `set_params`
//! refuses anything else, so the density is always normalisable.

use crate::energy::{Energy, EvalError, Trainable, check_finite, check_len, params_out};
use crate::error::{Error, check_dim, check_size};
use crate::linalg::{cholesky, spd_inverse};
use crate::model::{ModelConfig, ModelKind};
use crate::weights::{ConfigBlock, ModelCodec, Persist, Reader, encode_with, f32s, open};

/// Parameter count of a Gaussian in dimension `d`: d + d (diagonal) or
/// d + d(d+1)/2 (full); `None` on overflow.
pub fn param_count(d: usize, diagonal: bool) -> Option<usize> {
    let precision = if diagonal {
        d
    } else {
        d.checked_mul(d.checked_add(1)?)? / 2
    };
    d.checked_add(precision)
}

/// A Gaussian potential in dimension `d ≤ D`.
#[derive(Clone, Debug, PartialEq)]
pub struct Gaussian<const D: usize> {
    d: usize,
    diagonal: bool,
    mean: [f32; D],
    /// Symmetric; only the diagonal is used when `diagonal`.
    prec: [[f32; D]; D],
}

impl<const D: usize> Gaussian<D> {
    /// N(0, I) in dimension `d`.
    pub fn standard(d: usize) -> Result<Self, Error> {
        check_size(d, D)?;
        let mut prec = [[0.0; D]; D];
        for (i, row) in prec.iter_mut().enumerate().take(d) {
            row[i] = 1.0;
        }
        Ok(Gaussian {
            d,
            diagonal: true,
            mean: [0.0; D],
            prec,
        })
    }

    /// Mean `mean` and diagonal precision `precision` (all > 0).
    pub fn diagonal(mean: &[f32], precision: &[f32]) -> Result<Self, Error> {
        let d = mean.len();
        check_size(d, D)?;
        check_dim(d, precision.len())?;
        check_finite(mean, "mean")?;
        if !precision.iter().all(|&p| p.is_finite() && p > 0.0) {
            return Err(Error::InvalidParameters("precision is not positive"));
        }
        let mut g = Self::standard(d)?;
        for i in 0..d {
            g.mean[i] = mean[i];
            g.prec[i][i] = precision[i];
        }
        Ok(g)
    }

    /// Mean `mean` and full precision `precision` (`d×d`, row-major,
    /// symmetric positive definite).
    pub fn full(mean: &[f32], precision: &[f32]) -> Result<Self, Error> {
        let d = mean.len();
        check_size(d, D)?;
        check_dim(d * d, precision.len())?;
        check_finite(mean, "mean")?;
        let p = Self::symmetric_f64(precision, d, "precision", "precision is not symmetric")?;
        Self::from_f64(mean, &p, d)
    }

    /// Mean `mean` and covariance `cov` (`d×d`, row-major, symmetric positive definite).
    pub fn from_covariance(mean: &[f32], cov: &[f32]) -> Result<Self, Error> {
        let d = mean.len();
        check_size(d, D)?;
        check_dim(d * d, cov.len())?;
        let c = Self::symmetric_f64(cov, d, "covariance", "covariance is not symmetric")?;
        let p = spd_inverse(&c, d).ok_or(Error::InvalidParameters(
            "covariance is not positive definite",
        ))?;
        Self::from_f64(mean, &p, d)
    }

    /// The `d×d` row-major matrix `m` (`what` in errors) in f64, refused
    /// unless finite and exactly symmetric.
    fn symmetric_f64(
        m: &[f32],
        d: usize,
        what: &'static str,
        not_symmetric: &'static str,
    ) -> Result<[[f64; D]; D], Error> {
        check_finite(m, what)?;
        let mut out = [[0f64; D]; D];
        for i in 0..d {
            for j in 0..d {
                if m[i * d + j] != m[j * d + i] {
                    return Err(Error::InvalidParameters(not_symmetric));
                }
                out[i][j] = m[i * d + j] as f64;
            }
        }
        Ok(out)
    }

    fn from_f64(mean: &[f32], p: &[[f64; D]; D], d: usize) -> Result<Self, Error> {
        check_finite(mean, "mean")?;
        let mut prec = [[0f32; D]; D];
        for i in 0..d {
            for j in 0..=i {
                // Symmetrise after rounding so P stays exactly symmetric in f32.
                let v = (0.5 * (p[i][j] + p[j][i])) as f32;
                prec[i][j] = v;
                prec[j][i] = v;
            }
        }
        let g = Gaussian {
            d,
            diagonal: false,
            mean: core::array::from_fn(|i| if i < d { mean[i] } else { 0.0 }),
            prec,
        };
        if !g.is_positive_definite(&g.prec) {
            return Err(Error::InvalidParameters(
                "precision is not positive definite",
            ));
        }
        Ok(g)
    }

    /// The mean μ.
    pub fn mean(&self) -> &[f32] {
        &self.mean[..self.d]
    }

    /// Precision entry `P[i][j]`.
    ///
    /// # Panics
    ///
    /// If `i ≥ dim()` or `j ≥ dim()`, like slice indexing.
    pub fn precision(&self, i: usize, j: usize) -> f32 {
        assert!(
            i < self.d && j < self.d,
            "precision entry ({i}, {j}) out of range (dimension {})",
            self.d
        );
        if self.diagonal && i != j {
            0.0
        } else {
            self.prec[i][j]
        }
    }

    /// True when P is stored as a diagonal.
    pub fn is_diagonal(&self) -> bool {
        self.diagonal
    }

    fn is_positive_definite(&self, p: &[[f32; D]; D]) -> bool {
        let d = self.d;
        if self.diagonal {
            return (0..d).all(|i| p[i][i] > 0.0 && p[i][i].is_finite());
        }
        let mut a = [[0f64; D]; D];
        for i in 0..d {
            for j in 0..d {
                a[i][j] = p[i][j] as f64;
            }
        }
        let mut l = [[0f64; D]; D];
        cholesky(&a, d, &mut l)
    }

    /// r = x − μ and P r.
    #[inline]
    fn residual(&self, x: &[f32], r: &mut [f32; D], pr: &mut [f32; D]) {
        let d = self.d;
        for i in 0..d {
            r[i] = x[i] - self.mean[i];
        }
        for i in 0..d {
            pr[i] = if self.diagonal {
                self.prec[i][i] * r[i]
            } else {
                (0..d).map(|j| self.prec[i][j] * r[j]).sum()
            };
        }
    }
}

impl<const D: usize> Energy for Gaussian<D> {
    fn dim(&self) -> usize {
        self.d
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        if x.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let (mut r, mut pr) = ([0f32; D], [0f32; D]);
        self.residual(x, &mut r, &mut pr);
        Ok(0.5 * (0..self.d).map(|i| r[i] * pr[i]).sum::<f32>())
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if x.len() != self.d || grad.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let (mut r, mut pr) = ([0f32; D], [0f32; D]);
        self.residual(x, &mut r, &mut pr);
        grad.copy_from_slice(&pr[..self.d]);
        Ok(0.5 * (0..self.d).map(|i| r[i] * pr[i]).sum::<f32>())
    }
}

impl<const D: usize> Trainable for Gaussian<D> {
    fn num_params(&self) -> usize {
        // d ≤ D: no overflow for a model in memory.
        param_count(self.d, self.diagonal).unwrap_or(0)
    }

    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        let out = params_out(out, self.num_params())?;
        let d = self.d;
        out[..d].copy_from_slice(&self.mean[..d]);
        let mut k = d;
        for i in 0..d {
            let lo = if self.diagonal { i } else { 0 };
            for j in lo..=i {
                out[k] = self.prec[i][j];
                k += 1;
            }
        }
        Ok(())
    }

    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        check_len(self.num_params(), theta.len())?;
        check_finite(theta, "Gaussian parameters")?;
        let d = self.d;
        let mut prec = [[0f32; D]; D];
        let mut k = d;
        for i in 0..d {
            let lo = if self.diagonal { i } else { 0 };
            for j in lo..=i {
                prec[i][j] = theta[k];
                prec[j][i] = theta[k];
                k += 1;
            }
        }
        if !self.is_positive_definite(&prec) {
            return Err(Error::InvalidParameters(
                "precision is not positive definite",
            ));
        }
        self.mean[..d].copy_from_slice(&theta[..d]);
        self.prec = prec;
        Ok(())
    }

    fn add_param_grad(&self, x: &[f32], scale: f32, grad: &mut [f32]) -> Result<f32, EvalError> {
        let d = self.d;
        let (mut r, mut pr) = ([0f32; D], [0f32; D]);
        self.residual(x, &mut r, &mut pr);
        for i in 0..d {
            grad[i] -= scale * pr[i];
        }
        let mut k = d;
        for i in 0..d {
            let lo = if self.diagonal { i } else { 0 };
            for j in lo..=i {
                // An off-diagonal parameter stands for both P[i][j] and P[j][i].
                let f = if i == j { 0.5 } else { 1.0 };
                grad[k] += scale * f * r[i] * r[j];
                k += 1;
            }
        }
        Ok(0.5 * (0..d).map(|i| r[i] * pr[i]).sum::<f32>())
    }
}

/// Hooks for the weight format, which streams parameters without a flat
/// buffer (its size is not expressible from `D` on stable Rust).
impl<const D: usize> Gaussian<D> {
    /// Identity precision in dimension `d`, stored diagonal or full.
    pub(crate) fn blank(d: usize, diagonal: bool) -> Result<Self, Error> {
        let mut g = Self::standard(d)?;
        g.diagonal = diagonal;
        Ok(g)
    }

    /// Calls `f` on each parameter in the flat order.
    pub(crate) fn visit_params(&self, mut f: impl FnMut(f32)) {
        let d = self.d;
        self.mean[..d].iter().for_each(|&v| f(v));
        for i in 0..d {
            let lo = if self.diagonal { i } else { 0 };
            self.prec[i][lo..=i].iter().for_each(|&v| f(v));
        }
    }

    /// Replaces θ with `num_params()` values from `theta`, with the checks
    /// of [`Trainable::set_params`]; on error `self` is unchanged.
    pub(crate) fn load_params(&mut self, theta: impl Iterator<Item = f32>) -> Result<(), Error> {
        let d = self.d;
        let mut theta = theta.take(self.num_params());
        let mut mean = [0f32; D];
        let mut prec = [[0f32; D]; D];
        for m in &mut mean[..d] {
            *m = theta
                .next()
                .ok_or(Error::InvalidParameters("too few values"))?;
        }
        for i in 0..d {
            let lo = if self.diagonal { i } else { 0 };
            for j in lo..=i {
                let v = theta
                    .next()
                    .ok_or(Error::InvalidParameters("too few values"))?;
                prec[i][j] = v;
                prec[j][i] = v;
            }
        }
        check_finite(&mean[..d], "Gaussian parameters")?;
        if !prec[..d]
            .iter()
            .all(|row| row[..d].iter().all(|v| v.is_finite()))
        {
            return Err(Error::InvalidParameters("Gaussian parameters"));
        }
        if !self.is_positive_definite(&prec) {
            return Err(Error::InvalidParameters(
                "precision is not positive definite",
            ));
        }
        self.mean = mean;
        self.prec = prec;
        Ok(())
    }
}

/// The configuration block: d, then the precision storage (0 diagonal,
/// 1 full).
pub(crate) fn config_block(d: usize, diagonal: bool) -> ConfigBlock {
    ConfigBlock::new(
        &[d, usize::from(!diagonal)],
        Some(0),
        param_count(d, diagonal),
    )
}

/// Reads [`config_block`]'s fields.
pub(crate) fn read_config(r: &mut Reader<'_>) -> Result<ModelConfig, Error> {
    let d = r.size()?;
    let diagonal = match r.u32()? {
        0 => true,
        1 => false,
        _ => return Err(Error::CorruptData("Gaussian storage flag is not 0 or 1")),
    };
    Ok(ModelConfig::Gaussian { d, diagonal })
}

impl<const D: usize> ModelCodec for Gaussian<D> {
    const KIND: ModelKind = ModelKind::Gaussian;

    fn check_capacity(config: &ModelConfig) -> Result<(), Error> {
        check_size(config.dim(), D)
    }
}

impl<const D: usize> Persist for Gaussian<D> {
    fn config(&self) -> ModelConfig {
        ModelConfig::Gaussian {
            d: self.d,
            diagonal: self.diagonal,
        }
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_with(
            out,
            &self.config(),
            |_| {},
            |w| self.visit_params(|v| w.f32(v)),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let f = open::<Self>(bytes)?;
        let ModelConfig::Gaussian { d, diagonal } = f.config else {
            return Err(crate::weights::INCONSISTENT);
        };
        let mut g = Gaussian::blank(d, diagonal)?;
        g.load_params(f32s(f.params))?;
        Ok(g)
    }
}
