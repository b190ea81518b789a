//! Soak run (issue 7): 10⁸ MALA walker-steps on the reference MLP energy
//! (2 → 32 → 32 → 1, tanh, α = 0.5, weights `Mlp::init(.., seed 2024)`) with
//! step-size adaptation left on the whole time, in chunks. Checks:
//!
//! - every position and cached energy stays finite (checked every step);
//! - the step size stays finite and inside the adaptation bounds [1e-6, 1e3];
//! - the moments are stable: for x₀, x₁, x₀², x₁² and U, each chunk's mean is
//!   compared with the overall mean in units of the chunk's own batch-means
//!   standard error (32 sub-batches per chunk), and the first half with the
//!   second half in units of the spread of the chunk means.
//!
//!     cargo run --release --features std --example soak -- [WALKER_STEPS] [CHUNKS]
//!
//! Defaults: 10⁸ walker-steps (64 walkers × 1 562 500 steps) in 100 chunks.
//! `scripts/soak.sh` runs it at low priority and keeps the log. Exit status 1
//! when a check fails.

#![allow(clippy::needless_range_loop)] // parallel arrays indexed by quantity

use std::time::Instant;

use tinyebm::{Activation, Kernel, Mala, Mlp, Sampler, Walkers, adapt::MALA_TARGET};

const N: usize = 64;
const D: usize = 2;
const H: usize = 32;
const ALPHA: f32 = 0.5;
/// Quantities whose means are tracked: x₀, x₁, x₀², x₁², U.
const Q: usize = 5;
const NAMES: [&str; Q] = ["x0", "x1", "x0^2", "x1^2", "U"];
/// Sub-batches per chunk for the within-chunk standard error.
const B: usize = 32;
/// Warm-up steps (adapting, not recorded) before the first chunk.
const WARMUP: usize = 2_000;
/// |z| above this fails (t with 31 df: P(|t| > 5) ≈ 2·10⁻⁵ per test).
const Z_MAX: f64 = 5.0;

struct Chunk {
    mean: [f64; Q],
    se: [f64; Q],
    h_min: f32,
    h_max: f32,
    accept: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: u64 = args
        .get(1)
        .map_or(100_000_000, |s| s.parse().expect("WALKER_STEPS"));
    let chunks: usize = args.get(2).map_or(100, |s| s.parse().expect("CHUNKS"));
    let per_walker = (total / N as u64) as usize;
    let per_chunk = per_walker / chunks;
    assert!(per_chunk >= B, "too few steps per chunk");
    println!(
        "soak: MALA, MLP {D}->{H}->{H}->1 tanh alpha={ALPHA}, {N} walkers x {} steps \
         = {:.3e} walker-steps, {chunks} chunks, adaptation on throughout",
        per_chunk * chunks,
        (per_chunk * chunks * N) as f64
    );

    let model = Mlp::<D, H>::init(D, H, Activation::Tanh, ALPHA, 2024).expect("model");
    let walkers =
        Walkers::<N, D>::gaussian(&model, N, 7, &[0.0; D], 1.0 / ALPHA.sqrt()).expect("walkers");
    let mut sampler = Sampler::new(Mala::new(0.1).expect("kernel"), walkers);
    sampler.set_recording(false);
    sampler.start_adaptation(MALA_TARGET).expect("adaptation");
    sampler.run(&model, WARMUP).expect("warm-up");

    let t0 = Instant::now();
    let mut failures = Vec::new();
    let mut out: Vec<Chunk> = Vec::with_capacity(chunks);
    for c in 0..chunks {
        let mut sub = [[0f64; B]; Q];
        let mut sub_n = [0u64; B];
        let (mut h_min, mut h_max) = (f32::INFINITY, 0f32);
        let (mut acc, mut prop) = (0u64, 0u64);
        for t in 0..per_chunk {
            let s = match sampler.step(&model) {
                Ok(s) => s,
                Err(e) => {
                    println!("FAIL: step error in chunk {c}, step {t}: {e}");
                    std::process::exit(1);
                }
            };
            acc += s.accepted as u64;
            prop += s.proposed as u64;
            let h = sampler.kernel().step_size();
            if !(h.is_finite() && (1e-6..=1e3).contains(&h)) {
                println!("FAIL: step size {h} out of bounds in chunk {c}, step {t}");
                std::process::exit(1);
            }
            h_min = h_min.min(h);
            h_max = h_max.max(h);
            let w = sampler.walkers();
            let b = t * B / per_chunk;
            let mut acc_q = [0f64; Q];
            for k in 0..N {
                let (x0, x1, u) = (w.coord(k, 0), w.coord(k, 1), w.energies()[k]);
                if !(x0.is_finite() && x1.is_finite() && u.is_finite()) {
                    println!("FAIL: non-finite walker {k} ({x0}, {x1}, U={u}) in chunk {c}");
                    std::process::exit(1);
                }
                let (x0, x1) = (x0 as f64, x1 as f64);
                acc_q[0] += x0;
                acc_q[1] += x1;
                acc_q[2] += x0 * x0;
                acc_q[3] += x1 * x1;
                acc_q[4] += u as f64;
            }
            for q in 0..Q {
                sub[q][b] += acc_q[q];
            }
            sub_n[b] += N as u64;
        }
        let mut mean = [0f64; Q];
        let mut se = [0f64; Q];
        for q in 0..Q {
            let m: Vec<f64> = (0..B).map(|b| sub[q][b] / sub_n[b] as f64).collect();
            let all: f64 = sub[q].iter().sum::<f64>() / sub_n.iter().sum::<u64>() as f64;
            let var = m.iter().map(|v| (v - all).powi(2)).sum::<f64>() / (B - 1) as f64;
            mean[q] = all;
            se[q] = (var / B as f64).sqrt();
        }
        out.push(Chunk {
            mean,
            se,
            h_min,
            h_max,
            accept: acc as f64 / prop as f64,
        });
        if (c + 1) % (chunks / 10).max(1) == 0 || c == 0 {
            let el = t0.elapsed().as_secs_f64();
            println!(
                "  chunk {:>3}/{chunks}  {:>6.0} s (eta {:>5.0} s)  accept {:.3}  h [{:.4}, {:.4}]  \
                 mean x0 {:+.4}  x1 {:+.4}  U {:.4}",
                c + 1,
                el,
                el / (c + 1) as f64 * (chunks - c - 1) as f64,
                acc as f64 / prop as f64,
                h_min,
                h_max,
                mean[0],
                mean[1],
                mean[4]
            );
        }
    }

    // Overall means (chunks are equal-sized).
    let cn = out.len() as f64;
    let mut overall = [0f64; Q];
    for ch in &out {
        for q in 0..Q {
            overall[q] += ch.mean[q] / cn;
        }
    }
    println!(
        "{:<5} {:>10} {:>10} {:>8} {:>8} {:>9} {:>8}",
        "qty", "mean", "sd(chunk)", "max|z|", "mean z²", "z(halves)", "se"
    );
    for q in 0..Q {
        let mut zmax = 0f64;
        let mut z2 = 0f64;
        for (c, ch) in out.iter().enumerate() {
            // Chunk mean minus the overall mean (which contains it): variance
            // se²·(1 − 1/C) to first order.
            let z = (ch.mean[q] - overall[q]) / (ch.se[q] * (1.0 - 1.0 / cn).sqrt());
            z2 += z * z / cn;
            if z.abs() > zmax {
                zmax = z.abs();
            }
            if z.abs() > Z_MAX {
                failures.push(format!("{} chunk {c}: z = {z:.2}", NAMES[q]));
            }
        }
        let m: Vec<f64> = out.iter().map(|c| c.mean[q]).collect();
        let sd = (m.iter().map(|v| (v - overall[q]).powi(2)).sum::<f64>() / (cn - 1.0)).sqrt();
        let half = out.len() / 2;
        let m1 = m[..half].iter().sum::<f64>() / half as f64;
        let m2 = m[half..].iter().sum::<f64>() / (out.len() - half) as f64;
        let zh = (m1 - m2) / (sd * (1.0 / half as f64 + 1.0 / (out.len() - half) as f64).sqrt());
        if zh.abs() > Z_MAX {
            failures.push(format!(
                "{}: first half {m1:.5} vs second {m2:.5}, z = {zh:.2}",
                NAMES[q]
            ));
        }
        // Mean z² near 1 means the chunk-to-chunk spread matches the
        // within-chunk batch-means standard errors.
        // z is t-distributed (31 df): E z² ≈ 1.07; the band is ±5 sd of a
        // χ²_C / C.
        let band = 5.0 * (2.0 / cn).sqrt();
        if !((1.0 - band).max(0.0)..=1.1 + band).contains(&z2) {
            failures.push(format!(
                "{}: mean z² = {z2:.2} (chunk spread vs batch SE)",
                NAMES[q]
            ));
        }
        println!(
            "{:<5} {:>10.5} {:>10.5} {:>8.2} {:>8.2} {:>9.2} {:>8.5}",
            NAMES[q],
            overall[q],
            sd,
            zmax,
            z2,
            zh,
            sd / cn.sqrt()
        );
    }
    let h_lo = out.iter().map(|c| c.h_min).fold(f32::INFINITY, f32::min);
    let h_hi = out.iter().map(|c| c.h_max).fold(0f32, f32::max);
    let last = out.last().expect("chunks");
    let acc = out.iter().map(|c| c.accept).sum::<f64>() / cn;
    let el = t0.elapsed().as_secs_f64();
    println!(
        "step size in [{h_lo:.5}, {h_hi:.5}] (last chunk [{:.5}, {:.5}]), acceptance {acc:.4} \
         (target {MALA_TARGET}), no NaN; {:.3e} walker-steps in {el:.0} s ({:.2} M/s)",
        last.h_min,
        last.h_max,
        (per_chunk * chunks * N) as f64,
        (per_chunk * chunks * N) as f64 / el / 1e6
    );
    if failures.is_empty() {
        println!("soak: PASS");
    } else {
        for f in &failures {
            println!("FAIL: {f}");
        }
        println!("soak: FAIL ({} checks)", failures.len());
        std::process::exit(1);
    }
}
