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
use crate::error::{Error, check_positive, check_size};
use crate::mlp::LANES;
use crate::mlp::lanes::{activate, dot, matvec, outer_grad};
use crate::model::{ModelConfig, ModelKind};
use crate::rng::Stream;
use crate::weights::{
    ConfigBlock, INCONSISTENT, ModelCodec, Persist, Reader, encode_with, f32s, fill, open,
};

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
/// (empty) value; [`Persist::decode_into`] fills such storage in place.
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

/// One layer's per-lane values: `[unit][lane]`.
type Units<const LN: usize, const H: usize> = [[f32; LN]; H];

/// Per-lane values of one forward/backward pass: z_k and σ'(a_k) (then
/// δ_k = ∂f/∂a_k after the backward pass) for every hidden layer.
struct Tape<const LN: usize, const H: usize, const L: usize> {
    z0: [[f32; LN]; H],
    d0: [[f32; LN]; H],
    z: [[[f32; LN]; H]; L],
    dz: [[[f32; LN]; H]; L],
}

impl<const LN: usize, const H: usize, const L: usize> Tape<LN, H, L> {
    fn new() -> Self {
        Tape {
            z0: [[0.0; LN]; H],
            d0: [[0.0; LN]; H],
            z: [[[0.0; LN]; H]; L],
            dz: [[[0.0; LN]; H]; L],
        }
    }

    /// z_k.
    fn z(&self, k: usize) -> &[[f32; LN]; H] {
        if k == 0 { &self.z0 } else { &self.z[k - 1] }
    }

    /// σ'(a_k), or δ_k.
    fn d(&self, k: usize) -> &[[f32; LN]; H] {
        if k == 0 { &self.d0 } else { &self.dz[k - 1] }
    }

    /// δ_k, mutably.
    fn d_mut(&mut self, k: usize) -> &mut [[f32; LN]; H] {
        if k == 0 {
            &mut self.d0
        } else {
            &mut self.dz[k - 1]
        }
    }

    /// (z_{k−1}, z_k, σ'(a_k)) for layer `k ≥ 1`.
    fn layer(&mut self, k: usize) -> (&Units<LN, H>, &mut Units<LN, H>, &mut Units<LN, H>) {
        let dz = &mut self.dz[k - 1];
        if k == 1 {
            (&self.z0, &mut self.z[0], dz)
        } else {
            let (lo, hi) = self.z.split_at_mut(k - 1);
            (&lo[k - 2], &mut hi[0], dz)
        }
    }
}

/// Start of each block in the flat gradient (`w[k]`, `b[k]` for k < n).
struct Offsets {
    w: [usize; MAX_LAYERS],
    b: [usize; MAX_LAYERS],
    w_out: usize,
    b_out: usize,
}

impl<const D: usize, const H: usize, const L: usize> DeepMlp<D, H, L> {
    /// Most hidden layers this type holds, `L + 1`.
    pub const MAX_HIDDEN_LAYERS: usize = {
        assert!(L < MAX_LAYERS, "DeepMlp: L + 1 must not exceed MAX_LAYERS");
        L + 1
    };

    /// All-zero weights (U = ½α|x|²), hidden widths `widths` (1 to `L + 1`
    /// of them, each 1 to `H`).
    pub fn zeros(d: usize, widths: &[usize], act: Activation, alpha: f32) -> Result<Self, Error> {
        let w = Self::check(d, widths, alpha)?;
        Ok(DeepMlp {
            d,
            n: widths.len(),
            widths: w,
            act,
            alpha,
            w_in: [[0.0; D]; H],
            w_in_t: [[0.0; H]; D],
            b_in: [0.0; H],
            w: [[[0.0; H]; H]; L],
            wt: [[[0.0; H]; H]; L],
            b: [[0.0; H]; L],
            w_out: [0.0; H],
            b_out: 0.0,
        })
    }

    /// Checks sizes and α as [`DeepMlp::zeros`] does; the widths padded.
    fn check(d: usize, widths: &[usize], alpha: f32) -> Result<[usize; MAX_LAYERS], Error> {
        check_size(d, D)?;
        check_size(widths.len(), Self::MAX_HIDDEN_LAYERS)?;
        let mut w = [0; MAX_LAYERS];
        for (o, &h) in w.iter_mut().zip(widths) {
            check_size(h, H)?;
            *o = h;
        }
        check_positive(alpha, "confinement alpha must be > 0")?;
        Ok(w)
    }

    /// Makes this model equal to `DeepMlp::zeros(d, widths, act, alpha)`
    /// in place, without a model-sized temporary; on error nothing changes.
    fn reinit_zeros(
        &mut self,
        d: usize,
        widths: &[usize],
        act: Activation,
        alpha: f32,
    ) -> Result<(), Error> {
        let w = Self::check(d, widths, alpha)?;
        (self.d, self.n, self.widths, self.act, self.alpha) = (d, widths.len(), w, act, alpha);
        self.w_in.as_flattened_mut().fill(0.0);
        self.w_in_t.as_flattened_mut().fill(0.0);
        self.b_in.fill(0.0);
        self.w.as_flattened_mut().as_flattened_mut().fill(0.0);
        self.wt.as_flattened_mut().as_flattened_mut().fill(0.0);
        self.b.as_flattened_mut().fill(0.0);
        self.w_out.fill(0.0);
        self.b_out = 0.0;
        Ok(())
    }

    /// Weights drawn N(0, 1/fan_in) from `seed`, biases zero.
    pub fn init(
        d: usize,
        widths: &[usize],
        act: Activation,
        alpha: f32,
        seed: u64,
    ) -> Result<Self, Error> {
        let mut m = Self::zeros(d, widths, act, alpha)?;
        let mut s = Stream::new(seed, 0x4450_4d4c);
        let (n, w) = (m.n, m.widths);
        let (mut row_d, mut row, mut scale) = ([0f32; D], [0f32; H], 1.0);
        // Each weight row is drawn when its first entry is written: W₀ rows
        // (fan-in d), the other rows and w_out (fan-in the layer below);
        // biases stay zero.
        m.write_params(|b, c| {
            Ok(match b {
                Block::W(0) => {
                    if c == 0 {
                        s.fill_normal(&mut row_d[..d]);
                        scale = 1.0 / crate::math::sqrt(d as f32);
                    }
                    scale * row_d[c]
                }
                Block::W(_) | Block::WOut => {
                    let fan = shape(b, d, &w[..n]).1;
                    if c == 0 {
                        s.fill_normal(&mut row[..fan]);
                        scale = 1.0 / crate::math::sqrt(fan as f32);
                    }
                    scale * row[c]
                }
                Block::B(_) | Block::BOut => 0.0,
            })
        })?;
        Ok(m)
    }

    /// From a flat parameter vector in the documented order.
    pub fn from_params(
        d: usize,
        widths: &[usize],
        act: Activation,
        alpha: f32,
        theta: &[f32],
    ) -> Result<Self, Error> {
        let mut m = Self::zeros(d, widths, act, alpha)?;
        m.set_params(theta)?;
        Ok(m)
    }

    /// The hidden widths, one per hidden layer.
    pub fn widths(&self) -> &[usize] {
        &self.widths[..self.n]
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// The confinement strength α.
    pub fn alpha(&self) -> f32 {
        self.alpha
    }

    /// Row `r` of block `b` as stored.
    fn row(&self, b: Block, r: usize) -> &[f32] {
        match b {
            Block::W(0) => &self.w_in[r],
            Block::W(k) => &self.w[k - 1][r],
            Block::B(0) => &self.b_in,
            Block::B(k) => &self.b[k - 1],
            Block::WOut => &self.w_out,
            Block::BOut => core::slice::from_ref(&self.b_out),
        }
    }

    /// Sets entry (`r`, `c`) of block `b`, and its transposed copy.
    #[inline]
    fn set(&mut self, b: Block, r: usize, c: usize, v: f32) {
        match b {
            Block::W(0) => (self.w_in[r][c], self.w_in_t[c][r]) = (v, v),
            Block::W(k) => (self.w[k - 1][r][c], self.wt[k - 1][c][r]) = (v, v),
            Block::B(0) => self.b_in[c] = v,
            Block::B(k) => self.b[k - 1][c] = v,
            Block::WOut => self.w_out[c] = v,
            Block::BOut => self.b_out = v,
        }
    }

    /// Calls `f` on each parameter in the flat order.
    fn visit_params(&self, mut f: impl FnMut(f32)) {
        for i in 0..num_blocks(self.n) {
            let b = block_at(self.n, i);
            let (rows, cols) = shape(b, self.d, self.widths());
            for r in 0..rows {
                self.row(b, r)[..cols].iter().for_each(|&v| f(v));
            }
        }
    }

    /// Writes every parameter in the flat order, each the value
    /// `next(block, column)` returns; stops at the first error, with `self`
    /// partly written.
    fn write_params(
        &mut self,
        mut next: impl FnMut(Block, usize) -> Result<f32, Error>,
    ) -> Result<(), Error> {
        let (n, d, w) = (self.n, self.d, self.widths);
        for i in 0..num_blocks(n) {
            let b = block_at(n, i);
            let (rows, cols) = shape(b, d, &w[..n]);
            for r in 0..rows {
                for c in 0..cols {
                    let v = next(b, c)?;
                    self.set(b, r, c, v);
                }
            }
        }
        Ok(())
    }

    /// Writes `num_params()` finite values from `theta` (the loader's
    /// path: on error `self` is partly written).
    fn load_params(&mut self, theta: impl Iterator<Item = f32>) -> Result<(), Error> {
        let expected = self.num_params();
        let (mut theta, mut found) = (theta.take(expected), 0);
        self.write_params(|_, _| {
            let v = theta
                .next()
                .ok_or(Error::DimensionMismatch { expected, found })?;
            if !v.is_finite() {
                return Err(Error::InvalidParameters("MLP weights"));
            }
            found += 1;
            Ok(v)
        })
    }

    /// Where each block starts in the flat vector.
    fn offsets(&self) -> Offsets {
        let mut o = Offsets {
            w: [0; MAX_LAYERS],
            b: [0; MAX_LAYERS],
            w_out: 0,
            b_out: 0,
        };
        let mut at = 0;
        for i in 0..num_blocks(self.n) {
            let b = block_at(self.n, i);
            match b {
                Block::W(k) => o.w[k] = at,
                Block::B(k) => o.b[k] = at,
                Block::WOut => o.w_out = at,
                Block::BOut => o.b_out = at,
            }
            let (rows, cols) = shape(b, self.d, self.widths());
            at += rows * cols;
        }
        o
    }

    /// Forward and backward pass over `LN` lanes: returns U per lane,
    /// writes ∇ₓU into `gx` when given, and leaves every δ_k in the tape.
    /// Out of line: one copy per lane count serves every caller.
    #[inline(never)]
    fn run<const LN: usize>(
        &self,
        x: &[[f32; LN]; D],
        t: &mut Tape<LN, H, L>,
        gx: Option<&mut [[f32; LN]; D]>,
        backward: bool,
    ) -> [f32; LN] {
        let (d, n, w) = (self.d, self.n, &self.widths);
        // Layer 0: a₀ = b₀ + W₀x.
        let mut a = [[0f32; LN]; H];
        let h0 = w[0];
        for (ar, &b) in a[..h0].iter_mut().zip(&self.b_in[..h0]) {
            *ar = [b; LN];
        }
        matvec(&self.w_in_t, &self.w_in, x, &mut a, d, h0);
        activate(self.act, &a[..h0], &mut t.z0[..h0], &mut t.d0[..h0]);
        // Layers k ≥ 1: a_k = b_k + W_k z_{k−1}.
        for k in 1..n {
            let (hi, ho) = (w[k - 1], w[k]);
            for (ar, &b) in a[..ho].iter_mut().zip(&self.b[k - 1][..ho]) {
                *ar = [b; LN];
            }
            let (zp, z, dz) = t.layer(k);
            matvec(&self.wt[k - 1], &self.w[k - 1], zp, &mut a, hi, ho);
            activate(self.act, &a[..ho], &mut z[..ho], &mut dz[..ho]);
        }
        let hl = w[n - 1];
        let mut u = dot(&self.w_out[..hl], &t.z(n - 1)[..hl], [self.b_out; LN]);
        for xi in &x[..d] {
            for (ul, &xl) in u.iter_mut().zip(xi) {
                *ul += 0.5 * self.alpha * xl * xl;
            }
        }
        if !backward {
            return u;
        }
        // δₙ₋₁ = w_out ⊙ σ'(aₙ₋₁);  δ_{k−1} = σ'(a_{k−1}) ⊙ W_kᵀδ_k.
        for (dr, &wv) in t.d_mut(n - 1)[..hl].iter_mut().zip(&self.w_out[..hl]) {
            for v in dr.iter_mut() {
                *v *= wv;
            }
        }
        for k in (1..n).rev() {
            let (hi, ho) = (w[k - 1], w[k]);
            for ar in a[..hi].iter_mut() {
                *ar = [0.0; LN];
            }
            matvec(&self.w[k - 1], &self.wt[k - 1], t.d(k), &mut a, ho, hi);
            for (dr, ar) in t.d_mut(k - 1)[..hi].iter_mut().zip(&a[..hi]) {
                for (v, &s) in dr.iter_mut().zip(ar) {
                    *v *= s;
                }
            }
        }
        if let Some(g) = gx {
            for ((gi, xi), wr) in g[..d].iter_mut().zip(&x[..d]).zip(&self.w_in_t[..d]) {
                let mut init = [0f32; LN];
                for (v, &xl) in init.iter_mut().zip(xi) {
                    *v = self.alpha * xl;
                }
                *gi = dot(&wr[..h0], &t.d0[..h0], init);
            }
        }
        u
    }

    /// Adds `Σ_l scale[l]·∂θU(x_l)` to `grad` over all lanes, from a tape
    /// after a backward pass; each parameter sums its lanes in lane order,
    /// each term rounded as `(c·δ)·z` (the bits of one point at a time, and
    /// of [`crate::Mlp`] for two equal hidden layers).
    #[inline]
    fn param_grad<const LN: usize>(
        &self,
        x: &[[f32; LN]; D],
        t: &Tape<LN, H, L>,
        scale: &[f32; LN],
        grad: &mut [f32],
    ) {
        let o = self.offsets();
        for (l, &c) in scale.iter().enumerate() {
            self.small_grads(x, t, l, c, &o, grad);
        }
        for k in 1..self.n {
            let (hi, ho) = (self.widths[k - 1], self.widths[k]);
            let g = &mut grad[o.w[k]..o.w[k] + ho * hi];
            outer_grad(g, ho, hi, t.d(k), t.z(k - 1), scale);
        }
    }

    /// Writes lane `l`'s own ∂θU into `grad` (from zero: `0 + v` is what
    /// accumulating into zeros gives, so this has the bits of
    /// [`Trainable::accumulate_param_grad`] on a zeroed buffer).
    #[inline]
    fn point_grad<const LN: usize>(
        &self,
        x: &[[f32; LN]; D],
        t: &Tape<LN, H, L>,
        l: usize,
        grad: &mut [f32],
    ) {
        grad[..self.num_params()].fill(0.0);
        if LN == 1 {
            return self.param_grad(x, t, &[1.0; LN], grad);
        }
        let o = self.offsets();
        self.small_grads(x, t, l, 1.0, &o, grad);
        for k in 1..self.n {
            let (hi, ho) = (self.widths[k - 1], self.widths[k]);
            let (dk, zp) = (t.d(k), t.z(k - 1));
            let g = &mut grad[o.w[k]..o.w[k] + ho * hi];
            for (row, dr) in g.chunks_exact_mut(hi.max(1)).zip(&dk[..ho]) {
                let sd = dr[l];
                for (a, zr) in row.iter_mut().zip(&zp[..hi]) {
                    *a += sd * zr[l];
                }
            }
        }
    }

    /// Adds `c·∂U/∂θ` of lane `l` for every block but the hidden-to-hidden
    /// matrices: W₀, the biases, w_out, b_out.
    #[inline]
    fn small_grads<const LN: usize>(
        &self,
        x: &[[f32; LN]; D],
        t: &Tape<LN, H, L>,
        l: usize,
        c: f32,
        o: &Offsets,
        grad: &mut [f32],
    ) {
        let (d, n, w) = (self.d, self.n, &self.widths);
        let xl: [f32; D] = core::array::from_fn(|i| x[i][l]);
        let h0 = w[0];
        let (gw0, rest) = grad[o.w[0]..].split_at_mut(h0 * d);
        for ((b, wr), d0) in rest[..h0]
            .iter_mut()
            .zip(gw0.chunks_exact_mut(d.max(1)))
            .zip(&t.d0[..h0])
        {
            let sd = c * d0[l];
            *b += sd;
            for (wi, &xi) in wr.iter_mut().zip(&xl[..d]) {
                *wi += sd * xi;
            }
        }
        for k in 1..n {
            for (b, dk) in grad[o.b[k]..o.b[k] + w[k]].iter_mut().zip(&t.d(k)[..w[k]]) {
                *b += c * dk[l];
            }
        }
        let hl = w[n - 1];
        for (g, z) in grad[o.w_out..o.w_out + hl]
            .iter_mut()
            .zip(&t.z(n - 1)[..hl])
        {
            *g += c * z[l];
        }
        grad[o.b_out] += c;
    }

    /// Copies walkers `w0..w0+LN` into lanes.
    #[inline]
    fn gather<const N: usize, const DW: usize, const LN: usize>(
        &self,
        x: &Soa<N, DW>,
        w0: usize,
    ) -> [[f32; LN]; D] {
        let mut xl = [[0f32; LN]; D];
        for i in 0..self.d {
            xl[i].copy_from_slice(&x[i][w0..w0 + LN]);
        }
        xl
    }

    /// Evaluates walkers `w0..w0+LN` of `x` into `out`.
    #[inline]
    fn eval_chunk<const N: usize, const DW: usize, const LN: usize>(
        &self,
        x: &Soa<N, DW>,
        w0: usize,
        with_grad: bool,
        t: &mut Tape<LN, H, L>,
        out: &mut Evals<N, DW>,
    ) {
        let xl = self.gather::<N, DW, LN>(x, w0);
        let mut g = [[0f32; LN]; D];
        let u = self.run(&xl, t, with_grad.then_some(&mut g), with_grad);
        out.u[w0..w0 + LN].copy_from_slice(&u);
        out.code[w0..w0 + LN].fill(0);
        if with_grad {
            for i in 0..self.d {
                out.grad[i][w0..w0 + LN].copy_from_slice(&g[i]);
            }
        }
    }

    /// Adds the weighted parameter gradient of walkers `w0..w0+LN`.
    #[inline]
    fn param_grad_chunk<const N: usize, const DW: usize, const LN: usize>(
        &self,
        x: &Soa<N, DW>,
        w0: usize,
        weight: &[f32; N],
        t: &mut Tape<LN, H, L>,
        grad: &mut [f32],
    ) {
        let xl = self.gather::<N, DW, LN>(x, w0);
        self.run(&xl, t, None, true);
        let mut scale = [0f32; LN];
        scale.copy_from_slice(&weight[w0..w0 + LN]);
        self.param_grad(&xl, t, &scale, grad);
    }

    /// [`Trainable::param_grad_each`] for walkers `w0..w0+LN`; returns
    /// whether to go on.
    #[inline]
    fn param_grad_each_chunk<const N: usize, const DW: usize, const LN: usize>(
        &self,
        x: &Soa<N, DW>,
        w0: usize,
        t: &mut Tape<LN, H, L>,
        scratch: &mut [f32],
        f: &mut impl FnMut(usize, f32, &[f32]) -> bool,
    ) -> bool {
        let xl = self.gather::<N, DW, LN>(x, w0);
        let u = self.run(&xl, t, None, true);
        for (l, &ul) in u.iter().enumerate() {
            self.point_grad(&xl, t, l, scratch);
            if !f(w0 + l, ul, scratch) {
                return false;
            }
        }
        true
    }

    /// One point in lane form (coordinates beyond `d` zero).
    fn lane(&self, x: &[f32]) -> [[f32; 1]; D] {
        core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }])
    }
}

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

// The weight format.

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
