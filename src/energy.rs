//! The energy interface: U(x), ∇ₓU(x) and, for trainable models, ∂θU(x).
//!
//! Kernels always ask for U and ∇U together ([`Energy::value_grad`]) so the
//! gradient at the current point can be cached: MALA never evaluates the same
//! point twice. Ensembles call [`Energy::eval_batch`], which sees every walker
//! at once in a structure-of-arrays layout (`x[dim][walker]`); its default
//! gathers one walker at a time, and models with a vectorisable body override it.
//!
//! Trainable models expose their parameters as one flat `&[f32]` in a
//! documented order, and accumulate ∂θU into a flat gradient with a scale, so
//! optimisers and the weight format treat every model alike.

use crate::error::Error;

/// Positions, gradients or any per-walker vectors in structure-of-arrays
/// layout: `soa[i][w]` is coordinate `i` of walker `w`.
pub type Soa<const N: usize, const D: usize> = [[f32; N]; D];

/// Why an energy could not be evaluated at a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// The energy declined (a C callback returned this non-zero code).
    Declined(i32),
    /// A slice handed to the energy does not have length `dim()`.
    WrongLength,
}

/// Per-walker results of a batched evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Evals<const N: usize, const D: usize> {
    /// U at each walker (unspecified where `code[w] != 0`).
    pub u: [f32; N],
    /// ∇U in structure-of-arrays layout (only written when asked for).
    pub grad: Soa<N, D>,
    /// 0 where the evaluation succeeded, else the energy's decline code
    /// (`i32::MIN` for a length error, which kernels never cause).
    pub code: [i32; N],
}

impl<const N: usize, const D: usize> Evals<N, D> {
    /// All zeros.
    pub const fn new() -> Self {
        Evals {
            u: [0.0; N],
            grad: [[0.0; N]; D],
            code: [0; N],
        }
    }

    /// Records one walker's outcome; the gradient column was written by the caller.
    #[inline]
    pub(crate) fn record(&mut self, w: usize, r: Result<f32, EvalError>) {
        match r {
            Ok(u) => {
                self.u[w] = u;
                self.code[w] = 0;
            }
            Err(e) => {
                self.u[w] = f32::NAN;
                self.code[w] = match e {
                    EvalError::Declined(c) => c,
                    EvalError::WrongLength => i32::MIN,
                };
            }
        }
    }

    /// True when walker `w` has a usable energy (and gradient, for the first `d` rows).
    ///
    /// # Panics
    ///
    /// If `w ≥ N` or `d > D`, like slice indexing.
    #[inline]
    pub fn is_valid(&self, w: usize, d: usize, with_grad: bool) -> bool {
        self.code[w] == 0
            && self.u[w].is_finite()
            && (!with_grad || self.grad[..d].iter().all(|row| row[w].is_finite()))
    }
}

impl<const N: usize, const D: usize> Default for Evals<N, D> {
    fn default() -> Self {
        Self::new()
    }
}

/// A potential U: ℝᵈ → ℝ. The sampled density is ρ(x) ∝ exp(−β·U(x)).
///
/// Implementations must be deterministic functions of `x` (and of their
/// parameters). Returning a non-finite value is allowed: kernels treat it as
/// a rejected proposal (MALA, MH) or an error that leaves the state unchanged
/// (ULA). Slices passed in always have length [`Energy::dim`] when called by
/// this crate; implementations should return [`EvalError::WrongLength`]
/// otherwise rather than panic.
pub trait Energy {
    /// The dimension d of x.
    fn dim(&self) -> usize;

    /// U(x).
    fn value(&self, x: &[f32]) -> Result<f32, EvalError>;

    /// U(x), writing ∇ₓU(x) into `grad`.
    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError>;

    /// Evaluates walkers `0..n` of `x` (structure of arrays, rows `0..dim()`),
    /// with gradients when `with_grad`. Results go to `out`; a failure at one
    /// walker is recorded in `out.code` and does not stop the others.
    fn eval_batch<const N: usize, const D: usize>(
        &self,
        x: &Soa<N, D>,
        n: usize,
        with_grad: bool,
        out: &mut Evals<N, D>,
    ) {
        eval_each(self, x, n, with_grad, out);
    }
}

/// [`Energy::eval_batch`]'s default body: one walker at a time through
/// [`Energy::value`] / [`Energy::value_grad`]. Public so that an energy
/// overriding `eval_batch` for some of its cases (an enum over models) can
/// fall back to it for the others.
pub fn eval_each<E: Energy + ?Sized, const N: usize, const D: usize>(
    energy: &E,
    x: &Soa<N, D>,
    n: usize,
    with_grad: bool,
    out: &mut Evals<N, D>,
) {
    let d = energy.dim().min(D);
    let mut xi = [0f32; D];
    let mut gi = [0f32; D];
    for w in 0..n.min(N) {
        for i in 0..d {
            xi[i] = x[i][w];
        }
        let r = if with_grad {
            let r = energy.value_grad(&xi[..d], &mut gi[..d]);
            for i in 0..d {
                out.grad[i][w] = gi[i];
            }
            r
        } else {
            energy.value(&xi[..d])
        };
        out.record(w, r);
    }
}

/// An energy whose parameters θ can be learned.
///
/// Parameters are exchanged as one flat vector of length
/// [`Trainable::num_params`], in an order each model documents.
pub trait Trainable: Energy {
    /// Number of parameters.
    fn num_params(&self) -> usize;

    /// Copies θ into `out[..num_params()]`.
    fn params(&self, out: &mut [f32]) -> Result<(), Error>;

    /// Replaces θ. All values must be finite and satisfy the model's
    /// constraints; on error the model is unchanged.
    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error>;

    /// Adds `scale · ∂θU(x)` to `grad` and returns U(x), where `x` has
    /// length [`Energy::dim`] and `grad` length [`Trainable::num_params`]:
    /// the model's part of [`Trainable::accumulate_param_grad`], which
    /// checks both lengths and then calls it.
    fn add_param_grad(&self, x: &[f32], scale: f32, grad: &mut [f32]) -> Result<f32, EvalError>;

    /// Adds `scale · ∂θU(x)` to `grad[..num_params()]` and returns U(x).
    /// An `x` whose length is not [`Energy::dim`], or a `grad` shorter than
    /// [`Trainable::num_params`], is [`EvalError::WrongLength`].
    fn accumulate_param_grad(
        &self,
        x: &[f32],
        scale: f32,
        grad: &mut [f32],
    ) -> Result<f32, EvalError> {
        match grad.get_mut(..self.num_params()) {
            Some(g) if x.len() == self.dim() => self.add_param_grad(x, scale, g),
            _ => Err(EvalError::WrongLength),
        }
    }

    /// Adds `Σ_w weight[w] · ∂θU(x_w)` over walkers `0..n` to `grad`.
    /// On failure returns the first failing walker; `grad` may then hold a
    /// partial sum, so callers accumulate into scratch.
    fn accumulate_param_grad_batch<const N: usize, const D: usize>(
        &self,
        x: &Soa<N, D>,
        n: usize,
        weight: &[f32; N],
        grad: &mut [f32],
    ) -> Result<(), (usize, EvalError)> {
        let d = self.dim().min(D);
        let mut xi = [0f32; D];
        for w in 0..n.min(N) {
            for i in 0..d {
                xi[i] = x[i][w];
            }
            self.accumulate_param_grad(&xi[..d], weight[w], grad)
                .map_err(|e| (w, e))?;
        }
        Ok(())
    }

    /// For each point `w < n` of `x` in order: zeroes `scratch[..num_params()]`,
    /// adds ∂θU(x_w) to it (scale 1) and calls `f(w, U(x_w), scratch)`, which
    /// returns whether to go on. Stops at the first point where the energy
    /// fails (returned) or where `f` returns `false` (`Ok`).
    ///
    /// Each call of `f` sees the same bits as [`Trainable::accumulate_param_grad`]
    /// with scale 1 into a zeroed buffer; models with a batched body
    /// ([`crate::Mlp`]) run the forward and backward passes of several points
    /// together (so the energy is evaluated a few points ahead of `f`). The
    /// trainer's positive phase ([`crate::Pcd::push_batch`]) uses it.
    fn param_grad_each<const N: usize, const D: usize>(
        &self,
        x: &Soa<N, D>,
        n: usize,
        scratch: &mut [f32],
        mut f: impl FnMut(usize, f32, &[f32]) -> bool,
    ) -> Result<(), (usize, EvalError)> {
        let (d, p) = (self.dim().min(D), self.num_params());
        if scratch.len() < p {
            return Err((0, EvalError::WrongLength));
        }
        let g = &mut scratch[..p];
        let mut xi = [0f32; D];
        for w in 0..n.min(N) {
            for i in 0..d {
                xi[i] = x[i][w];
            }
            g.fill(0.0);
            let u = self
                .accumulate_param_grad(&xi[..d], 1.0, g)
                .map_err(|e| (w, e))?;
            if !f(w, u, g) {
                break;
            }
        }
        Ok(())
    }
}

/// An energy from a closure `f(x, grad) -> U` that writes ∇U into `grad`.
///
/// The quickest way to bring your own potential in Rust:
/// ```
/// use tinyebm::{Energy, FnEnergy};
/// let quartic = FnEnergy::new(1, |x: &[f32], g: &mut [f32]| {
///     g[0] = 4.0 * x[0] * x[0] * x[0];
///     x[0].powi(4)
/// });
/// let mut g = [0.0];
/// assert_eq!(quartic.value_grad(&[1.0], &mut g), Ok(1.0));
/// assert_eq!(g, [4.0]);
/// ```
#[derive(Clone, Copy)]
pub struct FnEnergy<F> {
    dim: usize,
    f: F,
}

impl<F: Fn(&[f32], &mut [f32]) -> f32> FnEnergy<F> {
    /// Wraps `f` as an energy on ℝ^`dim`.
    pub const fn new(dim: usize, f: F) -> Self {
        FnEnergy { dim, f }
    }
}

/// Largest dimension [`FnEnergy::value`] supports (it needs a scratch gradient).
pub const FN_ENERGY_MAX_DIM: usize = 64;

impl<F: Fn(&[f32], &mut [f32]) -> f32> Energy for FnEnergy<F> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        let mut g = [0f32; FN_ENERGY_MAX_DIM];
        if self.dim > FN_ENERGY_MAX_DIM {
            return Err(EvalError::WrongLength);
        }
        self.value_grad(x, &mut g[..self.dim])
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if x.len() != self.dim || grad.len() != self.dim {
            return Err(EvalError::WrongLength);
        }
        Ok((self.f)(x, grad))
    }
}

/// Whether every value is finite. No early exit: an OR over "magnitude's
/// bit pattern ≥ infinity's", which the compiler vectorises with a signed
/// 32-bit compare (SSE2 has one; an unsigned maximum, used before, needs
/// SSE4.1 and ran scalar on baseline x86_64; an `all` with `is_finite`
/// stays a scalar loop everywhere).
#[inline]
pub(crate) fn all_finite(v: impl IntoIterator<Item = f32>) -> bool {
    v.into_iter().fold(0u32, |m, x| {
        m | u32::from((x.to_bits() & 0x7fff_ffff) >= 0x7f80_0000)
    }) == 0
}

/// Checks that a flat parameter vector is finite.
pub(crate) fn check_finite(theta: &[f32], what: &'static str) -> Result<(), Error> {
    if all_finite(theta.iter().copied()) {
        Ok(())
    } else {
        Err(Error::InvalidParameters(what))
    }
}

/// `out[..p]`, where [`Trainable::params`] writes `p` values; a shorter
/// `out` is [`Error::CapacityExceeded`].
pub(crate) fn params_out(out: &mut [f32], p: usize) -> Result<&mut [f32], Error> {
    let capacity = out.len();
    out.get_mut(..p).ok_or(Error::CapacityExceeded {
        requested: p,
        capacity,
    })
}

/// Checks the length of a flat parameter vector.
pub(crate) fn check_len(expected: usize, found: usize) -> Result<(), Error> {
    crate::error::check_dim(expected, found)
}
