//! # tinyebm
//!
//! Sample and train Energy-Based Models on microcontrollers and inside C/C++
//! simulators. An EBM is a density ρθ(x) ∝ exp(−β·Uθ(x)); tinyebm evaluates
//! energies U with analytic gradients, runs Markov kernels over ensembles of
//! walkers, and trains θ online.
//!
//! The core is `no_std`, allocation-free and free of `unsafe`: every buffer is
//! a fixed-size array whose capacity is a const generic, with the size in use
//! chosen at run time (`n ≤ N` walkers, `d ≤ D` dimensions), so one compiled
//! body serves every size and a C API can pick sizes at run time.
//!
//! ## Architecture, bottom up
//!
//! * [`math`] — the one module that picks how elementary functions are
//!   computed (libm; `micromath` only for MLP activations).
//! * [`rng`] — one PCG32 [`Stream`] per walker from one seed; f32 uniforms on
//!   (0, 1) and ziggurat normals. Same seed, same bits, everywhere.
//! * [`energy`] — the [`Energy`] trait (U and ∇ₓU together, so kernels cache
//!   the gradient) with a batched entry point over all walkers, and
//!   [`Trainable`] (flat parameters, ∂θU accumulated with a scale).
//! * Built-in energies: [`Gaussian`], [`Polynomial`] (exponential family and
//!   the double well), [`Mixture`] (log-sum-exp), [`Mlp`] (smooth activations
//!   plus confinement ½α|x|²), [`DeepMlp`] (the same with 1 to L + 1 hidden
//!   layers of run-time widths). [`FnEnergy`] wraps a closure.
//! * [`walkers`] — [`Walkers`]: N chains in structure-of-arrays layout with
//!   cached U, ∇U and their streams, plus scratch so a step is built aside and
//!   committed all at once.
//! * [`kernel`] — the machinery every kernel shares: propose, evaluate,
//!   Metropolis–Hastings test in log space, all-or-nothing commit. The
//!   [`Kernel`] trait is open: a kernel outside the crate implements
//!   [`Kernel::propose`] and gets the rest.
//! * [`kernels`] — the registry: [`Ula`], [`Mala`], [`Rwmh`], [`Hmc`]
//!   (leapfrog, identity or diagonal mass) and [`Barker`], each a proposal
//!   family in its own file; [`KernelKind`] and [`KernelConfig`] build any of
//!   them at run time as an [`AnyKernel`] (what front ends such as the C API
//!   use). Adding a kernel: `docs/extending.md`.
//! * [`mass_adapt`] — windowed diagonal-mass adaptation with the step size
//!   ([`Sampler::warmup`], [`MassAdaptation`]) for kernels with a mass.
//! * [`adapt`] — dual-averaging step-size adaptation; [`diagnostics`] —
//!   acceptance, Welford moments, batch-means ESS and split-R̂ in fixed memory.
//! * [`sampler`] — [`Sampler`]: walkers + kernel + adaptation + diagnostics;
//!   [`Ensemble`]: walkers + kernel only, the leanest negative phase.
//! * [`tempering`] — [`ReplicaExchange`]: replicas of the walkers on a ladder
//!   of inverse temperatures, any kernel inside, exact neighbour swaps; for
//!   multimodal targets. Both it and [`Sampler`] implement [`NegativePhase`].
//! * [`optim`] — [`Sgd`] and [`Adam`] on flat parameter vectors, with global
//!   norm clipping and L2 weight decay; fixed state, all-or-nothing steps.
//! * [`pcd`] — [`Pcd`]: online training of any [`Trainable`] energy from a
//!   stream of data points, with any [`NegativePhase`] sampler, as PCD, CD or
//!   Jarzynski-weighted PCD ([`jarzynski`]: importance weights, log Z and
//!   systematic resampling); refuses non-finite updates without changing θ.
//! * [`ed`] — [`Ed`]: sampling-free training by energy discrepancy
//!   (Schröder et al. 2023): U and ∂θU at data and a few perturbed copies,
//!   no walkers.
//! * [`ais`] — [`Ais`]: annealed importance sampling from a Gaussian base
//!   to ρ with any kernel, for log Z with its standard error and ESS, and
//!   [`held_out_nll`]: how good a model is (`docs/evaluation.md`).
//! * [`anomaly`] — an energy as an anomaly score: a split-conformal
//!   [`Threshold`] with a guaranteed false-alarm rate, [`EarlyStop`] for
//!   training on a finite set, [`auroc`].
//! * [`weights`] — the portable weight format: [`Persist`] encodes any
//!   trainable model into a versioned little-endian byte layout closed by a
//!   [`crc32`], and decodes it with every field validated; [`peek`] reads the
//!   kind and sizes first so a C caller can size its buffers.
//!
//! ## References
//!
//! \[1\] D. Carbone, *Hitchhiker's guide on Energy-Based Models: a
//! comprehensive review on the relation with other generative models,
//! sampling and statistical physics*, arXiv:2406.13661, 2024 ("the review":
//! EBMs §2, sampling §4, training §6). \[2\] D. Carbone, M. Hua, S. Coste,
//! E. Vanden-Eijnden, *Efficient Training of Energy-Based Models Using
//! Jarzynski Equality*, NeurIPS 2023 (the Jarzynski trainer). Kernel papers
//! are cited in each kernel's module. Full list: `docs/references.md`.
//!
//! ## Errors
//!
//! Bad input (wrong sizes, capacities, non-finite configuration or energies)
//! returns an [`Error`]; nothing panics on bad numbers, and a failed call
//! leaves its object exactly as it was. A non-finite U or ∇U at a proposal
//! is a rejection for MALA and MH, and an error (state unchanged) for ULA.
//!
//! ## Panics
//!
//! One policy per kind of function:
//!
//! * **Constructors, setters, steps, updates and everything that takes
//!   sizes, capacities, indices into a `Result`-returning call,
//!   configuration or data** return an [`Error`], never panic (also at
//!   `usize::MAX`, e.g. [`Walkers::position`]), and leave their object as
//!   it was.
//! * **Size helpers** ([`num_monomials`], [`mlp_param_count`] and their
//!   `checked_*` forms) are total: exact, `0`/`None` when the count does not
//!   fit in `usize`, a bounded number of steps whatever the arguments.
//! * **Plain index accessors** that return a value (`Walkers::coord`,
//!   `grad`, `last_step`; `Mixture::weight`, `mean`, `sigma`;
//!   `Gaussian::precision`; `Polynomial::exponents`; `Evals::is_valid`)
//!   panic on an index outside the size in use, like slice indexing, and say
//!   so under "Panics"; they never return a stale or made-up value.
//!   Accessors of optional parts return `Option` (e.g.
//!   [`ReplicaExchange::replica`]).
//! * **Statistics** ([`Diagnostics`]) return NaN where there is no
//!   information, including a coordinate that was not recorded, and
//!   summaries over coordinates propagate a NaN.
//! * [`Stream::below`]`(0)` is `below(1)` (0).
//!
//! ## Floating-point environment
//!
//! "Same seed, same bits" holds in the default floating-point environment:
//! round-to-nearest-even, no flush-to-zero or denormals-are-zero, and
//! floating-point exceptions not trapping. A callback energy (e.g. through
//! the C API) that changes the environment (rounding mode, FTZ/DAZ bits of
//! MXCSR or FPSCR) must restore it before returning; otherwise results may
//! differ from the reference bits (they stay valid floating-point results:
//! the crate never relies on the environment for safety).
//!
//! ## Example
//!
//! ```
//! use tinyebm::{Mixture, Mala, Sampler, Walkers, adapt::MALA_TARGET};
//!
//! // The review's 1-D mixture: 0.7·N(0, 1) + 0.3·N(5, 0.5²).
//! let target = Mixture::review_example();
//! let walkers = Walkers::<64, 1>::gaussian(&target, 64, 7, &[0.0], 3.0)?;
//! let mut sampler = Sampler::new(Mala::new(0.5)?, walkers);
//! sampler.start_adaptation(MALA_TARGET)?;
//! sampler.run(&target, 500)?;
//! sampler.freeze_step_size()?;
//! sampler.reset_diagnostics();
//! sampler.run(&target, 500)?;
//! let acc = sampler.diagnostics().acceptance_rate();
//! assert!(acc > 0.3 && acc < 0.9);
//! # Ok::<(), tinyebm::Error>(())
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Numerical loops index several parallel arrays (x[i][w], g[i][w], y[i][w]) with
// the same index; iterator zips would hide that structure, not improve it.
#![allow(clippy::needless_range_loop)]

pub mod activation;
pub mod adapt;
pub mod ais;
pub mod anomaly;
pub mod checkpoint;
pub mod confined;
pub mod crc32;
pub mod data;
pub mod deep_mlp;
pub mod diagnostics;
pub mod draws;
pub mod ed;
pub mod ema;
pub mod energy;
pub mod error;
pub mod gaussian;
pub mod jarzynski;
pub mod kernel;
pub mod kernels;
mod linalg;
pub mod mass_adapt;
pub mod math;
pub mod mixture;
pub mod mlp;
pub mod model;
pub mod optim;
pub mod pcd;
pub mod polynomial;
pub mod rng;
pub mod sampler;
pub mod schedule;
pub mod tempering;
mod train_step;
pub mod walkers;
pub mod weights;

pub use activation::Activation;
pub use adapt::DualAveraging;
pub use ais::{
    Ais, AisConfig, AisResult, Annealed, AnnealingSchedule, Base, HeldOut, held_out_nll,
};
pub use anomaly::{EarlyStop, Threshold, auroc};
pub use checkpoint::{Adaptation, CheckpointKind, KernelRecord, KernelState};
pub use confined::Confined;
pub use data::Epochs;
pub use deep_mlp::{DeepMlp, checked_deep_mlp_param_count, deep_mlp_param_count};
pub use diagnostics::Diagnostics;
pub use draws::{RankDiagnostics, rank_diagnostics};
pub use ed::{Ed, EdConfig, EdMetrics};
pub use ema::{Best, Ema};
pub use energy::{Energy, EvalError, Evals, FnEnergy, Soa, Trainable};
pub use error::Error;
pub use gaussian::Gaussian;
pub use kernel::{Kernel, Proposal, StepSummary};
// The registry's kernels, their kinds and configuration, all at the root.
pub use kernels::*;
pub use mass_adapt::{MassAdaptation, Warmup};
pub use mixture::Mixture;
pub use mlp::{Mlp, checked_mlp_param_count, mlp_param_count};
pub use optim::{Adam, AnyOptimizer, Optimizer, Sgd};
pub use pcd::{Config as PcdConfig, Metrics, Mode, Pcd, Reinit};
pub use polynomial::{Polynomial, checked_num_monomials, num_monomials};
pub use rng::Stream;
pub use sampler::{Ensemble, Langevin, NegativePhase, Sampler};
pub use schedule::{Decay, LrSchedule};
pub use tempering::{ReplicaExchange, SwapStats};
pub use walkers::{StepInfo, TreeStats, Walkers};
pub use weights::{Header, ModelCodec, Persist, peek};

// The built-in models as one set (kept apart from the list above).
pub use model::{AnyModel, BuiltIn, ModelConfig, ModelKind};
