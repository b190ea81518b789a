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
use crate::error::{Error, check_dim, check_positive, check_size};
use crate::kernel::{Kernel, Proposal};
use crate::kernels::hmc::{MAX_MASS, MIN_MASS};
use crate::math;

/// Preconditioned MALA with a diagonal mass M (preconditioner M⁻¹), for
/// walkers of dimension up to `D`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PMala<const D: usize> {
    h: f32,
    /// Length of the diagonal mass, 0 for the identity.
    mass_dim: usize,
    /// aᵢ = 1/mᵢ.
    inv_mass: [f32; D],
    /// √aᵢ.
    sqrt_inv_mass: [f32; D],
}

impl<const D: usize> PMala<D> {
    /// Time step `h` (finite, > 0), identity mass.
    pub fn new(h: f32) -> Result<Self, Error> {
        check_positive(h, "preconditioned MALA step size must be > 0")?;
        Ok(PMala {
            h,
            mass_dim: 0,
            inv_mass: [1.0; D],
            sqrt_inv_mass: [1.0; D],
        })
    }

    /// The same kernel with a diagonal mass M = diag(`mass`), each value in
    /// [[`MIN_MASS`], [`MAX_MASS`]] (as HMC's), one per coordinate.
    pub fn with_diagonal_mass(mut self, mass: &[f32]) -> Result<Self, Error> {
        check_size(mass.len(), D)?;
        if !mass.iter().all(|&m| (MIN_MASS..=MAX_MASS).contains(&m)) {
            return Err(Error::InvalidConfig(
                "preconditioned MALA masses must be in [1e-20, 1e20]",
            ));
        }
        for (i, &m) in mass.iter().enumerate() {
            self.inv_mass[i] = 1.0 / m;
            self.sqrt_inv_mass[i] = math::sqrt(self.inv_mass[i]);
        }
        self.mass_dim = mass.len();
        Ok(self)
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
    fn has_mass(&self) -> bool {
        true
    }
    fn set_diagonal_mass(&mut self, mass: &[f32]) -> Result<(), Error> {
        *self = self.with_diagonal_mass(mass)?;
        Ok(())
    }
    fn set_identity_mass(&mut self) -> Result<(), Error> {
        *self = PMala::new(self.h)?;
        Ok(())
    }
    fn diagonal_mass(&self, out: &mut [f32]) -> Option<usize> {
        if self.mass_dim == 0 {
            return None;
        }
        for (o, &a) in out.iter_mut().zip(&self.inv_mass[..self.mass_dim]) {
            *o = 1.0 / a;
        }
        Some(self.mass_dim)
    }
    fn check_dim(&self, dim: usize) -> Result<(), Error> {
        check_size(dim, DM)?;
        if self.mass_dim != 0 {
            check_dim(self.mass_dim, dim)?;
        }
        Ok(())
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
                let (ha, sda) = (h * self.inv_mass[i], sd * self.sqrt_inv_mass[i]);
                s.y[i][w] = c.x[i][w] - ha * c.g[i][w] + sda * xi[i];
            }
        }
        energy.eval_batch(&s.y, n, true, &mut s.ev);
        let k = -beta / (4.0 * h);
        for w in 0..n {
            let (mut back, mut fwd) = (0f32, 0f32);
            for i in 0..d {
                let (ha, m) = (h * self.inv_mass[i], 1.0 / self.inv_mass[i]);
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
        if self.mass_dim > D {
            return Err(Error::CapacityExceeded {
                requested: self.mass_dim,
                capacity: D,
            });
        }
        rec.step_size = self.h;
        rec.mass_dim = self.mass_dim as u32;
        // The rest stays 1 (unused: walkers have the mass's dimension).
        let k = self.mass_dim;
        rec.a[..k].copy_from_slice(&self.inv_mass[..k]);
        rec.b[..k].copy_from_slice(&self.sqrt_inv_mass[..k]);
        Ok(())
    }

    pub(crate) fn from_record<const D: usize>(
        rec: &crate::checkpoint::KernelRecord<D>,
    ) -> Result<Self, Error> {
        let mut k = PMala::new(rec.step_size)?;
        let m = rec.mass_checked(DM)?;
        k.mass_dim = m;
        k.inv_mass[..m].copy_from_slice(&rec.a[..m]);
        k.sqrt_inv_mass[..m].copy_from_slice(&rec.b[..m]);
        Ok(k)
    }
}
