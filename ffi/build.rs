//! Build-time capacities of the C API (smoltcp-style: one knob per capacity).
//!
//! Each `TEBM_MAX_*` capacity is read from the environment variable of the
//! same name (default: the values below), validated, and written with the
//! derived `TEBM_MAX_PARAMS` to `$OUT_DIR/capacities.rs`, which
//! `src/lib.rs` includes. Example:
//!
//! ```text
//! TEBM_MAX_DIM=64 TEBM_MAX_WALKERS=32 cargo build --release -p tinyebm-ffi
//! ```
//!
//! The object sizes (`TEBM_*_SIZE`) follow from these in `src/lib.rs` (the
//! real `size_of` of the objects, rounded up). The header for a non-default
//! configuration: `scripts/gen-header.sh OUTPUT` with the same variables
//! (see docs/c-api.md, "Capacities").

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

/// A capacity knob: name, default, valid range, documentation.
struct Knob {
    name: &'static str,
    default: usize,
    min: usize,
    max: usize,
    doc: &'static str,
}

/// Every knob, in the order of the generated file (and the header).
const KNOBS: [Knob; 9] = [
    Knob {
        name: "TEBM_MAX_DIM",
        default: 16,
        min: 1,
        max: 1024,
        doc: "Largest dimension d of an energy or sampler.",
    },
    Knob {
        name: "TEBM_MAX_WALKERS",
        default: 64,
        min: 1,
        max: 4096,
        doc: "Largest number of walkers of a sampler.",
    },
    Knob {
        name: "TEBM_MAX_HIDDEN",
        default: 32,
        min: 1,
        max: 1024,
        doc: "Largest hidden width h of an MLP energy.",
    },
    Knob {
        name: "TEBM_MAX_COMPONENTS",
        default: 8,
        min: 1,
        max: 256,
        doc: "Largest number of components of a mixture energy.",
    },
    Knob {
        name: "TEBM_MAX_POLY_DEGREE",
        default: 6,
        min: 1,
        // The core's `ebm::polynomial::MAX_DEGREE` (checked in src/lib.rs).
        max: 8,
        doc: "Largest total degree of a polynomial energy.",
    },
    Knob {
        name: "TEBM_MAX_MONOMIALS",
        default: 128,
        min: 1,
        max: 65_536,
        doc: "Largest number of monomials (= coefficients) of a polynomial energy:\n\
              C(d + degree, degree) must not exceed it (e.g. d = 3, degree 6: 84;\n\
              d = 4, degree 5: 126; d = 2, degree 6: 28).",
    },
    Knob {
        name: "TEBM_MAX_TRAIN_WALKERS",
        default: 32,
        min: 1,
        max: 4096,
        doc: "Largest number of walkers of a trainer (by default smaller than a sampler's\n\
              `TEBM_MAX_WALKERS`: a trainer also holds parameter-sized buffers).",
    },
    Knob {
        name: "TEBM_MAX_REPLICAS",
        default: 8,
        min: 1,
        max: 256,
        doc: "Largest number of replicas (temperatures) of a `TebmTempering`.",
    },
    Knob {
        name: "TEBM_MAX_TEMPERING_WALKERS",
        default: 16,
        min: 1,
        max: 4096,
        doc: "Largest number of walkers per replica of a `TebmTempering`.",
    },
];

/// Most hidden layers of a deep MLP energy in the C API.
const DEEP_LAYERS: usize = 4;

/// Largest `TEBM_MAX_PARAMS` (an MLP at full capacity): keeps a trainer's
/// parameter-sized buffers (several copies of θ) within reason.
const MAX_PARAMS_LIMIT: usize = 1 << 20;

fn main() {
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for k in &KNOBS {
        println!("cargo:rerun-if-env-changed={}", k.name);
        let v = match env::var(k.name) {
            Err(env::VarError::NotPresent) => k.default,
            Err(env::VarError::NotUnicode(_)) => {
                errors.push(format!("{} is not valid Unicode", k.name));
                continue;
            }
            Ok(s) if s.trim().is_empty() => k.default,
            Ok(s) => match s.trim().replace('_', "").parse::<usize>() {
                Ok(v) if (k.min..=k.max).contains(&v) => v,
                Ok(v) => {
                    errors.push(format!("{}={v} is outside {}..={}", k.name, k.min, k.max));
                    continue;
                }
                Err(_) => {
                    errors.push(format!("{}={s:?} is not a whole number", k.name));
                    continue;
                }
            },
        };
        values.push((k, v));
    }
    if !errors.is_empty() {
        for e in &errors {
            println!("cargo:warning=tinyebm-ffi capacities: {e}");
        }
        panic!("invalid tinyebm-ffi capacities: {}", errors.join("; "));
    }
    let get = |name: &str| values.iter().find(|(k, _)| k.name == name).unwrap().1;
    // An MLP d → h → h → 1 at full capacity: h·(d + h + 3) + 1 parameters
    // (ebm::mlp_param_count; checked in src/lib.rs).
    let (d, h) = (get("TEBM_MAX_DIM"), get("TEBM_MAX_HIDDEN"));
    let params = h * (d + h + 3) + 1;
    if params > MAX_PARAMS_LIMIT {
        panic!(
            "invalid tinyebm-ffi capacities: TEBM_MAX_PARAMS = h·(d + h + 3) + 1 = {params} \
             (TEBM_MAX_DIM={d}, TEBM_MAX_HIDDEN={h}) is above {MAX_PARAMS_LIMIT}"
        );
    }

    let mut out =
        String::from("// Generated by ffi/build.rs from the TEBM_MAX_* environment variables.\n\n");
    let mut emit = |name: &str, v: usize, doc: &str| {
        for line in doc.lines() {
            writeln!(out, "/// {line}").unwrap();
        }
        writeln!(out, "pub const {name}: usize = {v};").unwrap();
    };
    for (k, v) in &values {
        let doc = format!(
            "{}\nBuild knob: environment variable `{}` (default {}).",
            k.doc, k.name, k.default
        );
        emit(k.name, *v, &doc);
        if k.name == "TEBM_MAX_TRAIN_WALKERS" {
            emit(
                "TEBM_MAX_PARAMS",
                params,
                "Largest number of parameters a trainer trains: an MLP at full capacity,\n\
                 h·(d + h + 3) + 1 with d = `TEBM_MAX_DIM`, h = `TEBM_MAX_HIDDEN`\n\
                 (derived, not a knob).",
            );
            emit(
                "TEBM_MAX_DEEP_LAYERS",
                DEEP_LAYERS,
                "Most hidden layers of a deep MLP energy (`tebm_energy_init_deep_mlp`; fixed).",
            );
            emit(
                "TEBM_MAX_DEEP_WIDTH",
                (h / 2).max(1),
                "Largest width of a deep MLP energy's hidden layers: `TEBM_MAX_HIDDEN` / 2\n\
                 (at least 1), so that a deep MLP at full capacity is smaller than an MLP's\n\
                 object and its parameters fit `TEBM_MAX_PARAMS` (derived, not a knob).",
            );
        }
    }
    let path = PathBuf::from(env::var_os("OUT_DIR").unwrap()).join("capacities.rs");
    fs::write(&path, out).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
    avx512_cfg();
}

/// `#[target_feature(enable = "avx512f")]` is stable from Rust 1.89; older
/// compilers (the MSRV is 1.85) build the runtime dispatch without its
/// AVX-512 path (`cfg(tebm_no_avx512)`, see src/dispatch.rs).
fn avx512_cfg() {
    println!("cargo:rustc-check-cfg=cfg(tebm_no_avx512)");
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let minor = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| {
            v.split(['.', ' '])
                .nth(2)
                .and_then(|m| m.parse::<u32>().ok())
        });
    if minor.is_none_or(|m| m < 89) {
        println!("cargo:rustc-cfg=tebm_no_avx512");
    }
}
