//! A trainer's configuration from C: the training mode, walker
//! re-initialisation and optimiser choices, the configuration struct with
//! its defaults, the metrics struct, and the validation of a configuration
//! into the core's settings (everything that does not need the energy).

use core::cmp::min;
use ebm::{Adam, AnyKernel, AnyOptimizer, Error, Mode, PcdConfig, Reinit, Sgd};

use crate::handle::check_null;
use crate::kernel::{TebmKernel, TebmKernelConfig};
use crate::status::TebmStatus;
use crate::{TEBM_MAX_DIM, TEBM_MAX_PARAMS, TEBM_MAX_TRAIN_WALKERS};

/// How a trainer produces its negative phase (`TebmTrainerConfig::mode`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmTrainMode {
    /// Persistent contrastive divergence: walkers carry over between updates.
    Pcd = 0,
    /// Contrastive divergence: each update restarts the walkers from the
    /// most recent data points.
    Cd = 1,
    /// PCD with Jarzynski importance weights (ULA kernel only): resamples
    /// when the weights' ESS falls below `ess_threshold`·n.
    Jarzynski = 2,
}

/// Walker re-initialisation in PCD mode (`TebmTrainerConfig::reinit`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmReinit {
    /// Never.
    Never = 0,
    /// From one of the most recent data points, with probability
    /// `reinit_prob` per walker and update.
    Data = 1,
    /// From N(0, `reinit_sd`²·I), with probability `reinit_prob`.
    Gaussian = 2,
}

/// Optimiser of a trainer (`TebmTrainerConfig::optimizer`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmOptimizer {
    /// SGD with heavy-ball momentum `momentum`.
    Sgd = 0,
    /// Adam with `adam_beta1`, `adam_beta2`, `adam_eps`.
    Adam = 1,
}

/// How to build a trainer. Start from `tebm_trainer_config_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TebmTrainerConfig {
    /// Kernel of the negative phase. Jarzynski mode needs ULA.
    pub kernel: TebmKernelConfig,
    /// Number of walkers, 1..=`TEBM_MAX_TRAIN_WALKERS`.
    pub n_walkers: usize,
    /// Seed of the walkers' random streams.
    pub seed: u64,
    /// Inverse temperature β of the kernel (> 0).
    pub beta: f32,
    /// Initial walker positions (n_walkers × dim, walker-major) or NULL to
    /// draw them from N(`init_center`, `init_sd`²·I).
    pub init_positions: *const f32,
    /// Centre of the initial Gaussian (dim floats) or NULL for the origin.
    pub init_center: *const f32,
    /// Standard deviation of the initial Gaussian (≥ 0).
    pub init_sd: f32,
    /// A `TebmTrainMode` value.
    pub mode: u32,
    /// Jarzynski: resampling threshold in [0, 1].
    pub ess_threshold: f32,
    /// Data points per update (≥ 1).
    pub batch_size: usize,
    /// Kernel steps K per update (≥ 1).
    pub steps: usize,
    /// λ of the energy regulariser λ·(E_data[U²] + E_walkers[U²]) (≥ 0).
    pub energy_l2: f32,
    /// A `TebmReinit` value (PCD mode only).
    pub reinit: u32,
    /// Per-walker re-initialisation probability per update, in [0, 1].
    pub reinit_prob: f32,
    /// Standard deviation of Gaussian re-initialisation (> 0).
    pub reinit_sd: f32,
    /// Seed of the trainer's own stream (Jarzynski resampling).
    pub trainer_seed: u64,
    /// A `TebmOptimizer` value.
    pub optimizer: u32,
    /// Learning rate η (≥ 0).
    pub learning_rate: f32,
    /// SGD momentum μ in [0, 1).
    pub momentum: f32,
    /// Adam β₁ in [0, 1).
    pub adam_beta1: f32,
    /// Adam β₂ in [0, 1).
    pub adam_beta2: f32,
    /// Adam ε (> 0).
    pub adam_eps: f32,
    /// Clip the gradient to this global norm; 0 (or ∞) for no clipping.
    pub clip_norm: f32,
    /// L2 weight decay coefficient (≥ 0).
    pub weight_decay: f32,
}

/// What the last update measured, and the trainer's counters
/// (`tebm_trainer_metrics`). Values are NaN before the first update.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TebmTrainerMetrics {
    /// Mean U over the last update's batch.
    pub data_energy: f32,
    /// (Weighted) mean U over the walkers at that update.
    pub walker_energy: f32,
    /// walker_energy − data_energy (positive while data sit below samples).
    pub gap: f32,
    /// Mean acceptance probability of the update's kernel steps.
    pub acceptance: f32,
    /// Effective sample size of the walker weights (n when unweighted).
    pub ess: f32,
    /// Jarzynski: log Z_θ − log Z_θ₀ estimate (NaN otherwise).
    pub log_z: f32,
    /// Jarzynski: cross-entropy estimate up to a constant (NaN otherwise).
    pub cross_entropy: f32,
    /// Norm of the gradient handed to the optimiser (before clipping).
    pub grad_norm: f32,
    /// 1 when the walkers were resampled at the last update.
    pub resampled: u32,
    /// Updates done.
    pub updates: u64,
    /// Updates refused (non-finite values; θ and the optimiser kept).
    pub rejected: u64,
    /// Data points collected toward the next update.
    pub batch_len: usize,
    /// Number of walkers.
    pub n_walkers: usize,
    /// Dimension.
    pub dim: usize,
    /// Number of parameters trained.
    pub num_params: usize,
    /// Current learning rate.
    pub learning_rate: f32,
}

/// Fills `*cfg` with defaults: ULA, 16 walkers (at most `TEBM_MAX_TRAIN_WALKERS`), seed 1, step size 0.01,
/// β = 1, 10 leapfrog steps, identity mass, walkers from N(0, 1); PCD,
/// batches of 16, one kernel step per update, no regulariser, no
/// re-initialisation (probability 0.05, sd 1 when enabled), trainer seed 0;
/// Adam (η = 0.001, β₁ 0.9, β₂ 0.999, ε 1e-8; SGD momentum 0.9 when
/// chosen), no clipping, no weight decay.
///
/// # Safety
/// `cfg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_trainer_config_default(cfg: *mut TebmTrainerConfig) -> TebmStatus {
    check_null!(cfg);
    let c = TebmTrainerConfig {
        kernel: TebmKernelConfig::new(TebmKernel::Ula, 0.01),
        // Capped by the build's capacity (the default build: 16).
        n_walkers: min(16, TEBM_MAX_TRAIN_WALKERS),
        seed: 1,
        beta: 1.0,
        init_positions: core::ptr::null(),
        init_center: core::ptr::null(),
        init_sd: 1.0,
        mode: TebmTrainMode::Pcd as u32,
        ess_threshold: 0.5,
        batch_size: 16,
        steps: 1,
        energy_l2: 0.0,
        reinit: TebmReinit::Never as u32,
        reinit_prob: 0.05,
        reinit_sd: 1.0,
        trainer_seed: 0,
        optimizer: TebmOptimizer::Adam as u32,
        learning_rate: 1e-3,
        momentum: 0.9,
        adam_beta1: 0.9,
        adam_beta2: 0.999,
        adam_eps: 1e-8,
        clip_norm: 0.0,
        weight_decay: 0.0,
    };
    // SAFETY: non-null and writable per contract.
    unsafe { cfg.write(c) };
    TebmStatus::Ok
}

/// Everything of a configuration that does not need the energy.
pub(crate) struct Plan {
    pub(crate) kernel: AnyKernel<TEBM_MAX_DIM>,
    pub(crate) pcfg: PcdConfig,
}

/// # Safety
/// The config's mass is NULL or `dim` readable floats.
pub(crate) unsafe fn plan(c: &TebmTrainerConfig, dim: usize) -> Result<Plan, Error> {
    // SAFETY: forwarded contract.
    let kernel = unsafe { c.kernel.build(dim)? };
    if !(c.beta.is_finite() && c.beta > 0.0) {
        return Err(Error::InvalidConfig("inverse temperature beta must be > 0"));
    }
    let mode = match c.mode {
        0 => Mode::Pcd,
        1 => Mode::Cd,
        2 => Mode::Jarzynski {
            ess_threshold: c.ess_threshold,
        },
        _ => return Err(Error::InvalidConfig("unknown training mode")),
    };
    let reinit = match c.reinit {
        0 => Reinit::Never,
        1 => Reinit::Data {
            prob: c.reinit_prob,
        },
        2 => Reinit::Gaussian {
            prob: c.reinit_prob,
            sd: c.reinit_sd,
        },
        _ => return Err(Error::InvalidConfig("unknown re-initialisation policy")),
    };
    if c.n_walkers == 0 || c.batch_size == 0 || c.steps == 0 {
        return Err(Error::Empty);
    }
    if c.n_walkers > TEBM_MAX_TRAIN_WALKERS {
        return Err(Error::CapacityExceeded {
            requested: c.n_walkers,
            capacity: TEBM_MAX_TRAIN_WALKERS,
        });
    }
    let mut pcfg = PcdConfig::new(mode);
    pcfg.batch_size = c.batch_size;
    pcfg.steps = c.steps;
    pcfg.energy_l2 = c.energy_l2;
    pcfg.reinit = reinit;
    pcfg.seed = c.trainer_seed;
    Ok(Plan { kernel, pcfg })
}

/// The optimiser `c` asks for, on `p ≤ P` parameters. With `P = 1` (and
/// `p = 1`) a few bytes: how the settings are validated before anything is
/// written.
pub(crate) fn optimizer<const P: usize>(
    c: &TebmTrainerConfig,
    p: usize,
) -> Result<AnyOptimizer<P>, Error> {
    Ok(match c.optimizer {
        0 => AnyOptimizer::Sgd(
            Sgd::new(p, c.learning_rate, c.momentum)?
                .with_clip_norm(clip(c))?
                .with_weight_decay(c.weight_decay)?,
        ),
        1 => AnyOptimizer::Adam(
            Adam::with_moments(p, c.learning_rate, c.adam_beta1, c.adam_beta2, c.adam_eps)?
                .with_clip_norm(clip(c))?
                .with_weight_decay(c.weight_decay)?,
        ),
        _ => return Err(Error::InvalidConfig("unknown optimizer")),
    })
}

fn clip(c: &TebmTrainerConfig) -> f32 {
    if c.clip_norm == 0.0 {
        f32::INFINITY
    } else {
        c.clip_norm
    }
}

/// Makes `o` equal to `optimizer(c, p)` in place (no optimiser-sized
/// temporary). Checked beforehand (`optimizer::<1>` and `p ≤ P`), so it
/// cannot fail; an error is still returned rather than a panic.
pub(crate) fn optimizer_in_place(
    o: &mut AnyOptimizer<TEBM_MAX_PARAMS>,
    c: &TebmTrainerConfig,
    p: usize,
) -> Result<(), Error> {
    let want_adam = match c.optimizer {
        0 => false,
        1 => true,
        _ => return Err(Error::InvalidConfig("unknown optimizer")),
    };
    if matches!(o, AnyOptimizer::Adam(_)) != want_adam {
        let q: *mut AnyOptimizer<TEBM_MAX_PARAMS> = o;
        // SAFETY: `q` comes from an exclusive reference, so it is valid for
        // writing one `AnyOptimizer`, which has no destructor (plain data).
        // `AnyOptimizer` is `repr(u8)` (see its docs): its first byte is
        // the tag (0 = Sgd, 1 = Adam) and all-zero bytes are a valid `Sgd`,
        // as are tag 1 and zero bytes a valid `Adam` (integers, floats, a
        // bool). So after these writes `*q` (and `o`) is a valid value of
        // the wanted variant.
        unsafe {
            q.write_bytes(0, 1);
            if want_adam {
                q.cast::<u8>().write(1);
            }
        }
    }
    match o {
        AnyOptimizer::Sgd(s) => {
            s.reinit(p, c.learning_rate, c.momentum)?;
            s.set_clip_norm(clip(c))?;
            s.set_weight_decay(c.weight_decay)
        }
        AnyOptimizer::Adam(a) => {
            a.reinit_with_moments(p, c.learning_rate, c.adam_beta1, c.adam_beta2, c.adam_eps)?;
            a.set_clip_norm(clip(c))?;
            a.set_weight_decay(c.weight_decay)
        }
    }
}
