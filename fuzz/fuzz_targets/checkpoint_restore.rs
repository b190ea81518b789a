//! Restores arbitrary bytes as a checkpoint of a sampler, a replica
//! exchange and a trainer. A restore that fails must leave its target
//! unchanged (its own checkpoint before and after is the same); a sampler
//! or replica exchange that restores must save the very bytes it read. Each
//! input is tried twice: as given, and with its last four bytes replaced by
//! the CRC-32 of the rest, so the field checks behind the checksum are
//! reached too.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tinyebm::{
    AnyKernel, AnyOptimizer, Hmc, Mala, Mixture, Pcd, PcdConfig, Mode, ReplicaExchange, Sampler,
    Sgd, Ula, Walkers,
};

type S = Sampler<AnyKernel<2>, 4, 2>;
type Re = ReplicaExchange<AnyKernel<2>, 3, 4, 2>;
type T = Pcd<Sampler<Ula, 4, 1>, AnyOptimizer<4>, 4, 1, 4>;

fn gauss() -> tinyebm::Gaussian<2> {
    tinyebm::Gaussian::standard(2).unwrap()
}

fn sampler() -> S {
    let e = gauss();
    let mut w = Walkers::<4, 2>::empty();
    w.init_gaussian(&e, 4, 1, &[0.0, 0.0], 1.0).unwrap();
    let mut s = S::new(AnyKernel::Hmc(Hmc::new(0.3, 3).unwrap()), w);
    s.run(&e, 3).unwrap();
    s
}

fn tempering() -> Re {
    let e = gauss();
    let mut w = Walkers::<4, 2>::empty();
    w.init_gaussian(&e, 4, 1, &[0.0, 0.0], 1.0).unwrap();
    let mut re = Re::geometric(AnyKernel::Mala(Mala::new(0.2).unwrap()), w, 3, 0.3, 2).unwrap();
    re.run(&e, 3).unwrap();
    re
}

fn model() -> Mixture<2, 1> {
    Mixture::new(&[0.5, 0.5], &[-1.0, 1.0], &[0.5, 0.5]).unwrap()
}

fn trainer(m: &Mixture<2, 1>) -> T {
    let mut w = Walkers::<4, 1>::empty();
    w.init_gaussian(m, 4, 1, &[0.0], 1.0).unwrap();
    let opt = AnyOptimizer::Sgd(Sgd::new(4, 0.01, 0.5).unwrap());
    let cfg = PcdConfig {
        batch_size: 2,
        ..PcdConfig::new(Mode::Pcd)
    };
    Pcd::new(m, Sampler::new(Ula::new(0.05).unwrap(), w), opt, cfg).unwrap()
}

fn save_s(s: &S) -> Vec<u8> {
    let mut b = vec![0u8; S::CHECKPOINT_SIZE];
    s.save_checkpoint(&mut b).unwrap();
    b
}

fn save_re(s: &Re) -> Vec<u8> {
    let mut b = vec![0u8; Re::CHECKPOINT_SIZE];
    s.save_checkpoint(&mut b).unwrap();
    b
}

fn save_t(t: &T, m: &Mixture<2, 1>) -> Vec<u8> {
    let mut b = vec![0u8; T::CHECKPOINT_SIZE];
    t.save_checkpoint(m, &mut b).unwrap();
    b
}

fn all_kinds(data: &[u8]) {
    let mut s = sampler();
    let before = save_s(&s);
    match s.restore_checkpoint(data) {
        Ok(()) => assert_eq!(save_s(&s), data, "sampler: restore then save differs"),
        Err(_) => assert_eq!(save_s(&s), before, "sampler changed by a failed restore"),
    }
    // The warm start reads the same files.
    let mut w = sampler();
    let before = save_s(&w);
    if w.warm_start_from_checkpoint(data).is_err() {
        assert_eq!(save_s(&w), before, "warm start changed the sampler");
    }
    let mut re = tempering();
    let before = save_re(&re);
    match re.restore_checkpoint(data) {
        Ok(()) => assert_eq!(save_re(&re), data, "tempering: restore then save differs"),
        Err(_) => assert_eq!(save_re(&re), before, "tempering changed by a failed restore"),
    }
    let mut m = model();
    let mut t = trainer(&m);
    let before = save_t(&t, &m);
    if t.restore_checkpoint(&mut m, data).is_err() {
        assert_eq!(save_t(&t, &m), before, "trainer or model changed by a failed restore");
    }
}

fuzz_target!(|data: &[u8]| common::with_fixed_crc(data, all_kinds));
