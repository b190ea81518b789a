//! Jarzynski importance weights for PCD (Carbone, Hua, Coste & Vanden-Eijnden,
//! NeurIPS 2023): the bookkeeping that makes the walkers' *weighted*
//! ensemble follow ρθ exactly while θ moves and ULA is biased.
//!
//! Each walker carries a log-weight Aᵢ. With unnormalised target
//! ρ̃θ = exp(−βUθ) and ULA transition density Tθ(x→y), one move
//! X → X' under θ_k followed by the parameter change θ_k → θ_{k+1} adds
//!
//! ΔA = log ρ̃_{k+1}(X') + log T_{k+1}(X'→X) − log ρ̃_k(X) − log T_k(X→X').
//!
//! **Temperature.** The kernels move x' = x − h∇U(x) + √(2h/β)·ξ (errata 3),
//! so T(x→y) ∝ exp(−β|y − x + h∇U(x)|²/(4h)), with a normaliser that does
//! not depend on θ or x and cancels. Expanding the squares,
//!
//! ΔA = β·[α_k(X, X') − α_{k+1}(X', X)],
//! α(x, y) = U(x) + ½(y − x)·∇U(x) + (h/4)|∇U(x)|²,
//!
//! which at β = 1 is the formula of the notes (jarzynski.md, step 4). It is
//! also the notes' "scale U by β, noise √(2h')" form: our move is ULA on βU
//! with step h' = h/β, and β·α_h(x, y; U) = α_{h'}(x, y; βU).
//!
//! Several moves under the same θ_k chain the same formula with θ_{k+1} =
//! θ_k for all but the last. So after every move the weights are complete
//! for "θ unchanged"; once θ_{k+1} is installed, the last move's backward
//! term β·α_k(X', X) is swapped for β·α_{k+1}(X', X), evaluated at the new
//! parameters (the extra evaluation, which then serves as the walkers' cache
//! for the next move). If the new parameters are refused, the weights are
//! already right for the parameters that stay.
//!
//! With normalised weights pᵢ ∝ exp(Aᵢ), Σpᵢ f(Xᵢ) estimates E_θ\[f\], and
//! log mean exp(A) estimates log Z_θ − log Z_θ₀ (Z = ∫exp(−βU)). When the
//! effective sample size 1/Σpᵢ² drops below a threshold the walkers are
//! resampled systematically, A is reset to 0 and the log Z estimate so far
//! becomes the new reference.
//!
//! **Feedback.** The equality assumes a parameter path fixed in advance;
//! here θ_{k+1} is computed from the same weighted walkers, so every update
//! adds a bias of order (step size)·(walker noise) to the log Z estimate,
//! negative on average (the step follows the walkers' own error): about
//! η·Σⱼ Var(∂θⱼU)/ESS per update. It accumulates linearly with the updates,
//! with Adam and with SGD alike (on `train_pcd`'s MLP: −20 nats after
//! 15 000 Adam updates, −80 with SGD at lr 0.05, none once θ is frozen;
//! measured against AIS and quadrature in `docs/evaluation.md`). The
//! running log Z is a diagnostic, not a log-likelihood; the weighted
//! gradient is affected far less than this running sum.
//!
//! The public reference code overwrites the old position before forming the
//! backward term; here the old position is kept aside (`x_prev`).

use crate::energy::Soa;
use crate::error::Error;
use crate::math;
use crate::rng::Stream;
use crate::sampler::Langevin;
use crate::walkers::Walkers;

/// Log-weights, the running log Z reference, and the positions and
/// gradients one move needs to keep aside.
#[derive(Clone, Debug)]
pub(crate) struct Weights<const N: usize, const D: usize> {
    /// Aᵢ.
    pub(crate) log_w: [f32; N],
    /// log Z_θ − log Z_θ₀ at the last resampling.
    pub(crate) log_z_ref: f32,
    pub(crate) resamplings: u64,
    /// Scratch of one move: position, ∇U and U before it.
    x_prev: Soa<N, D>,
    g_prev: Soa<N, D>,
    u_prev: [f32; N],
    /// β·α_k(X', X) of the last move, to be swapped for β·α_{k+1}(X', X).
    back_old: [f32; N],
    /// The move those belong to.
    last: Langevin,
}

impl<const N: usize, const D: usize> PartialEq for Weights<N, D> {
    /// Compares the persistent part; the move scratch is not state.
    fn eq(&self, o: &Self) -> bool {
        self.log_w == o.log_w
            && self.log_z_ref.to_bits() == o.log_z_ref.to_bits()
            && self.resamplings == o.resamplings
    }
}

/// α(x, y) = U(x) + ½(y − x)·∇U(x) + (h/4)|∇U(x)|² for walker `w`, with x, U,
/// ∇U taken from (`xs`, `us`, `gs`) and y from `ys`.
#[inline]
fn alpha<const N: usize, const D: usize>(
    h: f32,
    w: usize,
    d: usize,
    xs: &Soa<N, D>,
    us: &[f32],
    gs: &Soa<N, D>,
    ys: &Soa<N, D>,
) -> f32 {
    let (mut dot, mut g2) = (0f32, 0f32);
    for i in 0..d {
        let g = gs[i][w];
        dot += (ys[i][w] - xs[i][w]) * g;
        g2 += g * g;
    }
    us[w] + 0.5 * dot + 0.25 * h * g2
}

impl<const N: usize, const D: usize> Weights<N, D> {
    pub(crate) fn new() -> Self {
        Weights {
            log_w: [0.0; N],
            log_z_ref: 0.0,
            resamplings: 0,
            x_prev: [[0.0; N]; D],
            g_prev: [[0.0; N]; D],
            u_prev: [0.0; N],
            back_old: [0.0; N],
            last: Langevin { h: 0.0, beta: 1.0 },
        }
    }

    /// Makes this equal to [`Weights::new`] in place (no temporary).
    pub(crate) fn clear(&mut self) {
        self.reset();
        self.resamplings = 0;
        for row in self.x_prev.iter_mut().chain(self.g_prev.iter_mut()) {
            row.fill(0.0);
        }
        self.u_prev.fill(0.0);
        self.back_old.fill(0.0);
        self.last = Langevin { h: 0.0, beta: 1.0 };
    }

    /// Forgets the weights and the log Z reference (walkers freshly drawn
    /// from ρθ).
    pub(crate) fn reset(&mut self) {
        self.log_w = [0.0; N];
        self.log_z_ref = 0.0;
    }

    /// Normalised weights of walkers `0..n` into `p` (log-sum-exp); returns
    /// (ESS = 1/Σpᵢ², log Z_θ − log Z_θ₀ = ref + log mean exp A).
    pub(crate) fn normalise(&self, n: usize, p: &mut [f32; N]) -> (f32, f32) {
        let a = &self.log_w[..n];
        let lse = math::log_sum_exp(a);
        let mut s2 = 0f32;
        for (pw, &ai) in p[..n].iter_mut().zip(a) {
            *pw = math::exp(ai - lse);
            s2 += *pw * *pw;
        }
        (1.0 / s2, self.log_z_ref + lse - math::ln(n as f32))
    }

    /// Keeps the walkers' positions, U and ∇U (fresh, at θ_k) aside before a move.
    pub(crate) fn before_move(&mut self, walkers: &Walkers<N, D>) {
        let (n, d) = (walkers.len(), walkers.dim());
        for i in 0..d {
            self.x_prev[i][..n].copy_from_slice(&walkers.positions_soa()[i][..n]);
            self.g_prev[i][..n].copy_from_slice(&walkers.gradients_soa()[i][..n]);
        }
        self.u_prev[..n].copy_from_slice(walkers.energies());
    }

    /// After the move X → X' under θ_k (caches fresh at X', θ_k):
    /// A += β[α_k(X, X') − α_k(X', X)], the complete update for unchanged θ.
    pub(crate) fn after_move(&mut self, walkers: &Walkers<N, D>, lv: Langevin) {
        let (n, d) = (walkers.len(), walkers.dim());
        let (x, u, g) = (
            walkers.positions_soa(),
            walkers.energies(),
            walkers.gradients_soa(),
        );
        for w in 0..n {
            let fwd = alpha(lv.h, w, d, &self.x_prev, &self.u_prev, &self.g_prev, x);
            let back = alpha(lv.h, w, d, x, u, g, &self.x_prev);
            self.back_old[w] = lv.beta * back;
            self.log_w[w] += lv.beta * (fwd - back);
        }
        self.last = lv;
    }

    /// The log-weights after swapping the last move's backward term for its
    /// value at θ_{k+1} (walker caches fresh at the new parameters), into
    /// `out`; `Err` when one is not finite. Changes nothing.
    pub(crate) fn retarget(
        &self,
        walkers: &Walkers<N, D>,
        out: &mut [f32; N],
    ) -> Result<(), Error> {
        let (n, d) = (walkers.len(), walkers.dim());
        let (x, u, g) = (
            walkers.positions_soa(),
            walkers.energies(),
            walkers.gradients_soa(),
        );
        let lv = self.last;
        for w in 0..n {
            let back_new = lv.beta * alpha(lv.h, w, d, x, u, g, &self.x_prev);
            out[w] = self.log_w[w] + self.back_old[w] - back_new;
            if !out[w].is_finite() {
                return Err(Error::NotFinite("Jarzynski log-weights"));
            }
        }
        Ok(())
    }

    /// Systematic resampling when ESS < `threshold`·n: ancestors drawn with
    /// one uniform from `rng`, A ← 0, log Z reference carried forward.
    /// Returns whether it resampled.
    pub(crate) fn maybe_resample(
        &mut self,
        walkers: &mut Walkers<N, D>,
        threshold: f32,
        rng: &mut Stream,
    ) -> bool {
        let n = walkers.len();
        let mut p = [0f32; N];
        let (ess, log_z) = self.normalise(n, &mut p);
        if ess >= threshold * n as f32 {
            return false;
        }
        let mut ancestor = [0usize; N];
        systematic(&p[..n], rng.uniform(), &mut ancestor[..n]);
        // Ancestors are below n by construction, so the copy is never refused;
        // if it were, the walkers and their weights would stay as they are.
        if walkers.resample(&ancestor[..n]).is_err() {
            return false;
        }
        self.log_w[..n].fill(0.0);
        self.log_z_ref = log_z;
        self.resamplings += 1;
        true
    }
}

/// Systematic resampling: with one uniform u, slot j takes the walker whose
/// cumulative-weight interval contains (j + u)/n. Each walker gets ⌊n·pᵢ⌋
/// or ⌈n·pᵢ⌉ copies.
pub(crate) fn systematic(p: &[f32], u: f32, ancestor: &mut [usize]) {
    let n = p.len();
    let mut cum = 0f32;
    let mut i = 0;
    for (j, a) in ancestor.iter_mut().enumerate() {
        let target = (j as f32 + u) / n as f32;
        // Rounding can leave Σp slightly below 1: never step past the last walker.
        while i + 1 < n && cum + p[i] < target {
            cum += p[i];
            i += 1;
        }
        *a = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systematic_counts() {
        let mut a = [0usize; 4];
        systematic(&[0.5, 0.0, 0.25, 0.25], 0.5, &mut a);
        assert_eq!(a, [0, 0, 2, 3]);
        systematic(&[0.0, 0.0, 0.0, 1.0], 0.999, &mut a);
        assert_eq!(a, [3, 3, 3, 3]);
        systematic(&[0.25; 4], 0.01, &mut a);
        assert_eq!(a, [0, 1, 2, 3]);
    }

    /// Weights that round to a sum below 1 (here 0.99, as a caricature of
    /// f32 round-off): the last targets lie past the cumulative sum, and
    /// the guard keeps them on the last walker instead of reading p[n].
    #[test]
    fn systematic_never_steps_past_the_last_walker() {
        let mut a = [0usize; 3];
        systematic(&[0.33, 0.33, 0.33], 0.999, &mut a);
        assert_eq!(a, [1, 2, 2]);
        let mut a = [0usize; 4];
        systematic(&[0.7, 0.0, 0.0, 0.0], 0.9, &mut a);
        assert_eq!(a, [0, 0, 3, 3]);
    }

    /// Equality compares the persistent part (log-weights, log Z reference,
    /// resampling count) and nothing else.
    #[test]
    fn weights_equality_sees_the_persistent_state() {
        let a = Weights::<4, 2>::new();
        let mut b = a.clone();
        assert!(a == b);
        b.x_prev[1][3] = 5.0;
        b.back_old[0] = 1.0;
        assert!(a == b, "move scratch is not state");
        let mut c = a.clone();
        c.log_w[2] = 0.5;
        assert!(a != c);
        let mut c = a.clone();
        c.log_z_ref = -0.0;
        assert!(a != c, "log Z reference compared by bits");
        let mut c = a.clone();
        c.resamplings = 1;
        assert!(a != c);
        c.clear();
        assert!(a == c);
    }
}

/// Exact tests of the weight updates (issue 19, mutation testing): the
/// formulas of the module docs computed independently in f64.
#[cfg(test)]
mod exact_tests {
    use super::*;
    use crate::energy::FnEnergy;

    const N: usize = 4;
    const D: usize = 2;

    /// U = (c/2)|x|², ∇U = c·x, in f64.
    fn u64_(c: f64, x: &[f64]) -> f64 {
        0.5 * c * x.iter().map(|v| v * v).sum::<f64>()
    }

    /// α(x, y) = U(x) + ½(y − x)·∇U(x) + (h/4)|∇U(x)|² in f64.
    fn alpha64(c: f64, h: f64, x: &[f64], y: &[f64]) -> f64 {
        let g: Vec<f64> = x.iter().map(|v| c * v).collect();
        let dot: f64 = y.iter().zip(x).zip(&g).map(|((y, x), g)| (y - x) * g).sum();
        u64_(c, x) + 0.5 * dot + 0.25 * h * g.iter().map(|g| g * g).sum::<f64>()
    }

    fn at(pos: &[f32], w: usize) -> [f64; D] {
        [pos[w * D] as f64, pos[w * D + 1] as f64]
    }

    /// A move X → X' under U_k (c = 1), then the parameters change to
    /// U_{k+1} (c = 1.5): after_move adds β[α_k(X, X') − α_k(X', X)],
    /// retarget swaps the backward term for β·α_{k+1}(X', X); normalise
    /// gives pᵢ ∝ exp(Aᵢ), ESS = 1/Σpᵢ² and log mean exp A.
    #[test]
    fn move_retarget_and_normalise_match_the_formulas() {
        let (h, beta) = (0.1f32, 0.7f32);
        let old = FnEnergy::new(D, |x: &[f32], g: &mut [f32]| {
            g.copy_from_slice(x);
            0.5 * (x[0] * x[0] + x[1] * x[1])
        });
        let new = FnEnergy::new(D, |x: &[f32], g: &mut [f32]| {
            g[0] = 1.5 * x[0];
            g[1] = 1.5 * x[1];
            0.75 * (x[0] * x[0] + x[1] * x[1])
        });
        let x0 = [0.5f32, -1.0, 1.5, 0.25, -0.75, 2.0, 0.0, 1.0];
        let x1 = [0.25f32, -0.5, 1.0, 0.75, -1.25, 1.5, 0.5, 0.5];
        let mut ws = Walkers::<N, D>::from_positions(&old, N, 1, &x0).unwrap();
        let mut wt = Weights::<N, D>::new();
        wt.log_w = [0.1, -0.2, 0.3, 0.0];
        let a0 = wt.log_w;
        wt.before_move(&ws);
        ws.init_positions(&old, N, 1, &x1).unwrap();
        let lv = Langevin { h, beta };
        wt.after_move(&ws, lv);
        let (h64, b64) = (h as f64, beta as f64);
        for w in 0..N {
            let (x, y) = (at(&x0, w), at(&x1, w));
            let want = a0[w] as f64 + b64 * (alpha64(1.0, h64, &x, &y) - alpha64(1.0, h64, &y, &x));
            assert!(
                (wt.log_w[w] as f64 - want).abs() < 1e-5,
                "walker {w}: {} vs {want}",
                wt.log_w[w]
            );
        }
        // θ_{k+1}: caches at X' under the new energy.
        ws.init_positions(&new, N, 1, &x1).unwrap();
        let mut out = [0f32; N];
        wt.retarget(&ws, &mut out).unwrap();
        for w in 0..N {
            let (x, y) = (at(&x0, w), at(&x1, w));
            let want = a0[w] as f64 + b64 * (alpha64(1.0, h64, &x, &y) - alpha64(1.5, h64, &y, &x));
            assert!(
                (out[w] as f64 - want).abs() < 1e-5,
                "walker {w}: {} vs {want}",
                out[w]
            );
        }
        // normalise
        wt.log_w = out;
        wt.log_z_ref = 0.4;
        let mut p = [0f32; N];
        let (ess, log_z) = wt.normalise(N, &mut p);
        let a: Vec<f64> = out.iter().map(|&v| v as f64).collect();
        let s: f64 = a.iter().map(|v| v.exp()).sum();
        let mut s2 = 0.0;
        for w in 0..N {
            let pw = a[w].exp() / s;
            s2 += pw * pw;
            assert!((p[w] as f64 - pw).abs() < 1e-6, "p[{w}]");
        }
        assert!((ess as f64 - 1.0 / s2).abs() < 1e-5 * (1.0 / s2));
        let want = 0.4 + (s / N as f64).ln();
        assert!((log_z as f64 - want).abs() < 1e-5, "{log_z} vs {want}");
        // A non-finite retargeted weight is refused.
        let bad = FnEnergy::new(D, |_x: &[f32], g: &mut [f32]| {
            g.fill(1e30);
            1e30
        });
        let copy = wt.clone();
        ws.init_positions(&bad, N, 1, &x1).unwrap();
        ws.c.u[2] = f32::INFINITY;
        assert!(wt.retarget(&ws, &mut out).is_err());
        assert!(wt == copy);
    }

    /// Resampling happens exactly when ESS < threshold·n: systematic with
    /// the stream's next uniform, A ← 0, the log Z estimate becomes the
    /// reference, the count goes up; otherwise nothing changes.
    #[test]
    fn resampling_threshold_and_bookkeeping() {
        let e = FnEnergy::new(D, |x: &[f32], g: &mut [f32]| {
            g.copy_from_slice(x);
            0.5 * (x[0] * x[0] + x[1] * x[1])
        });
        let x0 = [0.5f32, -1.0, 1.5, 0.25, -0.75, 2.0, 0.0, 1.0];
        let a = [2.0f32, -1.0, 0.5, -3.0];
        let s: f64 = a.iter().map(|&v| (v as f64).exp()).sum();
        let p: Vec<f64> = a.iter().map(|&v| (v as f64).exp() / s).collect();
        let ess = 1.0 / p.iter().map(|v| v * v).sum::<f64>();
        let log_z = -0.3 + (s / N as f64).ln();
        // Thresholds just above and below ESS/n.
        for (threshold, resample) in [
            (ess / N as f64 * 1.01, true),
            (ess / N as f64 * 0.99, false),
        ] {
            let mut ws = Walkers::<N, D>::from_positions(&e, N, 1, &x0).unwrap();
            let mut wt = Weights::<N, D>::new();
            wt.log_w = a;
            wt.log_z_ref = -0.3;
            let mut rng = Stream::new(7, 3);
            let done = wt.maybe_resample(&mut ws, threshold as f32, &mut rng);
            assert_eq!(done, resample);
            if !resample {
                assert_eq!(wt.log_w, a);
                assert_eq!(wt.resamplings, 0);
                assert_eq!(rng, Stream::new(7, 3));
                continue;
            }
            assert_eq!(wt.log_w, [0.0; N]);
            assert_eq!(wt.resamplings, 1);
            assert!((wt.log_z_ref as f64 - log_z).abs() < 1e-5);
            // Systematic in f64 with the same uniform.
            let u = Stream::new(7, 3).uniform() as f64;
            let mut cum = 0.0;
            let mut i = 0;
            for j in 0..N {
                let target = (j as f64 + u) / N as f64;
                while i + 1 < N && cum + p[i] < target {
                    cum += p[i];
                    i += 1;
                }
                let mut got = [0f32; D];
                ws.position(j, &mut got).unwrap();
                assert_eq!(got, [x0[i * D], x0[i * D + 1]], "slot {j} takes walker {i}");
            }
        }
    }
}
