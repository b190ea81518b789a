//! Windowed adaptation of a diagonal mass matrix together with the step
//! size, for the kernels that have a mass ([`crate::Hmc`], [`crate::Nuts`],
//! [`crate::PMala`]): Stan's warm-up (Stan Reference Manual, "HMC algorithm
//! parameters: automatic parameter tuning"), and an ensemble variant with
//! shorter windows.
//!
//! **Schedule.** Warm-up of W steps = an initial fast window (step size
//! only), slow windows whose draws estimate the variance of every coordinate
//! (each twice as long as the one before, the last one stretched to the
//! start of the terminal window), and a terminal fast window (step size
//! only). At the end of each slow window the inverse metric M⁻¹ is set to the
//! regularised variance estimate (Stan's)
//! σ̂²ᵢ = n/(n + 5)·varᵢ + 10⁻³·5/(n + 5) (n draws in the window), i.e. the
//! kernel's mass to mᵢ = 1/σ̂²ᵢ (clamped to [`crate::kernels::hmc::MIN_MASS`],
//! [`crate::kernels::hmc::MAX_MASS`]); the draws are forgotten and step-size
//! dual averaging restarts from the current step size with Stan's shrinkage
//! point μ = log(10·h). At the end of the warm-up the step size is frozen at
//! the terminal window's averaged iterate. Window lengths are Stan's
//! computation (`windowed_adaptation`): when init + base + term > W they
//! become 15 %, 75 % and 10 % of W; with W < 20 only the step size adapts.
//!
//! **The two variants** ([`MassAdaptation`]) share the estimator — Welford
//! accumulators per coordinate in f64, pooled over *all walkers* and every
//! step of the window (so a window of s steps of N walkers has n = N·s
//! draws: the variance across the ensemble over the window) — and differ in
//! the window lengths: [`MassAdaptation::Stan`] uses Stan's (75, 25, 50
//! steps), as if each walker were a Stan chain; [`MassAdaptation::Ensemble`]
//! uses (15, 5, 15) steps, since one step of N walkers already gives N
//! draws. The measured comparison is in `docs/sampling.md`.
//!
//! **Memory.** [`Warmup`] is fixed-size: 2·D f64 accumulators, a few
//! integers and the target; its fields are plain (integers, floats, arrays)
//! so that it can be stored and serialised field by field. Nothing is kept
//! in the [`Sampler`].

use crate::adapt::DualAveraging;
use crate::energy::Energy;
use crate::error::Error;
use crate::kernel::{Kernel, StepSummary};
use crate::kernels::hmc::{MAX_MASS, MIN_MASS};
use crate::sampler::Sampler;

/// Which mass adaptation a warm-up runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum MassAdaptation {
    /// Step size only (windowed dual averaging is not used: one run of dual
    /// averaging over the whole warm-up, frozen at the end). Works with
    /// every kernel but ULA.
    StepSizeOnly = 0,
    /// Stan's windows: 75 / 25 doubling / 50 steps.
    Stan = 1,
    /// Short windows for an ensemble: 15 / 5 doubling / 15 steps.
    Ensemble = 2,
}

impl MassAdaptation {
    /// The variant that adapted faster in the measurement of
    /// `docs/sampling.md`.
    pub const DEFAULT: MassAdaptation = MassAdaptation::Ensemble;

    /// The variant with this code (the discriminant), if any.
    pub const fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(MassAdaptation::StepSizeOnly),
            1 => Some(MassAdaptation::Stan),
            2 => Some(MassAdaptation::Ensemble),
            _ => None,
        }
    }

    /// (initial fast window, first slow window, terminal fast window) in
    /// steps before scaling to the warm-up's length; `None` for
    /// [`MassAdaptation::StepSizeOnly`].
    pub const fn windows(self) -> Option<(u64, u64, u64)> {
        match self {
            MassAdaptation::StepSizeOnly => None,
            MassAdaptation::Stan => Some((75, 25, 50)),
            MassAdaptation::Ensemble => Some((15, 5, 15)),
        }
    }
}

/// The state of a warm-up in progress: the window schedule, the variance
/// accumulators of the current slow window and the step-size target.
/// Plain fields only (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Warmup<const D: usize> {
    /// [`MassAdaptation`] code.
    pub(crate) mode: u32,
    /// Target acceptance of step-size adaptation.
    pub(crate) target: f32,
    /// Warm-up length W in steps.
    pub(crate) total: u64,
    /// Steps taken so far (Stan's `adapt_window_counter`).
    pub(crate) counter: u64,
    /// Initial fast window (after scaling); 0 with no slow window.
    pub(crate) init_buffer: u64,
    /// Terminal fast window (after scaling).
    pub(crate) term_buffer: u64,
    /// Length of the current slow window.
    pub(crate) window_size: u64,
    /// Step index that ends the current slow window (Stan's
    /// `adapt_next_window`).
    pub(crate) next_window: u64,
    /// Whether slow windows run (false: step size only).
    pub(crate) mass: bool,
    /// Mass updates made.
    pub(crate) updates: u32,
    /// Dimension of the accumulators in use.
    pub(crate) dim: u32,
    /// Draws in the current window's accumulators.
    pub(crate) count: u64,
    /// Running means per coordinate.
    pub(crate) mean: [f64; D],
    /// Running sums of squared deviations per coordinate (Welford).
    pub(crate) m2: [f64; D],
}

impl<const D: usize> Warmup<D> {
    /// A warm-up of `steps` steps of dimension `dim` (≤ D) with `mode`
    /// toward step-size acceptance `target` ∈ (0, 1).
    pub fn new(mode: MassAdaptation, steps: usize, dim: usize, target: f32) -> Result<Self, Error> {
        if !(target > 0.0 && target < 1.0) {
            return Err(Error::InvalidConfig("target acceptance must be in (0, 1)"));
        }
        if dim == 0 {
            return Err(Error::Empty);
        }
        if dim > D {
            return Err(Error::CapacityExceeded {
                requested: dim,
                capacity: D,
            });
        }
        if steps == 0 {
            return Err(Error::InvalidConfig("a warm-up needs at least one step"));
        }
        let total = steps as u64;
        let mut w = Warmup {
            mode: mode as u32,
            target,
            total,
            counter: 0,
            init_buffer: 0,
            term_buffer: 0,
            window_size: 0,
            next_window: 0,
            mass: false,
            updates: 0,
            dim: dim as u32,
            count: 0,
            mean: [0.0; D],
            m2: [0.0; D],
        };
        if let Some((mut init, mut base, mut term)) = mode.windows() {
            // Stan's set_window_params: no mass adaptation below 20 steps;
            // 15 % / 75 % / 10 % when the default windows do not fit.
            if total >= 20 {
                if init + term + base > total {
                    init = (0.15 * total as f64) as u64;
                    term = (0.1 * total as f64) as u64;
                    base = total - (init + term);
                }
                w.mass = true;
                w.init_buffer = init;
                w.term_buffer = term;
                w.window_size = base;
                w.next_window = init + base - 1;
            }
        }
        Ok(w)
    }

    /// The [`MassAdaptation`] this warm-up runs.
    pub fn mode(&self) -> MassAdaptation {
        MassAdaptation::from_code(self.mode).unwrap_or(MassAdaptation::StepSizeOnly)
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> u64 {
        self.counter
    }

    /// Steps in all.
    pub fn steps(&self) -> u64 {
        self.total
    }

    /// Whether every step has been taken.
    pub fn is_done(&self) -> bool {
        self.counter >= self.total
    }

    /// Mass updates made so far.
    pub fn mass_updates(&self) -> u32 {
        self.updates
    }

    /// The end (exclusive, in steps) of every slow window, in order, into
    /// `out`; returns how many (at most `out.len()` written). For tests and
    /// documentation.
    pub fn window_ends(&self, out: &mut [u64]) -> usize {
        let mut probe = *self;
        probe.counter = 0;
        let mut k = 0;
        while probe.mass && probe.counter < probe.total {
            if probe.end_of_window() {
                if k < out.len() {
                    out[k] = probe.counter + 1;
                }
                k += 1;
                probe.compute_next_window();
            }
            probe.counter += 1;
        }
        k.min(out.len())
    }

    /// Stan's `adaptation_window`: the current step's draw is accumulated.
    fn in_window(&self) -> bool {
        self.mass
            && self.counter >= self.init_buffer
            && self.counter < self.total - self.term_buffer
            && self.counter != self.total
    }

    /// Stan's `end_adaptation_window`.
    fn end_of_window(&self) -> bool {
        self.mass && self.counter == self.next_window && self.counter != self.total
    }

    /// Stan's `compute_next_window`.
    fn compute_next_window(&mut self) {
        let last = self.total - self.term_buffer - 1;
        if self.next_window == last {
            return;
        }
        self.window_size *= 2;
        self.next_window = self.counter + self.window_size;
        if self.next_window == last {
            return;
        }
        let boundary = self.next_window + 2 * self.window_size;
        if boundary >= self.total - self.term_buffer {
            self.next_window = last;
        }
    }

    /// Adds every walker's position (`x[i][w]`, `n` walkers) to the
    /// accumulators (Welford, one draw per walker).
    fn accumulate<const N: usize, const DW: usize>(&mut self, x: &[[f32; N]; DW], n: usize) {
        let d = (self.dim as usize).min(D).min(DW);
        for w in 0..n.min(N) {
            self.count += 1;
            let c = self.count as f64;
            for i in 0..d {
                let v = f64::from(x[i][w]);
                let delta = v - self.mean[i];
                self.mean[i] += delta / c;
                self.m2[i] += delta * (v - self.mean[i]);
            }
        }
    }

    /// The regularised variance estimate as masses 1/σ̂² into `mass`.
    fn masses(&self, mass: &mut [f32; D]) {
        let n = self.count as f64;
        let d = (self.dim as usize).min(D);
        for i in 0..d {
            let var = if self.count > 1 {
                self.m2[i] / (n - 1.0)
            } else {
                1.0
            };
            let reg = n / (n + 5.0) * var + 1e-3 * (5.0 / (n + 5.0));
            let m = 1.0 / reg;
            mass[i] = if m.is_finite() {
                (m as f32).clamp(MIN_MASS, MAX_MASS)
            } else {
                MAX_MASS
            };
        }
    }

    fn clear_window(&mut self) {
        self.count = 0;
        self.mean = [0.0; D];
        self.m2 = [0.0; D];
    }
}

/// Dual averaging as Stan restarts it: shrinkage toward 10× the step `h`.
fn stan_restart(h: f32, target: f32) -> Result<DualAveraging, Error> {
    DualAveraging::new(h, target)
}

impl<K: Kernel, const N: usize, const D: usize> Sampler<K, N, D> {
    /// Checks that a warm-up `mode` is possible with this sampler's kernel
    /// and returns its state, changing nothing: mass adaptation needs a
    /// kernel with a mass ([`Kernel::has_mass`]; else
    /// [`Error::InvalidConfig`] "mass adaptation needs a kernel with a mass
    /// matrix (HMC, NUTS, PMALA)"); an unadjusted kernel (ULA, which accepts
    /// every move) has nothing to adapt to and is refused too; so are no
    /// walkers, 0 steps and a target outside (0, 1).
    pub fn warmup_state(
        &self,
        mode: MassAdaptation,
        steps: usize,
        target: f32,
    ) -> Result<Warmup<D>, Error> {
        if mode != MassAdaptation::StepSizeOnly && !self.kernel().has_mass() {
            return Err(Error::InvalidConfig(
                "mass adaptation needs a kernel with a mass matrix (HMC, NUTS, PMALA)",
            ));
        }
        if !self.kernel().adjusted() {
            return Err(Error::InvalidConfig(
                "ULA accepts every move: nothing to adapt to",
            ));
        }
        if self.walkers().is_empty() {
            return Err(Error::Empty);
        }
        Warmup::new(mode, steps, self.walkers().dim(), target)
    }

    /// One step of the warm-up `state` (from [`Sampler::warmup_state`]):
    /// before the first step the kernel's mass is reset to the identity
    /// (mass adaptation only) and dual averaging starts from the current
    /// step size; each step adapts the step size, slow windows collect the
    /// walkers' positions and set the mass at their end (dual averaging then
    /// restarts), and the last step freezes the step size at its averaged
    /// iterate (which resets the diagnostics, as
    /// [`Sampler::freeze_step_size`]). A failing step changes nothing
    /// (sampler and state); `state` past its end is an error.
    pub fn warmup_step<E: Energy>(
        &mut self,
        energy: &E,
        state: &mut Warmup<D>,
    ) -> Result<StepSummary, Error> {
        if state.is_done() {
            return Err(Error::InvalidConfig("the warm-up is over"));
        }
        if state.dim as usize != self.walkers().dim() {
            return Err(Error::DimensionMismatch {
                expected: state.dim as usize,
                found: self.walkers().dim(),
            });
        }
        let before = self.dual_averaging();
        if state.counter == 0 {
            // From the kernel's current mass (the identity, or one set by
            // the caller, as Stan's initial inverse metric).
            let da = stan_restart(self.kernel().step_size(), state.target)?;
            self.start_adaptation_with(da);
        }
        let summary = match self.step(energy) {
            Ok(s) => s,
            Err(e) => {
                // Undo the start of adaptation (the step changed nothing).
                match before {
                    Some(da) => self.start_adaptation_with(da),
                    None => self.stop_adaptation(),
                }
                return Err(e);
            }
        };
        if state.in_window() {
            let (x, n) = (self.walkers().positions_soa(), self.walkers().len());
            state.accumulate(x, n);
        }
        if state.end_of_window() {
            state.compute_next_window();
            let mut mass = [1f32; D];
            state.masses(&mut mass);
            let d = state.dim as usize;
            // Masses are clamped into the kernel's range: cannot fail.
            self.kernel_mut().set_diagonal_mass(&mass[..d])?;
            state.updates += 1;
            state.clear_window();
            let h = self.kernel().step_size();
            self.start_adaptation_with(stan_restart(h, state.target)?);
        }
        state.counter += 1;
        if state.is_done() {
            self.freeze_step_size()?;
        }
        Ok(summary)
    }

    /// The whole warm-up: `steps` steps of [`Sampler::warmup_step`] with
    /// `mode`, toward acceptance `target`; at the end adaptation is frozen
    /// and the diagnostics reset. Everything is checked before the first
    /// step ([`Sampler::warmup_state`]), changing nothing on error; a step
    /// that fails stops the warm-up there (the steps before it stand, the
    /// sampler is still adapting: call [`Sampler::freeze_step_size`] or
    /// start again).
    pub fn warmup<E: Energy>(
        &mut self,
        energy: &E,
        steps: usize,
        mode: MassAdaptation,
        target: f32,
    ) -> Result<(), Error> {
        let mut state = self.warmup_state(mode, steps, target)?;
        while !state.is_done() {
            self.warmup_step(energy, &mut state)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FnEnergy, Gaussian, Hmc, Mala, Nuts, PMala, Ula, Walkers};

    fn ends(mode: MassAdaptation, steps: usize) -> ([u64; 16], usize) {
        let w = Warmup::<2>::new(mode, steps, 2, 0.8).unwrap();
        let mut out = [0u64; 16];
        let k = w.window_ends(&mut out);
        (out, k)
    }

    /// Stan's windows for 1000 warm-up iterations are the well-known
    /// 75–100, 100–150, 150–250, 250–450, 450–950 (the last stretched to the
    /// terminal buffer); for 100 iterations, 15 % / 75 % / 10 %: one window
    /// 15–90; none below 20.
    #[test]
    fn stan_schedule() {
        let (e, k) = ends(MassAdaptation::Stan, 1000);
        assert_eq!(&e[..k], &[100, 150, 250, 450, 950]);
        let (e, k) = ends(MassAdaptation::Stan, 100);
        assert_eq!(&e[..k], &[90]);
        let (_, k) = ends(MassAdaptation::Stan, 19);
        assert_eq!(k, 0);
        let (e, k) = ends(MassAdaptation::Ensemble, 300);
        assert_eq!(&e[..k], &[20, 30, 50, 90, 285]);
        let (_, k) = ends(MassAdaptation::StepSizeOnly, 300);
        assert_eq!(k, 0);
    }

    /// The variance estimate is Stan's regularised sample variance, from
    /// draws pooled over walkers: written out for a few values.
    #[test]
    fn regularised_variance() {
        let mut w = Warmup::<2>::new(MassAdaptation::Stan, 100, 2, 0.8).unwrap();
        let x: [[f32; 3]; 2] = [[1.0, 2.0, 4.0], [0.0, 0.0, 0.0]];
        w.accumulate(&x, 3);
        let x: [[f32; 3]; 2] = [[-1.0, 0.5, 3.0], [1.0, 1.0, 1.0]];
        w.accumulate(&x, 3);
        let d0 = [1.0f64, 2.0, 4.0, -1.0, 0.5, 3.0];
        let d1 = [0.0f64, 0.0, 0.0, 1.0, 1.0, 1.0];
        let var = |d: &[f64]| {
            let m = d.iter().sum::<f64>() / 6.0;
            d.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 5.0
        };
        let mut m = [0f32; 2];
        w.masses(&mut m);
        for (i, d) in [d0, d1].iter().enumerate() {
            let reg = 6.0 / 11.0 * var(d) + 1e-3 * 5.0 / 11.0;
            assert!(((1.0 / m[i] as f64) / reg - 1.0).abs() < 1e-6, "{i}");
        }
    }

    #[test]
    fn kernels_without_mass_are_refused() {
        let e = Gaussian::<2>::standard(2).unwrap();
        let w = Walkers::<4, 2>::gaussian(&e, 4, 1, &[0.0; 2], 1.0).unwrap();
        let s = Sampler::new(Mala::new(0.1).unwrap(), w.clone());
        assert_eq!(
            s.warmup_state(MassAdaptation::Stan, 100, 0.5),
            Err(Error::InvalidConfig(
                "mass adaptation needs a kernel with a mass matrix (HMC, NUTS, PMALA)"
            ))
        );
        assert!(
            s.warmup_state(MassAdaptation::StepSizeOnly, 100, 0.5)
                .is_ok()
        );
        let s = Sampler::new(Ula::new(0.1).unwrap(), w.clone());
        assert!(
            s.warmup_state(MassAdaptation::StepSizeOnly, 100, 0.5)
                .is_err()
        );
        let s = Sampler::new(Hmc::<2>::new(0.1, 3).unwrap(), w.clone());
        assert!(s.warmup_state(MassAdaptation::Ensemble, 100, 0.65).is_ok());
        assert!(s.warmup_state(MassAdaptation::Ensemble, 0, 0.65).is_err());
        assert!(s.warmup_state(MassAdaptation::Ensemble, 10, 1.0).is_err());
        let s = Sampler::new(PMala::<2>::new(0.1).unwrap(), w);
        assert!(s.warmup_state(MassAdaptation::Stan, 100, 0.574).is_ok());
        let mut k = Mala::new(0.1).unwrap();
        assert!(k.set_diagonal_mass(&[1.0, 1.0]).is_err());
        assert!(k.set_leapfrog_steps(3).is_err());
        let mut h = Hmc::<2>::new(0.1, 3).unwrap();
        assert!(Kernel::set_leapfrog_steps(&mut h, 0).is_err());
        assert_eq!(h.leapfrog_steps(), 3);
        assert!(Kernel::set_diagonal_mass(&mut h, &[1.0, 0.0]).is_err());
        assert_eq!(Kernel::diagonal_mass(&h, &mut [0.0; 2]), None);
    }

    /// A step that fails (ULA-like error from a declining energy at the
    /// first step) leaves the sampler as it was, adaptation included; the
    /// warm-up's state is unchanged too.
    #[test]
    fn a_failing_first_step_changes_nothing() {
        let good = Gaussian::<2>::standard(2).unwrap();
        let bad = FnEnergy::new(2, |_: &[f32], _: &mut [f32]| f32::NAN);
        let w = Walkers::<4, 2>::gaussian(&good, 4, 1, &[0.0; 2], 1.0).unwrap();
        let mut s = Sampler::new(Nuts::<2>::new(0.3).unwrap(), w);
        let mut st = s.warmup_state(MassAdaptation::Ensemble, 50, 0.8).unwrap();
        s.walkers_mut().invalidate();
        let (before, st0) = (s.clone(), st);
        assert!(s.warmup_step(&bad, &mut st).is_err());
        assert_eq!(st, st0);
        assert_eq!(s.walkers(), before.walkers());
        assert_eq!(s.kernel(), before.kernel());
        assert_eq!(s.dual_averaging(), None);
        s.warmup(&good, 50, MassAdaptation::Ensemble, 0.8).unwrap();
        assert!(!s.is_adapting());
        let mut m = [0f32; 2];
        assert_eq!(Kernel::diagonal_mass(s.kernel(), &mut m), Some(2));
        assert!(s.warmup_step(&good, &mut st).is_ok());
        let mut done = st;
        done.counter = done.total;
        assert!(s.warmup_step(&good, &mut done).is_err());
    }
}
