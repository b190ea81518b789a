#![allow(clippy::needless_range_loop)]
//! Replica exchange: it recovers the mode weights of the review's mixture
//! from walkers started in one mode, its swaps keep every temperature's
//! target, it drives a trainer through `NegativePhase`, and it is
//! deterministic and all-or-nothing. Tolerances are K_SE Monte Carlo
//! standard errors (batch means, or binomial across independent ladders).

mod common;
use common::*;
use tinyebm::{
    AnyKernel, Energy, Error, FnEnergy, Gaussian, Hmc, Kernel, Mala, Mixture, NegativePhase,
    ReplicaExchange, Rwmh, Sampler, Trainable, Ula, Walkers,
};

/// Walker w of every replica forms its own ladder, so the β = 1 positions of
/// different walkers at one time are independent draws.
const N: usize = 1024;
// The ladder (REPLICAS temperatures from 1 down to BETA_MIN, MALA step H for
// all) and the mode split (THRESHOLD, right_weight, right_fraction) are in
// common/review.rs, shared with examples/tempering.rs.

/// RE steps after which the mode weights are compared; MALA alone gets the
/// same number of gradient evaluations, REPLICAS × BURN steps.
const BURN: usize = 40;

fn one_mode_start(target: &Mixture<2, 1>) -> Walkers<N, 1> {
    // All walkers near the left mode: N(0, 0.5²), none beyond 2.5 (5 sd).
    Walkers::gaussian(target, N, 3, &[0.0], 0.5).unwrap()
}

/// From one mode, at equal cost, MALA alone has not found the weights;
/// replica exchange has, and then holds them: its time-averaged β = 1
/// right-mode fraction matches 0.3044 within K_SE batch-means SEs.
#[test]
fn replica_exchange_recovers_mode_weights_that_mala_misses() {
    on_big_stack(recovers_mode_weights);
}

/// Six replicas of 1024 walkers are ~0.5 MB of fixed arrays, built on the
/// stack: more than a test thread's default 2 MB allows once moved around.
fn on_big_stack(f: fn()) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

fn recovers_mode_weights() {
    let target = Mixture::review_example();
    let truth = right_weight();
    let start = one_mode_start(&target);
    assert_eq!(right_fraction(&start), 0.0);
    // Binomial SE of a fraction over N independent walkers at one time.
    let se = (truth * (1.0 - truth) / N as f64).sqrt();

    let mut mala = Sampler::new(Mala::new(H).unwrap(), start.clone());
    mala.run(&target, REPLICAS * BURN).unwrap();
    let f_mala = right_fraction(mala.walkers());

    let mut re = ReplicaExchange::<Mala, REPLICAS, N, 1>::geometric(
        Mala::new(H).unwrap(),
        start,
        REPLICAS,
        BETA_MIN,
        9,
    )
    .unwrap();
    re.run(&target, BURN).unwrap();
    let f_re = right_fraction(re.samples());
    eprintln!(
        "after {} gradient evaluations per walker: MALA {f_mala:.4}, RE {f_re:.4}, exact {truth:.4} (SE {se:.4})",
        REPLICAS * BURN
    );
    // The same band decides both: RE must be inside it, MALA outside.
    let (z_mala, z_re) = ((f_mala - truth) / se, (f_re - truth) / se);
    eprintln!("z: MALA {z_mala:+.1}, RE {z_re:+.1}");
    assert!(
        z_mala.abs() > K_SE,
        "MALA alone already has the right weight ({f_mala:.4})"
    );
    assert!(
        z_re.abs() < K_SE,
        "RE has not recovered the weight ({f_re:.4})"
    );

    re.reset_swap_stats();
    let mut series = Vec::new();
    for _ in 0..2000 {
        re.step(&target).unwrap();
        series.push(right_fraction(re.samples()));
    }
    assert_within("RE right-mode weight at β = 1", &series, truth);
    for k in 0..REPLICAS - 1 {
        let s = re.swap_stats(k).unwrap();
        eprintln!(
            "swap rate β {} ↔ {}: {:.3}",
            re.betas()[k],
            re.betas()[k + 1],
            s.rate()
        );
        // Alternation proposes each pair every other sweep, N walkers each.
        assert_eq!(s.attempted, 1000 * N as u64);
        assert!(s.rate() > 0.5, "pair {k}: swap rate {}", s.rate());
    }
}

/// The swap rule alone on the smallest case: two temperatures, two fixed
/// configurations (U = 0 and U = 2 on U = x²/2). Swaps are the only move, so
/// the arrangement is a two-state chain whose stationary law is
/// ∝ exp(−β₀U_cold − β₁U_hot): P(U = 0 at β = 1) = e⁻¹/(e⁻¹ + e⁻²) for the
/// ladder (1, 0.5). Detailed balance holds iff that fraction comes out.
#[test]
fn swaps_satisfy_detailed_balance_on_two_states() {
    let e = Gaussian::<1>::standard(1).unwrap();
    const M: usize = 64;
    let cold = Walkers::<M, 1>::from_positions(&e, M, 1, &[0.0; M]).unwrap();
    let mut re =
        ReplicaExchange::<Rwmh, 2, M, 1>::new(Rwmh::new(1.0).unwrap(), cold, &[1.0, 0.5], 2)
            .unwrap();
    let hot = Walkers::<M, 1>::from_positions(&e, M, 5, &[2.0; M]).unwrap();
    *re.replica_mut(1).unwrap() = hot;
    let mut series = Vec::new();
    for _ in 0..40_000 {
        re.exchange(&e).unwrap();
        let x = &re.replica(0).unwrap().positions_soa()[0][..M];
        series.push(x.iter().filter(|&&v| v == 0.0).count() as f64 / M as f64);
    }
    let truth = (-1f64).exp() / ((-1f64).exp() + (-2f64).exp());
    assert_within("P(U = 0 at β = 1)", &series, truth);
    // Energies travel with positions.
    for k in 0..2 {
        let w = re.replica(k).unwrap();
        for i in 0..M {
            assert_eq!(w.energies()[i], 0.5 * w.coord(i, 0) * w.coord(i, 0));
        }
    }
}

/// Swaps keep the product of tempered targets: three replicas of U = x²/2
/// started from exact draws of N(0, 1/βₖ) stay distributed so after many
/// swap sweeps (KS at α = 0.001 per replica, independent walkers).
#[test]
fn swaps_keep_every_tempered_target() {
    let e = Gaussian::<1>::standard(1).unwrap();
    const M: usize = 1024;
    let betas = [1.0f32, 0.5, 0.25];
    let draws = |beta: f32, seed: u64| -> Walkers<M, 1> {
        let mut w = Walkers::<M, 1>::gaussian(&e, M, seed, &[0.0], 1.0 / beta.sqrt()).unwrap();
        // Independent streams per replica (the draws used the old ones).
        for i in 0..M {
            *w.stream_mut(i).unwrap() = tinyebm::Stream::new(seed + 100, i as u64);
        }
        w
    };
    let mut re =
        ReplicaExchange::<Rwmh, 3, M, 1>::new(Rwmh::new(1.0).unwrap(), draws(1.0, 1), &betas, 7)
            .unwrap();
    for k in 1..3 {
        *re.replica_mut(k).unwrap() = draws(betas[k], 1 + k as u64);
    }
    for _ in 0..50 {
        re.exchange(&e).unwrap();
    }
    for k in 0..3 {
        let sd = 1.0 / (betas[k] as f64).sqrt();
        let mut x: Vec<f64> = re.replica(k).unwrap().positions_soa()[0]
            .iter()
            .map(|&v| v as f64 / sd)
            .collect();
        x.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let d = ks_statistic(&x, phi);
        eprintln!(
            "β = {}: KS D = {d:.4} (critical {:.4})",
            betas[k],
            ks_critical(M)
        );
        assert!(d < ks_critical(M), "β = {}: KS D = {d:.4}", betas[k]);
    }
    let s = re.swap_stats(0).unwrap();
    assert!(s.accepted > 0 && s.accepted < s.attempted);
}

/// What a PCD trainer does with its negative phase, written against the
/// trait only: sample, change θ, invalidate, sample again.
fn train_like<P: NegativePhase<M, 1>, const M: usize>(p: &mut P, e: &mut Gaussian<1>) -> Vec<f64> {
    p.advance(e, 100).unwrap();
    let mut theta = [0f32; 2];
    e.params(&mut theta).unwrap();
    theta[0] = 3.0;
    e.set_params(&theta).unwrap();
    p.invalidate();
    let s = p.advance(e, 1).unwrap();
    assert_eq!(s.proposed, M);
    // Every cached energy is the new energy at the walker's position.
    let w = p.samples();
    for i in 0..M {
        let want = e.value(&[w.coord(i, 0)]).unwrap();
        assert_eq!(w.energies()[i], want, "walker {i}: stale cache");
    }
    p.advance(e, 200).unwrap();
    let mut series = Vec::new();
    for _ in 0..4000 {
        p.advance(e, 1).unwrap();
        let w = p.samples();
        series.push((0..M).map(|i| w.coord(i, 0) as f64).sum::<f64>() / M as f64);
    }
    series
}

#[test]
fn drives_a_trainer_through_negative_phase() {
    const M: usize = 64;
    let mut e = Gaussian::<1>::standard(1).unwrap();
    let w = Walkers::<M, 1>::gaussian(&e, M, 4, &[0.0], 1.0).unwrap();
    let mut re =
        ReplicaExchange::<Mala, 4, M, 1>::geometric(Mala::new(0.5).unwrap(), w.clone(), 4, 0.1, 8)
            .unwrap();
    let series = train_like(&mut re, &mut e);
    assert_within("RE mean after θ change", &series, 3.0);
    // Every replica followed the parameter change, caches included.
    for k in 0..4 {
        let r = re.replica(k).unwrap();
        for i in 0..M {
            assert_eq!(r.energies()[i], e.value(&[r.coord(i, 0)]).unwrap());
            assert_eq!(r.grad(i, 0), r.coord(i, 0) - 3.0);
        }
    }
    // The same driver on a plain sampler: the trait is all the trainer uses.
    let mut e = Gaussian::<1>::standard(1).unwrap();
    let mut s = Sampler::new(Mala::new(0.5).unwrap(), w);
    let series = train_like(&mut s, &mut e);
    assert_within("Sampler mean after θ change", &series, 3.0);
}

/// Swaps carry U and ∇U with the position: after many swaps every cache
/// still equals the energy at its walker, in every replica.
#[test]
fn swaps_move_positions_and_caches_together() {
    let target = Mixture::review_example();
    const M: usize = 32;
    let w = Walkers::<M, 1>::gaussian(&target, M, 6, &[0.0], 1.0).unwrap();
    let mut re =
        ReplicaExchange::<Mala, 5, M, 1>::geometric(Mala::new(1.0).unwrap(), w, 5, 0.05, 1)
            .unwrap();
    re.run(&target, 300).unwrap();
    assert!(re.swap_stats(0).unwrap().accepted > 100);
    for k in 0..5 {
        let r = re.replica(k).unwrap();
        for i in 0..M {
            let mut g = [0f32];
            let u = target.value_grad(&[r.coord(i, 0)], &mut g).unwrap();
            assert_eq!(
                (r.energies()[i], r.grad(i, 0)),
                (u, g[0]),
                "replica {k} walker {i}"
            );
            assert_eq!(r.last_step(i).energy, u);
        }
    }
}

/// A single temperature is exactly a `Sampler` (same streams, same shared
/// step): the tempering layer adds nothing when there is nothing to swap.
#[test]
fn one_replica_is_a_sampler() {
    let target = Mixture::review_example();
    let w = Walkers::<16, 1>::gaussian(&target, 16, 2, &[0.0], 2.0).unwrap();
    let mut re =
        ReplicaExchange::<Mala, 3, 16, 1>::new(Mala::new(0.7).unwrap(), w.clone(), &[1.0], 5)
            .unwrap();
    let mut s = Sampler::new(Mala::new(0.7).unwrap(), w);
    re.run(&target, 200).unwrap();
    s.run(&target, 200).unwrap();
    assert!(re.samples() == s.walkers());
    assert_eq!(re.swap_stats(0), None);
}

fn bits(re: &ReplicaExchange<Mala, 4, 16, 1>) -> Vec<u32> {
    let mut v = Vec::new();
    for k in 0..re.replicas() {
        let r = re.replica(k).unwrap();
        v.extend(r.positions_soa()[0].iter().map(|x| x.to_bits()));
        v.extend(r.energies().iter().map(|x| x.to_bits()));
    }
    v.extend((0..re.replicas() - 1).map(|k| re.swap_stats(k).unwrap().accepted as u32));
    v
}

#[test]
fn same_seed_same_bits() {
    let target = Mixture::review_example();
    let run = |seed: u64| {
        let w = Walkers::<16, 1>::gaussian(&target, 16, 1, &[0.0], 1.0).unwrap();
        let mut re =
            ReplicaExchange::<Mala, 4, 16, 1>::geometric(Mala::new(1.0).unwrap(), w, 4, 0.1, seed)
                .unwrap();
        re.run(&target, 300).unwrap();
        bits(&re)
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}

/// Adaptation runs per temperature: hotter replicas settle on their own step.
#[test]
fn per_replica_adaptation() {
    let target = Mixture::review_example();
    let w = Walkers::<64, 1>::gaussian(&target, 64, 1, &[0.0], 1.0).unwrap();
    let mut re =
        ReplicaExchange::<Mala, 4, 64, 1>::geometric(Mala::new(0.1).unwrap(), w, 4, 0.1, 3)
            .unwrap();
    re.start_adaptation(tinyebm::adapt::MALA_TARGET).unwrap();
    assert!(re.is_adapting());
    re.run(&target, 1000).unwrap();
    re.freeze_step_sizes().unwrap();
    assert!(!re.is_adapting());
    let h: Vec<f32> = (0..4).map(|k| re.kernel(k).unwrap().step_size()).collect();
    eprintln!("adapted steps {h:?}");
    assert!(
        h.iter().all(|&v| v > 0.3),
        "steps did not grow from 0.1: {h:?}"
    );
    assert!(h.windows(2).any(|p| p[0] != p[1]));
}

#[test]
fn bad_configuration_is_refused() {
    let e = Gaussian::<1>::standard(1).unwrap();
    let w = Walkers::<8, 1>::gaussian(&e, 8, 1, &[0.0], 1.0).unwrap();
    let k = Mala::new(0.5).unwrap();
    type Re = ReplicaExchange<Mala, 3, 8, 1>;
    for ladder in [
        &[][..],
        &[0.9, 0.5],
        &[1.0, 1.0],
        &[1.0, 0.5, 0.7],
        &[1.0, 0.0],
        &[1.0, f32::NAN],
        &[1.0, 0.5, 0.25, 0.1],
    ] {
        assert!(Re::new(k, w.clone(), ladder, 0).is_err(), "{ladder:?}");
    }
    assert_eq!(
        Re::geometric(k, w.clone(), 4, 0.1, 0).unwrap_err(),
        Error::CapacityExceeded {
            requested: 4,
            capacity: 3
        }
    );
    assert!(Re::geometric(k, w.clone(), 3, 1.0, 0).is_err());
    assert!(Re::geometric(k, w.clone(), 3, 1.5, 0).is_err());
    assert_eq!(
        Re::new(k, Walkers::empty(), &[1.0], 0).unwrap_err(),
        Error::Empty
    );

    let mut re = Re::geometric(k, w, 3, 0.2, 0).unwrap();
    assert!(re.set_ladder(&[1.0, 0.5]).is_err());
    assert!(re.set_ladder(&[1.0, 0.5, 0.6]).is_err());
    re.set_ladder(&[1.0, 0.6, 0.3]).unwrap();
    assert_eq!(re.betas(), &[1.0, 0.6, 0.3]);
    assert!(re.replica(3).is_none() && re.kernel(3).is_none() && re.swap_stats(2).is_none());

    // Wrong energy dimension, and a β = 1 replica re-initialised with
    // another walker count: refused, nothing changes.
    let e2 = Gaussian::<2>::standard(2).unwrap();
    let before = re.clone();
    assert!(matches!(re.step(&e2), Err(Error::DimensionMismatch { .. })));
    assert!(matches!(
        re.exchange(&e2),
        Err(Error::DimensionMismatch { .. })
    ));
    re.samples_mut()
        .init_gaussian(&e, 5, 1, &[0.0], 1.0)
        .unwrap();
    let shrunk = re.clone();
    assert_eq!(
        re.step(&e).unwrap_err(),
        Error::DimensionMismatch {
            expected: 5,
            found: 8
        }
    );
    for k in 0..3 {
        assert!(re.replica(k) == shrunk.replica(k));
        if k > 0 {
            assert!(re.replica(k) == before.replica(k));
        }
    }
}

/// U is NaN beyond |x| > 6. At β = 1 a small ULA step never gets there; at
/// β = 0.001 its noise (sd √(2h/β) ≈ 14) does at once. The step must fail
/// as a whole: the β = 1 replica, decided first, is not committed either.
#[test]
fn a_failing_replica_fails_the_whole_step() {
    let e = FnEnergy::new(1, |x: &[f32], g: &mut [f32]| {
        if x[0].abs() > 6.0 {
            g[0] = f32::NAN;
            return f32::NAN;
        }
        g[0] = x[0];
        0.5 * x[0] * x[0]
    });
    let w = Walkers::<8, 1>::gaussian(&e, 8, 1, &[0.0], 0.5).unwrap();
    let mut re =
        ReplicaExchange::<Ula, 3, 8, 1>::new(Ula::new(0.1).unwrap(), w, &[1.0, 0.1, 0.001], 4)
            .unwrap();
    let before = re.clone();
    let err = re.step(&e).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }), "{err:?}");
    for k in 0..3 {
        assert!(re.replica(k) == before.replica(k), "replica {k} changed");
    }
    assert_eq!(re.sweeps(), 0);
    assert_eq!(re.swap_stats(0), before.swap_stats(0));
    // Without the hot replica the same step goes through.
    let w = before.replica(0).unwrap().clone();
    let mut cold =
        ReplicaExchange::<Ula, 3, 8, 1>::new(Ula::new(0.1).unwrap(), w, &[1.0, 0.5], 4).unwrap();
    cold.step(&e).unwrap();
}

/// Kernels without gradients (MH) leave ∇U stale after accepted moves; a
/// swap must not hand such a gradient to a gradient kernel's replica as
/// fresh. `refresh` is a no-op exactly when the caches claim to be fresh, so
/// after it every gradient must be the true one.
#[test]
fn stale_gradients_are_not_swapped_in_as_fresh() {
    let target = Mixture::review_example();
    const M: usize = 16;
    let w = Walkers::<M, 1>::gaussian(&target, M, 2, &[0.0], 1.0).unwrap();
    let mut re = ReplicaExchange::<AnyKernel<1>, 2, M, 1>::new(
        AnyKernel::Mala(Mala::new(0.8).unwrap()),
        w,
        &[1.0, 0.3],
        1,
    )
    .unwrap();
    *re.kernel_mut(1).unwrap() = AnyKernel::Rwmh(Rwmh::new(2.0).unwrap());
    for _ in 0..200 {
        re.step(&target).unwrap();
        let mut r0 = re.replica(0).unwrap().clone();
        r0.refresh(&target, true).unwrap();
        for i in 0..M {
            let mut g = [0f32];
            target.value_grad(&[r0.coord(i, 0)], &mut g).unwrap();
            assert_eq!(r0.grad(i, 0), g[0], "walker {i}");
        }
    }
    assert!(re.swap_stats(0).unwrap().accepted > 100);
}

/// Any kernel inside: HMC at every temperature recovers the weights too.
#[test]
fn hmc_inside_replica_exchange() {
    let target = Mixture::review_example();
    const M: usize = 256;
    let w = Walkers::<M, 1>::gaussian(&target, M, 3, &[0.0], 1.0).unwrap();
    let mut re = ReplicaExchange::<Hmc<1>, 6, M, 1>::geometric(
        Hmc::new(0.4, 4).unwrap(),
        w,
        REPLICAS,
        BETA_MIN,
        2,
    )
    .unwrap();
    re.run(&target, 100).unwrap();
    let mut series = Vec::new();
    for _ in 0..1000 {
        re.step(&target).unwrap();
        series.push(right_fraction(re.samples()));
    }
    assert_within("RE(HMC) right-mode weight", &series, right_weight());
}
