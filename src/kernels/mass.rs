//! The diagonal mass matrix M = diag(m) shared by [`crate::Hmc`],
//! [`crate::Nuts`] (through its HMC) and [`crate::PMala`]: validation, the
//! stored inverse 1/mᵢ with a square root, reading it back, the dimension
//! check and the checkpoint record.

use crate::error::{Error, check_dim, check_size};
use crate::kernels::hmc::{MAX_MASS, MIN_MASS};
use crate::math;

/// Which square root a [`DiagonalMass`] stores next to 1/mᵢ.
#[derive(Clone, Copy)]
pub(super) enum Root {
    /// √mᵢ (HMC and NUTS: momenta √m·ξ).
    OfMass,
    /// √(1/mᵢ) (preconditioned MALA: noise A^½·ξ).
    OfInverse,
}

/// A diagonal mass of capacity `D`: its length (0 for the identity), 1/mᵢ
/// and a square root (see [`Root`]); 1 beyond the length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct DiagonalMass<const D: usize> {
    /// Length of the diagonal mass, 0 for the identity.
    pub(super) dim: usize,
    /// 1/mᵢ.
    pub(super) inv: [f32; D],
    /// √mᵢ or √(1/mᵢ), as the kernel chose.
    pub(super) root: [f32; D],
}

impl<const D: usize> DiagonalMass<D> {
    /// The identity.
    pub(super) const IDENTITY: Self = DiagonalMass {
        dim: 0,
        inv: [1.0; D],
        root: [1.0; D],
    };

    /// Sets M = diag(`mass`), each value in [[`MIN_MASS`], [`MAX_MASS`]]
    /// (else [`Error::InvalidConfig`] with `msg`), at most `D` values;
    /// unchanged on error.
    pub(super) fn set(&mut self, mass: &[f32], root: Root, msg: &'static str) -> Result<(), Error> {
        check_size(mass.len(), D)?;
        if !mass.iter().all(|&m| (MIN_MASS..=MAX_MASS).contains(&m)) {
            return Err(Error::InvalidConfig(msg));
        }
        for (i, &m) in mass.iter().enumerate() {
            self.inv[i] = 1.0 / m;
            self.root[i] = match root {
                Root::OfMass => math::sqrt(m),
                Root::OfInverse => math::sqrt(self.inv[i]),
            };
        }
        self.dim = mass.len();
        Ok(())
    }

    /// Copies the masses into `out` and returns their number; `None` for
    /// the identity.
    pub(super) fn get(&self, out: &mut [f32]) -> Option<usize> {
        if self.dim == 0 {
            return None;
        }
        for (o, &im) in out.iter_mut().zip(&self.inv[..self.dim]) {
            *o = 1.0 / im;
        }
        Some(self.dim)
    }

    /// Walkers of dimension `dim` fit: at most `D`, and the mass's length
    /// unless it is the identity.
    pub(super) fn check_dim(&self, dim: usize) -> Result<(), Error> {
        check_size(dim, D)?;
        if self.dim != 0 {
            check_dim(self.dim, dim)?;
        }
        Ok(())
    }

    /// Stores the length and the stored values themselves (not the masses,
    /// so that a restored kernel has the very same bits) in a checkpoint
    /// record; the rest of the record stays 1.
    pub(super) fn fill_record<const R: usize>(
        &self,
        rec: &mut crate::checkpoint::KernelRecord<R>,
    ) -> Result<(), Error> {
        if self.dim > R {
            return Err(Error::CapacityExceeded {
                requested: self.dim,
                capacity: R,
            });
        }
        rec.mass_dim = self.dim as u32;
        // The rest stays 1 (unused: walkers have the mass's dimension).
        let k = self.dim;
        rec.a[..k].copy_from_slice(&self.inv[..k]);
        rec.b[..k].copy_from_slice(&self.root[..k]);
        Ok(())
    }

    /// The mass of a checkpoint record (checked by
    /// [`crate::checkpoint::KernelRecord::mass_checked`]).
    pub(super) fn from_record<const R: usize>(
        rec: &crate::checkpoint::KernelRecord<R>,
    ) -> Result<Self, Error> {
        let m = rec.mass_checked(D)?;
        let mut s = Self::IDENTITY;
        s.dim = m;
        s.inv[..m].copy_from_slice(&rec.a[..m]);
        s.root[..m].copy_from_slice(&rec.b[..m]);
        Ok(s)
    }
}

/// The [`crate::Kernel`] mass methods of a kernel with inherent
/// `with_diagonal_mass`, `with_identity_mass` and `diagonal_mass`.
macro_rules! kernel_mass_methods {
    ($ty:ident) => {
        fn has_mass(&self) -> bool {
            true
        }

        fn set_diagonal_mass(&mut self, mass: &[f32]) -> Result<(), Error> {
            *self = self.with_diagonal_mass(mass)?;
            Ok(())
        }

        fn set_identity_mass(&mut self) -> Result<(), Error> {
            *self = self.with_identity_mass();
            Ok(())
        }

        fn diagonal_mass(&self, out: &mut [f32]) -> Option<usize> {
            $ty::diagonal_mass(self, out)
        }
    };
}
pub(super) use kernel_mass_methods;
