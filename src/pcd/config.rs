//! The trainer's configuration ([`Config`], [`Mode`], [`Reinit`]) and
//! what an update reports ([`Metrics`]).

use crate::error::{Error, check_positive};

/// How the negative phase is produced. `repr(u8)` (tag first, 0 = `Pcd`,
/// which has no fields; explicit discriminants): all-zero bytes are a valid
/// value, see [`Pcd`](crate::Pcd).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub enum Mode {
    /// Persistent contrastive divergence (review, Algorithm 2): the walkers
    /// carry over between updates.
    Pcd = 0,
    /// Contrastive divergence (Algorithm 1): each update restarts the walkers
    /// from the most recent data points, then takes [`Config::steps`] steps.
    Cd = 1,
    /// PCD with Jarzynski importance weights (Carbone et al. 2023): an
    /// unbiased estimate of E_θ\[∂θU\] with a ULA sampler
    /// ([`NegativePhase::langevin`](crate::NegativePhase::langevin) must be `Some`). Resamples when the
    /// weights' ESS falls below `ess_threshold`·n (in [0, 1]; 0 never
    /// resamples, 1 resamples at every update). Walkers should start as draws
    /// from the initial model ρ_θ₀.
    Jarzynski {
        /// ESS fraction below which walkers are resampled.
        ess_threshold: f32,
    } = 2,
}

// The layout the C API's zeroed storage relies on (see `Pcd`): a one-byte
// tag first, padded to the f32 fields; unchanged by `repr(u8)` (Reinit was
// 12 bytes, align 4, before it).
const _: () = {
    use core::mem::{align_of, size_of};
    assert!(size_of::<Reinit>() == 12 && align_of::<Reinit>() == 4);
    assert!(size_of::<Mode>() == 8 && align_of::<Mode>() == 4);
};

/// Occasional walker re-initialisation in PCD mode: at each update, each
/// walker restarts with probability `prob`, decided and drawn from its own
/// random stream (so it is reproducible from the seed).
///
/// `repr(u8)` (tag first, 0 = `Never`, which has no fields): all-zero bytes
/// are a valid value, see [`Pcd`](crate::Pcd). The explicit discriminants
/// state it in the code; the C API's zeroed trainer storage relies on it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub enum Reinit {
    /// Walkers are never re-initialised.
    Never = 0,
    /// From one of the most recent data points, chosen uniformly.
    Data {
        /// Per-walker probability per update.
        prob: f32,
    } = 1,
    /// From N(0, sd²·I).
    Gaussian {
        /// Per-walker probability per update.
        prob: f32,
        /// Standard deviation of the draw.
        sd: f32,
    } = 2,
}

/// Trainer configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// How the negative phase is produced.
    pub mode: Mode,
    /// Data points per update (≥ 1).
    pub batch_size: usize,
    /// Kernel steps K per update (≥ 1); in CD mode the steps from data.
    pub steps: usize,
    /// λ of the energy regulariser λ·(E_data\[U²\] + E_walkers\[U²\]) (≥ 0).
    pub energy_l2: f32,
    /// Re-initialisation of walkers (PCD mode only).
    pub reinit: Reinit,
    /// Seed of the trainer's own stream (systematic resampling).
    pub seed: u64,
}

impl Config {
    /// Batches of 32, one step per update, no regulariser, no
    /// re-initialisation, seed 0.
    pub const fn new(mode: Mode) -> Self {
        Config {
            mode,
            batch_size: 32,
            steps: 1,
            energy_l2: 0.0,
            reinit: Reinit::Never,
            seed: 0,
        }
    }

    /// The checks [`Pcd::new`](crate::Pcd::new) and [`Pcd::reinit`](crate::Pcd::reinit) apply to a configuration
    /// (sizes and the Jarzynski mode's need for a ULA sampler aside), e.g.
    /// to validate everything before changing anything.
    pub fn validate(&self) -> Result<(), Error> {
        if self.batch_size == 0 || self.steps == 0 {
            return Err(Error::Empty);
        }
        if !(self.energy_l2.is_finite() && self.energy_l2 >= 0.0) {
            return Err(Error::InvalidConfig(
                "energy regulariser must be finite and ≥ 0",
            ));
        }
        let prob_ok = |p: f32| (0.0..=1.0).contains(&p);
        match self.reinit {
            Reinit::Never => {}
            Reinit::Data { prob } if prob_ok(prob) => {}
            Reinit::Gaussian { prob, sd } if prob_ok(prob) => {
                check_positive(sd, "re-initialisation sd must be > 0")?
            }
            _ => {
                return Err(Error::InvalidConfig(
                    "re-initialisation probability must be in [0, 1]",
                ));
            }
        }
        match self.mode {
            Mode::Jarzynski { ess_threshold } => {
                if !(0.0..=1.0).contains(&ess_threshold) {
                    return Err(Error::InvalidConfig("ESS threshold must be in [0, 1]"));
                }
                if self.reinit != Reinit::Never {
                    // A re-initialised walker has no known importance weight.
                    return Err(Error::InvalidConfig(
                        "Jarzynski mode cannot re-initialise walkers",
                    ));
                }
                Ok(())
            }
            Mode::Pcd | Mode::Cd => Ok(()),
        }
    }
}

/// What one update measured, at the parameters θ_k it started from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metrics {
    /// Mean U over the batch.
    pub data_energy: f32,
    /// (Weighted) mean U over the walkers.
    pub walker_energy: f32,
    /// `walker_energy − data_energy`: positive while the model puts data
    /// below its own samples; near 0 at a fixed point.
    pub gap: f32,
    /// Mean acceptance probability of the update's kernel steps (1 for ULA).
    pub acceptance: f32,
    /// Effective sample size of the walker weights, 1/Σpᵢ² (n when unweighted).
    pub ess: f32,
    /// Estimate of log Z_θk − log Z_θ₀, Z = ∫exp(−βU) (Jarzynski; NaN
    /// otherwise). It drifts low when the optimiser's steps follow the
    /// walkers' noise (Adam); see [`crate::jarzynski`].
    pub log_z: f32,
    /// Cross-entropy estimate β·`data_energy` + `log_z`, exact up to the
    /// constant log Z_θ₀ (Jarzynski; NaN otherwise).
    pub cross_entropy: f32,
    /// Euclidean norm of the gradient G handed to the optimiser (before clipping).
    pub grad_norm: f32,
    /// Whether the walkers were resampled at the end of the update.
    pub resampled: bool,
    /// Updates refused so far.
    pub rejected: u64,
    /// Updates done so far, this one included.
    pub updates: u64,
}

crate::train_step::impl_counted!(Metrics);

impl Metrics {
    pub(super) const NONE: Metrics = Metrics {
        data_energy: f32::NAN,
        walker_energy: f32::NAN,
        gap: f32::NAN,
        acceptance: f32::NAN,
        ess: f32::NAN,
        log_z: f32::NAN,
        cross_entropy: f32::NAN,
        grad_norm: f32::NAN,
        resampled: false,
        rejected: 0,
        updates: 0,
    };
}
