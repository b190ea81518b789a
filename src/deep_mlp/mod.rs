//! Deeper MLP energies: n hidden layers (1 ≤ n ≤ L + 1) of widths
//! h₀, …, hₙ₋₁ chosen at run time,
//!
//! U(x) = w_out·zₙ₋₁ + b_out + ½α|x|²,  z_k = σ(W_k z_{k−1} + b_k),  z₋₁ = x,
//!
//! with σ one of the [`Activation`]s for every hidden layer and the
//! confinement ½α|x|² (α > 0, fixed, not trained) that keeps exp(−U)
//! normalisable whatever the weights (as for [`crate::Mlp`]).
//!
//! Capacities are const generics: `D` (input dimension), `H` (width of any
//! hidden layer) and `L`, the most hidden-to-hidden weight matrices, i.e. at
//! most **L + 1 hidden layers** (`DeepMlp<2, 16, 2>` holds 2 → 16 → 16 →
//! 16 → 1). Counting matrices rather than layers stores exactly what the
//! largest network needs: W₀ is `H × D`, the others `H × H`.
//!
//! Parameters, flat, layer by layer: W₀ (h₀×d, row j = unit j of layer 0),
//! b₀ (h₀), W₁ (h₁×h₀), b₁ (h₁), …, W₍ₙ₋₁₎, b₍ₙ₋₁₎, then w_out (hₙ₋₁) and
//! b_out (1): Σ_k h_k·(h_{k−1} + 1) + hₙ₋₁ + 1 values with h₋₁ = d
//! (`Block` and `block_at` in this file are the one place this order is written).
//! With two hidden layers of width h this is exactly [`crate::Mlp`]'s
//! order, and the two models compute the same bits (same operations in the
//! same order: `tests/gradients.rs`).
//!
//! The passes run every layer on `LN` lanes with the MLP's lane kernels
//! (`mlp::lanes`: `matvec`, `activate`, `dot`, `outer_grad`): one point
//! (`LN = 1`) for [`Energy::value_grad`], chunks of [`LANES`] walkers for
//! [`Energy::eval_batch`] and the batched θ-gradients, with the same bits.
//! ∇ₓU and ∂θU are back-propagated by hand.

use crate::activation::Activation;
use crate::energy::{
    Energy, EvalError, Evals, Soa, Trainable, check_finite, check_len, params_out,
};
use crate::error::Error;
use crate::mlp::LANES;

/// Most hidden layers a weight file may describe (its configuration block
/// lists one width per layer); a type holds at most `L + 1 ≤ MAX_LAYERS`.
pub const MAX_LAYERS: usize = 8;

/// One block of the flat parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    /// W_k, by rows: row j = the weights into unit j of hidden layer k.
    W(usize),
    /// b_k.
    B(usize),
    /// w_out.
    WOut,
    /// b_out.
    BOut,
}

/// Blocks of a network with `n` hidden layers.
const fn num_blocks(n: usize) -> usize {
    2 * n + 2
}

/// The `i`-th block in the flat order of [`Trainable::params`] for `n`
/// hidden layers: W₀, b₀, W₁, b₁, …, w_out, b_out.
const fn block_at(n: usize, i: usize) -> Block {
    if i < 2 * n {
        if i % 2 == 0 {
            Block::W(i / 2)
        } else {
            Block::B(i / 2)
        }
    } else if i == 2 * n {
        Block::WOut
    } else {
        Block::BOut
    }
}

/// (rows, columns) of block `b` for input dimension `d` and hidden widths
/// `w` (non-empty); its values are stored row by row.
const fn shape(b: Block, d: usize, w: &[usize]) -> (usize, usize) {
    match b {
        Block::W(0) => (w[0], d),
        Block::W(k) => (w[k], w[k - 1]),
        Block::B(k) => (1, w[k]),
        Block::WOut => (1, w[w.len() - 1]),
        Block::BOut => (1, 1),
    }
}

/// Parameter count of a network `d → widths[0] → … → 1`: the sum of the
/// blocks' sizes; `None` when `widths` is empty or longer than
/// [`MAX_LAYERS`], or the count overflows `usize`.
pub const fn checked_deep_mlp_param_count(d: usize, widths: &[usize]) -> Option<usize> {
    let n = widths.len();
    if n == 0 || n > MAX_LAYERS {
        return None;
    }
    let (mut total, mut i) = (0usize, 0);
    while i < num_blocks(n) {
        let (rows, cols) = shape(block_at(n, i), d, widths);
        total = match rows.checked_mul(cols) {
            Some(v) => match total.checked_add(v) {
                Some(t) => t,
                None => return None,
            },
            None => return None,
        };
        i += 1;
    }
    Some(total)
}

/// [`checked_deep_mlp_param_count`], 0 where that is `None`.
pub const fn deep_mlp_param_count(d: usize, widths: &[usize]) -> usize {
    match checked_deep_mlp_param_count(d, widths) {
        Some(n) => n,
        None => 0,
    }
}

/// An MLP energy with input dimension `d ≤ D` and 1 to `L + 1` hidden
/// layers, each of width ≤ `H` (see the module documentation).
///
/// Weights are stored in both orientations, as [`crate::Mlp`]'s, so each
/// pass picks the loop order that vectorises without reassociating a sum.
/// Every field is an integer, an integer or float array, a float or the
/// `repr(u8)` [`Activation`] (0 = tanh), so all-zero bytes are a valid
/// (empty) value; [`Persist::decode_into`](crate::Persist::decode_into) fills such storage in place.
#[derive(Clone, Debug, PartialEq)]
pub struct DeepMlp<const D: usize, const H: usize, const L: usize> {
    d: usize,
    /// Hidden layers in use, n.
    n: usize,
    /// `widths[k]` for `k < n`; 0 beyond.
    widths: [usize; MAX_LAYERS],
    act: Activation,
    alpha: f32,
    /// W₀ by rows: `w_in[j][i]` = weight from input i to unit j of layer 0.
    w_in: [[f32; D]; H],
    /// W₀ transposed.
    w_in_t: [[f32; H]; D],
    b_in: [f32; H],
    /// `w[k − 1][j][i]` = weight from unit i of layer k − 1 to unit j of
    /// layer k (W_k by rows).
    w: [[[f32; H]; H]; L],
    /// W_k transposed: `wt[k − 1][i][j] = w[k − 1][j][i]`.
    wt: [[[f32; H]; H]; L],
    /// `b[k − 1]` = b_k.
    b: [[f32; H]; L],
    w_out: [f32; H],
    b_out: f32,
}

mod pass;
mod persist;

use pass::Tape;
pub(crate) use persist::{config_block, read_config};

impl<const D: usize, const H: usize, const L: usize> Energy for DeepMlp<D, H, L> {
    fn dim(&self) -> usize {
        self.d
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        if x.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let mut t = Tape::<1, H, L>::new();
        Ok(self.run(&self.lane(x), &mut t, None, false)[0])
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if x.len() != self.d || grad.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let mut t = Tape::<1, H, L>::new();
        let mut g = [[0f32; 1]; D];
        let u = self.run(&self.lane(x), &mut t, Some(&mut g), true)[0];
        for (i, gi) in grad.iter_mut().enumerate() {
            *gi = g[i][0];
        }
        Ok(u)
    }

    /// Chunks of [`LANES`] walkers, then the rest one at a time; each lane
    /// computes exactly what [`Energy::value_grad`] computes (same bits).
    #[inline(never)]
    fn eval_batch<const N: usize, const DW: usize>(
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
        let full = n / LANES * LANES;
        if full > 0 {
            let mut t = Tape::<LANES, H, L>::new();
            for w0 in (0..full).step_by(LANES) {
                self.eval_chunk::<N, DW, LANES>(x, w0, with_grad, &mut t, out);
            }
        }
        let mut t = Tape::<1, H, L>::new();
        for w0 in full..n {
            self.eval_chunk::<N, DW, 1>(x, w0, with_grad, &mut t, out);
        }
    }
}

impl<const D: usize, const H: usize, const L: usize> Trainable for DeepMlp<D, H, L> {
    fn num_params(&self) -> usize {
        deep_mlp_param_count(self.d, self.widths())
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
        let xl = self.lane(x);
        let mut t = Tape::<1, H, L>::new();
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
        let n = n.min(N);
        if self.d > DW || grad.len() < self.num_params() {
            return Err((0, EvalError::WrongLength));
        }
        let full = n / LANES * LANES;
        if full > 0 {
            let mut t = Tape::<LANES, H, L>::new();
            for w0 in (0..full).step_by(LANES) {
                self.param_grad_chunk::<N, DW, LANES>(x, w0, weight, &mut t, grad);
            }
        }
        let mut t = Tape::<1, H, L>::new();
        for w0 in full..n {
            self.param_grad_chunk::<N, DW, 1>(x, w0, weight, &mut t, grad);
        }
        Ok(())
    }

    /// Chunks of [`LANES`] points through one batched forward/backward
    /// pass, then the rest one at a time; each lane's ∂θU has the bits of
    /// [`Trainable::accumulate_param_grad`].
    fn param_grad_each<const N: usize, const DW: usize>(
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
        let full = n / LANES * LANES;
        if full > 0 {
            let mut t = Tape::<LANES, H, L>::new();
            for w0 in (0..full).step_by(LANES) {
                if !self.param_grad_each_chunk::<N, DW, LANES>(x, w0, &mut t, g, &mut f) {
                    return Ok(());
                }
            }
        }
        let mut t = Tape::<1, H, L>::new();
        for w0 in full..n {
            if !self.param_grad_each_chunk::<N, DW, 1>(x, w0, &mut t, g, &mut f) {
                return Ok(());
            }
        }
        Ok(())
    }
}
