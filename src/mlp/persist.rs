//! The MLP in the weight format: its configuration block and [`Persist`],
//! which validates a whole file before writing a model in place.

use super::{Mlp, checked_mlp_param_count};
use crate::activation::Activation;
use crate::energy::Energy;
use crate::error::{Error, check_positive, check_size};
use crate::model::{ModelConfig, ModelKind};
use crate::weights::{
    ConfigBlock, INCONSISTENT, ModelCodec, Persist, Reader, encode_with, f32s, fill, open,
};

/// The configuration block: d, h, the activation's tag, then α (f32).
pub(crate) fn config_block(d: usize, h: usize, activation: Activation) -> ConfigBlock {
    let ints = [d, h, usize::from(activation as u8)];
    ConfigBlock::new(&ints, Some(4), checked_mlp_param_count(d, h))
}

/// Reads [`config_block`]'s integer fields; an unknown activation tag is
/// [`Error::CorruptData`].
pub(crate) fn read_config(r: &mut Reader<'_>) -> Result<ModelConfig, Error> {
    let d = r.size()?;
    let h = r.size()?;
    let activation = u8::try_from(r.u32()?)
        .ok()
        .and_then(Activation::from_tag)
        .ok_or(Error::CorruptData("unknown activation code"))?;
    Ok(ModelConfig::Mlp { d, h, activation })
}

impl<const D: usize, const H: usize> ModelCodec for Mlp<D, H> {
    const KIND: ModelKind = ModelKind::Mlp;

    fn check_capacity(config: &ModelConfig) -> Result<(), Error> {
        match *config {
            ModelConfig::Mlp { d, h, .. } => {
                check_size(d, D)?;
                check_size(h, H)
            }
            _ => Err(INCONSISTENT),
        }
    }
}

impl<const D: usize, const H: usize> Persist for Mlp<D, H> {
    fn config(&self) -> ModelConfig {
        ModelConfig::Mlp {
            d: self.dim(),
            h: self.hidden(),
            activation: self.activation(),
        }
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_with(
            out,
            &self.config(),
            |w| w.f32(self.alpha()),
            |w| self.visit_params(|v| w.f32(v)),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let (d, h, activation, alpha, params) = mlp_frame::<D, H>(bytes)?;
        let mut m = Mlp::zeros(d, h, activation, alpha)?;
        m.load_params(f32s(params))?;
        Ok(m)
    }

    fn decode_into(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let (d, h, activation, alpha, params) = mlp_frame::<D, H>(bytes)?;
        // Everything was checked: neither call can fail now, so `self` is
        // never left half-written.
        self.reinit_zeros(d, h, activation, alpha)?;
        self.load_params(f32s(params))
    }

    fn validate(bytes: &[u8]) -> Result<(), Error> {
        mlp_frame::<D, H>(bytes).map(|_| ())
    }
}

/// Validation steps 1–9 of an MLP file for `Mlp<D, H>`, without building
/// the model: d, h, activation, α and the parameter bytes (all finite,
/// exactly `num_params` of them).
fn mlp_frame<const D: usize, const H: usize>(
    bytes: &[u8],
) -> Result<(usize, usize, Activation, f32, &[u8]), Error> {
    let f = open::<Mlp<D, H>>(bytes)?;
    let ModelConfig::Mlp { d, h, activation } = f.config else {
        return Err(INCONSISTENT);
    };
    let mut alpha = [0f32; 1];
    fill(&mut alpha, f.values);
    let alpha = alpha[0];
    // The checks of `Mlp::zeros` (sizes passed `open`) and `load_params`.
    check_positive(alpha, "confinement alpha must be > 0")?;
    if Some(f32s(f.params).count()) != checked_mlp_param_count(d, h) {
        return Err(INCONSISTENT);
    }
    if !f32s(f.params).all(f32::is_finite) {
        return Err(Error::InvalidParameters("MLP weights"));
    }
    Ok((d, h, activation, alpha, f.params))
}
