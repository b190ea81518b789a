//! In-place constructors (for objects kept in static or caller memory on
//! small stacks) build exactly what the by-value constructors build, and
//! leave `self` unchanged on every error: optimisers, replica exchange,
//! the MLP weight loader, and the side checks of walker starts.

mod common;
use common::TryFnEnergy;
use tinyebm::crc32::crc32;
use tinyebm::{
    Activation, Adam, AnyKernel, Energy, Error, EvalError, Gaussian, Mala, Mlp, Optimizer, Persist,
    ReplicaExchange, Sgd, Stream, Ula, Walkers,
};

// ---------------------------------------------------------------- optimisers

/// Runs a few steps so that the optimiser has non-trivial state.
fn used<O: Optimizer>(mut o: O) -> O {
    let n = o.len();
    let mut theta = vec![0.5f32; n];
    let g: Vec<f32> = (0..n).map(|j| 0.1 * j as f32 - 0.2).collect();
    for _ in 0..3 {
        o.step(&mut theta, &g).unwrap();
    }
    o
}

#[test]
fn sgd_reinit_equals_new_and_is_all_or_nothing() {
    let mut o = used(
        Sgd::<8>::new(8, 0.1, 0.5)
            .unwrap()
            .with_clip_norm(2.0)
            .unwrap()
            .with_weight_decay(0.01)
            .unwrap(),
    );
    let before = o.clone();
    for (n, lr, mu) in [
        (9, 0.1, 0.5),
        (3, -1.0, 0.5),
        (3, 0.1, 1.0),
        (3, f32::NAN, 0.0),
    ] {
        assert!(o.reinit(n, lr, mu).is_err());
        assert_eq!(o, before);
    }
    for c in [-1.0, f32::NAN] {
        assert!(o.set_clip_norm(c).is_err());
        assert_eq!(o, before);
    }
    assert!(o.set_weight_decay(-1.0).is_err());
    assert_eq!(o, before);
    o.reinit(5, 0.2, 0.9).unwrap();
    assert_eq!(o, Sgd::<8>::new(5, 0.2, 0.9).unwrap());
    o.set_clip_norm(1.5).unwrap();
    o.set_weight_decay(0.1).unwrap();
    let want = Sgd::<8>::new(5, 0.2, 0.9)
        .unwrap()
        .with_clip_norm(1.5)
        .unwrap()
        .with_weight_decay(0.1)
        .unwrap();
    assert_eq!(o, want);
    // And the same bits after.
    assert_eq!(used(o), used(want));
}

#[test]
fn adam_reinit_equals_with_moments_and_is_all_or_nothing() {
    let mut o = used(
        Adam::<8>::with_moments(8, 0.01, 0.8, 0.99, 1e-6)
            .unwrap()
            .with_bias_correction(false)
            .with_clip_norm(3.0)
            .unwrap(),
    );
    let before = o.clone();
    for (n, lr, b1, b2, eps) in [
        (9, 0.1, 0.9, 0.999, 1e-8),
        (3, -0.1, 0.9, 0.999, 1e-8),
        (3, 0.1, 1.0, 0.999, 1e-8),
        (3, 0.1, 0.9, -0.1, 1e-8),
        (3, 0.1, 0.9, 0.999, 0.0),
        (3, 0.1, 0.9, 0.999, f32::INFINITY),
    ] {
        assert!(o.reinit_with_moments(n, lr, b1, b2, eps).is_err());
        assert_eq!(o, before);
    }
    o.reinit_with_moments(6, 0.02, 0.9, 0.999, 1e-8).unwrap();
    let want = Adam::<8>::with_moments(6, 0.02, 0.9, 0.999, 1e-8).unwrap();
    assert_eq!(o, want);
    assert_eq!(o.steps(), 0);
    o.set_weight_decay(0.5).unwrap();
    let want = want.with_weight_decay(0.5).unwrap();
    assert_eq!(o, want);
    assert_eq!(used(o), used(want));
}

// ---------------------------------------------------------- replica exchange

type Rx = ReplicaExchange<AnyKernel<2>, 4, 8, 2>;

fn target() -> Gaussian<2> {
    Gaussian::from_covariance(&[0.5, -0.5], &[1.0, 0.3, 0.3, 2.0]).unwrap()
}

fn start(e: &Gaussian<2>, n: usize, seed: u64) -> Walkers<8, 2> {
    Walkers::gaussian(e, n, seed, &[0.0, 0.0], 1.0).unwrap()
}

/// A used sampler: several steps, adaptation on, a different ladder.
fn used_rx(e: &Gaussian<2>) -> Rx {
    let k = AnyKernel::Mala(Mala::new(0.3).unwrap());
    let mut rx = Rx::new(k, start(e, 5, 11), &[1.0, 0.5, 0.25, 0.125], 3).unwrap();
    rx.start_adaptation(0.5).unwrap();
    rx.run(e, 7).unwrap();
    rx
}

#[test]
fn replica_exchange_reinit_equals_new() {
    let e = target();
    let k = AnyKernel::Ula(Ula::new(0.1).unwrap());
    for betas in [&[1.0][..], &[1.0, 0.6], &[1.0, 0.7, 0.3]] {
        let mut rx = used_rx(&e);
        rx.base_mut()
            .init_gaussian(&e, 6, 21, &[0.0, 0.0], 1.0)
            .unwrap();
        rx.reinit(k, betas, 9).unwrap();
        let mut want = Rx::new(k, start(&e, 6, 21), betas, 9).unwrap();
        assert!(rx == want, "{betas:?}");
        assert!(!rx.is_adapting());
        assert_eq!(rx.sweeps(), 0);
        // The same bits after.
        rx.run(&e, 5).unwrap();
        want.run(&e, 5).unwrap();
        assert!(rx == want);
    }
    // Geometric ladders.
    let mut rx = used_rx(&e);
    rx.base_mut()
        .init_gaussian(&e, 8, 2, &[0.0, 0.0], 1.0)
        .unwrap();
    rx.reinit_geometric(k, 3, 0.2, 5).unwrap();
    let want = Rx::geometric(k, start(&e, 8, 2), 3, 0.2, 5).unwrap();
    assert!(rx == want);
}

#[test]
fn replica_exchange_reinit_refusals_change_nothing() {
    let e = target();
    let k = AnyKernel::Ula(Ula::new(0.1).unwrap());
    let mut rx = used_rx(&e);
    let before = rx.clone();
    for betas in [
        &[][..],
        &[0.9, 0.5],
        &[1.0, 1.0],
        &[1.0, 0.5, 0.6],
        &[1.0, f32::NAN],
        &[1.0, 0.5, 0.4, 0.3, 0.2],
    ] {
        assert!(rx.reinit(k, betas, 1).is_err(), "{betas:?}");
        assert!(rx == before);
    }
    assert!(rx.reinit_geometric(k, 5, 0.5, 1).is_err());
    assert!(rx.reinit_geometric(k, 3, 1.5, 1).is_err());
    assert!(rx == before);
    // An empty β = 1 ensemble is refused too.
    let mut empty = Rx::new(k, start(&e, 4, 1), &[1.0, 0.5], 1).unwrap();
    empty.base_mut().reset();
    let before = empty.clone();
    assert_eq!(empty.reinit(k, &[1.0, 0.5], 1), Err(Error::Empty));
    assert!(empty == before);
}

// ------------------------------------------------------------ walker starts

/// ½|x|² in 2-D that declines left of x₀ = −1 and has a NaN gradient right
/// of x₀ = 2.
fn picky() -> impl Energy {
    TryFnEnergy::<_, 2>(|x: &[f32], g: &mut [f32]| {
        if x[0] < -1.0 {
            return Err(EvalError::Declined(7));
        }
        g[0] = if x[0] > 2.0 { f32::NAN } else { x[0] };
        g[1] = x[1];
        Ok(0.5 * (x[0] * x[0] + x[1] * x[1]))
    })
}

#[test]
fn walker_start_checks_agree_with_init() {
    let e = picky();
    type W = Walkers<16, 2>;
    let mut w = W::gaussian(&e, 3, 1, &[0.0, 0.0], 0.1).unwrap();
    let before = w.clone();
    for n in [1, 4, 5, 9, 16] {
        let mut pos = vec![0.1f32; 2 * n];
        let results: Vec<Result<(), Error>> = (0..n)
            .flat_map(|bad| {
                let mut a = pos.clone();
                a[2 * bad] = -3.0;
                let mut b = pos.clone();
                b[2 * bad] = 5.0;
                // Finiteness is checked before any evaluation.
                let mut c = pos.clone();
                c[0] = -3.0;
                c[2 * bad + 1] = f32::NAN;
                [a, b, c]
            })
            .chain([pos.clone()])
            .map(|p| {
                let checked = W::check_init_positions(&e, n, &p);
                let mut copy = w.clone();
                assert_eq!(checked, copy.init_positions(&e, n, 4, &p));
                checked
            })
            .collect();
        assert!(results.last().unwrap().is_ok());
        assert!(results[..results.len() - 1].iter().all(|r| r.is_err()));
        pos.push(0.0);
        assert_eq!(
            W::check_init_positions(&e, n, &pos),
            w.init_positions(&e, n, 4, &pos)
        );
        assert_eq!(w, before);
    }
    for (n, center, sd) in [
        (16, [0.0, 0.0], 1.0),
        (16, [0.5, 0.0], 2.0),
        (7, [3.0, 0.0], 0.1),
        (7, [-3.0, 0.0], 0.1),
        (17, [0.0, 0.0], 1.0),
        (3, [f32::NAN, 0.0], 1.0),
        (3, [0.0, 0.0], -1.0),
    ] {
        for seed in 0..20 {
            let mut copy = w.clone();
            assert_eq!(
                W::check_init_gaussian(&e, n, seed, &center, sd),
                copy.init_gaussian(&e, n, seed, &center, sd),
                "n {n} centre {center:?} sd {sd} seed {seed}"
            );
        }
    }
}

/// Re-initialised in place over a larger, used ensemble, walkers equal
/// those built by value (unused slots included).
#[test]
fn walkers_reinit_in_place_equals_by_value() {
    let big =
        Gaussian::<3>::from_covariance(&[0.0; 3], &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
            .unwrap();
    let e = target();
    let mut w = Walkers::<8, 3>::gaussian(&big, 8, 1, &[0.0; 3], 1.0).unwrap();
    w.init_gaussian(&e, 5, 2, &[0.5, 0.5], 0.5).unwrap();
    assert_eq!(w, Walkers::gaussian(&e, 5, 2, &[0.5, 0.5], 0.5).unwrap());
    let pos = [0.1f32, 0.2, 0.3, 0.4];
    w.init_positions(&e, 2, 3, &pos).unwrap();
    assert_eq!(w, Walkers::from_positions(&e, 2, 3, &pos).unwrap());
}

// --------------------------------------------------------------- MLP weights

fn encode<M: Persist>(m: &M) -> Vec<u8> {
    let mut b = vec![0u8; m.encoded_len()];
    m.encode(&mut b).unwrap();
    b
}

fn fix_crc(bytes: &mut [u8]) {
    let n = bytes.len() - 4;
    let crc = crc32(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
}

/// `decode_into` gives what `decode` gives, in place, whatever was there;
/// on every error it returns `decode`'s error and changes nothing;
/// `validate` agrees with both.
#[test]
fn mlp_decode_into_equals_decode_for_every_damage() {
    type M = Mlp<3, 5>;
    let file = encode(&M::init(2, 4, Activation::Silu, 0.75, 5).unwrap());
    let olds = [
        M::init(3, 5, Activation::Softplus, 2.0, 77).unwrap(),
        M::init(1, 1, Activation::Tanh, 0.1, 1).unwrap(),
    ];
    let mut s = Stream::new(3, 0);
    let mut variants: Vec<Vec<u8>> = vec![file.clone()];
    for i in 0..file.len() {
        for fixed in [false, true] {
            let mut b = file.clone();
            b[i] ^= 1 << s.below(8);
            if fixed && i < file.len() - 4 {
                fix_crc(&mut b);
            }
            variants.push(b);
        }
    }
    for at in (20..file.len() - 4).step_by(4) {
        for v in [f32::NAN, f32::INFINITY, 0.0, -1.0] {
            let mut b = file.clone();
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
            fix_crc(&mut b);
            variants.push(b);
        }
    }
    for n in 0..file.len() {
        variants.push(file[..n].to_vec());
    }
    let mut long = file.clone();
    long.push(0);
    variants.push(long);
    // Sizes above the type's capacity.
    variants.push(encode(
        &Mlp::<4, 5>::init(4, 2, Activation::Tanh, 1.0, 2).unwrap(),
    ));
    variants.push(encode(
        &Mlp::<2, 6>::init(2, 6, Activation::Tanh, 1.0, 2).unwrap(),
    ));
    let mut oks = 0;
    for b in &variants {
        let want = M::decode(b);
        assert_eq!(M::validate(b), want.as_ref().map(|_| ()).map_err(|e| *e));
        for old in &olds {
            let mut m = old.clone();
            let got = m.decode_into(b);
            match &want {
                Ok(w) => {
                    assert_eq!(got, Ok(()));
                    assert_eq!(&m, w);
                    oks += 1;
                }
                Err(e) => {
                    assert_eq!(got, Err(*e));
                    assert_eq!(&m, old);
                }
            }
        }
    }
    assert!(oks >= 2);
    // The loaded model computes what the decoded one does.
    let mut m = olds[0].clone();
    m.decode_into(&file).unwrap();
    let d = M::decode(&file).unwrap();
    let (mut g1, mut g2) = ([0f32; 2], [0f32; 2]);
    assert_eq!(
        m.value_grad(&[0.3, -0.2], &mut g1).unwrap().to_bits(),
        d.value_grad(&[0.3, -0.2], &mut g2).unwrap().to_bits()
    );
    assert_eq!(g1, g2);
}
