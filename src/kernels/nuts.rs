//! The No-U-Turn Sampler (Hoffman & Gelman 2014) as Stan runs it: a
//! trajectory of leapfrog steps doubled forward or backward in time at
//! random until it makes a U-turn, and the next state drawn from the whole
//! trajectory — multinomially within each new subtree and by *biased
//! progressive sampling* between the old tree and the new subtree
//! (Betancourt 2017, "A Conceptual Introduction to Hamiltonian Monte
//! Carlo", App. A). The U-turn test is the generalised criterion on
//! ρ = Σ p over a (sub)trajectory: it continues while p♯₋·ρ > 0 and
//! p♯₊·ρ > 0, with p♯ = M⁻¹p at the two ends, plus the two extra checks
//! across every merge boundary that Stan added in 2.26 (ρ of the left half
//! and the first point of the right half, and symmetrically).
//!
//! The Hamiltonian is [`crate::Hmc`]'s: H(x, p) = βU(x) + ½pᵀM⁻¹p with
//! identity or diagonal mass, the temperature scaling the force, and the
//! same leapfrog (half kick, drift, half kick). Optional step jitter as for
//! HMC.
//!
//! **Iterative, fixed memory.** The recursion of the paper is unrolled: the
//! leaves of a subtree of depth j are built in order, and after leaf n the
//! subtrees that leaf completes (one per trailing one bit of n) are merged
//! and checked. Each level keeps one checkpoint — the momentum at its first
//! leaf, the momentum at the last leaf of its left half and the ρ of its
//! left half — so a step needs O([`MAX_TREE_DEPTH`]·d) floats on the stack
//! (about 52·D floats in all), fixed at compile time, whatever the
//! trajectory's length (the idea of Phan & Pradhan's iterative NUTS in
//! NumPyro, written anew). Nothing is added to [`crate::Walkers`].
//!
//! **Divergences.** A leapfrog step whose energy error H − H₀ exceeds
//! [`MAX_ENERGY_ERROR`] (Stan's 1000), or where U or ∇U is non-finite or
//! declined, is a divergence: the subtree under construction is discarded
//! (the next state is drawn from the trajectory built before it) and the
//! walker's [`crate::StepInfo::divergent`] is set. A divergence is never an
//! error.
//!
//! **What the step reports.** The proposal is already the next state
//! ([`Kernel::proposal_is_next_state`]): there is no Metropolis test.
//! [`crate::StepInfo`] carries the tree depth, the divergence flag, the
//! number of leapfrog steps and, as `accept_prob`, Stan's acceptance
//! statistic — the mean of min{1, exp(H₀ − H)} over the trajectory's new
//! points — which step-size adaptation targets ([`Nuts::TARGET`] = 0.8, as
//! Stan). [`crate::Diagnostics`] counts divergences per walker and keeps a
//! tree-depth histogram.
//!
//! **Per walker.** Trees differ between walkers, so each walker's
//! trajectory is integrated alone, one [`Energy::value_grad`] per leapfrog
//! step (batching walkers in lock-step through [`Energy::eval_batch`] is a
//! possible later optimisation). Every random draw — momentum, jitter,
//! directions, the multinomial and progressive choices — comes from the
//! walker's own stream, so runs are bit-identical on every target and
//! independent of how walkers are batched.

use crate::energy::Energy;
use crate::error::{Error, check_positive};
use crate::kernel::{Kernel, Proposal};
use crate::math;
use crate::rng::Stream;
use crate::walkers::TreeStats;

use super::hmc::Hmc;
use super::mass::kernel_mass_methods;

/// Largest tree depth a [`Nuts`] kernel accepts: a trajectory has at most
/// 2^12 − 1 = 4095 leapfrog steps. Fixes the size of the per-level
/// checkpoints on the stack.
pub const MAX_TREE_DEPTH: usize = 12;

/// Tree depth of [`Nuts::new`] (Stan's default).
pub const DEFAULT_TREE_DEPTH: usize = 10;

/// Energy error H − H₀ above which a leapfrog step is a divergence (Stan's
/// `max_deltaH`).
pub const MAX_ENERGY_ERROR: f32 = 1000.0;

/// The No-U-Turn Sampler with identity or diagonal mass matrix, for walkers
/// of dimension up to `D` (the capacity of the mass; use the same `D` as the
/// [`crate::Walkers`] it steps). See the [module documentation](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nuts<const D: usize> {
    /// Step size, mass and jitter (its leapfrog-step count is unused).
    hmc: Hmc<D>,
    max_depth: u32,
}

impl<const D: usize> Nuts<D> {
    /// Acceptance statistic step-size adaptation aims at (Stan's default).
    pub const TARGET: f32 = 0.8;

    /// Leapfrog step size ε (finite, > 0), maximum tree depth
    /// [`DEFAULT_TREE_DEPTH`], identity mass, no jitter.
    pub fn new(step_size: f32) -> Result<Self, Error> {
        check_positive(step_size, "NUTS step size must be > 0")?;
        Ok(Nuts {
            hmc: Hmc::new(step_size, 1)?,
            max_depth: DEFAULT_TREE_DEPTH as u32,
        })
    }

    /// The same kernel with maximum tree depth `depth` in
    /// `1..=`[`MAX_TREE_DEPTH`] (at most 2^depth − 1 leapfrog steps per
    /// step).
    pub fn with_max_tree_depth(mut self, depth: usize) -> Result<Self, Error> {
        if depth == 0 || depth > MAX_TREE_DEPTH {
            return Err(Error::InvalidConfig("NUTS tree depth must be in 1..=12"));
        }
        self.max_depth = depth as u32;
        Ok(self)
    }

    /// The maximum tree depth.
    pub fn max_tree_depth(&self) -> usize {
        self.max_depth as usize
    }

    /// The same kernel with a diagonal mass matrix, as
    /// [`Hmc::with_diagonal_mass`].
    pub fn with_diagonal_mass(mut self, mass: &[f32]) -> Result<Self, Error> {
        self.hmc = self.hmc.with_diagonal_mass(mass)?;
        Ok(self)
    }

    /// The same kernel with the identity mass matrix.
    pub fn with_identity_mass(mut self) -> Self {
        self.hmc = self.hmc.with_identity_mass();
        self
    }

    /// Copies the diagonal mass into `out` and returns its length; `None`
    /// for the identity.
    pub fn diagonal_mass(&self, out: &mut [f32]) -> Option<usize> {
        self.hmc.diagonal_mass(out)
    }

    /// The same kernel with step jitter, as [`Hmc::with_step_jitter`]: each
    /// walker's ε is drawn once per step, after its momentum.
    pub fn with_step_jitter(mut self, fraction: f32) -> Result<Self, Error> {
        self.hmc = self.hmc.with_step_jitter(fraction)?;
        Ok(self)
    }

    /// The step jitter fraction (0: none).
    pub fn step_jitter(&self) -> f32 {
        self.hmc.step_jitter()
    }
}

impl<const DM: usize> Kernel for Nuts<DM> {
    /// The leapfrog step size ε.
    fn step_size(&self) -> f32 {
        self.hmc.step_size()
    }

    fn set_step_size(&mut self, h: f32) -> Result<(), Error> {
        check_positive(h, "NUTS step size must be > 0")?;
        self.hmc.set_step_size(h)
    }

    fn check_dim(&self, dim: usize) -> Result<(), Error> {
        self.hmc.check_dim(dim)
    }

    kernel_mass_methods!(Nuts);

    fn proposal_is_next_state(&self) -> bool {
        true
    }

    fn propose<E: Energy, const N: usize, const D: usize>(&self, p: Proposal<'_, E, N, D>) {
        let (energy, c, s) = (p.energy, p.chains, p.scratch);
        let (n, d) = (c.n, c.d);
        if d > DM || d > D {
            // Unreachable through `Kernel::step` (checked by `check_dim`);
            // a direct caller gets rejections rather than a panic.
            s.ev.u[..n].fill(f32::NAN);
            return;
        }
        let mut t = Trajectory::<DM>::new();
        for w in 0..n {
            for i in 0..d {
                t.start.x[i] = c.x[i][w];
                t.start.g[i] = c.g[i][w];
            }
            let stats = t.transition(self, energy, p.beta, d, c.u[w], &mut s.rng[w]);
            for i in 0..d {
                s.y[i][w] = t.sample.x[i];
                s.ev.grad[i][w] = t.sample.g[i];
            }
            s.ev.u[w] = t.sample.u;
            s.ev.code[w] = 0;
            s.log_q[w] = 0.0;
            s.tree[w] = stats;
        }
    }
}

/// A point of phase space with its gradient.
#[derive(Clone, Copy)]
struct Phase<const D: usize> {
    x: [f32; D],
    p: [f32; D],
    g: [f32; D],
}

/// A position with its energy and gradient (a candidate next state).
#[derive(Clone, Copy)]
struct State<const D: usize> {
    x: [f32; D],
    u: f32,
    g: [f32; D],
}

/// The generalised no-U-turn criterion: the trajectory with summed momentum
/// `rho` and end momenta `p_minus`, `p_plus` may continue iff
/// p♯₋·ρ > 0 and p♯₊·ρ > 0, with p♯ = M⁻¹p.
#[inline]
pub(crate) fn no_u_turn(p_minus: &[f32], p_plus: &[f32], rho: &[f32], inv_mass: &[f32]) -> bool {
    let (mut a, mut b) = (0f32, 0f32);
    for i in 0..rho.len() {
        a += inv_mass[i] * p_minus[i] * rho[i];
        b += inv_mass[i] * p_plus[i] * rho[i];
    }
    a > 0.0 && b > 0.0
}

/// Whether two adjacent trajectories may merge and continue: with a the
/// first and m the last momentum of the left one (summed momentum
/// `rho_left`), m1 the first and b the last of the right one (`rho_right`),
/// the criterion on the whole (a, b, ρ_left + ρ_right) and Stan's two
/// checks across the boundary: (a, m1, ρ_left + p_m1) and
/// (m, b, p_m + ρ_right). `r` is scratch of the same length.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn merge_ok(
    p_a: &[f32],
    p_m: &[f32],
    p_m1: &[f32],
    p_b: &[f32],
    rho_left: &[f32],
    rho_right: &[f32],
    inv_mass: &[f32],
    r: &mut [f32],
) -> bool {
    for i in 0..r.len() {
        r[i] = rho_left[i] + rho_right[i];
    }
    let mut ok = no_u_turn(p_a, p_b, r, inv_mass);
    for i in 0..r.len() {
        r[i] = rho_left[i] + p_m1[i];
    }
    ok &= no_u_turn(p_a, p_m1, r, inv_mass);
    for i in 0..r.len() {
        r[i] = p_m[i] + rho_right[i];
    }
    ok & no_u_turn(p_m, p_b, r, inv_mass)
}

/// log(eᵃ + eᵇ).
#[inline]
fn log_add(a: f32, b: f32) -> f32 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + math::ln_1p(math::exp(lo - hi))
}

/// The working memory of one walker's transition (reused across walkers).
struct Trajectory<const D: usize> {
    /// The walker's position, gradient (in) and momentum (drawn).
    start: Phase<D>,
    /// The trajectory's left and right ends.
    left: Phase<D>,
    right: Phase<D>,
    /// The point being integrated (an end, moved outward) and its U.
    cur: Phase<D>,
    cur_u: f32,
    /// The next state drawn from the tree so far.
    sample: State<D>,
    /// The multinomial draw from the subtree under construction.
    cand: State<D>,
    /// Momentum at the new subtree's first leaf.
    first: [f32; D],
    /// ρ of the new subtree (the completed part of its open levels folds
    /// into `acc`).
    rho: [f32; D],
    /// Per level l (1..depth): momentum at the open level-l subtree's first
    /// leaf, at the last leaf of its left half, and ρ of its left half.
    lv_first: [[f32; D]; MAX_TREE_DEPTH],
    lv_last_left: [[f32; D]; MAX_TREE_DEPTH],
    lv_rho_left: [[f32; D]; MAX_TREE_DEPTH],
    /// Statistics of the current transition.
    n_leapfrog: u32,
    sum_prob: f32,
    divergent: bool,
}

impl<const D: usize> Trajectory<D> {
    fn new() -> Self {
        let z = Phase {
            x: [0.0; D],
            p: [0.0; D],
            g: [0.0; D],
        };
        let st = State {
            x: [0.0; D],
            u: 0.0,
            g: [0.0; D],
        };
        Trajectory {
            start: z,
            left: z,
            right: z,
            cur: z,
            cur_u: 0.0,
            sample: st,
            cand: st,
            first: [0.0; D],
            rho: [0.0; D],
            lv_first: [[0.0; D]; MAX_TREE_DEPTH],
            lv_last_left: [[0.0; D]; MAX_TREE_DEPTH],
            lv_rho_left: [[0.0; D]; MAX_TREE_DEPTH],
            n_leapfrog: 0,
            sum_prob: 0.0,
            divergent: false,
        }
    }

    /// The current point becomes the subtree's draw.
    #[inline]
    fn take_cand(&mut self) {
        self.cand.x = self.cur.x;
        self.cand.g = self.cur.g;
        self.cand.u = self.cur_u;
    }

    /// One NUTS transition from `start` (x, g; U = `u0`), leaving the next
    /// state in `sample`.
    fn transition<E: Energy>(
        &mut self,
        k: &Nuts<D>,
        energy: &E,
        beta: f32,
        d: usize,
        u0: f32,
        rng: &mut Stream,
    ) -> TreeStats {
        let hmc = &k.hmc;
        let inv_mass = &hmc.mass.inv[..d];
        // Momentum p ~ N(0, M), then the (jittered) step, as HMC.
        rng.fill_normal(&mut self.start.p[..d]);
        let mut k0 = 0f32;
        for i in 0..d {
            self.start.p[i] *= hmc.mass.root[i];
            k0 += self.start.p[i] * self.start.p[i] * inv_mass[i];
        }
        let eps = hmc.walker_step(rng);
        let h0 = beta * u0 + 0.5 * k0;

        self.left = self.start;
        self.right = self.start;
        self.sample.x[..d].copy_from_slice(&self.start.x[..d]);
        self.sample.g[..d].copy_from_slice(&self.start.g[..d]);
        self.sample.u = u0;
        let mut rho_tree = [0f32; D];
        rho_tree[..d].copy_from_slice(&self.start.p[..d]);
        // log of the tree's summed weights exp(H₀ − H), relative to H₀.
        let mut log_w_tree = 0f32;
        self.n_leapfrog = 0;
        self.sum_prob = 0.0;
        self.divergent = false;

        let mut depth = 0usize;
        let mut p_near = [0f32; D];
        while depth < k.max_depth as usize {
            let forward = rng.uniform() >= 0.5;
            self.cur = if forward { self.right } else { self.left };
            p_near[..d].copy_from_slice(&self.cur.p[..d]);
            let step = if forward { eps } else { -eps };
            let built = self.build(energy, beta, d, depth, step, h0, inv_mass, rng);
            if forward {
                self.right = self.cur;
            } else {
                self.left = self.cur;
            }
            let Some(log_w_sub) = built else { break };
            depth += 1;

            // Biased progressive sampling between the old tree and the new
            // subtree: move to the subtree's draw with prob min{1, W_new/W_old}.
            if log_w_sub > log_w_tree || rng.uniform() < math::exp(log_w_sub - log_w_tree) {
                self.sample = self.cand;
            }
            log_w_tree = log_add(log_w_tree, log_w_sub);

            // U-turn across the whole tree and across the boundary (the
            // checks are symmetric under reversal, so a backward subtree
            // needs no reordering).
            let far = if forward { &self.left.p } else { &self.right.p };
            let mut r = [0f32; D];
            let ok = merge_ok(
                &far[..d],
                &p_near[..d],
                &self.first[..d],
                &self.cur.p[..d],
                &rho_tree[..d],
                &self.rho[..d],
                inv_mass,
                &mut r[..d],
            );
            for i in 0..d {
                rho_tree[i] += self.rho[i];
            }
            if !ok {
                break;
            }
        }
        let n = self.n_leapfrog.max(1);
        TreeStats {
            accept_stat: self.sum_prob / n as f32,
            n_leapfrog: self.n_leapfrog as u16,
            depth: depth as u8,
            divergent: self.divergent,
        }
    }

    /// Builds a subtree of 2^`depth` leapfrog steps of size `step` (signed)
    /// from `cur`, leaving its last point in `cur`, its first leaf's
    /// momentum in `first`, its ρ in `rho` and its multinomial draw in
    /// `cand`. Returns the log of its summed weights, or `None` when it
    /// diverged or made a U-turn inside (the subtree is then discarded).
    #[allow(clippy::too_many_arguments)]
    fn build<E: Energy>(
        &mut self,
        energy: &E,
        beta: f32,
        d: usize,
        depth: usize,
        step: f32,
        h0: f32,
        inv_mass: &[f32],
        rng: &mut Stream,
    ) -> Option<f32> {
        let half_kick = 0.5 * step * beta;
        let mut log_w = f32::NEG_INFINITY;
        let mut sum = [0f32; D];
        let mut r = [0f32; D];
        for leaf in 0usize..1 << depth {
            // One leapfrog step.
            let z = &mut self.cur;
            for i in 0..d {
                z.p[i] -= half_kick * z.g[i];
                z.x[i] += step * inv_mass[i] * z.p[i];
            }
            let res = energy.value_grad(&z.x[..d], &mut z.g[..d]);
            self.n_leapfrog += 1;
            let h = match res {
                Ok(u)
                    if u.is_finite()
                        && z.x[..d].iter().all(|v| v.is_finite())
                        && z.g[..d].iter().all(|v| v.is_finite()) =>
                {
                    let mut kin = 0f32;
                    for i in 0..d {
                        z.p[i] -= half_kick * z.g[i];
                        kin += z.p[i] * z.p[i] * inv_mass[i];
                    }
                    self.cur_u = u;
                    beta * u + 0.5 * kin
                }
                _ => f32::INFINITY,
            };
            let dh = h - h0;
            self.sum_prob += if dh <= 0.0 { 1.0 } else { math::exp(-dh) };
            // NaN-safe: a NaN energy error is a divergence too.
            if dh.is_nan() || dh > MAX_ENERGY_ERROR {
                self.divergent = true;
                return None;
            }
            let lw = -dh;
            // Multinomial draw within the subtree, progressively: the new
            // leaf replaces the draw with prob w_leaf / W_subtree.
            if leaf == 0 {
                log_w = lw;
                self.take_cand();
            } else {
                log_w = log_add(log_w, lw);
                if rng.uniform() < math::exp(lw - log_w) {
                    self.take_cand();
                }
            }
            let p = self.cur.p;
            if leaf == 0 {
                self.first[..d].copy_from_slice(&p[..d]);
            }
            // Levels starting at this leaf: their first leaf is this one.
            let starts = if leaf == 0 {
                depth
            } else {
                (leaf.trailing_zeros() as usize).min(depth)
            };
            for l in 1..=starts {
                self.lv_first[l - 1][..d].copy_from_slice(&p[..d]);
            }
            // Levels this leaf completes: merge the halves and check the
            // U-turn criterion across each (Stan's three checks). `sum` is
            // the ρ of the subtree just completed (this leaf at level 0).
            sum[..d].copy_from_slice(&p[..d]);
            let ends = ((leaf + 1).trailing_zeros() as usize).min(depth);
            for kl in 1..=ends {
                let p_m1: &[f32] = if kl == 1 {
                    &p[..d]
                } else {
                    &self.lv_first[kl - 2][..d]
                };
                let ok = merge_ok(
                    &self.lv_first[kl - 1][..d],
                    &self.lv_last_left[kl - 1][..d],
                    p_m1,
                    &p[..d],
                    &self.lv_rho_left[kl - 1][..d],
                    &sum[..d],
                    inv_mass,
                    &mut r[..d],
                );
                if !ok {
                    return None;
                }
                for i in 0..d {
                    sum[i] += self.lv_rho_left[kl - 1][i];
                }
            }
            // The subtree completed here is the left half of the next level.
            if ends < depth {
                self.lv_rho_left[ends][..d].copy_from_slice(&sum[..d]);
                self.lv_last_left[ends][..d].copy_from_slice(&p[..d]);
            }
        }
        self.rho[..d].copy_from_slice(&sum[..d]);
        Some(log_w)
    }
}

/// Checkpoint records (see [`crate::checkpoint`]).
impl<const DM: usize> Nuts<DM> {
    pub(crate) fn fill_record<const D: usize>(
        &self,
        rec: &mut crate::checkpoint::KernelRecord<D>,
    ) -> Result<(), Error> {
        self.hmc.fill_record(rec)?;
        rec.max_tree_depth = self.max_depth;
        Ok(())
    }

    pub(crate) fn from_record<const D: usize>(
        rec: &crate::checkpoint::KernelRecord<D>,
    ) -> Result<Self, Error> {
        let depth = usize::try_from(rec.max_tree_depth).unwrap_or(usize::MAX);
        let k = Nuts::<DM>::new(rec.step_size)?.with_max_tree_depth(depth)?;
        Ok(Nuts {
            hmc: Hmc::from_record(rec)?,
            max_depth: k.max_depth,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_u_turn_criterion() {
        let one = [1.0f32, 1.0];
        assert!(no_u_turn(&[1.0, 0.0], &[0.5, 0.5], &[1.5, 0.5], &one));
        // The far end moves against ρ: a U-turn.
        assert!(!no_u_turn(&[1.0, 0.0], &[-1.0, 0.1], &[0.5, 0.5], &one));
        // Zero is a U-turn (strict inequality, as Stan).
        assert!(!no_u_turn(&[1.0, 0.0], &[0.0, 1.0], &[0.0, 1.0], &one));
        // p♯ = M⁻¹p: the mass changes the verdict.
        assert!(!no_u_turn(&[1.0, -1.0], &[1.0, 1.0], &[1.0, 1.5], &one));
        assert!(no_u_turn(
            &[1.0, -1.0],
            &[1.0, 1.0],
            &[1.0, 1.5],
            &[2.0, 1.0]
        ));
    }

    /// Four momenta p0..p3 whose halves (p0, p1) and (p2, p3) and whole pass
    /// the plain criterion, but whose boundary check (p0, p2 over
    /// p0 + p1 + p2) fails: the case Stan 2.26's extra checks catch.
    #[test]
    fn the_boundary_checks_catch_what_the_ends_miss() {
        let one = [1.0f32, 1.0];
        let p = [[1.0f32, 0.0], [1.0, 0.0], [-2.0, 1.0], [0.5, 1.0]];
        let add = |a: [f32; 2], b: [f32; 2]| [a[0] + b[0], a[1] + b[1]];
        let (left, right) = (add(p[0], p[1]), add(p[2], p[3]));
        assert!(no_u_turn(&p[0], &p[1], &left, &one));
        assert!(no_u_turn(&p[2], &p[3], &right, &one));
        assert!(no_u_turn(&p[0], &p[3], &add(left, right), &one));
        let mut r = [0f32; 2];
        assert!(!merge_ok(
            &p[0], &p[1], &p[2], &p[3], &left, &right, &one, &mut r
        ));
        // Mirrored (a backward subtree): the same verdict.
        let q = [p[3], p[2], p[1], p[0]];
        assert!(!merge_ok(
            &q[0], &q[1], &q[2], &q[3], &right, &left, &one, &mut r
        ));
        // Without the rotation in p2 all checks pass.
        let ok = [[1.0f32, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]];
        let (l, rr) = (add(ok[0], ok[1]), add(ok[2], ok[3]));
        assert!(merge_ok(
            &ok[0], &ok[1], &ok[2], &ok[3], &l, &rr, &one, &mut r
        ));
    }
}
