//! The passes of a [`DeepMlp`]: forward and backward on lanes, value and
//! gradients for one point or chunks of walkers, the θ-gradient blocks.

use crate::activation::Activation;
use crate::energy::{Evals, Soa, Trainable};
use crate::error::{Error, check_positive, check_size};
use crate::mlp::lanes::{activate, dot, matvec, outer_grad};
use crate::rng::Stream;

use super::*;

/// One layer's per-lane values: `[unit][lane]`.
type Units<const LN: usize, const H: usize> = [[f32; LN]; H];

/// Per-lane values of one forward/backward pass: z_k and σ'(a_k) (then
/// δ_k = ∂f/∂a_k after the backward pass) for every hidden layer.
pub(super) struct Tape<const LN: usize, const H: usize, const L: usize> {
    z0: [[f32; LN]; H],
    d0: [[f32; LN]; H],
    z: [[[f32; LN]; H]; L],
    dz: [[[f32; LN]; H]; L],
}

impl<const LN: usize, const H: usize, const L: usize> Tape<LN, H, L> {
    pub(super) fn new() -> Self {
        Tape {
            z0: [[0.0; LN]; H],
            d0: [[0.0; LN]; H],
            z: [[[0.0; LN]; H]; L],
            dz: [[[0.0; LN]; H]; L],
        }
    }

    /// z_k.
    pub(super) fn z(&self, k: usize) -> &[[f32; LN]; H] {
        if k == 0 { &self.z0 } else { &self.z[k - 1] }
    }

    /// σ'(a_k), or δ_k.
    pub(super) fn d(&self, k: usize) -> &[[f32; LN]; H] {
        if k == 0 { &self.d0 } else { &self.dz[k - 1] }
    }

    /// δ_k, mutably.
    pub(super) fn d_mut(&mut self, k: usize) -> &mut [[f32; LN]; H] {
        if k == 0 {
            &mut self.d0
        } else {
            &mut self.dz[k - 1]
        }
    }

    /// (z_{k−1}, z_k, σ'(a_k)) for layer `k ≥ 1`.
    pub(super) fn layer(
        &mut self,
        k: usize,
    ) -> (&Units<LN, H>, &mut Units<LN, H>, &mut Units<LN, H>) {
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
pub(super) struct Offsets {
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
    pub(super) fn check(
        d: usize,
        widths: &[usize],
        alpha: f32,
    ) -> Result<[usize; MAX_LAYERS], Error> {
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
    pub(super) fn reinit_zeros(
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

    /// [`DeepMlp::init`]'s random hidden layers with a zero output layer
    /// (w_out = 0, b_out = 0): U = ½α|x|² exactly, so ρ ∝ exp(−βU) is
    /// N(0, 1/(αβ)·I) (see [`crate::Mlp::init_confined`]).
    pub fn init_confined(
        d: usize,
        widths: &[usize],
        act: Activation,
        alpha: f32,
        seed: u64,
    ) -> Result<Self, Error> {
        let mut m = Self::init(d, widths, act, alpha, seed)?;
        m.w_out.fill(0.0);
        m.b_out = 0.0;
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
    pub(super) fn row(&self, b: Block, r: usize) -> &[f32] {
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
    pub(super) fn set(&mut self, b: Block, r: usize, c: usize, v: f32) {
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
    pub(super) fn visit_params(&self, mut f: impl FnMut(f32)) {
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
    pub(super) fn write_params(
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
    pub(super) fn load_params(&mut self, theta: impl Iterator<Item = f32>) -> Result<(), Error> {
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
    pub(super) fn offsets(&self) -> Offsets {
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
    pub(super) fn run<const LN: usize>(
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
    pub(super) fn param_grad<const LN: usize>(
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
    pub(super) fn point_grad<const LN: usize>(
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
    pub(super) fn small_grads<const LN: usize>(
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
    pub(super) fn gather<const N: usize, const DW: usize, const LN: usize>(
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
    pub(super) fn eval_chunk<const N: usize, const DW: usize, const LN: usize>(
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
    pub(super) fn param_grad_chunk<const N: usize, const DW: usize, const LN: usize>(
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
    pub(super) fn param_grad_each_chunk<const N: usize, const DW: usize, const LN: usize>(
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
    pub(super) fn lane(&self, x: &[f32]) -> [[f32; 1]; D] {
        core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }])
    }
}
