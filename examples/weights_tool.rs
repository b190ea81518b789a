//! Weight files from the command line: the Rust side of the Python bridge's
//! checks (`python/tinyebm_weights`, `scripts/ci-python.sh`, `docs/python.md`).
//!
//!     cargo run --release --features std --example weights_tool -- COMMAND …
//!
//! Commands:
//!
//! * `samples DIR`: writes one file of every model kind, with deterministic
//!   parameters, into `DIR` (created if missing) and prints their names:
//!   `gaussian_diag.tebm`, `gaussian_full.tebm`, `polynomial.tebm`,
//!   `mixture.tebm`, `mlp_tanh.tebm`, `mlp_silu.tebm`, `mlp_softplus.tebm`,
//!   `deep_mlp_1.tebm`, `deep_mlp_3.tebm`, `deep_mlp_4.tebm` (1, 3 and 4
//!   hidden layers of different widths, tanh, SiLU and softplus).
//! * `eval FILE POINTS`: loads `FILE` (any kind) and prints, for every point
//!   of `POINTS`, one line `U g₀ … g_{d−1}` (U and ∇ₓU) as the f32 bit
//!   patterns in hex (`0x3f800000`); with `--sci` before `FILE`, as `{:e}`
//!   (the shortest decimal that reads back to the same f32). `POINTS` has one
//!   point per line, d whitespace-separated values, each a decimal number or
//!   an f32 bit pattern `0x…`; blank lines and `#` comments are skipped.
//! * `check FILE…`: loads each file; prints one line per file, in order:
//!   `ok KIND d=… params=…`, or `error VARIANT: message` with the [`Error`]
//!   variant's name; exits 1 (with a summary on stderr) if any was refused.
//! * `reencode IN OUT`: loads `IN` and writes the model back with
//!   [`Persist::save`] (for byte-for-byte comparisons with other writers).
//!
//! Files load into fixed capacities (see [`CAP_D`] and friends): a larger
//! model is refused with `CapacityExceeded`, as a device build would.

use std::process::ExitCode;

use tinyebm::weights::{ModelKind, peek};
use tinyebm::{
    Activation, DeepMlp, Energy, Error, Gaussian, Mixture, Mlp, Persist, Polynomial, Stream,
    Trainable, deep_mlp_param_count, num_monomials,
};

/// Largest d this tool loads (Gaussian, Mixture, MLP).
const CAP_D: usize = 32;
/// Largest polynomial dimension and its monomial count at degree 8.
const CAP_POLY_D: usize = 6;
const CAP_POLY_M: usize = num_monomials(CAP_POLY_D, 8);
/// Largest number of mixture components.
const CAP_K: usize = 16;
/// Largest MLP hidden width.
const CAP_H: usize = 128;
/// Largest DeepMlp hidden width, and its hidden-to-hidden matrices (7: up to
/// `MAX_LAYERS` = 8 hidden layers).
const CAP_DEEP_H: usize = 64;
const CAP_DEEP_L: usize = 7;

type G = Gaussian<CAP_D>;
type P = Polynomial<CAP_POLY_D, CAP_POLY_M>;
type Mx = Mixture<CAP_K, CAP_D>;
type M = Mlp<CAP_D, CAP_H>;
type Dm = DeepMlp<CAP_D, CAP_DEEP_H, CAP_DEEP_L>;

/// A loaded model of any kind (boxed: the MLP's capacity is ~150 KB).
enum Model {
    Gaussian(Box<G>),
    Polynomial(Box<P>),
    Mixture(Box<Mx>),
    Mlp(Box<M>),
    DeepMlp(Box<Dm>),
}

impl Model {
    /// Decodes with the type named by the kind code at bytes 6..8, so every
    /// error is the one that type's `decode` reports (`peek` first would
    /// report absurd sizes as an overflow before the capacity check); a file
    /// too short for a kind code, or with an unknown one, gets `peek`'s error.
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let code = bytes.get(6..8).map(|c| u16::from_le_bytes([c[0], c[1]]));
        let kind = code.and_then(ModelKind::from_code);
        Ok(match kind {
            Some(ModelKind::Gaussian) => Model::Gaussian(Box::new(G::decode(bytes)?)),
            Some(ModelKind::Polynomial) => Model::Polynomial(Box::new(P::decode(bytes)?)),
            Some(ModelKind::Mixture) => Model::Mixture(Box::new(Mx::decode(bytes)?)),
            Some(ModelKind::Mlp) => Model::Mlp(Box::new(M::decode(bytes)?)),
            Some(ModelKind::DeepMlp) => Model::DeepMlp(Box::new(Dm::decode(bytes)?)),
            _ => {
                peek(bytes)?;
                return Err(Error::CorruptData("unknown model kind"));
            }
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Model::Gaussian(_) => "Gaussian",
            Model::Polynomial(_) => "Polynomial",
            Model::Mixture(_) => "Mixture",
            Model::Mlp(_) => "Mlp",
            Model::DeepMlp(_) => "DeepMlp",
        }
    }

    fn energy(&self) -> &dyn DynEnergy {
        match self {
            Model::Gaussian(m) => m.as_ref(),
            Model::Polynomial(m) => m.as_ref(),
            Model::Mixture(m) => m.as_ref(),
            Model::Mlp(m) => m.as_ref(),
            Model::DeepMlp(m) => m.as_ref(),
        }
    }
}

/// The object-safe part of [`Energy`], [`Trainable`] and [`Persist`] this tool uses.
trait DynEnergy {
    fn dim(&self) -> usize;
    fn num_params(&self) -> usize;
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, String>;
    fn save(&self, path: &str) -> std::io::Result<()>;
}

impl<T: Persist> DynEnergy for T {
    fn dim(&self) -> usize {
        Energy::dim(self)
    }
    fn num_params(&self) -> usize {
        Trainable::num_params(self)
    }
    fn value_grad(&self, x: &[f32], g: &mut [f32]) -> Result<f32, String> {
        Energy::value_grad(self, x, g).map_err(|e| format!("{e:?}"))
    }
    fn save(&self, path: &str) -> std::io::Result<()> {
        Persist::save(self, path)
    }
}

/// The variant name of an error (`Checksum`, `Truncated`, …).
fn variant(e: &Error) -> String {
    let dbg = format!("{e:?}");
    dbg.split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_string()
}

fn load(path: &str) -> Result<Model, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    Model::decode(&bytes).map_err(|e| format!("error {}: {e}", variant(&e)))
}

/// Deterministic values: N(0, scale²) from a fixed stream.
fn normals(seed: u64, n: usize, scale: f32) -> Vec<f32> {
    let mut v = vec![0f32; n];
    Stream::new(seed, 7).fill_normal(&mut v);
    v.iter_mut().for_each(|x| *x *= scale);
    v
}

fn samples(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let path = |name: &str| std::path::Path::new(dir).join(name);
    let mut written = Vec::new();
    let mut put = |name: &str, m: &dyn DynEnergy| -> std::io::Result<()> {
        m.save(path(name).to_str().expect("UTF-8 path"))?;
        written.push(name.to_string());
        Ok(())
    };

    let g = Gaussian::<3>::diagonal(&normals(1, 3, 1.0), &[0.5, 2.0, 3.25])?;
    put("gaussian_diag.tebm", &g)?;
    let cov = [2.0, 0.3, -0.2, 0.3, 1.0, 0.1, -0.2, 0.1, 0.7];
    let g = Gaussian::<3>::from_covariance(&normals(2, 3, 1.0), &cov)?;
    put("gaussian_full.tebm", &g)?;
    let p = Polynomial::<2, 15>::new(2, 4, &normals(3, 15, 1.0))?;
    put("polynomial.tebm", &p)?;
    let mx = Mixture::<3, 2>::new(
        &[0.5, 0.3, 0.2],
        &normals(4, 6, 2.0),
        &[1.0, 0.5, 0.75, 1.25, 0.3, 2.0],
    )?;
    put("mixture.tebm", &mx)?;
    for (name, act) in [
        ("mlp_tanh.tebm", Activation::Tanh),
        ("mlp_silu.tebm", Activation::Silu),
        ("mlp_softplus.tebm", Activation::Softplus),
    ] {
        let (d, h) = (3, 8);
        let theta = normals(5 + act as u64, tinyebm::mlp_param_count(d, h), 0.6);
        let m = Mlp::<3, 8>::from_params(d, h, act, 0.25, &theta)?;
        put(name, &m)?;
    }
    for (name, widths, act, alpha) in [
        ("deep_mlp_1.tebm", &[6][..], Activation::Tanh, 0.5),
        ("deep_mlp_3.tebm", &[8, 5, 7][..], Activation::Silu, 0.25),
        (
            "deep_mlp_4.tebm",
            &[4, 9, 3, 6][..],
            Activation::Softplus,
            1.5,
        ),
    ] {
        let d = 3;
        let theta = normals(
            10 + widths.len() as u64,
            deep_mlp_param_count(d, widths),
            0.6,
        );
        let m = DeepMlp::<3, 9, 3>::from_params(d, widths, act, alpha, &theta)?;
        put(name, &m)?;
    }
    for name in written {
        println!("{name}");
    }
    Ok(())
}

fn parse_value(tok: &str) -> Result<f32, String> {
    if let Some(hex) = tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16)
            .map(f32::from_bits)
            .map_err(|e| format!("{tok}: {e}"))
    } else {
        tok.parse::<f32>().map_err(|e| format!("{tok}: {e}"))
    }
}

fn eval(file: &str, points: &str, sci: bool) -> Result<(), String> {
    let model = load(file)?;
    let e = model.energy();
    let d = e.dim();
    let text = std::fs::read_to_string(points).map_err(|e| format!("{points}: {e}"))?;
    let fmt = |v: f32| {
        if sci {
            format!("{v:e}")
        } else {
            format!("{:#010x}", v.to_bits())
        }
    };
    let mut out = String::new();
    let mut g = vec![0f32; d];
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let x = line
            .split_whitespace()
            .map(parse_value)
            .collect::<Result<Vec<f32>, String>>()?;
        if x.len() != d {
            return Err(format!(
                "{points}:{}: {} values, expected d = {d}",
                n + 1,
                x.len()
            ));
        }
        let u = e
            .value_grad(&x, &mut g)
            .map_err(|err| format!("{points}:{}: {err}", n + 1))?;
        out.push_str(&fmt(u));
        for &gi in &g {
            out.push(' ');
            out.push_str(&fmt(gi));
        }
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

/// One line per file, in order; fails (exit 1) if any file does not load.
fn check(files: &[&str]) -> Result<(), String> {
    let mut failed = 0;
    for file in files {
        match load(file) {
            Ok(m) => {
                let e = m.energy();
                println!("ok {} d={} params={}", m.name(), e.dim(), e.num_params());
            }
            Err(msg) => {
                println!("{msg}");
                failed += 1;
            }
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(format!("{n} of {} files refused", files.len())),
    }
}

const USAGE: &str =
    "usage: weights_tool samples DIR | eval [--sci] FILE POINTS | check FILE… | reencode IN OUT";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["samples", dir] => samples(dir).map_err(|e| e.to_string()),
        ["eval", "--sci", file, points] => eval(file, points, true),
        ["eval", file, points] => eval(file, points, false),
        ["check", files @ ..] if !files.is_empty() => check(files),
        ["reencode", src, dst] => {
            load(src).and_then(|m| m.energy().save(dst).map_err(|e| format!("{dst}: {e}")))
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}
