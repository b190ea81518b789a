//! Hamiltonian Monte Carlo (Duane et al. 1987; Neal 2011): L leapfrog steps
//! of fictitious Hamiltonian dynamics as the proposal, corrected by the shared
//! Metropolis test of [`crate::kernel`].
//!
//! With ρ(x) ∝ exp(−βU(x)) and momenta p ~ N(0, M) the joint density is
//! ∝ exp(−H) with H(x, p) = βU(x) + K(p), K(p) = ½pᵀM⁻¹p. Hamilton's
//! equations are ẋ = M⁻¹p, ṗ = −β∇U(x): the temperature scales the force.
//! Leapfrog (half kick, drift, half kick) is volume-preserving and reversible
//! under p → −p, so the exact acceptance is min{1, exp(−ΔH)}:
//! log A = −β(U(y) − U(x)) + [K(p) − K(p')],
//! and the bracket is what [`Hmc`] puts into the scratch's `log_q`. (The final
//! momentum flip that makes the map an involution does not change K and is
//! not performed: momenta are redrawn every step.)
//!
//! All walkers integrate in lock-step, one batched [`Energy::eval_batch`] per
//! leapfrog step. A non-finite U or ∇U (or a declined evaluation) anywhere on
//! a walker's trajectory freezes that walker and makes its proposal invalid:
//! a rejection, never an error. Momenta are drawn from each walker's own
//! stream, so trajectories do not depend on how walkers are batched.
//!
//! Memory: the momenta live on the stack during a step (N·D f32, the size of
//! one position array); nothing is added to [`crate::Walkers`].
//!
//! Fixed step size and trajectory length can resonate with a target's
//! periods (e.g. εL·ω = π on a Gaussian maps x to −x); choose L so that εL is
//! not a multiple of half a period, or vary it between runs, or jitter the
//! step ([`Hmc::with_step_jitter`]): each walker then integrates with
//! ε·(1 + j·(2u − 1)), u uniform from its own stream, drawn after its
//! momentum. The trajectory stays reversible and volume-preserving for each
//! ε, so the chain stays exact. With j = 0 (the default) nothing is drawn
//! and the bits are those of the unjittered kernel.

use crate::energy::{Energy, Soa};
use crate::error::{Error, check_positive};
use crate::kernel::{Kernel, Proposal};

use super::mass::{DiagonalMass, Root, kernel_mass_methods};

/// Smallest diagonal mass: 1/m stays finite (a mass of 1e-45 made every
/// kinetic energy infinite, so every proposal was rejected).
pub const MIN_MASS: f32 = 1e-20;
/// Largest diagonal mass (momenta √m·ξ and m stay far from overflow).
pub const MAX_MASS: f32 = 1e20;

/// Hamiltonian Monte Carlo with identity or diagonal mass matrix, for walkers
/// of dimension up to `D` (the capacity of the mass; use the same `D` as the
/// [`crate::Walkers`] it steps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hmc<const D: usize> {
    eps: f32,
    steps: usize,
    /// The diagonal mass: 1/mᵢ and √mᵢ.
    pub(super) mass: DiagonalMass<D>,
    /// Step jitter fraction j ∈ [0, 1); 0 draws nothing.
    pub(super) jitter: f32,
}

/// Checks a step jitter fraction: finite, in [0, 1).
pub(super) fn check_jitter(j: f32) -> Result<(), Error> {
    if j.is_finite() && (0.0..1.0).contains(&j) {
        Ok(())
    } else {
        Err(Error::InvalidConfig("step jitter must be in [0, 1)"))
    }
}

impl<const D: usize> Hmc<D> {
    /// Leapfrog step size ε (finite, > 0), `leapfrog_steps` L ≥ 1 steps per
    /// proposal, identity mass.
    pub fn new(step_size: f32, leapfrog_steps: usize) -> Result<Self, Error> {
        check_positive(step_size, "HMC step size must be > 0")?;
        if leapfrog_steps == 0 {
            return Err(Error::InvalidConfig("HMC needs at least one leapfrog step"));
        }
        Ok(Hmc {
            eps: step_size,
            steps: leapfrog_steps,
            mass: DiagonalMass::IDENTITY,
            jitter: 0.0,
        })
    }

    /// The same kernel with step jitter `fraction` j ∈ [0, 1): every step,
    /// each walker's ε is ε·(1 + j·(2u − 1)) with u uniform from the
    /// walker's own stream (j = 0, the default: no jitter, nothing drawn).
    pub fn with_step_jitter(mut self, fraction: f32) -> Result<Self, Error> {
        check_jitter(fraction)?;
        self.jitter = fraction;
        Ok(self)
    }

    /// The step jitter fraction (0: none).
    pub fn step_jitter(&self) -> f32 {
        self.jitter
    }

    /// ε for one walker's step: jittered from its stream when j > 0.
    #[inline]
    pub(super) fn walker_step(&self, rng: &mut crate::rng::Stream) -> f32 {
        if self.jitter > 0.0 {
            self.eps * (1.0 + self.jitter * (2.0 * rng.uniform() - 1.0))
        } else {
            self.eps
        }
    }

    /// The same kernel with a diagonal mass matrix M = diag(`mass`), each
    /// value in [[`MIN_MASS`], [`MAX_MASS`]], one per coordinate (walkers must have
    /// dimension `mass.len()`). For a target with covariance Σ,
    /// M ≈ diag(Σ)⁻¹ makes every coordinate move on the same time scale.
    pub fn with_diagonal_mass(mut self, mass: &[f32]) -> Result<Self, Error> {
        self.mass
            .set(mass, Root::OfMass, "HMC masses must be in [1e-20, 1e20]")?;
        Ok(self)
    }

    /// The same kernel with the identity mass matrix.
    pub fn with_identity_mass(mut self) -> Self {
        self.mass = DiagonalMass::IDENTITY;
        self
    }

    /// Copies the diagonal mass into `out` and returns its length; `None`
    /// for the identity.
    pub fn diagonal_mass(&self, out: &mut [f32]) -> Option<usize> {
        self.mass.get(out)
    }

    /// Leapfrog steps per proposal.
    pub fn leapfrog_steps(&self) -> usize {
        self.steps
    }

    /// Sets the number of leapfrog steps (≥ 1).
    pub fn set_leapfrog_steps(&mut self, steps: usize) -> Result<(), Error> {
        if steps == 0 {
            return Err(Error::InvalidConfig("HMC needs at least one leapfrog step"));
        }
        self.steps = steps;
        Ok(())
    }
}

impl<const DM: usize> Kernel for Hmc<DM> {
    /// The leapfrog step size ε.
    fn step_size(&self) -> f32 {
        self.eps
    }

    fn set_step_size(&mut self, h: f32) -> Result<(), Error> {
        check_positive(h, "HMC step size must be > 0")?;
        self.eps = h;
        Ok(())
    }

    kernel_mass_methods!(Hmc);

    fn set_leapfrog_steps(&mut self, steps: usize) -> Result<(), Error> {
        Hmc::set_leapfrog_steps(self, steps)
    }

    fn check_dim(&self, dim: usize) -> Result<(), Error> {
        self.mass.check_dim(dim)
    }

    fn propose<E: Energy, const N: usize, const D: usize>(&self, p: Proposal<'_, E, N, D>) {
        let (energy, c, s) = (p.energy, p.chains, p.scratch);
        let beta = p.beta;
        let (n, d) = (c.n, c.d);
        if d > DM {
            // Unreachable through `Kernel::step` (checked by `check_dim`);
            // a direct caller gets rejections rather than a panic.
            s.ev.u[..n].fill(f32::NAN);
            return;
        }
        let mut p: Soa<N, D> = [[0.0; N]; D];
        let mut xi = [0f32; D];
        let mut eps = [self.eps; N];
        for w in 0..n {
            s.rng[w].fill_normal(&mut xi[..d]);
            let mut k0 = 0f32;
            for i in 0..d {
                let pi = self.mass.root[i] * xi[i];
                p[i][w] = pi;
                k0 += pi * pi * self.mass.inv[i];
            }
            s.log_q[w] = 0.5 * k0;
            eps[w] = self.walker_step(&mut s.rng[w]);
        }
        for i in 0..d {
            s.y[i][..n].copy_from_slice(&c.x[i][..n]);
            s.ev.grad[i][..n].copy_from_slice(&c.g[i][..n]);
        }

        let mut half_kick = [0f32; N];
        for w in 0..n {
            half_kick[w] = 0.5 * eps[w] * beta;
        }
        let mut dead = [false; N];
        for _ in 0..self.steps {
            for i in 0..d {
                for w in 0..n {
                    if !dead[w] {
                        let drift = eps[w] * self.mass.inv[i];
                        p[i][w] -= half_kick[w] * s.ev.grad[i][w];
                        s.y[i][w] += drift * p[i][w];
                    }
                }
            }
            energy.eval_batch(&s.y, n, true, &mut s.ev);
            for w in 0..n {
                dead[w] |= !s.ev.is_valid(w, d, true);
            }
            for i in 0..d {
                for w in 0..n {
                    if !dead[w] {
                        p[i][w] -= half_kick[w] * s.ev.grad[i][w];
                    }
                }
            }
        }

        for w in 0..n {
            if dead[w] {
                s.ev.u[w] = f32::NAN;
                continue;
            }
            let mut k1 = 0f32;
            for i in 0..d {
                k1 += p[i][w] * p[i][w] * self.mass.inv[i];
            }
            s.log_q[w] -= 0.5 * k1;
        }
    }
}

/// Checkpoint records (see [`crate::checkpoint`]): the stored inverse and
/// square-root masses themselves, not the masses, so that a restored kernel
/// has the very same bits.
impl<const DM: usize> Hmc<DM> {
    pub(crate) fn fill_record<const D: usize>(
        &self,
        rec: &mut crate::checkpoint::KernelRecord<D>,
    ) -> Result<(), Error> {
        self.mass.fill_record(rec)?;
        rec.step_size = self.eps;
        rec.leapfrog_steps = self.steps as u32;
        rec.step_jitter = self.jitter;
        Ok(())
    }

    pub(crate) fn from_record<const D: usize>(
        rec: &crate::checkpoint::KernelRecord<D>,
    ) -> Result<Self, Error> {
        let steps = usize::try_from(rec.leapfrog_steps).unwrap_or(usize::MAX);
        let mut k = Hmc::new(rec.step_size, steps)?.with_step_jitter(rec.step_jitter)?;
        k.mass = DiagonalMass::from_record(rec)?;
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gaussian, Walkers};

    /// On U = x²/2 (β = 1, unit mass) leapfrog is a linear map with a known
    /// matrix; one step from (x, p) must land on it and report ΔK exactly.
    #[test]
    fn one_leapfrog_step_matches_the_closed_form() {
        let e = Gaussian::<1>::standard(1).unwrap();
        let eps = 0.3f32;
        let hmc = Hmc::<1>::new(eps, 1).unwrap();
        let mut w = Walkers::<1, 1>::from_positions(&e, 1, 4, &[0.7]).unwrap();
        w.refresh(&e, true).unwrap();
        let Walkers { c, s } = &mut w;
        s.rng[0] = c.rng[0].clone();
        let p0 = {
            let mut r = c.rng[0].clone();
            let mut xi = [0f32; 1];
            r.fill_normal(&mut xi);
            xi[0]
        };
        hmc.propose(Proposal {
            energy: &e,
            beta: 1.0,
            chains: c,
            scratch: s,
        });
        let (x0, p0) = (0.7f64, p0 as f64);
        let e = eps as f64;
        let ph = p0 - 0.5 * e * x0;
        let x1 = x0 + e * ph;
        let p1 = ph - 0.5 * e * x1;
        assert!((s.y[0][0] as f64 - x1).abs() < 1e-6);
        let dk = 0.5 * p0 * p0 - 0.5 * p1 * p1;
        assert!(
            (s.log_q[0] as f64 - dk).abs() < 1e-5,
            "{} vs {dk}",
            s.log_q[0]
        );
    }

    #[test]
    fn configuration_errors() {
        assert!(Hmc::<2>::new(0.0, 3).is_err());
        assert!(Hmc::<2>::new(f32::NAN, 3).is_err());
        assert!(Hmc::<2>::new(0.1, 0).is_err());
        let h = Hmc::<2>::new(0.1, 3).unwrap();
        assert!(h.with_diagonal_mass(&[1.0, 0.0]).is_err());
        assert!(h.with_diagonal_mass(&[1.0, f32::INFINITY]).is_err());
        assert_eq!(
            h.with_diagonal_mass(&[1.0; 3]).unwrap_err(),
            Error::CapacityExceeded {
                requested: 3,
                capacity: 2
            }
        );
        let m = h.with_diagonal_mass(&[4.0]).unwrap();
        assert_eq!(
            m.check_dim(2),
            Err(Error::DimensionMismatch {
                expected: 1,
                found: 2
            })
        );
        assert!(m.check_dim(1).is_ok());
        let mut out = [0f32; 2];
        assert_eq!(m.diagonal_mass(&mut out), Some(1));
        assert_eq!(out[0], 4.0);
        assert_eq!(m.with_identity_mass().diagonal_mass(&mut out), None);
        assert!(h.check_dim(3).is_err());
    }
}
