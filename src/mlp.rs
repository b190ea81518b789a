//! MLP energy U(x) = w₃·σ(W₂ σ(W₁x + b₁) + b₂) + b₃ + ½α|x|², sizes d → h → h → 1.
//!
//! The quadratic confinement ½α|x|² (α > 0, fixed, not trained) makes exp(−U)
//! normalisable whatever the weights: the network part has bounded gradient
//! (σ' bounded, weights finite), so x·∇U ≥ α|x|²/2 far out (Assumption 2.1).
//!
//! Parameters, flat: W₁ (h×d, row j = hidden unit j), b₁ (h), W₂ (h×h, row k
//! = unit k of layer 2), b₂ (h), w₃ (h), b₃ (1): `h·(d + h + 3) + 1` values.
//!
//! One function body serves a single point and a chunk of walkers: every
//! layer works on `L` lanes (`[f32; L]` per unit), with `L = 1` for
//! [`Energy::value_grad`] and `L = LANES` for [`Energy::eval_batch`], where the
//! lane loops are what the compiler vectorises.

use crate::activation::{Act, Activation, SiluAct, SoftplusAct, TanhAct};
use crate::energy::{Energy, EvalError, Evals, Soa, Trainable, check_finite, check_len};
use crate::error::{Error, check_positive, check_size};
use crate::rng::Stream;

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

/// Parameter count of a `d → h → h → 1` MLP.
pub const fn mlp_param_count(d: usize, h: usize) -> usize {
    h * (d + h + 3) + 1
}

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

/// Per-lane intermediate values of one forward/backward pass.
struct Tape<const L: usize, const H: usize> {
    z1: [[f32; L]; H],
    /// σ'(a₁), then δ₁ = ∂f/∂a₁ after the backward pass.
    d1: [[f32; L]; H],
    z2: [[f32; L]; H],
    /// σ'(a₂), then δ₂ = ∂f/∂a₂.
    d2: [[f32; L]; H],
}

/// Every sum over an input index r is split into two partial sums (r mod 2),
/// combined as `p₀ + p₁`. The order is fixed, so one point and a chunk of
/// walkers get the same bits on every target. Two chains halve the latency
/// of one point's sums; four (as before) gained nothing more on one point
/// and made a chunk's accumulators spill out of the 16 vector registers of
/// x86_64 (see `matvec`).
const PARTIALS: usize = 2;

/// `acc += w·v` lane by lane: the only loop the compiler should vectorise.
#[inline(always)]
fn axpy<const L: usize>(acc: &mut [f32; L], w: f32, v: &[f32; L]) {
    for (a, &x) in acc.iter_mut().zip(v) {
        *a += w * x;
    }
}

/// `out += p₀ + p₁` lane by lane.
#[inline(always)]
fn add_tree<const L: usize>(out: &mut [f32; L], p: &[[f32; L]; PARTIALS]) {
    for l in 0..L {
        out[l] += p[0][l] + p[1][l];
    }
}

/// (σ(a), σ'(a)) for every unit and lane, written as zipped slices so that
/// no bounds check stands between the compiler and vectorising over units.
#[inline(always)]
fn activate_with<A: Act, const L: usize>(a: &[[f32; L]], z: &mut [[f32; L]], ds: &mut [[f32; L]]) {
    for ((ar, zr), dr) in a.iter().zip(z.iter_mut()).zip(ds.iter_mut()) {
        for ((&av, zv), dv) in ar.iter().zip(zr.iter_mut()).zip(dr.iter_mut()) {
            (*zv, *dv) = A::f_df(av);
        }
    }
}

/// [`activate_with`] out of line: one copy per activation and lane count,
/// shared by both hidden layers (inlined, the loops were compiled six times
/// per lane count: 5.5 KB more flash on a Cortex-M4F for ~10 instructions
/// saved per evaluation).
#[inline(never)]
fn activate_layer<A: Act, const L: usize>(a: &[[f32; L]], z: &mut [[f32; L]], ds: &mut [[f32; L]]) {
    activate_with::<A, L>(a, z, ds)
}

/// Dispatches on the activation once per layer: the rest of the pass is
/// compiled once, not once per activation (flash matters on a Cortex-M).
#[inline(always)]
fn activate<const L: usize>(
    act: Activation,
    a: &[[f32; L]],
    z: &mut [[f32; L]],
    ds: &mut [[f32; L]],
) {
    match act {
        Activation::Tanh => activate_layer::<TanhAct, L>(a, z, ds),
        Activation::Silu => activate_layer::<SiluAct, L>(a, z, ds),
        Activation::Softplus => activate_layer::<SoftplusAct, L>(a, z, ds),
    }
}

/// `init + Σⱼ w[j]·z[j]` per lane (a single output).
#[inline(always)]
fn dot<const L: usize>(w: &[f32], z: &[[f32; L]], init: [f32; L]) -> [f32; L] {
    let mut p = [[0f32; L]; PARTIALS];
    let n = w.len().min(z.len());
    // Four terms per trip (two per partial, in order): the same sums as
    // two per trip, with half the loop overhead on a Cortex-M.
    let full = n / 4 * 4;
    for (wc, zc) in w[..full].chunks_exact(4).zip(z[..full].chunks_exact(4)) {
        axpy(&mut p[0], wc[0], &zc[0]);
        axpy(&mut p[1], wc[1], &zc[1]);
        axpy(&mut p[0], wc[2], &zc[2]);
        axpy(&mut p[1], wc[3], &zc[3]);
    }
    for r in full..n {
        axpy(&mut p[r % PARTIALS], w[r], &z[r]);
    }
    let mut out = init;
    add_tree(&mut out, &p);
    out
}

/// Parameters of one W₂ row handled together in the θ-gradient (one AVX
/// register on x86_64; plain unrolling elsewhere).
const BLOCK: usize = 8;

/// `m` with rows and columns swapped: `out[l][j] = m[j][l]`.
#[inline]
fn transpose<const L: usize, const H: usize>(m: &[[f32; L]; H]) -> [[f32; H]; L] {
    core::array::from_fn(|l| core::array::from_fn(|j| m[j][l]))
}

/// Whether the target has wide SIMD for the one-point axpy form. Without it
/// (a Cortex-M FPU), the dot form keeps partial sums in registers and needs
/// two loads and one multiply-add per weight instead of five operations.
const WIDE_SIMD: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

/// `acc[o] += Σ_r M[o][r]·v[r]` for `o < n_out`, `r < n_in`, each sum split
/// as described at [`PARTIALS`]. The bits do not depend on the loop order,
/// which is chosen for the target: one point (`L = 1`) with wide SIMD runs
/// axpys over outputs using `m_by_in[r][o]`; otherwise each output keeps its
/// lanes in registers and walks `m_by_out[o][r]` (vectorised over lanes).
#[inline(always)]
fn matvec<const L: usize, const RI: usize, const RO: usize>(
    m_by_in: &[[f32; RO]],
    m_by_out: &[[f32; RI]],
    v: &[[f32; L]],
    acc: &mut [[f32; L]],
    n_in: usize,
    n_out: usize,
) {
    let full = n_in / PARTIALS * PARTIALS;
    if L == 1 && WIDE_SIMD {
        // Axpys over the full row width RO: fixed trip counts keep the partial
        // sums in registers. Weights beyond the outputs in use are zero and
        // those partial sums are never read, so this only costs h < H users.
        let mut p = [[0f32; RO]; PARTIALS];
        let [p0, p1] = &mut p;
        for (rows, vs) in m_by_in[..full]
            .chunks_exact(PARTIALS)
            .zip(v[..full].chunks_exact(PARTIALS))
        {
            // Spelled out: a loop over the partials invites the vectoriser to
            // run across them (gathers) instead of along each row.
            axpy(p0, vs[0][0], &rows[0]);
            axpy(p1, vs[1][0], &rows[1]);
        }
        for q in 0..n_in - full {
            axpy(&mut p[q], v[full + q][0], &m_by_in[full + q]);
        }
        let n_out = n_out.min(RO);
        for ((a, &p0), &p1) in acc[..n_out]
            .iter_mut()
            .zip(&p[0][..n_out])
            .zip(&p[1][..n_out])
        {
            a[0] += p0 + p1;
        }
    } else {
        for (a_o, row) in acc[..n_out].iter_mut().zip(m_by_out) {
            *a_o = dot(&row[..n_in], &v[..n_in], *a_o);
        }
    }
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
        for row in self.w1.iter_mut() {
            row.fill(0.0);
        }
        for row in self.w1t.iter_mut() {
            row.fill(0.0);
        }
        for row in self.w2.iter_mut().chain(self.w2t.iter_mut()) {
            row.fill(0.0);
        }
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
        let mut w = FlatWriter::new(&mut m);
        // Flat order: W₁ rows (fan-in d), b₁, W₂ rows (fan-in h), b₂, w₃ (fan-in h), b₃.
        for j in 0..h {
            s.fill_normal(&mut row_d[..d]);
            for i in 0..d {
                w.set(j * d + i, s1 * row_d[i]);
            }
        }
        let w2_start = h * d + h;
        for k in 0..h {
            s.fill_normal(&mut row[..h]);
            for j in 0..h {
                w.set(w2_start + k * h + j, s2 * row[j]);
            }
        }
        s.fill_normal(&mut row[..h]);
        for k in 0..h {
            w.set(w2_start + h * h + h + k, s2 * row[k]);
        }
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

    /// Forward and backward pass over `L` lanes: returns U per lane, writes
    /// ∇ₓU into `gx` when given, and leaves δ₁, δ₂ in the tape. Out of line:
    /// one copy per lane count serves every caller.
    #[inline(never)]
    fn run<const L: usize>(
        &self,
        x: &[[f32; L]; D],
        t: &mut Tape<L, H>,
        gx: Option<&mut [[f32; L]; D]>,
        backward: bool,
    ) -> [f32; L] {
        let (d, h) = (self.d, self.h);
        // Layer 1: a₁ = b₁ + W₁x.
        let mut a = [[0f32; L]; H];
        for (ar, &b) in a[..h].iter_mut().zip(&self.b1[..h]) {
            *ar = [b; L];
        }
        matvec(&self.w1t, &self.w1, x, &mut a, d, h);
        activate(self.act, &a[..h], &mut t.z1[..h], &mut t.d1[..h]);
        // Layer 2: a₂ = b₂ + W₂z₁.
        for (ar, &b) in a[..h].iter_mut().zip(&self.b2[..h]) {
            *ar = [b; L];
        }
        matvec(&self.w2t, &self.w2, &t.z1, &mut a, h, h);
        activate(self.act, &a[..h], &mut t.z2[..h], &mut t.d2[..h]);
        let mut u = dot(&self.w3[..h], &t.z2[..h], [self.b3; L]);
        for xi in &x[..d] {
            for (ul, &xl) in u.iter_mut().zip(xi) {
                *ul += 0.5 * self.alpha * xl * xl;
            }
        }
        if !backward {
            return u;
        }
        // δ₂ = w₃ ⊙ σ'(a₂);  δ₁ = σ'(a₁) ⊙ W₂ᵀδ₂.
        for (dr, &w) in t.d2[..h].iter_mut().zip(&self.w3[..h]) {
            for v in dr.iter_mut() {
                *v *= w;
            }
        }
        for ar in a[..h].iter_mut() {
            *ar = [0.0; L];
        }
        matvec(&self.w2, &self.w2t, &t.d2, &mut a, h, h);
        for (dr, ar) in t.d1[..h].iter_mut().zip(&a[..h]) {
            for (v, &s) in dr.iter_mut().zip(ar) {
                *v *= s;
            }
        }
        if let Some(g) = gx {
            for ((gi, xi), w) in g[..d].iter_mut().zip(&x[..d]).zip(&self.w1t[..d]) {
                let mut init = [0f32; L];
                for (v, &xl) in init.iter_mut().zip(xi) {
                    *v = self.alpha * xl;
                }
                *gi = dot(&w[..h], &t.d1[..h], init);
            }
        }
        u
    }

    /// Adds `Σ_l scale[l]·∂θU(x_l)` to `grad` over all lanes, from a tape
    /// after a backward pass.
    ///
    /// Every parameter sums its lanes in lane order, each term rounded as
    /// `(c·δ)·z`: the bits of taking the points one at a time. W₂'s outer
    /// products (h² of the h² + hd + 3h + 1 terms) run one row block of
    /// [`BLOCK`] parameters at a time, held in registers across the lanes
    /// (lane by lane, each block was loaded and stored once per lane).
    #[inline]
    fn param_grad<const L: usize>(
        &self,
        x: &[[f32; L]; D],
        t: &Tape<L, H>,
        scale: &[f32; L],
        grad: &mut [f32],
    ) {
        let h = self.h;
        let mut g = GradParts::split(grad, self.d, h);
        for (l, &c) in scale.iter().enumerate() {
            self.small_grads(x, t, l, c, &mut g);
        }
        if L == 1 {
            // One lane (a small target): nothing to keep across lanes, and
            // the plain loop is a third of the blocked one's flash.
            for (k, row) in g.w2.chunks_exact_mut(h.max(1)).enumerate().take(h) {
                let sd2 = scale[0] * t.d2[k][0];
                for (a, z) in row.iter_mut().zip(&t.z1[..h]) {
                    *a += sd2 * z[0];
                }
            }
            return;
        }
        let z1t = transpose(&t.z1);
        for (k, row) in g.w2.chunks_exact_mut(h.max(1)).enumerate().take(h) {
            let sd2: [f32; L] = core::array::from_fn(|l| scale[l] * t.d2[k][l]);
            let (full, tail) = row.split_at_mut(h / BLOCK * BLOCK);
            for (b, blk) in full.chunks_exact_mut(BLOCK).enumerate() {
                let blk: &mut [f32; BLOCK] = blk.try_into().unwrap();
                let mut acc = *blk;
                for (z, &c) in z1t.iter().zip(&sd2) {
                    let z: &[f32; BLOCK] = z[b * BLOCK..(b + 1) * BLOCK].try_into().unwrap();
                    axpy(&mut acc, c, z);
                }
                *blk = acc;
            }
            for (z, &c) in z1t.iter().zip(&sd2) {
                for (a, &zj) in tail.iter_mut().zip(&z[full.len()..]) {
                    *a += c * zj;
                }
            }
        }
    }

    /// Writes lane `l`'s own ∂θU into `grad` (no zeroing first: `0 + v` is
    /// what accumulating into zeros gives, signed zeros included, so this
    /// has the bits of [`Trainable::accumulate_param_grad`] on a zeroed
    /// buffer).
    #[inline]
    fn point_grad<const L: usize>(
        &self,
        x: &[[f32; L]; D],
        t: &Tape<L, H>,
        l: usize,
        grad: &mut [f32],
    ) {
        if L == 1 {
            // One lane (a small target): the same sum from a zeroed buffer,
            // without a second copy of the W₂ loop in flash.
            grad[..self.num_params()].fill(0.0);
            return self.param_grad(x, t, &[1.0; L], grad);
        }
        let h = self.h;
        let mut g = GradParts::split(grad, self.d, h);
        g.w1.fill(0.0);
        g.b1.fill(0.0);
        g.b2.fill(0.0);
        g.w3.fill(0.0);
        g.b3[0] = 0.0;
        self.small_grads(x, t, l, 1.0, &mut g);
        let z1: [f32; H] = core::array::from_fn(|j| t.z1[j][l]);
        for (k, row) in g.w2.chunks_exact_mut(h.max(1)).enumerate().take(h) {
            let sd2 = t.d2[k][l];
            for (a, &z) in row.iter_mut().zip(&z1[..h]) {
                *a = 0.0 + sd2 * z;
            }
        }
    }

    /// Adds `c·∂U/∂(W₁, b₁, b₂, w₃, b₃)` of lane `l` (all but W₂).
    #[inline]
    fn small_grads<const L: usize>(
        &self,
        x: &[[f32; L]; D],
        t: &Tape<L, H>,
        l: usize,
        c: f32,
        g: &mut GradParts<'_>,
    ) {
        let (d, h) = (self.d, self.h);
        let xl: [f32; D] = core::array::from_fn(|i| x[i][l]);
        // Zipped, not indexed: no bounds check in these per-lane loops.
        for ((b, w), d1) in
            g.b1.iter_mut()
                .zip(g.w1.chunks_exact_mut(d.max(1)))
                .zip(&t.d1[..h])
        {
            let sd1 = c * d1[l];
            *b += sd1;
            for (wi, &xi) in w.iter_mut().zip(&xl[..d]) {
                *wi += sd1 * xi;
            }
        }
        for (((b, w), d2), z2) in
            g.b2.iter_mut()
                .zip(g.w3.iter_mut())
                .zip(&t.d2[..h])
                .zip(&t.z2[..h])
        {
            *b += c * d2[l];
            *w += c * z2[l];
        }
        g.b3[0] += c;
    }

    fn tape<const L: usize>() -> Tape<L, H> {
        Tape {
            z1: [[0.0; L]; H],
            d1: [[0.0; L]; H],
            z2: [[0.0; L]; H],
            d2: [[0.0; L]; H],
        }
    }

    /// Copies walkers `w0..w0+L` into lanes.
    #[inline]
    fn gather<const N: usize, const DW: usize, const L: usize>(
        &self,
        x: &Soa<N, DW>,
        w0: usize,
    ) -> [[f32; L]; D] {
        let mut xl = [[0f32; L]; D];
        for i in 0..self.d {
            xl[i].copy_from_slice(&x[i][w0..w0 + L]);
        }
        xl
    }

    /// Evaluates walkers `w0..w0+L` of `x` into `out`.
    #[inline]
    fn eval_chunk<const N: usize, const DW: usize, const L: usize>(
        &self,
        x: &Soa<N, DW>,
        w0: usize,
        with_grad: bool,
        t: &mut Tape<L, H>,
        out: &mut Evals<N, DW>,
    ) {
        let xl = self.gather::<N, DW, L>(x, w0);
        let mut g = [[0f32; L]; D];
        let u = self.run(&xl, t, with_grad.then_some(&mut g), with_grad);
        out.u[w0..w0 + L].copy_from_slice(&u);
        out.code[w0..w0 + L].fill(0);
        if with_grad {
            for i in 0..self.d {
                out.grad[i][w0..w0 + L].copy_from_slice(&g[i]);
            }
        }
    }

    /// Adds the weighted parameter gradient of walkers `w0..w0+L`.
    #[inline]
    fn param_grad_chunk<const N: usize, const DW: usize, const L: usize>(
        &self,
        x: &Soa<N, DW>,
        w0: usize,
        weight: &[f32; N],
        t: &mut Tape<L, H>,
        grad: &mut [f32],
    ) {
        let xl = self.gather::<N, DW, L>(x, w0);
        self.run(&xl, t, None, true);
        let mut scale = [0f32; L];
        scale.copy_from_slice(&weight[w0..w0 + L]);
        self.param_grad(&xl, t, &scale, grad);
    }

    /// [`Trainable::param_grad_each`] for walkers `w0..w0+L`: one batched
    /// forward/backward pass, then each lane's ∂θU into `scratch` and `f`.
    /// Returns whether to go on.
    #[inline]
    fn param_grad_each_chunk<const N: usize, const DW: usize, const L: usize>(
        &self,
        x: &Soa<N, DW>,
        w0: usize,
        t: &mut Tape<L, H>,
        scratch: &mut [f32],
        f: &mut impl FnMut(usize, f32, &[f32]) -> bool,
    ) -> bool {
        let xl = self.gather::<N, DW, L>(x, w0);
        let u = self.run(&xl, t, None, true);
        for (l, &ul) in u.iter().enumerate() {
            self.point_grad(&xl, t, l, scratch);
            if !f(w0 + l, ul, scratch) {
                return false;
            }
        }
        true
    }
}

/// A flat parameter gradient cut into its blocks (the order of
/// [`Trainable::params`]).
struct GradParts<'a> {
    w1: &'a mut [f32],
    b1: &'a mut [f32],
    w2: &'a mut [f32],
    b2: &'a mut [f32],
    w3: &'a mut [f32],
    b3: &'a mut [f32],
}

impl<'a> GradParts<'a> {
    fn split(grad: &'a mut [f32], d: usize, h: usize) -> Self {
        let (w1, rest) = grad.split_at_mut(h * d);
        let (b1, rest) = rest.split_at_mut(h);
        let (w2, rest) = rest.split_at_mut(h * h);
        let (b2, rest) = rest.split_at_mut(h);
        let (w3, b3) = rest.split_at_mut(h);
        GradParts {
            w1,
            b1,
            w2,
            b2,
            w3,
            b3,
        }
    }
}

/// Writes flat parameter `idx` into its place in an [`Mlp`] (both copies of W₂).
struct FlatWriter<'a, const D: usize, const H: usize> {
    m: &'a mut Mlp<D, H>,
}

impl<'a, const D: usize, const H: usize> FlatWriter<'a, D, H> {
    fn new(m: &'a mut Mlp<D, H>) -> Self {
        FlatWriter { m }
    }

    #[inline]
    fn set(&mut self, idx: usize, v: f32) {
        let (d, h) = (self.m.d, self.m.h);
        let mut o = idx;
        if o < h * d {
            let (j, i) = (o / d, o % d);
            self.m.w1[j][i] = v;
            self.m.w1t[i][j] = v;
            return;
        }
        o -= h * d;
        if o < h {
            self.m.b1[o] = v;
            return;
        }
        o -= h;
        if o < h * h {
            let (k, j) = (o / h, o % h);
            self.m.w2[k][j] = v;
            self.m.w2t[j][k] = v;
            return;
        }
        o -= h * h;
        if o < h {
            self.m.b2[o] = v;
            return;
        }
        o -= h;
        if o < h {
            self.m.w3[o] = v;
            return;
        }
        self.m.b3 = v;
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
        let mut t = Self::tape::<1>();
        Ok(self.run(&xl, &mut t, None, false)[0])
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if x.len() != self.d || grad.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let xl: [[f32; 1]; D] = core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }]);
        let mut t = Self::tape::<1>();
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
        let n = n.min(N);
        if self.d > DW {
            out.code[..n].iter_mut().for_each(|c| *c = i32::MIN);
            return;
        }
        let full = n / LANES * LANES;
        // One tape per call, not per chunk: `run` overwrites units 0..h and
        // never reads the rest, so zeroing it again (16 KB) is wasted.
        if full > 0 {
            let mut t = Self::tape::<LANES>();
            for w0 in (0..full).step_by(LANES) {
                self.eval_chunk::<N, DW, LANES>(x, w0, with_grad, &mut t, out);
            }
        }
        let mut t = Self::tape::<1>();
        for w0 in full..n {
            self.eval_chunk::<N, DW, 1>(x, w0, with_grad, &mut t, out);
        }
    }
}

impl<const D: usize, const H: usize> Trainable for Mlp<D, H> {
    fn num_params(&self) -> usize {
        mlp_param_count(self.d, self.h)
    }

    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        let (d, h, p) = (self.d, self.h, self.num_params());
        if out.len() < p {
            return Err(Error::CapacityExceeded {
                requested: p,
                capacity: out.len(),
            });
        }
        let mut o = 0;
        for row in &self.w1[..h] {
            out[o..o + d].copy_from_slice(&row[..d]);
            o += d;
        }
        out[o..o + h].copy_from_slice(&self.b1[..h]);
        o += h;
        for row in &self.w2[..h] {
            out[o..o + h].copy_from_slice(&row[..h]);
            o += h;
        }
        out[o..o + h].copy_from_slice(&self.b2[..h]);
        o += h;
        out[o..o + h].copy_from_slice(&self.w3[..h]);
        out[o + h] = self.b3;
        Ok(())
    }

    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        check_len(self.num_params(), theta.len())?;
        check_finite(theta, "MLP weights")?;
        // Block by block (a trainer installs θ every update): FlatWriter's
        // per-index divisions cost more than the copies.
        let (d, h) = (self.d, self.h);
        let (w1, rest) = theta.split_at(h * d);
        let (b1, rest) = rest.split_at(h);
        let (w2, rest) = rest.split_at(h * h);
        let (b2, rest) = rest.split_at(h);
        let (w3, b3) = rest.split_at(h);
        for (j, row) in w1.chunks_exact(d.max(1)).enumerate().take(h) {
            self.w1[j][..d].copy_from_slice(row);
            for (i, &v) in row.iter().enumerate() {
                self.w1t[i][j] = v;
            }
        }
        self.b1[..h].copy_from_slice(b1);
        for (k, row) in w2.chunks_exact(h.max(1)).enumerate().take(h) {
            self.w2[k][..h].copy_from_slice(row);
            for (j, &v) in row.iter().enumerate() {
                self.w2t[j][k] = v;
            }
        }
        self.b2[..h].copy_from_slice(b2);
        self.w3[..h].copy_from_slice(w3);
        self.b3 = b3[0];
        Ok(())
    }

    fn accumulate_param_grad(
        &self,
        x: &[f32],
        scale: f32,
        grad: &mut [f32],
    ) -> Result<f32, EvalError> {
        if x.len() != self.d || grad.len() < self.num_params() {
            return Err(EvalError::WrongLength);
        }
        let xl: [[f32; 1]; D] = core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }]);
        let mut t = Self::tape::<1>();
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
            let mut t = Self::tape::<LANES>();
            for w0 in (0..full).step_by(LANES) {
                self.param_grad_chunk::<N, DW, LANES>(x, w0, weight, &mut t, grad);
            }
        }
        let mut t = Self::tape::<1>();
        for w0 in full..n {
            self.param_grad_chunk::<N, DW, 1>(x, w0, weight, &mut t, grad);
        }
        Ok(())
    }

    /// Chunks of [`LANES`] points through one batched forward/backward pass,
    /// then the rest one at a time; each lane's ∂θU is computed exactly as
    /// [`Trainable::accumulate_param_grad`] computes it (same bits).
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
            let mut t = Self::tape::<LANES>();
            for w0 in (0..full).step_by(LANES) {
                if !self.param_grad_each_chunk::<N, DW, LANES>(x, w0, &mut t, g, &mut f) {
                    return Ok(());
                }
            }
        }
        let mut t = Self::tape::<1>();
        for w0 in full..n {
            if !self.param_grad_each_chunk::<N, DW, 1>(x, w0, &mut t, g, &mut f) {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Hooks for the weight format ([`crate::weights`]), which streams parameters
/// without a flat buffer (`mlp_param_count(D, H)` cannot size an array here).
impl<const D: usize, const H: usize> Mlp<D, H> {
    /// Calls `f` on each parameter in the flat order of [`Trainable::params`].
    pub(crate) fn visit_params(&self, mut f: impl FnMut(f32)) {
        let (d, h) = (self.d, self.h);
        self.w1[..h]
            .iter()
            .for_each(|row| row[..d].iter().for_each(|&v| f(v)));
        self.b1[..h].iter().for_each(|&v| f(v));
        self.w2[..h]
            .iter()
            .for_each(|row| row[..h].iter().for_each(|&v| f(v)));
        self.b2[..h].iter().for_each(|&v| f(v));
        self.w3[..h].iter().for_each(|&v| f(v));
        f(self.b3);
    }

    /// Writes `num_params()` finite values from `theta` as θ, as
    /// [`Trainable::set_params`] would. On error `self` is partly written:
    /// the loader calls this on a fresh model it then drops (no second copy
    /// of the weights on a microcontroller's stack).
    pub(crate) fn load_params(&mut self, theta: impl Iterator<Item = f32>) -> Result<(), Error> {
        let p = self.num_params();
        let mut w = FlatWriter::new(self);
        let mut n = 0;
        for v in theta.take(p) {
            if !v.is_finite() {
                return Err(Error::InvalidParameters("MLP weights"));
            }
            w.set(n, v);
            n += 1;
        }
        check_len(p, n)
    }
}
