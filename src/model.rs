//! The built-in trainable models as one closed set: the single list of
//! kinds that the weight format, [`AnyModel`] and the C API build on.
//!
//! * [`ModelKind`] names each kind and holds its weight-file code;
//!   [`ModelConfig`] is a kind with its sizes.
//! * [`BuiltIn`] holds one model of any kind. With the models themselves
//!   as payloads it is [`AnyModel`] (an [`Energy`], [`Trainable`] and
//!   [`Persist`] that loads whichever kind a file holds); front ends that
//!   keep each kind in storage of its own size (the C API) use it with
//!   references as payloads.
//! * [`model_dispatch!`](crate::model_dispatch) runs one expression on
//!   whichever model a [`BuiltIn`] holds, so front ends never list the
//!   variants again.
//!
//! Adding a kind means: the model's module (its energy, [`Trainable`]
//! implementation, configuration block and [`Persist`] implementation),
//! one variant in each enum here and its arms in this file's matches.

use crate::activation::Activation;
use crate::deep_mlp::{self, MAX_LAYERS};
use crate::energy::{Energy, EvalError, Evals, Soa, Trainable};
use crate::error::Error;
use crate::weights::{ConfigBlock, Persist, Reader, read_prefix};
use crate::{DeepMlp, Gaussian, Mixture, Mlp, Polynomial, gaussian, mixture, mlp, polynomial};

/// Which model a weight file holds. The discriminant is the file's code;
/// 0 is never used, so zeroed memory is not a valid file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum ModelKind {
    /// [`Gaussian`].
    Gaussian = 1,
    /// [`Polynomial`].
    Polynomial = 2,
    /// [`Mixture`].
    Mixture = 3,
    /// [`Mlp`].
    Mlp = 4,
    /// [`DeepMlp`].
    DeepMlp = 5,
}

impl ModelKind {
    /// Every kind, in code order.
    pub const ALL: [ModelKind; 5] = [
        ModelKind::Gaussian,
        ModelKind::Polynomial,
        ModelKind::Mixture,
        ModelKind::Mlp,
        ModelKind::DeepMlp,
    ];

    /// The kind with this code, if any.
    pub const fn from_code(code: u16) -> Option<Self> {
        let mut i = 0;
        while i < Self::ALL.len() {
            if Self::ALL[i].code() == code {
                return Some(Self::ALL[i]);
            }
            i += 1;
        }
        None
    }

    /// The code written in files.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// Validation step 4: this kind's integer configuration fields.
    pub(crate) fn read_config(self, r: &mut Reader<'_>) -> Result<ModelConfig, Error> {
        match self {
            ModelKind::Gaussian => gaussian::read_config(r),
            ModelKind::Polynomial => polynomial::read_config(r),
            ModelKind::Mixture => mixture::read_config(r),
            ModelKind::Mlp => mlp::read_config(r),
            ModelKind::DeepMlp => deep_mlp::read_config(r),
        }
    }
}

/// A model's sizes and structural choices: what a loader needs to size
/// buffers before decoding. Fixed real values (α, σ) are not included; they
/// are validated with the parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelConfig {
    /// A [`Gaussian`] in dimension `d`.
    Gaussian {
        /// Dimension.
        d: usize,
        /// Precision stored as a diagonal (else full, lower triangle).
        diagonal: bool,
    },
    /// A [`Polynomial`] in `d` variables of total degree `degree`.
    Polynomial {
        /// Number of variables.
        d: usize,
        /// Total degree (≤ [`polynomial::MAX_DEGREE`]).
        degree: usize,
    },
    /// A [`Mixture`] of `k` components in dimension `d`.
    Mixture {
        /// Number of components.
        k: usize,
        /// Dimension.
        d: usize,
    },
    /// An [`Mlp`] `d → h → h → 1`.
    Mlp {
        /// Input dimension.
        d: usize,
        /// Hidden width.
        h: usize,
        /// Hidden-layer activation.
        activation: Activation,
    },
    /// A [`DeepMlp`] `d → widths[0] → … → widths[layers − 1] → 1`.
    DeepMlp {
        /// Input dimension.
        d: usize,
        /// Number of hidden layers (1 to [`MAX_LAYERS`]).
        layers: usize,
        /// Hidden widths: `widths[..layers]`, zeros after them.
        widths: [usize; MAX_LAYERS],
        /// Hidden-layer activation.
        activation: Activation,
    },
}

impl ModelConfig {
    /// The model kind.
    pub const fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Gaussian { .. } => ModelKind::Gaussian,
            ModelConfig::Polynomial { .. } => ModelKind::Polynomial,
            ModelConfig::Mixture { .. } => ModelKind::Mixture,
            ModelConfig::Mlp { .. } => ModelKind::Mlp,
            ModelConfig::DeepMlp { .. } => ModelKind::DeepMlp,
        }
    }

    /// The dimension d of x.
    pub const fn dim(&self) -> usize {
        match *self {
            ModelConfig::Gaussian { d, .. }
            | ModelConfig::Polynomial { d, .. }
            | ModelConfig::Mixture { d, .. }
            | ModelConfig::Mlp { d, .. }
            | ModelConfig::DeepMlp { d, .. } => d,
        }
    }

    /// The parameter count the configuration implies (`None` on overflow).
    pub fn num_params(&self) -> Option<usize> {
        self.block().num_params
    }

    /// The configuration block's layout in a weight file.
    pub(crate) fn block(&self) -> ConfigBlock {
        match *self {
            ModelConfig::Gaussian { d, diagonal } => gaussian::config_block(d, diagonal),
            ModelConfig::Polynomial { d, degree } => polynomial::config_block(d, degree),
            ModelConfig::Mixture { k, d } => mixture::config_block(k, d),
            ModelConfig::Mlp { d, h, activation } => mlp::config_block(d, h, activation),
            ModelConfig::DeepMlp {
                d,
                layers,
                ref widths,
                activation,
            } => deep_mlp::config_block(d, &widths[..layers.min(MAX_LAYERS)], activation),
        }
    }
}

/// One built-in model of any kind. `G`, `P`, `X`, `M`, `Q` are what each
/// variant holds: the models ([`AnyModel`]) or references to them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BuiltIn<G, P, X, M, Q> {
    /// A [`Gaussian`].
    Gaussian(G),
    /// A [`Polynomial`].
    Polynomial(P),
    /// A [`Mixture`].
    Mixture(X),
    /// An [`Mlp`].
    Mlp(M),
    /// A [`DeepMlp`].
    DeepMlp(Q),
}

/// Any built-in model, with capacities `D` (dimension), `M` (polynomial
/// monomials), `K` (mixture components), `H` (MLP hidden width) and `L`
/// (a [`DeepMlp`]'s hidden-to-hidden matrices: up to `L + 1` hidden layers
/// of width ≤ `H`).
pub type AnyModel<const D: usize, const M: usize, const K: usize, const H: usize, const L: usize> =
    BuiltIn<Gaussian<D>, Polynomial<D, M>, Mixture<K, D>, Mlp<D, H>, DeepMlp<D, H, L>>;

/// `model_dispatch!(value, m => expr)`: `expr` with `m` bound to the model
/// inside a [`BuiltIn`](crate::model::BuiltIn) (`value` may be a reference:
/// `m` is then one too). Each arm is compiled for its own model type, so
/// generic code called from `expr` is monomorphised per kind.
#[doc(hidden)]
#[macro_export]
macro_rules! model_dispatch {
    ($value:expr, $m:ident => $body:expr) => {
        match $value {
            $crate::model::BuiltIn::Gaussian($m) => $body,
            $crate::model::BuiltIn::Polynomial($m) => $body,
            $crate::model::BuiltIn::Mixture($m) => $body,
            $crate::model::BuiltIn::Mlp($m) => $body,
            $crate::model::BuiltIn::DeepMlp($m) => $body,
        }
    };
}

impl<G, P, X, M, Q> BuiltIn<G, P, X, M, Q> {
    /// The kind of the model held.
    pub const fn kind(&self) -> ModelKind {
        match self {
            BuiltIn::Gaussian(_) => ModelKind::Gaussian,
            BuiltIn::Polynomial(_) => ModelKind::Polynomial,
            BuiltIn::Mixture(_) => ModelKind::Mixture,
            BuiltIn::Mlp(_) => ModelKind::Mlp,
            BuiltIn::DeepMlp(_) => ModelKind::DeepMlp,
        }
    }
}

impl<G: Energy, P: Energy, X: Energy, M: Energy, Q: Energy> Energy for BuiltIn<G, P, X, M, Q> {
    fn dim(&self) -> usize {
        model_dispatch!(self, m => m.dim())
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        model_dispatch!(self, m => m.value(x))
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        model_dispatch!(self, m => m.value_grad(x, grad))
    }

    /// Each model's own batched pass (the MLP's is vectorised).
    fn eval_batch<const N: usize, const D: usize>(
        &self,
        x: &Soa<N, D>,
        n: usize,
        with_grad: bool,
        out: &mut Evals<N, D>,
    ) {
        model_dispatch!(self, m => m.eval_batch(x, n, with_grad, out))
    }
}

impl<G, P, X, M, Q> Trainable for BuiltIn<G, P, X, M, Q>
where
    G: Trainable,
    P: Trainable,
    X: Trainable,
    M: Trainable,
    Q: Trainable,
{
    fn num_params(&self) -> usize {
        model_dispatch!(self, m => m.num_params())
    }

    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        model_dispatch!(self, m => m.params(out))
    }

    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        model_dispatch!(self, m => m.set_params(theta))
    }

    fn add_param_grad(&self, x: &[f32], scale: f32, grad: &mut [f32]) -> Result<f32, EvalError> {
        model_dispatch!(self, m => m.add_param_grad(x, scale, grad))
    }

    fn accumulate_param_grad(
        &self,
        x: &[f32],
        scale: f32,
        grad: &mut [f32],
    ) -> Result<f32, EvalError> {
        model_dispatch!(self, m => m.accumulate_param_grad(x, scale, grad))
    }

    fn accumulate_param_grad_batch<const N: usize, const D: usize>(
        &self,
        x: &Soa<N, D>,
        n: usize,
        weight: &[f32; N],
        grad: &mut [f32],
    ) -> Result<(), (usize, EvalError)> {
        model_dispatch!(self, m => m.accumulate_param_grad_batch(x, n, weight, grad))
    }

    fn param_grad_each<const N: usize, const D: usize>(
        &self,
        x: &Soa<N, D>,
        n: usize,
        scratch: &mut [f32],
        f: impl FnMut(usize, f32, &[f32]) -> bool,
    ) -> Result<(), (usize, EvalError)> {
        model_dispatch!(self, m => m.param_grad_each(x, n, scratch, f))
    }
}

/// Loads whichever kind a file holds (its kind read as by
/// [`crate::peek`]), with the checks and errors of that kind's own
/// [`Persist::decode`].
impl<const D: usize, const M: usize, const K: usize, const H: usize, const L: usize> Persist
    for AnyModel<D, M, K, H, L>
{
    fn config(&self) -> ModelConfig {
        model_dispatch!(self, m => m.config())
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        model_dispatch!(self, m => m.encode(out))
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Ok(match file_kind(bytes)? {
            ModelKind::Gaussian => BuiltIn::Gaussian(Gaussian::decode(bytes)?),
            ModelKind::Polynomial => BuiltIn::Polynomial(Polynomial::decode(bytes)?),
            ModelKind::Mixture => BuiltIn::Mixture(Mixture::decode(bytes)?),
            ModelKind::Mlp => BuiltIn::Mlp(Mlp::decode(bytes)?),
            ModelKind::DeepMlp => BuiltIn::DeepMlp(DeepMlp::decode(bytes)?),
        })
    }

    /// In place when the file holds the kind `self` holds (an MLP then
    /// needs no model-sized temporary); else decoded aside and moved in.
    fn decode_into(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if file_kind(bytes)? == self.kind() {
            model_dispatch!(self, m => m.decode_into(bytes))
        } else {
            *self = Self::decode(bytes)?;
            Ok(())
        }
    }

    fn validate(bytes: &[u8]) -> Result<(), Error> {
        match file_kind(bytes)? {
            ModelKind::Gaussian => Gaussian::<D>::validate(bytes),
            ModelKind::Polynomial => Polynomial::<D, M>::validate(bytes),
            ModelKind::Mixture => Mixture::<K, D>::validate(bytes),
            ModelKind::Mlp => Mlp::<D, H>::validate(bytes),
            ModelKind::DeepMlp => DeepMlp::<D, H, L>::validate(bytes),
        }
    }
}

/// The kind a file names, after validation steps 1–4 (whose errors it
/// returns, as [`crate::peek`] does).
fn file_kind(bytes: &[u8]) -> Result<ModelKind, Error> {
    Ok(read_prefix(&mut Reader::new(bytes), None)?.1.kind())
}
