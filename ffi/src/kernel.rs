//! The one place where C kernel values map to the core's kernel registry
//! (`ebm::kernels`): the `TebmKernel` codes and the `TebmKernelConfig` that
//! the sampler, trainer and tempering configurations share.

use ebm::{AnyKernel, Error, KernelConfig, KernelKind};

use crate::TEBM_MAX_DIM;
use crate::handle::floats;

/// Markov kernel (`TebmKernelConfig::kind`). Values are `0 ..
/// TEBM_KERNEL_COUNT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmKernel {
    /// Unadjusted Langevin: x' = x − h∇U + √(2h/β)ξ, always taken (biased
    /// for h > 0). A non-finite or declined proposal is an error.
    Ula = 0,
    /// Metropolis-adjusted Langevin (exact).
    Mala = 1,
    /// Random-walk Metropolis–Hastings with proposal sd = step size (exact;
    /// needs no gradient).
    Mh = 2,
    /// Hamiltonian Monte Carlo, `leapfrog_steps` leapfrog steps of size
    /// `step_size` per proposal (exact).
    Hmc = 3,
    /// Barker's proposal with scale `step_size` (exact; Livingstone &
    /// Zanella 2022): robust to a badly chosen step size.
    Barker = 4,
}

/// Number of kernels: valid `TebmKernel` values are `0 .. TEBM_KERNEL_COUNT`.
pub const TEBM_KERNEL_COUNT: u32 = 5;

// The C codes are the core's codes, kernel by kernel.
const _: () = {
    assert!(TEBM_KERNEL_COUNT as usize == KernelKind::COUNT);
    assert!(TebmKernel::Ula as u32 == KernelKind::Ula.code());
    assert!(TebmKernel::Mala as u32 == KernelKind::Mala.code());
    assert!(TebmKernel::Mh as u32 == KernelKind::Rwmh.code());
    assert!(TebmKernel::Hmc as u32 == KernelKind::Hmc.code());
    assert!(TebmKernel::Barker as u32 == KernelKind::Barker.code());
};

/// A kernel and its settings: a member of `TebmSamplerConfig`,
/// `TebmTrainerConfig` and `TebmTemperingConfig`. Fields a kernel does not
/// use are ignored (and `mass` is then not read).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TebmKernelConfig {
    /// A `TebmKernel` value.
    pub kind: u32,
    /// Step size (> 0): time step h (ULA, MALA), proposal sd (MH),
    /// proposal scale (Barker) or leapfrog step (HMC).
    pub step_size: f32,
    /// HMC: leapfrog steps per proposal (≥ 1).
    pub leapfrog_steps: u32,
    /// HMC: diagonal mass matrix M (dim positive floats; momenta are drawn
    /// from N(0, M)), or NULL for the identity.
    pub mass: *const f32,
}

impl TebmKernelConfig {
    /// `kind` with `step_size`, 10 leapfrog steps and the identity mass.
    pub(crate) const fn new(kind: TebmKernel, step_size: f32) -> Self {
        TebmKernelConfig {
            kind: kind as u32,
            step_size,
            leapfrog_steps: 10,
            mass: core::ptr::null(),
        }
    }

    /// The core kernel this configuration describes, for walkers of
    /// dimension `dim` (≤ `TEBM_MAX_DIM`). Every value is validated.
    ///
    /// # Safety
    /// `mass` must be NULL or point to `dim` readable floats (read only for
    /// kernels that use a mass).
    pub(crate) unsafe fn build(&self, dim: usize) -> Result<AnyKernel<TEBM_MAX_DIM>, Error> {
        let kind =
            KernelKind::from_code(self.kind).ok_or(Error::InvalidConfig("unknown kernel"))?;
        let mass = if kind.uses_mass() && !self.mass.is_null() {
            // SAFETY: non-null; `dim` floats per this function's contract.
            Some(unsafe { floats(self.mass, dim.min(TEBM_MAX_DIM)) })
        } else {
            None
        };
        AnyKernel::from_config(&KernelConfig {
            kind,
            step_size: self.step_size,
            leapfrog_steps: usize::try_from(self.leapfrog_steps).unwrap_or(usize::MAX),
            mass,
        })
    }
}
