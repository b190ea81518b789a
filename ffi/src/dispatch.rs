//! Runtime dispatch of the MLP's batched passes: the C library is built for
//! baseline x86_64 (SSE2), and picks at run time the widest vector unit the
//! CPU has (AVX2, AVX-512) for the hot loops.
//!
//! Why here: calling a `#[target_feature]` function from code compiled
//! without the feature is `unsafe` (Rust 1.85, the MSRV, also requires such
//! functions to be `unsafe fn`), and the core is free of `unsafe`. The core
//! offers the passes with every call inlined (`Mlp::eval_batch_lanes` and
//! its two siblings); the wrappers below inline that same Rust source into
//! functions compiled with AVX2 or AVX-512 enabled, so the compiler
//! vectorises it again, wider. The operations and their order do not
//! change and Rust never contracts `a·b + c` into a fused multiply-add, so
//! every path gives the same bits (`scripts/ci-ffi.sh` runs `tests/c/bits.c`
//! on each path and diffs).
//!
//! The same file is compiled into `benches/speed.rs` (`#[path]`), so the
//! benchmark times the passes a C user links.
//!
//! `TEBM_SIMD=sse2|avx2|avx512` in the environment, read once, caps the
//! path (it never enables what the CPU lacks): the way to test each path on
//! one machine.

// Off hosted x86_64 only the baseline path exists: the paths, lane counts
// and the detection are then unused.
#![cfg_attr(
    not(all(target_arch = "x86_64", not(target_os = "none"))),
    allow(dead_code)
)]

use ebm::{EvalError, Evals, Mlp, Soa};

/// A code path of the batched passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Path {
    /// The build's own code (SSE2 on baseline x86_64; everything elsewhere).
    Baseline = 1,
    /// AVX2, 256-bit vectors, 32 lanes.
    Avx2 = 2,
    /// AVX-512F, 512-bit vectors, 64 lanes.
    Avx512 = 3,
}

/// Lanes per chunk on the AVX2 path: two partial sums of 32 lanes fill 8 of
/// the 16 ymm registers (as the core's `LANES` with AVX).
const AVX2_LANES: usize = 32;
/// Lanes on the AVX-512 path: two partial sums of 64 lanes fill 8 of the 32
/// zmm registers.
#[cfg_attr(tebm_no_avx512, allow(dead_code))]
const AVX512_LANES: usize = 64;

/// The path in use: detected once, capped by `TEBM_SIMD`.
#[cfg(all(target_arch = "x86_64", not(target_os = "none")))]
pub(crate) fn path() -> Path {
    use core::sync::atomic::{AtomicU8, Ordering};
    static PATH: AtomicU8 = AtomicU8::new(0);
    match PATH.load(Ordering::Relaxed) {
        1 => Path::Baseline,
        2 => Path::Avx2,
        3 => Path::Avx512,
        _ => {
            let p = detect().min(cap());
            PATH.store(p as u8, Ordering::Relaxed);
            p
        }
    }
}

/// Other targets and bare metal: the build's own code.
#[cfg(not(all(target_arch = "x86_64", not(target_os = "none"))))]
pub(crate) fn path() -> Path {
    Path::Baseline
}

/// The widest path this CPU (and OS: the feature checks include the saved
/// register state) supports. Built with Rust < 1.89 (where the `avx512f`
/// target feature is unstable; `build.rs` sets `tebm_no_avx512`), AVX2 is
/// the widest.
#[cfg(all(target_arch = "x86_64", not(target_os = "none")))]
fn detect() -> Path {
    if cfg!(not(tebm_no_avx512)) && std::is_x86_feature_detected!("avx512f") {
        Path::Avx512
    } else if std::is_x86_feature_detected!("avx2") {
        Path::Avx2
    } else {
        Path::Baseline
    }
}

/// `TEBM_SIMD`'s cap (no cap when unset or unknown).
#[cfg(all(target_arch = "x86_64", not(target_os = "none")))]
fn cap() -> Path {
    match std::env::var("TEBM_SIMD").as_deref() {
        Ok("sse2") | Ok("baseline") => Path::Baseline,
        Ok("avx2") => Path::Avx2,
        _ => Path::Avx512,
    }
}

/// In a dispatcher: on the AVX-512 or AVX2 path, returns
/// `x86::$avx512(args)` or `x86::$avx2(args)`; on the baseline path, goes on
/// to the caller's fallback.
macro_rules! return_on_wide_path {
    ($avx512:ident, $avx2:ident, ($($arg:expr),* $(,)?)) => {
        #[cfg(all(target_arch = "x86_64", not(target_os = "none")))]
        match path() {
            // SAFETY: `path` returns Avx512 only when the CPU and OS support
            // AVX-512F (runtime check), the one feature the function enables.
            #[cfg(not(tebm_no_avx512))]
            Path::Avx512 => return unsafe { x86::$avx512($($arg),*) },
            // SAFETY: likewise for AVX2.
            Path::Avx2 => return unsafe { x86::$avx2($($arg),*) },
            _ => {}
        }
    };
}

/// `m.eval_batch(x, n, with_grad, out)` on the best path.
#[inline]
pub(crate) fn mlp_eval_batch<const D: usize, const H: usize, const N: usize, const DW: usize>(
    m: &Mlp<D, H>,
    x: &Soa<N, DW>,
    n: usize,
    with_grad: bool,
    out: &mut Evals<N, DW>,
) {
    return_on_wide_path!(
        eval_batch_avx512,
        eval_batch_avx2,
        (m, x, n, with_grad, out)
    );
    ebm::Energy::eval_batch(m, x, n, with_grad, out)
}

/// `m.accumulate_param_grad_batch(x, n, weight, grad)` on the best path.
#[inline]
pub(crate) fn mlp_accumulate_param_grad_batch<
    const D: usize,
    const H: usize,
    const N: usize,
    const DW: usize,
>(
    m: &Mlp<D, H>,
    x: &Soa<N, DW>,
    n: usize,
    weight: &[f32; N],
    grad: &mut [f32],
) -> Result<(), (usize, EvalError)> {
    return_on_wide_path!(grad_batch_avx512, grad_batch_avx2, (m, x, n, weight, grad));
    ebm::Trainable::accumulate_param_grad_batch(m, x, n, weight, grad)
}

/// `m.param_grad_each(x, n, scratch, f)` on the best path.
#[inline]
pub(crate) fn mlp_param_grad_each<
    const D: usize,
    const H: usize,
    const N: usize,
    const DW: usize,
>(
    m: &Mlp<D, H>,
    x: &Soa<N, DW>,
    n: usize,
    scratch: &mut [f32],
    f: impl FnMut(usize, f32, &[f32]) -> bool,
) -> Result<(), (usize, EvalError)> {
    return_on_wide_path!(grad_each_avx512, grad_each_avx2, (m, x, n, scratch, f));
    ebm::Trainable::param_grad_each(m, x, n, scratch, f)
}

/// The `#[target_feature]` copies: each inlines the core's `*_lanes` pass.
/// Only "avx2" and "avx512f" are enabled, not "fma": LLVM never fuses
/// Rust's separate multiply and add, but stating no FMA makes it plain.
#[cfg(all(target_arch = "x86_64", not(target_os = "none")))]
mod x86 {
    use super::AVX2_LANES;
    #[cfg(not(tebm_no_avx512))]
    use super::AVX512_LANES;
    use ebm::{EvalError, Evals, Mlp, Soa};

    /// Defines `$name`: `Mlp::$method::<$lanes, N, DW>` compiled with the
    /// target features `$feat`.
    macro_rules! copy {
        ($name:ident = $method:ident, $feat:literal, $lanes:ident,
         ($($a:ident: $t:ty),*) $(-> $r:ty)?) => {
            #[doc = concat!("`Mlp::", stringify!($method), "` compiled with ", $feat, ".")]
            ///
            /// # Safety
            /// The CPU must support the features enabled.
            #[target_feature(enable = $feat)]
            pub(super) unsafe fn $name<const D: usize, const H: usize, const N: usize, const DW: usize>(
                m: &Mlp<D, H>,
                $($a: $t),*
            ) $(-> $r)? {
                m.$method::<$lanes, N, DW>($($a),*)
            }
        };
    }

    /// Defines one function per (name, features, lanes) for a pass.
    macro_rules! copies {
        ($( $eval:ident, $grad:ident, $each:ident: $feat:literal, $lanes:ident; )*) => {$(
            copy!($eval = eval_batch_lanes, $feat, $lanes,
                (x: &Soa<N, DW>, n: usize, with_grad: bool, out: &mut Evals<N, DW>));
            copy!($grad = accumulate_param_grad_batch_lanes, $feat, $lanes,
                (x: &Soa<N, DW>, n: usize, weight: &[f32; N], grad: &mut [f32])
                -> Result<(), (usize, EvalError)>);
            copy!($each = param_grad_each_lanes, $feat, $lanes,
                (
                    x: &Soa<N, DW>,
                    n: usize,
                    scratch: &mut [f32],
                    f: impl FnMut(usize, f32, &[f32]) -> bool
                )
                -> Result<(), (usize, EvalError)>);
        )*};
    }

    copies! {
        eval_batch_avx2, grad_batch_avx2, grad_each_avx2: "avx2", AVX2_LANES;
    }
    #[cfg(not(tebm_no_avx512))]
    copies! {
        eval_batch_avx512, grad_batch_avx512, grad_each_avx512: "avx512f", AVX512_LANES;
    }
}

/// An MLP borrowed for training, whose batched passes go through
/// [`path`]: what the trainer calls instead of the model itself.
pub(crate) struct Fast<'a, const D: usize, const H: usize>(pub(crate) &'a mut Mlp<D, H>);

impl<const D: usize, const H: usize> ebm::Energy for Fast<'_, D, H> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        self.0.value(x)
    }
    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        self.0.value_grad(x, grad)
    }
    fn eval_batch<const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        with_grad: bool,
        out: &mut Evals<N, DW>,
    ) {
        mlp_eval_batch(self.0, x, n, with_grad, out)
    }
}

impl<const D: usize, const H: usize> ebm::Trainable for Fast<'_, D, H> {
    fn num_params(&self) -> usize {
        self.0.num_params()
    }
    fn params(&self, out: &mut [f32]) -> Result<(), ebm::Error> {
        self.0.params(out)
    }
    fn set_params(&mut self, theta: &[f32]) -> Result<(), ebm::Error> {
        self.0.set_params(theta)
    }
    fn add_param_grad(&self, x: &[f32], scale: f32, grad: &mut [f32]) -> Result<f32, EvalError> {
        self.0.add_param_grad(x, scale, grad)
    }
    fn accumulate_param_grad(
        &self,
        x: &[f32],
        scale: f32,
        grad: &mut [f32],
    ) -> Result<f32, EvalError> {
        self.0.accumulate_param_grad(x, scale, grad)
    }
    fn accumulate_param_grad_batch<const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        weight: &[f32; N],
        grad: &mut [f32],
    ) -> Result<(), (usize, EvalError)> {
        mlp_accumulate_param_grad_batch(self.0, x, n, weight, grad)
    }
    fn param_grad_each<const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        scratch: &mut [f32],
        f: impl FnMut(usize, f32, &[f32]) -> bool,
    ) -> Result<(), (usize, EvalError)> {
        mlp_param_grad_each(self.0, x, n, scratch, f)
    }
}

/// Every path against the build's own code, bit for bit, on what the
/// dispatched passes compute: energies and ∇ₓU of a batch (chunks of 64
/// and 32 lanes and a remainder), weighted θ-gradient sums and per-point
/// θ-gradients, for the three activations and a width below capacity.
#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::x86;
    use ebm::{Activation, Energy, Evals, Mlp, Soa, Stream, Trainable, mlp_param_count};
    use std::vec;
    use std::vec::Vec;

    const N: usize = 101;
    const DW: usize = 3;
    type M = Mlp<3, 32>;

    /// The batch outputs of one path: U and ∇ₓU bits, the weighted
    /// gradient, and every per-point gradient.
    type Out = (Vec<u32>, Vec<u32>, Vec<u32>);

    /// What `param_grad_each` calls with each point's gradient.
    type Sink<'a> = &'a mut dyn FnMut(usize, f32, &[f32]) -> bool;

    fn run(
        p: usize,
        eval: impl Fn(&mut Evals<N, DW>),
        grads: impl Fn(&mut [f32]) -> Vec<u32>,
    ) -> Out {
        let mut ev = Evals::<N, DW>::new();
        eval(&mut ev);
        let mut bits: Vec<u32> = ev.u.iter().map(|v| v.to_bits()).collect();
        for row in &ev.grad {
            bits.extend(row.iter().map(|v| v.to_bits()));
        }
        let mut g = vec![0f32; p];
        let each = grads(&mut g);
        (bits, g.iter().map(|v| v.to_bits()).collect(), each)
    }

    #[test]
    fn every_path_gives_the_same_bits() {
        let mut s = Stream::new(5, 1);
        let mut x: Soa<N, DW> = [[0.0; N]; DW];
        for row in x.iter_mut() {
            s.fill_normal(row);
        }
        let mut w = [0f32; N];
        s.fill_normal(&mut w);
        let detected = (
            std::is_x86_feature_detected!("avx2"),
            std::is_x86_feature_detected!("avx512f"),
        );
        let mut checked = 0;
        for act in [Activation::Tanh, Activation::Silu, Activation::Softplus] {
            for (d, h) in [(3, 32), (2, 13)] {
                let m = M::init(d, h, act, 0.5, 9).unwrap();
                let p = mlp_param_count(d, h);
                let each = |f: &dyn Fn(&mut [f32], Sink<'_>)| {
                    let mut all = Vec::new();
                    let mut scratch = vec![0f32; p];
                    f(&mut scratch, &mut |i, u, g: &[f32]| {
                        all.push(i as u32);
                        all.push(u.to_bits());
                        all.extend(g.iter().map(|v| v.to_bits()));
                        true
                    });
                    all
                };
                let base = run(
                    p,
                    |ev| m.eval_batch(&x, N, true, ev),
                    |g| {
                        m.accumulate_param_grad_batch(&x, N, &w, g).unwrap();
                        each(&|sc, f| m.param_grad_each(&x, N, sc, f).unwrap())
                    },
                );
                if detected.0 {
                    // SAFETY: AVX2 detected just above.
                    let avx2 = run(
                        p,
                        |ev| unsafe { x86::eval_batch_avx2(&m, &x, N, true, ev) },
                        |g| unsafe {
                            x86::grad_batch_avx2(&m, &x, N, &w, g).unwrap();
                            each(&|sc, f| x86::grad_each_avx2(&m, &x, N, sc, f).unwrap())
                        },
                    );
                    assert!(base == avx2, "AVX2 path differs ({act:?}, d {d}, h {h})");
                    checked += 1;
                }
                #[cfg(not(tebm_no_avx512))]
                if detected.1 {
                    // SAFETY: AVX-512F detected just above.
                    let avx512 = run(
                        p,
                        |ev| unsafe { x86::eval_batch_avx512(&m, &x, N, true, ev) },
                        |g| unsafe {
                            x86::grad_batch_avx512(&m, &x, N, &w, g).unwrap();
                            each(&|sc, f| x86::grad_each_avx512(&m, &x, N, sc, f).unwrap())
                        },
                    );
                    assert!(
                        base == avx512,
                        "AVX-512 path differs ({act:?}, d {d}, h {h})"
                    );
                    checked += 1;
                }
            }
        }
        std::println!(
            "paths checked against the baseline: {checked} (avx2, avx512f: {detected:?})"
        );
    }
}
