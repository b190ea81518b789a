//! Preconditioned MALA (Roberts & Stramer 2002): the Langevin proposal with
//! a diagonal preconditioner A = M⁻¹, so that each coordinate moves on its
//! own scale,
//!
//! y = x − h·A∇U(x) + √(2h/β)·A^½·ξ,
//!
//! corrected by Metropolis–Hastings with
//! log g(y|x) = −β/(4h)·(y − x + hA∇U(x))ᵀ A⁻¹ (y − x + hA∇U(x)).
//! With M ≈ diag(Σ)⁻¹ (the precisions of the target's coordinates) one step
//! size suits coordinates whose scales differ by orders of magnitude. With
//! the identity it is [`crate::Mala`], bit for bit.

use crate::energy::Energy;
use crate::error::{Error, check_positive};
use crate::kernel::{Kernel, Proposal};
use crate::math;

use super::mass::{DiagonalMass, Root, kernel_mass_methods};

/// Preconditioned MALA with a diagonal mass M (preconditioner M⁻¹), for
/// walkers of dimension up to `D`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PMala<const D: usize> {
    h: f32,
    /// The diagonal mass: aᵢ = 1/mᵢ and √aᵢ.
    mass: DiagonalMass<D>,
}

impl<const D: usize> PMala<D> {
    /// Time step `h` (finite, > 0), identity mass.
    pub fn new(h: f32) -> Result<Self, Error> {
        check_positive(h, "preconditioned MALA step size must be > 0")?;
        Ok(PMala {
            h,
            mass: DiagonalMass::IDENTITY,
        })
    }

    /// The same kernel with a diagonal mass M = diag(`mass`), each value in
    /// [[`MIN_MASS`](super::hmc::MIN_MASS),
    /// [`MAX_MASS`](super::hmc::MAX_MASS)] (as HMC's), one per coordinate.
    pub fn with_diagonal_mass(mut self, mass: &[f32]) -> Result<Self, Error> {
        self.mass.set(
            mass,
            Root::OfInverse,
            "preconditioned MALA masses must be in [1e-20, 1e20]",
        )?;
        Ok(self)
    }

    /// The same kernel with the identity mass.
    fn with_identity_mass(mut self) -> Self {
        self.mass = DiagonalMass::IDENTITY;
        self
    }

    /// Copies the diagonal mass into `out` and returns its length; `None`
    /// for the identity.
    fn diagonal_mass(&self, out: &mut [f32]) -> Option<usize> {
        self.mass.get(out)
    }
}

impl<const DM: usize> Kernel for PMala<DM> {
    fn step_size(&self) -> f32 {
        self.h
    }
    fn set_step_size(&mut self, h: f32) -> Result<(), Error> {
        check_positive(h, "preconditioned MALA step size must be > 0")?;
        self.h = h;
        Ok(())
    }
    kernel_mass_methods!(PMala);
    fn check_dim(&self, dim: usize) -> Result<(), Error> {
        self.mass.check_dim(dim)
    }
    /// The operations are MALA's with each h and √(2h/β) scaled per
    /// coordinate (by 1.0 for the identity, which changes no bit).
    fn propose<E: Energy, const N: usize, const D: usize>(&self, p: Proposal<'_, E, N, D>) {
        let (energy, c, s) = (p.energy, p.chains, p.scratch);
        let beta = p.beta;
        let (n, d, h) = (c.n, c.d, self.h);
        if d > DM {
            // Unreachable through `Kernel::step` (checked by `check_dim`).
            s.ev.u[..n].fill(f32::NAN);
            return;
        }
        let sd = math::sqrt(2.0 * h / beta);
        let mut xi = [0f32; D];
        for w in 0..n {
            s.rng[w].fill_normal(&mut xi[..d]);
            for i in 0..d {
                let (ha, sda) = (h * self.mass.inv[i], sd * self.mass.root[i]);
                s.y[i][w] = c.x[i][w] - ha * c.g[i][w] + sda * xi[i];
            }
        }
        energy.eval_batch(&s.y, n, true, &mut s.ev);
        let k = -beta / (4.0 * h);
        for w in 0..n {
            let (mut back, mut fwd) = (0f32, 0f32);
            for i in 0..d {
                let (ha, m) = (h * self.mass.inv[i], 1.0 / self.mass.inv[i]);
                let b = c.x[i][w] - s.y[i][w] + ha * s.ev.grad[i][w];
                let f = s.y[i][w] - c.x[i][w] + ha * c.g[i][w];
                back += b * b * m;
                fwd += f * f * m;
            }
            s.log_q[w] = k * (back - fwd);
        }
    }
}

/// Checkpoint records (see [`crate::checkpoint`]): the stored 1/m and
/// √(1/m) themselves.
impl<const DM: usize> PMala<DM> {
    pub(crate) fn fill_record<const D: usize>(
        &self,
        rec: &mut crate::checkpoint::KernelRecord<D>,
    ) -> Result<(), Error> {
        self.mass.fill_record(rec)?;
        rec.step_size = self.h;
        Ok(())
    }

    pub(crate) fn from_record<const D: usize>(
        rec: &crate::checkpoint::KernelRecord<D>,
    ) -> Result<Self, Error> {
        let mut k = PMala::new(rec.step_size)?;
        k.mass = DiagonalMass::from_record(rec)?;
        Ok(k)
    }
}
