//! The weight format: round trips for every model kind, the exact byte
//! layout (golden files), and rejection of every kind of damage — each byte
//! flipped, each truncation, trailing bytes, wrong kind, too-small capacity,
//! and values that pass the checksum but not the model's constraints.

mod common;
use common::random_vec;
use tinyebm::crc32::crc32;
use tinyebm::weights::{MAGIC, PEEK_LEN, VERSION};
use tinyebm::{
    Activation, Energy, Error, Gaussian, Mixture, Mlp, ModelCodec, ModelConfig, ModelKind, Persist,
    Polynomial, Stream, Trainable, peek,
};

fn encode<M: Persist>(m: &M) -> Vec<u8> {
    let mut buf = vec![0u8; m.encoded_len()];
    assert_eq!(m.encode(&mut buf), Ok(buf.len()));
    buf
}

fn params<M: Trainable>(m: &M) -> Vec<u32> {
    let mut p = vec![0f32; m.num_params()];
    m.params(&mut p).unwrap();
    p.iter().map(|v| v.to_bits()).collect()
}

/// Decodes `m`'s encoding and checks the copy is the same model: equal
/// structure, bit-identical parameters, and bit-identical U and ∇U at random
/// points.
fn assert_round_trip<M: ModelCodec + PartialEq + std::fmt::Debug>(name: &str, m: &M) {
    let bytes = encode(m);
    let back = M::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&back, m, "{name}");
    assert_eq!(params(&back), params(m), "{name}: parameter bits");
    assert_eq!(encode(&back), bytes, "{name}: re-encoding");
    let h = peek(&bytes).unwrap();
    assert_eq!(h.config, m.config(), "{name}: peek");
    assert_eq!(h.kind(), M::KIND);
    assert_eq!(h.num_params, m.num_params());
    assert_eq!(h.encoded_len, bytes.len());
    let d = m.dim();
    let mut s = Stream::new(11, 0);
    for _ in 0..20 {
        let mut x = vec![0f32; d];
        s.fill_normal(&mut x);
        let (mut g1, mut g2) = (vec![0f32; d], vec![0f32; d]);
        let u1 = m.value_grad(&x, &mut g1).unwrap();
        let u2 = back.value_grad(&x, &mut g2).unwrap();
        assert_eq!(u1.to_bits(), u2.to_bits(), "{name}: U at {x:?}");
        let bits = |g: &[f32]| g.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&g1), bits(&g2), "{name}: ∇U at {x:?}");
    }
}

#[test]
fn round_trip_every_kind() {
    let mut s = Stream::new(3, 1);
    assert_round_trip("standard Gaussian", &Gaussian::<3>::standard(3).unwrap());
    let diag = Gaussian::<4>::diagonal(&random_vec(&mut s, 3, 1.0), &[0.5, 2.0, 3.25]).unwrap();
    assert_round_trip("diagonal Gaussian", &diag);
    let cov = [2.0, 0.3, -0.2, 0.3, 1.0, 0.1, -0.2, 0.1, 0.7];
    let full = Gaussian::<3>::from_covariance(&[0.1, -1.0, 2.0], &cov).unwrap();
    assert_round_trip("full Gaussian", &full);

    let coef = random_vec(&mut s, 15, 1.0);
    assert_round_trip(
        "polynomial",
        &Polynomial::<2, 15>::new(2, 4, &coef).unwrap(),
    );
    assert_round_trip(
        "double well",
        &Polynomial::<1, 5>::double_well(1.5).unwrap(),
    );
    let c = [0.25];
    assert_round_trip(
        "constant polynomial",
        &Polynomial::<3, 4>::new(3, 0, &c).unwrap(),
    );

    assert_round_trip("review mixture", &Mixture::review_example());
    let mut mix = Mixture::<3, 2>::new(
        &[0.2, 0.3, 0.5],
        &random_vec(&mut s, 6, 2.0),
        &[0.5, 1.0, 1.5, 0.3, 0.9, 2.0],
    )
    .unwrap();
    // Trained logits need not be normalised: they must come back as they are.
    let mut theta = vec![0f32; mix.num_params()];
    mix.params(&mut theta).unwrap();
    theta[0] += 3.0;
    mix.set_params(&theta).unwrap();
    assert_round_trip("2-D mixture", &mix);

    for act in [Activation::Tanh, Activation::Silu, Activation::Softplus] {
        assert_round_trip("mlp", &Mlp::<3, 8>::init(3, 5, act, 0.3, 9).unwrap());
        assert_round_trip("full mlp", &Mlp::<2, 4>::init(2, 4, act, 1.0, 1).unwrap());
    }
}

#[test]
fn a_file_loads_into_any_type_large_enough() {
    let small = Mlp::<2, 4>::init(2, 3, Activation::Silu, 0.5, 4).unwrap();
    let big = Mlp::<5, 16>::decode(&encode(&small)).unwrap();
    assert_eq!(params(&big), params(&small));
    assert_eq!((big.dim(), big.hidden(), big.alpha()), (2, 3, 0.5));
    assert_eq!(encode(&big), encode(&small));

    let p = Polynomial::<2, 6>::new(2, 2, &[1.0, 0.0, 0.0, 1.0, 0.5, 1.0]).unwrap();
    let q = Polynomial::<4, 20>::decode(&encode(&p)).unwrap();
    assert_eq!(encode(&q), encode(&p));
}

/// The documented layout, byte for byte: what keeps Rust, C and the MCU in
/// agreement. The hex was produced independently with Python's `struct` and
/// `zlib.crc32` from the layout table in `src/weights.rs`.
#[test]
fn golden_bytes() {
    // Mlp d = 1, h = 1, tanh, α = 0.5; θ = (W₁, b₁, W₂, b₂, w₃, b₃) =
    // (0.5, −0.25, 1, 2, −1, 0.125).
    let theta = [0.5, -0.25, 1.0, 2.0, -1.0, 0.125];
    let mlp = Mlp::<1, 1>::from_params(1, 1, Activation::Tanh, 0.5, &theta).unwrap();
    #[rustfmt::skip]
    let want: [u8; 56] = [
        0x54, 0x45, 0x42, 0x4d, // "TEBM"
        0x01, 0x00, 0x04, 0x00, // version 1, kind 4 (Mlp)
        0x01, 0x00, 0x00, 0x00, // d = 1
        0x01, 0x00, 0x00, 0x00, // h = 1
        0x00, 0x00, 0x00, 0x00, // activation 0 (tanh)
        0x00, 0x00, 0x00, 0x3f, // α = 0.5
        0x06, 0x00, 0x00, 0x00, // P = 6
        0x00, 0x00, 0x00, 0x3f, // W₁ = 0.5
        0x00, 0x00, 0x80, 0xbe, // b₁ = −0.25
        0x00, 0x00, 0x80, 0x3f, // W₂ = 1
        0x00, 0x00, 0x00, 0x40, // b₂ = 2
        0x00, 0x00, 0x80, 0xbf, // w₃ = −1
        0x00, 0x00, 0x00, 0x3e, // b₃ = 0.125
        0x17, 0xe4, 0x8c, 0x73, // CRC-32
    ];
    assert_eq!(encode(&mlp), want);
    assert_eq!(Mlp::<1, 1>::decode(&want), Ok(mlp));

    // One component (weight 1, so logit ln 1 = 0 exactly) in 2-D, μ = (1, −2), σ = (0.5, 2).
    let mix = Mixture::<1, 2>::new(&[1.0], &[1.0, -2.0], &[0.5, 2.0]).unwrap();
    #[rustfmt::skip]
    let want: [u8; 44] = [
        0x54, 0x45, 0x42, 0x4d, // "TEBM"
        0x01, 0x00, 0x03, 0x00, // version 1, kind 3 (Mixture)
        0x01, 0x00, 0x00, 0x00, // k = 1
        0x02, 0x00, 0x00, 0x00, // d = 2
        0x00, 0x00, 0x00, 0x3f, // σ₀₀ = 0.5
        0x00, 0x00, 0x00, 0x40, // σ₀₁ = 2
        0x03, 0x00, 0x00, 0x00, // P = 3
        0x00, 0x00, 0x00, 0x00, // logit = 0
        0x00, 0x00, 0x80, 0x3f, // μ₀₀ = 1
        0x00, 0x00, 0x00, 0xc0, // μ₀₁ = −2
        0x1b, 0x0b, 0x1a, 0x9b, // CRC-32
    ];
    assert_eq!(encode(&mix), want);
    assert_eq!(Mixture::<1, 2>::decode(&want), Ok(mix));
}

#[test]
fn crc32_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

/// The MLP every damage test starts from: d = 2, h = 3, 2 of 4 capacity in d.
fn sample_mlp() -> Mlp<2, 4> {
    Mlp::init(2, 3, Activation::Tanh, 0.75, 5).unwrap()
}

/// Offsets of the MLP file's fields.
const MLP_ALPHA: usize = 20;
const MLP_COUNT: usize = 24;
const MLP_PARAMS: usize = 28;

/// Rewrites the trailing CRC so a deliberate change passes the checksum.
fn fix_crc(bytes: &mut [u8]) {
    let n = bytes.len() - 4;
    let crc = crc32(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
}

fn patch_f32(bytes: &mut [u8], at: usize, v: f32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    fix_crc(bytes);
}

fn patch_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    fix_crc(bytes);
}

/// The errors a damaged byte at offset `i` of the sample MLP file may give,
/// following the documented validation order.
fn allowed_errors(i: usize, len: usize, e: Error) -> bool {
    match i {
        0..4 => e == Error::BadMagic,
        4..6 => matches!(e, Error::UnsupportedVersion(_)),
        6..8 => matches!(
            e,
            Error::WrongModelKind {
                expected: 4,
                found: _
            }
        ),
        // d and h: zero, above capacity, or in range but then the stored count disagrees.
        8..16 => matches!(
            e,
            Error::Empty | Error::CapacityExceeded { .. } | Error::CorruptData(_)
        ),
        16..20 => e == Error::CorruptData("unknown activation code") || is_checksum(e),
        MLP_COUNT..MLP_PARAMS => {
            e == Error::CorruptData("parameter count does not match the configuration")
        }
        _ if i < len => is_checksum(e),
        _ => false,
    }
}

fn is_checksum(e: Error) -> bool {
    matches!(e, Error::Checksum { .. })
}

#[test]
fn every_byte_flipped_is_rejected_with_its_error() {
    let m = sample_mlp();
    let good = encode(&m);
    let len = good.len();
    for i in 0..len {
        let mut bad = good.clone();
        bad[i] ^= 0xFF;
        let e = Mlp::<2, 4>::decode(&bad).expect_err("a flipped byte decoded");
        // xor 0xFF pins the exact error in each region.
        let want_exact = match i {
            0..4 => Some(Error::BadMagic),
            4 => Some(Error::UnsupportedVersion(0xFE)),
            5 => Some(Error::UnsupportedVersion(0xFF01)),
            6 => Some(Error::WrongModelKind {
                expected: 4,
                found: 0xFB,
            }),
            7 => Some(Error::WrongModelKind {
                expected: 4,
                found: 0xFF04,
            }),
            8..16 => None, // CapacityExceeded with the damaged size, checked below
            16..20 => Some(Error::CorruptData("unknown activation code")),
            MLP_COUNT..MLP_PARAMS => Some(Error::CorruptData(
                "parameter count does not match the configuration",
            )),
            _ => None,
        };
        match want_exact {
            Some(w) => assert_eq!(e, w, "byte {i}"),
            None if i < 16 => assert!(
                matches!(
                    e,
                    Error::CapacityExceeded {
                        capacity: 2 | 4,
                        ..
                    }
                ),
                "byte {i}: {e:?}"
            ),
            None => assert!(is_checksum(e), "byte {i}: {e:?}"),
        }
        assert!(allowed_errors(i, len, e), "byte {i}: {e:?}");
        let mut model = m.clone();
        assert_eq!(model.decode_into(&bad), Err(e));
        assert_eq!(model, m, "decode_into changed the model");
    }
}

#[test]
fn every_bit_flipped_is_rejected() {
    let good = encode(&sample_mlp());
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[i] ^= 1 << bit;
            let e = Mlp::<2, 4>::decode(&bad).expect_err("a flipped bit decoded");
            assert!(
                allowed_errors(i, good.len(), e),
                "byte {i} bit {bit}: {e:?}"
            );
        }
    }
}

#[test]
fn every_truncation_is_rejected_as_truncated() {
    let files = [
        encode(&sample_mlp()),
        encode(&Mixture::review_example()),
        encode(&Gaussian::<2>::standard(2).unwrap()),
        encode(&Polynomial::<1, 5>::double_well(1.0).unwrap()),
    ];
    for good in &files {
        for n in 0..good.len() {
            let cut = &good[..n];
            let r = match peek(good).unwrap().kind() {
                ModelKind::Mlp => Mlp::<2, 4>::decode(cut).map(|_| ()),
                ModelKind::Mixture => Mixture::<2, 1>::decode(cut).map(|_| ()),
                ModelKind::Gaussian => Gaussian::<2>::decode(cut).map(|_| ()),
                _ => Polynomial::<1, 5>::decode(cut).map(|_| ()),
            };
            assert!(
                matches!(r, Err(Error::Truncated { found, .. }) if found == n),
                "length {n}: {r:?}"
            );
        }
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    let good = encode(&sample_mlp());
    for extra in [1, 3, 4, 100] {
        let mut long = good.clone();
        long.resize(good.len() + extra, 0);
        assert_eq!(
            Mlp::<2, 4>::decode(&long),
            Err(Error::TrailingBytes {
                expected: good.len(),
                found: good.len() + extra
            })
        );
    }
    // Two files back to back are not one file either.
    let twice = [good.clone(), good].concat();
    assert!(matches!(
        Mlp::<2, 4>::decode(&twice),
        Err(Error::TrailingBytes { .. })
    ));
}

#[test]
fn wrong_kind_is_rejected() {
    let mlp = encode(&sample_mlp());
    let want = |expected| Error::WrongModelKind { expected, found: 4 };
    assert_eq!(Polynomial::<2, 6>::decode(&mlp), Err(want(2)));
    assert_eq!(Gaussian::<2>::decode(&mlp), Err(want(1)));
    assert_eq!(Mixture::<2, 2>::decode(&mlp), Err(want(3)));
    let mix = encode(&Mixture::review_example());
    assert_eq!(
        Mlp::<2, 4>::decode(&mix),
        Err(Error::WrongModelKind {
            expected: 4,
            found: 3
        })
    );
    // An unknown kind code (with a valid checksum) is also refused.
    let mut unknown = mlp.clone();
    unknown[6] = 9;
    fix_crc(&mut unknown);
    assert_eq!(
        Mlp::<2, 4>::decode(&unknown),
        Err(Error::WrongModelKind {
            expected: 4,
            found: 9
        })
    );
    assert_eq!(
        peek(&unknown),
        Err(Error::CorruptData("unknown model kind"))
    );
}

#[test]
fn capacity_is_checked_against_the_type() {
    let d4 = encode(&Mlp::<4, 8>::init(4, 8, Activation::Tanh, 1.0, 1).unwrap());
    let poly = encode(&Polynomial::<2, 15>::new(2, 4, &[0.0; 15]).unwrap());
    let mix = encode(&Mixture::review_example());
    let g = encode(&Gaussian::<3>::standard(3).unwrap());
    // (the decoder's error, the size the file asks for, the capacity)
    for (err, requested, capacity) in [
        (Mlp::<2, 8>::decode(&d4).err(), 4, 2), // input dimension
        (Mlp::<4, 4>::decode(&d4).err(), 8, 4), // hidden units
        (Polynomial::<2, 10>::decode(&poly).err(), 15, 10), // monomials
        (Polynomial::<1, 15>::decode(&poly).err(), 2, 1), // input dimension
        (Mixture::<1, 1>::decode(&mix).err(), 2, 1), // components
        (Gaussian::<2>::decode(&g).err(), 3, 2), // dimension
    ] {
        let want = Error::CapacityExceeded {
            requested,
            capacity,
        };
        assert_eq!(err, Some(want));
    }
}

#[test]
fn structural_fields_of_every_kind_are_checked() {
    // Zero sizes, even with a valid checksum.
    let mut mlp = encode(&sample_mlp());
    patch_u32(&mut mlp, 12, 0);
    assert_eq!(Mlp::<2, 4>::decode(&mlp), Err(Error::Empty));
    assert_eq!(peek(&mlp), Err(Error::Empty));
    // Gaussian storage flag other than 0 or 1.
    let mut g = encode(&Gaussian::<2>::standard(2).unwrap());
    patch_u32(&mut g, 12, 2);
    assert!(matches!(
        Gaussian::<2>::decode(&g),
        Err(Error::CorruptData(_))
    ));
    // A full-storage flag on a diagonal file: the parameter count disagrees.
    patch_u32(&mut g, 12, 1);
    assert!(matches!(
        Gaussian::<2>::decode(&g),
        Err(Error::CorruptData(_))
    ));
    // Polynomial degree above MAX_DEGREE.
    let mut p = encode(&Polynomial::<1, 5>::double_well(1.0).unwrap());
    patch_u32(&mut p, 12, 9);
    assert_eq!(
        Polynomial::<1, 64>::decode(&p),
        Err(Error::CapacityExceeded {
            requested: 9,
            capacity: 8
        })
    );
    // Version 2 is not readable by this build.
    let mut v = encode(&sample_mlp());
    v[4] = 2;
    fix_crc(&mut v);
    assert_eq!(Mlp::<2, 4>::decode(&v), Err(Error::UnsupportedVersion(2)));
    // Short garbage is a bad magic, a short prefix of the magic a truncation.
    assert_eq!(
        Mlp::<2, 4>::decode(b"TEB"),
        Err(Error::Truncated {
            needed: 4,
            found: 3
        })
    );
    assert_eq!(Mlp::<2, 4>::decode(b"XY"), Err(Error::BadMagic));
    // Huge sizes are refused, never overflowed.
    let mut huge = encode(&Polynomial::<1, 5>::double_well(1.0).unwrap());
    patch_u32(&mut huge, 8, u32::MAX);
    assert!(matches!(
        Polynomial::<1, 5>::decode(&huge),
        Err(Error::CapacityExceeded { .. })
    ));
    let mut huge = encode(&sample_mlp());
    patch_u32(&mut huge, 8, u32::MAX);
    patch_u32(&mut huge, 12, u32::MAX);
    assert!(Mlp::<2, 4>::decode(&huge).is_err());
    if usize::BITS == 64 {
        // h·(d + h + 3) overflows even 64 bits.
        assert!(matches!(peek(&huge), Err(Error::CorruptData(_))));
    }
}

#[test]
fn values_that_pass_the_checksum_are_still_validated() {
    let good = encode(&sample_mlp());
    for (at, v) in [(MLP_PARAMS, f32::NAN), (good.len() - 8, f32::INFINITY)] {
        let mut bad = good.clone();
        patch_f32(&mut bad, at, v);
        assert_eq!(
            Mlp::<2, 4>::decode(&bad),
            Err(Error::InvalidParameters("MLP weights"))
        );
    }
    for alpha in [0.0, -1.0, f32::NAN, f32::INFINITY, -0.0] {
        let mut bad = good.clone();
        patch_f32(&mut bad, MLP_ALPHA, alpha);
        assert!(
            matches!(Mlp::<2, 4>::decode(&bad), Err(Error::InvalidConfig(_))),
            "α = {alpha}"
        );
    }
    // Mixture: σ ≤ 0 or NaN, and a NaN logit.
    let mix = encode(&Mixture::review_example());
    for (at, v) in [(16, 0.0), (20, -0.5), (16, f32::NAN), (28, f32::NAN)] {
        let mut bad = mix.clone();
        patch_f32(&mut bad, at, v);
        assert!(
            matches!(
                Mixture::<2, 1>::decode(&bad),
                Err(Error::InvalidParameters(_))
            ),
            "offset {at} = {v}"
        );
    }
    // Gaussian: a precision that is not positive definite, and a NaN mean.
    let g = encode(&Gaussian::<2>::from_covariance(&[0.0, 0.0], &[1.0, 0.5, 0.5, 1.0]).unwrap());
    // Full storage: μ₀ μ₁ P₀₀ P₁₀ P₁₁ at 20, 24, 28, 32, 36. Make |P₁₀| > √(P₀₀P₁₁).
    let mut bad = g.clone();
    patch_f32(&mut bad, 32, 100.0);
    assert_eq!(
        Gaussian::<2>::decode(&bad),
        Err(Error::InvalidParameters(
            "precision is not positive definite"
        ))
    );
    let mut bad = g.clone();
    patch_f32(&mut bad, 20, f32::NAN);
    assert!(matches!(
        Gaussian::<2>::decode(&bad),
        Err(Error::InvalidParameters(_))
    ));
    // Polynomial: an infinite coefficient.
    let mut p = encode(&Polynomial::<1, 5>::double_well(1.0).unwrap());
    patch_f32(&mut p, 24, f32::NEG_INFINITY);
    assert!(matches!(
        Polynomial::<1, 5>::decode(&p),
        Err(Error::InvalidParameters(_))
    ));
}

#[test]
fn decode_into_is_all_or_nothing() {
    let mut m = Mlp::<2, 4>::init(2, 4, Activation::Softplus, 2.0, 77).unwrap();
    let before = m.clone();
    let other = sample_mlp();
    let mut bad = encode(&other);
    patch_f32(&mut bad, MLP_PARAMS + 4, f32::NAN);
    assert!(m.decode_into(&bad).is_err());
    assert_eq!(m, before);
    assert!(m.decode_into(&bad[..bad.len() - 1]).is_err());
    assert_eq!(m, before);
    m.decode_into(&encode(&other)).unwrap();
    assert_eq!(m, other);
}

#[test]
fn encode_refuses_a_short_buffer_and_writes_nothing() {
    let m = sample_mlp();
    let n = m.encoded_len();
    let mut buf = vec![0xAAu8; n - 1];
    assert_eq!(
        m.encode(&mut buf),
        Err(Error::CapacityExceeded {
            requested: n,
            capacity: n - 1
        })
    );
    assert!(buf.iter().all(|&b| b == 0xAA));
    // A longer buffer is fine; only the prefix is written.
    let mut buf = vec![0xAAu8; n + 8];
    assert_eq!(m.encode(&mut buf), Ok(n));
    assert!(buf[n..].iter().all(|&b| b == 0xAA));
    assert_eq!(Mlp::<2, 4>::decode(&buf[..n]), Ok(m));
}

#[test]
fn peek_needs_only_the_first_bytes() {
    let m = Mlp::<4, 8>::init(3, 7, Activation::Silu, 1.0, 2).unwrap();
    let bytes = encode(&m);
    // An MLP's integer fields end at byte 20; PEEK_LEN (52, for a DeepMlp
    // of MAX_LAYERS layers) is more than enough.
    const { assert!(PEEK_LEN >= 20) };
    assert_eq!(peek(&bytes[..PEEK_LEN]), peek(&bytes[..20]));
    let h = peek(&bytes[..20]).unwrap();
    assert_eq!(h.version, VERSION);
    assert_eq!(h.kind(), ModelKind::Mlp);
    assert_eq!(
        h.config,
        ModelConfig::Mlp {
            d: 3,
            h: 7,
            activation: Activation::Silu
        }
    );
    assert_eq!(h.config.dim(), 3);
    assert_eq!(h.num_params, 7 * (3 + 7 + 3) + 1);
    assert_eq!(h.encoded_len, bytes.len());
    assert!(matches!(peek(&bytes[..19]), Err(Error::Truncated { .. })));
    let mix = encode(&Mixture::review_example());
    let h = peek(&mix[..16]).unwrap();
    assert_eq!(h.config, ModelConfig::Mixture { k: 2, d: 1 });
    assert_eq!(h.encoded_len, mix.len());
    assert_eq!(&mix[..4], &MAGIC);
    assert_eq!(
        ModelKind::from_code(ModelKind::Mixture.code()),
        Some(ModelKind::Mixture)
    );
    assert_eq!(ModelKind::from_code(0), None);
}

#[test]
fn errors_display_their_cause() {
    let good = encode(&sample_mlp());
    let mut bad = good.clone();
    bad[MLP_PARAMS] ^= 1;
    let msg = Mlp::<2, 4>::decode(&bad).unwrap_err().to_string();
    assert!(msg.starts_with("checksum mismatch: stored 0x"), "{msg}");
    let msg = Mlp::<2, 4>::decode(&good[..10]).unwrap_err().to_string();
    assert_eq!(msg, "truncated: need at least 12 bytes, found 10");
}

#[cfg(feature = "std")]
#[test]
fn save_and_load_through_a_file() {
    let dir = std::env::temp_dir().join(format!("tinyebm-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mlp.tebm");
    let m = sample_mlp();
    m.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), encode(&m));
    assert_eq!(Mlp::<2, 4>::load(&path).unwrap(), m);
    // A damaged file is InvalidData carrying the format error.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.pop();
    std::fs::write(&path, &bytes).unwrap();
    let e = Mlp::<2, 4>::load(&path).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    let inner = e.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert!(matches!(inner, Some(Error::Truncated { .. })), "{e}");
    assert_eq!(
        Mlp::<2, 4>::load(dir.join("missing")).unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The fuzzer's committed seeds are valid files: each peeks, decodes into a
/// roomy type of its kind and re-encodes to the same bytes.
#[test]
fn fuzz_seeds_are_valid_files() {
    fn again<M: Persist>(bytes: &[u8]) -> Vec<u8> {
        encode(&M::decode(bytes).unwrap())
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/weights_decode");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let back = match peek(&bytes).unwrap().kind() {
            ModelKind::Gaussian => again::<Gaussian<4>>(&bytes),
            ModelKind::Polynomial => again::<Polynomial<3, 35>>(&bytes),
            ModelKind::Mixture => again::<Mixture<4, 3>>(&bytes),
            _ => again::<Mlp<4, 8>>(&bytes),
        };
        assert_eq!(back, bytes, "{}", path.display());
        n += 1;
    }
    assert!(n >= 4);
}
