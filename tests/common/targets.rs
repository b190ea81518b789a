//! Posterior targets shared by tests/posteriors.rs and the sampling
//! examples (`mass_adapt`, `nuts_peer`): an ill-conditioned diagonal
//! Gaussian and the non-centred eight-schools model.
#![allow(dead_code)] // each user takes a part

use tinyebm::{Energy, EvalError};

/// N(0, diag(var)) in D dimensions with variances 10^(−4·i/(D−1)), i = 0 ..
/// D: condition number 10⁴.
#[derive(Clone, Copy)]
pub struct DiagGauss<const D: usize> {
    pub prec: [f32; D],
}

impl<const D: usize> DiagGauss<D> {
    /// The variance of coordinate i.
    pub fn variance(i: usize) -> f64 {
        10f64.powf(-4.0 * i as f64 / (D - 1) as f64)
    }

    /// The target with precisions 1/`variance(i)` (rounded to f32).
    pub fn ill_conditioned() -> Self {
        DiagGauss {
            prec: core::array::from_fn(|i| (1.0 / Self::variance(i)) as f32),
        }
    }
}

impl<const D: usize> Energy for DiagGauss<D> {
    fn dim(&self) -> usize {
        D
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        Ok(0.5
            * x.iter()
                .zip(&self.prec)
                .map(|(v, p)| p * v * v)
                .sum::<f32>())
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, EvalError> {
        for i in 0..D {
            g[i] = self.prec[i] * x[i];
        }
        self.value(x)
    }
}

/// The eight schools' effects and standard errors.
pub const SCHOOLS_Y: [f64; 8] = [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0];
pub const SCHOOLS_SIGMA: [f64; 8] = [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0];

/// Eight schools, non-centred: θⱼ = μ + τηⱼ, μ ~ N(0, 5²), τ ~
/// Half-Cauchy(0, 5) sampled as s = log τ, ηⱼ ~ N(0, 1), yⱼ ~ N(θⱼ, σⱼ²);
/// x = (μ, s, η₁..η₈), computed in f64.
pub struct EightSchools;

impl Energy for EightSchools {
    fn dim(&self) -> usize {
        10
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        let mut g = [0f32; 10];
        self.value_grad(x, &mut g)
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, EvalError> {
        let (mu, s) = (f64::from(x[0]), f64::from(x[1]));
        let tau = s.exp();
        let t2 = tau * tau / 25.0;
        let mut u = mu * mu / 50.0 + t2.ln_1p() - s;
        let mut gmu = mu / 25.0;
        let mut gs = 2.0 * t2 / (1.0 + t2) - 1.0;
        for j in 0..8 {
            let eta = f64::from(x[2 + j]);
            let r = SCHOOLS_Y[j] - mu - tau * eta;
            let w = 1.0 / (SCHOOLS_SIGMA[j] * SCHOOLS_SIGMA[j]);
            u += 0.5 * eta * eta + 0.5 * r * r * w;
            gmu -= r * w;
            gs -= r * w * tau * eta;
            g[2 + j] = (eta - r * w * tau) as f32;
        }
        g[0] = gmu as f32;
        g[1] = gs as f32;
        Ok(u as f32)
    }
}
