//! A density-estimation benchmark anyone can rerun: the default training
//! recipe against classical density estimators on five public 2-D tasks.
//!
//!     cargo run --release --features std --example density [-- --quick] [-- --check]
//!
//! Tasks (the usual "toy 2-D" generators, as in FFJORD's `toy_data.py`; each
//! with a fixed data seed and train / validation / test splits): eight
//! Gaussians on a ring (radius 2, sd 0.25: `train_pcd`'s task, true density
//! known), two moons, pinwheel, two spirals, swiss roll.
//!
//! For each task it trains an `Mlp<2, 32>` energy with the default recipe of
//! each objective (PCD with ULA walkers; energy discrepancy, `Ed`, without
//! walkers; fixed memory, everything the device has) over 5 seeds, and fits in
//! the same run a Gaussian KDE (bandwidth chosen on the validation split)
//! and a Gaussian mixture fitted by EM (components and restart chosen on the
//! validation split). It prints the test NLL of each (the EBM's normalised
//! by grid quadrature), the truth where known, updates/s and the bytes of
//! model + trainer, and writes `target/figures/density.svg`.
//!
//! After the 2-D tasks it runs one 4-D task, `ring4` (the ring in (x₁, x₂)
//! times a correlated Gaussian in (x₃, x₄), true density known), with
//! `Mlp<4, 32>` and the same recipes; its log Z is estimated by annealed
//! importance sampling (`tinyebm::Ais`, checked first against the exact
//! log Z of the untrained confined start) and the held-out NLL is printed
//! with its standard error and the ESS, next to KDE, GMM and the truth
//! (report only: no `--check` target). `--tasks ring4` runs it alone,
//! `--updates4 N` sets its updates (`--quick`: 300).
//!
//! Options: `--quick` (1 seed, few updates, small splits: a CI smoke test),
//! `--check` (exit non-zero when a target is missed), `--tasks ring,moons`,
//! `--seeds 3`, `--updates 5000`, `--objectives pcd,ed` (the default; the
//! targets of `--check` are the first objective's), `--set key=value,…`
//! (override recipe fields of every objective for tuning; see `Recipe`).

mod common;

use common::{chart, figure, grid_log_z};
use plotters::prelude::*;
use std::time::Instant;
use tinyebm::{
    Activation, Adam, Ais, AisConfig, Base, Best, Confined, Decay, Ed, EdConfig, Ema, Energy,
    LrSchedule, Mala, Mlp, Mode, Pcd, PcdConfig, Reinit, Sampler, Stream, Trainable, Ula, Walkers,
    ais::pool, held_out_nll, mlp_param_count,
};

const N: usize = 256;
const H: usize = 32;
const P: usize = mlp_param_count(2, H);
/// Evaluations per energy-discrepancy block: 32 data points with 8
/// negatives each, a multiple of the MLP's lane count.
const KB: usize = 288;
/// Quadrature window [−L, L]² and grid (cells of 0.045).
const L: f64 = 4.5;
const GRID: usize = 200;

type Point = [f32; 2];

// ---------------------------------------------------------------- tasks

#[derive(Clone, Copy, Debug, PartialEq)]
enum Task {
    Ring,
    Moons,
    Pinwheel,
    Spirals,
    SwissRoll,
}

const TASKS: [Task; 5] = [
    Task::Ring,
    Task::Moons,
    Task::Pinwheel,
    Task::Spirals,
    Task::SwissRoll,
];

impl Task {
    fn name(self) -> &'static str {
        match self {
            Task::Ring => "ring",
            Task::Moons => "moons",
            Task::Pinwheel => "pinwheel",
            Task::Spirals => "spirals",
            Task::SwissRoll => "swissroll",
        }
    }

    /// One draw.
    fn draw(self, s: &mut Stream) -> Point {
        use std::f32::consts::{PI, TAU};
        match self {
            Task::Ring => {
                let a = s.below(8) as f32 * TAU / 8.0;
                let (z0, z1) = s.normal_pair();
                [2.0 * a.cos() + 0.25 * z0, 2.0 * a.sin() + 0.25 * z1]
            }
            // sklearn make_moons(noise = 0.1) with t uniform on [0, π], then
            // ×2 + (−1, −0.2) (FFJORD).
            Task::Moons => {
                let t = PI * s.uniform();
                let (z0, z1) = s.normal_pair();
                let (x, y) = if s.below(2) == 0 {
                    (t.cos(), t.sin())
                } else {
                    (1.0 - t.cos(), 0.5 - t.sin())
                };
                [2.0 * (x + 0.1 * z0) - 1.0, 2.0 * (y + 0.1 * z1) - 0.2]
            }
            // FFJORD: 5 arms, radial sd 0.3, tangential sd 0.1, rate 0.25, ×2.
            Task::Pinwheel => {
                let k = s.below(5) as f32;
                let (z0, z1) = s.normal_pair();
                let (f0, f1) = (1.0 + 0.3 * z0, 0.1 * z1);
                let a = k * TAU / 5.0 + 0.25 * f0.exp();
                let (c, sn) = (a.cos(), a.sin());
                [2.0 * (f0 * c + f1 * sn), 2.0 * (-f0 * sn + f1 * c)]
            }
            // FFJORD 2spirals: n = √u·3π, jitter U(0, 0.5), /3, + N(0, 0.1²).
            Task::Spirals => {
                let n = s.uniform().sqrt() * 3.0 * PI;
                let x = -n.cos() * n + 0.5 * s.uniform();
                let y = n.sin() * n + 0.5 * s.uniform();
                let sign = if s.below(2) == 0 { 1.0 } else { -1.0 };
                let (z0, z1) = s.normal_pair();
                [sign * x / 3.0 + 0.1 * z0, sign * y / 3.0 + 0.1 * z1]
            }
            // sklearn make_swiss_roll(noise = 1.0), coordinates (x, z) / 5.
            Task::SwissRoll => {
                let t = 1.5 * PI * (1.0 + 2.0 * s.uniform());
                let (z0, z1) = s.normal_pair();
                [(t * t.cos() + z0) / 5.0, (t * t.sin() + z1) / 5.0]
            }
        }
    }

    /// The true density where known in closed form.
    fn log_density(self, p: &Point) -> Option<f64> {
        if self != Task::Ring {
            return None;
        }
        let v = 0.25f64 * 0.25;
        let d: f64 = (0..8)
            .map(|k| {
                let a = k as f64 * std::f64::consts::TAU / 8.0;
                let r2 =
                    (p[0] as f64 - 2.0 * a.cos()).powi(2) + (p[1] as f64 - 2.0 * a.sin()).powi(2);
                (-r2 / (2.0 * v)).exp() / (8.0 * std::f64::consts::TAU * v)
            })
            .sum();
        Some(d.ln())
    }
}

struct Data {
    train: Vec<Point>,
    val: Vec<Point>,
    test: Vec<Point>,
}

fn data(task: Task, sizes: (usize, usize, usize)) -> Data {
    let idx = TASKS.iter().position(|&t| t == task).unwrap() as u64;
    let mut s = Stream::new(20_240_516, idx);
    let mut take = |n| (0..n).map(|_| task.draw(&mut s)).collect::<Vec<_>>();
    Data {
        train: take(sizes.0),
        val: take(sizes.1),
        test: take(sizes.2),
    }
}

// ---------------------------------------------------------------- baselines

/// Gaussian KDE with isotropic bandwidth h: log p at each of `at`.
fn kde_log_p(train: &[Point], at: &[Point], hs: &[f64]) -> Vec<Vec<f64>> {
    let n = train.len() as f64;
    let mut out = vec![Vec::with_capacity(at.len()); hs.len()];
    let mut r2 = vec![0f64; train.len()];
    for q in at {
        let mut m = f64::INFINITY;
        for (r, t) in r2.iter_mut().zip(train) {
            let (dx, dy) = (q[0] as f64 - t[0] as f64, q[1] as f64 - t[1] as f64);
            *r = dx * dx + dy * dy;
            m = m.min(*r);
        }
        for (o, &h) in out.iter_mut().zip(hs) {
            let c = -0.5 / (h * h);
            let s: f64 = r2.iter().map(|&r| ((r - m) * c).exp()).sum();
            o.push(s.ln() + m * c - n.ln() - (std::f64::consts::TAU * h * h).ln());
        }
    }
    out
}

struct Fit {
    /// Test NLL, validation NLL, the chosen setting.
    test: f64,
    val: f64,
    what: String,
}

fn mean_neg(v: &[f64]) -> f64 {
    -v.iter().sum::<f64>() / v.len() as f64
}

fn kde(d: &Data) -> (Fit, f64) {
    let hs: Vec<f64> = (0..28).map(|k| 0.02 * 1.15f64.powi(k)).collect();
    let val = kde_log_p(&d.train, &d.val, &hs);
    let (best, v) = val
        .iter()
        .map(|l| mean_neg(l))
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let h = hs[best];
    let test = mean_neg(&kde_log_p(&d.train, &d.test, &[h])[0]);
    (
        Fit {
            test,
            val: v,
            what: format!("h = {h:.3}"),
        },
        h,
    )
}

/// A Gaussian mixture in 2-D with full covariances.
#[derive(Clone)]
struct Gmm {
    w: Vec<f64>,
    mu: Vec<[f64; 2]>,
    /// Covariance (a, b, c) = [[a, b], [b, c]].
    cov: Vec<[f64; 3]>,
}

impl Gmm {
    fn log_components(&self, p: &Point, out: &mut [f64]) {
        for (k, o) in out.iter_mut().enumerate().take(self.w.len()) {
            let [a, b, c] = self.cov[k];
            let det = a * c - b * b;
            let (dx, dy) = (p[0] as f64 - self.mu[k][0], p[1] as f64 - self.mu[k][1]);
            let q = (c * dx * dx - 2.0 * b * dx * dy + a * dy * dy) / det;
            *o = self.w[k].ln() - 0.5 * q - (std::f64::consts::TAU).ln() - 0.5 * det.ln();
        }
    }

    fn log_p(&self, p: &Point, buf: &mut [f64]) -> f64 {
        self.log_components(p, buf);
        let m = buf.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        m + buf.iter().map(|l| (l - m).exp()).sum::<f64>().ln()
    }

    fn nll(&self, pts: &[Point]) -> f64 {
        let mut buf = vec![0.0; self.w.len()];
        -pts.iter().map(|p| self.log_p(p, &mut buf)).sum::<f64>() / pts.len() as f64
    }

    /// EM from a k-means++ start, `iters` iterations.
    fn fit(x: &[Point], k: usize, seed: u64, iters: usize) -> Gmm {
        let mut s = Stream::new(seed, k as u64);
        let f = |p: &Point| [p[0] as f64, p[1] as f64];
        let mut mu = vec![f(&x[s.below(x.len() as u32) as usize])];
        let mut d2 = vec![f64::INFINITY; x.len()];
        while mu.len() < k {
            let last = *mu.last().unwrap();
            for (d, p) in d2.iter_mut().zip(x) {
                let q = f(p);
                *d = d.min((q[0] - last[0]).powi(2) + (q[1] - last[1]).powi(2));
            }
            let total: f64 = d2.iter().sum();
            let mut u = s.uniform() as f64 * total;
            let mut pick = x.len() - 1;
            for (i, d) in d2.iter().enumerate() {
                u -= d;
                if u <= 0.0 {
                    pick = i;
                    break;
                }
            }
            mu.push(f(&x[pick]));
        }
        let var = 0.1;
        let mut g = Gmm {
            w: vec![1.0 / k as f64; k],
            mu,
            cov: vec![[var, 0.0, var]; k],
        };
        let mut r = vec![0.0; x.len() * k];
        for _ in 0..iters {
            // E step.
            for (i, p) in x.iter().enumerate() {
                let row = &mut r[i * k..(i + 1) * k];
                g.log_components(p, row);
                let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = row.iter().map(|l| (l - m).exp()).sum();
                row.iter_mut().for_each(|l| *l = (*l - m).exp() / z);
            }
            // M step (covariances floored at 1e-4·I).
            for j in 0..k {
                let (mut n, mut sx, mut sy) = (1e-12, 0.0, 0.0);
                for (i, p) in x.iter().enumerate() {
                    let q = r[i * k + j];
                    n += q;
                    sx += q * p[0] as f64;
                    sy += q * p[1] as f64;
                }
                let m = [sx / n, sy / n];
                let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
                for (i, p) in x.iter().enumerate() {
                    let q = r[i * k + j];
                    let (dx, dy) = (p[0] as f64 - m[0], p[1] as f64 - m[1]);
                    a += q * dx * dx;
                    b += q * dx * dy;
                    c += q * dy * dy;
                }
                g.w[j] = n / x.len() as f64;
                g.mu[j] = m;
                g.cov[j] = [a / n + 1e-4, b / n, c / n + 1e-4];
            }
        }
        g
    }
}

fn gmm(d: &Data, quick: bool) -> (Fit, Gmm) {
    let ks: &[usize] = if quick { &[8] } else { &[8, 16, 32] };
    let iters = if quick { 50 } else { 200 };
    let mut best: Option<(f64, Gmm, usize, u64)> = None;
    for &k in ks {
        for seed in 0..if quick { 1 } else { 3 } {
            let g = Gmm::fit(&d.train, k, seed, iters);
            let v = g.nll(&d.val);
            if best.as_ref().is_none_or(|b| v < b.0) {
                best = Some((v, g, k, seed));
            }
        }
    }
    let (v, g, k, seed) = best.unwrap();
    (
        Fit {
            test: g.nll(&d.test),
            val: v,
            what: format!("K = {k}, restart {seed}"),
        },
        g,
    )
}

// ---------------------------------------------------------------- the recipe

/// The training recipe. `Recipe::default()` is the frozen default; the
/// fields can be overridden with `--set key=value,…` for tuning.
#[derive(Clone, Debug)]
struct Recipe {
    objective: Objective,
    updates: usize,
    batch: usize,
    walkers: usize,
    steps: usize,
    step: f32,
    alpha: f32,
    lr: f32,
    warmup: usize,
    /// Final learning rate as a fraction of the peak.
    lr_final: f32,
    cosine: bool,
    clip: f32,
    weight_decay: f32,
    energy_l2: f32,
    /// Per-walker restart probability per update, from N(0, sd²).
    reinit: f32,
    reinit_sd: f32,
    /// Restart from data instead of noise.
    reinit_data: bool,
    ema: f32,
    /// Held-out evaluations over the run (the validation score picks the best).
    evals: usize,
    /// Energy discrepancy: perturbation variance t, negatives M, stabiliser w.
    t: f32,
    m: usize,
    w: f32,
}

/// The training objective of a recipe.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Objective {
    /// PCD with ULA walkers (the first default recipe).
    Pcd,
    /// Energy discrepancy (`tinyebm::Ed`): no walkers.
    Ed,
}

impl Objective {
    fn name(self) -> &'static str {
        match self {
            Objective::Pcd => "pcd",
            Objective::Ed => "ed",
        }
    }
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            objective: Objective::Pcd,
            updates: 15_000,
            batch: 128,
            walkers: 256,
            steps: 10,
            step: 0.005,
            alpha: 0.5,
            lr: 2e-3,
            warmup: 200,
            lr_final: 0.02,
            cosine: true,
            clip: 10.0,
            weight_decay: 0.0,
            energy_l2: 1e-3,
            reinit: 0.005,
            reinit_sd: 2.0,
            reinit_data: true,
            ema: 0.999,
            evals: 30,
            t: 0.0,
            m: 0,
            w: 0.0,
        }
    }
}

impl Recipe {
    /// The default recipe of `objective`. Energy discrepancy: the same
    /// model, data, optimiser, schedule and averaging; walker fields unused.
    fn of(objective: Objective) -> Recipe {
        match objective {
            Objective::Pcd => Recipe::default(),
            Objective::Ed => Recipe {
                objective,
                t: ED_T,
                m: ED_M,
                w: 1.0,
                lr: ED_LR,
                energy_l2: 0.0,
                ..Recipe::default()
            },
        }
    }
}

/// Energy discrepancy's defaults, chosen on the validation split (see
/// docs/density-benchmark.md).
const ED_T: f32 = 0.25;
const ED_M: usize = 8;
const ED_LR: f32 = 1e-2;

impl Recipe {
    fn set(&mut self, kv: &str) -> Result<(), String> {
        let (k, v) = kv.split_once('=').ok_or(format!("{kv}: want key=value"))?;
        let f = || v.parse::<f32>().map_err(|e| format!("{kv}: {e}"));
        let u = || v.parse::<usize>().map_err(|e| format!("{kv}: {e}"));
        let b = || v.parse::<bool>().map_err(|e| format!("{kv}: {e}"));
        match k {
            "updates" => self.updates = u()?,
            "batch" => self.batch = u()?,
            "walkers" => self.walkers = u()?.min(N),
            "steps" => self.steps = u()?,
            "step" => self.step = f()?,
            "alpha" => self.alpha = f()?,
            "lr" => self.lr = f()?,
            "warmup" => self.warmup = u()?,
            "lr_final" => self.lr_final = f()?,
            "cosine" => self.cosine = b()?,
            "clip" => self.clip = f()?,
            "weight_decay" => self.weight_decay = f()?,
            "energy_l2" => self.energy_l2 = f()?,
            "reinit" => self.reinit = f()?,
            "reinit_sd" => self.reinit_sd = f()?,
            "reinit_data" => self.reinit_data = b()?,
            "ema" => self.ema = f()?,
            "evals" => self.evals = u()?,
            "t" => self.t = f()?,
            "m" => self.m = u()?.clamp(1, KB - 1),
            "w" => self.w = f()?,
            _ => return Err(format!("unknown recipe field {k}")),
        }
        Ok(())
    }
}

/// Test NLL of a model: log Z by quadrature on the grid.
fn log_z<E: Energy>(e: &E) -> f64 {
    grid_log_z(GRID, L, |x| e.value(x).map_or(f64::INFINITY, |u| u as f64)).1
}

fn nll<E: Energy>(e: &E, pts: &[Point], log_z: f64) -> f64 {
    pts.iter()
        .map(|x| e.value(x).map_or(f64::INFINITY, |u| u as f64))
        .sum::<f64>()
        / pts.len() as f64
        + log_z
}

struct Run {
    objective: Objective,
    seed: u64,
    /// The kept model (best EMA by validation) and its scores.
    model: Mlp<2, H>,
    test: f64,
    val: f64,
    kept_at: u64,
    /// (update, validation NLL, test NLL) of the EMA model at each evaluation.
    curve: Vec<(usize, f64, f64)>,
    /// Test NLL of the raw (last-iterate) model at each evaluation.
    raw: Vec<f64>,
    updates_per_s: f64,
    bytes: usize,
    refused: u64,
}

fn train(task: Task, d: &Data, r: &Recipe, seed: u64) -> Result<Run, Box<dyn std::error::Error>> {
    let mut model = Mlp::<2, H>::init(2, H, Activation::Tanh, r.alpha, 1000 + seed)?;
    let mut theta = vec![0f32; P];
    model.params(&mut theta)?;
    theta[P - H - 1..].fill(0.0);
    model.set_params(&theta)?;
    let opt = Adam::<P>::new(P, r.lr)?
        .with_clip_norm(r.clip)?
        .with_weight_decay(r.weight_decay)?;
    let mut trainer = match r.objective {
        Objective::Pcd => {
            let walkers = Walkers::<N, 2>::gaussian(
                &model,
                r.walkers,
                2000 + seed,
                &[0.0, 0.0],
                1.0 / r.alpha.sqrt(),
            )?;
            let sampler = Sampler::new(Ula::new(r.step)?, walkers);
            let reinit = match (r.reinit, r.reinit_data) {
                (0.0, _) => Reinit::Never,
                (prob, true) => Reinit::Data { prob },
                (prob, false) => Reinit::Gaussian {
                    prob,
                    sd: r.reinit_sd,
                },
            };
            let cfg = PcdConfig {
                batch_size: r.batch,
                steps: r.steps,
                energy_l2: r.energy_l2,
                reinit,
                seed: 3000 + seed,
                ..PcdConfig::new(Mode::Pcd)
            };
            Trainer::Pcd(Box::new(Pcd::new(&model, sampler, opt, cfg)?))
        }
        Objective::Ed => {
            let cfg = EdConfig {
                t: r.t,
                negatives: r.m,
                w: r.w,
                batch_size: r.batch,
                seed: 3000 + seed,
            };
            Trainer::Ed(Box::new(Ed::new(&model, opt, cfg)?))
        }
    };
    let decay = if r.cosine {
        Decay::Cosine
    } else {
        Decay::Linear
    };
    let schedule = LrSchedule::new(
        r.lr,
        r.warmup as u64,
        r.updates as u64,
        decay,
        r.lr * r.lr_final,
    )?;
    let mut ema = Ema::<P>::new(P, r.ema)?;
    let mut best = Best::<P>::new(P)?;
    let bytes = size_of::<Mlp<2, H>>() + trainer.bytes() + size_of_val(&ema) + size_of_val(&best);

    let mut order = Stream::new(4000 + seed, task as u64);
    let mut idx: Vec<usize> = (0..d.train.len()).collect();
    let mut cursor = idx.len();
    let mut batch = vec![0f32; 2 * r.batch];
    let mut eval_model = model.clone();
    let (mut curve, mut raw) = (Vec::new(), Vec::new());
    let every = (r.updates / r.evals.max(1)).max(1);
    let mut train_time = 0.0;
    let mut k = 0;
    while k < r.updates {
        let t0 = Instant::now();
        for b in batch.chunks_exact_mut(2) {
            if cursor == idx.len() {
                // A new epoch: Fisher–Yates shuffle.
                for i in (1..idx.len()).rev() {
                    idx.swap(i, order.below(i as u32 + 1) as usize);
                }
                cursor = 0;
            }
            b.copy_from_slice(&d.train[idx[cursor]]);
            cursor += 1;
        }
        schedule.apply(k as u64, trainer.optimizer_mut())?;
        match trainer.push_batch(&mut model, &batch) {
            Ok(_) => {}
            Err(e) => {
                // A refused update leaves θ as it was; drop the batch.
                trainer.clear_batch();
                if trainer.rejected() > 100 {
                    return Err(format!("{}: too many refused updates: {e}", task.name()).into());
                }
            }
        }
        model.params(&mut theta)?;
        ema.update(&theta)?;
        k += 1;
        train_time += t0.elapsed().as_secs_f64();
        if k % every == 0 || k == r.updates {
            ema.write_into(&mut eval_model)?;
            let lz = log_z(&eval_model);
            let (v, t) = (nll(&eval_model, &d.val, lz), nll(&eval_model, &d.test, lz));
            curve.push((k, v, t));
            best.offer(v as f32, k as u64, ema.params())?;
            raw.push(nll(&model, &d.test, log_z(&model)));
        }
    }
    best.write_into(&mut eval_model)?;
    let lz = log_z(&eval_model);
    Ok(Run {
        objective: r.objective,
        seed,
        test: nll(&eval_model, &d.test, lz),
        val: nll(&eval_model, &d.val, lz),
        kept_at: best.at(),
        model: eval_model,
        curve,
        raw,
        updates_per_s: r.updates as f64 / train_time,
        bytes,
        refused: trainer.rejected(),
    })
}

/// The trainer of either objective, behind one interface.
/// Generic over the dimension (the 2-D tasks and the 4-D task `ring4`).
enum Trainer<const D: usize, const P: usize> {
    Pcd(Box<Pcd<Sampler<Ula, N, D>, Adam<P>, N, D, P>>),
    Ed(Box<Ed<Adam<P>, KB, D, P>>),
}

impl<const D: usize, const P: usize> Trainer<D, P> {
    fn push_batch(&mut self, model: &mut Mlp<D, H>, xs: &[f32]) -> Result<(), tinyebm::Error> {
        match self {
            Trainer::Pcd(t) => t.push_batch(model, xs).map(drop),
            Trainer::Ed(t) => t.push_batch(model, xs).map(drop),
        }
    }
    fn optimizer_mut(&mut self) -> &mut Adam<P> {
        match self {
            Trainer::Pcd(t) => t.optimizer_mut(),
            Trainer::Ed(t) => t.optimizer_mut(),
        }
    }
    fn clear_batch(&mut self) {
        match self {
            Trainer::Pcd(t) => t.clear_batch(),
            Trainer::Ed(t) => t.clear_batch(),
        }
    }
    fn rejected(&self) -> u64 {
        match self {
            Trainer::Pcd(t) => t.rejected(),
            Trainer::Ed(t) => t.rejected(),
        }
    }
    /// Bytes of the trainer itself (optimiser, walkers and buffers).
    fn bytes(&self) -> usize {
        match self {
            Trainer::Pcd(t) => size_of_val(&**t),
            Trainer::Ed(t) => size_of_val(&**t),
        }
    }
}

// ---------------------------------------------------------------- main

struct Opts {
    quick: bool,
    check: bool,
    baselines: bool,
    tasks: Vec<Task>,
    seeds: usize,
    /// One recipe per objective, the default's first.
    recipes: Vec<Recipe>,
    /// Run the 4-D task `ring4` (after the 2-D tasks).
    ring4: bool,
    /// Updates of the 4-D task (default: the recipe's; 300 with `--quick`).
    updates4: Option<usize>,
}

fn opts() -> Result<Opts, String> {
    let mut o = Opts {
        quick: false,
        check: false,
        baselines: true,
        tasks: TASKS.to_vec(),
        seeds: 5,
        recipes: Vec::new(),
        ring4: true,
        updates4: None,
    };
    let mut objectives = vec![Objective::Pcd, Objective::Ed];
    let mut sets = Vec::new();
    let mut updates = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--quick" => o.quick = true,
            "--check" => o.check = true,
            // For tuning runs: skip the KDE and the GMM.
            "--no-baselines" => o.baselines = false,
            "--tasks" => {
                let v = val()?;
                o.ring4 = v.split(',').any(|n| n == "ring4");
                o.tasks = v
                    .split(',')
                    .filter(|&n| n != "ring4")
                    .map(|n| {
                        TASKS
                            .into_iter()
                            .find(|t| t.name() == n)
                            .ok_or(format!("unknown task {n}"))
                    })
                    .collect::<Result<_, _>>()?
            }
            "--seeds" => o.seeds = val()?.parse().map_err(|e| format!("--seeds: {e}"))?,
            "--updates" => updates = Some(val()?.parse().map_err(|e| format!("--updates: {e}"))?),
            "--updates4" => {
                o.updates4 = Some(val()?.parse().map_err(|e| format!("--updates4: {e}"))?)
            }
            "--set" => sets.push(val()?),
            "--objectives" => {
                objectives = val()?
                    .split(',')
                    .map(|n| {
                        [Objective::Pcd, Objective::Ed]
                            .into_iter()
                            .find(|o| o.name() == n)
                            .ok_or(format!("unknown objective {n}"))
                    })
                    .collect::<Result<_, _>>()?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    for obj in objectives {
        let mut r = Recipe::of(obj);
        if o.quick {
            o.seeds = 1;
            r.updates = 1500;
            r.evals = 10;
        }
        if let Some(u) = updates {
            r.updates = u;
        }
        for s in sets.iter().flat_map(|s| s.split(',')) {
            r.set(s)?;
        }
        o.recipes.push(r);
    }
    Ok(o)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

struct TaskResult {
    task: Task,
    data: Data,
    /// Every objective's runs, in the order of `Opts::recipes`, seeds in order.
    runs: Vec<Run>,
    kde: Fit,
    kde_h: f64,
    gmm: Fit,
    gmm_model: Gmm,
    truth: Option<f64>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = opts()?;
    let started = Instant::now();
    let sizes = if o.quick {
        (2000, 500, 1000)
    } else {
        (10_000, 2000, 5000)
    };
    println!(
        "density benchmark{}: Mlp<2, {H}> ({P} parameters), {} seed(s), splits train/val/test {}/{}/{}",
        if o.quick { " (quick)" } else { "" },
        o.seeds,
        sizes.0,
        sizes.1,
        sizes.2
    );
    for r in &o.recipes {
        println!("recipe {}: {r:?}", r.objective.name());
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(2);
    let mut results = Vec::new();
    for &task in &o.tasks {
        let t0 = Instant::now();
        let d = data(task, sizes);
        // Seeds on `threads` threads; the baselines on this one meanwhile.
        let jobs: Vec<(usize, u64)> = (0..o.recipes.len())
            .flat_map(|r| (0..o.seeds as u64).map(move |s| (r, s)))
            .collect();
        let (runs, (kde_fit, h), (gmm_fit, g)) = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (d, recipes, jobs) = (&d, &o.recipes, &jobs);
                    sc.spawn(move || {
                        jobs.iter()
                            .skip(t)
                            .step_by(threads)
                            .map(|&(r, s)| {
                                train(task, d, &recipes[r], s)
                                    .map(|run| (r, run))
                                    .map_err(|e| e.to_string())
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let (k, g) = if o.baselines {
                (kde(&d), gmm(&d, o.quick))
            } else {
                let none = || Fit {
                    test: f64::NAN,
                    val: f64::NAN,
                    what: "skipped".into(),
                };
                let g = Gmm {
                    w: vec![1.0],
                    mu: vec![[0.0; 2]],
                    cov: vec![[1.0, 0.0, 1.0]],
                };
                ((none(), 0.1), (none(), g))
            };
            let mut runs: Vec<(usize, Run)> = Vec::new();
            for h in handles {
                for r in h.join().unwrap() {
                    runs.push(r?);
                }
            }
            runs.sort_by_key(|(r, run)| (*r, run.seed));
            let runs: Vec<Run> = runs.into_iter().map(|(_, run)| run).collect();
            Ok::<_, String>((runs, k, g))
        })?;
        let truth = d
            .test
            .iter()
            .map(|p| task.log_density(p).map(|l| -l))
            .sum::<Option<f64>>()
            .map(|s| s / d.test.len() as f64);
        let tr = TaskResult {
            task,
            data: d,
            runs,
            kde: kde_fit,
            kde_h: h,
            gmm: gmm_fit,
            gmm_model: g,
            truth,
        };
        report(&tr);
        println!("  ({:.1} s)", t0.elapsed().as_secs_f64());
        results.push(tr);
    }
    let missed = if results.is_empty() {
        0
    } else {
        let missed = summary(&results, &o.recipes);
        draw(&results)?;
        missed
    };
    if o.ring4 {
        run4(&o)?;
    }
    println!("total {:.1} s", started.elapsed().as_secs_f64());
    if o.check && missed > 0 {
        eprintln!("{missed} target(s) missed");
        std::process::exit(1);
    }
    Ok(())
}

fn report(t: &TaskResult) {
    println!("{}:", t.task.name());
    for r in &t.runs {
        let (_, _, last_t) = *r.curve.last().unwrap();
        let best_t = r.curve.iter().map(|c| c.2).fold(f64::INFINITY, f64::min);
        let half = &r.raw[r.raw.len() / 2..];
        let (lo, hi) = half
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        println!(
            "  {} seed {}: kept (best val, update {:>5}) val {:.3} test {:.3} | EMA end {last_t:.3}, best {best_t:.3} | raw last half {lo:.3}..{hi:.3} | {:.0} updates/s, {} refused",
            r.objective.name(),
            r.seed,
            r.kept_at,
            r.val,
            r.test,
            r.updates_per_s,
            r.refused
        );
    }
    println!(
        "  KDE ({}) val {:.3} test {:.3}; GMM ({}) val {:.3} test {:.3}{}",
        t.kde.what,
        t.kde.val,
        t.kde.test,
        t.gmm.what,
        t.gmm.val,
        t.gmm.test,
        t.truth.map_or(String::new(), |v| format!("; truth {v:.3}"))
    );
}

/// The table and the targets; returns the number missed. The targets of
/// `--check` are those of the first recipe (PCD by default); the other
/// objectives' rows show the same comparisons for information.
fn summary(res: &[TaskResult], recipes: &[Recipe]) -> usize {
    println!(
        "\n| task | objective | test median (min–max) | val median | KDE | GMM | truth | ≤ KDE | worst end − best |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut missed = 0;
    for t in res {
        for (i, rec) in recipes.iter().enumerate() {
            let runs: Vec<&Run> = t
                .runs
                .iter()
                .filter(|r| r.objective == rec.objective)
                .collect();
            if runs.is_empty() {
                continue;
            }
            let counted = i == 0;
            let mut tests: Vec<f64> = runs.iter().map(|r| r.test).collect();
            let mut vals: Vec<f64> = runs.iter().map(|r| r.val).collect();
            let lo = tests.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = tests.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let med = median(&mut tests);
            let val = median(&mut vals);
            // Stability: the EMA model at the end against its own best test NLL.
            let drift = runs
                .iter()
                .map(|r| {
                    let best = r.curve.iter().map(|c| c.2).fold(f64::INFINITY, f64::min);
                    r.curve.last().unwrap().2 - best
                })
                .fold(f64::NEG_INFINITY, f64::max);
            let beats = med <= t.kde.test;
            let stable = drift <= 0.05;
            if counted {
                missed += usize::from(!beats) + usize::from(!stable);
            }
            let truth = match t.truth {
                Some(v) => {
                    let ok = med - v <= 0.03;
                    if counted {
                        missed += usize::from(!ok);
                    }
                    format!(
                        "{v:.3} ({} 0.03: {:+.3})",
                        if ok { "within" } else { "NOT within" },
                        med - v
                    )
                }
                None => "–".into(),
            };
            println!(
                "| {} | {}{} | {med:.3} ({lo:.3}–{hi:.3}) | {val:.3} | {:.3} | {:.3} | {truth} | {} | {drift:+.3} {} |",
                t.task.name(),
                rec.objective.name(),
                if counted { "" } else { " (info)" },
                t.kde.test,
                t.gmm.test,
                if beats { "yes" } else { "NO" },
                if stable { "ok" } else { "NOT ≤ 0.05" },
            );
        }
    }
    for rec in recipes {
        let Some(run) = res[0].runs.iter().find(|r| r.objective == rec.objective) else {
            continue;
        };
        println!(
            "{}: {:.0} updates/s (seed {} of {}, training only); model + trainer + EMA + best: {} bytes; {} updates of {} points",
            rec.objective.name(),
            run.updates_per_s,
            run.seed,
            res[0].task.name(),
            run.bytes,
            rec.updates,
            rec.batch
        );
    }
    println!("targets missed: {missed}");
    missed
}

// ---------------------------------------------------------------- figure

/// A heat map of exp(log_p) on `area`, with points on top.
fn panel(
    area: &common::Area,
    caption: &str,
    log_p: &dyn Fn(&Point) -> f64,
    pts: &[Point],
) -> Result<(), Box<dyn std::error::Error>> {
    let m = 64;
    let dx = 2.0 * L / m as f64;
    let mut c = chart(area, caption, 13, 0, -L..L, -L..L)?;
    let cells: Vec<f64> = (0..m * m)
        .map(|k| {
            let (i, j) = (k / m, k % m);
            let p = [
                (-L + (i as f64 + 0.5) * dx) as f32,
                (-L + (j as f64 + 0.5) * dx) as f32,
            ];
            log_p(&p).exp()
        })
        .collect();
    let top = cells.iter().copied().fold(0.0, f64::max);
    c.draw_series((0..m * m).filter_map(|k| {
        let t = (cells[k] / top).sqrt();
        if t.is_nan() || t <= 0.03 {
            return None;
        }
        let (i, j) = (k / m, k % m);
        let (x0, y0) = (-L + i as f64 * dx, -L + j as f64 * dx);
        let color = RGBColor(
            (255.0 * (1.0 - 0.2 * t)) as u8,
            (255.0 * (1.0 - 0.8 * t)) as u8,
            (255.0 * (1.0 - 0.55 * t)) as u8,
        );
        Some(Rectangle::new(
            [(x0, y0), (x0 + dx, y0 + dx)],
            color.filled(),
        ))
    }))?;
    c.draw_series(
        pts.iter()
            .map(|p| Circle::new((p[0] as f64, p[1] as f64), 1, BLACK.filled())),
    )?;
    Ok(())
}

fn draw(res: &[TaskResult]) -> Result<(), Box<dyn std::error::Error>> {
    let path = "target/figures/density.svg";
    let cols = 3 + res.iter().map(|t| t.runs.len()).max().unwrap_or(0);
    let root = figure(path, (200 * cols as u32, 200 * res.len() as u32))?;
    let rows = root.split_evenly((res.len(), cols));
    for (t, row) in res.iter().zip(rows.chunks(cols)) {
        let name = t.task.name();
        panel(
            &row[0],
            &format!("{name}: data"),
            &|_| f64::NEG_INFINITY,
            &t.data.test[..t.data.test.len().min(1500)],
        )?;
        let h = t.kde_h;
        let train = &t.data.train;
        let kde_lp = |p: &Point| kde_log_p(train, &[*p], &[h])[0][0];
        panel(&row[1], &format!("KDE {:.3}", t.kde.test), &kde_lp, &[])?;
        let mut buf = vec![0.0; t.gmm_model.w.len()];
        let g = &t.gmm_model;
        let cell = std::cell::RefCell::new(&mut buf);
        let gmm_lp = |p: &Point| g.log_p(p, &mut cell.borrow_mut());
        panel(&row[2], &format!("GMM {:.3}", t.gmm.test), &gmm_lp, &[])?;
        for (r, area) in t.runs.iter().zip(&row[3..]) {
            let lz = log_z(&r.model);
            let lp = |p: &Point| -(r.model.value(p).map_or(f64::INFINITY, |u| u as f64)) - lz;
            panel(
                area,
                &format!("{} seed {} {:.3}", r.objective.name(), r.seed, r.test),
                &lp,
                &[],
            )?;
        }
    }
    root.present()?;
    println!("figure: {path}");
    Ok(())
}

// ---------------------------------------------------------------- a 4-D task

/// The 4-D task `ring4`: the eight-Gaussian ring in (x₁, x₂) times a
/// correlated Gaussian in (x₃, x₄) (sd 0.5, correlation 0.8), so the true
/// density is known in closed form. Quadrature on a 4-D grid is out of
/// reach, so the EBM's log Z is estimated by annealed importance sampling
/// (`tinyebm::Ais`) and the held-out NLL is reported with its standard
/// error. Report only: `--check` has no target for it.
const D4: usize = 4;
const P4: usize = mlp_param_count(D4, H);
type Point4 = [f32; D4];
/// (x₃, x₄): sd and correlation.
const G_SD: f64 = 0.5;
const G_RHO: f64 = 0.8;
/// AIS: walkers per run, runs pooled, temperatures, MALA step.
const AIS_N: usize = 128;

struct Ais4 {
    runs: usize,
    steps: usize,
    step: f32,
}

fn draw4(s: &mut Stream) -> Point4 {
    let [x1, x2] = Task::Ring.draw(s);
    let (z0, z1) = s.normal_pair();
    let (sd, rho) = (G_SD as f32, G_RHO as f32);
    [
        x1,
        x2,
        sd * z0,
        sd * (rho * z0 + (1.0 - rho * rho).sqrt() * z1),
    ]
}

fn log_density4(p: &Point4) -> f64 {
    let ring = Task::Ring.log_density(&[p[0], p[1]]).unwrap();
    let (x, y) = (p[2] as f64, p[3] as f64);
    let v = G_SD * G_SD;
    let det = v * v * (1.0 - G_RHO * G_RHO);
    let q = v * (x * x - 2.0 * G_RHO * x * y + y * y) / det;
    ring - std::f64::consts::TAU.ln() - 0.5 * det.ln() - 0.5 * q
}

struct Data4 {
    train: Vec<Point4>,
    val: Vec<Point4>,
    test: Vec<Point4>,
}

fn data4(sizes: (usize, usize, usize)) -> Data4 {
    let mut s = Stream::new(20_240_516, 100);
    let mut take = |n| (0..n).map(|_| draw4(&mut s)).collect::<Vec<_>>();
    Data4 {
        train: take(sizes.0),
        val: take(sizes.1),
        test: take(sizes.2),
    }
}

/// Gaussian KDE in 4-D with isotropic bandwidth h: log p at each of `at`.
fn kde4_log_p(train: &[Point4], at: &[Point4], hs: &[f64]) -> Vec<Vec<f64>> {
    let n = train.len() as f64;
    let mut out = vec![Vec::with_capacity(at.len()); hs.len()];
    let mut r2 = vec![0f64; train.len()];
    for q in at {
        let mut m = f64::INFINITY;
        for (r, t) in r2.iter_mut().zip(train) {
            *r = (0..D4).map(|i| (q[i] as f64 - t[i] as f64).powi(2)).sum();
            m = m.min(*r);
        }
        for (o, &h) in out.iter_mut().zip(hs) {
            let c = -0.5 / (h * h);
            let s: f64 = r2.iter().map(|&r| ((r - m) * c).exp()).sum();
            let norm = 0.5 * D4 as f64 * (std::f64::consts::TAU * h * h).ln();
            o.push(s.ln() + m * c - n.ln() - norm);
        }
    }
    out
}

fn kde4(d: &Data4) -> Fit {
    let hs: Vec<f64> = (0..24).map(|k| 0.03 * 1.15f64.powi(k)).collect();
    let val = kde4_log_p(&d.train, &d.val, &hs);
    let (best, v) = val
        .iter()
        .map(|l| mean_neg(l))
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let h = hs[best];
    Fit {
        test: mean_neg(&kde4_log_p(&d.train, &d.test, &[h])[0]),
        val: v,
        what: format!("h = {h:.3}"),
    }
}

/// A Gaussian mixture in 4-D with full covariances, stored as Cholesky
/// factors.
struct Gmm4 {
    w: Vec<f64>,
    mu: Vec<[f64; D4]>,
    /// Lower Cholesky factor of each covariance.
    chol: Vec<[[f64; D4]; D4]>,
}

/// Lower Cholesky factor of a symmetric positive-definite matrix.
fn cholesky4(a: &[[f64; D4]; D4]) -> [[f64; D4]; D4] {
    let mut l = [[0f64; D4]; D4];
    for i in 0..D4 {
        for j in 0..=i {
            let s: f64 = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            l[i][j] = if i == j {
                s.max(1e-12).sqrt()
            } else {
                s / l[j][j]
            };
        }
    }
    l
}

impl Gmm4 {
    fn log_components(&self, p: &Point4, out: &mut [f64]) {
        for (k, o) in out.iter_mut().enumerate().take(self.w.len()) {
            let l = &self.chol[k];
            // Forward substitution: L y = x − μ.
            let mut y = [0f64; D4];
            let (mut q, mut logdet) = (0.0, 0.0);
            for i in 0..D4 {
                let s: f64 = (0..i).map(|j| l[i][j] * y[j]).sum();
                y[i] = (p[i] as f64 - self.mu[k][i] - s) / l[i][i];
                q += y[i] * y[i];
                logdet += 2.0 * l[i][i].ln();
            }
            *o = self.w[k].ln()
                - 0.5 * q
                - 0.5 * D4 as f64 * std::f64::consts::TAU.ln()
                - 0.5 * logdet;
        }
    }

    fn nll(&self, pts: &[Point4]) -> f64 {
        let mut buf = vec![0.0; self.w.len()];
        -pts.iter()
            .map(|p| {
                self.log_components(p, &mut buf);
                let m = buf.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                m + buf.iter().map(|l| (l - m).exp()).sum::<f64>().ln()
            })
            .sum::<f64>()
            / pts.len() as f64
    }

    /// EM from a k-means++ start, `iters` iterations (as `Gmm::fit`).
    #[allow(clippy::needless_range_loop)] // a 4×4 lower triangle
    fn fit(x: &[Point4], k: usize, seed: u64, iters: usize) -> Gmm4 {
        let mut s = Stream::new(seed, k as u64);
        let f = |p: &Point4| p.map(f64::from);
        let dist2 = |a: &[f64; D4], b: &[f64; D4]| (0..D4).map(|i| (a[i] - b[i]).powi(2)).sum();
        let mut mu = vec![f(&x[s.below(x.len() as u32) as usize])];
        let mut d2 = vec![f64::INFINITY; x.len()];
        while mu.len() < k {
            let last = *mu.last().unwrap();
            for (d, p) in d2.iter_mut().zip(x) {
                *d = d.min(dist2(&f(p), &last));
            }
            let total: f64 = d2.iter().sum();
            let mut u = s.uniform() as f64 * total;
            let mut pick = x.len() - 1;
            for (i, d) in d2.iter().enumerate() {
                u -= d;
                if u <= 0.0 {
                    pick = i;
                    break;
                }
            }
            mu.push(f(&x[pick]));
        }
        let mut init = [[0f64; D4]; D4];
        (0..D4).for_each(|i| init[i][i] = 0.1f64.sqrt());
        let mut g = Gmm4 {
            w: vec![1.0 / k as f64; k],
            mu,
            chol: vec![init; k],
        };
        let mut r = vec![0.0; x.len() * k];
        for _ in 0..iters {
            for (i, p) in x.iter().enumerate() {
                let row = &mut r[i * k..(i + 1) * k];
                g.log_components(p, row);
                let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = row.iter().map(|l| (l - m).exp()).sum();
                row.iter_mut().for_each(|l| *l = (*l - m).exp() / z);
            }
            // M step (covariances floored at 1e-4·I).
            for j in 0..k {
                let mut n = 1e-12;
                let mut m = [0f64; D4];
                for (i, p) in x.iter().enumerate() {
                    let q = r[i * k + j];
                    n += q;
                    (0..D4).for_each(|a| m[a] += q * p[a] as f64);
                }
                m.iter_mut().for_each(|v| *v /= n);
                let mut c = [[0f64; D4]; D4];
                for (i, p) in x.iter().enumerate() {
                    let q = r[i * k + j];
                    let dx: [f64; D4] = std::array::from_fn(|a| p[a] as f64 - m[a]);
                    for a in 0..D4 {
                        for b in 0..=a {
                            c[a][b] += q * dx[a] * dx[b];
                        }
                    }
                }
                for a in 0..D4 {
                    for b in 0..=a {
                        let v = c[a][b] / n;
                        c[a][b] = v;
                        c[b][a] = v;
                    }
                }
                (0..D4).for_each(|a| c[a][a] += 1e-4);
                g.w[j] = n / x.len() as f64;
                g.mu[j] = m;
                g.chol[j] = cholesky4(&c);
            }
        }
        g
    }
}

fn gmm4(d: &Data4, quick: bool) -> Fit {
    let ks: &[usize] = if quick { &[8] } else { &[8, 16] };
    let iters = if quick { 30 } else { 100 };
    let mut best: Option<(f64, Gmm4, usize, u64)> = None;
    for &k in ks {
        for seed in 0..if quick { 1 } else { 2 } {
            let g = Gmm4::fit(&d.train, k, seed, iters);
            let v = g.nll(&d.val);
            if best.as_ref().is_none_or(|b| v < b.0) {
                best = Some((v, g, k, seed));
            }
        }
    }
    let (v, g, k, seed) = best.unwrap();
    Fit {
        test: g.nll(&d.test),
        val: v,
        what: format!("K = {k}, restart {seed}"),
    }
}

/// log Z of `e` by AIS: base N(mean, (1.5·sd)²) fitted to the training
/// data, MALA, `AIS_N` walkers × `a.runs` pooled runs. Returns the pooled
/// result; its SE is the larger of the delta-method and the spread SE.
fn ais4<E: Energy>(
    e: &E,
    train: &[f32],
    a: &Ais4,
    seed: u64,
) -> Result<(f32, f32, f32, bool), tinyebm::Error> {
    let base = Base::<D4>::fit(train, D4, 1.5)?;
    let mut ais = Ais::<_, AIS_N, D4>::new(Mala::new(a.step)?, base);
    let runs = (0..a.runs as u64)
        .map(|r| {
            ais.run(
                e,
                &AisConfig {
                    seed: seed * 100 + r + 1,
                    ..AisConfig::new(AIS_N, a.steps)
                },
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let z = pool(&runs)?;
    let se = if z.se_spread.is_finite() {
        z.se.max(z.se_spread)
    } else {
        z.se
    };
    Ok((z.log_z, se, z.ess, z.is_reliable()))
}

struct Run4 {
    objective: Objective,
    seed: u64,
    nll: f32,
    /// SE of the NLL (log Z's and the test mean's) and of log Z alone.
    se: f32,
    se_log_z: f32,
    ess: f32,
    reliable: bool,
    updates_per_s: f64,
    refused: u64,
}

/// Trains `Mlp<4, H>` with the recipe `r` (as `train`, but without
/// per-evaluation model selection: the EMA model at the end is kept) and
/// evaluates its held-out NLL with log Z by AIS.
fn train4(d: &Data4, r: &Recipe, seed: u64, a: &Ais4) -> Result<Run4, Box<dyn std::error::Error>> {
    let mut model = Mlp::<D4, H>::init_confined(D4, H, Activation::Tanh, r.alpha, 1000 + seed)?;
    let mut theta = vec![0f32; P4];
    let opt = Adam::<P4>::new(P4, r.lr)?
        .with_clip_norm(r.clip)?
        .with_weight_decay(r.weight_decay)?;
    let mut trainer: Trainer<D4, P4> = match r.objective {
        Objective::Pcd => {
            let walkers = Walkers::<N, D4>::from_confinement(&model, r.walkers, 2000 + seed, 1.0)?;
            let sampler = Sampler::new(Ula::new(r.step)?, walkers);
            let reinit = match (r.reinit, r.reinit_data) {
                (0.0, _) => Reinit::Never,
                (prob, true) => Reinit::Data { prob },
                (prob, false) => Reinit::Gaussian {
                    prob,
                    sd: r.reinit_sd,
                },
            };
            let cfg = PcdConfig {
                batch_size: r.batch,
                steps: r.steps,
                energy_l2: r.energy_l2,
                reinit,
                seed: 3000 + seed,
                ..PcdConfig::new(Mode::Pcd)
            };
            Trainer::Pcd(Box::new(Pcd::new(&model, sampler, opt, cfg)?))
        }
        Objective::Ed => {
            let cfg = EdConfig {
                t: r.t,
                negatives: r.m,
                w: r.w,
                batch_size: r.batch,
                seed: 3000 + seed,
            };
            Trainer::Ed(Box::new(Ed::new(&model, opt, cfg)?))
        }
    };
    let decay = if r.cosine {
        Decay::Cosine
    } else {
        Decay::Linear
    };
    let schedule = LrSchedule::new(
        r.lr,
        r.warmup as u64,
        r.updates as u64,
        decay,
        r.lr * r.lr_final,
    )?;
    let mut ema = Ema::<P4>::new(P4, r.ema)?;
    let mut order = Stream::new(4000 + seed, 100);
    let mut idx: Vec<usize> = (0..d.train.len()).collect();
    let mut cursor = idx.len();
    let mut batch = vec![0f32; D4 * r.batch];
    let t0 = Instant::now();
    for k in 0..r.updates {
        for b in batch.chunks_exact_mut(D4) {
            if cursor == idx.len() {
                for i in (1..idx.len()).rev() {
                    idx.swap(i, order.below(i as u32 + 1) as usize);
                }
                cursor = 0;
            }
            b.copy_from_slice(&d.train[idx[cursor]]);
            cursor += 1;
        }
        schedule.apply(k as u64, trainer.optimizer_mut())?;
        if let Err(e) = trainer.push_batch(&mut model, &batch) {
            trainer.clear_batch();
            if trainer.rejected() > 100 {
                return Err(format!("ring4: too many refused updates: {e}").into());
            }
        }
        model.params(&mut theta)?;
        ema.update(&theta)?;
    }
    let updates_per_s = r.updates as f64 / t0.elapsed().as_secs_f64();
    let mut eval_model = model.clone();
    ema.write_into(&mut eval_model)?;
    let train: Vec<f32> = d.train.concat();
    let (log_z, se, ess, reliable) = ais4(&eval_model, &train, a, seed)?;
    let h = held_out_nll(&eval_model, 1.0, &d.test.concat(), log_z, se)?;
    Ok(Run4 {
        objective: r.objective,
        seed,
        nll: h.nll,
        se: h.se,
        se_log_z: se,
        ess,
        reliable,
        updates_per_s,
        refused: trainer.rejected(),
    })
}

/// The 4-D task: AIS checked against a known log Z, then every objective's
/// seeds, KDE, GMM and the truth.
fn run4(o: &Opts) -> Result<(), Box<dyn std::error::Error>> {
    let t0 = Instant::now();
    let (sizes, a) = if o.quick {
        let a = Ais4 {
            runs: 2,
            steps: 200,
            step: 0.05,
        };
        ((2000, 500, 1000), a)
    } else {
        let a = Ais4 {
            runs: 4,
            steps: 1000,
            step: 0.05,
        };
        ((10_000, 2000, 5000), a)
    };
    let d = data4(sizes);
    let recipes: Vec<Recipe> = o
        .recipes
        .iter()
        .map(|r| Recipe {
            updates: o.updates4.unwrap_or(if o.quick { 300 } else { r.updates }),
            ..r.clone()
        })
        .collect();
    println!(
        "ring4 (4-D: 8-Gaussian ring in (x1, x2) × N(0, sd {G_SD}, corr {G_RHO}) in (x3, x4)): Mlp<4, {H}> ({P4} parameters), {} seed(s), {} updates, splits {}/{}/{}; log Z by AIS ({} runs × {AIS_N} walkers, {} temperatures, MALA step {}), the EMA model at the end",
        o.seeds, recipes[0].updates, sizes.0, sizes.1, sizes.2, a.runs, a.steps, a.step
    );
    // The AIS estimate against a known log Z: the untrained confined start
    // (U = ½α|x|², log Z = (d/2)·ln(2π/α)).
    let start = Mlp::<D4, H>::init_confined(D4, H, Activation::Tanh, recipes[0].alpha, 1000)?;
    let exact = start.confinement_log_z(1.0);
    let train: Vec<f32> = d.train.concat();
    let (lz, se, ess, _) = ais4(&start, &train, &a, 0)?;
    println!(
        "  AIS check on the confined start (exact log Z known): AIS {lz:.3} ± {se:.3} (ESS {ess:.0}) vs exact {exact:.3}: {:+.3} ({:.1} SE)",
        lz as f64 - exact,
        (lz as f64 - exact).abs() / se.max(1e-6) as f64
    );
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(2);
    let jobs: Vec<(usize, u64)> = (0..recipes.len())
        .flat_map(|r| (0..o.seeds as u64).map(move |s| (r, s)))
        .collect();
    let (runs, k, g) = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (d, recipes, jobs, a) = (&d, &recipes, &jobs, &a);
                sc.spawn(move || {
                    jobs.iter()
                        .skip(t)
                        .step_by(threads)
                        .map(|&(r, s)| train4(d, &recipes[r], s, a).map_err(|e| e.to_string()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let (k, g) = (kde4(&d), gmm4(&d, o.quick));
        let mut runs = Vec::new();
        for h in handles {
            for r in h.join().unwrap() {
                runs.push(r?);
            }
        }
        runs.sort_by_key(|r: &Run4| (r.objective as u8, r.seed));
        Ok::<_, String>((runs, k, g))
    })?;
    let truth = -d.test.iter().map(log_density4).sum::<f64>() / d.test.len() as f64;
    for r in &runs {
        println!(
            "  {} seed {}: test NLL (AIS) {:.3} ± {:.3} (AIS log Z SE {:.3}), ESS {:.0} of {}{} | {:.0} updates/s, {} refused",
            r.objective.name(),
            r.seed,
            r.nll,
            r.se,
            r.se_log_z,
            r.ess,
            a.runs * AIS_N,
            if r.reliable {
                ""
            } else {
                " (UNRELIABLE: ESS < 10%)"
            },
            r.updates_per_s,
            r.refused
        );
    }
    println!(
        "  KDE ({}) val {:.3} test {:.3}; GMM ({}) val {:.3} test {:.3}; truth {truth:.3}",
        k.what, k.val, k.test, g.what, g.val, g.test
    );
    println!(
        "\n| task | objective | test NLL (AIS) median (min–max) | NLL SE / log Z SE (max) | ESS (min) | KDE | GMM | truth | − truth |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for rec in &recipes {
        let rs: Vec<&Run4> = runs
            .iter()
            .filter(|r| r.objective == rec.objective)
            .collect();
        if rs.is_empty() {
            continue;
        }
        let mut v: Vec<f64> = rs.iter().map(|r| r.nll as f64).collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let med = median(&mut v);
        let se = rs.iter().map(|r| r.se).fold(0.0, f32::max);
        let se_z = rs.iter().map(|r| r.se_log_z).fold(0.0, f32::max);
        let ess = rs.iter().map(|r| r.ess).fold(f32::MAX, f32::min);
        println!(
            "| ring4 | {} | {med:.3} ({lo:.3}–{hi:.3}) | {se:.3} / {se_z:.3} | {ess:.0} | {:.3} | {:.3} | {truth:.3} | {:+.3} |",
            rec.objective.name(),
            k.test,
            g.test,
            med - truth
        );
    }
    println!(
        "  ring4 ({:.1} s; report only, no --check target)",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
