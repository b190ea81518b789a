#![allow(clippy::needless_range_loop)]
//! `DeepMlp` (issue 16): gradients by finite differences for every
//! activation and 1–4 hidden layers, the batched passes against the
//! single-point ones bit for bit, equivalence with `Mlp` (two hidden layers
//! of width h: same bits), a 1-hidden-layer network against its closed
//! form, the weight format (round trips, every malformed field, old files
//! unchanged), and a PCD training smoke test on a 2-D Gaussian mixture.

mod common;
use common::*;
use tinyebm::crc32::crc32;
use tinyebm::deep_mlp::MAX_LAYERS;
use tinyebm::weights::PEEK_LEN;
use tinyebm::{
    Activation, AnyModel, DeepMlp, Energy, Error, Evals, Mlp, ModelCodec, ModelConfig, ModelKind,
    Persist, Stream, Trainable, Walkers, deep_mlp_param_count, mlp_param_count, peek,
};

const ACTS: [Activation; 3] = [Activation::Tanh, Activation::Silu, Activation::Softplus];

/// Widths tried for 1 to 4 hidden layers (different per layer).
const SHAPES: [&[usize]; 4] = [&[5], &[5, 3], &[4, 6, 3], &[3, 5, 4, 6]];

// ------------------------------------------------------------- gradients

#[test]
fn gradients_match_finite_differences() {
    // As in tests/gradients.rs: with `micromath`, SiLU and softplus use an
    // approximate e^x whose slope is not the derivative used; tanh is exact.
    let acts: &[Activation] = if cfg!(feature = "micromath") {
        &[Activation::Tanh]
    } else {
        &ACTS
    };
    let mut s = Stream::new(16, 0);
    for &act in acts {
        for widths in SHAPES {
            for trial in 0..4 {
                let d = 3;
                let theta = random_vec(&mut s, deep_mlp_param_count(d, widths), 0.7);
                let m = DeepMlp::<4, 8, 3>::from_params(d, widths, act, 0.3, &theta).unwrap();
                let x = random_vec(&mut s, d, 1.0);
                let name = format!("{act:?} {widths:?} #{trial}");
                x_grad_mismatch(&m, &x).unwrap_or_else(|e| panic!("{name}: {e}"));
                let u = theta_grad_mismatch(&m, &x, 2.0, false)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(u.to_bits(), m.value(&x).unwrap().to_bits(), "{name}");
            }
        }
    }
}

/// One hidden layer: U = w·σ(Wx + b) + c + ½α|x|², in f64 by hand.
#[test]
fn one_hidden_layer_is_the_closed_form() {
    let mut s = Stream::new(17, 0);
    for act in ACTS {
        let (d, h) = (3, 6);
        let theta = random_vec(&mut s, deep_mlp_param_count(d, &[h]), 0.8);
        assert_eq!(theta.len(), h * d + h + h + 1);
        let m = DeepMlp::<3, 8, 0>::from_params(d, &[h], act, 0.4, &theta).unwrap();
        let sigma = |a: f64| match act {
            Activation::Tanh => a.tanh(),
            Activation::Silu => a / (1.0 + (-a).exp()),
            Activation::Softplus => (1.0 + a.exp()).ln(),
        };
        for _ in 0..20 {
            let x = random_vec(&mut s, d, 1.5);
            let t = |k: usize| theta[k] as f64;
            let mut u = t(h * d + 2 * h);
            for j in 0..h {
                let a = t(h * d + j) + (0..d).map(|i| t(j * d + i) * x[i] as f64).sum::<f64>();
                u += t(h * d + h + j) * sigma(a);
            }
            u += 0.5 * 0.4 * x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>();
            let got = m.value(&x).unwrap() as f64;
            let tol = if cfg!(feature = "micromath") {
                1e-2
            } else {
                1e-5
            };
            assert!(
                (got - u).abs() <= tol * (1.0 + u.abs()),
                "{act:?}: {got} vs {u}"
            );
        }
    }
}

// ------------------------------------------------------- batched = single

/// The trait's default (one point at a time) bodies, as the reference.
struct PerPoint<'a, E>(&'a E);

impl<E: Energy> Energy for PerPoint<'_, E> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn value(&self, x: &[f32]) -> Result<f32, tinyebm::EvalError> {
        self.0.value(x)
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, tinyebm::EvalError> {
        self.0.value_grad(x, g)
    }
}

impl<E: Trainable> Trainable for PerPoint<'_, E> {
    fn num_params(&self) -> usize {
        self.0.num_params()
    }
    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        self.0.params(out)
    }
    fn set_params(&mut self, _: &[f32]) -> Result<(), Error> {
        unreachable!()
    }
    fn add_param_grad(&self, x: &[f32], s: f32, g: &mut [f32]) -> Result<f32, tinyebm::EvalError> {
        self.0.add_param_grad(x, s, g)
    }
}

/// `eval_batch`, `accumulate_param_grad_batch` and `param_grad_each` equal
/// the per-point passes bit for bit: widths at capacity (32: whole blocks
/// of the θ-gradient), below it with a tail (29, 13), 1 to 4 layers, walker
/// counts that are not multiples of LANES.
#[test]
fn batched_passes_equal_single_point_bits() {
    const N: usize = 3 * tinyebm::mlp::LANES + 7;
    let mut s = Stream::new(18, 0);
    let cases: [(&[usize], Activation); 5] = [
        (&[32, 32, 32], Activation::Tanh),
        (&[29], Activation::Silu),
        (&[13, 29, 7, 32], Activation::Softplus),
        (&[5, 32], Activation::Tanh),
        (&[32, 9, 17], Activation::Silu),
    ];
    for (widths, act) in cases {
        let theta = random_vec(&mut s, deep_mlp_param_count(2, widths), 0.6);
        let m = DeepMlp::<2, 32, 3>::from_params(2, widths, act, 0.5, &theta).unwrap();
        let reference = PerPoint(&m);
        for _ in 0..3 {
            let n = (1 + s.below(N as u32) as usize) | 1;
            let pos = random_vec(&mut s, N * 2, 1.5);
            let w = Walkers::<N, 2>::from_positions(&m, N, 0, &pos).unwrap();
            let x = w.positions_soa();
            // eval_batch vs value_grad.
            let mut ev = Evals::<N, 2>::new();
            m.eval_batch(x, n, true, &mut ev);
            for k in 0..n {
                let mut g = [0f32; 2];
                let u = m.value_grad(&pos[2 * k..2 * k + 2], &mut g).unwrap();
                assert_eq!(u.to_bits(), ev.u[k].to_bits(), "{widths:?} walker {k}");
                assert_eq!(bits(&g), [ev.grad[0][k].to_bits(), ev.grad[1][k].to_bits()]);
            }
            let mut ev2 = Evals::<N, 2>::new();
            m.eval_batch(x, n, false, &mut ev2);
            assert_eq!(bits(&ev.u[..n]), bits(&ev2.u[..n]));
            // θ-gradients.
            let weights: [f32; N] = core::array::from_fn(|_| s.uniform() - 0.5);
            let p = m.num_params();
            let mut a = random_vec(&mut s, p, 1.0);
            let mut b = a.clone();
            m.accumulate_param_grad_batch(x, n, &weights, &mut a)
                .unwrap();
            reference
                .accumulate_param_grad_batch(x, n, &weights, &mut b)
                .unwrap();
            assert_eq!(bits(&a), bits(&b), "{widths:?}, n {n}");
            let seen = [each_bits(&m, x, n), each_bits(&reference, x, n)];
            assert_eq!(seen[0].len(), n);
            assert_eq!(seen[0], seen[1], "{widths:?}, n {n}");
        }
    }
}

// --------------------------------------------------------- equals the Mlp

/// Two hidden layers of width h with the same θ are the `Mlp` d → h → h → 1:
/// the same parameter order and the same operations in the same order, so
/// U, ∇ₓU, the batched passes and every θ-gradient have the same bits.
#[test]
fn two_equal_layers_are_the_mlp_bit_for_bit() {
    const N: usize = 2 * tinyebm::mlp::LANES + 3;
    let mut s = Stream::new(19, 0);
    for (h, act) in [
        (32, Activation::Tanh),
        (7, Activation::Silu),
        (20, Activation::Softplus),
    ] {
        let theta = random_vec(&mut s, mlp_param_count(2, h), 0.6);
        assert_eq!(deep_mlp_param_count(2, &[h, h]), theta.len());
        let mlp = Mlp::<2, 32>::from_params(2, h, act, 0.5, &theta).unwrap();
        let deep = DeepMlp::<2, 32, 1>::from_params(2, &[h, h], act, 0.5, &theta).unwrap();
        let pos = random_vec(&mut s, N * 2, 1.5);
        for k in 0..N {
            let x = &pos[2 * k..2 * k + 2];
            let (mut g1, mut g2) = ([0f32; 2], [0f32; 2]);
            let u1 = mlp.value_grad(x, &mut g1).unwrap();
            let u2 = deep.value_grad(x, &mut g2).unwrap();
            assert_eq!(u1.to_bits(), u2.to_bits(), "h {h}: U");
            assert_eq!(bits(&g1), bits(&g2), "h {h}: ∇ₓU");
            let (mut t1, mut t2) = (vec![0f32; theta.len()], vec![0f32; theta.len()]);
            mlp.accumulate_param_grad(x, 0.7, &mut t1).unwrap();
            deep.accumulate_param_grad(x, 0.7, &mut t2).unwrap();
            assert_eq!(bits(&t1), bits(&t2), "h {h}: ∂θU");
        }
        let w = Walkers::<N, 2>::from_positions(&mlp, N, 0, &pos).unwrap();
        let x = w.positions_soa();
        let (mut e1, mut e2) = (Evals::<N, 2>::new(), Evals::<N, 2>::new());
        mlp.eval_batch(x, N, true, &mut e1);
        deep.eval_batch(x, N, true, &mut e2);
        assert_eq!(bits(&e1.u), bits(&e2.u));
        for i in 0..2 {
            assert_eq!(bits(&e1.grad[i]), bits(&e2.grad[i]));
        }
        let weights: [f32; N] = core::array::from_fn(|_| s.uniform() - 0.5);
        let (mut a, mut b) = (vec![0f32; theta.len()], vec![0f32; theta.len()]);
        mlp.accumulate_param_grad_batch(x, N, &weights, &mut a)
            .unwrap();
        deep.accumulate_param_grad_batch(x, N, &weights, &mut b)
            .unwrap();
        assert_eq!(bits(&a), bits(&b), "h {h}: batched ∂θU");
        assert_eq!(each_bits(&mlp, x, N), each_bits(&deep, x, N));
    }
}

// --------------------------------------------------------------- sizes

#[test]
fn sizes_and_constructors() {
    assert_eq!(deep_mlp_param_count(2, &[16, 16, 16]), 48 + 272 + 272 + 17);
    assert_eq!(deep_mlp_param_count(3, &[4]), 4 * 3 + 4 + 4 + 1);
    assert_eq!(deep_mlp_param_count(3, &[]), 0);
    assert_eq!(deep_mlp_param_count(3, &[1; MAX_LAYERS + 1]), 0);
    assert_eq!(
        tinyebm::checked_deep_mlp_param_count(usize::MAX, &[2]),
        None
    );
    assert_eq!(DeepMlp::<2, 16, 2>::MAX_HIDDEN_LAYERS, 3);
    type M = DeepMlp<2, 8, 2>;
    let a = Activation::Tanh;
    assert!(M::zeros(2, &[8, 8, 8], a, 0.5).is_ok());
    assert_eq!(M::zeros(2, &[], a, 0.5), Err(Error::Empty));
    assert_eq!(
        M::zeros(2, &[8, 8, 8, 8], a, 0.5),
        Err(Error::CapacityExceeded {
            requested: 4,
            capacity: 3
        })
    );
    assert!(matches!(
        M::zeros(2, &[8, 9], a, 0.5),
        Err(Error::CapacityExceeded { .. })
    ));
    assert_eq!(M::zeros(2, &[8, 0], a, 0.5), Err(Error::Empty));
    assert!(matches!(
        M::zeros(3, &[8], a, 0.5),
        Err(Error::CapacityExceeded { .. })
    ));
    assert!(matches!(
        M::zeros(2, &[8], a, 0.0),
        Err(Error::InvalidConfig(_))
    ));
    let mut m = M::init(2, &[3, 8, 5], a, 0.5, 1).unwrap();
    assert_eq!(m.widths(), &[3, 8, 5]);
    let p = m.num_params();
    assert_eq!(p, 3 * 2 + 3 + 8 * 3 + 8 + 5 * 8 + 5 + 5 + 1);
    let mut theta = vec![0f32; p];
    m.params(&mut theta).unwrap();
    assert!(theta.iter().any(|&v| v != 0.0));
    let before = m.clone();
    theta[3] = f32::NAN;
    assert!(m.set_params(&theta).is_err());
    assert!(m.set_params(&theta[..p - 1]).is_err());
    assert_eq!(m, before, "a refused set_params changes nothing");
    // Zero weights: U = ½α|x|².
    let z = M::zeros(2, &[4, 4], a, 0.5).unwrap();
    let mut g = [0f32; 2];
    assert_eq!(z.value_grad(&[1.0, 2.0], &mut g).unwrap(), 0.25 * 5.0);
    assert_eq!(g, [0.5, 1.0]);
}

// ----------------------------------------------------------- weight format

fn encode<M: Persist>(m: &M) -> Vec<u8> {
    let mut buf = vec![0u8; m.encoded_len()];
    assert_eq!(m.encode(&mut buf), Ok(buf.len()));
    buf
}

fn fix_crc(bytes: &mut [u8]) {
    let n = bytes.len() - 4;
    let crc = crc32(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
}

fn patch_u32(bytes: &[u8], at: usize, v: u32) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    fix_crc(&mut b);
    b
}

fn patch_f32(bytes: &[u8], at: usize, v: f32) -> Vec<u8> {
    patch_u32(bytes, at, v.to_bits())
}

type Small = DeepMlp<2, 8, 2>;

/// 2 → 3 → 8 → 5 → 1, SiLU, α = 0.75: layers at 12, widths at 16..28,
/// activation at 28, α at 32, count at 36, parameters from 40.
fn sample() -> Small {
    Small::init(2, &[3, 8, 5], Activation::Silu, 0.75, 5).unwrap()
}
const LAYERS_AT: usize = 12;
const WIDTHS_AT: usize = 16;
const ACT_AT: usize = 28;
const ALPHA_AT: usize = 32;
const COUNT_AT: usize = 36;
const PARAMS_AT: usize = 40;

#[test]
fn round_trips() {
    let mut s = Stream::new(20, 0);
    for (i, widths) in SHAPES.iter().enumerate() {
        let m =
            DeepMlp::<3, 8, 3>::init(3, widths, ACTS[i % 3], 0.25 + i as f32, i as u64).unwrap();
        let bytes = encode(&m);
        assert_eq!(
            bytes.len(),
            8 + 4 * (3 + widths.len()) + 4 + 4 + 4 * m.num_params() + 4
        );
        let back = DeepMlp::<3, 8, 3>::decode(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(encode(&back), bytes);
        // Into a larger type, and as any model.
        let big = DeepMlp::<4, 16, 5>::decode(&bytes).unwrap();
        let any = AnyModel::<4, 8, 2, 16, 3>::decode(&bytes).unwrap();
        assert_eq!(any.kind(), ModelKind::DeepMlp);
        let h = peek(&bytes).unwrap();
        assert_eq!(h.config, m.config());
        assert_eq!(h.kind(), ModelKind::DeepMlp);
        assert_eq!(h.num_params, m.num_params());
        assert_eq!(h.encoded_len, bytes.len());
        for _ in 0..5 {
            let x = random_vec(&mut s, 3, 1.0);
            let u = m.value(&x).unwrap().to_bits();
            assert_eq!(back.value(&x).unwrap().to_bits(), u);
            assert_eq!(big.value(&x).unwrap().to_bits(), u);
            assert_eq!(any.value(&x).unwrap().to_bits(), u);
        }
    }
    let m = sample();
    let bytes = encode(&m);
    assert_eq!(&bytes[6..8], &5u16.to_le_bytes());
    assert_eq!(&bytes[8..12], &2u32.to_le_bytes());
    assert_eq!(&bytes[LAYERS_AT..LAYERS_AT + 4], &3u32.to_le_bytes());
    assert_eq!(&bytes[WIDTHS_AT + 4..WIDTHS_AT + 8], &8u32.to_le_bytes());
    assert_eq!(&bytes[ACT_AT..ACT_AT + 4], &1u32.to_le_bytes());
    assert_eq!(&bytes[ALPHA_AT..ALPHA_AT + 4], &0.75f32.to_le_bytes());
    assert_eq!(
        &bytes[COUNT_AT..COUNT_AT + 4],
        &(m.num_params() as u32).to_le_bytes()
    );
    let mut theta = vec![0f32; m.num_params()];
    m.params(&mut theta).unwrap();
    assert_eq!(&bytes[PARAMS_AT..PARAMS_AT + 4], &theta[0].to_le_bytes());
}

/// Old files load unchanged, and an `AnyModel` with the new variant still
/// reads every older kind; a DeepMlp file is refused by the other types.
#[test]
fn other_kinds_are_unaffected() {
    let mlp = Mlp::<2, 4>::init(2, 3, Activation::Tanh, 0.75, 5).unwrap();
    let bytes = encode(&mlp);
    let any = AnyModel::<2, 4, 2, 4, 1>::decode(&bytes).unwrap();
    assert_eq!(any.kind(), ModelKind::Mlp);
    assert_eq!(
        any.value(&[0.3, -0.2]).unwrap().to_bits(),
        mlp.value(&[0.3, -0.2]).unwrap().to_bits()
    );
    let deep = encode(&sample());
    assert_eq!(
        Mlp::<2, 8>::decode(&deep),
        Err(Error::WrongModelKind {
            expected: 4,
            found: 5
        })
    );
    assert_eq!(
        Small::decode(&bytes),
        Err(Error::WrongModelKind {
            expected: 5,
            found: 4
        })
    );
    // PEEK_LEN covers the longest configuration block (MAX_LAYERS widths).
    let widths = [1usize; MAX_LAYERS];
    let big = DeepMlp::<1, 1, 7>::zeros(1, &widths, Activation::Tanh, 1.0).unwrap();
    let b = encode(&big);
    assert_eq!(peek(&b[..PEEK_LEN]).unwrap().config, big.config());
    assert!(matches!(
        peek(&b[..PEEK_LEN - 1]),
        Err(Error::Truncated { .. })
    ));
    assert_eq!(
        ModelKind::from_code(ModelKind::DeepMlp.code()),
        Some(ModelKind::DeepMlp)
    );
}

#[test]
fn every_malformed_field_is_refused() {
    let m = sample();
    let good = encode(&m);
    let cases: Vec<(&str, Vec<u8>, Error)> = vec![
        ("d = 0", patch_u32(&good, 8, 0), Error::Empty),
        (
            "d > D",
            patch_u32(&good, 8, 3),
            Error::CapacityExceeded {
                requested: 3,
                capacity: 2,
            },
        ),
        ("0 layers", patch_u32(&good, LAYERS_AT, 0), Error::Empty),
        (
            "layers > MAX_LAYERS",
            patch_u32(&good, LAYERS_AT, MAX_LAYERS as u32 + 1),
            Error::CapacityExceeded {
                requested: MAX_LAYERS + 1,
                capacity: MAX_LAYERS,
            },
        ),
        ("width 0", patch_u32(&good, WIDTHS_AT + 4, 0), Error::Empty),
        (
            "width > H",
            patch_u32(&good, WIDTHS_AT + 8, 9),
            Error::CapacityExceeded {
                requested: 9,
                capacity: 8,
            },
        ),
        (
            "unknown activation",
            patch_u32(&good, ACT_AT, 3),
            Error::CorruptData("unknown activation code"),
        ),
        (
            "α = 0",
            patch_f32(&good, ALPHA_AT, 0.0),
            Error::InvalidConfig("confinement alpha must be > 0"),
        ),
        (
            "α NaN",
            patch_f32(&good, ALPHA_AT, f32::NAN),
            Error::InvalidConfig("confinement alpha must be > 0"),
        ),
        (
            "α < 0",
            patch_f32(&good, ALPHA_AT, -1.0),
            Error::InvalidConfig("confinement alpha must be > 0"),
        ),
        (
            "count",
            patch_u32(&good, COUNT_AT, m.num_params() as u32 + 1),
            Error::CorruptData("parameter count does not match the configuration"),
        ),
        (
            "NaN weight",
            patch_f32(&good, PARAMS_AT + 8, f32::NAN),
            Error::InvalidParameters("MLP weights"),
        ),
        (
            "infinite bias",
            patch_f32(&good, good.len() - 8, f32::INFINITY),
            Error::InvalidParameters("MLP weights"),
        ),
    ];
    for (what, bad, want) in cases {
        assert_eq!(Small::decode(&bad), Err(want), "{what}");
        assert_eq!(Small::validate(&bad), Err(want), "{what}");
        assert_eq!(
            AnyModel::<2, 4, 2, 8, 2>::decode(&bad).map(|_| ()),
            Err(want),
            "{what}"
        );
        let mut into = m.clone();
        into.set_params(&vec![0.5; m.num_params()]).unwrap();
        let keep = into.clone();
        assert_eq!(into.decode_into(&bad), Err(want), "{what}");
        assert_eq!(into, keep, "{what}: decode_into changed the model");
    }
    // More layers than the type holds (4 > L + 1 = 3), each width fine:
    // the capacity check, before the count.
    let four = DeepMlp::<2, 8, 3>::init(2, &[2, 2, 2, 2], Activation::Tanh, 1.0, 1).unwrap();
    assert_eq!(
        Small::decode(&encode(&four)),
        Err(Error::CapacityExceeded {
            requested: 4,
            capacity: 3
        })
    );
    // One layer fewer in the header: widths shift, count disagrees.
    let fewer = patch_u32(&good, LAYERS_AT, 2);
    assert!(matches!(
        Small::decode(&fewer),
        Err(Error::CorruptData(_) | Error::CapacityExceeded { .. } | Error::Empty)
    ));
    // Every byte flipped, every truncation, trailing bytes.
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0xFF;
        assert!(Small::decode(&bad).is_err(), "byte {i}");
        if i >= PARAMS_AT {
            assert!(
                matches!(Small::decode(&bad), Err(Error::Checksum { .. })),
                "byte {i}"
            );
        }
    }
    for n in 0..good.len() {
        assert!(
            matches!(Small::decode(&good[..n]), Err(Error::Truncated { .. })),
            "length {n}"
        );
    }
    let mut long = good.clone();
    long.push(0);
    assert!(matches!(
        Small::decode(&long),
        Err(Error::TrailingBytes { .. })
    ));
    assert_eq!(Small::decode(&good), Ok(m));
}

#[test]
fn config_describes_the_file() {
    let m = sample();
    let c = m.config();
    let ModelConfig::DeepMlp {
        d,
        layers,
        widths,
        activation,
    } = c
    else {
        panic!("{c:?}")
    };
    assert_eq!((d, layers, activation), (2, 3, Activation::Silu));
    assert_eq!(&widths[..3], &[3, 8, 5]);
    assert!(widths[3..].iter().all(|&w| w == 0));
    assert_eq!(c.num_params(), Some(m.num_params()));
    assert_eq!(c.encoded_len(), Some(encode(&m).len()));
    assert_eq!(<Small as ModelCodec>::KIND, ModelKind::DeepMlp);
}

// -------------------------------------------------------------- training

/// PCD on the 2-D mixture with a 2 → 16 → 16 → 16 → 1 network lowers the
/// held-out NLL by a clear margin (a smoke test: tests/pcd.rs holds the
/// MLP to the true density).
#[test]
fn pcd_lowers_the_nll_of_a_gaussian_mixture() {
    const N: usize = 128;
    const P: usize = deep_mlp_param_count(2, &[16, 16, 16]);
    const B: usize = 64;
    let mut model = DeepMlp::<2, 16, 2>::init(2, &[16, 16, 16], Activation::Tanh, 0.5, 1).unwrap();
    let mut s = Stream::new(77, 0);
    let held_out: Vec<[f32; 2]> = (0..2000).map(|_| corners_draw(&mut s)).collect();
    let nll0 = corners_nll(&model, &held_out, 160);
    let mut t = corners_pcd::<_, N, P>(&model, B);
    let mut batch = [0f32; 2 * B];
    for _ in 0..1500 {
        for k in 0..B {
            let x = corners_draw(&mut s);
            batch[2 * k..2 * k + 2].copy_from_slice(&x);
        }
        t.push_batch(&mut model, &batch).unwrap();
    }
    let nll1 = corners_nll(&model, &held_out, 160);
    eprintln!("DeepMlp 2-16-16-16-1: held-out NLL {nll0:.3} → {nll1:.3}");
    assert!(nll1 < nll0 - 0.4, "NLL {nll0} → {nll1}");
}
