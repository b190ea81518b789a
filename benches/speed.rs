//! Host speed benchmark (std-only harness): steps/s for the reference model,
//! against a baseline measured in the same run.
//!
//!     cargo bench --bench speed                # or, to use this CPU's vector units:
//!     RUSTFLAGS="-C target-cpu=native" cargo bench --bench speed
//!
//! On AVX-512 CPUs LLVM prefers 256-bit vectors; adding
//! `-C target-feature=-prefer-256-bit` (an LLVM tuning flag that rustc
//! passes through with a warning) lets the batched passes use 512-bit ones.
//! `-- --quick` shortens the timing windows; `-- --profile WORKLOAD` (mala1,
//! mala64, ula64, pcd) runs one tinyebm workload for 10 s under `perf record`;
//! adding `--calls N` runs it N times instead (steps, or PCD updates), for
//! instruction counts under `valgrind --tool=callgrind`, which stay put on a
//! machine too noisy to time small changes.
//!
//! Reference model (issue 6): 2-D input, MLP 2→32→32→1 tanh + ½·0.5·|x|².
//! Baselines, measured in the same run:
//! - *textbook*: the same kernels and trainer driving a textbook
//!   implementation of the same network with the same weights (row-major dot
//!   products, libm's `tanhf`, `Vec`s, one walker at a time) — what a
//!   straightforward port would run;
//! - *per-walker*: tinyebm's own `Mlp` behind the trait's default
//!   (one-walker-at-a-time) `eval_batch` and θ-gradient bodies, i.e. without
//!   the LANES-wide batched passes.
//!
//! Workloads: MALA (h = 0.05) on 1 chain and on 64 walkers, ULA on 64
//! walkers, and PCD (`pcd_updates_per_s`): 64 persistent walkers, K = 10 ULA
//! steps (h = 0.05), a batch of 64 data points (8 Gaussians on a ring of
//! radius 2, sd 0.1, as the peers in `benches/peers/`) pushed with
//! `Pcd::push_batch`, Adam at lr 1e-3.

// The C library's runtime dispatch (AVX2 / AVX-512 copies of the MLP's
// batched passes), compiled in here so that "tinyebm" is what a default
// build links; `TEBM_SIMD=sse2|avx2` caps it, as in the C library.
#[path = "../ffi/src/dispatch.rs"]
#[allow(dead_code, unused_imports)]
mod dispatch;
extern crate tinyebm as ebm;

use std::hint::black_box;
use std::time::{Duration, Instant};
use tinyebm::{
    Activation, Adam, Energy, Error, EvalError, Kernel, Mala, Mlp, Mode, Pcd, PcdConfig, Sampler,
    Stream, Trainable, Ula, Walkers, mlp_param_count,
};

type Net = Mlp<2, 32>;
const P: usize = mlp_param_count(2, 32);
const WALKERS: usize = 64;
const PCD_K: usize = 10;
const PCD_BATCH: usize = 64;

/// Forward + backward (∇ₓU) flops of a d→h→h→1 MLP, counting a multiply-add
/// as 2 and each activation as 1 (plus its derivative 1 − t²: 2).
fn flops_per_eval(d: f64, h: f64) -> f64 {
    let forward = 2.0 * h * d + 2.0 * h * h + 2.0 * h + 3.0 * d + 3.0 * 2.0 * h;
    let backward = h + (2.0 * h * h + h) + (2.0 * h * d + 2.0 * d);
    forward + backward
}

/// Flops of one point's θ-gradient pass as the trainer runs it: forward,
/// backward without ∇ₓU, and the outer products into ∂θU (scaled deltas,
/// W₁ and W₂ products, biases, w₃).
fn flops_per_param_grad(d: f64, h: f64) -> f64 {
    let forward = 2.0 * h * d + 2.0 * h * h + 2.0 * h + 3.0 * d + 3.0 * 2.0 * h;
    let backward = h + (2.0 * h * h + h);
    let theta = 2.0 * h * h + 2.0 * h * d + 6.0 * h + 1.0;
    forward + backward + theta
}

/// Flops of one PCD update: K ULA steps of n walkers and the walkers'
/// evaluation at θ_{k+1} (energy + ∇ₓU each), plus the θ-gradient passes of
/// the batch and the walkers. Adam (≈ 10 flops per parameter) is left out.
fn flops_per_pcd_update(d: f64, h: f64) -> f64 {
    let evals = (PCD_K + 1) * WALKERS;
    let grads = PCD_BATCH + WALKERS;
    evals as f64 * flops_per_eval(d, h) + grads as f64 * flops_per_param_grad(d, h)
}

/// The textbook network: `W₁`, `W₂` row-major, dot products, libm tanh.
#[derive(Clone)]
struct NaiveMlp {
    w1: Vec<[f32; 2]>,
    b1: Vec<f32>,
    w2: Vec<Vec<f32>>,
    b2: Vec<f32>,
    w3: Vec<f32>,
    b3: f32,
    alpha: f32,
}

impl NaiveMlp {
    fn from(net: &Net) -> Self {
        use tinyebm::Trainable;
        let mut t = vec![0f32; net.num_params()];
        net.params(&mut t).unwrap();
        let h = 32;
        let mut it = t.into_iter();
        let mut take = |n: usize| (&mut it).take(n).collect::<Vec<f32>>();
        // Fields are evaluated in the order written: θ's layout.
        NaiveMlp {
            w1: take(2 * h).chunks(2).map(|c| [c[0], c[1]]).collect(),
            b1: take(h),
            w2: (0..h).map(|_| take(h)).collect(),
            b2: take(h),
            w3: take(h),
            b3: take(1)[0],
            alpha: net.alpha(),
        }
    }
}

impl NaiveMlp {
    /// Forward pass: (z₁, z₂, U).
    fn forward(&self, x: &[f32]) -> (Vec<f32>, Vec<f32>, f32) {
        let h = self.b1.len();
        let z1: Vec<f32> = (0..h)
            .map(|j| libm::tanhf(self.b1[j] + self.w1[j][0] * x[0] + self.w1[j][1] * x[1]))
            .collect();
        let z2: Vec<f32> = (0..h)
            .map(|k| libm::tanhf(self.b2[k] + (0..h).map(|j| self.w2[k][j] * z1[j]).sum::<f32>()))
            .collect();
        let u = self.b3
            + (0..h).map(|k| self.w3[k] * z2[k]).sum::<f32>()
            + 0.5 * self.alpha * (x[0] * x[0] + x[1] * x[1]);
        (z1, z2, u)
    }

    /// Backward pass: (δ₁, δ₂) = (∂U/∂a₁, ∂U/∂a₂).
    fn backward(&self, z1: &[f32], z2: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let h = self.b1.len();
        let d2: Vec<f32> = (0..h).map(|k| self.w3[k] * (1.0 - z2[k] * z2[k])).collect();
        let d1: Vec<f32> = (0..h)
            .map(|j| (1.0 - z1[j] * z1[j]) * (0..h).map(|k| self.w2[k][j] * d2[k]).sum::<f32>())
            .collect();
        (d1, d2)
    }
}

impl Trainable for NaiveMlp {
    fn num_params(&self) -> usize {
        P
    }
    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        let mut v = Vec::with_capacity(P);
        self.w1.iter().for_each(|r| v.extend_from_slice(r));
        v.extend_from_slice(&self.b1);
        self.w2.iter().for_each(|r| v.extend_from_slice(r));
        v.extend_from_slice(&self.b2);
        v.extend_from_slice(&self.w3);
        v.push(self.b3);
        out[..P].copy_from_slice(&v);
        Ok(())
    }
    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        let net = Net::from_params(2, 32, Activation::Tanh, self.alpha, theta)?;
        *self = NaiveMlp::from(&net);
        Ok(())
    }
    /// Adds s·∂U/∂θ at `x` to `g`.
    fn add_param_grad(&self, x: &[f32], s: f32, g: &mut [f32]) -> Result<f32, EvalError> {
        let h = self.b1.len();
        let (z1, z2, u) = self.forward(x);
        let (d1, d2) = self.backward(&z1, &z2);
        let (gw1, rest) = g.split_at_mut(2 * h);
        let (gb1, rest) = rest.split_at_mut(h);
        let (gw2, rest) = rest.split_at_mut(h * h);
        let (gb2, rest) = rest.split_at_mut(h);
        let (gw3, gb3) = rest.split_at_mut(h);
        for j in 0..h {
            gw1[2 * j] += s * d1[j] * x[0];
            gw1[2 * j + 1] += s * d1[j] * x[1];
            gb1[j] += s * d1[j];
        }
        for k in 0..h {
            for j in 0..h {
                gw2[k * h + j] += s * d2[k] * z1[j];
            }
            gb2[k] += s * d2[k];
            gw3[k] += s * z2[k];
        }
        gb3[0] += s;
        Ok(u)
    }
}

/// tinyebm's `Mlp` through the traits' default per-walker bodies only.
#[derive(Clone)]
struct PerWalker(Net);

impl Energy for PerWalker {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        self.0.value(x)
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, EvalError> {
        self.0.value_grad(x, g)
    }
}

impl Trainable for PerWalker {
    fn num_params(&self) -> usize {
        self.0.num_params()
    }
    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        self.0.params(out)
    }
    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        self.0.set_params(theta)
    }
    fn add_param_grad(&self, x: &[f32], s: f32, g: &mut [f32]) -> Result<f32, EvalError> {
        self.0.add_param_grad(x, s, g)
    }
}

impl Energy for NaiveMlp {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        let mut g = [0f32; 2];
        self.value_grad(x, &mut g)
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, EvalError> {
        let h = self.b1.len();
        let (z1, z2, u) = self.forward(x);
        let (d1, _) = self.backward(&z1, &z2);
        for i in 0..2 {
            g[i] = self.alpha * x[i] + (0..h).map(|j| self.w1[j][i] * d1[j]).sum::<f32>();
        }
        Ok(u)
    }
}

/// The reference network with its batched pass on the dispatched path.
#[derive(Clone)]
struct Dispatched(Net);

impl Energy for Dispatched {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        self.0.value(x)
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, EvalError> {
        self.0.value_grad(x, g)
    }
    fn eval_batch<const N: usize, const D: usize>(
        &self,
        x: &tinyebm::Soa<N, D>,
        n: usize,
        with_grad: bool,
        out: &mut tinyebm::Evals<N, D>,
    ) {
        dispatch::mlp_eval_batch(&self.0, x, n, with_grad, out)
    }
}

impl Trainable for Dispatched {
    fn num_params(&self) -> usize {
        self.0.num_params()
    }
    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        self.0.params(out)
    }
    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        self.0.set_params(theta)
    }
    fn add_param_grad(&self, x: &[f32], s: f32, g: &mut [f32]) -> Result<f32, EvalError> {
        self.0.add_param_grad(x, s, g)
    }
    fn accumulate_param_grad_batch<const N: usize, const D: usize>(
        &self,
        x: &tinyebm::Soa<N, D>,
        n: usize,
        weight: &[f32; N],
        grad: &mut [f32],
    ) -> Result<(), (usize, EvalError)> {
        dispatch::mlp_accumulate_param_grad_batch(&self.0, x, n, weight, grad)
    }
    fn param_grad_each<const N: usize, const D: usize>(
        &self,
        x: &tinyebm::Soa<N, D>,
        n: usize,
        scratch: &mut [f32],
        f: impl FnMut(usize, f32, &[f32]) -> bool,
    ) -> Result<(), (usize, EvalError)> {
        dispatch::mlp_param_grad_each(&self.0, x, n, scratch, f)
    }
}

/// Set by `--calls N` (with `--profile`): run the workload N times instead of timing it.
static FIXED_CALLS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// Units of work per second: the best of 5 windows of ≥ `budget`/5 each, so
/// that other processes on a shared machine slow a window, not the result.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    if let Some(&n) = FIXED_CALLS.get() {
        // `--calls N`: a fixed amount of work, for instruction counts
        // (valgrind --tool=callgrind), which a noisy machine cannot blur.
        for _ in 0..n {
            f();
        }
        return n as f64;
    }
    for _ in 0..10 {
        f();
    }
    let mut best = 0f64;
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget / 5 {
            for _ in 0..20 {
                f();
            }
            n += 20;
        }
        best = best.max(n as f64 / start.elapsed().as_secs_f64());
    }
    best
}

fn chain_steps<K: Kernel + Copy, E: Energy, const N: usize>(
    k: K,
    e: &E,
    net: &Net,
    budget: Duration,
) -> f64 {
    let mut w = Walkers::<N, 2>::gaussian(net, N, 1, &[0.0, 0.0], 1.0).unwrap();
    N as f64
        * rate(budget, || {
            black_box(k.step(e, 1.0, &mut w).unwrap());
        })
}

/// 8 Gaussians on a ring of radius 2, sd 0.1 (the peers' data set, drawn
/// with tinyebm's own stream), walker-major.
fn ring_data(n: usize) -> Vec<f32> {
    let mut s = Stream::new(1, 0);
    let mut out = Vec::with_capacity(2 * n);
    for _ in 0..n {
        let a = core::f32::consts::TAU * s.below(8) as f32 / 8.0;
        let mut e = [0f32; 2];
        s.fill_normal(&mut e);
        out.push(2.0 * a.cos() + 0.1 * e[0]);
        out.push(2.0 * a.sin() + 0.1 * e[1]);
    }
    out
}

/// PCD updates per second on `model` (a fresh copy of the reference
/// weights), and the number of refused updates.
fn pcd_updates<E: Trainable + Clone>(model: &E, data: &[f32], budget: Duration) -> (f64, u64) {
    let mut e = model.clone();
    let w = Walkers::<WALKERS, 2>::gaussian(&e, WALKERS, 2, &[0.0, 0.0], 1.0).unwrap();
    let mut sampler = Sampler::new(Ula::new(0.05).unwrap(), w);
    // The peers keep no running diagnostics; tinyebm's cost about 5% here.
    sampler.set_recording(false);
    let cfg = PcdConfig {
        batch_size: PCD_BATCH,
        steps: PCD_K,
        ..PcdConfig::new(Mode::Pcd)
    };
    let opt = Adam::<P>::new(P, 1e-3).unwrap();
    let mut t = Pcd::<_, _, WALKERS, 2, P>::new(&e, sampler, opt, cfg).unwrap();
    let batches = data.len() / (2 * PCD_BATCH);
    let mut next = 0;
    let r = rate(budget, || {
        let b = &data[next * 2 * PCD_BATCH..(next + 1) * 2 * PCD_BATCH];
        next = (next + 1) % batches;
        // A refused update (non-finite θ) is counted by the trainer; the
        // setting diverges slowly (benches/peers/README.md), not to NaN.
        black_box(t.push_batch(&mut e, b).ok());
    });
    (r, t.rejected())
}

fn profile(which: &str) {
    let net = Net::init(2, 32, Activation::Tanh, 0.5, 42).unwrap();
    let (mala, ula) = (Mala::new(0.05).unwrap(), Ula::new(0.05).unwrap());
    let budget = Duration::from_secs(10);
    let fast = Dispatched(net.clone());
    let v = match which {
        "mala1" => chain_steps::<_, _, 1>(mala, &fast, &net, budget),
        "mala64" => chain_steps::<_, _, WALKERS>(mala, &fast, &net, budget),
        "ula64" => chain_steps::<_, _, WALKERS>(ula, &fast, &net, budget),
        _ => pcd_updates(&fast, &ring_data(4096), budget).0,
    };
    match FIXED_CALLS.get() {
        Some(n) => println!("{which}: {n} calls"),
        None => println!("{which}: {v:.0} per second"),
    }
}

/// The CPU and the build, for the JSON: `cpu` (model name), `cpu_flags`
/// (the vector features the CPU has), `build` (those this binary was
/// compiled for) and `path` (the dispatched path of the MLP passes).
fn machine_json() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |k: &str| {
        info.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_once(':'))
            .map_or(String::new(), |(_, v)| v.trim().to_string())
    };
    let wanted = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512vl"];
    let flags = field("flags");
    let has: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| flags.split(' ').any(|f| f == *w))
        .collect();
    let mut build = vec!["sse2"];
    let path = format!("{:?}", dispatch::path());
    if cfg!(target_feature = "avx2") {
        build.push("avx2");
    }
    if cfg!(target_feature = "fma") {
        build.push("fma");
    }
    if cfg!(target_feature = "avx512f") {
        build.push("avx512f");
    }
    format!(
        "\"cpu\": \"{}\", \"cpu_flags\": \"{}\", \"build\": \"{}\", \"path\": \"{}\"",
        field("model name"),
        has.join(" "),
        build.join(" "),
        path
    )
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // `--profile WORKLOAD` (mala1, mala64, ula64, pcd): run only tinyebm on
    // that workload for 10 s, for `perf record`.
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--calls") {
        let n = args
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .expect("--calls N");
        FIXED_CALLS.set(n).unwrap();
    }
    if let Some(i) = args.iter().position(|a| a == "--profile") {
        return profile(args.get(i + 1).map_or("pcd", |s| s.as_str()));
    }
    let budget = Duration::from_millis(if quick { 300 } else { 2000 });
    let net = Net::init(2, 32, Activation::Tanh, 0.5, 42).unwrap();
    let fl = flops_per_eval(2.0, 32.0);
    let mala = Mala::new(0.05).unwrap();
    let ula = Ula::new(0.05).unwrap();
    println!("reference model: MLP 2→32→32→1 tanh + ½·0.5|x|²; {fl:.0} flops per energy+gradient");
    let fl_pcd = flops_per_pcd_update(2.0, 32.0);
    println!(
        "PCD update: {:.2} Mflop ({} evaluations with ∇ₓU, {} θ-gradient passes of {:.0} flops)",
        fl_pcd / 1e6,
        (PCD_K + 1) * WALKERS,
        PCD_BATCH + WALKERS,
        flops_per_param_grad(2.0, 32.0)
    );
    println!(
        "{:<22} {:>12} {:>11} {:>11} {:>8} {:>8} {:>8}",
        "workload", "rate", "per-walker", "textbook", "x p-w", "x text", "GFLOP/s"
    );
    let mut json = Vec::new();
    let mut row = |name: &str, key: &str, v: f64, pw: f64, base: f64, fl: f64| {
        println!(
            "{name:<22} {v:>12.0} {pw:>11.0} {base:>11.0} {:>7.2}x {:>7.2}x {:>8.2}",
            v / pw,
            v / base,
            v * fl / 1e9
        );
        json.push(format!("\"{key}\": {v:.1}"));
    };
    let naive = NaiveMlp::from(&net);
    let mut g = [0f32; 2];
    let (u_t, u_n) = (
        net.value_grad(&[0.3, -0.7], &mut g).unwrap(),
        naive.value(&[0.3, -0.7]).unwrap(),
    );
    assert!(
        (u_t - u_n).abs() < 1e-5,
        "baseline computes a different model: {u_t} vs {u_n}"
    );
    let per_walker = PerWalker(net.clone());
    // `--only`: tinyebm's rates alone (the baselines print as NaN), for
    // interleaved runs against the peers (benches/peers/interleave.sh).
    let only = std::env::args().any(|a| a == "--only");
    let base = |f: &mut dyn FnMut() -> f64| if only { f64::NAN } else { f() };
    let fast = Dispatched(net.clone());
    let v = chain_steps::<_, _, 1>(mala, &fast, &net, budget);
    let p = base(&mut || chain_steps::<_, _, 1>(mala, &per_walker, &net, budget));
    let b = base(&mut || chain_steps::<_, _, 1>(mala, &naive, &net, budget));
    row("MALA, 1 chain", "mala_1chain_steps_per_s", v, p, b, fl);
    let v = chain_steps::<_, _, WALKERS>(mala, &fast, &net, budget);
    let p = base(&mut || chain_steps::<_, _, WALKERS>(mala, &per_walker, &net, budget));
    let b = base(&mut || chain_steps::<_, _, WALKERS>(mala, &naive, &net, budget));
    row("MALA, 64 walkers", "mala_64_chain_steps_per_s", v, p, b, fl);
    let v = chain_steps::<_, _, WALKERS>(ula, &fast, &net, budget);
    let p = base(&mut || chain_steps::<_, _, WALKERS>(ula, &per_walker, &net, budget));
    let b = base(&mut || chain_steps::<_, _, WALKERS>(ula, &naive, &net, budget));
    row("ULA, 64 walkers", "ula_64_chain_steps_per_s", v, p, b, fl);
    let data = ring_data(4096);
    let (v, rv) = pcd_updates(&fast, &data, budget);
    let (p, rp) = if only {
        (f64::NAN, 0)
    } else {
        pcd_updates(&PerWalker(net.clone()), &data, budget)
    };
    let (b, rb) = if only {
        (f64::NAN, 0)
    } else {
        pcd_updates(&NaiveMlp::from(&net), &data, budget)
    };
    row("PCD K=10 + Adam", "pcd_updates_per_s", v, p, b, fl_pcd);
    println!("(rates: chain-steps/s, PCD updates/s; refused PCD updates: {rv}, {rp}, {rb})");
    std::fs::create_dir_all("target/peers").unwrap();
    let body = format!(
        "{{\"framework\": \"tinyebm\", \"version\": \"{}\", {}, {}}}\n",
        env!("CARGO_PKG_VERSION"),
        json.join(", "),
        machine_json()
    );
    std::fs::write("target/peers/tinyebm.json", &body).unwrap();
    println!("wrote target/peers/tinyebm.json");
}
