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
    /// The No-U-Turn Sampler (exact; Hoffman & Gelman 2014, with Stan's
    /// multinomial sampling and generalised U-turn criterion): leapfrog
    /// step `step_size`, trajectories of up to 2^`max_tree_depth` − 1
    /// steps chosen per walker and step; `mass` and `step_jitter` as HMC.
    /// Adaptation targets Stan's acceptance statistic (default 0.8).
    /// Divergences are counted in `TebmSamplerStats::divergences`.
    Nuts = 5,
    /// Preconditioned MALA (exact; Roberts & Stramer 2002): MALA whose
    /// step and noise are scaled per coordinate by the inverse of `mass`
    /// (NULL: MALA itself). With `mass` ≈ the target's per-coordinate
    /// precisions, one `step_size` suits coordinates of very different scales.
    Pmala = 6,
}

/// Number of kernels: valid `TebmKernel` values are `0 .. TEBM_KERNEL_COUNT`.
pub const TEBM_KERNEL_COUNT: u32 = 7;

// The C codes are the core's codes, kernel by kernel.
const _: () = {
    assert!(TEBM_KERNEL_COUNT as usize == KernelKind::COUNT);
    assert!(TebmKernel::Ula as u32 == KernelKind::Ula.code());
    assert!(TebmKernel::Mala as u32 == KernelKind::Mala.code());
    assert!(TebmKernel::Mh as u32 == KernelKind::Rwmh.code());
    assert!(TebmKernel::Hmc as u32 == KernelKind::Hmc.code());
    assert!(TebmKernel::Barker as u32 == KernelKind::Barker.code());
    assert!(TebmKernel::Nuts as u32 == KernelKind::Nuts.code());
    assert!(TebmKernel::Pmala as u32 == KernelKind::PMala.code());
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
    /// proposal scale (Barker) or leapfrog step (HMC, NUTS).
    pub step_size: f32,
    /// HMC: leapfrog steps per proposal (≥ 1).
    pub leapfrog_steps: u32,
    /// HMC, NUTS, preconditioned MALA: diagonal mass matrix M (dim floats, each in [1e-20, 1e20]; momenta are
    /// drawn from N(0, M)), or NULL for the identity.
    pub mass: *const f32,
    /// NUTS: maximum tree depth, 1 ..= 12 (at most 2^depth − 1 leapfrog
    /// steps per step); 0 for the default, 10.
    pub max_tree_depth: u32,
    /// HMC, NUTS: step jitter fraction j in [0, 1): each walker's step is
    /// step_size·(1 + j·(2u − 1)), u uniform, redrawn every step; 0 for
    /// none.
    pub step_jitter: f32,
}

impl TebmKernelConfig {
    /// `kind` with `step_size`, 10 leapfrog steps, the identity mass, the
    /// default tree depth and no jitter.
    pub(crate) const fn new(kind: TebmKernel, step_size: f32) -> Self {
        TebmKernelConfig {
            kind: kind as u32,
            step_size,
            leapfrog_steps: 10,
            mass: core::ptr::null(),
            max_tree_depth: 0,
            step_jitter: 0.0,
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
            max_tree_depth: usize::try_from(self.max_tree_depth).unwrap_or(usize::MAX),
            step_jitter: self.step_jitter,
        })
    }
}
