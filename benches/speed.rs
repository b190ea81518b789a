//! Host speed benchmark (std-only harness): steps/s for the reference model,
//! against a baseline measured in the same run.
//!
//!     cargo bench --bench speed                # or, to use this CPU's vector units:
//!     RUSTFLAGS="-C target-cpu=native" cargo bench --bench speed
//!
//! Reference model (issue 6): 2-D input, MLP 2→32→32→1 tanh + ½·0.5·|x|².
//! Baseline, measured in the same run: the same kernels driving a textbook
//! implementation of the same network with the same weights (row-major dot
//! products, libm's `tanhf`, one walker at a time) — what a straightforward
//! port would run.

use std::hint::black_box;
use std::time::{Duration, Instant};
use tinyebm::{Activation, Energy, EvalError, Kernel, Mala, Mlp, Ula, Walkers};

type Net = Mlp<2, 32>;

/// Forward + backward (∇ₓU) flops of a d→h→h→1 MLP, counting a multiply-add
/// as 2 and each activation as 1 (plus its derivative 1 − t²: 2).
fn flops_per_eval(d: f64, h: f64) -> f64 {
    let forward = 2.0 * h * d + 2.0 * h * h + 2.0 * h + 3.0 * d + 3.0 * 2.0 * h;
    let backward = h + (2.0 * h * h + h) + (2.0 * h * d + 2.0 * d);
    forward + backward
}

/// The textbook network: `W₁`, `W₂` row-major, dot products, libm tanh.
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
        let w1 = take(2 * h).chunks(2).map(|c| [c[0], c[1]]).collect();
        let b1 = take(h);
        let w2 = (0..h).map(|_| take(h)).collect();
        let b2 = take(h);
        let w3 = take(h);
        let b3 = take(1)[0];
        NaiveMlp {
            w1,
            b1,
            w2,
            b2,
            w3,
            b3,
            alpha: net.alpha(),
        }
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
        let z1: Vec<f32> = (0..h)
            .map(|j| libm::tanhf(self.b1[j] + self.w1[j][0] * x[0] + self.w1[j][1] * x[1]))
            .collect();
        let z2: Vec<f32> = (0..h)
            .map(|k| libm::tanhf(self.b2[k] + (0..h).map(|j| self.w2[k][j] * z1[j]).sum::<f32>()))
            .collect();
        let u = self.b3
            + (0..h).map(|k| self.w3[k] * z2[k]).sum::<f32>()
            + 0.5 * self.alpha * (x[0] * x[0] + x[1] * x[1]);
        let d2: Vec<f32> = (0..h).map(|k| self.w3[k] * (1.0 - z2[k] * z2[k])).collect();
        let d1: Vec<f32> = (0..h)
            .map(|j| (1.0 - z1[j] * z1[j]) * (0..h).map(|k| self.w2[k][j] * d2[k]).sum::<f32>())
            .collect();
        for i in 0..2 {
            g[i] = self.alpha * x[i] + (0..h).map(|j| self.w1[j][i] * d1[j]).sum::<f32>();
        }
        Ok(u)
    }
}

/// Units of work per second: the best of 5 windows of ≥ `budget`/5 each, so
/// that other processes on a shared machine slow a window, not the result.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
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

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = Duration::from_millis(if quick { 300 } else { 2000 });
    let net = Net::init(2, 32, Activation::Tanh, 0.5, 42).unwrap();
    let fl = flops_per_eval(2.0, 32.0);
    let mala = Mala::new(0.05).unwrap();
    let ula = Ula::new(0.05).unwrap();
    println!("reference model: MLP 2→32→32→1 tanh + ½·0.5|x|²; {fl:.0} flops per energy+gradient");
    println!(
        "{:<28} {:>14} {:>14} {:>9} {:>9}",
        "workload", "chain-steps/s", "textbook", "ratio", "GFLOP/s"
    );
    let mut json = Vec::new();
    let mut row = |name: &str, key: &str, v: f64, base: f64| {
        println!(
            "{name:<28} {v:>14.0} {base:>14.0} {:>8.2}x {:>9.2}",
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
    let v = chain_steps::<_, _, 1>(mala, &net, &net, budget);
    let b = chain_steps::<_, _, 1>(mala, &naive, &net, budget);
    row("MALA, 1 chain", "mala_1chain_steps_per_s", v, b);
    let v = chain_steps::<_, _, 64>(mala, &net, &net, budget);
    let b = chain_steps::<_, _, 64>(mala, &naive, &net, budget);
    row("MALA, 64 walkers", "mala_64_chain_steps_per_s", v, b);
    let v = chain_steps::<_, _, 64>(ula, &net, &net, budget);
    let b = chain_steps::<_, _, 64>(ula, &naive, &net, budget);
    row("ULA, 64 walkers", "ula_64_chain_steps_per_s", v, b);
    std::fs::create_dir_all("target/peers").unwrap();
    let body = format!("{{\"framework\": \"tinyebm\", {}}}\n", json.join(", "));
    std::fs::write("target/peers/tinyebm.json", &body).unwrap();
    println!("wrote target/peers/tinyebm.json");
}
