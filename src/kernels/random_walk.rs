//! Random-walk Metropolis–Hastings (Metropolis et al. 1953; Hastings 1970):
//! the one kernel that needs no gradient.

use crate::energy::Energy;
use crate::error::{Error, check_positive};
use crate::kernel::{Kernel, Proposal};

/// Random-walk Metropolis–Hastings: y = x + s·ξ, a symmetric proposal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rwmh {
    s: f32,
}

impl Rwmh {
    /// A kernel with proposal standard deviation `s` (finite, > 0).
    pub fn new(s: f32) -> Result<Self, Error> {
        check_positive(s, "random-walk proposal sd must be > 0")?;
        Ok(Rwmh { s })
    }
}

impl Kernel for Rwmh {
    fn step_size(&self) -> f32 {
        self.s
    }
    fn set_step_size(&mut self, s: f32) -> Result<(), Error> {
        *self = Self::new(s)?;
        Ok(())
    }
    fn needs_grad(&self) -> bool {
        false
    }
    /// y = x + s·ξ, evaluated without gradients; no correction (symmetric).
    fn propose<E: Energy, const N: usize, const D: usize>(&self, p: Proposal<'_, E, N, D>) {
        let (energy, c, s) = (p.energy, p.chains, p.scratch);
        let (n, d) = (c.n, c.d);
        let mut xi = [0f32; D];
        for w in 0..n {
            s.rng[w].fill_normal(&mut xi[..d]);
            for i in 0..d {
                s.y[i][w] = c.x[i][w] + self.s * xi[i];
            }
            s.log_q[w] = 0.0;
        }
        energy.eval_batch(&s.y, n, false, &mut s.ev);
    }
}
