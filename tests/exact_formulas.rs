//! Exact tests of the shared step's formulas (issue 19, mutation testing):
//! small deterministic inputs, expected values computed independently in
//! f64 from the definitions, never copied from the code under test.
//!
//! The shared step (`src/kernel.rs` `decide`, `src/walkers/mod.rs`
//! `commit`) is driven through a kernel of the test's own whose proposal
//! is known exactly: walker w moves by a fixed shift, with a fixed
//! proposal correction log q_w. The Metropolis–Hastings test then takes
//! the proposal iff u_w < min{1, exp(−β(U(y) − U(x)) + log q_w)} (errata
//! 2), u_w the first uniform of walker w's stream, which the test draws
//! from its own copy of that stream.

use tinyebm::{Energy, Error, FnEnergy, Kernel, Proposal, Stream, Walkers};

const N: usize = 8;
const D: usize = 2;
const SEED: u64 = 0x5eed;

/// U(x) = ½|x|², ∇U = x.
fn quad(x: &[f32], g: &mut [f32]) -> f32 {
    let mut u = 0.0;
    for (gi, xi) in g.iter_mut().zip(x) {
        *gi = *xi;
        u += 0.5 * xi * xi;
    }
    u
}

fn u64_of(x: &[f32]) -> f64 {
    x.iter().map(|&v| 0.5 * (v as f64) * (v as f64)).sum()
}

/// A kernel whose proposal for walker w is x_w + shift[w] (every
/// coordinate), with correction `log_q[w]` and, for a next-state kernel,
/// acceptance statistic `stat[w]`.
#[derive(Clone)]
struct Shift {
    shift: [f32; N],
    log_q: [f32; N],
    stat: [f32; N],
    adjusted: bool,
    grad: bool,
    next: bool,
}

impl Shift {
    fn mh(shift: [f32; N], log_q: [f32; N]) -> Self {
        Shift {
            shift,
            log_q,
            stat: [0.0; N],
            adjusted: true,
            grad: true,
            next: false,
        }
    }
}

impl Kernel for Shift {
    fn step_size(&self) -> f32 {
        1.0
    }
    fn set_step_size(&mut self, _h: f32) -> Result<(), Error> {
        Ok(())
    }
    fn adjusted(&self) -> bool {
        self.adjusted
    }
    fn needs_grad(&self) -> bool {
        self.grad
    }
    fn proposal_is_next_state(&self) -> bool {
        self.next
    }
    #[allow(clippy::needless_range_loop)] // walker and coordinate indices, as in the crate
    fn propose<E: Energy, const M: usize, const DD: usize>(&self, p: Proposal<'_, E, M, DD>) {
        let (n, d) = (p.chains.len(), p.chains.dim());
        let x = p.chains.positions();
        for w in 0..n {
            for i in 0..d {
                p.scratch.y[i][w] = x[i][w] + self.shift[w];
            }
            p.scratch.log_q[w] = self.log_q[w];
            p.scratch.tree[w].accept_stat = self.stat[w];
        }
        p.energy
            .eval_batch(&p.scratch.y, n, self.grad, &mut p.scratch.ev);
    }
}

fn starts() -> [f32; N * D] {
    let mut x = [0f32; N * D];
    for (k, v) in x.iter_mut().enumerate() {
        *v = ((k * 37) % 11) as f32 * 0.25 - 1.2;
    }
    x
}

fn walker(ws: &Walkers<N, D>, w: usize) -> [f32; D] {
    let mut p = [0f32; D];
    ws.position(w, &mut p).unwrap();
    p
}

/// First uniform of walker w's stream (what the step's MH test draws).
fn first_uniform(w: usize) -> f32 {
    Stream::new(SEED, w as u64).uniform()
}

/// The MH step: every walker's decision, probability, new state, cached U
/// and ∇U, the summary and the streams, against the formula in f64.
#[test]
fn metropolis_hastings_step_matches_the_formula() {
    let e = FnEnergy::new(D, quad);
    for (beta, shifts, log_q) in [
        (
            1.0f32,
            [0.3, -0.4, 0.9, -1.1, 0.05, 0.6, -0.2, 1.5],
            [0.0, 0.2, -0.3, 0.5, -1.0, 0.1, 0.7, -0.4],
        ),
        (
            0.37,
            [-0.7, 0.25, 1.3, 0.4, -0.9, -0.15, 0.8, -1.6],
            [0.4, -0.6, 0.0, 0.9, 0.3, -0.2, -0.5, 1.1],
        ),
        (
            2.5,
            [0.1, 0.8, -0.9, 1.4, -1.2, 0.5, -0.7, 1.9],
            [0.0, 0.3, 0.0, -0.2, 0.6, 0.0, 0.1, 0.0],
        ),
    ] {
        let mut ws = Walkers::<N, D>::from_positions(&e, N, SEED, &starts()).unwrap();
        let before: Vec<[f32; D]> = (0..N).map(|w| walker(&ws, w)).collect();
        let k = Shift::mh(shifts, log_q);
        let s = k.step(&e, beta, &mut ws).unwrap();
        let (mut accepted, mut prob_sum) = (0usize, 0f64);
        for w in 0..N {
            let x = before[w];
            let y: [f32; D] = core::array::from_fn(|i| x[i] + shifts[w]);
            let log_a = -(beta as f64) * (u64_of(&y) - u64_of(&x)) + log_q[w] as f64;
            let p = log_a.exp().min(1.0);
            let u = first_uniform(w) as f64;
            assert!((u - p).abs() > 1e-4, "walker {w}: u {u} too close to p {p}");
            let take = u < p;
            let info = ws.last_step(w);
            assert_eq!(info.accepted, take, "walker {w} (β {beta})");
            assert!(
                (info.accept_prob as f64 - p).abs() <= 2e-6 * p.max(1e-3),
                "walker {w}: prob {} vs {p}",
                info.accept_prob
            );
            let now = if take { y } else { x };
            assert_eq!(walker(&ws, w), now, "walker {w}");
            let u_now = u64_of(&now);
            assert!((ws.energies()[w] as f64 - u_now).abs() <= 1e-6 * (1.0 + u_now));
            assert_eq!(info.energy, ws.energies()[w]);
            for (i, xi) in now.iter().enumerate() {
                assert_eq!(ws.grad(w, i), *xi, "∇U = x at walker {w}");
            }
            accepted += take as usize;
            prob_sum += p;
            let mut after = Stream::new(SEED, w as u64);
            after.uniform();
            assert_eq!(ws.stream_mut(w).unwrap(), &after, "walker {w}'s stream");
        }
        assert!(accepted > 0 && accepted < N, "β {beta}: a mix of decisions");
        assert_eq!(s.accepted, accepted);
        assert_eq!(s.proposed, N);
        assert_eq!(s.invalid, 0);
        let mean = prob_sum / N as f64;
        assert!(
            (s.mean_accept_prob as f64 - mean).abs() <= 1e-6,
            "{} vs {mean}",
            s.mean_accept_prob
        );
        assert_eq!(ws.steps(), 1);
    }
}

/// A kernel without gradients (random-walk MH) that moves some walkers
/// leaves the cached ∇U stale: a refresh with gradients then evaluates it
/// at the new positions (it must not keep the gradients of the old ones).
#[test]
fn accepted_gradient_free_moves_leave_gradients_stale() {
    let e = FnEnergy::new(D, quad);
    let mut ws = Walkers::<N, D>::from_positions(&e, N, SEED, &starts()).unwrap();
    let mut k = Shift::mh([0.3, -0.4, 0.9, -1.1, 0.05, 0.6, -0.2, 1.5], [0.5; N]);
    k.grad = false;
    let s = k.step(&e, 1.0, &mut ws).unwrap();
    assert!(s.accepted > 0);
    ws.refresh(&e, true).unwrap();
    for w in 0..N {
        let x = walker(&ws, w);
        for (i, xi) in x.iter().enumerate() {
            assert_eq!(ws.grad(w, i), *xi, "walker {w}: ∇U(x) = x after refresh");
        }
    }
    // With no move accepted the gradients stay fresh and right.
    let mut ws = Walkers::<N, D>::from_positions(&e, N, SEED, &starts()).unwrap();
    let mut still = Shift::mh([1e3; N], [0.0; N]);
    still.grad = false;
    let s = still.step(&e, 1.0, &mut ws).unwrap();
    assert_eq!(s.accepted, 0);
    let x = starts();
    for w in 0..N {
        for i in 0..D {
            assert_eq!(ws.grad(w, i), x[w * D + i]);
        }
    }
}

/// Invalid proposals: a non-finite energy, a declined one, and a point
/// that is not finite where the energy is (a constant energy at ±∞) are
/// rejected with probability 0 and counted; the MH test still draws its
/// uniform for them.
#[test]
fn invalid_proposals_are_rejected_and_counted() {
    // U = ½|x|², NaN where x₀ > 5, finite (constant) beyond |x₀| > 1e30.
    let e = FnEnergy::new(D, |x: &[f32], g: &mut [f32]| {
        if x[0].abs() > 1e30 {
            g.fill(0.0);
            return 0.0;
        }
        let u = quad(x, g);
        if x[0] > 5.0 { f32::NAN } else { u }
    });
    let mut shifts = [0.01f32; N];
    shifts[1] = 10.0; // NaN energy
    shifts[4] = f32::INFINITY; // a non-finite point with a finite energy
    let mut ws = Walkers::<N, D>::from_positions(&e, N, SEED, &starts()).unwrap();
    let before = starts();
    let s = Shift::mh(shifts, [0.0; N]).step(&e, 1.0, &mut ws).unwrap();
    assert_eq!(s.invalid, 2);
    for w in [1, 4] {
        let info = ws.last_step(w);
        assert!(!info.accepted && info.accept_prob == 0.0, "walker {w}");
        assert_eq!(walker(&ws, w), [before[w * D], before[w * D + 1]]);
        let mut after = Stream::new(SEED, w as u64);
        after.uniform();
        assert_eq!(ws.stream_mut(w).unwrap(), &after);
    }
    let mean: f64 = (0..N)
        .map(|w| ws.last_step(w).accept_prob as f64)
        .sum::<f64>()
        / N as f64;
    assert!((s.mean_accept_prob as f64 - mean).abs() <= 1e-6);
}

/// An unadjusted kernel takes every valid proposal without drawing; one
/// invalid proposal fails the step and changes nothing.
#[test]
fn unadjusted_step_takes_everything_or_nothing() {
    let e = FnEnergy::new(D, |x: &[f32], g: &mut [f32]| {
        let u = quad(x, g);
        if x[0] > 5.0 { f32::NAN } else { u }
    });
    let mut k = Shift::mh([0.25; N], [0.0; N]);
    k.adjusted = false;
    let mut ws = Walkers::<N, D>::from_positions(&e, N, SEED, &starts()).unwrap();
    let s = k.step(&e, 1.0, &mut ws).unwrap();
    assert_eq!((s.accepted, s.proposed, s.invalid), (N, N, 0));
    assert_eq!(s.mean_accept_prob, 1.0);
    let x = starts();
    for w in 0..N {
        assert_eq!(walker(&ws, w), [x[w * D] + 0.25, x[w * D + 1] + 0.25]);
        assert_eq!(ws.last_step(w).accept_prob, 1.0);
        assert_eq!(ws.stream_mut(w).unwrap(), &Stream::new(SEED, w as u64));
    }
    let mut bad = k.clone();
    bad.shift[3] = 50.0;
    let copy = ws.clone();
    assert_eq!(
        bad.step(&e, 1.0, &mut ws),
        Err(Error::NonFinite { walker: 3 })
    );
    assert!(ws == copy);
    assert_eq!(ws.steps(), 1);
}

/// A kernel whose proposal is the next state: every valid proposal is
/// taken without a test, "accepted" means it differs from the position,
/// the probability reported is the kernel's statistic, and an invalid
/// proposal keeps the walker (probability 0, counted).
#[test]
fn next_state_kernels_report_their_statistic() {
    let e = FnEnergy::new(D, |x: &[f32], g: &mut [f32]| {
        let u = quad(x, g);
        if x[0] > 5.0 { f32::NAN } else { u }
    });
    let mut shifts = [0.5f32; N];
    shifts[2] = 0.0; // stays: not "accepted"
    shifts[5] = 20.0; // invalid
    let mut k = Shift::mh(shifts, [0.0; N]);
    k.next = true;
    k.stat = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];
    let mut ws = Walkers::<N, D>::from_positions(&e, N, SEED, &starts()).unwrap();
    let s = k.step(&e, 1.0, &mut ws).unwrap();
    assert_eq!((s.accepted, s.invalid), (N - 2, 1));
    let mut sum = 0f64;
    for w in 0..N {
        let info = ws.last_step(w);
        let want = if w == 5 { 0.0 } else { k.stat[w] };
        assert_eq!(info.accept_prob, want, "walker {w}");
        assert_eq!(info.accepted, w != 2 && w != 5, "walker {w}");
        sum += want as f64;
    }
    assert!((s.mean_accept_prob as f64 - sum / N as f64).abs() <= 1e-6);
}

/// The step's refusals: β ≤ 0 or NaN, no walkers, a dimension mismatch.
#[test]
fn step_refusals_change_nothing() {
    let e = FnEnergy::new(D, quad);
    let k = Shift::mh([0.1; N], [0.0; N]);
    let mut ws = Walkers::<N, D>::from_positions(&e, N, SEED, &starts()).unwrap();
    let copy = ws.clone();
    for beta in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        assert!(k.step(&e, beta, &mut ws).is_err(), "β {beta}");
        assert!(ws == copy);
    }
    let e3 = FnEnergy::new(3, quad);
    assert!(k.step(&e3, 1.0, &mut ws).is_err());
    assert!(ws == copy);
    let mut empty = Walkers::<N, D>::empty();
    assert_eq!(k.step(&e, 1.0, &mut empty), Err(Error::Empty));
}

/// The gradient cache's freshness, seen through the number of energy
/// evaluations: after a step with gradients, or a gradient-free step that
/// moved no walker, a refresh with gradients evaluates nothing; after a
/// gradient-free step that moved a walker it evaluates every walker once.
#[test]
fn gradient_freshness_costs_exactly_the_needed_evaluations() {
    use std::cell::Cell;
    let calls = Cell::new(0usize);
    let e = FnEnergy::new(D, |x: &[f32], g: &mut [f32]| {
        calls.set(calls.get() + 1);
        quad(x, g)
    });
    let refresh_calls = |ws: &mut Walkers<N, D>| {
        calls.set(0);
        ws.refresh(&e, true).unwrap();
        calls.get()
    };
    for (grad, shift, moved) in [
        (true, 0.3f32, true),
        (true, 1e3, false),
        (false, 1e3, false),
        (false, 0.3, true),
    ] {
        let mut ws = Walkers::<N, D>::from_positions(&e, N, SEED, &starts()).unwrap();
        let mut k = Shift::mh([shift; N], [0.5; N]);
        k.grad = grad;
        calls.set(0);
        let s = k.step(&e, 1.0, &mut ws).unwrap();
        assert_eq!(calls.get(), N, "one evaluation per proposal");
        assert_eq!(s.accepted > 0, moved);
        let want = if moved && !grad { N } else { 0 };
        assert_eq!(refresh_calls(&mut ws), want, "grad {grad}, moved {moved}");
    }
}

/// The Metropolis–Hastings test accepts iff u < p with p = min{1, e^r}:
/// with u uniform on the open interval (0, 1) that is an acceptance
/// probability of p, and a tie u = p (possible: both are f32) rejects,
/// as does p = 0 (r = −∞ or NaN) for every u.
#[test]
fn metropolis_accepts_strictly_below_the_probability() {
    use tinyebm::kernel::metropolis;
    use tinyebm::math;
    let mut ties = 0;
    for p in [0.5f32, 0.25, 0.75, 0.1, 0.3, 0.9] {
        let r = math::ln(p);
        let q = math::exp(r);
        // The tie needs exp(ln p) to give p back exactly in f32.
        if q != p {
            continue;
        }
        ties += 1;
        assert_eq!(metropolis(r, p), (false, p), "tie at p = {p}");
        assert_eq!(metropolis(r, f32::from_bits(p.to_bits() - 1)), (true, p));
        assert_eq!(metropolis(r, f32::from_bits(p.to_bits() + 1)), (false, p));
    }
    assert!(ties > 0, "no exact tie found");
    for r in [f32::NEG_INFINITY, f32::NAN] {
        assert_eq!(metropolis(r, f32::MIN_POSITIVE), (false, 0.0));
    }
    assert_eq!(metropolis(0.0, 1.0 - f32::EPSILON / 2.0), (true, 1.0));
}

/// Dual averaging's read-backs: the current step size is the one the last
/// update returned (h₀ before any), the averaged one follows
/// log h̄ₜ = t^−κ·log hₜ + (1 − t^−κ)·log h̄ₜ₋₁ (Hoffman & Gelman 2014,
/// Algorithm 5, in f64), and the counters and target are as configured.
#[test]
fn dual_averaging_read_backs() {
    use tinyebm::DualAveraging;
    let (h0, delta) = (0.37f32, 0.6f32);
    let mut da = DualAveraging::new(h0, delta).unwrap();
    assert!((da.step_size() - h0).abs() <= 1e-6 * h0);
    assert!((da.averaged() - h0).abs() <= 1e-6 * h0);
    assert_eq!((da.iterations(), da.target()), (0, delta));
    let mut log_avg = (h0 as f64).ln();
    for (t, a) in [0.9f32, 0.1, 0.55, 0.7, 0.3].into_iter().enumerate() {
        let h = da.update(a);
        assert_eq!(da.step_size(), h, "update {}", t + 1);
        let eta = ((t + 1) as f64).powf(-0.75);
        log_avg = eta * (h as f64).ln() + (1.0 - eta) * log_avg;
        let avg = da.averaged() as f64;
        assert!((avg - log_avg.exp()).abs() <= 1e-5 * avg, "averaged {avg}");
        assert_eq!(da.iterations(), t as u32 + 1);
    }
    // A restart shrinks toward log h instead of log(10 h): at the target
    // acceptance the first update keeps h (H̄₁ = 0, log h₁ = μ = log h).
    let mut r = DualAveraging::restart(h0, delta).unwrap();
    let h1 = r.update(delta);
    assert!((h1 - h0).abs() <= 1e-6 * h0, "{h1} vs {h0}");
    let mut n = DualAveraging::new(h0, delta).unwrap();
    let h1 = n.update(delta);
    assert!(
        (h1 - 10.0 * h0).abs() <= 1e-5 * 10.0 * h0,
        "{h1} vs {}",
        10.0 * h0
    );
}

/// Bounds clamp the current and averaged step sizes at once, and every
/// update stays within them.
#[test]
fn dual_averaging_bounds_clamp() {
    use tinyebm::DualAveraging;
    let da = DualAveraging::new(1.0, 0.5).unwrap();
    let b = da.with_bounds(0.1, 0.5).unwrap();
    assert!((b.step_size() - 0.5).abs() < 1e-6 && (b.averaged() - 0.5).abs() < 1e-6);
    let b = da.with_bounds(2.0, 3.0).unwrap();
    assert!((b.step_size() - 2.0).abs() < 1e-6 && (b.averaged() - 2.0).abs() < 1e-6);
    let mut b = da.with_bounds(0.2, 0.3).unwrap();
    for a in [1.0, 1.0, 0.0, 0.0, 0.0, 1.0] {
        let h = b.update(a);
        assert!(
            (0.2 * (1.0 - 1e-6)..=0.3 * (1.0 + 1e-6)).contains(&h),
            "{h}"
        );
    }
    // Equal bounds: a fixed step.
    assert!(da.with_bounds(0.25, 0.25).is_ok());
    assert!(da.with_bounds(0.3, 0.25).is_err());
}

/// Moving a walker by hand records its new energy in its last-step
/// record, as a step does.
#[test]
fn set_position_records_the_energy() {
    let e = FnEnergy::new(D, quad);
    let mut ws = Walkers::<N, D>::from_positions(&e, N, SEED, &starts()).unwrap();
    ws.set_position(&e, 3, &[1.5, -2.0]).unwrap();
    let u = 0.5 * (1.5f64 * 1.5 + 2.0 * 2.0);
    assert_eq!(ws.energies()[3] as f64, u);
    assert_eq!(ws.last_step(3).energy as f64, u);
    assert_eq!((ws.grad(3, 0), ws.grad(3, 1)), (1.5, -2.0));
}
