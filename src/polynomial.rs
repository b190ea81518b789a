//! Polynomial (exponential-family) potential U(x) = Σₖ θₖ φₖ(x) over all
//! monomials φₖ(x) = Πᵢ xᵢ^αₖᵢ of total degree ≤ p, constant included.
//!
//! Monomials are ordered by total degree, then with larger exponents on
//! earlier coordinates first: in 2-D, degree 2 gives
//! 1, x₀, x₁, x₀², x₀x₁, x₁². The parameters are the coefficients θ in that
//! order. Because U is linear in θ, PCD on this family is exact moment
//! matching: `E_data[φ] = E_model[φ]` at the optimum.
//!
//! Normalisability (exp(−U) integrable) needs a positive-definite leading
//! even-degree part; it is the caller's responsibility and is not checked,
//! since for d > 1 it is not decidable cheaply.

use crate::energy::{Energy, EvalError, Trainable, check_finite, check_len, params_out};
use crate::error::{Error, check_size};
use crate::model::{ModelConfig, ModelKind};
use crate::weights::{
    ConfigBlock, INCONSISTENT, ModelCodec, Persist, Reader, encode_with, fill, open,
};

/// Highest supported total degree.
pub const MAX_DEGREE: usize = 8;

/// Number of monomials of total degree ≤ `degree` in `d` variables:
/// C(d + degree, degree); 0 when that overflows `usize`.
pub const fn num_monomials(d: usize, degree: usize) -> usize {
    match checked_num_monomials(d, degree) {
        Some(m) => m,
        None => 0,
    }
}

/// C(d + degree, degree), the parameter count; `None` exactly when it
/// does not fit in `usize`. Takes at most min(d, degree) steps (and never
/// more than about 70 before the count overflows), whatever the arguments.
pub const fn checked_num_monomials(d: usize, degree: usize) -> Option<usize> {
    // C(a + b, b) = C(a + b, a): loop over the smaller of the two.
    let (a, b) = if d < degree { (degree, d) } else { (d, degree) };
    let mut num: u128 = 1;
    let mut k: usize = 1;
    while k <= b {
        // C(a + k, k) = C(a + k − 1, k − 1)·(a + k)/k, exactly (the product
        // is C(a + k, k)·k); in u128 the product of two usize values fits.
        let ak = match a.checked_add(k) {
            Some(ak) => ak,
            None => return None,
        };
        num = num * ak as u128 / k as u128;
        // Each step's value is at most the final one, so an intermediate
        // value above usize::MAX means the result is too.
        if num > usize::MAX as u128 {
            return None;
        }
        // k ≤ b < usize::MAX here: num ≥ C(2k, k) overflows long before.
        k += 1;
    }
    Some(num as usize)
}

/// A polynomial potential in `d ≤ D` variables with at most `M` monomials.
#[derive(Clone, Debug, PartialEq)]
pub struct Polynomial<const D: usize, const M: usize> {
    d: usize,
    degree: usize,
    m: usize,
    exps: [[u8; D]; M],
    coef: [f32; M],
}

impl<const M: usize> Polynomial<1, M> {
    /// The double well a·(x² − 1)² = a·x⁴ − 2a·x² + a (1-D, degree 4).
    pub fn double_well(a: f32) -> Result<Self, Error> {
        Self::new(1, 4, &[a, 0.0, -2.0 * a, 0.0, a])
    }
}

impl<const D: usize, const M: usize> Polynomial<D, M> {
    /// Coefficients `coef` (length [`num_monomials`]`(d, degree)`) in the
    /// documented monomial order.
    pub fn new(d: usize, degree: usize, coef: &[f32]) -> Result<Self, Error> {
        check_size(d, D)?;
        if degree > MAX_DEGREE {
            return Err(Error::CapacityExceeded {
                requested: degree,
                capacity: MAX_DEGREE,
            });
        }
        let m = num_monomials(d, degree);
        check_size(m, M)?;
        check_len(m, coef.len())?;
        check_finite(coef, "polynomial coefficients")?;
        let mut exps = [[0u8; D]; M];
        let mut k = 0;
        for t in 0..=degree {
            // Compositions of t into d parts, first coordinate largest first.
            let mut a = [0u8; D];
            a[0] = t as u8;
            loop {
                exps[k] = a;
                k += 1;
                let Some(j) = (0..d.saturating_sub(1)).rev().find(|&j| a[j] > 0) else {
                    break;
                };
                a[j] -= 1;
                let rest: u8 = a[j + 1..d].iter().sum::<u8>() + 1;
                a[j + 1] = rest;
                a[j + 2..d].iter_mut().for_each(|e| *e = 0);
            }
        }
        debug_assert_eq!(k, m);
        let mut c = [0f32; M];
        c[..m].copy_from_slice(coef);
        Ok(Polynomial {
            d,
            degree,
            m,
            exps,
            coef: c,
        })
    }

    /// Number of monomials (= parameters).
    pub fn len(&self) -> usize {
        self.m
    }

    /// Always false: the constant monomial is always present.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Exponents of monomial `k`.
    ///
    /// # Panics
    ///
    /// If `k ≥ len()`, like slice indexing.
    pub fn exponents(&self, k: usize) -> &[u8] {
        &self.exps[..self.m][k][..self.d]
    }

    /// Total degree p.
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// xᵢ^e for e ≤ degree.
    #[inline]
    fn powers(&self, x: &[f32]) -> [[f32; MAX_DEGREE + 1]; D] {
        let mut pw = [[1f32; MAX_DEGREE + 1]; D];
        for i in 0..self.d {
            for e in 1..=self.degree {
                pw[i][e] = pw[i][e - 1] * x[i];
            }
        }
        pw
    }

    /// φₖ(x) from precomputed powers.
    #[inline]
    fn monomial(&self, pw: &[[f32; MAX_DEGREE + 1]; D], k: usize) -> f32 {
        (0..self.d)
            .map(|i| pw[i][self.exps[k][i] as usize])
            .product()
    }

    /// Evaluates U and (optionally) ∇U.
    fn eval(&self, x: &[f32], grad: Option<&mut [f32]>) -> f32 {
        let pw = self.powers(x);
        let u = (0..self.m)
            .map(|k| self.coef[k] * self.monomial(&pw, k))
            .sum();
        if let Some(g) = grad {
            for (j, gj) in g.iter_mut().enumerate() {
                let mut s = 0f32;
                for k in 0..self.m {
                    let aj = self.exps[k][j] as usize;
                    if aj == 0 || self.coef[k] == 0.0 {
                        continue;
                    }
                    let mut p = self.coef[k] * aj as f32 * pw[j][aj - 1];
                    for i in (0..self.d).filter(|&i| i != j) {
                        p *= pw[i][self.exps[k][i] as usize];
                    }
                    s += p;
                }
                *gj = s;
            }
        }
        u
    }
}

impl<const D: usize, const M: usize> Energy for Polynomial<D, M> {
    fn dim(&self) -> usize {
        self.d
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        if x.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        Ok(self.eval(x, None))
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if x.len() != self.d || grad.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        Ok(self.eval(x, Some(grad)))
    }
}

impl<const D: usize, const M: usize> Trainable for Polynomial<D, M> {
    fn num_params(&self) -> usize {
        self.m
    }

    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        params_out(out, self.m)?.copy_from_slice(&self.coef[..self.m]);
        Ok(())
    }

    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        check_len(self.m, theta.len())?;
        check_finite(theta, "polynomial coefficients")?;
        self.coef[..self.m].copy_from_slice(theta);
        Ok(())
    }

    fn add_param_grad(&self, x: &[f32], scale: f32, grad: &mut [f32]) -> Result<f32, EvalError> {
        let pw = self.powers(x);
        let mut u = 0f32;
        for k in 0..self.m {
            let phi = self.monomial(&pw, k);
            grad[k] += scale * phi;
            u += self.coef[k] * phi;
        }
        Ok(u)
    }
}

/// The configuration block: d, then the total degree.
pub(crate) fn config_block(d: usize, degree: usize) -> ConfigBlock {
    ConfigBlock::new(&[d, degree], Some(0), checked_num_monomials(d, degree))
}

/// Reads [`config_block`]'s fields; a degree above [`MAX_DEGREE`] is
/// [`Error::CapacityExceeded`].
pub(crate) fn read_config(r: &mut Reader<'_>) -> Result<ModelConfig, Error> {
    let d = r.size()?;
    let degree = r.u32()?;
    if degree as u64 > MAX_DEGREE as u64 {
        return Err(Error::CapacityExceeded {
            requested: usize::try_from(degree).unwrap_or(usize::MAX),
            capacity: MAX_DEGREE,
        });
    }
    Ok(ModelConfig::Polynomial {
        d,
        degree: degree as usize,
    })
}

impl<const D: usize, const M: usize> ModelCodec for Polynomial<D, M> {
    const KIND: ModelKind = ModelKind::Polynomial;

    fn check_capacity(config: &ModelConfig) -> Result<(), Error> {
        check_size(config.dim(), D)?;
        // `dim ≤ D` and degree ≤ MAX_DEGREE were checked: no overflow.
        check_size(config.num_params().unwrap_or(usize::MAX), M)
    }
}

impl<const D: usize, const M: usize> Persist for Polynomial<D, M> {
    fn config(&self) -> ModelConfig {
        ModelConfig::Polynomial {
            d: self.d,
            degree: self.degree,
        }
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_with(
            out,
            &self.config(),
            |_| {},
            |w| self.coef[..self.m].iter().for_each(|&v| w.f32(v)),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let f = open::<Self>(bytes)?;
        let ModelConfig::Polynomial { d, degree } = f.config else {
            return Err(INCONSISTENT);
        };
        let mut coef = [0f32; M];
        let m = fill(&mut coef, f.params);
        Polynomial::new(d, degree, &coef[..m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monomial_order_and_count() {
        assert_eq!(num_monomials(1, 4), 5);
        assert_eq!(num_monomials(2, 2), 6);
        assert_eq!(num_monomials(3, 3), 20);
        let p = Polynomial::<2, 6>::new(2, 2, &[0.0; 6]).unwrap();
        let want: [[u8; 2]; 6] = [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2]];
        for (k, w) in want.iter().enumerate() {
            assert_eq!(p.exponents(k), w);
        }
        let p = Polynomial::<3, 20>::new(3, 3, &[0.0; 20]).unwrap();
        let mut seen = [[0u8; 3]; 20];
        for (k, s) in seen.iter_mut().enumerate() {
            s.copy_from_slice(p.exponents(k));
        }
        seen.sort();
        for w in seen.windows(2) {
            assert_ne!(w[0], w[1], "duplicate monomial");
        }
    }

    #[test]
    fn double_well_values() {
        let p = Polynomial::<1, 5>::double_well(2.0).unwrap();
        let mut g = [0.0];
        assert_eq!(p.value_grad(&[1.0], &mut g), Ok(0.0));
        assert_eq!(g, [0.0]);
        assert_eq!(p.value(&[0.0]), Ok(2.0));
        // d/dx a(x²−1)² = 4a x (x²−1) = 4·2·2·3 at x = 2.
        p.value_grad(&[2.0], &mut g).unwrap();
        assert_eq!(g, [48.0]);
    }

    #[test]
    fn rejects_bad_sizes() {
        assert!(Polynomial::<2, 5>::new(2, 2, &[0.0; 6]).is_err());
        assert!(Polynomial::<1, 5>::new(1, 4, &[0.0; 4]).is_err());
        assert!(Polynomial::<1, 16>::new(1, 9, &[0.0; 10]).is_err());
        assert!(Polynomial::<1, 5>::new(1, 4, &[0.0, f32::NAN, 0.0, 0.0, 1.0]).is_err());
    }
}
