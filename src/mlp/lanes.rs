//! The lane kernels of the MLP's passes: every layer works on `L` lanes
//! (`[f32; L]` per unit), one point (`L = 1`) or a chunk of walkers
//! (`L = LANES`), and these loops are the ones the compiler vectorises.
//! The order of every sum is fixed here, so all lane counts give the same
//! bits. [`crate::deep_mlp`] runs its layers on the same kernels
//! (`matvec`, `activate`, `dot`, `outer_grad`).

use crate::activation::{Act, Activation, SiluAct, SoftplusAct, TanhAct};

/// Per-lane intermediate values of one forward/backward pass.
pub(super) struct Tape<const L: usize, const H: usize> {
    pub(super) z1: [[f32; L]; H],
    /// σ'(a₁), then δ₁ = ∂f/∂a₁ after the backward pass.
    pub(super) d1: [[f32; L]; H],
    pub(super) z2: [[f32; L]; H],
    /// σ'(a₂), then δ₂ = ∂f/∂a₂.
    pub(super) d2: [[f32; L]; H],
}

impl<const L: usize, const H: usize> Tape<L, H> {
    pub(super) fn new() -> Self {
        Tape {
            z1: [[0.0; L]; H],
            d1: [[0.0; L]; H],
            z2: [[0.0; L]; H],
            d2: [[0.0; L]; H],
        }
    }
}

/// Every sum over an input index r is split into two partial sums (r mod 2),
/// combined as `p₀ + p₁`. The order is fixed, so one point and a chunk of
/// walkers get the same bits on every target. Two chains halve the latency
/// of one point's sums; four (as before) gained nothing more on one point
/// and made a chunk's accumulators spill out of the 16 vector registers of
/// x86_64 (see `matvec`).
pub(crate) const PARTIALS: usize = 2;

/// `acc += w·v` lane by lane: the only loop the compiler should vectorise.
#[inline(always)]
pub(crate) fn axpy<const L: usize>(acc: &mut [f32; L], w: f32, v: &[f32; L]) {
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
pub(crate) fn activate<const L: usize>(
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

/// [`activate`] with the activation's loop inlined into the caller: the
/// form the runtime-dispatch copies of the passes use (`Mlp::eval_batch_lanes`),
/// so that the loop is compiled with the caller's target features.
#[inline(always)]
pub(crate) fn activate_flat<const L: usize>(
    act: Activation,
    a: &[[f32; L]],
    z: &mut [[f32; L]],
    ds: &mut [[f32; L]],
) {
    match act {
        Activation::Tanh => activate_with::<TanhAct, L>(a, z, ds),
        Activation::Silu => activate_with::<SiluAct, L>(a, z, ds),
        Activation::Softplus => activate_with::<SoftplusAct, L>(a, z, ds),
    }
}

/// [`activate`] (`FLAT` false) or [`activate_flat`] (`FLAT` true).
#[inline(always)]
pub(crate) fn activate_as<const L: usize, const FLAT: bool>(
    act: Activation,
    a: &[[f32; L]],
    z: &mut [[f32; L]],
    ds: &mut [[f32; L]],
) {
    if FLAT {
        activate_flat(act, a, z, ds)
    } else {
        activate(act, a, z, ds)
    }
}

/// `init + Σⱼ w[j]·z[j]` per lane (a single output).
#[inline(always)]
pub(crate) fn dot<const L: usize>(w: &[f32], z: &[[f32; L]], init: [f32; L]) -> [f32; L] {
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
pub(crate) const BLOCK: usize = 8;

/// `m` with rows and columns swapped: `out[l][j] = m[j][l]`.
#[inline]
pub(crate) fn transpose<const L: usize, const H: usize>(m: &[[f32; L]; H]) -> [[f32; H]; L] {
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
pub(crate) fn matvec<const L: usize, const RI: usize, const RO: usize>(
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

/// `g[k·cols + j] += Σ_l (scale[l]·δ[k][l])·z[j][l]` for `k < rows`,
/// `j < cols`: the θ-gradient of a weight matrix (rows = units it feeds,
/// columns = units it reads), summed over the lanes in lane order, each
/// term rounded as `(c·δ)·z` — the bits of taking the points one at a time.
///
/// With several lanes each row runs one block of [`BLOCK`] parameters at a
/// time, held in registers across the lanes (lane by lane, each block was
/// loaded and stored once per lane).
#[inline(always)]
pub(crate) fn outer_grad<const L: usize, const H: usize>(
    g: &mut [f32],
    rows: usize,
    cols: usize,
    delta: &[[f32; L]; H],
    z: &[[f32; L]; H],
    scale: &[f32; L],
) {
    if L == 1 {
        // One lane (a small target): nothing to keep across lanes, and
        // the plain loop is a third of the blocked one's flash.
        for (k, row) in g.chunks_exact_mut(cols.max(1)).enumerate().take(rows) {
            let sd = scale[0] * delta[k][0];
            for (a, zj) in row.iter_mut().zip(&z[..cols]) {
                *a += sd * zj[0];
            }
        }
        return;
    }
    let zt = transpose(z);
    for (k, row) in g.chunks_exact_mut(cols.max(1)).enumerate().take(rows) {
        let sd: [f32; L] = core::array::from_fn(|l| scale[l] * delta[k][l]);
        let (full, tail) = row.split_at_mut(cols / BLOCK * BLOCK);
        for (b, blk) in full.chunks_exact_mut(BLOCK).enumerate() {
            let blk: &mut [f32; BLOCK] = blk.try_into().unwrap();
            let mut acc = *blk;
            for (zl, &c) in zt.iter().zip(&sd) {
                let zl: &[f32; BLOCK] = zl[b * BLOCK..(b + 1) * BLOCK].try_into().unwrap();
                axpy(&mut acc, c, zl);
            }
            *blk = acc;
        }
        for (zl, &c) in zt.iter().zip(&sd) {
            for (a, &zj) in tail.iter_mut().zip(&zl[full.len()..]) {
                *a += c * zj;
            }
        }
    }
}
