//! A ready-to-use sampler: walkers, a kernel, optional step-size adaptation
//! and streaming diagnostics. The energy is passed to each call rather than
//! owned, so a trainer can change its parameters between steps.

use crate::adapt::DualAveraging;
use crate::diagnostics::Diagnostics;
use crate::energy::Energy;
use crate::error::Error;
use crate::kernel::{Kernel, StepSummary, decide};
use crate::walkers::{Walkers, check_beta, commit};

/// What a trainer needs from the sampler of its negative phase: walkers whose
/// positions are (approximately) samples of ρ ∝ exp(−U), and a way to move
/// them at the energy's current parameters.
///
/// Implemented by [`Sampler`] (any kernel) and by multi-temperature
/// samplers, whose [`NegativePhase::samples`] are the β = 1 walkers.
pub trait NegativePhase<const N: usize, const D: usize> {
    /// The walkers whose positions are the samples.
    fn samples(&self) -> &Walkers<N, D>;

    /// The same, mutably (re-initialising walkers, restarting from data).
    fn samples_mut(&mut self) -> &mut Walkers<N, D>;

    /// `steps` steps at the energy's current parameters; stale caches are
    /// refreshed first. Each step is all-or-nothing; on error the steps
    /// before it stand. Returns the summed summary (mean acceptance
    /// probability averaged over steps).
    fn advance<E: Energy>(&mut self, energy: &E, steps: usize) -> Result<StepSummary, Error>;

    /// The energy's parameters changed: cached energies are stale.
    fn invalidate(&mut self);

    /// Checks, changing nothing, that `energy` is usable wherever the next
    /// steps will re-evaluate cached values (U, and ∇U when the kernel needs
    /// it, finite and not declined): how a front end vets a new energy
    /// before [`NegativePhase::invalidate`]. Default: at
    /// [`NegativePhase::samples`], with gradients.
    fn check_energy<E: Energy>(&self, energy: &E) -> Result<(), Error> {
        self.samples().check_energy(energy, true)
    }

    /// `Some` when one step of [`NegativePhase::advance`] is exactly one
    /// unadjusted Langevin move x' = x − h∇U(x) + √(2h/β)·ξ of every walker
    /// of [`NegativePhase::samples`], with the h and β it will use; weighted
    /// (Jarzynski) training needs this transition density. `None` otherwise.
    fn langevin(&self) -> Option<Langevin> {
        None
    }
}

/// Parameters of an unadjusted Langevin move x' = x − h∇U(x) + √(2h/β)·ξ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Langevin {
    /// Time step h.
    pub h: f32,
    /// Inverse temperature β.
    pub beta: f32,
}

/// Runs `step` `steps` times, stopping at the first error, and returns the
/// summed summary (mean acceptance probability averaged over steps): the
/// body of every [`NegativePhase::advance`].
pub(crate) fn summed_steps(
    steps: usize,
    mut step: impl FnMut() -> Result<StepSummary, Error>,
) -> Result<StepSummary, Error> {
    let mut total = StepSummary::default();
    for k in 0..steps {
        merge_summary(&mut total, &step()?, k);
    }
    Ok(total)
}

/// Adds `s` into the running total `acc` of `k` earlier summaries.
fn merge_summary(acc: &mut StepSummary, s: &StepSummary, k: usize) {
    acc.accepted += s.accepted;
    acc.proposed += s.proposed;
    acc.invalid += s.invalid;
    acc.mean_accept_prob += (s.mean_accept_prob - acc.mean_accept_prob) / (k + 1) as f32;
}

/// Walkers stepped by kernel `K` at inverse temperature β.
///
/// Layout note for code that places samplers in raw memory (the C API):
/// besides the kernel `K`, every field is an integer, a float, a bool, a
/// random stream, or an array or plain struct of these (no references, no
/// enums), so all-zero bytes are a valid — empty, not yet usable — value
/// whenever they are one for `K`. Such storage is made ready in place with
/// [`Sampler::reinit`], without a sampler-sized temporary.
#[derive(Clone, Debug)]
pub struct Sampler<K, const N: usize, const D: usize> {
    /// Walkers, kernel and β: what a step needs.
    pub(crate) ens: Ensemble<K, N, D>,
    /// Dual-averaging state; meaningful only while `adapting`.
    pub(crate) adapt: DualAveraging,
    pub(crate) adapting: bool,
    pub(crate) diag: Diagnostics<N, D>,
    pub(crate) record: bool,
}

impl<K: Kernel, const N: usize, const D: usize> Sampler<K, N, D> {
    /// β = 1, no adaptation, diagnostics recorded every step.
    pub fn new(kernel: K, walkers: Walkers<N, D>) -> Self {
        Sampler {
            ens: Ensemble::new(kernel, walkers),
            adapt: DualAveraging::idle(),
            adapting: false,
            diag: Diagnostics::new(),
            record: true,
        }
    }

    /// Makes this sampler equal to `Sampler::new(kernel, Walkers::empty())`
    /// in place: β = 1, no adaptation, diagnostics recorded every step and
    /// empty, no walkers (fill them with an `init_*` method of
    /// [`Sampler::walkers_mut`]). Needs no sampler-sized temporary, so it
    /// suits objects kept in static or caller-provided memory on small
    /// stacks (any previous value, including all-zero bytes, is fine).
    pub fn reinit(&mut self, kernel: K) {
        self.ens.walkers.reset();
        self.ens.kernel = kernel;
        self.ens.beta = 1.0;
        self.adapt = DualAveraging::idle();
        self.adapting = false;
        self.diag.reset();
        self.record = true;
    }

    /// Sets the inverse temperature β (> 0).
    pub fn set_beta(&mut self, beta: f32) -> Result<(), Error> {
        self.ens.set_beta(beta)
    }

    /// Inverse temperature β.
    pub fn beta(&self) -> f32 {
        self.ens.beta
    }

    /// Starts adapting the step size toward acceptance `target` by dual
    /// averaging, from the kernel's current step size.
    ///
    /// Before the walkers' first step the step size is taken as a guess
    /// ([`DualAveraging::new`]: shrinkage toward 10× it, Hoffman & Gelman);
    /// once they have stepped, it is taken as in use and adaptation
    /// restarts around it ([`DualAveraging::restart`]), so restarting a
    /// tuned sampler does not first jump to a ten times larger step.
    pub fn start_adaptation(&mut self, target: f32) -> Result<(), Error> {
        let h = self.ens.kernel.step_size();
        self.adapt = if self.ens.walkers.steps() == 0 {
            DualAveraging::new(h, target)?
        } else {
            DualAveraging::restart(h, target)?
        };
        self.adapting = true;
        Ok(())
    }

    /// Starts adaptation with a configured [`DualAveraging`].
    pub fn start_adaptation_with(&mut self, da: DualAveraging) {
        self.adapt = da;
        self.adapting = true;
    }

    /// Stops adapting, freezes the step size at the averaged iterate and
    /// forgets the diagnostics: the draws of the warm-up (made with a
    /// changing step size, before convergence) are not samples — Stan
    /// discards them too. A no-op when not adapting. On error (the averaged
    /// step size is not a valid one, e.g. adaptation started from a huge
    /// step) nothing changes: adaptation continues. To keep the warm-up in
    /// the diagnostics use [`Sampler::freeze_step_size_keep_diagnostics`].
    pub fn freeze_step_size(&mut self) -> Result<(), Error> {
        if self.adapting {
            self.freeze_step_size_keep_diagnostics()?;
            self.diag.reset();
        }
        Ok(())
    }

    /// [`Sampler::freeze_step_size`] without resetting the diagnostics.
    pub fn freeze_step_size_keep_diagnostics(&mut self) -> Result<(), Error> {
        if self.adapting {
            self.ens.kernel.set_step_size(self.adapt.averaged())?;
            self.adapting = false;
        }
        Ok(())
    }

    /// Stops adapting, keeping the current step size (and the diagnostics).
    pub fn stop_adaptation(&mut self) {
        self.adapting = false;
    }

    /// The dual-averaging state while adapting, `None` otherwise.
    pub fn dual_averaging(&self) -> Option<DualAveraging> {
        self.adapting.then_some(self.adapt)
    }

    /// True while the step size is being adapted.
    pub fn is_adapting(&self) -> bool {
        self.adapting
    }

    /// Whether every step is recorded in the diagnostics (default true).
    /// Off, steps cost no diagnostics time (f64, soft-float on a
    /// Cortex-M4F) and the diagnostics keep what they had.
    pub fn set_recording(&mut self, on: bool) {
        self.record = on;
    }

    /// Whether steps are recorded in the diagnostics.
    pub fn is_recording(&self) -> bool {
        self.record
    }

    /// Runs `steps` steps (as [`Sampler::run`], diagnostics and adaptation
    /// included) and records the positions of walkers `walkers` after every
    /// `thin`-th step into `out`, coordinate-major:
    /// `out[(i·r + w)·s_max + s]` is coordinate `i` of the `w`-th recorded
    /// walker (walker `walkers.start + w`) at draw `s`, with
    /// r = `walkers.len()` and s_max = `steps / thin` draws per walker. So
    /// each coordinate's draws are one `[chains][draws]` block of r·s_max
    /// floats, the layout [`crate::draws::rank_diagnostics`] reads. Returns
    /// the draws per walker written (s_max).
    ///
    /// Only this call's steps are recorded: warm-up run before it is never
    /// in the buffer. Everything is checked before the first step, changing
    /// nothing on error: `thin ≥ 1`, a non-empty range of existing walkers
    /// ([`Error::Empty`], [`Error::CapacityExceeded`]), and `out` of at
    /// least [`Sampler::recording_len`] floats ([`Error::CapacityExceeded`]
    /// with the floats needed). A failing step stops the run as
    /// [`Sampler::run`] does; the draws of the steps before it stand in
    /// `out` (⌊steps taken / thin⌋ per walker: compare
    /// [`Walkers::steps`] before and after).
    pub fn run_recording<E: Energy>(
        &mut self,
        energy: &E,
        steps: usize,
        thin: usize,
        walkers: core::ops::Range<usize>,
        out: &mut [f32],
    ) -> Result<usize, Error> {
        let need = self.recording_len(steps, thin, walkers.clone())?;
        if out.len() < need {
            return Err(Error::CapacityExceeded {
                requested: need,
                capacity: out.len(),
            });
        }
        let (r, s_max, d) = (walkers.len(), steps / thin, self.ens.walkers.dim());
        for k in 1..=steps {
            self.step(energy)?;
            if k % thin == 0 {
                let s = k / thin - 1;
                let x = self.ens.walkers.positions_soa();
                for i in 0..d {
                    for (w, &v) in x[i][walkers.clone()].iter().enumerate() {
                        out[(i * r + w) * s_max + s] = v;
                    }
                }
            }
        }
        Ok(s_max)
    }

    /// Floats [`Sampler::run_recording`] needs for `steps` steps thinned
    /// by `thin` of walkers `walkers`: dim·`walkers.len()`·⌊steps/thin⌋.
    /// Errors as [`Sampler::run_recording`]'s checks.
    pub fn recording_len(
        &self,
        steps: usize,
        thin: usize,
        walkers: core::ops::Range<usize>,
    ) -> Result<usize, Error> {
        if thin == 0 {
            return Err(Error::InvalidConfig("thin must be at least 1"));
        }
        if walkers.is_empty() {
            return Err(Error::Empty);
        }
        let n = self.ens.walkers.len();
        if walkers.end > n {
            return Err(Error::CapacityExceeded {
                requested: walkers.end,
                capacity: n,
            });
        }
        let d = self.ens.walkers.dim();
        d.checked_mul(walkers.len())
            .and_then(|v| v.checked_mul(steps / thin))
            .ok_or(Error::CapacityExceeded {
                requested: usize::MAX,
                capacity: isize::MAX as usize,
            })
    }

    /// One step of every walker. On error nothing changes (walkers,
    /// adaptation and diagnostics).
    ///
    /// While adapting, the step is decided first, the adapted step size is
    /// computed and handed to the kernel, and only then is the step
    /// committed: a step size the kernel refuses fails the step with the
    /// walkers, the kernel and the adaptation as they were.
    pub fn step<E: Energy>(&mut self, energy: &E) -> Result<StepSummary, Error> {
        let s = if self.adapting {
            let ens = &mut self.ens;
            let dec = decide(&ens.kernel, energy, ens.beta, &mut ens.walkers)?;
            let mut adapt = self.adapt;
            let h = adapt.update(dec.mean_accept_prob(ens.walkers.len()));
            // Unchanged on error (Kernel::set_step_size).
            ens.kernel.set_step_size(h)?;
            self.adapt = adapt;
            commit(&mut ens.walkers, &dec)
        } else {
            self.ens.step(energy)?
        };
        if self.record {
            self.diag.record(&self.ens.walkers, Some(&s));
        }
        Ok(s)
    }

    /// `steps` steps; stops at the first error.
    pub fn run<E: Energy>(&mut self, energy: &E, steps: usize) -> Result<(), Error> {
        for _ in 0..steps {
            self.step(energy)?;
        }
        Ok(())
    }

    /// The walkers.
    pub fn walkers(&self) -> &Walkers<N, D> {
        &self.ens.walkers
    }

    /// The walkers, mutably (e.g. to invalidate after a parameter change).
    pub fn walkers_mut(&mut self) -> &mut Walkers<N, D> {
        &mut self.ens.walkers
    }

    /// The kernel.
    pub fn kernel(&self) -> &K {
        &self.ens.kernel
    }

    /// The kernel, mutably.
    pub fn kernel_mut(&mut self) -> &mut K {
        &mut self.ens.kernel
    }

    /// The diagnostics.
    pub fn diagnostics(&self) -> &Diagnostics<N, D> {
        &self.diag
    }

    /// Forgets the diagnostics (e.g. after warm-up).
    pub fn reset_diagnostics(&mut self) {
        self.diag.reset();
    }
}

impl<K: Kernel, const N: usize, const D: usize> NegativePhase<N, D> for Sampler<K, N, D> {
    fn samples(&self) -> &Walkers<N, D> {
        self.ens.samples()
    }

    fn samples_mut(&mut self) -> &mut Walkers<N, D> {
        self.ens.samples_mut()
    }

    /// Steps with adaptation and diagnostics, as [`Sampler::step`].
    fn advance<E: Energy>(&mut self, energy: &E, steps: usize) -> Result<StepSummary, Error> {
        summed_steps(steps, || self.step(energy))
    }

    fn invalidate(&mut self) {
        self.ens.invalidate();
    }

    fn check_energy<E: Energy>(&self, energy: &E) -> Result<(), Error> {
        self.ens.check_energy(energy)
    }

    /// The step size in force for the next step (adaptation, if running,
    /// changes it only after a step).
    fn langevin(&self) -> Option<Langevin> {
        self.ens.langevin()
    }
}

/// Walkers stepped by kernel `K` at inverse temperature β, and nothing
/// else: the smallest [`NegativePhase`] for a trainer. Unlike [`Sampler`]
/// it has no step-size adaptation and no [`Diagnostics`], so neither their
/// memory nor their code (the diagnostics' f64 accumulators are soft-float
/// on a Cortex-M4F: about 18 KB of flash at opt-level 2, even when
/// recording is switched off). Steps are bit for bit those of a [`Sampler`]
/// with the same kernel, β and walkers.
#[derive(Clone, Debug)]
pub struct Ensemble<K, const N: usize, const D: usize> {
    pub(crate) walkers: Walkers<N, D>,
    pub(crate) kernel: K,
    pub(crate) beta: f32,
}

impl<K: Kernel, const N: usize, const D: usize> Ensemble<K, N, D> {
    /// β = 1.
    pub fn new(kernel: K, walkers: Walkers<N, D>) -> Self {
        Ensemble {
            walkers,
            kernel,
            beta: 1.0,
        }
    }

    /// Sets the inverse temperature β (> 0).
    pub fn set_beta(&mut self, beta: f32) -> Result<(), Error> {
        check_beta(beta)?;
        self.beta = beta;
        Ok(())
    }

    /// Inverse temperature β.
    pub fn beta(&self) -> f32 {
        self.beta
    }

    /// One step of every walker; on error nothing changes.
    pub fn step<E: Energy>(&mut self, energy: &E) -> Result<StepSummary, Error> {
        self.kernel.step(energy, self.beta, &mut self.walkers)
    }

    /// The walkers.
    pub fn walkers(&self) -> &Walkers<N, D> {
        &self.walkers
    }

    /// The walkers, mutably.
    pub fn walkers_mut(&mut self) -> &mut Walkers<N, D> {
        &mut self.walkers
    }

    /// The kernel.
    pub fn kernel(&self) -> &K {
        &self.kernel
    }

    /// The kernel, mutably.
    pub fn kernel_mut(&mut self) -> &mut K {
        &mut self.kernel
    }
}

impl<K: Kernel, const N: usize, const D: usize> NegativePhase<N, D> for Ensemble<K, N, D> {
    fn samples(&self) -> &Walkers<N, D> {
        &self.walkers
    }

    fn samples_mut(&mut self) -> &mut Walkers<N, D> {
        &mut self.walkers
    }

    fn advance<E: Energy>(&mut self, energy: &E, steps: usize) -> Result<StepSummary, Error> {
        summed_steps(steps, || self.step(energy))
    }

    fn invalidate(&mut self) {
        self.walkers.invalidate();
    }

    /// With gradients only if the kernel needs them.
    fn check_energy<E: Energy>(&self, energy: &E) -> Result<(), Error> {
        let with_grad = self.kernel.needs_grad();
        self.walkers.check_energy(energy, with_grad)
    }

    fn langevin(&self) -> Option<Langevin> {
        self.kernel.unadjusted_langevin().then(|| Langevin {
            h: self.kernel.step_size(),
            beta: self.beta,
        })
    }
}
