//! Decodes arbitrary bytes as every model kind. Whatever decodes must
//! re-encode to the same bytes and agree with `peek`; whatever fails must
//! leave `decode_into`'s target unchanged. Each input is tried twice: as
//! given, and with its last four bytes replaced by the CRC-32 of the rest, so
//! the value checks behind the checksum are reached too.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use std::fmt::Debug;
use tinyebm::{Activation, Gaussian, Mixture, Mlp, Persist, Polynomial, peek};

fn check<M: Persist + Clone + PartialEq + Debug>(data: &[u8], mut target: M) {
    let before = target.clone();
    match M::decode(data) {
        Ok(m) => {
            let mut buf = vec![0u8; m.encoded_len()];
            let n = m.encode(&mut buf).expect("encode a decoded model");
            assert_eq!(&buf[..n], data, "re-encoding differs");
            let h = peek(data).expect("peek a decodable file");
            assert_eq!(h.config, m.config());
            assert_eq!(h.encoded_len, data.len());
            assert_eq!(M::decode(&buf[..n]).as_ref(), Ok(&m));
            target.decode_into(data).expect("decode_into agrees with decode");
            assert_eq!(target, m);
        }
        Err(e) => {
            assert_eq!(target.decode_into(data), Err(e));
            assert_eq!(target, before, "failed decode_into changed its target");
        }
    }
}

fn all_kinds(data: &[u8]) {
    let _ = peek(data);
    check(data, Gaussian::<4>::standard(2).unwrap());
    check(data, Polynomial::<3, 35>::new(1, 2, &[0.0, 0.0, 1.0]).unwrap());
    check(data, Mixture::<4, 3>::new(&[1.0], &[0.0], &[1.0]).unwrap());
    check(data, Mlp::<4, 8>::zeros(1, 1, Activation::Tanh, 1.0).unwrap());
}

fuzz_target!(|data: &[u8]| common::with_fixed_crc(data, all_kinds));
