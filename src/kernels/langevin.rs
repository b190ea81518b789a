//! Langevin kernels (Roberts & Tweedie 1996): the unadjusted move (ULA) and
//! its Metropolis-adjusted version (MALA). One proposal, two uses.

use crate::energy::Energy;
use crate::error::{Error, check_positive};
use crate::kernel::Kernel;
use crate::math;
use crate::walkers::{Chains, Scratch};

/// Unadjusted Langevin Algorithm: x' = x − h∇U(x) + √(2h/β)·ξ, always
/// taken. Biased for h > 0 (on a Gaussian the variance along an
/// eigen-direction λ is inflated by 1/(1 − h/(2λ))); stable for
/// h < 2λ_min(Σ). See [the references](crate#references).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ula {
    h: f32,
}

/// Metropolis-adjusted Langevin: the ULA move as a proposal, corrected by a
/// Metropolis–Hastings test, so the chain targets ρ exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mala {
    h: f32,
}

impl Ula {
    /// A kernel with time step `h` (finite, > 0).
    pub fn new(h: f32) -> Result<Self, Error> {
        check_positive(h, "ULA step size must be > 0")?;
        Ok(Ula { h })
    }
}

impl Mala {
    /// A kernel with time step `h` (finite, > 0).
    pub fn new(h: f32) -> Result<Self, Error> {
        check_positive(h, "MALA step size must be > 0")?;
        Ok(Mala { h })
    }
}

impl Kernel for Ula {
    fn step_size(&self) -> f32 {
        self.h
    }
    fn set_step_size(&mut self, h: f32) -> Result<(), Error> {
        *self = Self::new(h)?;
        Ok(())
    }
    fn adjusted(&self) -> bool {
        false
    }
    fn unadjusted_langevin(&self) -> bool {
        true
    }
    fn propose<E: Energy, const N: usize, const D: usize>(
        &self,
        energy: &E,
        beta: f32,
        c: &Chains<N, D>,
        s: &mut Scratch<N, D>,
    ) {
        langevin_propose(self.h, false, energy, beta, c, s);
    }
}

impl Kernel for Mala {
    fn step_size(&self) -> f32 {
        self.h
    }
    fn set_step_size(&mut self, h: f32) -> Result<(), Error> {
        *self = Self::new(h)?;
        Ok(())
    }
    fn propose<E: Energy, const N: usize, const D: usize>(
        &self,
        energy: &E,
        beta: f32,
        c: &Chains<N, D>,
        s: &mut Scratch<N, D>,
    ) {
        langevin_propose(self.h, true, energy, beta, c, s);
    }
}

/// Langevin proposal y = x − h∇U(x) + √(2h/β)·ξ for walkers `0..n`,
/// evaluated with gradients; with `adjusted`, also the MALA correction
/// log g(x|y) − log g(y|x) with log g(y|x) = −β/(4h)·|y − x + h∇U(x)|²
/// (the proposal density keeps the ∇U term).
fn langevin_propose<E: Energy, const N: usize, const D: usize>(
    h: f32,
    adjusted: bool,
    energy: &E,
    beta: f32,
    c: &Chains<N, D>,
    s: &mut Scratch<N, D>,
) {
    let (n, d) = (c.n, c.d);
    let sd = math::sqrt(2.0 * h / beta);
    let mut xi = [0f32; D];
    for w in 0..n {
        s.rng[w].fill_normal(&mut xi[..d]);
        for i in 0..d {
            s.y[i][w] = c.x[i][w] - h * c.g[i][w] + sd * xi[i];
        }
    }
    energy.eval_batch(&s.y, n, true, &mut s.ev);
    if adjusted {
        let k = -beta / (4.0 * h);
        for w in 0..n {
            let (mut back, mut fwd) = (0f32, 0f32);
            for i in 0..d {
                let b = c.x[i][w] - s.y[i][w] + h * s.ev.grad[i][w];
                let f = s.y[i][w] - c.x[i][w] + h * c.g[i][w];
                back += b * b;
                fwd += f * f;
            }
            s.log_q[w] = k * (back - fwd);
        }
    }
}
