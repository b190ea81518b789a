//! tinyebm's Rust API on a Cortex-M4F under QEMU (mps2-an386).
//!
//! Runs the shared reference workloads (their fingerprints must equal the
//! host's), then brackets fixed amounts of work with calls to `bench_mark`,
//! which the instruction-counting QEMU plugin turns into per-window counts
//! (see `scripts/mcu-insn.sh`). Exits with status 0 only if every check passes.
#![no_std]
#![no_main]

// Only `exit::failure`: a success exits in `main` (and on hardware falls
// through to `fail`), which shapes the inlining of `main` and with it the
// windows' instruction counts.
#[allow(dead_code)]
mod exit;
mod workload;

use core::hint::black_box;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use tinyebm::{Activation, Energy, Kernel, Mala, Mlp, Nuts, Rwmh, Stream, Ula, Walkers};

/// NUTS step size of the `nuts_step_*` windows: mean acceptance statistic
/// about 0.8 (Stan's target) on the reference net at β = 1.
const NUTS_STEP: f32 = 1.3;
/// NUTS steps before its windows (from the start, as MALA's walkers).
const NUTS_WARMUP: u32 = 20;

/// The instruction counter snapshots its count each time this runs.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn bench_mark() {
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// Runs `f` `reps` times between two marks and names the window on stdout.
fn window(name: &str, reps: u32, mut f: impl FnMut()) {
    hprintln!("window {} {}", name, reps);
    bench_mark();
    for _ in 0..reps {
        f();
    }
    bench_mark();
}

/// The activation pass of one evaluation of the 2→16→16→1 MLP: σ and σ' of
/// both hidden layers' 32 units, as the MLP computes them. Out of line so
/// that it is timed on its own.
#[inline(never)]
fn activation_pass(act: Activation, a: &[f32; 32], out: &mut [(f32, f32); 32]) {
    for (o, &v) in out.iter_mut().zip(a) {
        *o = act.value_slope(v);
    }
}

#[entry]
fn main() -> ! {
    let mut ok = workload::print_reference_lines!(hprintln);

    let Some(mut net) = workload::net() else {
        fail()
    };
    let Ok(soft) = Mlp::<2, 16>::init(2, 16, Activation::Softplus, 0.5, 2024) else {
        fail()
    };
    let (Ok(mala), Ok(ula), Ok(rwmh)) = (Mala::new(0.1), Ula::new(0.05), Rwmh::new(0.5)) else {
        fail()
    };
    let (Ok(mut w16), Ok(mut w1)) = (
        Walkers::<16, 2>::gaussian(&net, 16, 1, &[0.0, 0.0], 1.0),
        Walkers::<1, 2>::gaussian(&net, 1, 1, &[0.0, 0.0], 1.0),
    ) else {
        fail()
    };
    let mut errors = 0u32;
    window("mala_step_1", 200, || {
        errors += mala.step(&net, 1.0, &mut w1).is_err() as u32
    });
    window("mala_step_16", 50, || {
        errors += mala.step(&net, 1.0, &mut w16).is_err() as u32
    });
    // MALA takes one gradient (U and ∇ₓU) per walker and step.
    hprintln!("grads mala_step_1 {}", 200);
    hprintln!("grads mala_step_16 {}", 50 * 16);

    // NUTS (identity mass, default maximum tree depth 10, no jitter) on the
    // same net and temperature, from the same start as MALA's walkers,
    // after a warm-up outside the windows. Its gradients are its leapfrog
    // steps, summed over walkers and steps from the walkers' last-step
    // statistics and printed for the script to divide by.
    let (Ok(nuts), Ok(mut n16), Ok(mut n1)) = (
        Nuts::<2>::new(NUTS_STEP),
        Walkers::<16, 2>::gaussian(&net, 16, 1, &[0.0, 0.0], 1.0),
        Walkers::<1, 2>::gaussian(&net, 1, 1, &[0.0, 0.0], 1.0),
    ) else {
        fail()
    };
    let mut stat = 0f32;
    for _ in 0..NUTS_WARMUP {
        match nuts.step(&net, 1.0, &mut n16) {
            Ok(s) => stat += s.mean_accept_prob,
            Err(_) => errors += 1,
        }
        errors += nuts.step(&net, 1.0, &mut n1).is_err() as u32;
    }
    let mut grads = 0u32;
    window("nuts_step_1", 100, || {
        errors += nuts.step(&net, 1.0, &mut n1).is_err() as u32;
        grads += u32::from(n1.last_step(0).n_leapfrog);
    });
    hprintln!("grads nuts_step_1 {}", grads);
    let mut grads = 0u32;
    let mut depth = 0u32;
    window("nuts_step_16", 20, || {
        match nuts.step(&net, 1.0, &mut n16) {
            Ok(s) => stat += s.mean_accept_prob,
            Err(_) => errors += 1,
        }
        for w in 0..16 {
            let info = n16.last_step(w);
            grads += u32::from(info.n_leapfrog);
            depth += u32::from(info.tree_depth);
        }
    });
    hprintln!("grads nuts_step_16 {}", grads);
    hprintln!(
        "nuts step size {} accept stat {} (16 walkers, warm-up and window) mean tree depth {}",
        NUTS_STEP,
        stat / (NUTS_WARMUP + 20) as f32,
        depth as f32 / (20 * 16) as f32
    );
    ok &= n16.energies().iter().all(|u| u.is_finite()) && n1.energies()[0].is_finite();

    window("ula_step_16", 50, || {
        errors += ula.step(&net, 1.0, &mut w16).is_err() as u32
    });
    window("rwmh_step_16", 50, || {
        errors += rwmh.step(&net, 1.0, &mut w16).is_err() as u32
    });

    // One PCD update: 16 data points pushed (each: U and ∂θU at the point),
    // then K = 10 ULA steps of 16 walkers, ∂θU at every walker, an Adam step
    // and the walkers' re-evaluation at the new θ.
    let Some(mut trainer) = workload::trainer(&net) else {
        fail()
    };
    hprintln!(
        "trainer {} bytes (sampler, Adam, buffers), net {} bytes",
        workload::Trainer::footprint(),
        core::mem::size_of::<workload::Net>()
    );
    let mut data = Stream::new(11, 0);
    let mut xs = [[0f32; 32]; 4];
    for b in xs.iter_mut() {
        workload::data_batch(&mut data, b);
    }
    let mut k = 0;
    window("pcd_update_16", 4, || {
        let r = trainer.push_batch(&mut net, black_box(&xs[k % 4]));
        errors += !matches!(r, Ok(Some(_))) as u32;
        k += 1;
    });
    let x1 = [0.4f32, -0.2];
    window("pcd_push_1", 8, || {
        errors += trainer.push(&mut net, black_box(&x1)).is_err() as u32
    });

    // One energy-discrepancy update (no walkers): 16 data points, each with
    // M = 8 negatives (U at 9 points, log-sum-exp weights in f64, ∂θU at 9
    // points), then an Adam step. Evaluation blocks of one point (K = 9).
    let Some(mut ed) = workload::ed_trainer(&net) else {
        fail()
    };
    hprintln!(
        "ed trainer {} bytes (Adam, buffers)",
        workload::EdTrainer::footprint()
    );
    let mut k = 0;
    window("ed_update_16", 4, || {
        let r = ed.push_batch(&mut net, black_box(&xs[k % 4]));
        errors += !matches!(r, Ok(Some(_))) as u32;
        k += 1;
    });
    window("ed_push_1", 8, || {
        errors += ed.push(&mut net, black_box(&x1)).is_err() as u32
    });

    // One evaluation, and its activation pass alone (the rest is the three
    // matrix–vector products of the forward and backward passes, the output
    // dot products and the confinement term).
    let mut g = [0f32; 2];
    let x = [0.3f32, -0.7];
    window("eval_grad_1", 200, || {
        errors += net.value_grad(black_box(&x), &mut g).is_err() as u32;
    });
    window("eval_value_1", 200, || {
        errors += net.value(black_box(&x)).is_err() as u32;
    });
    let mut pre = [0f32; 32];
    for (j, v) in pre.iter_mut().enumerate() {
        *v = 0.21 * j as f32 - 3.3;
    }
    let mut act_out = [(0f32, 0f32); 32];
    window("act_pass_tanh", 200, || {
        activation_pass(Activation::Tanh, black_box(&pre), &mut act_out)
    });
    window("eval_grad_1_softplus", 200, || {
        errors += soft.value_grad(black_box(&x), &mut g).is_err() as u32;
    });
    window("act_pass_softplus", 200, || {
        activation_pass(Activation::Softplus, black_box(&pre), &mut act_out)
    });
    let mut ev1 = tinyebm::Evals::<1, 2>::new();
    window("eval_batch_1", 200, || {
        net.eval_batch(black_box(w1.positions_soa()), 1, true, &mut ev1)
    });
    let mut ev16 = tinyebm::Evals::<16, 2>::new();
    window("eval_batch_16", 50, || {
        net.eval_batch(black_box(w16.positions_soa()), 16, true, &mut ev16)
    });
    let mut acc = act_out.iter().map(|(a, b)| a + b).sum::<f32>();
    window("tanh_rational", 1000, || {
        acc += tinyebm::math::act_tanh(black_box(0.37))
    });
    window("tanh_libm", 1000, || acc += libm_tanh(black_box(0.37)));
    window("exp_act", 1000, || acc += act_exp(black_box(-0.37)));
    let mut s = Stream::new(3, 3);
    window("normal_pair", 1000, || {
        let (a, b) = s.normal_pair();
        acc += a + b;
    });
    window("uniform", 1000, || acc += s.uniform());
    hprintln!("errors {} checksum {}", errors, acc);
    ok &= errors == 0 && acc.is_finite();
    ok &= w16.energies().iter().all(|u| u.is_finite());
    if ok {
        hprintln!("firmware: all checks passed");
        debug::exit(debug::EXIT_SUCCESS);
    }
    fail()
}

#[inline(never)]
fn libm_tanh(x: f32) -> f32 {
    tinyebm::math::tanh(x)
}

/// e^x as the activations compute it (libm, or micromath with the feature).
#[inline(never)]
fn act_exp(x: f32) -> f32 {
    tinyebm::math::act_exp(x)
}

fn fail() -> ! {
    hprintln!("firmware: FAILED");
    exit::failure()
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    fail()
}
