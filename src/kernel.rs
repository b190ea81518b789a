//! The machinery every Markov kernel shares: one step of an ensemble is
//! *propose* (kernel-specific), *evaluate*, *accept/reject in log space*,
//! *commit*. Kernels only say how to propose and what the proposal-density
//! correction is; everything else — freshness of the cached U and ∇U,
//! validation, the Metropolis–Hastings test, all-or-nothing commits and
//! random-stream bookkeeping — lives here, once.
//!
//! Acceptance (errata, eq. 77): A = min{1, ρ(y)g(x|y) / (ρ(x)g(y|x))} with
//! ρ ∝ exp(−βU), computed as
//! log A = −β(U(y) − U(x)) + [log g(x|y) − log g(y|x)].

use crate::energy::Energy;
use crate::error::{Error, check_dim};
use crate::math;
use crate::walkers::{
    Chains, Decision, Scratch, TreeStats, Walkers, check_beta, commit, first_invalid,
};

/// What one ensemble step did.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct StepSummary {
    /// Walkers whose proposal was taken.
    pub accepted: usize,
    /// Walkers stepped.
    pub proposed: usize,
    /// Mean Metropolis–Hastings acceptance probability over walkers (the
    /// quantity step-size adaptation targets; 1 for ULA).
    pub mean_accept_prob: f32,
    /// Proposals rejected because U or ∇U was non-finite or declined there.
    pub invalid: usize,
}

/// A Markov kernel over an ensemble of walkers.
///
/// The trait is open: a kernel outside the crate implements
/// [`Kernel::propose`] (reading the walkers through [`Chains`]' accessors
/// and writing proposals, their evaluation and the proposal correction into
/// [`Scratch`]'s public fields) and gets the shared step for free — cache
/// refresh, validation, the Metropolis–Hastings test, the all-or-nothing
/// commit. Built-in kernels are also listed in [`crate::kernels`]'s
/// registry so that front ends can choose them at run time; an outside
/// kernel is used through the generic types ([`crate::Sampler`],
/// [`crate::ReplicaExchange`], [`crate::Pcd`]) instead.
pub trait Kernel {
    /// The proposal scale: the time step h for Langevin kernels, the proposal
    /// standard deviation for random-walk Metropolis–Hastings.
    fn step_size(&self) -> f32;

    /// Sets the proposal scale (finite, > 0). On error the kernel must be
    /// unchanged: [`crate::Sampler::step`] relies on it to stay
    /// all-or-nothing while adapting.
    fn set_step_size(&mut self, h: f32) -> Result<(), Error>;

    /// Whether proposals pass a Metropolis–Hastings test (default true;
    /// false for ULA, which takes every valid proposal).
    fn adjusted(&self) -> bool {
        true
    }

    /// Whether proposals need ∇U at the current point and at the proposal
    /// (default true; false for random-walk MH).
    fn needs_grad(&self) -> bool {
        true
    }

    /// Whether the proposal is already the next state (default false): a
    /// kernel that draws the next state from a whole trajectory (NUTS's
    /// multinomial sampling) returns true. The shared step then runs no
    /// Metropolis–Hastings test: it takes every valid proposal, keeps a
    /// walker whose proposal is invalid where it is (a rejection counted in
    /// [`StepSummary::invalid`], never an error), counts a walker as
    /// accepted when its proposal differs from its position, and reports
    /// [`Scratch::tree`]`[w].accept_stat` as the acceptance probability (the
    /// statistic step-size adaptation targets). `s.log_q` is ignored.
    fn proposal_is_next_state(&self) -> bool {
        false
    }

    /// True only for the unadjusted Langevin move x' = x − h∇U(x) + √(2h/β)·ξ
    /// with h = [`Kernel::step_size`], whose transition density a weighted
    /// (Jarzynski) trainer needs.
    fn unadjusted_langevin(&self) -> bool {
        false
    }

    /// Whether the kernel has a diagonal mass matrix M that
    /// [`Kernel::set_diagonal_mass`] sets (HMC, NUTS, preconditioned MALA;
    /// default false). Mass adaptation ([`crate::mass_adapt`]) needs one.
    fn has_mass(&self) -> bool {
        false
    }

    /// Sets the diagonal mass M = diag(`mass`), one value per coordinate,
    /// each in [[`crate::kernels::hmc::MIN_MASS`],
    /// [`crate::kernels::hmc::MAX_MASS`]]; unchanged on error. Default (a
    /// kernel without a mass): [`Error::InvalidConfig`].
    fn set_diagonal_mass(&mut self, mass: &[f32]) -> Result<(), Error> {
        let _ = mass;
        Err(Error::InvalidConfig("this kernel has no mass matrix"))
    }

    /// Sets the identity mass; default (no mass): [`Error::InvalidConfig`].
    fn set_identity_mass(&mut self) -> Result<(), Error> {
        Err(Error::InvalidConfig("this kernel has no mass matrix"))
    }

    /// Copies the diagonal mass into `out` (at least its length) and
    /// returns its length; `None` for the identity or no mass (default).
    fn diagonal_mass(&self, out: &mut [f32]) -> Option<usize> {
        let _ = out;
        None
    }

    /// Sets the number of leapfrog steps per proposal (HMC, ≥ 1); unchanged
    /// on error. Default (no fixed trajectory length):
    /// [`Error::InvalidConfig`].
    fn set_leapfrog_steps(&mut self, steps: usize) -> Result<(), Error> {
        let _ = steps;
        Err(Error::InvalidConfig(
            "only HMC has a number of leapfrog steps",
        ))
    }

    /// Checks the kernel's configuration against walkers of dimension `dim`
    /// before a step (e.g. a per-coordinate mass matrix); on error the step
    /// does nothing.
    fn check_dim(&self, dim: usize) -> Result<(), Error> {
        let _ = dim;
        Ok(())
    }

    /// Writes proposals for walkers `0..n` into `s.y`, evaluates the energy
    /// there into `s.ev` (with gradients iff [`Kernel::needs_grad`]) and, for
    /// adjusted kernels, the proposal correction into `s.log_q` (for a
    /// kernel whose [proposal is the next
    /// state](Kernel::proposal_is_next_state), the statistics into
    /// `s.tree`). Randomness
    /// comes from `s.rng[w]` only, so each walker's draws are its own.
    fn propose<E: Energy, const N: usize, const D: usize>(&self, p: Proposal<'_, E, N, D>);

    /// One step of every walker at inverse temperature `beta`.
    ///
    /// Adjusted kernels reject invalid proposals; ULA returns
    /// [`Error::NonFinite`] (or [`Error::EnergyDeclined`]) and leaves the
    /// walkers — positions, caches and random streams — exactly as they were.
    fn step<E: Energy, const N: usize, const D: usize>(
        &self,
        energy: &E,
        beta: f32,
        walkers: &mut Walkers<N, D>,
    ) -> Result<StepSummary, Error>
    where
        Self: Sized,
    {
        advance(self, energy, beta, walkers)
    }
}

/// What [`Kernel::propose`] works on: the energy, the inverse temperature,
/// the walkers' state (read) and the scratch space the proposal goes to.
pub struct Proposal<'a, E, const N: usize, const D: usize> {
    /// The energy to evaluate proposals with.
    pub energy: &'a E,
    /// Inverse temperature β of the target ρ ∝ exp(−βU).
    pub beta: f32,
    /// The walkers' positions, cached U and ∇U (fresh).
    pub chains: &'a Chains<N, D>,
    /// Where proposals, their evaluations, the proposal correction and the
    /// advanced random streams go.
    pub scratch: &'a mut Scratch<N, D>,
}

/// Metropolis–Hastings test in log space: (accepted, acceptance probability).
/// A NaN ratio (e.g. ∞ − ∞) rejects.
#[inline]
pub fn metropolis(log_ratio: f32, uniform: f32) -> (bool, f32) {
    let p = if log_ratio >= 0.0 {
        1.0
    } else if log_ratio.is_nan() {
        0.0
    } else {
        math::exp(log_ratio)
    };
    (uniform < p, p)
}

/// The shared step; see [`Kernel::step`].
pub(crate) fn advance<K: Kernel, E: Energy, const N: usize, const D: usize>(
    kernel: &K,
    energy: &E,
    beta: f32,
    walkers: &mut Walkers<N, D>,
) -> Result<StepSummary, Error> {
    let decision = decide(kernel, energy, beta, walkers)?;
    Ok(commit(walkers, &decision))
}

/// A step up to its commit: refreshes stale caches, proposes, evaluates and
/// decides every walker. Writes only the scratch (proposal, evaluations,
/// advanced streams), so several ensembles can be decided before any is
/// committed (replica exchange commits all replicas or none).
pub(crate) fn decide<K: Kernel, E: Energy, const N: usize, const D: usize>(
    kernel: &K,
    energy: &E,
    beta: f32,
    walkers: &mut Walkers<N, D>,
) -> Result<Decision<N>, Error> {
    check_beta(beta)?;
    if walkers.is_empty() {
        return Err(Error::Empty);
    }
    check_dim(walkers.dim(), energy.dim())?;
    kernel.check_dim(walkers.dim())?;
    let needs_grad = kernel.needs_grad();
    walkers.refresh(energy, needs_grad)?;

    let Walkers { c, s } = walkers;
    let (n, d) = (c.n, c.d);
    s.rng[..n].clone_from_slice(&c.rng[..n]);
    s.tree[..n].fill(TreeStats::default());
    kernel.propose(Proposal {
        energy,
        beta,
        chains: c,
        scratch: s,
    });
    // A proposal that is not a finite point is invalid even where the
    // energy is finite there (a constant energy, a user callback): found by
    // fuzz/capi, where such walkers went to ±∞ and then NaN.
    for w in 0..n {
        if !(0..d).all(|i| s.y[i][w].is_finite()) {
            s.ev.u[w] = f32::NAN;
        }
    }

    let next_state = kernel.proposal_is_next_state();
    let adjusted = kernel.adjusted();
    if !adjusted && !next_state {
        first_invalid(&s.ev, n, d, needs_grad)?;
    }
    let mut dec = Decision {
        take: [false; N],
        prob: [1f32; N],
        invalid: 0,
        needs_grad,
    };
    for w in 0..n {
        if next_state {
            if s.ev.is_valid(w, d, needs_grad) {
                dec.take[w] = (0..d).any(|i| s.y[i][w].to_bits() != c.x[i][w].to_bits());
                dec.prob[w] = s.tree[w].accept_stat;
            } else {
                dec.invalid += 1;
                (dec.take[w], dec.prob[w]) = (false, 0.0);
            }
            continue;
        }
        if !adjusted {
            dec.take[w] = true;
            continue;
        }
        let u = s.rng[w].uniform();
        if s.ev.is_valid(w, d, needs_grad) {
            let log_ratio = -beta * (s.ev.u[w] - c.u[w]) + s.log_q[w];
            (dec.take[w], dec.prob[w]) = metropolis(log_ratio, u);
        } else {
            dec.invalid += 1;
            (dec.take[w], dec.prob[w]) = (false, 0.0);
        }
    }
    Ok(dec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metropolis_edges() {
        assert_eq!(metropolis(0.0, 0.999), (true, 1.0));
        assert_eq!(metropolis(5.0, 0.999), (true, 1.0));
        assert_eq!(metropolis(f32::NAN, 1e-9), (false, 0.0));
        assert_eq!(metropolis(f32::NEG_INFINITY, 1e-9), (false, 0.0));
        let (a, p) = metropolis(-1.0, 0.3);
        assert!(a && (p - (-1f32).exp()).abs() < 1e-7);
        assert!(!metropolis(-1.0, 0.4).0);
    }
}
