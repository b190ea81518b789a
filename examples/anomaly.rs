//! Anomaly detection on the device: learn the energy of normal sensor
//! readings from a finite training set, stop training when held-out data
//! stop improving, calibrate an alarm threshold with a guaranteed
//! false-alarm rate, then score new readings by their energy.
//!
//!     cargo run --release --features std --example anomaly
//!
//! A simulated machine reports four standardised readings (temperature,
//! current, vibration, humidity) driven by one latent load that switches
//! between idle and running, so normal readings lie near a curved,
//! two-cluster set with strong correlations. The device records 600 normal
//! readings and splits them: 300 to train on, 100 to decide when to stop,
//! 200 to calibrate the threshold. An `Mlp<4, 16>` energy learns the
//! training readings with PCD (64 ULA walkers taking 20 steps of h = 0.005,
//! batches of 16 readings in shuffled epochs, the energy regulariser
//! λ = 0.01, the moving average of θ as the model). Every 100 updates the
//! average is scored by its held-out negative log-likelihood on the
//! validation readings (log Z by AIS); [`EarlyStop`] keeps the best and
//! stops after 5 evaluations without an improvement larger than the AIS
//! standard error (a fixed budget of 200k readings overfits a finite set:
//! data energy far below the walkers'). [`Threshold`] then takes the
//! ⌈(n + 1)(1 − α)⌉-th smallest calibration energy as τ, so a new normal
//! reading raises a false alarm with probability at most α = 5 %.
//!
//! Anomalies (a sensor fault that breaks the correlations, spikes, a slow
//! drift off the normal set) are mixed with fresh normal readings: the
//! example prints the false-alarm rate on 20,000 fresh normal readings
//! against α, the detection rate, and the AUROC of the energy score
//! against that of the untrained start (½α|x|² plus a random network). The
//! whole state — energy, walkers, optimiser, average, best model — is a
//! fixed number of bytes, printed below.

use tinyebm::anomaly::scores;
use tinyebm::{
    Activation, Adam, Ais, AisConfig, Base, EarlyStop, Ema, Energy, Mala, Mlp, Mode, Pcd,
    PcdConfig, Persist, Reinit, Sampler, Stream, Threshold, Trainable, Ula, Walkers, auroc,
    held_out_nll, mlp_param_count,
};

const D: usize = 4;
const H: usize = 16;
const P: usize = mlp_param_count(D, H);
const N: usize = 64;
const LR: f32 = 1e-3;
/// Normal readings recorded: to train on, to stop by, to calibrate with.
const TRAIN: usize = 300;
const VAL: usize = 100;
const CAL: usize = 200;
/// Nominal false-alarm rate.
const ALPHA: f32 = 0.05;
const MAX_UPDATES: u64 = 20_000;
const EVERY: u64 = 200;
const PATIENCE: u32 = 8;

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

fn flat(xs: &[[f32; D]]) -> Vec<f32> {
    xs.concat()
}

fn energies<E: Energy>(e: &E, xs: &[[f32; D]]) -> Vec<f32> {
    let mut out = vec![0f32; xs.len()];
    scores(e, &flat(xs), &mut out).unwrap();
    out
}

/// Held-out NLL of `e` on `val` (log Z by AIS from N(0, I/α), 64 walkers,
/// 1000 temperatures) and the AIS standard error; NaN when the AIS weights
/// are too uneven to trust.
fn val_nll<E: Energy>(e: &E, val: &[f32], seed: u64) -> Result<(f32, f32), tinyebm::Error> {
    let base = Base::<D>::new(&[0.0; D], &[1.0 / 0.5f32.sqrt(); D])?;
    let mut ais = Ais::<_, 64, D>::new(Mala::new(0.05)?, base);
    let z = ais.run(
        e,
        &AisConfig {
            seed,
            ..AisConfig::new(64, 1000)
        },
    )?;
    if !z.is_reliable() {
        return Ok((f32::NAN, f32::INFINITY));
    }
    Ok((held_out_nll(e, 1.0, val, z.log_z, z.se)?.nll, z.se))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    // What the device recorded.
    let mut rec = Stream::new(1, 0);
    let train: Vec<[f32; D]> = (0..TRAIN).map(|_| normal(&mut rec)).collect();
    let val: Vec<[f32; D]> = (0..VAL).map(|_| normal(&mut rec)).collect();
    let cal: Vec<[f32; D]> = (0..CAL).map(|_| normal(&mut rec)).collect();
    // What it meets later.
    let mut test_stream = Stream::new(2, 0);
    let test_normal: Vec<[f32; D]> = (0..20_000).map(|_| normal(&mut test_stream)).collect();
    let test_anomalous: Vec<[f32; D]> = (0..2000).map(|_| anomaly(&mut test_stream)).collect();

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
    let mut ema = Ema::<P>::new(P, 0.99)?;
    let mut stop = EarlyStop::<P>::new(P, PATIENCE)?;
    // The start is a candidate too: training must beat it on validation data.
    let mut theta = [0f32; P];
    model.params(&mut theta)?;
    let (nll, se) = val_nll(&model, &flat(&val), 99)?;
    stop.offer(nll, se, 0, &theta)?;

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
        "  Ema<{P}> + EarlyStop<{P}>     {:>7} B",
        size_of::<Ema<P>>() + size_of::<EarlyStop<P>>()
    );
    println!(
        "  total                     {:>7} B",
        size_of::<Mlp<D, H>>()
            + size_of::<Trainer>()
            + size_of::<Ema<P>>()
            + size_of::<EarlyStop<P>>()
    );
    println!("recorded normal readings: {TRAIN} train, {VAL} validation, {CAL} calibration");

    let untrained = auroc(
        &energies(&model, &test_normal),
        &energies(&model, &test_anomalous),
    )
    .unwrap();
    println!("untrained start (½α|x|² + random network): AUROC {untrained:.4}");

    // Shuffled epochs over the training readings.
    let mut order = Stream::new(4, 0);
    let mut idx: Vec<usize> = (0..TRAIN).collect();
    let mut cursor = TRAIN;
    let mut eval_model = model.clone();
    let val_flat = flat(&val);
    let mut batch = [0f32; 16 * D];
    while trainer.updates() < MAX_UPDATES {
        for b in batch.chunks_exact_mut(D) {
            if cursor == TRAIN {
                for i in (1..TRAIN).rev() {
                    idx.swap(i, order.below(i as u32 + 1) as usize);
                }
                cursor = 0;
            }
            b.copy_from_slice(&train[idx[cursor]]);
            cursor += 1;
        }
        if trainer.push_batch(&mut model, &batch).is_err() {
            trainer.clear_batch(); // refused: θ unchanged, drop the batch
        }
        model.params(&mut theta)?;
        ema.update(&theta)?;
        let k = trainer.updates();
        if k % EVERY == 0 {
            ema.write_into(&mut eval_model)?;
            let (nll, se) = val_nll(&eval_model, &val_flat, 100 + k)?;
            let m = trainer.metrics();
            let done = stop.offer(nll, se, k, ema.params())?;
            if k % 1000 == 0 || done {
                println!(
                    "update {k:>5}: validation NLL {nll:.3} (AIS SE {se:.3}) | data U {:+.3}, walker U {:+.3}",
                    m.data_energy, m.walker_energy
                );
            }
            if done {
                break;
            }
        }
    }
    stop.write_into(&mut model)?;
    println!(
        "stopped after {} updates ({} refused); kept update {} (validation NLL {:.3})",
        trainer.updates(),
        trainer.rejected(),
        stop.best().at(),
        stop.best().score()
    );

    // Calibrate on readings neither trained on nor used to stop.
    let mut cal_scores = energies(&model, &cal);
    let th = Threshold::calibrate(&mut cal_scores, ALPHA)?;
    let normal_scores = energies(&model, &test_normal);
    let anomalous_scores = energies(&model, &test_anomalous);
    let false_alarms = normal_scores
        .iter()
        .filter(|&&s| th.is_anomalous(s))
        .count();
    let detected = anomalous_scores
        .iter()
        .filter(|&&s| th.is_anomalous(s))
        .count();
    let far = false_alarms as f64 / normal_scores.len() as f64;
    let se = (far * (1.0 - far) / normal_scores.len() as f64).sqrt();
    println!(
        "threshold τ = {:.3} (rank {} of {} calibration energies): false alarms on {} fresh normal readings {:.4} ± {se:.4}, nominal α = {ALPHA} (expected over calibration sets {:.4}); anomalies detected {:.3}",
        th.tau(),
        th.rank(),
        th.points(),
        normal_scores.len(),
        far,
        th.expected_rate(),
        detected as f64 / anomalous_scores.len() as f64
    );
    let a = auroc(&normal_scores, &anomalous_scores).unwrap();
    println!(
        "trained: AUROC {a:.4} (untrained start {untrained:.4}, {:+.4})",
        a - untrained
    );
    println!("{:.1} s", started.elapsed().as_secs_f64());

    // What a device would store: the learned detector in the portable format.
    let mut bytes = [0u8; 4096];
    let len = model.encode(&mut bytes)?;
    let restored = Mlp::<D, H>::decode(&bytes[..len])?;
    let same = energies(&restored, &test_normal) == normal_scores;
    println!(
        "weights: {len} bytes (format v{}), restored model scores {}",
        tinyebm::weights::VERSION,
        if same { "identically" } else { "DIFFERENTLY" }
    );
    if a < 0.9 || !same {
        return Err(format!("AUROC {a:.3} below 0.9 or restored model differs").into());
    }
    Ok(())
}
