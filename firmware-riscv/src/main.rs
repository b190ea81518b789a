//! tinyebm's Rust API on a 32-bit RISC-V without FPU (riscv32imac: the
//! ESP32-C3 class; soft-float) under QEMU virt.
//!
//! Runs the Cortex-M firmware's reference workloads, the same source
//! (`firmware/src/workload.rs`), whose fingerprints must equal the host's,
//! then brackets a few fixed amounts of work with calls to `bench_mark` for
//! the instruction-counting QEMU plugin (see `scripts/ci-targets.sh`).
//! Exits with status 0 only if every check passes.
#![no_std]
#![no_main]

mod rt;
#[path = "../../firmware/src/workload.rs"]
#[allow(dead_code)] // the Cortex-M firmware uses more of it (the ED trainer)
mod workload;

use core::hint::black_box;
use rt::hprintln;
use tinyebm::{Kernel, Mala, Stream, Ula, Walkers};

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

#[unsafe(no_mangle)]
extern "C" fn firmware_main() -> ! {
    let mut ok = workload::print_reference_lines!(hprintln);

    // Instruction windows: a subset of the Cortex-M firmware's, same names.
    let Some(mut net) = workload::net() else {
        fail()
    };
    let (Ok(mala), Ok(ula)) = (Mala::new(0.1), Ula::new(0.05)) else {
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
    window("ula_step_16", 50, || {
        errors += ula.step(&net, 1.0, &mut w16).is_err() as u32
    });
    let mut g = [0f32; 2];
    let x = [0.3f32, -0.7];
    window("eval_grad_1", 200, || {
        errors += tinyebm::Energy::value_grad(&net, black_box(&x), &mut g).is_err() as u32;
    });
    let Some(mut trainer) = workload::trainer(&net) else {
        fail()
    };
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
    hprintln!("errors {}", errors);
    ok &= errors == 0 && w16.energies().iter().all(|u| u.is_finite());
    if ok {
        hprintln!("firmware: all checks passed");
        rt::exit(true)
    }
    fail()
}

fn fail() -> ! {
    hprintln!("firmware: FAILED");
    rt::exit(false)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    fail()
}
