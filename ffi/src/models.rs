//! The one place where the C API meets the core's set of models
//! (`ebm::model`): [`built_in_models!`] lists each built-in kind with the
//! model type an energy object stores, and everything per kind — C kind ↔
//! core kind, object sizes, borrowing a model from caller memory, creating
//! one from a weight file — is generated from that list. Code elsewhere
//! dispatches with `ebm::model_dispatch!` and never lists the kinds.

use core::ffi::c_void;
use core::mem::{align_of, size_of};

use ebm::{
    BuiltIn, DeepMlp, Error, Gaussian, Mixture, Mlp, ModelCodec, ModelKind, Persist, Polynomial,
};

use crate::energy::{
    Callback, Header, Obj, TebmEnergyKind, init, init_from_weights_in_place, model_at,
};
use crate::status::TebmStatus;
use crate::{
    TEBM_MAX_COMPONENTS, TEBM_MAX_DEEP_LAYERS, TEBM_MAX_DEEP_WIDTH, TEBM_MAX_DIM, TEBM_MAX_HIDDEN,
    TEBM_MAX_MONOMIALS,
};

pub(crate) type GaussianM = Gaussian<TEBM_MAX_DIM>;
pub(crate) type PolynomialM = Polynomial<TEBM_MAX_DIM, TEBM_MAX_MONOMIALS>;
pub(crate) type MixtureM = Mixture<TEBM_MAX_COMPONENTS, TEBM_MAX_DIM>;
pub(crate) type MlpM = Mlp<TEBM_MAX_DIM, TEBM_MAX_HIDDEN>;
/// Up to `TEBM_MAX_DEEP_LAYERS` hidden layers: that many minus one
/// hidden-to-hidden matrices.
pub(crate) type DeepMlpM = DeepMlp<TEBM_MAX_DIM, TEBM_MAX_DEEP_WIDTH, { TEBM_MAX_DEEP_LAYERS - 1 }>;

/// Generates the per-kind code from `Kind: StoredType` pairs, in the order
/// of `ebm::BuiltIn`'s variants; each `TebmEnergyKind` variant is named as
/// its `ModelKind`.
macro_rules! built_in_models {
    ($($kind:ident: $model:ty),* $(,)?) => {
        /// A built-in model held by an energy object, borrowed.
        pub(crate) type Models<'a> = BuiltIn<$(&'a $model),*>;

        /// A built-in model held by an energy object, borrowed mutably.
        pub(crate) type TrainableMut<'a> = BuiltIn<$(&'a mut $model),*>;

        impl TebmEnergyKind {
            /// The C kind of a core kind (`None` for a kind this build's C
            /// API does not store).
            pub(crate) fn of(kind: ModelKind) -> Option<Self> {
                match kind {
                    $(ModelKind::$kind => Some(TebmEnergyKind::$kind),)*
                    _ => None,
                }
            }

            /// The core kind of a C kind code (`None` for a callback or an
            /// unknown code).
            pub(crate) fn core(code: u32) -> Option<ModelKind> {
                $(if code == TebmEnergyKind::$kind as u32 {
                    return Some(ModelKind::$kind);
                })*
                None
            }
        }

        /// (C kind, size) of the energy object of every kind.
        pub(crate) const OBJECTS: [(u32, usize); 1 + [$(stringify!($kind)),*].len()] = [
            $((TebmEnergyKind::$kind as u32, size_of::<Obj<$model>>()),)*
            (TebmEnergyKind::Callback as u32, size_of::<Obj<Callback>>()),
        ];

        /// Largest energy object.
        pub(crate) const ENERGY_MAX_SIZE: usize =
            max_of(&[$(size_of::<Obj<$model>>(),)* size_of::<Obj<Callback>>()]);

        /// The alignment every energy object is given: the largest any needs.
        pub(crate) const ENERGY_ALIGN: usize =
            max_of(&[$(align_of::<Obj<$model>>(),)* align_of::<Obj<Callback>>()]);

        /// Borrows the built-in model of kind `kind` stored at `h`.
        ///
        /// # Safety
        /// A valid `Obj` of the type `kind` names lives at `h`, aligned for
        /// it, and is not written during `'a`.
        pub(crate) unsafe fn built_in_at<'a>(h: *const Header, kind: ModelKind) -> Option<Models<'a>> {
            Some(match kind {
                // SAFETY: forwarded contract, for this arm's type.
                $(ModelKind::$kind => BuiltIn::$kind(unsafe { model_at::<$model>(h) }),)*
                _ => return None,
            })
        }

        /// [`built_in_at`], mutably.
        ///
        /// # Safety
        /// As for [`built_in_at`], and nothing else reads or writes the
        /// object during `'a`.
        pub(crate) unsafe fn built_in_mut<'a>(h: *mut Header, kind: ModelKind) -> Option<TrainableMut<'a>> {
            Some(match kind {
                // SAFETY: forwarded contract, for this arm's type.
                $(ModelKind::$kind => BuiltIn::$kind(unsafe { &mut (*h.cast::<Obj<$model>>()).model }),)*
                _ => return None,
            })
        }

        /// Checks the weight file `b` whole as the model type its header
        /// names and, when `mem` is given, writes it there as a new energy
        /// object. `Err` carries the file's error; memory problems are the
        /// returned status.
        pub(crate) fn create_from_weights(
            b: &[u8],
            mem: Option<(*mut c_void, usize)>,
        ) -> Result<TebmStatus, Error> {
            match ebm::peek(b)?.kind() {
                $(ModelKind::$kind => <$model as FromWeights>::create(b, mem),)*
                _ => Err(Error::CorruptData("unknown model kind")),
            }
        }
    };
}

built_in_models! {
    Gaussian: GaussianM,
    Polynomial: PolynomialM,
    Mixture: MixtureM,
    Mlp: MlpM,
    DeepMlp: DeepMlpM,
}

/// The largest of `v` (0 when empty).
const fn max_of(v: &[usize]) -> usize {
    let (mut m, mut i) = (0, 0);
    while i < v.len() {
        if v[i] > m {
            m = v[i];
        }
        i += 1;
    }
    m
}

/// How a new energy object of a stored model type is made from a weight
/// file: by default decoded aside (a few KB at most) and moved in.
pub(crate) trait FromWeights: ModelCodec {
    /// See [`create_from_weights`].
    fn create(b: &[u8], mem: Option<(*mut c_void, usize)>) -> Result<TebmStatus, Error> {
        let kind =
            TebmEnergyKind::of(Self::KIND).ok_or(Error::CorruptData("unknown model kind"))?;
        decode_as(b, |m: Self| match mem {
            Some((p, len)) => init(p, len, kind, m),
            None => TebmStatus::Ok,
        })
    }
}

impl FromWeights for GaussianM {}
impl FromWeights for PolynomialM {}
impl FromWeights for MixtureM {}

/// The MLP (12.7 KB at full capacity) is validated whole without being
/// built, then written in place.
impl FromWeights for MlpM {
    fn create(b: &[u8], mem: Option<(*mut c_void, usize)>) -> Result<TebmStatus, Error> {
        MlpM::validate(b)?;
        Ok(match mem {
            // SAFETY: all-zero bytes are a valid `Mlp` (documented on it).
            Some((p, len)) => unsafe { init_from_weights_in_place::<MlpM>(p, len, b) },
            None => TebmStatus::Ok,
        })
    }
}

/// The deep MLP (8.5 KB at the default capacities), likewise.
impl FromWeights for DeepMlpM {
    fn create(b: &[u8], mem: Option<(*mut c_void, usize)>) -> Result<TebmStatus, Error> {
        DeepMlpM::validate(b)?;
        Ok(match mem {
            // SAFETY: all-zero bytes are a valid `DeepMlp` (documented on it).
            Some((p, len)) => unsafe { init_from_weights_in_place::<DeepMlpM>(p, len, b) },
            None => TebmStatus::Ok,
        })
    }
}

/// Decodes a whole file as model type `M` and hands the model to `f`. Out
/// of line: the decoded model lives in this frame only.
#[inline(never)]
fn decode_as<M: Persist, R>(b: &[u8], f: impl FnOnce(M) -> R) -> Result<R, Error> {
    Ok(f(M::decode(b)?))
}
