//! The registry of Markov kernels: every kernel of the crate, one
//! configuration value that builds any of them ([`KernelConfig`]), and the
//! run-time choice among them ([`AnyKernel`]). Front ends (the C API, a
//! configuration file, a command line) map their values to a
//! [`KernelKind`] and a [`KernelConfig`] here, in one place, instead of
//! re-listing the kernels.
//!
//! Each kernel is a proposal family in its own file; the step itself
//! (evaluate, Metropolis–Hastings test, all-or-nothing commit) is
//! [`crate::kernel`]'s shared machinery. How to add a kernel:
//! `docs/extending.md`.

mod barker;
pub mod hmc;
mod langevin;
mod mass;
pub mod nuts;
mod pmala;
mod random_walk;

pub use barker::Barker;
pub use hmc::Hmc;
pub use langevin::{LangevinKernel, Mala, Ula};
pub use nuts::Nuts;
pub use pmala::PMala;
pub use random_walk::Rwmh;

use crate::adapt::{HMC_TARGET, MALA_TARGET, RWMH_TARGET};
use crate::energy::Energy;
use crate::error::Error;
use crate::kernel::{Kernel, Proposal, StepSummary};
use crate::walkers::Walkers;

/// Which kernel. The discriminant is the kernel's stable code (the C API's
/// `TebmKernel` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum KernelKind {
    /// [`Ula`].
    Ula = 0,
    /// [`Mala`].
    Mala = 1,
    /// [`Rwmh`].
    Rwmh = 2,
    /// [`Hmc`].
    Hmc = 3,
    /// [`Barker`].
    Barker = 4,
    /// [`Nuts`].
    Nuts = 5,
    /// [`PMala`].
    PMala = 6,
}

impl KernelKind {
    /// Every kind, in code order.
    pub const ALL: [KernelKind; 7] = [
        KernelKind::Ula,
        KernelKind::Mala,
        KernelKind::Rwmh,
        KernelKind::Hmc,
        KernelKind::Barker,
        KernelKind::Nuts,
        KernelKind::PMala,
    ];

    /// Number of kinds; codes are `0..COUNT`.
    pub const COUNT: usize = Self::ALL.len();

    /// The kind with this code, if any.
    pub const fn from_code(code: u32) -> Option<Self> {
        if (code as usize) < Self::COUNT {
            Some(Self::ALL[code as usize])
        } else {
            None
        }
    }

    /// The stable code.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The acceptance rate step-size adaptation aims at by default; `None`
    /// for ULA, which accepts every move (nothing to adapt to).
    pub const fn default_target(self) -> Option<f32> {
        match self {
            KernelKind::Ula => None,
            KernelKind::Mala => Some(MALA_TARGET),
            KernelKind::Rwmh => Some(RWMH_TARGET),
            KernelKind::Hmc => Some(HMC_TARGET),
            KernelKind::Barker => Some(Barker::TARGET),
            KernelKind::Nuts => Some(Nuts::<1>::TARGET),
            KernelKind::PMala => Some(MALA_TARGET),
        }
    }

    /// Whether the kind reads [`KernelConfig::mass`].
    pub const fn uses_mass(self) -> bool {
        matches!(self, KernelKind::Hmc | KernelKind::Nuts | KernelKind::PMala)
    }
}

/// Everything needed to build any kernel: one plain value, so that front
/// ends fill one struct whatever the kernel. Fields a kind does not use are
/// ignored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelConfig<'a> {
    /// Which kernel.
    pub kind: KernelKind,
    /// Step size: the time step h (Langevin), the proposal sd (random-walk
    /// MH), the proposal scale σ (Barker) or the leapfrog step ε (HMC,
    /// NUTS); finite, > 0.
    pub step_size: f32,
    /// HMC: leapfrog steps per proposal (≥ 1).
    pub leapfrog_steps: usize,
    /// HMC, NUTS: the diagonal mass M (one positive value per coordinate),
    /// or `None` for the identity.
    pub mass: Option<&'a [f32]>,
    /// NUTS: maximum tree depth in `1..=`[`nuts::MAX_TREE_DEPTH`]; 0 means
    /// [`nuts::DEFAULT_TREE_DEPTH`].
    pub max_tree_depth: usize,
    /// HMC, NUTS: step jitter fraction in [0, 1) (each walker's ε is
    /// ε·(1 + j·(2u − 1)) per step); 0 for none.
    pub step_jitter: f32,
}

impl KernelConfig<'_> {
    /// `kind` with step size `step_size`, 10 leapfrog steps, identity mass,
    /// the default tree depth, no jitter.
    pub const fn new(kind: KernelKind, step_size: f32) -> Self {
        KernelConfig {
            kind,
            step_size,
            leapfrog_steps: 10,
            mass: None,
            max_tree_depth: 0,
            step_jitter: 0.0,
        }
    }
}

/// Any kernel of the crate, chosen at run time (e.g. through the C API).
/// `D` is the dimension capacity of the kernels that hold per-coordinate
/// state (HMC's mass); use the `D` of the walkers it steps.
///
/// `repr(u8)` fixes the layout (tag byte, then the variant's fields), so
/// all-zero bytes are a valid value (`Ula` with h = 0, unusable until set):
/// storage of a [`crate::Sampler`] can be zeroed and then
/// [`crate::Sampler::reinit`]ialised in place. Every variant's fields are
/// floats, integers and float arrays, so any variant is valid over zeroed
/// bytes once its tag is written.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub enum AnyKernel<const D: usize> {
    /// Unadjusted Langevin.
    Ula(Ula),
    /// Metropolis-adjusted Langevin.
    Mala(Mala),
    /// Random-walk Metropolis–Hastings.
    Rwmh(Rwmh),
    /// Hamiltonian Monte Carlo.
    Hmc(Hmc<D>),
    /// Barker's proposal.
    Barker(Barker),
    /// The No-U-Turn Sampler.
    Nuts(Nuts<D>),
    /// Preconditioned MALA.
    PMala(PMala<D>),
}

impl<const D: usize> AnyKernel<D> {
    /// Builds the kernel `cfg` describes; every value is validated.
    pub fn from_config(cfg: &KernelConfig<'_>) -> Result<Self, Error> {
        let h = cfg.step_size;
        Ok(match cfg.kind {
            KernelKind::Ula => AnyKernel::Ula(Ula::new(h)?),
            KernelKind::Mala => AnyKernel::Mala(Mala::new(h)?),
            KernelKind::Rwmh => AnyKernel::Rwmh(Rwmh::new(h)?),
            KernelKind::Hmc => {
                let k = Hmc::new(h, cfg.leapfrog_steps)?.with_step_jitter(cfg.step_jitter)?;
                AnyKernel::Hmc(match cfg.mass {
                    Some(m) => k.with_diagonal_mass(m)?,
                    None => k,
                })
            }
            KernelKind::Barker => AnyKernel::Barker(Barker::new(h)?),
            KernelKind::Nuts => {
                let depth = match cfg.max_tree_depth {
                    0 => nuts::DEFAULT_TREE_DEPTH,
                    depth => depth,
                };
                let k = Nuts::new(h)?
                    .with_max_tree_depth(depth)?
                    .with_step_jitter(cfg.step_jitter)?;
                AnyKernel::Nuts(match cfg.mass {
                    Some(m) => k.with_diagonal_mass(m)?,
                    None => k,
                })
            }
            KernelKind::PMala => {
                let k = PMala::new(h)?;
                AnyKernel::PMala(match cfg.mass {
                    Some(m) => k.with_diagonal_mass(m)?,
                    None => k,
                })
            }
        })
    }

    /// Which kernel this is.
    pub const fn kind(&self) -> KernelKind {
        match self {
            AnyKernel::Ula(_) => KernelKind::Ula,
            AnyKernel::Mala(_) => KernelKind::Mala,
            AnyKernel::Rwmh(_) => KernelKind::Rwmh,
            AnyKernel::Hmc(_) => KernelKind::Hmc,
            AnyKernel::Barker(_) => KernelKind::Barker,
            AnyKernel::Nuts(_) => KernelKind::Nuts,
            AnyKernel::PMala(_) => KernelKind::PMala,
        }
    }
}

macro_rules! dispatch {
    ($s:expr, $k:ident => $e:expr) => {
        match $s {
            AnyKernel::Ula($k) => $e,
            AnyKernel::Mala($k) => $e,
            AnyKernel::Rwmh($k) => $e,
            AnyKernel::Hmc($k) => $e,
            AnyKernel::Barker($k) => $e,
            AnyKernel::Nuts($k) => $e,
            AnyKernel::PMala($k) => $e,
        }
    };
}

impl<const DK: usize> Kernel for AnyKernel<DK> {
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
    fn proposal_is_next_state(&self) -> bool {
        dispatch!(self, k => k.proposal_is_next_state())
    }
    fn unadjusted_langevin(&self) -> bool {
        dispatch!(self, k => k.unadjusted_langevin())
    }
    fn check_dim(&self, dim: usize) -> Result<(), Error> {
        dispatch!(self, k => k.check_dim(dim))
    }
    fn has_mass(&self) -> bool {
        dispatch!(self, k => Kernel::has_mass(k))
    }
    fn set_diagonal_mass(&mut self, mass: &[f32]) -> Result<(), Error> {
        dispatch!(self, k => Kernel::set_diagonal_mass(k, mass))
    }
    fn set_identity_mass(&mut self) -> Result<(), Error> {
        dispatch!(self, k => Kernel::set_identity_mass(k))
    }
    fn diagonal_mass(&self, out: &mut [f32]) -> Option<usize> {
        dispatch!(self, k => Kernel::diagonal_mass(k, out))
    }
    fn set_leapfrog_steps(&mut self, steps: usize) -> Result<(), Error> {
        dispatch!(self, k => Kernel::set_leapfrog_steps(k, steps))
    }
    fn propose<E: Energy, const N: usize, const D: usize>(&self, p: Proposal<'_, E, N, D>) {
        dispatch!(self, k => k.propose(p))
    }
    /// Monomorphised per kernel, so each keeps its own inlined step.
    fn step<E: Energy, const N: usize, const D: usize>(
        &self,
        energy: &E,
        beta: f32,
        walkers: &mut Walkers<N, D>,
    ) -> Result<StepSummary, Error> {
        dispatch!(self, k => k.step(energy, beta, walkers))
    }
}
