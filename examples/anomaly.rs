//! Online anomaly detection: learn the energy of normal sensor readings from
//! a stream, one reading at a time, then score new readings by their energy.
//!
//!     cargo run --release --features std --example anomaly
//!
//! A simulated machine reports four standardised readings (temperature,
//! current, vibration, humidity) driven by one latent load that switches
//! between idle and running, so normal readings lie near a curved,
//! two-cluster set with strong correlations. An `Mlp<4, 16>` energy learns
//! them online with PCD (64 ULA walkers taking 20 steps of h = 0.005, an
//! update every 16 readings, the energy regulariser λ = 0.01 keeping the
//! model from digging wells the walkers cannot follow); the
//! whole state — energy, walkers, optimiser, buffers — is a fixed number of
//! bytes, printed below. Anomalies (a sensor fault that breaks the
//! correlations, spikes, a slow drift off the normal set) are then mixed with
//! fresh normal readings, and the AUROC of the energy score is computed
//! exactly with the rank (Mann–Whitney) statistic.

use tinyebm::{
    Activation, Adam, Energy, Mlp, Mode, Optimizer, Pcd, PcdConfig, Persist, Reinit, Sampler,
    Stream, Ula, Walkers, mlp_param_count,
};

const D: usize = 4;
const H: usize = 16;
const P: usize = mlp_param_count(D, H);
const N: usize = 64;
const TRAIN: usize = 200_000;
const LR: f32 = 1e-3;

type Trainer = Pcd<Sampler<Ula, N, D>, Adam<P>, N, D, P>;

/// One normal reading: load ℓ ≈ −1 (idle, 60 %) or +1 (running), then
/// temperature, current, vibration and humidity as noisy functions of it.
fn normal(s: &mut Stream) -> [f32; D] {
    let mut z = [0f32; 6];
    s.fill_normal(&mut z);
    let load = if s.uniform() < 0.6 { -1.0 } else { 1.0 } + 0.15 * z[0];
    let temp = 0.8 * load + 0.25 * z[1];
    let current = 0.9 * load + 0.15 * z[2];
    let vibration = 0.4 * load + 0.5 * current * current - 0.5 + 0.2 * z[3];
    let humidity = -0.6 * temp + 0.3 * z[4];
    [temp, current, vibration, humidity]
}

/// One anomaly of three kinds, each plausible coordinate by coordinate.
fn anomaly(s: &mut Stream) -> [f32; D] {
    let mut x = normal(s);
    match s.below(3) {
        // Sensor fault: the current reads as the other regime's.
        0 => x[1] = -x[1],
        // Spike on one channel.
        1 => x[s.below(D as u32) as usize] += if s.uniform() < 0.5 { 1.5 } else { -1.5 },
        // Drift off the normal set: humidity no longer tracks temperature.
        _ => x[3] += 0.6 * x[0] + 0.9,
    }
    x
}

/// AUROC = P(score of an anomaly > score of a normal point), ties counted ½:
/// the Mann–Whitney statistic from average ranks.
fn auroc(normal: &[f32], anomalous: &[f32]) -> f64 {
    let mut all: Vec<(f32, bool)> = normal
        .iter()
        .map(|&v| (v, false))
        .chain(anomalous.iter().map(|&v| (v, true)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0f64;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg = (i + j + 2) as f64 / 2.0;
        rank_sum += avg * all[i..=j].iter().filter(|p| p.1).count() as f64;
        i = j + 1;
    }
    let (n1, n0) = (anomalous.len() as f64, normal.len() as f64);
    (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

fn scores<E: Energy>(e: &E, xs: &[[f32; D]]) -> Vec<f32> {
    xs.iter().map(|x| e.value(x).unwrap()).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    let mut model = Mlp::<D, H>::init(D, H, Activation::Tanh, 0.5, 11)?;
    let walkers = Walkers::<N, D>::gaussian(&model, N, 3, &[0.0; D], 1.0)?;
    let cfg = PcdConfig {
        batch_size: 16,
        steps: 20,
        energy_l2: 0.01,
        reinit: Reinit::Data { prob: 0.01 },
        seed: 5,
        ..PcdConfig::new(Mode::Pcd)
    };
    let opt = Adam::<P>::new(P, LR)?.with_clip_norm(10.0)?;
    let mut trainer = Trainer::new(&model, Sampler::new(Ula::new(0.005)?, walkers), opt, cfg)?;

    println!("memory footprint (fixed, no heap):");
    println!(
        "  energy  Mlp<{D}, {H}>        {:>7} B",
        size_of::<Mlp<D, H>>()
    );
    println!(
        "  trainer Pcd<Ula, {N} walkers> {:>7} B  (of which Adam<{P}> {} B)",
        size_of::<Trainer>(),
        size_of::<Adam<P>>()
    );
    println!(
        "  total                     {:>7} B",
        size_of::<Mlp<D, H>>() + size_of::<Trainer>()
    );

    let mut test_stream = Stream::new(2, 0);
    let test_normal: Vec<[f32; D]> = (0..4000).map(|_| normal(&mut test_stream)).collect();
    let test_anomalous: Vec<[f32; D]> = (0..400).map(|_| anomaly(&mut test_stream)).collect();
    let report = |model: &Mlp<D, H>, label: &str| {
        let a = auroc(
            &scores(model, &test_normal),
            &scores(model, &test_anomalous),
        );
        println!("{label}: AUROC {a:.4}");
        a
    };
    report(&model, "before training (random network)      ");

    let mut stream = Stream::new(1, 0);
    for t in 1..=TRAIN {
        if trainer.push(&mut model, &normal(&mut stream))?.is_some() {
            // Linear learning-rate decay to a tenth over the stream.
            let lr = LR * (1.0 - 0.9 * t as f32 / TRAIN as f32);
            trainer.optimizer_mut().set_learning_rate(lr)?;
        }
        if t % (TRAIN / 4) == 0 {
            let m = trainer.metrics();
            println!(
                "after {t:>6} readings ({:>4} updates): data U {:+.3}, walker U {:+.3}, |G| {:.3}",
                m.updates, m.data_energy, m.walker_energy, m.grad_norm
            );
        }
    }
    let a = report(&model, "after training on normal readings     ");
    println!(
        "{} updates, {} refused; {:.1} s",
        trainer.updates(),
        trainer.rejected(),
        started.elapsed().as_secs_f64()
    );
    // What a device would store: the learned detector in the portable format.
    let mut bytes = [0u8; 4096];
    let len = model.encode(&mut bytes)?;
    let restored = Mlp::<D, H>::decode(&bytes[..len])?;
    println!(
        "weights: {len} bytes (format v{}), restored model scores {}",
        tinyebm::weights::VERSION,
        if report(&restored, "restored from bytes                   ") == a {
            "identically"
        } else {
            "DIFFERENTLY"
        }
    );
    if a < 0.9 {
        return Err(format!("AUROC {a:.3} below 0.9").into());
    }
    Ok(())
}
