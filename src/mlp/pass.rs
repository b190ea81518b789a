//! The MLP's forward and backward passes over `L` lanes, and the
//! θ-gradients taken from their tapes: the bodies behind [`Energy`] and
//! [`Trainable`] for one point and for chunks of walkers.

use super::Mlp;
use super::lanes::{Tape, activate_as, dot, matvec, outer_grad};
use super::layout::GradParts;
use crate::energy::{Evals, Soa, Trainable};

/// Defines a pass in two forms: `$name::<…, FLAT>`, which when `FLAT`
/// inlines `$body::<…, true>` into the caller (activations included, for the
/// runtime-dispatch copies compiled with other target features) and
/// otherwise calls `$plain`, which runs `$body::<…, false>` out of the
/// caller's way (as before the dispatch copies). Same operations, same
/// order: the same bits either way.
macro_rules! flat_or_plain {
    (
        $(#[$am:meta])* $avis:vis fn $name:ident;
        $(#[$pm:meta])* $pvis:vis fn $plain:ident;
        $(#[$bm:meta])*
        fn $body:ident<const $flat:ident: bool $(, const $g:ident: usize)* $(,)?>(
            &$s:ident,
            $($a:ident: $t:ty),* $(,)?
        ) $(-> $r:ty)? $b:block
    ) => {
        $(#[$am])*
        #[inline(always)]
        $avis fn $name<$(const $g: usize,)* const $flat: bool>(&$s, $($a: $t),*) $(-> $r)? {
            if $flat {
                $s.$body::<true $(, $g)*>($($a),*)
            } else {
                $s.$plain::<$($g),*>($($a),*)
            }
        }

        $(#[$pm])*
        $pvis fn $plain<$(const $g: usize),*>(&$s, $($a: $t),*) $(-> $r)? {
            $s.$body::<false $(, $g)*>($($a),*)
        }

        $(#[$bm])*
        #[inline(always)]
        fn $body<const $flat: bool $(, const $g: usize)*>(&$s, $($a: $t),*) $(-> $r)? $b
    };
}

impl<const D: usize, const H: usize> Mlp<D, H> {
    flat_or_plain! {
        /// [`Mlp::run`] when `FLAT` is false; when true, the whole pass
        /// inlined into the caller (see `flat_or_plain`).
        pub(super) fn run_as;
        /// Forward and backward pass over `L` lanes: returns U per lane,
        /// writes ∇ₓU into `gx` when given, and leaves δ₁, δ₂ in the tape.
        /// Out of line: one copy per lane count serves every caller.
        #[inline(never)]
        pub(super) fn run;

        /// The body of [`Mlp::run`]; `FLAT` as for [`Mlp::run_as`].
        fn pass<const FLAT: bool, const L: usize>(
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
            activate_as::<L, FLAT>(self.act, &a[..h], &mut t.z1[..h], &mut t.d1[..h]);
            // Layer 2: a₂ = b₂ + W₂z₁.
            for (ar, &b) in a[..h].iter_mut().zip(&self.b2[..h]) {
                *ar = [b; L];
            }
            matvec(&self.w2t, &self.w2, &t.z1, &mut a, h, h);
            activate_as::<L, FLAT>(self.act, &a[..h], &mut t.z2[..h], &mut t.d2[..h]);
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
    }

    flat_or_plain! {
        /// [`Mlp::param_grad`], inlined when `FLAT` (see [`Mlp::run_as`]).
        fn param_grad_as;
        /// Adds `Σ_l scale[l]·∂θU(x_l)` to `grad` over all lanes, from a tape
        /// after a backward pass.
        ///
        /// Every parameter sums its lanes in lane order, each term rounded as
        /// `(c·δ)·z`: the bits of taking the points one at a time. W₂'s outer
        /// products (h² of the h² + hd + 3h + 1 terms) run in [`outer_grad`],
        /// one row block at a time.
        #[inline]
        pub(super) fn param_grad;

        /// The body of [`Mlp::param_grad`] (`FLAT` changes nothing in it).
        fn param_grad_body<const FLAT: bool, const L: usize>(
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
            outer_grad(g.w2, h, h, &t.d2, &t.z1, scale);
        }
    }

    flat_or_plain! {
        /// [`Mlp::point_grad`]; `FLAT` as for [`Mlp::run_as`].
        fn point_grad_as;
        /// Writes lane `l`'s own ∂θU into `grad` (no zeroing first: `0 + v`
        /// is what accumulating into zeros gives, signed zeros included, so
        /// this has the bits of [`Trainable::accumulate_param_grad`] on a
        /// zeroed buffer).
        #[inline]
        pub(super) fn point_grad;

        /// The body of [`Mlp::point_grad`].
        fn point_grad_body<const FLAT: bool, const L: usize>(
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
                return self.param_grad_as::<L, FLAT>(x, t, &[1.0; L], grad);
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

    flat_or_plain! {
        /// Evaluates walkers `w0..w0+L` of `x` into `out`.
        pub(super) fn eval_chunk;
        /// The chunk out of the caller's way (as before the dispatch copies).
        #[inline]
        fn eval_chunk_plain;

        /// The body of the chunk; `FLAT` as for [`Mlp::run_as`].
        fn eval_chunk_body<const FLAT: bool, const N: usize, const DW: usize, const L: usize>(
            &self,
            x: &Soa<N, DW>,
            w0: usize,
            with_grad: bool,
            t: &mut Tape<L, H>,
            out: &mut Evals<N, DW>,
        ) {
            let xl = self.gather::<N, DW, L>(x, w0);
            let mut g = [[0f32; L]; D];
            let u = self.run_as::<L, FLAT>(&xl, t, with_grad.then_some(&mut g), with_grad);
            out.u[w0..w0 + L].copy_from_slice(&u);
            out.code[w0..w0 + L].fill(0);
            if with_grad {
                for i in 0..self.d {
                    out.grad[i][w0..w0 + L].copy_from_slice(&g[i]);
                }
            }
        }
    }

    flat_or_plain! {
        /// Adds the weighted parameter gradient of walkers `w0..w0+L`.
        pub(super) fn param_grad_chunk;
        /// The chunk out of the caller's way (as before the dispatch copies).
        #[inline]
        fn param_grad_chunk_plain;

        /// The body of the chunk; `FLAT` as for [`Mlp::run_as`].
        fn param_grad_chunk_body<const FLAT: bool, const N: usize, const DW: usize, const L: usize>(
            &self,
            x: &Soa<N, DW>,
            w0: usize,
            weight: &[f32; N],
            t: &mut Tape<L, H>,
            grad: &mut [f32],
        ) {
            let xl = self.gather::<N, DW, L>(x, w0);
            self.run_as::<L, FLAT>(&xl, t, None, true);
            let mut scale = [0f32; L];
            scale.copy_from_slice(&weight[w0..w0 + L]);
            self.param_grad_as::<L, FLAT>(&xl, t, &scale, grad);
        }
    }

    flat_or_plain! {
        /// [`Trainable::param_grad_each`] for walkers `w0..w0+L`: one
        /// batched forward/backward pass, then each lane's ∂θU into
        /// `scratch` and `f`. Returns whether to go on.
        pub(super) fn param_grad_each_chunk;
        /// The chunk out of the caller's way (as before the dispatch copies).
        #[inline]
        fn param_grad_each_chunk_plain;

        /// The body of the chunk; `FLAT` as for [`Mlp::run_as`].
        fn param_grad_each_chunk_body<
            const FLAT: bool,
            const N: usize,
            const DW: usize,
            const L: usize,
        >(
            &self,
            x: &Soa<N, DW>,
            w0: usize,
            t: &mut Tape<L, H>,
            scratch: &mut [f32],
            f: &mut impl FnMut(usize, f32, &[f32]) -> bool,
        ) -> bool {
            let xl = self.gather::<N, DW, L>(x, w0);
            let u = self.run_as::<L, FLAT>(&xl, t, None, true);
            for (l, &ul) in u.iter().enumerate() {
                self.point_grad_as::<L, FLAT>(&xl, t, l, scratch);
                if !f(w0 + l, ul, scratch) {
                    return false;
                }
            }
            true
        }
    }
}
