//! MLP energy U(x) = w₃·σ(W₂ σ(W₁x + b₁) + b₂) + b₃ + ½α|x|², sizes d → h → h → 1.
//!
//! The quadratic confinement ½α|x|² (α > 0, fixed, not trained) makes exp(−U)
//! normalisable whatever the weights: the network part has bounded gradient
//! (σ' bounded, weights finite), so x·∇U ≥ α|x|²/2 far out (Assumption 2.1).
//!
//! Parameters, flat: W₁ (h×d, row j = hidden unit j), b₁ (h), W₂ (h×h, row k
//! = unit k of layer 2), b₂ (h), w₃ (h), b₃ (1): `h·(d + h + 3) + 1` values
//! (the table in `layout.rs` is the one place this order is written).
//!
//! One function body serves a single point and a chunk of walkers: every
//! layer works on `L` lanes (`[f32; L]` per unit), with `L = 1` for
//! [`Energy::value_grad`] and `L = LANES` for [`Energy::eval_batch`], where the
//! lane loops are what the compiler vectorises (`lanes.rs`; the passes are in
//! `pass.rs`, the weight format in `persist.rs`).

use crate::activation::Activation;
use crate::energy::{
    Energy, EvalError, Evals, Soa, Trainable, check_finite, check_len, params_out,
};
use crate::error::{Error, check_positive, check_size};
use crate::rng::Stream;

pub(crate) mod lanes;
mod layout;
mod pass;
mod persist;

use lanes::Tape;
use layout::Block;
pub use layout::{checked_mlp_param_count, mlp_param_count};
pub(crate) use persist::{config_block, read_config};

/// Walkers evaluated together in a batched pass. Any value gives the same
/// bits (lanes are independent and each computes what one point computes);
/// it trades vector width and weight reuse against registers and stack
/// (four `LANES × H` arrays): the two partial sums of `LANES` lanes should
/// fill half the vector registers, i.e. 32 lanes with 256-bit AVX or NEON,
/// 16 with the baseline x86_64 target's SSE2 (32 there spilled: 7 % more
/// instructions).
#[cfg(any(
    all(target_arch = "x86_64", target_feature = "avx"),
    target_arch = "aarch64"
))]
pub const LANES: usize = 32;
/// Walkers evaluated together in a batched pass (see the AVX/NEON value).
#[cfg(all(target_arch = "x86_64", not(target_feature = "avx")))]
pub const LANES: usize = 16;
/// Walkers evaluated together in a batched pass (small targets: stack first).
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const LANES: usize = 1;

/// An MLP energy with input dimension `d ≤ D` and hidden width `h ≤ H`.
///
/// Weights are stored in both orientations so each pass can pick the loop
/// order that vectorises without reassociating any sum (see `matvec`).
///
/// Every field is an integer, a float, an array of floats or the
/// `repr(u8)` [`Activation`] (0 = tanh), so all-zero bytes are a valid
/// (empty, d = h = 0) value; [`crate::Persist::decode_into`] fills such
/// storage in place.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp<const D: usize, const H: usize> {
    d: usize,
    h: usize,
    act: Activation,
    alpha: f32,
    /// W₁ by rows: `w1[j][i]` = weight from input i to hidden unit j.
    w1: [[f32; D]; H],
    /// W₁ transposed: `w1t[i][j] = w1[j][i]`.
    w1t: [[f32; H]; D],
    b1: [f32; H],
    /// W₂ by rows: `w2[k][j]` = weight from layer-1 unit j to layer-2 unit k.
    w2: [[f32; H]; H],
    /// W₂ transposed: `w2t[j][k] = w2[k][j]`.
    w2t: [[f32; H]; H],
    b2: [f32; H],
    w3: [f32; H],
    b3: f32,
}

impl<const D: usize, const H: usize> Mlp<D, H> {
    /// Parameter capacity at full size: `mlp_param_count(D, H)`.
    pub const PARAM_CAP: usize = mlp_param_count(D, H);

    /// All-zero weights (U = ½α|x|²).
    pub fn zeros(d: usize, h: usize, act: Activation, alpha: f32) -> Result<Self, Error> {
        check_size(d, D)?;
        check_size(h, H)?;
        check_positive(alpha, "confinement alpha must be > 0")?;
        Ok(Mlp {
            d,
            h,
            act,
            alpha,
            w1: [[0.0; D]; H],
            w1t: [[0.0; H]; D],
            b1: [0.0; H],
            w2: [[0.0; H]; H],
            w2t: [[0.0; H]; H],
            b2: [0.0; H],
            w3: [0.0; H],
            b3: 0.0,
        })
    }

    /// Makes this model equal to `Mlp::zeros(d, h, act, alpha)` in place,
    /// without a model-sized temporary; on error nothing changes.
    pub(crate) fn reinit_zeros(
        &mut self,
        d: usize,
        h: usize,
        act: Activation,
        alpha: f32,
    ) -> Result<(), Error> {
        check_size(d, D)?;
        check_size(h, H)?;
        check_positive(alpha, "confinement alpha must be > 0")?;
        (self.d, self.h, self.act, self.alpha) = (d, h, act, alpha);
        self.w1.as_flattened_mut().fill(0.0);
        self.w1t.as_flattened_mut().fill(0.0);
        self.w2.as_flattened_mut().fill(0.0);
        self.w2t.as_flattened_mut().fill(0.0);
        self.b1.fill(0.0);
        self.b2.fill(0.0);
        self.w3.fill(0.0);
        self.b3 = 0.0;
        Ok(())
    }

    /// Weights drawn N(0, 1/fan_in) from `seed`, biases zero.
    pub fn init(d: usize, h: usize, act: Activation, alpha: f32, seed: u64) -> Result<Self, Error> {
        let mut m = Self::zeros(d, h, act, alpha)?;
        let mut s = Stream::new(seed, 0x004d_4c50);
        let (s1, s2) = (
            1.0 / crate::math::sqrt(d as f32),
            1.0 / crate::math::sqrt(h as f32),
        );
        let (mut row_d, mut row) = ([0f32; D], [0f32; H]);
        // Each weight row is drawn when its first entry is written: W₁ rows
        // (fan-in d), W₂ rows and w₃ (fan-in h); biases stay zero.
        m.write_params(|b, c| {
            Ok(match b {
                Block::W1 => {
                    if c == 0 {
                        s.fill_normal(&mut row_d[..d]);
                    }
                    s1 * row_d[c]
                }
                Block::W2 | Block::W3 => {
                    if c == 0 {
                        s.fill_normal(&mut row[..h]);
                    }
                    s2 * row[c]
                }
                Block::B1 | Block::B2 | Block::B3 => 0.0,
            })
        })?;
        Ok(m)
    }

    /// [`Mlp::init`]'s random hidden layers with a zero output layer
    /// (w₃ = 0, b₃ = 0): U = ½α|x|² exactly, so ρ ∝ exp(−βU) is
    /// N(0, 1/(αβ)·I), which walkers can start from exactly
    /// ([`Walkers::from_confinement`](crate::Walkers::from_confinement)) —
    /// the start Jarzynski-weighted training needs — while the hidden units
    /// already differ (an all-zero network is a saddle point of training).
    pub fn init_confined(
        d: usize,
        h: usize,
        act: Activation,
        alpha: f32,
        seed: u64,
    ) -> Result<Self, Error> {
        let mut m = Self::init(d, h, act, alpha, seed)?;
        m.w3.fill(0.0);
        m.b3 = 0.0;
        Ok(m)
    }

    /// From a flat parameter vector in the documented order.
    pub fn from_params(
        d: usize,
        h: usize,
        act: Activation,
        alpha: f32,
        theta: &[f32],
    ) -> Result<Self, Error> {
        let mut m = Self::zeros(d, h, act, alpha)?;
        m.set_params(theta)?;
        Ok(m)
    }

    /// Hidden width h.
    pub fn hidden(&self) -> usize {
        self.h
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// The confinement strength α.
    pub fn alpha(&self) -> f32 {
        self.alpha
    }
}

impl<const D: usize, const H: usize> Energy for Mlp<D, H> {
    fn dim(&self) -> usize {
        self.d
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        if x.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let xl: [[f32; 1]; D] = core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }]);
        let mut t = Tape::<1, H>::new();
        Ok(self.run(&xl, &mut t, None, false)[0])
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if x.len() != self.d || grad.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let xl: [[f32; 1]; D] = core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }]);
        let mut t = Tape::<1, H>::new();
        let mut g = [[0f32; 1]; D];
        let u = self.run(&xl, &mut t, Some(&mut g), true)[0];
        for (i, gi) in grad.iter_mut().enumerate() {
            *gi = g[i][0];
        }
        Ok(u)
    }

    /// Chunks of [`LANES`] walkers, then the rest one at a time (one walker in
    /// eight lanes would waste seven). Each lane computes exactly what
    /// [`Energy::value_grad`] computes: the same bits. Out of line: kernels,
    /// initialisation and refreshes share one copy.
    #[inline(never)]
    fn eval_batch<const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        with_grad: bool,
        out: &mut Evals<N, DW>,
    ) {
        self.eval_batch_as::<N, DW, LANES, false>(x, n, with_grad, out)
    }
}

/// The batched passes with a chosen lane count `L`, every call inlined:
/// what a runtime dispatcher wraps in a `#[target_feature]` function so
/// that the same source is compiled for AVX2 or AVX-512
/// (docs/performance.md, "Runtime dispatch"). The trait methods
/// ([`Energy::eval_batch`], [`Trainable::accumulate_param_grad_batch`],
/// [`Trainable::param_grad_each`]) are these with `L =` [`LANES`] and the
/// pass out of line. Any `L ≥ 1` gives the same bits: lanes are independent
/// and every sum runs in a fixed order. `L` walkers' tapes live on the
/// stack (16·`L`·`H` bytes).
impl<const D: usize, const H: usize> Mlp<D, H> {
    /// [`Energy::eval_batch`] in chunks of `L` walkers, inlined.
    #[inline(always)]
    pub fn eval_batch_lanes<const L: usize, const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        with_grad: bool,
        out: &mut Evals<N, DW>,
    ) {
        self.eval_batch_as::<N, DW, L, true>(x, n, with_grad, out)
    }

    /// [`Trainable::accumulate_param_grad_batch`] in chunks of `L`, inlined.
    #[inline(always)]
    pub fn accumulate_param_grad_batch_lanes<const L: usize, const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        weight: &[f32; N],
        grad: &mut [f32],
    ) -> Result<(), (usize, EvalError)> {
        self.accumulate_param_grad_batch_as::<N, DW, L, true>(x, n, weight, grad)
    }

    /// [`Trainable::param_grad_each`] in chunks of `L`, inlined.
    #[inline(always)]
    pub fn param_grad_each_lanes<const L: usize, const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        scratch: &mut [f32],
        f: impl FnMut(usize, f32, &[f32]) -> bool,
    ) -> Result<(), (usize, EvalError)> {
        self.param_grad_each_as::<N, DW, L, true>(x, n, scratch, f)
    }

    /// Chunks of `L` walkers, then the rest one at a time (one walker in
    /// eight lanes would waste seven). Each lane computes exactly what
    /// [`Energy::value_grad`] computes: the same bits. `FLAT`: the pass
    /// inlined (see [`Mlp::eval_batch_lanes`]).
    #[inline(always)]
    fn eval_batch_as<const N: usize, const DW: usize, const L: usize, const FLAT: bool>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        with_grad: bool,
        out: &mut Evals<N, DW>,
    ) {
        let n = n.min(N);
        if self.d > DW {
            out.code[..n].iter_mut().for_each(|c| *c = i32::MIN);
            return;
        }
        let full = n / L * L;
        // One tape per call, not per chunk: `run` overwrites units 0..h and
        // never reads the rest, so zeroing it again (16 KB) is wasted.
        if full > 0 {
            let mut t = Tape::<L, H>::new();
            for w0 in (0..full).step_by(L) {
                self.eval_chunk::<N, DW, L, FLAT>(x, w0, with_grad, &mut t, out);
            }
        }
        let mut t = Tape::<1, H>::new();
        for w0 in full..n {
            self.eval_chunk::<N, DW, 1, FLAT>(x, w0, with_grad, &mut t, out);
        }
    }

    #[inline(always)]
    fn accumulate_param_grad_batch_as<
        const N: usize,
        const DW: usize,
        const L: usize,
        const FLAT: bool,
    >(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        weight: &[f32; N],
        grad: &mut [f32],
    ) -> Result<(), (usize, EvalError)> {
        let n = n.min(N);
        if self.d > DW || grad.len() < self.num_params() {
            return Err((0, EvalError::WrongLength));
        }
        let full = n / L * L;
        if full > 0 {
            let mut t = Tape::<L, H>::new();
            for w0 in (0..full).step_by(L) {
                self.param_grad_chunk::<N, DW, L, FLAT>(x, w0, weight, &mut t, grad);
            }
        }
        let mut t = Tape::<1, H>::new();
        for w0 in full..n {
            self.param_grad_chunk::<N, DW, 1, FLAT>(x, w0, weight, &mut t, grad);
        }
        Ok(())
    }

    /// Chunks of `L` points through one batched forward/backward pass, then
    /// the rest one at a time; each lane's ∂θU is computed exactly as
    /// [`Trainable::accumulate_param_grad`] computes it (same bits).
    #[inline(always)]
    fn param_grad_each_as<const N: usize, const DW: usize, const L: usize, const FLAT: bool>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        scratch: &mut [f32],
        mut f: impl FnMut(usize, f32, &[f32]) -> bool,
    ) -> Result<(), (usize, EvalError)> {
        let (n, p) = (n.min(N), self.num_params());
        if self.d > DW || scratch.len() < p {
            return Err((0, EvalError::WrongLength));
        }
        let g = &mut scratch[..p];
        let full = n / L * L;
        if full > 0 {
            let mut t = Tape::<L, H>::new();
            for w0 in (0..full).step_by(L) {
                if !self.param_grad_each_chunk::<N, DW, L, FLAT>(x, w0, &mut t, g, &mut f) {
                    return Ok(());
                }
            }
        }
        let mut t = Tape::<1, H>::new();
        for w0 in full..n {
            if !self.param_grad_each_chunk::<N, DW, 1, FLAT>(x, w0, &mut t, g, &mut f) {
                return Ok(());
            }
        }
        Ok(())
    }
}

impl<const D: usize, const H: usize> Trainable for Mlp<D, H> {
    fn num_params(&self) -> usize {
        mlp_param_count(self.d, self.h)
    }

    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        let out = params_out(out, self.num_params())?;
        let mut k = 0;
        self.visit_params(|v| {
            out[k] = v;
            k += 1;
        });
        Ok(())
    }

    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        check_len(self.num_params(), theta.len())?;
        check_finite(theta, "MLP weights")?;
        let mut values = theta.iter();
        self.write_params(|_, _| values.next().copied().ok_or(Error::Empty))
    }

    fn add_param_grad(&self, x: &[f32], scale: f32, grad: &mut [f32]) -> Result<f32, EvalError> {
        let xl: [[f32; 1]; D] = core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }]);
        let mut t = Tape::<1, H>::new();
        let u = self.run(&xl, &mut t, None, true)[0];
        self.param_grad(&xl, &t, &[scale], grad);
        Ok(u)
    }

    fn accumulate_param_grad_batch<const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        weight: &[f32; N],
        grad: &mut [f32],
    ) -> Result<(), (usize, EvalError)> {
        self.accumulate_param_grad_batch_as::<N, DW, LANES, false>(x, n, weight, grad)
    }

    /// Chunks of [`LANES`] points through one batched forward/backward pass,
    /// then the rest one at a time; each lane's ∂θU is computed exactly as
    /// [`Trainable::accumulate_param_grad`] computes it (same bits).
    fn param_grad_each<const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        scratch: &mut [f32],
        f: impl FnMut(usize, f32, &[f32]) -> bool,
    ) -> Result<(), (usize, EvalError)> {
        self.param_grad_each_as::<N, DW, LANES, false>(x, n, scratch, f)
    }
}
