//! Quickstart: sample the review's Gaussian mixture (its Figure 1) with MALA.
//!
//!     cargo run --release --features std --example quickstart
//!
//! Prints acceptance, ESS, R̂ and a text histogram against the exact density,
//! and writes `target/figures/quickstart.svg`: histogram + density, and the
//! energy U(x) = −log ρ(x).

mod common;

use common::{chart, curve, figure, legend, line, review_mixture_pdf as density};
use plotters::prelude::*;
use tinyebm::{Energy, Kernel, Mala, Mixture, Sampler, Walkers, adapt::MALA_TARGET};

const WALKERS: usize = 256;
const WARMUP: usize = 2_000;
const STEPS: usize = 20_000;
const THIN: usize = 10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = Mixture::review_example();
    println!("tinyebm quickstart: MALA on ρ(x) = 0.7·N(0, 1) + 0.3·N(5, 0.5²)  (review, Fig. 1)");

    // Walkers start broad, covering both modes; MALA must move mass between
    // them across the energy barrier.
    let walkers = Walkers::<WALKERS, 1>::gaussian(&target, WALKERS, 2024, &[2.5], 4.0)?;
    let mut sampler = Sampler::new(Mala::new(0.5)?, walkers);

    sampler.start_adaptation(MALA_TARGET)?;
    sampler.run(&target, WARMUP)?;
    sampler.freeze_step_size()?;
    sampler.reset_diagnostics();
    println!(
        "warm-up: {WARMUP} steps × {WALKERS} walkers, step size adapted to h = {:.3}",
        sampler.kernel().step_size()
    );

    let mut samples = Vec::with_capacity(WALKERS * STEPS / THIN);
    for t in 1..=STEPS {
        sampler.step(&target)?;
        if t % THIN == 0 {
            samples.extend_from_slice(&sampler.walkers().positions_soa()[0][..WALKERS]);
        }
        if t % (STEPS / 4) == 0 {
            let d = sampler.diagnostics();
            println!(
                "  step {t:>6}: acceptance {:.3}  mean {:.3}  ESS {:>8.0}  R̂ {:.4}",
                d.acceptance_rate(),
                d.mean(0),
                d.ess(0),
                d.rhat(0)
            );
        }
    }
    let d = sampler.diagnostics();
    let right = samples.iter().filter(|&&x| x > 2.5).count() as f64 / samples.len() as f64;
    println!(
        "sampling: {STEPS} steps, acceptance {:.3} (target {MALA_TARGET}), ESS {:.0}, split-R̂ {:.4}",
        d.acceptance_rate(),
        d.ess(0),
        d.rhat(0)
    );
    println!(
        "mean {:.3} (exact 1.500), variance {:.3} (exact {:.3}), weight of the mode at 5: {:.3} (exact 0.300)",
        d.mean(0),
        d.variance(0),
        0.7 * 1.0 + 0.3 * (0.25 + 25.0) - 1.5f64.powi(2),
        right
    );

    // Text histogram: '#' = samples, '|' = exact density.
    let (lo, hi, bins) = (-4.0f64, 8.0f64, 24usize);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &x in &samples {
        let k = ((x as f64 - lo) / width).floor();
        if k >= 0.0 && (k as usize) < bins {
            counts[k as usize] += 1;
        }
    }
    let scale = 60.0 / 0.3;
    println!("\n     x    histogram (#) vs exact density (|)");
    for (k, &c) in counts.iter().enumerate() {
        let mid = lo + (k as f64 + 0.5) * width;
        let emp = c as f64 / (samples.len() as f64 * width);
        let bar = (emp * scale).round() as usize;
        let mark = (density(mid) * scale).round() as usize;
        let mut line: Vec<char> = vec![' '; bar.max(mark) + 1];
        line[..bar].iter_mut().for_each(|ch| *ch = '#');
        line[mark] = '|';
        println!("{mid:>6.2}  {}", line.iter().collect::<String>());
    }

    // Figure 1 of the review: histogram + density, and the energy.
    let path = "target/figures/quickstart.svg";
    let root = figure(path, (1000, 420))?;
    let (left, right_area) = root.split_horizontally(500);
    let mut c = chart(&left, "samples vs ρ(x)", 18, 40, lo..hi, 0.0..0.45)?;
    c.configure_mesh().x_desc("x").y_desc("density").draw()?;
    c.draw_series(counts.iter().enumerate().map(|(k, &n)| {
        let x0 = lo + k as f64 * width;
        let h = n as f64 / (samples.len() as f64 * width);
        Rectangle::new([(x0, 0.0), (x0 + width, h)], BLUE.mix(0.35).filled())
    }))?
    .label("MALA histogram")
    .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], BLUE.mix(0.35).filled()));
    line(&mut c, curve(lo, hi, density), RED, 2, "exact density")?;
    legend(&mut c, SeriesLabelPosition::MiddleRight)?;

    let mut e = chart(
        &right_area,
        "energy U(x) = −log ρ(x)",
        18,
        40,
        lo..hi,
        0.0..14.0,
    )?;
    e.configure_mesh().x_desc("x").y_desc("U").draw()?;
    e.draw_series(LineSeries::new(
        curve(lo, hi, |x| {
            target.value(&[x as f32]).unwrap_or(f32::NAN) as f64
        }),
        BLACK.stroke_width(2),
    ))?;
    root.present()?;
    println!("\nfigure: {path}");
    Ok(())
}
