//! Train an MLP energy on eight Gaussians on a ring, online, with PCD.
//!
//!     cargo run --release --features std --example train_pcd [-- pcd|cd|jarzynski]
//!
//! The data stream (fixed seed) feeds the trainer one point at a time; every
//! 128 points the trainer moves its 256 ULA walkers and takes an Adam step.
//! The model starts as the Gaussian ρ ∝ exp(−½α|x|²) (random hidden weights,
//! zero output weights), from which the walkers are drawn exactly, so the
//! Jarzynski mode starts from ρ_θ₀ as it must. Prints metrics every tenth of
//! the run and the held-out negative log-likelihood (log Z by quadrature on a
//! grid), and writes `target/figures/train_pcd.svg`: the learned density with
//! data and walkers, and the training curves.
//!
//! The recipe is the density benchmark's (`examples/density.rs`,
//! docs/density-benchmark.md): a learning-rate schedule (warm-up, cosine
//! decay to 2 % of the peak) and the exponential moving average of θ
//! ([`Ema`], decay 0.999) as the model that is evaluated and saved: the last
//! iterate of PCD jitters by tenths of a nat from update to update, the
//! average does not.

mod common;

use common::{chart, figure, grid_log_z, legend, line, mean_nll};
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use tinyebm::{
    Activation, Adam, Decay, Ema, Energy, LrSchedule, Metrics, Mlp, Mode, NegativePhase, Pcd,
    PcdConfig, Persist, Reinit, Sampler, Stream, Ula, Walkers, mlp_param_count,
};

const N: usize = 256;
const H: usize = 32;
const P: usize = mlp_param_count(2, H);
const ALPHA: f32 = 0.5;
const BATCH: usize = 128;
const UPDATES: usize = 15_000;
/// ULA step: the ring's components have variance 0.0625; h = 0.005 keeps
/// ULA's variance bias below 4 % (errata 5), and 10 steps per update move
/// the walkers as far as 5 steps of 0.01 did.
const STEP: f32 = 0.005;
const STEPS_PER_UPDATE: usize = 10;
const LR: f32 = 2e-3;
const WARMUP: u64 = 200;
/// Final learning rate of the cosine decay, as a fraction of `LR`.
const LR_FINAL: f32 = 0.02;
/// Decay of the moving average of θ.
const EMA: f32 = 0.999;
const RADIUS: f32 = 2.0;
const SD: f32 = 0.25;
/// Plot and quadrature window.
const L: f64 = 3.5;

fn ring_draw(s: &mut Stream) -> [f32; 2] {
    let a = s.below(8) as f32 * core::f32::consts::TAU / 8.0;
    let (z0, z1) = s.normal_pair();
    [RADIUS * a.cos() + SD * z0, RADIUS * a.sin() + SD * z1]
}

fn ring_density(x: f64, y: f64) -> f64 {
    let v = (SD as f64).powi(2);
    (0..8)
        .map(|k| {
            let a = k as f64 * std::f64::consts::TAU / 8.0;
            let r2 = (x - RADIUS as f64 * a.cos()).powi(2) + (y - RADIUS as f64 * a.sin()).powi(2);
            (-r2 / (2.0 * v)).exp() / (8.0 * std::f64::consts::TAU * v)
        })
        .sum()
}

/// U on an m×m grid of cell centres over [−L, L]², and log Z by the midpoint rule.
/// (A point where the model declines counts as U = ∞.)
fn grid<E: Energy>(e: &E, m: usize) -> (Vec<f64>, f64) {
    grid_log_z(m, L, |x| e.value(x).map_or(f64::INFINITY, |u| u as f64))
}

fn nll<E: Energy>(e: &E, points: &[[f32; 2]]) -> f64 {
    mean_nll(e, points, grid(e, 200).1)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = match std::env::args().nth(1).as_deref() {
        None | Some("pcd") => Mode::Pcd,
        Some("cd") => Mode::Cd,
        Some("jarzynski") => Mode::Jarzynski { ess_threshold: 0.5 },
        Some(other) => return Err(format!("unknown mode {other}: pcd, cd or jarzynski").into()),
    };
    let started = std::time::Instant::now();

    // Random hidden layers, zero output layer: U = ½α|x|² exactly.
    let mut model = Mlp::<2, H>::init_confined(2, H, Activation::Tanh, ALPHA, 2024)?;
    let walkers = Walkers::<N, 2>::from_confinement(&model, N, 7, 1.0)?;
    let sampler = Sampler::new(Ula::new(STEP)?, walkers);
    let opt = Adam::<P>::new(P, LR)?.with_clip_norm(10.0)?;
    let reinit = match mode {
        // A few walkers restart at data each update: PCD's cheap remedy for
        // modes its walkers have not found.
        Mode::Pcd => Reinit::Data { prob: 0.005 },
        _ => Reinit::Never,
    };
    let cfg = PcdConfig {
        batch_size: BATCH,
        steps: STEPS_PER_UPDATE,
        energy_l2: 1e-3,
        reinit,
        seed: 1,
        ..PcdConfig::new(mode)
    };
    let mut trainer = Pcd::<_, _, N, 2, P>::new(&model, sampler, opt, cfg)?;
    let schedule = LrSchedule::new(LR, WARMUP, UPDATES as u64, Decay::Cosine, LR * LR_FINAL)?;
    let mut ema = Ema::<P>::new(P, EMA)?;
    // The averaged model: evaluated, plotted and saved.
    let mut averaged = model.clone();
    println!(
        "training Mlp<2, {H}> ({P} parameters, tanh, α = {ALPHA}) on 8 Gaussians on a ring, {mode:?}"
    );
    println!(
        "memory: energy {} B + trainer (walkers, Adam, buffers) {} B",
        size_of::<Mlp<2, H>>(),
        size_of_val(&trainer)
    );

    let mut data = Stream::new(99, 0);
    let held_out: Vec<[f32; 2]> = (0..5000).map(|_| ring_draw(&mut data)).collect();
    let truth_nll = held_out
        .iter()
        .map(|p| -ring_density(p[0] as f64, p[1] as f64).ln())
        .sum::<f64>()
        / held_out.len() as f64;
    let mut nll_curve = vec![(0usize, nll(&model, &held_out))];
    let mut raw_curve = nll_curve.clone();
    let mut curve: Vec<Metrics> = Vec::with_capacity(UPDATES);
    let mut shown: Vec<[f32; 2]> = Vec::new();

    let bar = ProgressBar::new(UPDATES as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} updates  {elapsed_precise}  {msg}",
    )?);
    while curve.len() < UPDATES {
        schedule.apply(curve.len() as u64, trainer.optimizer_mut())?;
        let x = ring_draw(&mut data);
        if shown.len() < 2000 {
            shown.push(x);
        }
        // One point at a time, as a sensor would deliver them.
        let Some(m) = trainer.push(&mut model, &x)? else {
            continue;
        };
        ema.track(&model)?;
        curve.push(m);
        bar.inc(1);
        bar.set_message(format!("gap {:+.3}", m.gap));
        let k = curve.len();
        if k % (UPDATES / 50) == 0 {
            ema.write_into(&mut averaged)?;
            nll_curve.push((k, nll(&averaged, &held_out)));
            raw_curve.push((k, nll(&model, &held_out)));
        }
        if k % (UPDATES / 10) == 0 {
            let v = nll_curve.last().map_or(f64::NAN, |c| c.1);
            let jarzynski = if m.log_z.is_nan() {
                String::new()
            } else {
                // ρ_θ₀ ∝ exp(−½α|x|²) has log Z₀ = ln(2π/α).
                let exact = grid(&model, 200).1 - (core::f64::consts::TAU / ALPHA as f64).ln();
                format!(
                    "  log Z − log Z₀ {:.3} (quadrature {exact:.3})",
                    trainer.log_z()
                )
            };
            bar.suspend(|| {
                println!(
                    "update {k:>5}: data U {:+.3}  walker U {:+.3}  gap {:+.3}  |G| {:.3}  \
                     ESS {:.0}  held-out NLL {v:.3} (last iterate {:.3}, truth {truth_nll:.3}){jarzynski}",
                    m.data_energy,
                    m.walker_energy,
                    m.gap,
                    m.grad_norm,
                    m.ess,
                    raw_curve.last().map_or(f64::NAN, |c| c.1)
                )
            });
        }
    }
    bar.finish_and_clear();
    let last = trainer.metrics();
    println!(
        "done in {:.1} s: held-out NLL {:.3} → {:.3} (true density {truth_nll:.3}); {} updates, {} refused",
        started.elapsed().as_secs_f64(),
        nll_curve[0].1,
        nll_curve.last().map_or(f64::NAN, |c| c.1),
        last.updates,
        last.rejected
    );
    let half = &nll_curve[nll_curve.len() / 2..];
    let (lo, hi) = half
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| {
            (a.min(c.1), b.max(c.1))
        });
    println!("held-out NLL over the last half of training: min {lo:.3}, max {hi:.3}");
    let raw_half = &raw_curve[raw_curve.len() / 2..];
    let (rlo, rhi) = raw_half
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| {
            (a.min(c.1), b.max(c.1))
        });
    println!("(last iterate instead of the average: min {rlo:.3}, max {rhi:.3})");
    if let Mode::Jarzynski { .. } = mode {
        println!(
            "Jarzynski: log Z − log Z₀ ≈ {:.3}, cross-entropy ≈ {:.3} + log Z₀, {} resamplings",
            trainer.log_z(),
            last.cross_entropy,
            trainer.resamplings()
        );
    }

    // The portable format: the same bytes load in Rust, through the C API and on the MCU.
    std::fs::create_dir_all("target/weights")?;
    let path = "target/weights/train_pcd.tebm";
    averaged.save(path)?;
    let reloaded = Mlp::<2, H>::load(path)?;
    let same = reloaded == averaged;
    println!(
        "saved {} bytes of weights (the average) to {path}; reloaded {}",
        averaged.encoded_len(),
        if same { "bit-identical" } else { "DIFFERENT" }
    );
    if !same {
        return Err("reloaded weights differ".into());
    }

    draw(
        &averaged,
        trainer.sampler().samples(),
        &shown,
        &curve,
        &nll_curve,
        &raw_curve,
        truth_nll,
    )?;
    Ok(())
}

fn draw<E: Energy>(
    model: &E,
    walkers: &Walkers<N, 2>,
    data: &[[f32; 2]],
    curve: &[Metrics],
    nll_curve: &[(usize, f64)],
    raw_curve: &[(usize, f64)],
    truth_nll: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let path = "target/figures/train_pcd.svg";
    let root = figure(path, (1500, 500))?;
    let panels = root.split_evenly((1, 3));

    // Learned density exp(−U)/Z as a heat map, data and walkers on top.
    let m = 90;
    let (us, log_z) = grid(model, m);
    let dens: Vec<f64> = us.iter().map(|u| (-u - log_z).exp()).collect();
    let top = dens.iter().copied().fold(0.0, f64::max);
    let dx = 2.0 * L / m as f64;
    let caption = "learned density, data (black), walkers (red)";
    let mut c = chart(&panels[0], caption, 16, 35, -L..L, -L..L)?;
    c.configure_mesh().disable_mesh().draw()?;
    c.draw_series((0..m * m).map(|k| {
        let (i, j) = (k / m, k % m);
        let (x0, y0) = (-L + i as f64 * dx, -L + j as f64 * dx);
        let t = (dens[k] / top).sqrt();
        let color = RGBColor(
            (255.0 * (1.0 - 0.2 * t)) as u8,
            (255.0 * (1.0 - 0.8 * t)) as u8,
            (255.0 * (1.0 - 0.55 * t)) as u8,
        );
        Rectangle::new([(x0, y0), (x0 + dx, y0 + dx)], color.filled())
    }))?;
    c.draw_series(
        data.iter()
            .take(600)
            .map(|p| Circle::new((p[0] as f64, p[1] as f64), 1, BLACK.filled())),
    )?;
    let x = walkers.positions_soa();
    c.draw_series(
        (0..walkers.len()).map(|w| Circle::new((x[0][w] as f64, x[1][w] as f64), 2, RED.filled())),
    )?;

    // Energies and gap.
    let k = curve.len() as f64;
    let (lo, hi) = curve
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| {
            (
                lo.min(m.data_energy.min(m.walker_energy) as f64),
                hi.max(m.data_energy.max(m.walker_energy) as f64),
            )
        });
    let mut e = chart(
        &panels[1],
        "mean energy per update",
        16,
        45,
        0.0..k,
        lo.min(0.0)..hi,
    )?;
    e.configure_mesh().x_desc("update").draw()?;
    for (series, color, label) in [
        (0usize, BLUE, "data"),
        (1, RED, "walkers"),
        (2, GREEN, "gap (walkers − data)"),
    ] {
        e.draw_series(LineSeries::new(
            curve.iter().enumerate().map(|(i, m)| {
                let v = [m.data_energy, m.walker_energy, m.gap][series];
                (i as f64, v as f64)
            }),
            color.stroke_width(1),
        ))?
        .label(label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 15, y)], color.stroke_width(2)));
    }
    legend(&mut e, SeriesLabelPosition::MiddleRight)?;

    // Held-out NLL.
    let (nlo, nhi) = nll_curve
        .iter()
        .chain(raw_curve)
        .fold((truth_nll, truth_nll), |(lo, hi), c| {
            (lo.min(c.1), hi.max(c.1))
        });
    let caption = "held-out negative log-likelihood";
    let mut n = chart(
        &panels[2],
        caption,
        16,
        45,
        0.0..k,
        (nlo - 0.1)..(nhi + 0.1),
    )?;
    n.configure_mesh().x_desc("update").draw()?;
    let model_nll = nll_curve.iter().map(|&(i, v)| (i as f64, v));
    let raw_nll = raw_curve.iter().map(|&(i, v)| (i as f64, v));
    line(&mut n, raw_nll, RGBColor(150, 150, 230), 1, "last iterate")?;
    line(&mut n, model_nll, BLUE, 2, "average of θ (saved)")?;
    line(
        &mut n,
        [(0.0, truth_nll), (k, truth_nll)],
        RED,
        1,
        "true density",
    )?;
    legend(&mut n, SeriesLabelPosition::MiddleRight)?;
    root.present()?;
    println!("figure: {path}");
    Ok(())
}
