//! An ensemble of N Markov chains in dimension D, stepped together.
//!
//! Layout is structure-of-arrays (`x[dim][walker]`) so a batched energy pass
//! reads each coordinate of all walkers contiguously. Each walker caches
//! U(x) and ∇U(x) at its current point, and owns its random stream.
//!
//! [`Walkers`] splits into [`Chains`] — the persistent state, compared by
//! value in tests ("state after an error equals state before") — and scratch
//! space for proposals, so that kernels can build a whole step aside and
//! commit it only when it is valid.

use crate::energy::{Energy, Evals, Soa};
use crate::error::{Error, check_dim, check_positive};
use crate::kernel::StepSummary;
use crate::rng::Stream;

mod start;

/// What one walker's last step did.
///
/// The trajectory fields (`tree_depth`, `divergent`, `n_leapfrog`) are set
/// by kernels that build a trajectory per walker ([`crate::Nuts`]) and are
/// zero for every other kernel. All-zero bytes are a valid value.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct StepInfo {
    /// The proposal was taken (for [`crate::Nuts`]: the walker moved, i.e.
    /// the draw from the trajectory is not the starting point).
    pub accepted: bool,
    /// Metropolis–Hastings acceptance probability (1 for ULA, 0 for an
    /// invalid proposal); for [`crate::Nuts`], Stan's acceptance statistic
    /// (the mean of min{1, exp(H₀ − H)} over the trajectory's new points).
    pub accept_prob: f32,
    /// U at the walker's position after the step.
    pub energy: f32,
    /// NUTS: tree depth reached (the trajectory has at most 2^depth
    /// points); 0 for other kernels.
    pub tree_depth: u8,
    /// NUTS: the trajectory diverged (energy error above
    /// [`crate::kernels::nuts::MAX_ENERGY_ERROR`], or a non-finite U or ∇U
    /// on it).
    pub divergent: bool,
    /// NUTS: leapfrog steps (gradient evaluations) taken; 0 for other
    /// kernels.
    pub n_leapfrog: u16,
}

/// What a trajectory-building kernel ([`crate::Nuts`]) reports about one
/// walker's step, through [`Scratch::tree`]. The shared step resets it to
/// the default before every proposal, so other kernels leave it zero.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct TreeStats {
    /// The acceptance statistic reported as the step's acceptance
    /// probability (and fed to step-size adaptation) when the kernel's
    /// proposal is the next state ([`crate::Kernel::proposal_is_next_state`]).
    pub accept_stat: f32,
    /// Leapfrog steps taken.
    pub n_leapfrog: u16,
    /// Tree depth reached.
    pub depth: u8,
    /// The trajectory diverged.
    pub divergent: bool,
}

/// The persistent state of an ensemble.
#[derive(Clone, Debug, PartialEq)]
pub struct Chains<const N: usize, const D: usize> {
    pub(crate) n: usize,
    pub(crate) d: usize,
    pub(crate) x: Soa<N, D>,
    pub(crate) u: [f32; N],
    pub(crate) g: Soa<N, D>,
    /// `u` matches the energy at `x`.
    pub(crate) u_fresh: bool,
    /// `g` matches the energy at `x`.
    pub(crate) g_fresh: bool,
    pub(crate) rng: [Stream; N],
    pub(crate) info: [StepInfo; N],
    pub(crate) steps: u64,
}

impl<const N: usize, const D: usize> Chains<N, D> {
    /// Number of walkers n.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when there are no walkers.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Positions, `x[i][w]` = coordinate i of walker w (valid for
    /// `i < dim()`, `w < len()`).
    pub fn positions(&self) -> &Soa<N, D> {
        &self.x
    }

    /// The cached energies U(x) of walkers `0..len()`. Fresh whenever a
    /// kernel's [`Kernel::propose`](crate::Kernel::propose) is called.
    pub fn energies(&self) -> &[f32] {
        &self.u[..self.n]
    }

    /// The cached gradients, laid out as [`Chains::positions`]. Fresh in
    /// [`Kernel::propose`](crate::Kernel::propose) when the kernel
    /// [needs gradients](crate::Kernel::needs_grad).
    pub fn gradients(&self) -> &Soa<N, D> {
        &self.g
    }
}

/// Working space for one step: the proposal, its evaluation, and the random
/// streams advanced aside (copied back only on commit).
#[derive(Clone, Debug)]
pub struct Scratch<const N: usize, const D: usize> {
    /// Proposed positions.
    pub y: Soa<N, D>,
    /// Energy (and gradient) at `y`.
    pub ev: Evals<N, D>,
    /// log g(x|y) − log g(y|x), or any other additive term of the log
    /// acceptance ratio (kinetic energy change for HMC).
    pub log_q: [f32; N],
    /// Random streams for this step.
    pub rng: [Stream; N],
    /// Per-walker trajectory statistics (NUTS); default for other kernels.
    pub tree: [TreeStats; N],
}

/// An ensemble of `n ≤ N` walkers in dimension `d ≤ D`.
///
/// Every field is an integer, a float, a bool, a random stream or an array
/// or plain struct of these (no references, no enums), so all-zero bytes
/// are a valid value; [`Walkers::reset`] makes any value, including that
/// one, equal to [`Walkers::empty`] in place.
#[derive(Clone, Debug)]
pub struct Walkers<const N: usize, const D: usize> {
    pub(crate) c: Chains<N, D>,
    pub(crate) s: Scratch<N, D>,
}

impl<const N: usize, const D: usize> PartialEq for Walkers<N, D> {
    /// Compares the persistent state only; scratch is not state.
    fn eq(&self, other: &Self) -> bool {
        self.c == other.c
    }
}

impl<const N: usize, const D: usize> Walkers<N, D> {
    /// An empty ensemble (no walkers); fill it with an `init_*` method.
    pub fn empty() -> Self {
        Walkers {
            c: Chains {
                n: 0,
                d: 0,
                x: [[0.0; N]; D],
                u: [0.0; N],
                g: [[0.0; N]; D],
                u_fresh: false,
                g_fresh: false,
                rng: core::array::from_fn(|w| Stream::new(0, w as u64)),
                info: [StepInfo::default(); N],
                steps: 0,
            },
            s: Scratch {
                y: [[0.0; N]; D],
                ev: Evals::new(),
                log_q: [0.0; N],
                rng: core::array::from_fn(|w| Stream::new(0, w as u64)),
                tree: [TreeStats::default(); N],
            },
        }
    }

    /// Makes this ensemble equal to [`Walkers::empty`] in place, without a
    /// walkers-sized temporary (for objects in static or caller-provided
    /// memory on small stacks). Any previous value is fine, including
    /// all-zero bytes.
    pub fn reset(&mut self) {
        let Walkers { c, s } = self;
        c.n = 0;
        c.d = 0;
        for row in c.x.iter_mut().chain(c.g.iter_mut()) {
            row.fill(0.0);
        }
        c.u.fill(0.0);
        c.u_fresh = false;
        c.g_fresh = false;
        c.info.fill(StepInfo::default());
        c.steps = 0;
        for row in s.y.iter_mut().chain(s.ev.grad.iter_mut()) {
            row.fill(0.0);
        }
        s.ev.u.fill(0.0);
        s.ev.code.fill(0);
        s.log_q.fill(0.0);
        s.tree.fill(TreeStats::default());
        for w in 0..N {
            c.rng[w] = Stream::new(0, w as u64);
            s.rng[w] = c.rng[w].clone();
        }
    }

    /// Number of walkers.
    pub fn len(&self) -> usize {
        self.c.n
    }

    /// True when the ensemble holds no walker.
    pub fn is_empty(&self) -> bool {
        self.c.n == 0
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.c.d
    }

    /// Steps taken since initialisation.
    pub fn steps(&self) -> u64 {
        self.c.steps
    }

    /// The persistent state (for comparisons and inspection).
    pub fn chains(&self) -> &Chains<N, D> {
        &self.c
    }

    /// Positions in structure-of-arrays layout (`x[dim][walker]`).
    pub fn positions_soa(&self) -> &Soa<N, D> {
        &self.c.x
    }

    /// Coordinate `i` of walker `w`.
    ///
    /// # Panics
    ///
    /// If `w ≥ len()` or `i ≥ dim()`, like slice indexing (the fallible
    /// form is [`Walkers::position`]).
    pub fn coord(&self, w: usize, i: usize) -> f32 {
        self.check_index(w, i);
        self.c.x[i][w]
    }

    #[inline]
    #[track_caller]
    fn check_index(&self, w: usize, i: usize) {
        assert!(
            w < self.c.n && i < self.c.d,
            "walker {w}, coordinate {i} out of range ({} walkers, dimension {})",
            self.c.n,
            self.c.d
        );
    }

    /// Copies walker `w`'s position into `out[..d]`.
    pub fn position(&self, w: usize, out: &mut [f32]) -> Result<(), Error> {
        check_walker(w, self.c.n)?;
        if out.len() < self.c.d {
            return Err(Error::CapacityExceeded {
                requested: self.c.d,
                capacity: out.len(),
            });
        }
        for (i, o) in out[..self.c.d].iter_mut().enumerate() {
            *o = self.c.x[i][w];
        }
        Ok(())
    }

    /// Copies all positions, walker-major (`n×d`), into `out`.
    pub fn positions(&self, out: &mut [f32]) -> Result<(), Error> {
        let (n, d) = (self.c.n, self.c.d);
        if out.len() < n * d {
            return Err(Error::CapacityExceeded {
                requested: n * d,
                capacity: out.len(),
            });
        }
        for w in 0..n {
            for i in 0..d {
                out[w * d + i] = self.c.x[i][w];
            }
        }
        Ok(())
    }

    /// Cached energies of walkers `0..n` (valid unless parameters changed
    /// since; see [`Walkers::invalidate`]).
    pub fn energies(&self) -> &[f32] {
        &self.c.u[..self.c.n]
    }

    /// Cached gradients in structure-of-arrays layout (`g[dim][walker]`).
    pub fn gradients_soa(&self) -> &Soa<N, D> {
        &self.c.g
    }

    /// Cached gradient of walker `w` along coordinate `i`.
    ///
    /// # Panics
    ///
    /// If `w ≥ len()` or `i ≥ dim()`, like slice indexing.
    pub fn grad(&self, w: usize, i: usize) -> f32 {
        self.check_index(w, i);
        self.c.g[i][w]
    }

    /// What walker `w`'s last step did.
    ///
    /// # Panics
    ///
    /// If `w ≥ len()`, like slice indexing.
    pub fn last_step(&self, w: usize) -> StepInfo {
        self.c.info[..self.c.n][w]
    }

    /// Marks the cached energies and gradients stale: call after changing the
    /// energy's parameters. The next step re-evaluates every walker first.
    pub fn invalidate(&mut self) {
        self.c.u_fresh = false;
        self.c.g_fresh = false;
    }

    /// Re-evaluates U (and ∇U when `with_grad`) at the current positions if
    /// the cache is stale. All-or-nothing: on error the state is unchanged.
    pub fn refresh<E: Energy>(&mut self, energy: &E, with_grad: bool) -> Result<(), Error> {
        check_dim(self.c.d, energy.dim())?;
        if self.c.u_fresh && (self.c.g_fresh || !with_grad) {
            return Ok(());
        }
        let (n, d) = (self.c.n, self.c.d);
        energy.eval_batch(&self.c.x, n, with_grad, &mut self.s.ev);
        first_invalid(&self.s.ev, n, d, with_grad)?;
        self.c.u[..n].copy_from_slice(&self.s.ev.u[..n]);
        if with_grad {
            for i in 0..d {
                self.c.g[i][..n].copy_from_slice(&self.s.ev.grad[i][..n]);
            }
        }
        self.c.u_fresh = true;
        self.c.g_fresh = with_grad;
        Ok(())
    }

    /// Moves walker `w` to `position` (e.g. a re-initialisation during
    /// training). All-or-nothing: the new point must have a finite energy and
    /// gradient. The walker's stream is not touched.
    pub fn set_position<E: Energy>(
        &mut self,
        energy: &E,
        w: usize,
        position: &[f32],
    ) -> Result<(), Error> {
        check_walker(w, self.c.n)?;
        check_dim(self.c.d, energy.dim())?;
        check_dim(self.c.d, position.len())?;
        if !position.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { walker: w });
        }
        let d = self.c.d;
        let mut g = [0f32; D];
        let u = energy
            .value_grad(position, &mut g[..d])
            .map_err(|e| eval_error(w, e, d))?;
        if !u.is_finite() || !g[..d].iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { walker: w });
        }
        for i in 0..d {
            self.c.x[i][w] = position[i];
            self.c.g[i][w] = g[i];
        }
        self.c.u[w] = u;
        self.c.info[w] = StepInfo {
            energy: u,
            ..StepInfo::default()
        };
        Ok(())
    }

    /// Walker `w`'s random stream (e.g. for re-initialisation draws that must
    /// stay reproducible).
    pub fn stream_mut(&mut self, w: usize) -> Option<&mut Stream> {
        if w < self.c.n {
            self.c.rng.get_mut(w)
        } else {
            None
        }
    }
}

impl<const N: usize, const D: usize> Walkers<N, D> {
    /// Replaces every walker by a copy of an ancestor (the resampling step of
    /// sequential Monte Carlo): walker `w` takes the position, cached U and ∇U
    /// and last-step record that walker `ancestor[w]` had before the call.
    /// Random streams stay with their slots, so copies part at the next step.
    /// `ancestor` must have length n with entries below n; on error nothing
    /// changes.
    pub fn resample(&mut self, ancestor: &[usize]) -> Result<(), Error> {
        let (n, d) = (self.c.n, self.c.d);
        check_dim(n, ancestor.len())?;
        if let Some(&a) = ancestor.iter().find(|&&a| a >= n) {
            return Err(Error::CapacityExceeded {
                requested: a.saturating_add(1),
                capacity: n,
            });
        }
        // The scratch holds the old states while the new ones are written.
        let Walkers { c, s } = self;
        for i in 0..d {
            s.y[i][..n].copy_from_slice(&c.x[i][..n]);
            s.ev.grad[i][..n].copy_from_slice(&c.g[i][..n]);
        }
        s.ev.u[..n].copy_from_slice(&c.u[..n]);
        let info = c.info;
        for (w, &a) in ancestor.iter().enumerate() {
            for i in 0..d {
                c.x[i][w] = s.y[i][a];
                c.g[i][w] = s.ev.grad[i][a];
            }
            c.u[w] = s.ev.u[a];
            c.info[w] = info[a];
        }
        Ok(())
    }
}

/// A step decided but not committed: which walkers take the proposal held in
/// their scratch, and with what probability.
pub(crate) struct Decision<const N: usize> {
    pub(crate) take: [bool; N],
    pub(crate) prob: [f32; N],
    pub(crate) invalid: usize,
    pub(crate) needs_grad: bool,
}

impl<const N: usize> Decision<N> {
    /// Nothing decided yet (a placeholder for arrays of decisions).
    pub(crate) const NONE: Self = Decision {
        take: [false; N],
        prob: [0.0; N],
        invalid: 0,
        needs_grad: false,
    };

    /// The mean acceptance probability of walkers `0..n`, as the committed
    /// step's [`StepSummary::mean_accept_prob`] will report it.
    pub(crate) fn mean_accept_prob(&self, n: usize) -> f32 {
        self.prob[..n].iter().sum::<f32>() / n as f32
    }
}

/// Makes a decided step the state of `walkers` (which must be the ensemble
/// it was decided on, untouched since).
pub(crate) fn commit<const N: usize, const D: usize>(
    walkers: &mut Walkers<N, D>,
    dec: &Decision<N>,
) -> StepSummary {
    let Walkers { c, s } = walkers;
    let (n, d) = (c.n, c.d);
    let mut accepted = 0;
    for w in 0..n {
        if dec.take[w] {
            accepted += 1;
            for i in 0..d {
                c.x[i][w] = s.y[i][w];
            }
            c.u[w] = s.ev.u[w];
            if dec.needs_grad {
                for i in 0..d {
                    c.g[i][w] = s.ev.grad[i][w];
                }
            }
        }
        let t = s.tree[w];
        c.info[w] = StepInfo {
            accepted: dec.take[w],
            accept_prob: dec.prob[w],
            energy: c.u[w],
            tree_depth: t.depth,
            divergent: t.divergent,
            n_leapfrog: t.n_leapfrog,
        };
    }
    if accepted > 0 && !dec.needs_grad {
        c.g_fresh = false;
    }
    c.rng[..n].swap_with_slice(&mut s.rng[..n]);
    c.steps += 1;
    StepSummary {
        accepted,
        proposed: n,
        mean_accept_prob: dec.mean_accept_prob(n),
        invalid: dec.invalid,
    }
}

/// Maps an evaluation failure at walker `w` to an [`Error`].
pub(crate) fn eval_error(w: usize, e: crate::energy::EvalError, d: usize) -> Error {
    match e {
        crate::energy::EvalError::Declined(code) => Error::EnergyDeclined { walker: w, code },
        crate::energy::EvalError::WrongLength => Error::DimensionMismatch {
            expected: d,
            found: 0,
        },
    }
}

/// The first walker whose evaluation is unusable, as an error.
pub(crate) fn first_invalid<const N: usize, const D: usize>(
    ev: &Evals<N, D>,
    n: usize,
    d: usize,
    with_grad: bool,
) -> Result<(), Error> {
    for w in 0..n {
        if !ev.is_valid(w, d, with_grad) {
            return Err(match ev.code[w] {
                0 => Error::NonFinite { walker: w },
                i32::MIN => Error::DimensionMismatch {
                    expected: d,
                    found: 0,
                },
                code => Error::EnergyDeclined { walker: w, code },
            });
        }
    }
    Ok(())
}

fn check_walker(w: usize, n: usize) -> Result<(), Error> {
    if w < n {
        Ok(())
    } else {
        Err(Error::CapacityExceeded {
            requested: w.saturating_add(1),
            capacity: n,
        })
    }
}

/// Checks a kernel's inverse temperature.
pub(crate) fn check_beta(beta: f32) -> Result<(), Error> {
    check_positive(beta, "inverse temperature beta must be > 0")
}
