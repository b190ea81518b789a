//! The three kernels of the review's section 4. Each is a proposal family
//! plus a flag; the step itself is [`crate::kernel`]'s shared machinery.

use crate::energy::Energy;
use crate::error::{Error, check_positive};
use crate::kernel::{Kernel, langevin_propose, random_walk_propose};
use crate::walkers::{Chains, Scratch};

/// Unadjusted Langevin Algorithm (errata 3): x' = x − h∇U(x) + √(2h/β)·ξ,
/// always taken. Biased for h > 0 (errata 5); stable for h < 2λ_min(Σ) on a
/// Gaussian.
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

/// Random-walk Metropolis–Hastings: y = x + s·ξ, symmetric proposal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rwmh {
    s: f32,
}

macro_rules! step_size_ctor {
    ($t:ident, $f:ident, $what:literal) => {
        impl $t {
            /// A kernel with this step size (finite, > 0).
            pub fn new(step: f32) -> Result<Self, Error> {
                check_positive(step, $what)?;
                Ok($t { $f: step })
            }
        }
    };
}
step_size_ctor!(Ula, h, "ULA step size must be > 0");
step_size_ctor!(Mala, h, "MALA step size must be > 0");
step_size_ctor!(Rwmh, s, "random-walk proposal sd must be > 0");

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
    fn needs_grad(&self) -> bool {
        true
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
    fn adjusted(&self) -> bool {
        true
    }
    fn needs_grad(&self) -> bool {
        true
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

impl Kernel for Rwmh {
    fn step_size(&self) -> f32 {
        self.s
    }
    fn set_step_size(&mut self, s: f32) -> Result<(), Error> {
        *self = Self::new(s)?;
        Ok(())
    }
    fn adjusted(&self) -> bool {
        true
    }
    fn needs_grad(&self) -> bool {
        false
    }
    fn propose<E: Energy, const N: usize, const D: usize>(
        &self,
        energy: &E,
        _beta: f32,
        c: &Chains<N, D>,
        s: &mut Scratch<N, D>,
    ) {
        random_walk_propose(self.s, energy, c, s);
    }
}

/// Which kernel, chosen at run time (e.g. through the C API).
///
/// `repr(u8)` fixes the layout (tag byte, then the variant's fields), so
/// all-zero bytes are a valid value (`Ula` with h = 0, unusable until set):
/// storage of a [`crate::Sampler`] can be zeroed and then
/// [`crate::Sampler::reinit`]ialised in place.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub enum AnyKernel {
    /// Unadjusted Langevin.
    Ula(Ula),
    /// Metropolis-adjusted Langevin.
    Mala(Mala),
    /// Random-walk Metropolis–Hastings.
    Rwmh(Rwmh),
}

macro_rules! dispatch {
    ($s:expr, $k:ident => $e:expr) => {
        match $s {
            AnyKernel::Ula($k) => $e,
            AnyKernel::Mala($k) => $e,
            AnyKernel::Rwmh($k) => $e,
        }
    };
}

impl Kernel for AnyKernel {
    fn step_size(&self) -> f32 {
        dispatch!(self, k => k.step_size())
    }
    fn set_step_size(&mut self, h: f32) -> Result<(), Error> {
        dispatch!(self, k => k.set_step_size(h))
    }
    fn adjusted(&self) -> bool {
        dispatch!(self, k => k.adjusted())
    }
    fn needs_grad(&self) -> bool {
        dispatch!(self, k => k.needs_grad())
    }
    fn unadjusted_langevin(&self) -> bool {
        dispatch!(self, k => k.unadjusted_langevin())
    }
    fn propose<E: Energy, const N: usize, const D: usize>(
        &self,
        energy: &E,
        beta: f32,
        c: &Chains<N, D>,
        s: &mut Scratch<N, D>,
    ) {
        dispatch!(self, k => k.propose(energy, beta, c, s))
    }
}
