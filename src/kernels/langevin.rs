//! Langevin kernels (Roberts & Tweedie 1996): the unadjusted move (ULA) and
//! its Metropolis-adjusted version (MALA). One proposal, two uses, one type.

use crate::energy::Energy;
use crate::error::{Error, check_positive};
use crate::kernel::{Kernel, Proposal};
use crate::math;

/// The Langevin move x' = x − h∇U(x) + √(2h/β)·ξ with time step h; with
/// `ADJUSTED` it is a proposal corrected by a Metropolis–Hastings test
/// ([`Mala`]), without it is always taken ([`Ula`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LangevinKernel<const ADJUSTED: bool> {
    h: f32,
}

/// Unadjusted Langevin Algorithm: x' = x − h∇U(x) + √(2h/β)·ξ, always
/// taken. Biased for h > 0 (on a Gaussian the variance along an
/// eigen-direction λ is inflated by 1/(1 − h/(2λ))); stable for
/// h < 2λ_min(Σ). See [the references](crate#references).
pub type Ula = LangevinKernel<false>;

/// Metropolis-adjusted Langevin: the ULA move as a proposal, corrected by a
/// Metropolis–Hastings test, so the chain targets ρ exactly.
pub type Mala = LangevinKernel<true>;

impl<const ADJUSTED: bool> LangevinKernel<ADJUSTED> {
    /// A kernel with time step `h` (finite, > 0).
    pub fn new(h: f32) -> Result<Self, Error> {
        let what = if ADJUSTED {
            "MALA step size must be > 0"
        } else {
            "ULA step size must be > 0"
        };
        check_positive(h, what)?;
        Ok(LangevinKernel { h })
    }
}

impl<const ADJUSTED: bool> Kernel for LangevinKernel<ADJUSTED> {
    fn step_size(&self) -> f32 {
        self.h
    }
    fn set_step_size(&mut self, h: f32) -> Result<(), Error> {
        *self = Self::new(h)?;
        Ok(())
    }
    fn adjusted(&self) -> bool {
        ADJUSTED
    }
    fn unadjusted_langevin(&self) -> bool {
        !ADJUSTED
    }
    /// y = x − h∇U(x) + √(2h/β)·ξ, evaluated with gradients; when adjusted,
    /// also the correction log g(x|y) − log g(y|x) with
    /// log g(y|x) = −β/(4h)·|y − x + h∇U(x)|² (the proposal density keeps
    /// the ∇U term).
    fn propose<E: Energy, const N: usize, const D: usize>(&self, p: Proposal<'_, E, N, D>) {
        let (energy, c, s) = (p.energy, p.chains, p.scratch);
        let beta = p.beta;
        let (n, d, h) = (c.n, c.d, self.h);
        let sd = math::sqrt(2.0 * h / beta);
        let mut xi = [0f32; D];
        for w in 0..n {
            s.rng[w].fill_normal(&mut xi[..d]);
            for i in 0..d {
                s.y[i][w] = c.x[i][w] - h * c.g[i][w] + sd * xi[i];
            }
        }
        energy.eval_batch(&s.y, n, true, &mut s.ev);
        if ADJUSTED {
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
}
