//! The runs of `tests/c/bits.c`, through the Rust API: same seeds, same
//! configurations, same output format. `scripts/ci-ffi.sh` diffs the two.
//!
//! The C program goes through the C ABI (callback energy, kernel and energy
//! enums, caller-memory objects); this one uses `tinyebm` directly with the
//! same capacities. Equal output means the C API adds nothing to the
//! arithmetic and loses no state between calls.

mod common;

use ebm::adapt::{MALA_TARGET, RWMH_TARGET};
use ebm::{
    Activation, AnyKernel, Energy, FnEnergy, Gaussian, Hmc, Kernel, Mala, Mixture, Mlp, Persist,
    Polynomial, Rwmh, Sampler, Ula, Walkers,
};

const N: usize = 64;
const D: usize = 16;

fn print<K: Kernel>(name: &str, s: &Sampler<K, N, D>) {
    let w = s.walkers();
    println!(
        "run {name}: steps {}, step size {:08x}",
        w.steps(),
        s.kernel().step_size().to_bits()
    );
    let mut p = [0f32; D];
    for i in 0..w.len() {
        w.position(i, &mut p).unwrap();
        print!("{i:2}");
        for v in &p[..w.dim()] {
            print!(" {:08x}", v.to_bits());
        }
        println!(" u {:08x}", w.energies()[i].to_bits());
    }
}

fn run<K: Kernel, E: Energy>(
    name: &str,
    mut s: Sampler<K, N, D>,
    e: &E,
    adapt: Option<f32>,
    adapt_steps: usize,
    steps: usize,
) {
    if let Some(t) = adapt {
        s.start_adaptation(t).unwrap();
    }
    s.run(e, adapt_steps).unwrap();
    s.freeze_step_size().unwrap();
    s.run(e, steps).unwrap();
    print(name, &s);
}

fn main() {
    // A: U = x0^4/4 - x0^2 + (x1 - x0/2)^2 / 2, the same operations as bits.c.
    let quartic = FnEnergy::new(2, common::quartic);
    let w = Walkers::<N, D>::gaussian(&quartic, 16, 7, &[0.5, -0.5], 1.0).unwrap();
    let s = Sampler::new(AnyKernel::<D>::Mala(Mala::new(0.1).unwrap()), w);
    run("A callback/MALA", s, &quartic, Some(MALA_TARGET), 150, 150);

    // B: MLP with LCG weights, HMC with a diagonal mass.
    let np = ebm::mlp_param_count(3, 8);
    let mut theta = vec![0f32; np];
    let mut state = 12345u32;
    for t in theta.iter_mut() {
        state = state.wrapping_mul(1664525).wrapping_add(1013904223);
        *t = ((state >> 16) & 0xffff) as f32 / 65536.0 - 0.5;
    }
    let mlp = Mlp::<D, 32>::from_params(3, 8, Activation::Tanh, 0.5, &theta).unwrap();
    let w = Walkers::<N, D>::gaussian(&mlp, 40, 11, &[0.0; 3], 1.0).unwrap();
    let hmc = Hmc::<D>::new(0.15, 5)
        .unwrap()
        .with_diagonal_mass(&[1.0, 2.0, 0.5])
        .unwrap();
    run("B MLP/HMC", Sampler::new(hmc, w), &mlp, None, 0, 60);
    let mlp_b = mlp;

    // C: full-precision Gaussian, ULA at beta = 2.
    let g = Gaussian::<D>::full(&[1.0, -1.0], &[2.0, 0.6, 0.6, 1.0]).unwrap();
    let w = Walkers::<N, D>::gaussian(&g, 8, 3, &[0.0; 2], 1.0).unwrap();
    let mut s = Sampler::new(AnyKernel::<D>::Ula(Ula::new(0.05).unwrap()), w);
    s.set_beta(2.0).unwrap();
    run("C Gaussian/ULA", s, &g, None, 0, 100);

    // D: mixture, random-walk MH with adaptation.
    let m =
        Mixture::<8, D>::new(&[0.7, 0.3], &[0.0, 0.0, 3.0, 1.0], &[1.0, 1.0, 0.5, 0.5]).unwrap();
    let w = Walkers::<N, D>::gaussian(&m, 12, 5, &[0.0; 2], 1.0).unwrap();
    let s = Sampler::new(AnyKernel::<D>::Rwmh(Rwmh::new(0.5).unwrap()), w);
    run("D mixture/MH", s, &m, Some(RWMH_TARGET), 100, 100);

    // E: double well a = 2, MALA from given positions.
    let dw = Polynomial::<D, 128>::new(1, 4, &[2.0, 0.0, -4.0, 0.0, 2.0]).unwrap();
    let init: Vec<f32> = (0..10).map(|w| -1.5 + 0.3 * w as f32).collect();
    let w = Walkers::<N, D>::from_positions(&dw, 10, 99, &init).unwrap();
    let s = Sampler::new(AnyKernel::<D>::Mala(Mala::new(0.05).unwrap()), w);
    run("E double well/MALA", s, &dw, None, 0, 200);

    // F: the weight format. The C program saves MLP B through the C API;
    // these are the bytes Persist::encode writes for it.
    print_hex("weights B", &encode(&mlp_b));
    // G: bytes written by Persist::encode (hard-coded in bits.c) load in C:
    // the model they hold evaluates to the same bits, and saves to the
    // same bytes.
    let g = Mlp::<D, 32>::init(2, 5, Activation::Silu, 0.75, 21).unwrap();
    let bytes = encode(&g);
    print_hex("weights G", &bytes);
    let back = Mlp::<D, 32>::decode(&bytes).unwrap();
    for x in [[0.0f32, 0.0], [0.5, -1.0], [-1.25, 2.0]] {
        let mut gr = [0f32; 2];
        let u = back.value_grad(&x, &mut gr).unwrap();
        println!(
            "G u {:08x} grad {:08x} {:08x}",
            u.to_bits(),
            gr[0].to_bits(),
            gr[1].to_bits()
        );
    }
}

fn encode<M: Persist>(m: &M) -> Vec<u8> {
    let mut b = vec![0u8; m.encoded_len()];
    let n = m.encode(&mut b).unwrap();
    b.truncate(n);
    b
}

fn print_hex(name: &str, b: &[u8]) {
    println!("{name}: {} bytes", b.len());
    for line in b.chunks(32) {
        for v in line {
            print!("{v:02x}");
        }
        println!();
    }
}
