//! Models with a confinement term, U(x) = f_θ(x) + ½α|x|² (the MLPs): the
//! term keeps ρ ∝ exp(−βU) normalisable whatever θ is, and with f_θ = 0
//! (`Mlp::init_confined`, `DeepMlp::init_confined`) ρ is N(0, 1/(αβ)·I)
//! exactly — a start whose samples and log Z are known, which
//! Jarzynski-weighted training and annealing need.

use crate::deep_mlp::DeepMlp;
use crate::energy::Energy;
use crate::error::Error;
use crate::mlp::Mlp;
use crate::walkers::Walkers;

/// A model U(x) = f_θ(x) + ½α|x|².
pub trait Confined: Energy {
    /// The confinement strength α (> 0).
    fn confinement(&self) -> f32;

    /// The standard deviation 1/√(αβ) of ρ ∝ exp(−β·½α|x|²) per coordinate;
    /// an error unless β is finite and > 0.
    fn confinement_sd(&self, beta: f32) -> Result<f32, Error> {
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidConfig("beta must be finite and > 0"));
        }
        let sd = 1.0 / crate::math::sqrt(self.confinement() * beta);
        if sd.is_finite() && sd > 0.0 {
            Ok(sd)
        } else {
            Err(Error::InvalidConfig(
                "1/sqrt(alpha * beta) must be finite and > 0",
            ))
        }
    }

    /// log Z of the pure confinement, ∫ exp(−β·½α|x|²) dx =
    /// (d/2)·ln(2π/(αβ)): the model's log Z when f_θ = 0. NaN unless
    /// β > 0 is finite.
    fn confinement_log_z(&self, beta: f32) -> f64 {
        let ab = f64::from(self.confinement()) * f64::from(beta);
        if !(beta.is_finite() && beta > 0.0) {
            return f64::NAN;
        }
        0.5 * self.dim() as f64 * libm::log(core::f64::consts::TAU / ab)
    }
}

impl<const D: usize, const H: usize> Confined for Mlp<D, H> {
    fn confinement(&self) -> f32 {
        self.alpha()
    }
}

impl<const D: usize, const H: usize, const L: usize> Confined for DeepMlp<D, H, L> {
    fn confinement(&self) -> f32 {
        self.alpha()
    }
}

impl<const N: usize, const D: usize> Walkers<N, D> {
    /// `n` walkers drawn exactly from N(0, 1/(αβ)·I), the density of a
    /// confined model at inverse temperature `beta` whose f_θ is zero (e.g.
    /// `Mlp::init_confined`); streams from `seed`. The same draws as
    /// [`Walkers::gaussian`] centred at 0 with sd
    /// [`Confined::confinement_sd`].
    pub fn from_confinement<E: Confined>(
        energy: &E,
        n: usize,
        seed: u64,
        beta: f32,
    ) -> Result<Self, Error> {
        let sd = energy.confinement_sd(beta)?;
        Self::gaussian(energy, n, seed, &[0.0; D][..energy.dim().min(D)], sd)
    }
}
