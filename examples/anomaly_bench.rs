//! Does learning add something? Anomaly scores on small real data sets: the
//! trained EBM energy against its own untrained start and scikit-learn's
//! baselines, by test AUROC.
//!
//!     python3 -m venv target/peers-venv
//!     target/peers-venv/bin/pip install -r benches/peers/anomaly_requirements.txt
//!     target/peers-venv/bin/python benches/peers/anomaly_data.py
//!     cargo run --release --features std --example anomaly_bench [-- --set key=value,…]
//!
//! The Python script exports the tasks (one class of iris, wine, breast
//! cancer, PCA-reduced digits is normal, the other classes are anomalies;
//! standardised; train / validation / test) to `target/anomaly-data/` with
//! the baselines' AUROC. This example trains, per task and seed, an MLP
//! energy on the training normals with PCD ([`Recipe`]), scores the
//! validation normals every `every` updates by their held-out negative
//! log-likelihood (log Z by AIS) and stops with [`EarlyStop`]; the kept
//! model (best validation NLL) is scored on the test set. Nothing is tuned
//! on test data. It prints, per task, the AUROC of the untrained start
//! (½α|x|² plus the random network), of the trained model, their
//! difference, and the baselines.

use std::collections::BTreeMap;
use std::time::Instant;
use tinyebm::{
    Activation, Adam, Ais, AisConfig, Base, DeepMlp, EarlyStop, Ema, Energy, Mala, Mlp, Mode, Pcd,
    PcdConfig, Reinit, Sampler, Stream, Trainable, Ula, Walkers, auroc, deep_mlp_param_count,
    held_out_nll, mlp_param_count,
};

/// Capacities: dimension, width, walkers, AIS walkers.
const D: usize = 32;
const H: usize = 16;
const N: usize = 128;
const NA: usize = 64;
const P: usize = mlp_param_count(D, H);
const PD: usize = deep_mlp_param_count(D, &[H, H, H]);

const TASKS: [&str; 5] = [
    "iris-versicolor",
    "iris-virginica",
    "wine-1",
    "cancer-benign",
    "digits-8-pca16",
];

#[derive(Clone, Debug)]
struct Recipe {
    /// "mlp" (d → h → h → 1) or "deep" (d → h → h → h → 1).
    model: String,
    hidden: usize,
    alpha: f32,
    /// Zero the output layer at the start: the initial density is exactly
    /// the confinement Gaussian N(0, I/α).
    zero_out: bool,
    lr: f32,
    batch: usize,
    walkers: usize,
    steps: usize,
    step: f32,
    energy_l2: f32,
    weight_decay: f32,
    reinit: f32,
    ema: f32,
    max_updates: usize,
    /// Updates between held-out evaluations.
    every: usize,
    patience: u32,
    ais_temps: usize,
    ais_step: f32,
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            model: "mlp".into(),
            hidden: 16,
            // By validation NLL, better than 0.5 on 3 of 5 tasks and on average.
            alpha: 1.0,
            zero_out: true,
            lr: 1e-3,
            batch: 16,
            walkers: 64,
            steps: 20,
            step: 0.005,
            energy_l2: 0.01,
            weight_decay: 0.0,
            reinit: 0.01,
            ema: 0.99,
            max_updates: 10_000,
            every: 100,
            patience: 5,
            ais_temps: 200,
            ais_step: 0.05,
        }
    }
}

impl Recipe {
    fn set(&mut self, kv: &str) -> Result<(), String> {
        let (k, v) = kv.split_once('=').ok_or(format!("{kv}: want key=value"))?;
        let f = || v.parse::<f32>().map_err(|e| format!("{kv}: {e}"));
        let u = || v.parse::<usize>().map_err(|e| format!("{kv}: {e}"));
        match k {
            "model" => self.model = v.into(),
            "hidden" => self.hidden = u()?.min(H),
            "alpha" => self.alpha = f()?,
            "zero_out" => self.zero_out = v.parse().map_err(|e| format!("{kv}: {e}"))?,
            "lr" => self.lr = f()?,
            "batch" => self.batch = u()?,
            "walkers" => self.walkers = u()?.min(N),
            "steps" => self.steps = u()?,
            "step" => self.step = f()?,
            "energy_l2" => self.energy_l2 = f()?,
            "weight_decay" => self.weight_decay = f()?,
            "reinit" => self.reinit = f()?,
            "ema" => self.ema = f()?,
            "max_updates" => self.max_updates = u()?,
            "every" => self.every = u()?,
            "patience" => self.patience = u()? as u32,
            "ais_temps" => self.ais_temps = u()?,
            "ais_step" => self.ais_step = f()?,
            _ => return Err(format!("unknown recipe field {k}")),
        }
        Ok(())
    }
}

struct Task {
    name: String,
    d: usize,
    train: Vec<f32>,
    val: Vec<f32>,
    test: Vec<f32>,
    label: Vec<bool>,
}

fn read_csv(path: &str) -> Result<Vec<Vec<f32>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{path}: {e}; run `target/peers-venv/bin/python benches/peers/anomaly_data.py` first"
        )
    })?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(',')
                .map(|v| v.parse::<f32>().map_err(|e| format!("{path}: {e}")))
                .collect()
        })
        .collect()
}

fn load(dir: &str, name: &str) -> Result<Task, String> {
    let tr = read_csv(&format!("{dir}/{name}/train.csv"))?;
    let d = tr[0].len();
    let va = read_csv(&format!("{dir}/{name}/val.csv"))?;
    let te = read_csv(&format!("{dir}/{name}/test.csv"))?;
    Ok(Task {
        name: name.into(),
        d,
        train: tr.concat(),
        val: va.concat(),
        test: te.iter().flat_map(|r| r[..d].to_vec()).collect(),
        label: te.iter().map(|r| r[d] > 0.5).collect(),
    })
}

fn test_auroc<E: Energy>(e: &E, t: &Task) -> f64 {
    net_auroc(e, t, 0.0)
}

/// AUROC of U(x) − ½α|x|²: with `alpha` the confinement, what the network
/// alone contributes to the score.
fn net_auroc<E: Energy>(e: &E, t: &Task, alpha: f32) -> f64 {
    let (mut normal, mut anomalous) = (Vec::new(), Vec::new());
    for (x, &a) in t.test.chunks_exact(t.d).zip(&t.label) {
        let conf = 0.5 * alpha * x.iter().map(|v| v * v).sum::<f32>();
        let u = e.value(x).map_or(f32::NAN, |u| u - conf);
        if a { &mut anomalous } else { &mut normal }.push(u);
    }
    auroc(&normal, &anomalous).unwrap()
}

/// Held-out NLL on the validation normals (log Z by AIS from the
/// confinement Gaussian) and the SE of the AIS estimate.
fn val_nll<E: Energy>(e: &E, t: &Task, r: &Recipe, seed: u64) -> (f32, f32) {
    let sd = vec![1.0 / r.alpha.sqrt(); t.d];
    let base = Base::<D>::new(&vec![0.0; t.d], &sd).unwrap();
    let mut ais = Ais::<_, NA, D>::new(Mala::new(r.ais_step).unwrap(), base);
    let cfg = AisConfig {
        seed,
        ..AisConfig::new(NA, r.ais_temps)
    };
    match ais.run(e, &cfg) {
        // Weights on a few walkers: log Z is then most likely too low (a
        // narrow well the walkers missed), and the NLL flattering: no score.
        Ok(z) if !z.is_reliable() => (f32::NAN, f32::INFINITY),
        Ok(z) => match held_out_nll(e, 1.0, &t.val, z.log_z, z.se) {
            Ok(h) => (h.nll, z.se),
            Err(_) => (f32::NAN, f32::INFINITY),
        },
        Err(_) => (f32::NAN, f32::INFINITY),
    }
}

struct Run {
    untrained: f64,
    trained: f64,
    net: f64,
    last: f64,
    kept_at: u64,
    updates: u64,
    val_untrained: f32,
    val_best: f32,
    data_u: f32,
    walker_u: f32,
}

fn run_model<E: Trainable + Clone, const PP: usize>(
    mut model: E,
    t: &Task,
    r: &Recipe,
    seed: u64,
) -> Result<Run, Box<dyn std::error::Error>> {
    let p = model.num_params();
    if r.zero_out {
        // The output layer is the last h + 1 parameters (w_out, b_out).
        let mut theta = vec![0f32; p];
        model.params(&mut theta)?;
        theta[p - r.hidden - 1..].fill(0.0);
        model.set_params(&theta)?;
    }
    let untrained = test_auroc(&model, t);
    let (val_untrained, se0) = val_nll(&model, t, r, 4999);
    let walkers = Walkers::<N, D>::gaussian(
        &model,
        r.walkers,
        2000 + seed,
        &vec![0.0; t.d],
        1.0 / r.alpha.sqrt(),
    )?;
    let opt = Adam::<PP>::new(p, r.lr)?
        .with_clip_norm(10.0)?
        .with_weight_decay(r.weight_decay)?;
    let cfg = PcdConfig {
        batch_size: r.batch,
        steps: r.steps,
        energy_l2: r.energy_l2,
        reinit: if r.reinit > 0.0 {
            Reinit::Data { prob: r.reinit }
        } else {
            Reinit::Never
        },
        seed: 3000 + seed,
        ..PcdConfig::new(Mode::Pcd)
    };
    let mut trainer =
        Pcd::<_, _, N, D, PP>::new(&model, Sampler::new(Ula::new(r.step)?, walkers), opt, cfg)?;
    let mut ema = Ema::<PP>::new(p, r.ema)?;
    let mut stop = EarlyStop::<PP>::new(p, r.patience)?;
    // The start is a candidate too: training must beat it on validation data.
    let mut theta0 = vec![0f32; p];
    model.params(&mut theta0)?;
    stop.offer(val_untrained, se0, 0, &theta0)?;
    let mut eval_model = model.clone();
    let m = t.train.len() / t.d;
    let mut order = Stream::new(4000 + seed, 0);
    let mut idx: Vec<usize> = (0..m).collect();
    let mut cursor = m;
    let mut batch = vec![0f32; t.d * r.batch];
    let mut theta = vec![0f32; p];
    let mut k = 0u64;
    while (k as usize) < r.max_updates {
        for b in batch.chunks_exact_mut(t.d) {
            if cursor == m {
                for i in (1..m).rev() {
                    idx.swap(i, order.below(i as u32 + 1) as usize);
                }
                cursor = 0;
            }
            b.copy_from_slice(&t.train[idx[cursor] * t.d..(idx[cursor] + 1) * t.d]);
            cursor += 1;
        }
        if trainer.push_batch(&mut model, &batch).is_err() {
            trainer.clear_batch();
        }
        model.params(&mut theta)?;
        ema.update(&theta)?;
        k += 1;
        if k % r.every as u64 == 0 {
            ema.write_into(&mut eval_model)?;
            let (nll, se) = val_nll(&eval_model, t, r, 5000 + k);
            if stop.offer(nll, se, k, ema.params())? {
                break;
            }
        }
    }
    let last = {
        ema.write_into(&mut eval_model)?;
        test_auroc(&eval_model, t)
    };
    if stop.write_into(&mut eval_model).is_err() {
        ema.write_into(&mut eval_model)?;
    }
    let mtr = trainer.metrics();
    Ok(Run {
        untrained,
        trained: test_auroc(&eval_model, t),
        net: net_auroc(&eval_model, t, r.alpha),
        last,
        kept_at: stop.best().at(),
        updates: k,
        val_untrained,
        val_best: stop.best().score(),
        data_u: mtr.data_energy,
        walker_u: mtr.walker_energy,
    })
}

fn run(t: &Task, r: &Recipe, seed: u64) -> Result<Run, String> {
    let act = Activation::Tanh;
    let res = match r.model.as_str() {
        "mlp" => {
            let m = Mlp::<D, H>::init(t.d, r.hidden, act, r.alpha, 1000 + seed)
                .map_err(|e| e.to_string())?;
            run_model::<_, P>(m, t, r, seed)
        }
        "deep" => {
            let w = [r.hidden; 3];
            let m = DeepMlp::<D, H, 2>::init(t.d, &w, act, r.alpha, 1000 + seed)
                .map_err(|e| e.to_string())?;
            run_model::<_, PD>(m, t, r, seed)
        }
        other => return Err(format!("unknown model {other}")),
    };
    res.map_err(|e| e.to_string())
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut recipe = Recipe::default();
    let mut seeds = 5usize;
    let mut dir = "target/anomaly-data".to_string();
    let mut only: Option<Vec<String>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--set" => {
                for kv in val()?.split(',') {
                    recipe.set(kv)?;
                }
            }
            "--seeds" => seeds = val()?.parse()?,
            "--data" => dir = val()?,
            "--tasks" => only = Some(val()?.split(',').map(String::from).collect()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    // Baselines: task → method → (setting, AUROCs over seeds).
    let mut base: BTreeMap<String, BTreeMap<String, (String, Vec<f64>)>> = BTreeMap::new();
    let text = std::fs::read_to_string(format!("{dir}/baselines.csv")).map_err(|e| {
        format!("{dir}/baselines.csv: {e}; run `target/peers-venv/bin/python benches/peers/anomaly_data.py` first")
    })?;
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let e = base
            .entry(f[0].into())
            .or_default()
            .entry(f[1].into())
            .or_insert((f[2].into(), Vec::new()));
        e.1.push(f[4].parse()?);
    }
    println!("recipe: {recipe:?}");
    let started = Instant::now();
    let mut table = Vec::new();
    for name in TASKS {
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == name)) {
            continue;
        }
        let t = load(&dir, name)?;
        let runs: Vec<Run> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..2)
                .map(|th| {
                    let (t, r) = (&t, &recipe);
                    sc.spawn(move || {
                        (0..seeds as u64)
                            .skip(th)
                            .step_by(2)
                            .map(|s| (s, run(t, r, s)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all: Vec<(u64, Result<Run, String>)> =
                hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
            all.sort_by_key(|x| x.0);
            all.into_iter().map(|x| x.1).collect::<Result<Vec<_>, _>>()
        })?;
        println!(
            "{} (d = {}, train {}, val {}, test {} normal / {} anomalies):",
            t.name,
            t.d,
            t.train.len() / t.d,
            t.val.len() / t.d,
            t.label.iter().filter(|&&a| !a).count(),
            t.label.iter().filter(|&&a| a).count()
        );
        for (s, r) in runs.iter().enumerate() {
            println!(
                "  seed {s}: untrained {:.4} trained {:.4} ({:+.4}; network part alone {:.4}) | last EMA {:.4} | kept at {} of {} updates, val NLL {:.2} → {:.2} | data U {:+.2} walker U {:+.2}",
                r.untrained,
                r.trained,
                r.trained - r.untrained,
                r.net,
                r.last,
                r.kept_at,
                r.updates,
                r.val_untrained,
                r.val_best,
                r.data_u,
                r.walker_u
            );
        }
        let un: Vec<f64> = runs.iter().map(|r| r.untrained).collect();
        let tr: Vec<f64> = runs.iter().map(|r| r.trained).collect();
        let diff: Vec<f64> = runs.iter().map(|r| r.trained - r.untrained).collect();
        let sd = (diff.iter().map(|d| (d - mean(&diff)).powi(2)).sum::<f64>()
            / (diff.len().max(2) - 1) as f64)
            .sqrt();
        let vb: Vec<f64> = runs.iter().map(|r| r.val_best as f64).collect();
        let vu: Vec<f64> = runs.iter().map(|r| r.val_untrained as f64).collect();
        println!(
            "  validation NLL: untrained {:.3}, kept {:.3}",
            mean(&vu),
            mean(&vb)
        );
        let b = base.get(name).cloned().unwrap_or_default();
        let bl = |m: &str| b.get(m).map_or(f64::NAN, |x| mean(&x.1));
        println!(
            "  mean: untrained {:.4} trained {:.4} difference {:+.4} ± {:.4} (SE over seeds) | |x|² {:.4} KDE {:.4} GMM {:.4} IsolationForest {:.4} OneClassSVM {:.4}",
            mean(&un),
            mean(&tr),
            mean(&diff),
            sd / (diff.len() as f64).sqrt(),
            bl("|x|^2"),
            bl("KDE"),
            bl("GMM"),
            bl("IsolationForest"),
            bl("OneClassSVM")
        );
        table.push((
            name,
            mean(&un),
            mean(&tr),
            mean(&diff),
            sd / (diff.len() as f64).sqrt(),
            [
                bl("|x|^2"),
                bl("KDE"),
                bl("GMM"),
                bl("IsolationForest"),
                bl("OneClassSVM"),
            ],
        ));
    }
    println!(
        "\n| task | untrained | trained | trained − untrained (SE) | ‖x‖² | KDE | GMM | IsolationForest | OneClassSVM |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, un, tr, d, se, b) in &table {
        println!(
            "| {name} | {un:.3} | {tr:.3} | {d:+.3} ({se:.3}) | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            b[0], b[1], b[2], b[3], b[4]
        );
    }
    println!("{seeds} seeds; {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
