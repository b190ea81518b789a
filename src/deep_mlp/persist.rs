//! The weight format of a [`DeepMlp`]: its configuration block and codec.

use crate::activation::Activation;
use crate::error::{Error, check_positive, check_size};
use crate::model::{ModelConfig, ModelKind};
use crate::weights::{
    ConfigBlock, INCONSISTENT, ModelCodec, Persist, Reader, encode_with, f32s, fill, open,
};

use super::*;

/// The configuration block: d, the number of hidden layers n (1 to
/// [`MAX_LAYERS`]), the n widths, the activation's tag, then α (f32).
pub(crate) fn config_block(d: usize, widths: &[usize], activation: Activation) -> ConfigBlock {
    let n = widths.len().min(MAX_LAYERS);
    let mut ints = [0usize; MAX_LAYERS + 3];
    ints[0] = d;
    ints[1] = n;
    ints[2..2 + n].copy_from_slice(&widths[..n]);
    ints[2 + n] = usize::from(activation as u8);
    ConfigBlock::new(
        &ints[..n + 3],
        Some(4),
        checked_deep_mlp_param_count(d, widths),
    )
}

/// Reads [`config_block`]'s integer fields: a zero size is
/// [`Error::Empty`], more than [`MAX_LAYERS`] layers
/// [`Error::CapacityExceeded`], an unknown activation tag
/// [`Error::CorruptData`].
pub(crate) fn read_config(r: &mut Reader<'_>) -> Result<ModelConfig, Error> {
    let d = r.size()?;
    let layers = r.size()?;
    if layers > MAX_LAYERS {
        return Err(Error::CapacityExceeded {
            requested: layers,
            capacity: MAX_LAYERS,
        });
    }
    let mut widths = [0; MAX_LAYERS];
    for w in &mut widths[..layers] {
        *w = r.size()?;
    }
    let activation = u8::try_from(r.u32()?)
        .ok()
        .and_then(Activation::from_tag)
        .ok_or(Error::CorruptData("unknown activation code"))?;
    Ok(ModelConfig::DeepMlp {
        d,
        layers,
        widths,
        activation,
    })
}

impl<const D: usize, const H: usize, const L: usize> ModelCodec for DeepMlp<D, H, L> {
    const KIND: ModelKind = ModelKind::DeepMlp;

    fn check_capacity(config: &ModelConfig) -> Result<(), Error> {
        match config {
            ModelConfig::DeepMlp {
                d, layers, widths, ..
            } => {
                check_size(*d, D)?;
                check_size(*layers, Self::MAX_HIDDEN_LAYERS)?;
                widths[..*layers].iter().try_for_each(|&h| check_size(h, H))
            }
            _ => Err(INCONSISTENT),
        }
    }
}

impl<const D: usize, const H: usize, const L: usize> Persist for DeepMlp<D, H, L> {
    fn config(&self) -> ModelConfig {
        ModelConfig::DeepMlp {
            d: self.d,
            layers: self.n,
            widths: self.widths,
            activation: self.act,
        }
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        encode_with(
            out,
            &self.config(),
            |w| w.f32(self.alpha),
            |w| self.visit_params(|v| w.f32(v)),
        )
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let f = frame::<D, H, L>(bytes)?;
        let mut m = Self::zeros(f.d, &f.widths[..f.n], f.act, f.alpha)?;
        m.load_params(f32s(f.params))?;
        Ok(m)
    }

    fn decode_into(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let f = frame::<D, H, L>(bytes)?;
        // Everything was checked: neither call can fail now, so `self` is
        // never left half-written.
        self.reinit_zeros(f.d, &f.widths[..f.n], f.act, f.alpha)?;
        self.load_params(f32s(f.params))
    }

    fn validate(bytes: &[u8]) -> Result<(), Error> {
        frame::<D, H, L>(bytes).map(|_| ())
    }
}

/// A checked file's configuration and parameter bytes.
struct Frame<'a> {
    d: usize,
    n: usize,
    widths: [usize; MAX_LAYERS],
    act: Activation,
    alpha: f32,
    params: &'a [u8],
}

/// Validation steps 1–9 of a file for `DeepMlp<D, H, L>`, without building
/// the model: sizes, activation, α and the parameter bytes (all finite,
/// exactly `num_params` of them).
fn frame<const D: usize, const H: usize, const L: usize>(bytes: &[u8]) -> Result<Frame<'_>, Error> {
    let f = open::<DeepMlp<D, H, L>>(bytes)?;
    let ModelConfig::DeepMlp {
        d,
        layers,
        widths,
        activation,
    } = f.config
    else {
        return Err(INCONSISTENT);
    };
    let mut alpha = [0f32; 1];
    fill(&mut alpha, f.values);
    check_positive(alpha[0], "confinement alpha must be > 0")?;
    if Some(f32s(f.params).count()) != checked_deep_mlp_param_count(d, &widths[..layers]) {
        return Err(INCONSISTENT);
    }
    if !f32s(f.params).all(f32::is_finite) {
        return Err(Error::InvalidParameters("MLP weights"));
    }
    Ok(Frame {
        d,
        n: layers,
        widths,
        act: activation,
        alpha: alpha[0],
        params: f.params,
    })
}
