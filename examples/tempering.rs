//! Replica exchange vs MALA alone on the review's mixture
//! 0.7·N(0, 1) + 0.3·N(5, 0.5²), every walker started in the left mode.
//!
//!     cargo run --release --features std --example tempering
//!
//! Both samplers use MALA with the same step; replica exchange runs it at six
//! temperatures (β from 1 down to 0.1) and swaps neighbours. Cost is counted
//! in gradient evaluations per walker (replica exchange spends six per step).
//! Prints the weight of the right mode over time with binomial standard
//! errors (walkers are independent), the swap rates, the long-run weight with
//! a batch-means SE, and writes `target/figures/tempering.svg`: histograms at
//! an equal budget against the exact density, and the weight vs cost.

mod common;

// The ladder (REPLICAS, BETA_MIN, the step H), the mode split (THRESHOLD,
// right_fraction) and the exact weight are those tests/tempering.rs checks.
use common::{
    BETA_MIN, H, REPLICAS, THRESHOLD, chart, curve, figure, legend, line, mean_and_se,
    review_mixture_pdf as density, right_fraction, right_weight,
};
use plotters::prelude::*;
use tinyebm::{Mala, Mixture, NegativePhase, ReplicaExchange, Sampler, Walkers};

const WALKERS: usize = 2048;
/// Gradient evaluations per walker at which the histograms are taken.
const SNAPSHOT: usize = 240;
const BUDGET: usize = 3000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = Mixture::review_example();
    let exact = right_weight();
    let se = |p: f64| (p * (1.0 - p) / WALKERS as f64).sqrt();
    println!("ρ(x) = 0.7·N(0, 1) + 0.3·N(5, 0.5²); {WALKERS} walkers, all started from N(0, 0.5²)");
    println!("weight of the right mode (x > {THRESHOLD}): exact {exact:.4}\n");

    let start = Walkers::<WALKERS, 1>::gaussian(&target, WALKERS, 1, &[0.0], 0.5)?;
    let mut mala = Sampler::new(Mala::new(H)?, start.clone());
    mala.set_recording(false);
    let mut re = ReplicaExchange::<Mala, REPLICAS, WALKERS, 1>::geometric(
        Mala::new(H)?,
        start,
        REPLICAS,
        BETA_MIN,
        2,
    )?;

    // Weight vs cost (gradient evaluations per walker).
    let mut mala_curve = Vec::new();
    let mut re_curve = Vec::new();
    let (mut mala_snap, mut re_snap) = (Vec::new(), Vec::new());
    for cost in 1..=BUDGET {
        mala.step(&target)?;
        mala_curve.push((cost as f64, right_fraction(mala.walkers())));
        if cost % REPLICAS == 0 {
            re.step(&target)?;
            re_curve.push((cost as f64, right_fraction(re.samples())));
        }
        if cost == SNAPSHOT {
            mala_snap = mala.walkers().positions_soa()[0].to_vec();
            re_snap = re.samples().positions_soa()[0].to_vec();
        }
    }
    println!(" gradient evals   MALA alone        replica exchange   (± binomial SE)");
    for cost in [60, 120, 240, 480, 960, 1920, 3000] {
        let m = mala_curve[cost - 1].1;
        let r = re_curve[cost / REPLICAS - 1].1;
        println!(
            " {cost:>14}   {m:.3} ± {:.3}     {r:.3} ± {:.3}",
            se(m),
            se(r)
        );
    }

    println!("\nswap rates (since the start):");
    for k in 0..REPLICAS - 1 {
        let s = re.swap_stats(k).expect("pair in use");
        println!(
            "  β {:.3} ↔ {:.3}: {:.3}",
            re.betas()[k],
            re.betas()[k + 1],
            s.rate()
        );
    }

    // Long run at stationarity: time average of the β = 1 weight, SE by
    // 20 batch means.
    let mut series = Vec::new();
    for _ in 0..2000 {
        re.step(&target)?;
        series.push(right_fraction(re.samples()));
    }
    let (mean, se) = mean_and_se(&series);
    println!("\nreplica exchange, 2000 more steps: weight {mean:.4} ± {se:.4} (exact {exact:.4})");
    println!(
        "MALA alone does get there on this 1-D target, just slowly: the barrier is ≈ 4.5 nats \
         (weight {:.3} after {BUDGET} evaluations)",
        mala_curve[BUDGET - 1].1
    );

    draw(&mala_snap, &re_snap, &mala_curve, &re_curve, exact)?;
    Ok(())
}

fn draw(
    mala_snap: &[f32],
    re_snap: &[f32],
    mala_curve: &[(f64, f64)],
    re_curve: &[(f64, f64)],
    exact: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let path = "target/figures/tempering.svg";
    let root = figure(path, (1100, 440))?;
    let (left, right) = root.split_horizontally(550);

    let (lo, hi, bins) = (-4.0f64, 8.0f64, 48usize);
    let width = (hi - lo) / bins as f64;
    let hist = |x: &[f32]| {
        let mut c = vec![0f64; bins];
        for &v in x {
            let k = ((v as f64 - lo) / width).floor();
            if k >= 0.0 && (k as usize) < bins {
                c[k as usize] += 1.0 / (x.len() as f64 * width);
            }
        }
        c
    };
    let caption = format!("after {SNAPSHOT} gradient evaluations per walker");
    let mut c = chart(&left, caption, 18, 40, lo..hi, 0.0..0.45)?;
    c.configure_mesh().x_desc("x").y_desc("density").draw()?;
    for (counts, color, label) in [
        (hist(mala_snap), BLUE, "MALA alone"),
        (hist(re_snap), GREEN, "replica exchange (β = 1)"),
    ] {
        c.draw_series(counts.iter().enumerate().map(|(k, &h)| {
            let x0 = lo + k as f64 * width;
            Rectangle::new([(x0, 0.0), (x0 + width, h)], color.mix(0.3).filled())
        }))?
        .label(label)
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 15, y + 5)], color.mix(0.3).filled())
        });
    }
    line(&mut c, curve(lo, hi, density), RED, 2, "exact density")?;
    legend(&mut c, SeriesLabelPosition::MiddleRight)?;

    let cost = (1.0..BUDGET as f64).log_scale();
    let mut w = chart(&right, "weight of the mode at 5", 18, 40, cost, 0.0..0.45)?;
    w.configure_mesh()
        .x_desc("gradient evaluations per walker")
        .y_desc("fraction with x > 2.5")
        .draw()?;
    line(&mut w, mala_curve.iter().copied(), BLUE, 2, "MALA alone")?;
    line(
        &mut w,
        re_curve.iter().copied(),
        GREEN,
        2,
        "replica exchange",
    )?;
    let flat = [(1.0, exact), (BUDGET as f64, exact)];
    line(&mut w, flat, RED, 1, "exact")?;
    legend(&mut w, SeriesLabelPosition::LowerRight)?;
    root.present()?;
    println!("\nfigure: {path}");
    Ok(())
}
