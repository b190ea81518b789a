//! Replica exchange (parallel tempering; Swendsen & Wang 1986, Geyer 1991):
//! copies of the ensemble at inverse temperatures 1 = β₀ > β₁ > … > β_{r−1}
//! each run their own kernel, and neighbouring temperatures swap
//! configurations so that what the hot replicas find (they cross barriers
//! that the β = 1 replica cannot) flows down to β = 1.
//!
//! The joint target is Πₖ exp(−βₖU(xₖ)); exchanging the configurations of
//! temperatures k and k+1 multiplies it by exp((βₖ − βₖ₊₁)(U(xₖ) − U(xₖ₊₁))),
//! so the swap is taken with probability
//! min{1, exp((βₖ − βₖ₊₁)(Uₖ − Uₖ₊₁))} and every temperature keeps its
//! target exactly. Samples are read from the β = 1 replica.
//!
//! Design choices:
//! * Walker `w` of replica k only ever swaps with walker `w` of replica k±1:
//!   the ensemble is N independent temperature ladders, stepped together.
//! * Pairing is deterministic even/odd alternation: sweep t proposes the pairs
//!   (k, k+1) with k ≡ t (mod 2). Every pair in a sweep is disjoint, and the
//!   non-reversible alternation moves configurations along the ladder faster
//!   than random pairing (Okabe et al. 2001; Syed et al. 2021).
//! * A swap moves the configuration — position, cached U and ∇U — never the
//!   random stream: streams belong to slots (replica, walker), so each
//!   replica's random sequence does not depend on the swap history. Swap
//!   decisions draw from a stream of their own, derived from the seed.
//! * One step is a kernel step of every replica, then one swap sweep. All
//!   replicas are decided before any is committed, so a failing step (e.g. a
//!   ULA proposal going non-finite at a hot temperature) changes nothing
//!   (stale caches may have been refreshed).
//!
//! Memory: R copies of [`Walkers<N, D>`] plus R kernels; capacities are const
//! generics, the number of replicas in use (the ladder's length) is chosen at
//! run time. A step keeps R decisions (N flags and probabilities each) on the
//! stack; [`ReplicaExchange::new`] builds the replicas on the stack too, so
//! large ensembles want a thread (or target) with stack to match, or the
//! in-place [`ReplicaExchange::reinit`], which needs no replica-sized
//! temporary.

use crate::adapt::DualAveraging;
use crate::energy::Energy;
use crate::error::{Error, check_dim, check_positive, check_size};
use crate::kernel::{Kernel, StepSummary, decide, metropolis};
use crate::math;
use crate::rng::Stream;
use crate::sampler::{NegativePhase, summed_steps};
use crate::walkers::{Chains, Decision, Walkers, commit};

/// Index of the swap decisions' stream in the seed's family (replica slots
/// use `(replica << 32) | walker`, which never reaches it).
const SWAP_STREAM: u64 = u64::MAX;

/// Swap statistics of one pair of neighbouring temperatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SwapStats {
    /// Swaps proposed.
    pub attempted: u64,
    /// Swaps taken.
    pub accepted: u64,
}

impl SwapStats {
    /// Fraction of proposed swaps taken (NaN before any was proposed).
    pub fn rate(&self) -> f32 {
        if self.attempted == 0 {
            f32::NAN
        } else {
            (self.accepted as f64 / self.attempted as f64) as f32
        }
    }
}

/// Log acceptance of exchanging the configurations of inverse temperatures
/// `beta_a` and `beta_b` whose energies are `u_a` and `u_b`.
#[inline]
pub fn swap_log_ratio(beta_a: f32, beta_b: f32, u_a: f32, u_b: f32) -> f32 {
    (beta_a - beta_b) * (u_a - u_b)
}

/// Fills `out` with a geometric ladder from β = 1 down to `beta_min`:
/// βₖ = beta_min^(k/(r−1)), r = `out.len()`. Neighbouring ratios are equal,
/// which keeps swap rates roughly equal when the heat capacity is flat.
/// On error `out` is unchanged.
pub fn geometric_ladder(beta_min: f32, out: &mut [f32]) -> Result<(), Error> {
    let r = out.len();
    if r == 0 {
        return Err(Error::Empty);
    }
    if r > 1 && !(beta_min.is_finite() && beta_min > 0.0 && beta_min < 1.0) {
        return Err(Error::InvalidConfig(
            "ladder: beta_min must be in (0, 1) for more than one replica",
        ));
    }
    let rung = |k: usize| {
        if k == 0 {
            1.0
        } else if k + 1 == r {
            beta_min
        } else {
            math::exp(math::ln(beta_min) * k as f32 / (r - 1) as f32)
        }
    };
    if (1..r).any(|k| rung(k) >= rung(k - 1)) {
        return Err(Error::InvalidConfig(
            "ladder: beta_min too close to 1 for this many replicas",
        ));
    }
    for (k, b) in out.iter_mut().enumerate() {
        *b = rung(k);
    }
    Ok(())
}

/// Checks a ladder: 1 to `cap` values, finite, > 0, strictly decreasing from 1.
pub(crate) fn check_ladder(betas: &[f32], cap: usize) -> Result<(), Error> {
    check_size(betas.len(), cap)?;
    if betas[0] != 1.0 {
        return Err(Error::InvalidConfig("ladder must start at beta = 1"));
    }
    if !betas.iter().all(|b| b.is_finite() && *b > 0.0) {
        return Err(Error::InvalidConfig("ladder values must be finite and > 0"));
    }
    if betas.windows(2).any(|p| p[1] >= p[0]) {
        return Err(Error::InvalidConfig("ladder must be strictly decreasing"));
    }
    Ok(())
}

/// Walker `w`'s stream in replica `r ≥ 1`.
fn replica_stream(seed: u64, r: usize, w: usize) -> Stream {
    Stream::new(seed, ((r as u64) << 32) | w as u64)
}

/// Exchanges walker `w`'s configuration (position, U, ∇U) between `a` and `b`.
fn exchange_walker<const N: usize, const D: usize>(
    a: &mut Chains<N, D>,
    b: &mut Chains<N, D>,
    w: usize,
) {
    for i in 0..a.d {
        core::mem::swap(&mut a.x[i][w], &mut b.x[i][w]);
        core::mem::swap(&mut a.g[i][w], &mut b.g[i][w]);
    }
    core::mem::swap(&mut a.u[w], &mut b.u[w]);
    a.info[w].energy = a.u[w];
    b.info[w].energy = b.u[w];
}

/// Up to `R` replicas of `n ≤ N` walkers in dimension `d ≤ D` on a ladder of
/// inverse temperatures, each stepped by its own kernel `K`.
///
/// Layout note for code that places replica-exchange samplers in raw memory
/// (the C API): besides the kernels `K`, every field is an integer, a float,
/// a bool, a random stream, or an array or plain struct of these (no
/// references, no enums), so all-zero bytes are a valid — empty, not yet
/// usable — value whenever they are one for `K`. Such storage is made ready
/// in place: an `init_*` of [`ReplicaExchange::base_mut`], then
/// [`ReplicaExchange::reinit`].
#[derive(Clone, Debug)]
pub struct ReplicaExchange<K, const R: usize, const N: usize, const D: usize> {
    pub(crate) replicas: [Walkers<N, D>; R],
    pub(crate) kernels: [K; R],
    pub(crate) betas: [f32; R],
    pub(crate) count: usize,
    /// Dual-averaging state of replica k; meaningful only while `adapting[k]`.
    pub(crate) adapt: [DualAveraging; R],
    pub(crate) adapting: [bool; R],
    pub(crate) swap_rng: Stream,
    pub(crate) sweeps: u64,
    /// `swaps[k]`: pair (k, k+1).
    pub(crate) swaps: [SwapStats; R],
    pub(crate) last: [StepSummary; R],
}

impl<K: Kernel + Clone, const R: usize, const N: usize, const D: usize>
    ReplicaExchange<K, R, N, D>
{
    /// One replica per value of `betas` (strictly decreasing from 1, > 0, at
    /// most `R`), each a copy of `walkers` stepped by a copy of `kernel`.
    ///
    /// Replica 0 (β = 1) keeps the walkers' own streams, so with a single
    /// temperature this is exactly a [`crate::Sampler`]; replica k ≥ 1 gets
    /// fresh streams from `seed`, as do the swap decisions.
    pub fn new(kernel: K, walkers: Walkers<N, D>, betas: &[f32], seed: u64) -> Result<Self, Error> {
        check_ladder(betas, R)?;
        if walkers.is_empty() {
            return Err(Error::Empty);
        }
        let count = betas.len();
        let mut ladder = [0f32; R];
        ladder[..count].copy_from_slice(betas);
        let replicas = core::array::from_fn(|r| {
            if r >= count {
                return Walkers::empty();
            }
            let mut copy = walkers.clone();
            if r > 0 {
                for w in 0..copy.c.n {
                    copy.c.rng[w] = replica_stream(seed, r, w);
                }
            }
            copy
        });
        Ok(ReplicaExchange {
            replicas,
            kernels: core::array::from_fn(|_| kernel.clone()),
            betas: ladder,
            count,
            adapt: [DualAveraging::idle(); R],
            adapting: [false; R],
            swap_rng: Stream::new(seed, SWAP_STREAM),
            sweeps: 0,
            swaps: [SwapStats::default(); R],
            last: [StepSummary::default(); R],
        })
    }

    /// As [`ReplicaExchange::new`] with the geometric ladder of `replicas`
    /// temperatures from 1 down to `beta_min` (see [`geometric_ladder`]).
    pub fn geometric(
        kernel: K,
        walkers: Walkers<N, D>,
        replicas: usize,
        beta_min: f32,
        seed: u64,
    ) -> Result<Self, Error> {
        check_size(replicas, R)?;
        let mut ladder = [0f32; R];
        geometric_ladder(beta_min, &mut ladder[..replicas])?;
        Self::new(kernel, walkers, &ladder[..replicas], seed)
    }

    /// Makes this sampler equal to `ReplicaExchange::new(kernel, walkers,
    /// betas, seed)` in place, where `walkers` is its current β = 1
    /// ensemble ([`ReplicaExchange::base_mut`]): no replica-sized temporary,
    /// for objects kept in static or caller-provided memory on small
    /// stacks. Adaptation, swap statistics, step summaries and sweeps start
    /// afresh. Checked as [`ReplicaExchange::new`] checks; on error nothing
    /// changes.
    pub fn reinit(&mut self, kernel: K, betas: &[f32], seed: u64) -> Result<(), Error> {
        check_ladder(betas, R)?;
        if self.replicas[0].is_empty() {
            return Err(Error::Empty);
        }
        let count = betas.len();
        let (base, rest) = self.replicas.split_at_mut(1);
        let base = &base[0];
        for (i, copy) in rest.iter_mut().enumerate() {
            let r = i + 1;
            if r >= count {
                copy.reset();
                continue;
            }
            copy_walkers(copy, base);
            for w in 0..copy.c.n {
                copy.c.rng[w] = replica_stream(seed, r, w);
            }
        }
        for k in self.kernels.iter_mut() {
            k.clone_from(&kernel);
        }
        self.betas.fill(0.0);
        self.betas[..count].copy_from_slice(betas);
        self.count = count;
        self.adapt = [DualAveraging::idle(); R];
        self.adapting = [false; R];
        self.swap_rng = Stream::new(seed, SWAP_STREAM);
        self.sweeps = 0;
        self.swaps = [SwapStats::default(); R];
        self.last = [StepSummary::default(); R];
        Ok(())
    }

    /// [`ReplicaExchange::reinit`] with the geometric ladder of `replicas`
    /// temperatures from 1 down to `beta_min`, as
    /// [`ReplicaExchange::geometric`]; on error nothing changes.
    pub fn reinit_geometric(
        &mut self,
        kernel: K,
        replicas: usize,
        beta_min: f32,
        seed: u64,
    ) -> Result<(), Error> {
        check_size(replicas, R)?;
        let mut ladder = [0f32; R];
        geometric_ladder(beta_min, &mut ladder[..replicas])?;
        self.reinit(kernel, &ladder[..replicas], seed)
    }
}

/// `dst` ← `src`, field by field (no walkers-sized temporary).
fn copy_walkers<const N: usize, const D: usize>(dst: &mut Walkers<N, D>, src: &Walkers<N, D>) {
    let (c, s) = (&mut dst.c, &src.c);
    c.n = s.n;
    c.d = s.d;
    c.x = s.x;
    c.u = s.u;
    c.g = s.g;
    c.u_fresh = s.u_fresh;
    c.g_fresh = s.g_fresh;
    c.rng.clone_from_slice(&s.rng);
    c.info = s.info;
    c.steps = s.steps;
    let (c, s) = (&mut dst.s, &src.s);
    c.y = s.y;
    c.ev.u = s.ev.u;
    c.ev.grad = s.ev.grad;
    c.ev.code = s.ev.code;
    c.log_q = s.log_q;
    c.rng.clone_from_slice(&s.rng);
}

impl<K: PartialEq, const R: usize, const N: usize, const D: usize> PartialEq
    for ReplicaExchange<K, R, N, D>
{
    /// Compares the state: replicas (walkers' persistent state), kernels,
    /// ladder, adaptation of the replicas in use, swap stream, statistics
    /// and step summaries (not the replicas' scratch space).
    fn eq(&self, o: &Self) -> bool {
        let r = self.count;
        self.count == o.count
            && self.replicas == o.replicas
            && self.kernels == o.kernels
            && self.betas == o.betas
            && self.adapting == o.adapting
            && (0..r).all(|k| !self.adapting[k] || self.adapt[k] == o.adapt[k])
            && self.swap_rng == o.swap_rng
            && self.sweeps == o.sweeps
            && self.swaps == o.swaps
            && self.last == o.last
    }
}

impl<K: Kernel, const R: usize, const N: usize, const D: usize> ReplicaExchange<K, R, N, D> {
    /// Number of replicas (temperatures) in use.
    pub fn replicas(&self) -> usize {
        self.count
    }

    /// The inverse temperatures, hottest last.
    pub fn betas(&self) -> &[f32] {
        &self.betas[..self.count]
    }

    /// Replaces the ladder by one of the same length (validated as in
    /// [`ReplicaExchange::new`]); swap statistics restart.
    pub fn set_ladder(&mut self, betas: &[f32]) -> Result<(), Error> {
        check_ladder(betas, R)?;
        check_dim(self.count, betas.len())?;
        self.betas[..self.count].copy_from_slice(betas);
        self.reset_swap_stats();
        Ok(())
    }

    /// Replica `k`'s walkers (k = 0 is β = 1).
    pub fn replica(&self, k: usize) -> Option<&Walkers<N, D>> {
        self.replicas[..self.count].get(k)
    }

    /// The β = 1 replica's walkers, mutably, whatever the number of replicas
    /// in use (none in all-zero storage): initialise them, then call
    /// [`ReplicaExchange::reinit`] to copy them to every temperature.
    pub fn base_mut(&mut self) -> &mut Walkers<N, D> {
        &mut self.replicas[0]
    }

    /// Replica `k`'s walkers, mutably (e.g. to start each temperature from
    /// its own draws). Keep the walker count and dimension of replica 0: the
    /// next step refuses mismatched replicas.
    pub fn replica_mut(&mut self, k: usize) -> Option<&mut Walkers<N, D>> {
        self.replicas[..self.count].get_mut(k)
    }

    /// Replica `k`'s kernel.
    pub fn kernel(&self, k: usize) -> Option<&K> {
        self.kernels[..self.count].get(k)
    }

    /// Replica `k`'s kernel, mutably (e.g. a larger step at high temperature).
    pub fn kernel_mut(&mut self, k: usize) -> Option<&mut K> {
        self.kernels[..self.count].get_mut(k)
    }

    /// Swap statistics of the pair (k, k+1).
    pub fn swap_stats(&self, k: usize) -> Option<SwapStats> {
        self.swaps[..self.count.saturating_sub(1)].get(k).copied()
    }

    /// Forgets the swap statistics (e.g. after warm-up).
    pub fn reset_swap_stats(&mut self) {
        self.swaps = [SwapStats::default(); R];
    }

    /// What replica `k`'s last kernel step did.
    pub fn last_step(&self, k: usize) -> Option<StepSummary> {
        self.last[..self.count].get(k).copied()
    }

    /// Swap sweeps done.
    pub fn sweeps(&self) -> u64 {
        self.sweeps
    }

    /// Starts adapting every replica's step size toward acceptance `target`
    /// by dual averaging, each from its kernel's current step size.
    pub fn start_adaptation(&mut self, target: f32) -> Result<(), Error> {
        let mut adapt = [DualAveraging::idle(); R];
        for (a, k) in adapt.iter_mut().zip(&self.kernels[..self.count]) {
            *a = DualAveraging::new(k.step_size(), target)?;
        }
        self.adapt = adapt;
        for (k, on) in self.adapting.iter_mut().enumerate() {
            *on = k < self.count;
        }
        Ok(())
    }

    /// Stops adapting and freezes each step size at its averaged iterate.
    /// All or nothing: if an averaged step size is not usable (not finite
    /// and > 0, e.g. adaptation started from a huge step), nothing changes.
    pub fn freeze_step_sizes(&mut self) -> Result<(), Error> {
        for (on, a) in self.adapting.iter().zip(&self.adapt) {
            if *on {
                check_positive(a.averaged(), "averaged step size must be finite and > 0")?;
            }
        }
        for ((on, a), k) in self
            .adapting
            .iter_mut()
            .zip(&self.adapt)
            .zip(self.kernels.iter_mut())
        {
            if *on {
                k.set_step_size(a.averaged())?;
                *on = false;
            }
        }
        Ok(())
    }

    /// True while step sizes are being adapted.
    pub fn is_adapting(&self) -> bool {
        self.adapting.iter().any(|&on| on)
    }

    /// One kernel step of every replica at its temperature, then one swap
    /// sweep. Returns the β = 1 replica's step summary. On error nothing
    /// changes.
    pub fn step<E: Energy>(&mut self, energy: &E) -> Result<StepSummary, Error> {
        self.check_shapes()?;
        let mut decisions = [Decision::<N>::NONE; R];
        for k in 0..self.count {
            decisions[k] = decide(
                &self.kernels[k],
                energy,
                self.betas[k],
                &mut self.replicas[k],
            )?;
        }
        // Adapted step sizes before any commit: a step size a kernel refuses
        // fails the step with every kernel restored (set_step_size leaves a
        // kernel unchanged on error; the old sizes were accepted before).
        let mut adapt = self.adapt;
        let mut old = [0f32; R];
        for k in 0..self.count {
            if self.adapting[k] {
                let p = decisions[k].mean_accept_prob(self.replicas[k].len());
                let h = adapt[k].update(p);
                old[k] = self.kernels[k].step_size();
                if let Err(e) = self.kernels[k].set_step_size(h) {
                    for j in 0..k {
                        if self.adapting[j] {
                            self.kernels[j].set_step_size(old[j]).ok();
                        }
                    }
                    return Err(e);
                }
            }
        }
        self.adapt = adapt;
        for k in 0..self.count {
            self.last[k] = commit(&mut self.replicas[k], &decisions[k]);
        }
        self.sweep();
        Ok(self.last[0])
    }

    /// `steps` steps; stops at the first error.
    pub fn run<E: Energy>(&mut self, energy: &E, steps: usize) -> Result<(), Error> {
        for _ in 0..steps {
            self.step(energy)?;
        }
        Ok(())
    }

    /// One swap sweep without kernel steps (stale energies are re-evaluated
    /// first; on error nothing but those caches changes).
    pub fn exchange<E: Energy>(&mut self, energy: &E) -> Result<(), Error> {
        self.check_shapes()?;
        check_dim(self.replicas[0].dim(), energy.dim())?;
        for r in &mut self.replicas[..self.count] {
            r.refresh(energy, false)?;
        }
        self.sweep();
        Ok(())
    }

    /// Every replica holds as many walkers, of the same dimension, as the
    /// β = 1 replica (which [`NegativePhase::samples_mut`] can re-initialise).
    fn check_shapes(&self) -> Result<(), Error> {
        let (n, d) = (self.replicas[0].len(), self.replicas[0].dim());
        if n == 0 {
            return Err(Error::Empty);
        }
        for r in &self.replicas[1..self.count] {
            check_dim(n, r.len())?;
            check_dim(d, r.dim())?;
        }
        Ok(())
    }

    /// Proposes the pairs of this sweep's parity; needs fresh energies.
    fn sweep(&mut self) {
        let n = self.replicas[0].len();
        let mut k = (self.sweeps & 1) as usize;
        while k + 1 < self.count {
            let (lo, hi) = self.replicas.split_at_mut(k + 1);
            let (a, b) = (&mut lo[k].c, &mut hi[0].c);
            let mut swapped = false;
            for w in 0..n {
                let log_ratio = swap_log_ratio(self.betas[k], self.betas[k + 1], a.u[w], b.u[w]);
                let (take, _) = metropolis(log_ratio, self.swap_rng.uniform());
                self.swaps[k].attempted += 1;
                if take {
                    self.swaps[k].accepted += 1;
                    exchange_walker(a, b, w);
                    swapped = true;
                }
            }
            if swapped {
                // A gradient-free kernel may have left one side's ∇U stale.
                let fresh = a.g_fresh && b.g_fresh;
                a.g_fresh = fresh;
                b.g_fresh = fresh;
            }
            k += 2;
        }
        self.sweeps += 1;
    }
}

impl<K: Kernel, const R: usize, const N: usize, const D: usize> NegativePhase<N, D>
    for ReplicaExchange<K, R, N, D>
{
    /// The β = 1 replica.
    fn samples(&self) -> &Walkers<N, D> {
        &self.replicas[0]
    }

    /// The β = 1 replica, mutably; keep its walker count and dimension (the
    /// other replicas pair with it walker by walker).
    fn samples_mut(&mut self) -> &mut Walkers<N, D> {
        &mut self.replicas[0]
    }

    /// Sums the β = 1 replica's step summaries.
    fn advance<E: Energy>(&mut self, energy: &E, steps: usize) -> Result<StepSummary, Error> {
        summed_steps(steps, || self.step(energy))
    }

    /// Marks every replica's caches stale.
    fn invalidate(&mut self) {
        for r in &mut self.replicas[..self.count] {
            r.invalidate();
        }
    }

    /// At every replica's walkers, with gradients if the kernels need them.
    fn check_energy<E: Energy>(&self, energy: &E) -> Result<(), Error> {
        let with_grad = self.kernels[..self.count].iter().any(|k| k.needs_grad());
        self.replicas[..self.count]
            .iter()
            .try_for_each(|w| w.check_energy(energy, with_grad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_temperatures_always_swap() {
        for (ua, ub) in [(0.0, 1e6), (-3.0, 40.0), (1e30, -1e30), (5.0, 5.0)] {
            assert_eq!(
                metropolis(swap_log_ratio(0.5, 0.5, ua, ub), 0.999_999).1,
                1.0
            );
        }
    }

    /// The hot replica holding the lower energy always swaps down; the
    /// reverse is taken with probability exp(−Δβ·ΔU).
    #[test]
    fn swap_rule_direction() {
        assert_eq!(metropolis(swap_log_ratio(1.0, 0.5, 3.0, 1.0), 0.999).1, 1.0);
        let p = metropolis(swap_log_ratio(1.0, 0.5, 1.0, 3.0), 0.5).1;
        assert!((p - (-1f32).exp()).abs() < 1e-7);
    }

    #[test]
    fn ladders() {
        let mut l = [0f32; 4];
        geometric_ladder(0.125, &mut l).unwrap();
        assert_eq!(l[0], 1.0);
        assert_eq!(l[3], 0.125);
        assert!((l[1] - 0.5).abs() < 1e-6 && (l[2] - 0.25).abs() < 1e-6);
        assert!(check_ladder(&l, 4).is_ok());
        let before = l;
        assert!(geometric_ladder(1.0, &mut l).is_err());
        assert!(geometric_ladder(0.0, &mut l).is_err());
        assert!(geometric_ladder(f32::NAN, &mut l).is_err());
        assert!(geometric_ladder(0.999_999_9, &mut l).is_err());
        assert_eq!(l, before);
        let mut one = [0f32; 1];
        geometric_ladder(1.0, &mut one).unwrap();
        assert_eq!(one, [1.0]);
        // One replica: beta_min is ignored (the FFI documents it so).
        for b in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            one = [0.0];
            geometric_ladder(b, &mut one).unwrap();
            assert_eq!(one, [1.0]);
        }
        assert_eq!(geometric_ladder(0.5, &mut []), Err(Error::Empty));
        assert!(check_ladder(&[1.0, 0.5, 0.5], 4).is_err());
        assert!(check_ladder(&[1.0, 0.5, 0.6], 4).is_err());
        assert!(check_ladder(&[0.9, 0.5], 4).is_err());
        assert!(check_ladder(&[1.0, -0.5], 4).is_err());
        assert!(check_ladder(&[1.0, f32::NAN], 4).is_err());
        assert!(check_ladder(&[1.0, 0.5, 0.2, 0.1, 0.05], 4).is_err());
        assert!(check_ladder(&[], 4).is_err());
    }
}
