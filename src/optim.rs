//! Optimisers for a flat parameter vector, in fixed memory.
//!
//! [`Sgd`] (with momentum) and [`Adam`] (with bias correction) keep their
//! state in arrays of compile-time capacity `P`; the number of parameters in
//! use is fixed at construction (`n ≤ P`), so one body serves every model
//! size. Both share the gradient conditioning applied before the update rule:
//!
//! * clipping by global norm: g ← g·min(1, c/‖g‖);
//! * L2 weight decay: g ← g + λ_wd·θ (added after clipping, so the decay is
//!   never clipped away).
//!
//! A step is all-or-nothing: lengths are checked, the whole update is computed
//! and checked for finiteness (new θ and new optimiser state) in a first pass,
//! and written only if every value is finite. [`Optimizer::preview`] runs the
//! first pass alone, so a trainer can try θ' on the model before committing
//! the optimiser: the later [`Optimizer::step`] repeats the same arithmetic
//! and writes the same bits.

use crate::error::{Error, check_dim, check_size};
use crate::math;

/// What a trainer needs from an optimiser.
pub trait Optimizer {
    /// Number of parameters the optimiser was built for.
    fn len(&self) -> usize;

    /// Always false: an optimiser has at least one parameter.
    fn is_empty(&self) -> bool {
        false
    }

    /// θ ← update(θ, grad) for descent on the objective whose gradient is
    /// `grad`. Both slices must have length [`Optimizer::len`]; `grad` must
    /// be finite. On error θ and the optimiser state are unchanged.
    fn step(&mut self, theta: &mut [f32], grad: &[f32]) -> Result<(), Error>;

    /// Writes what [`Optimizer::step`] would make of θ into `out` (same
    /// length) without changing anything else. On error `out` is unspecified.
    fn preview(&self, theta: &[f32], grad: &[f32], out: &mut [f32]) -> Result<(), Error>;

    /// Forgets the state (momentum, moment estimates, step count).
    fn reset(&mut self);

    /// The learning rate.
    fn learning_rate(&self) -> f32;

    /// Sets the learning rate (finite, ≥ 0; 0 freezes θ).
    fn set_learning_rate(&mut self, lr: f32) -> Result<(), Error>;
}

/// Gradient conditioning shared by the optimisers.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Conditioning {
    /// Largest global norm (∞: no clipping).
    clip_norm: f32,
    /// L2 weight-decay coefficient.
    weight_decay: f32,
}

impl Conditioning {
    const NONE: Self = Conditioning {
        clip_norm: f32::INFINITY,
        weight_decay: 0.0,
    };

    /// The factor min(1, c/‖g‖). ‖g‖ is computed as max|g|·‖g/max|g|‖ so
    /// that finite gradients never overflow to an infinite norm.
    fn clip_scale(&self, grad: &[f32]) -> f32 {
        if !self.clip_norm.is_finite() {
            return 1.0;
        }
        let norm = global_norm(grad);
        if norm > self.clip_norm {
            self.clip_norm / norm
        } else {
            1.0
        }
    }
}

/// Euclidean norm of `v`, without overflow for finite entries.
pub fn global_norm(v: &[f32]) -> f32 {
    let m = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if m == 0.0 || !m.is_finite() {
        return m;
    }
    let s: f32 = v.iter().map(|x| (x / m) * (x / m)).sum();
    m * math::sqrt(s)
}

/// The coordinate-wise part of an optimiser: how one coordinate moves, given
/// the conditioned gradient, and where its state lives.
trait Rule {
    /// Constants of one step (bias corrections).
    type Consts: Copy;
    fn n(&self) -> usize;
    fn conditioning(&self) -> &Conditioning;
    fn consts(&self) -> Self::Consts;
    /// New θ_j and new state of coordinate j.
    fn coord(&self, k: Self::Consts, j: usize, theta: f32, g: f32) -> (f32, [f32; 2]);
    fn store(&mut self, j: usize, state: [f32; 2]);
    /// After all coordinates were stored.
    fn finish(&mut self) {}
}

/// Checks lengths and finiteness of the inputs; returns the clip factor.
fn prepare<R: Rule>(r: &R, theta: &[f32], grad: &[f32]) -> Result<f32, Error> {
    check_dim(r.n(), theta.len())?;
    check_dim(r.n(), grad.len())?;
    if !grad.iter().all(|g| g.is_finite()) {
        return Err(Error::NotFinite("gradient"));
    }
    if !theta.iter().all(|t| t.is_finite()) {
        return Err(Error::NotFinite("parameters"));
    }
    Ok(r.conditioning().clip_scale(grad))
}

/// The conditioned gradient of coordinate j.
#[inline]
fn conditioned(c: &Conditioning, scale: f32, theta: f32, g: f32) -> f32 {
    scale * g + c.weight_decay * theta
}

/// Computes every coordinate's update, calling `sink` with each; stops at
/// the first non-finite value.
fn sweep<R: Rule>(
    r: &R,
    theta: &[f32],
    grad: &[f32],
    mut sink: impl FnMut(usize, f32, [f32; 2]),
) -> Result<(), Error> {
    let scale = prepare(r, theta, grad)?;
    let k = r.consts();
    let c = r.conditioning();
    for j in 0..r.n() {
        let (t, s) = r.coord(k, j, theta[j], conditioned(c, scale, theta[j], grad[j]));
        if !(t.is_finite() && s[0].is_finite() && s[1].is_finite()) {
            return Err(Error::NotFinite("optimiser update"));
        }
        sink(j, t, s);
    }
    Ok(())
}

fn preview_rule<R: Rule>(r: &R, theta: &[f32], grad: &[f32], out: &mut [f32]) -> Result<(), Error> {
    check_dim(r.n(), out.len())?;
    sweep(r, theta, grad, |j, t, _| out[j] = t)
}

fn step_rule<R: Rule>(r: &mut R, theta: &mut [f32], grad: &[f32]) -> Result<(), Error> {
    // First pass validates; the second recomputes the same values and writes.
    sweep(r, theta, grad, |_, _, _| {})?;
    let scale = r.conditioning().clip_scale(grad);
    let k = r.consts();
    let c = *r.conditioning();
    for j in 0..r.n() {
        let (t, s) = r.coord(k, j, theta[j], conditioned(&c, scale, theta[j], grad[j]));
        theta[j] = t;
        r.store(j, s);
    }
    r.finish();
    Ok(())
}

fn check_lr(lr: f32) -> Result<(), Error> {
    if lr.is_finite() && lr >= 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidConfig("learning rate must be finite and ≥ 0"))
    }
}

fn check_clip(c: f32) -> Result<(), Error> {
    // ∞ is allowed and means "no clipping".
    if c > 0.0 && !c.is_nan() {
        Ok(())
    } else {
        Err(Error::InvalidConfig("clip norm must be > 0"))
    }
}

fn check_decay(wd: f32) -> Result<(), Error> {
    if wd.is_finite() && wd >= 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidConfig("weight decay must be finite and ≥ 0"))
    }
}

macro_rules! conditioning_builders {
    ($t:ident) => {
        impl<const P: usize> $t<P> {
            /// Clips the gradient to global norm ≤ `max_norm` (∞: off).
            pub fn with_clip_norm(mut self, max_norm: f32) -> Result<Self, Error> {
                check_clip(max_norm)?;
                self.cond.clip_norm = max_norm;
                Ok(self)
            }

            /// Adds `coef·θ` to the gradient (L2 weight decay).
            pub fn with_weight_decay(mut self, coef: f32) -> Result<Self, Error> {
                check_decay(coef)?;
                self.cond.weight_decay = coef;
                Ok(self)
            }

            /// In-place [`Self::with_clip_norm`]; on error nothing changes.
            pub fn set_clip_norm(&mut self, max_norm: f32) -> Result<(), Error> {
                check_clip(max_norm)?;
                self.cond.clip_norm = max_norm;
                Ok(())
            }

            /// In-place [`Self::with_weight_decay`]; on error nothing changes.
            pub fn set_weight_decay(&mut self, coef: f32) -> Result<(), Error> {
                check_decay(coef)?;
                self.cond.weight_decay = coef;
                Ok(())
            }

            /// The clip norm (∞ when off).
            pub fn clip_norm(&self) -> f32 {
                self.cond.clip_norm
            }

            /// The weight-decay coefficient.
            pub fn weight_decay(&self) -> f32 {
                self.cond.weight_decay
            }
        }

        impl<const P: usize> Optimizer for $t<P> {
            fn len(&self) -> usize {
                self.n
            }
            fn step(&mut self, theta: &mut [f32], grad: &[f32]) -> Result<(), Error> {
                step_rule(self, theta, grad)
            }
            fn preview(&self, theta: &[f32], grad: &[f32], out: &mut [f32]) -> Result<(), Error> {
                preview_rule(self, theta, grad, out)
            }
            fn reset(&mut self) {
                self.reset_state();
            }
            fn learning_rate(&self) -> f32 {
                self.lr
            }
            fn set_learning_rate(&mut self, lr: f32) -> Result<(), Error> {
                check_lr(lr)?;
                self.lr = lr;
                Ok(())
            }
        }
    };
}

/// Stochastic gradient descent with (heavy-ball) momentum μ:
/// v ← μ·v + g, θ ← θ − η·v.
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd<const P: usize> {
    n: usize,
    lr: f32,
    momentum: f32,
    cond: Conditioning,
    velocity: [f32; P],
}

impl<const P: usize> Sgd<P> {
    /// SGD on `n ≤ P` parameters with learning rate η (≥ 0) and momentum
    /// μ ∈ [0, 1).
    pub fn new(n: usize, lr: f32, momentum: f32) -> Result<Self, Error> {
        Self::check(n, lr, momentum)?;
        Ok(Sgd {
            n,
            lr,
            momentum,
            cond: Conditioning::NONE,
            velocity: [0.0; P],
        })
    }

    fn check(n: usize, lr: f32, momentum: f32) -> Result<(), Error> {
        check_size(n, P)?;
        check_lr(lr)?;
        if !(0.0..1.0).contains(&momentum) {
            return Err(Error::InvalidConfig("momentum must be in [0, 1)"));
        }
        Ok(())
    }

    /// Makes this optimiser equal to `Sgd::new(n, lr, momentum)` in place,
    /// without an optimiser-sized temporary (any previous value, including
    /// all-zero bytes, is fine). Checked as `new` checks; on error nothing
    /// changes.
    pub fn reinit(&mut self, n: usize, lr: f32, momentum: f32) -> Result<(), Error> {
        Self::check(n, lr, momentum)?;
        self.n = n;
        self.lr = lr;
        self.momentum = momentum;
        self.cond = Conditioning::NONE;
        self.velocity.fill(0.0);
        Ok(())
    }

    /// The momentum μ.
    pub fn momentum(&self) -> f32 {
        self.momentum
    }

    fn reset_state(&mut self) {
        self.velocity.fill(0.0);
    }
}

impl<const P: usize> Rule for Sgd<P> {
    type Consts = ();
    fn n(&self) -> usize {
        self.n
    }
    fn conditioning(&self) -> &Conditioning {
        &self.cond
    }
    fn consts(&self) {}
    #[inline]
    fn coord(&self, _: (), j: usize, theta: f32, g: f32) -> (f32, [f32; 2]) {
        let v = self.momentum * self.velocity[j] + g;
        (theta - self.lr * v, [v, 0.0])
    }
    fn store(&mut self, j: usize, s: [f32; 2]) {
        self.velocity[j] = s[0];
    }
}

conditioning_builders!(Sgd);

/// Adam (Kingma & Ba 2015): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// θ ← θ − η·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ) when bias
/// correction is on (the default), m̂ = m, v̂ = v otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<const P: usize> {
    n: usize,
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    bias_correction: bool,
    cond: Conditioning,
    /// β₁ᵗ and β₂ᵗ after t steps (running products: no powf).
    beta1_t: f32,
    beta2_t: f32,
    steps: u64,
    m: [f32; P],
    v: [f32; P],
}

/// Per-step constants of Adam: 1/(1−β₁ᵗ), 1/(1−β₂ᵗ) for the coming step t.
#[derive(Clone, Copy)]
struct AdamConsts {
    c1: f32,
    c2: f32,
}

impl<const P: usize> Adam<P> {
    /// Adam on `n ≤ P` parameters with the usual defaults β₁ = 0.9,
    /// β₂ = 0.999, ε = 1e-8 and learning rate η.
    pub fn new(n: usize, lr: f32) -> Result<Self, Error> {
        Self::with_moments(n, lr, 0.9, 0.999, 1e-8)
    }

    /// Adam with explicit β₁, β₂ ∈ [0, 1) and ε > 0.
    pub fn with_moments(
        n: usize,
        lr: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
    ) -> Result<Self, Error> {
        Self::check(n, lr, beta1, beta2, eps)?;
        Ok(Self::fresh(n, lr, beta1, beta2, eps))
    }

    /// Adam with these settings (unchecked) and no state.
    fn fresh(n: usize, lr: f32, beta1: f32, beta2: f32, eps: f32) -> Self {
        Adam {
            n,
            lr,
            beta1,
            beta2,
            eps,
            bias_correction: true,
            cond: Conditioning::NONE,
            beta1_t: 1.0,
            beta2_t: 1.0,
            steps: 0,
            m: [0.0; P],
            v: [0.0; P],
        }
    }

    fn check(n: usize, lr: f32, beta1: f32, beta2: f32, eps: f32) -> Result<(), Error> {
        check_size(n, P)?;
        check_lr(lr)?;
        if !(0.0..1.0).contains(&beta1) || !(0.0..1.0).contains(&beta2) {
            return Err(Error::InvalidConfig("Adam betas must be in [0, 1)"));
        }
        if !(eps.is_finite() && eps > 0.0) {
            return Err(Error::InvalidConfig("Adam epsilon must be > 0"));
        }
        Ok(())
    }

    /// Makes this optimiser equal to `Adam::with_moments(n, lr, beta1,
    /// beta2, eps)` in place, without an optimiser-sized temporary (any
    /// previous value, including all-zero bytes, is fine). Checked as
    /// `with_moments` checks; on error nothing changes.
    pub fn reinit_with_moments(
        &mut self,
        n: usize,
        lr: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
    ) -> Result<(), Error> {
        Self::check(n, lr, beta1, beta2, eps)?;
        self.n = n;
        self.lr = lr;
        self.beta1 = beta1;
        self.beta2 = beta2;
        self.eps = eps;
        self.bias_correction = true;
        self.cond = Conditioning::NONE;
        self.reset_state();
        Ok(())
    }

    /// Turns the bias correction of the moment estimates on or off.
    pub fn with_bias_correction(mut self, on: bool) -> Self {
        self.bias_correction = on;
        self
    }

    /// Steps taken since construction or the last reset.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    fn reset_state(&mut self) {
        self.m.fill(0.0);
        self.v.fill(0.0);
        self.beta1_t = 1.0;
        self.beta2_t = 1.0;
        self.steps = 0;
    }
}

impl<const P: usize> Rule for Adam<P> {
    type Consts = AdamConsts;
    fn n(&self) -> usize {
        self.n
    }
    fn conditioning(&self) -> &Conditioning {
        &self.cond
    }
    fn consts(&self) -> AdamConsts {
        if self.bias_correction {
            AdamConsts {
                c1: 1.0 / (1.0 - self.beta1_t * self.beta1),
                c2: 1.0 / (1.0 - self.beta2_t * self.beta2),
            }
        } else {
            AdamConsts { c1: 1.0, c2: 1.0 }
        }
    }
    #[inline]
    fn coord(&self, k: AdamConsts, j: usize, theta: f32, g: f32) -> (f32, [f32; 2]) {
        let m = self.beta1 * self.m[j] + (1.0 - self.beta1) * g;
        let v = self.beta2 * self.v[j] + (1.0 - self.beta2) * g * g;
        let step = self.lr * (m * k.c1) / (math::sqrt(v * k.c2) + self.eps);
        (theta - step, [m, v])
    }
    fn store(&mut self, j: usize, s: [f32; 2]) {
        self.m[j] = s[0];
        self.v[j] = s[1];
    }
    fn finish(&mut self) {
        self.beta1_t *= self.beta1;
        self.beta2_t *= self.beta2;
        self.steps += 1;
    }
}

conditioning_builders!(Adam);

/// Which optimiser, chosen at run time (e.g. through the C API).
///
/// Layout note for code that places optimisers in raw memory (the C API):
/// `repr(u8)`, so the tag is the first byte (0 = `Sgd`, 1 = `Adam`) and each
/// variant's payload follows as in a `repr(C)` struct; every field of
/// [`Sgd`] and [`Adam`] is an integer, a float, a bool or an array or plain
/// struct of these, so all-zero bytes are a valid value (an `Sgd` on 0
/// parameters), and so is tag 1 followed by zero bytes (an `Adam` on 0
/// parameters). Make either ready in place with [`Sgd::reinit`] or
/// [`Adam::reinit_with_moments`].
#[derive(Clone, Debug, PartialEq)]
#[repr(u8)]
pub enum AnyOptimizer<const P: usize> {
    /// SGD with momentum.
    Sgd(Sgd<P>),
    /// Adam.
    Adam(Adam<P>),
}

macro_rules! dispatch {
    ($s:expr, $o:ident => $e:expr) => {
        match $s {
            AnyOptimizer::Sgd($o) => $e,
            AnyOptimizer::Adam($o) => $e,
        }
    };
}

impl<const P: usize> Optimizer for AnyOptimizer<P> {
    fn len(&self) -> usize {
        dispatch!(self, o => o.len())
    }
    fn step(&mut self, theta: &mut [f32], grad: &[f32]) -> Result<(), Error> {
        dispatch!(self, o => o.step(theta, grad))
    }
    fn preview(&self, theta: &[f32], grad: &[f32], out: &mut [f32]) -> Result<(), Error> {
        dispatch!(self, o => o.preview(theta, grad, out))
    }
    fn reset(&mut self) {
        dispatch!(self, o => o.reset())
    }
    fn learning_rate(&self) -> f32 {
        dispatch!(self, o => o.learning_rate())
    }
    fn set_learning_rate(&mut self, lr: f32) -> Result<(), Error> {
        dispatch!(self, o => o.set_learning_rate(lr))
    }
}

/// Checkpoint sections (see [`crate::checkpoint`]): one layout for both
/// optimisers, so [`AnyOptimizer`] has a fixed length: kind (u8: 0 SGD,
/// 1 Adam), n, η, μ or β₁, β₂, ε, bias correction, clip norm, weight
/// decay, β₁ᵗ, β₂ᵗ, steps, then the first and second moment arrays (SGD:
/// its velocity, then zeros), all P long.
mod checkpoint {
    use super::*;
    use crate::checkpoint::{Dec, Enc, State, corrupt};

    const fn len(p: usize) -> usize {
        46 + 8 * p
    }

    struct Fields {
        kind: u8,
        n: usize,
        lr: f32,
        a: f32,
        b: f32,
        eps: f32,
        bias: bool,
        cond: Conditioning,
        b1t: f32,
        b2t: f32,
        steps: u64,
    }

    fn save_fields(f: &Fields, e: &mut Enc<'_>) {
        e.u8(f.kind);
        e.usize(f.n);
        e.f32s(&[f.lr, f.a, f.b, f.eps]);
        e.bool(f.bias);
        e.f32s(&[f.cond.clip_norm, f.cond.weight_decay, f.b1t, f.b2t]);
        e.u64(f.steps);
    }

    /// Reads and validates the scalar fields of kind `kind`.
    fn load_fields<const P: usize>(r: &mut Dec<'_>, kind: u8) -> Result<Fields, Error> {
        let found = r.u8()?;
        if found != kind {
            return Err(Error::WrongModelKind {
                expected: kind as u16,
                found: found as u16,
            });
        }
        let n = r.usize_max(P)?;
        let mut v = [0f32; 8];
        let bias = r.local(|r| {
            r.f32s(&mut v[..4], false)?;
            let bias = r.bool()?;
            r.f32s(&mut v[4..], false)?;
            Ok(bias)
        })?;
        let f = Fields {
            kind,
            n,
            lr: v[0],
            a: v[1],
            b: v[2],
            eps: v[3],
            bias,
            cond: Conditioning {
                clip_norm: v[4],
                weight_decay: v[5],
            },
            b1t: v[6],
            b2t: v[7],
            steps: r.u64()?,
        };
        check_clip(f.cond.clip_norm)?;
        check_decay(f.cond.weight_decay)?;
        if kind == 0 {
            Sgd::<P>::check(n, f.lr, f.a)?;
            let zero = [f.b, f.eps, f.b1t, f.b2t].iter().all(|v| v.to_bits() == 0);
            if !(zero && !f.bias && f.steps == 0) {
                return Err(corrupt("SGD section sets an Adam field"));
            }
        } else {
            Adam::<P>::check(n, f.lr, f.a, f.b, f.eps)?;
            if !(f.b1t.is_finite() && f.b2t.is_finite()) {
                return Err(corrupt("non-finite Adam state"));
            }
        }
        Ok(f)
    }

    impl<const P: usize> Sgd<P> {
        fn fields(&self) -> Fields {
            Fields {
                kind: 0,
                n: self.n,
                lr: self.lr,
                a: self.momentum,
                b: 0.0,
                eps: 0.0,
                bias: false,
                cond: self.cond,
                b1t: 0.0,
                b2t: 0.0,
                steps: 0,
            }
        }

        /// Reads an SGD section into `to` (the apply pass) or nowhere.
        fn load_to(to: Option<&mut Self>, r: &mut Dec<'_>) -> Result<(), Error> {
            let f = load_fields::<P>(r, 0)?;
            match to {
                Some(s) if r.apply => {
                    (s.n, s.lr, s.momentum, s.cond) = (f.n, f.lr, f.a, f.cond);
                    r.f32s(&mut s.velocity, true)?;
                }
                _ => skip_f32s(r, P, true)?,
            }
            // SGD has no second moment: zeros.
            for _ in 0..P {
                if r.f32()?.to_bits() != 0 {
                    return Err(corrupt("SGD section sets an Adam field"));
                }
            }
            Ok(())
        }
    }

    impl<const P: usize> Adam<P> {
        fn fields(&self) -> Fields {
            Fields {
                kind: 1,
                n: self.n,
                lr: self.lr,
                a: self.beta1,
                b: self.beta2,
                eps: self.eps,
                bias: self.bias_correction,
                cond: self.cond,
                b1t: self.beta1_t,
                b2t: self.beta2_t,
                steps: self.steps,
            }
        }

        fn load_to(to: Option<&mut Self>, r: &mut Dec<'_>) -> Result<(), Error> {
            let f = load_fields::<P>(r, 1)?;
            match to {
                Some(s) if r.apply => {
                    (s.n, s.lr, s.beta1, s.beta2, s.eps) = (f.n, f.lr, f.a, f.b, f.eps);
                    (s.bias_correction, s.cond) = (f.bias, f.cond);
                    (s.beta1_t, s.beta2_t, s.steps) = (f.b1t, f.b2t, f.steps);
                    r.f32s(&mut s.m, true)?;
                    r.f32s(&mut s.v, true)
                }
                _ => {
                    skip_f32s(r, P, true)?;
                    skip_f32s(r, P, true)
                }
            }
        }
    }

    /// Reads `k` f32 values without keeping them (finite when `finite`).
    fn skip_f32s(r: &mut Dec<'_>, k: usize, finite: bool) -> Result<(), Error> {
        let mut tmp = [0f32; 1];
        for _ in 0..k {
            r.local(|r| r.f32s(&mut tmp, finite))?;
        }
        Ok(())
    }

    impl<const P: usize> State for Sgd<P> {
        const STATE_LEN: usize = len(P);
        fn save_state(&self, e: &mut Enc<'_>) {
            save_fields(&self.fields(), e);
            e.f32s(&self.velocity);
            e.f32s(&[0.0; P]);
        }
        fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error> {
            Self::load_to(Some(self), r)
        }
    }

    impl<const P: usize> State for Adam<P> {
        const STATE_LEN: usize = len(P);
        fn save_state(&self, e: &mut Enc<'_>) {
            save_fields(&self.fields(), e);
            e.f32s(&self.m);
            e.f32s(&self.v);
        }
        fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error> {
            Self::load_to(Some(self), r)
        }
    }

    impl<const P: usize> State for AnyOptimizer<P> {
        const STATE_LEN: usize = len(P);
        fn save_state(&self, e: &mut Enc<'_>) {
            match self {
                AnyOptimizer::Sgd(o) => o.save_state(e),
                AnyOptimizer::Adam(o) => o.save_state(e),
            }
        }
        /// Switches the variant when the section holds the other one.
        fn load_state(&mut self, r: &mut Dec<'_>) -> Result<(), Error> {
            let kind = r.peek_u8()?;
            if !r.apply {
                return match kind {
                    0 => Sgd::<P>::load_to(None, r),
                    1 => Adam::<P>::load_to(None, r),
                    _ => Err(corrupt("unknown optimiser kind")),
                };
            }
            match (kind, &mut *self) {
                (0, AnyOptimizer::Sgd(o)) => o.load_state(r),
                (1, AnyOptimizer::Adam(o)) => o.load_state(r),
                (0, _) => {
                    *self = AnyOptimizer::Sgd(Sgd {
                        n: 0,
                        lr: 0.0,
                        momentum: 0.0,
                        cond: Conditioning::NONE,
                        velocity: [0.0; P],
                    });
                    self.load_state(r)
                }
                (1, _) => {
                    *self = AnyOptimizer::Adam(Adam::fresh(0, 0.0, 0.0, 0.0, 1.0));
                    self.load_state(r)
                }
                _ => Err(corrupt("unknown optimiser kind")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_momentum_by_hand() {
        let mut o = Sgd::<4>::new(2, 0.5, 0.9).unwrap();
        let mut th = [1.0, -1.0];
        o.step(&mut th, &[2.0, 0.0]).unwrap();
        assert_eq!(th, [0.0, -1.0]);
        o.step(&mut th, &[0.0, 1.0]).unwrap();
        // v = 0.9·2 + 0 = 1.8 → θ₀ = −0.9; v₁ = 1 → θ₁ = −1.5.
        assert_eq!(th, [-0.9, -1.5]);
    }

    #[test]
    fn adam_first_step_is_lr_times_sign() {
        // With bias correction m̂ = g, v̂ = g²: the first step is η·g/(|g| + ε).
        let mut o = Adam::<3>::new(3, 0.1).unwrap();
        let mut th = [0.0; 3];
        o.step(&mut th, &[4.0, -0.01, 0.0]).unwrap();
        assert!((th[0] + 0.1).abs() < 1e-6 && (th[1] - 0.1).abs() < 1e-5 && th[2] == 0.0);
        assert_eq!(o.steps(), 1);
    }

    #[test]
    fn clipping_and_decay() {
        let mut o = Sgd::<2>::new(2, 1.0, 0.0)
            .unwrap()
            .with_clip_norm(1.0)
            .unwrap();
        let mut th = [0.0, 0.0];
        o.step(&mut th, &[3.0, 4.0]).unwrap();
        assert!((th[0] + 0.6).abs() < 1e-6 && (th[1] + 0.8).abs() < 1e-6);
        let mut o = Sgd::<1>::new(1, 0.5, 0.0)
            .unwrap()
            .with_weight_decay(0.1)
            .unwrap();
        let mut th = [2.0];
        o.step(&mut th, &[0.0]).unwrap();
        assert!((th[0] - 1.9).abs() < 1e-6);
        assert_eq!(global_norm(&[3e30, 4e30]), 5e30);
    }

    #[test]
    fn preview_matches_step_and_errors_change_nothing() {
        let mut o = Adam::<4>::new(4, 0.01)
            .unwrap()
            .with_clip_norm(2.0)
            .unwrap();
        let mut th = [0.5, -0.25, 1.0, 0.0];
        let g = [0.3, -2.0, 1.5, 0.1];
        for _ in 0..3 {
            let mut out = [0.0; 4];
            o.preview(&th, &g, &mut out).unwrap();
            o.step(&mut th, &g).unwrap();
            assert_eq!(out, th);
        }
        let (o0, th0) = (o.clone(), th);
        assert_eq!(
            o.step(&mut th, &[0.0, f32::NAN, 0.0, 0.0]),
            Err(Error::NotFinite("gradient"))
        );
        assert!(o.step(&mut th, &[0.0; 3]).is_err());
        assert!(o.step(&mut th[..3], &[0.0; 3]).is_err());
        assert_eq!((o.clone(), th), (o0, th0));
        // A finite gradient whose square overflows makes v infinite: refused.
        let mut o = Adam::<4>::new(4, 0.01).unwrap();
        let o0 = o.clone();
        assert_eq!(
            o.step(&mut th, &[3e38, 0.0, 0.0, 0.0]),
            Err(Error::NotFinite("optimiser update"))
        );
        assert_eq!((o, th), (o0, th0));
    }

    #[test]
    fn bad_configuration() {
        assert!(Sgd::<2>::new(3, 0.1, 0.0).is_err());
        assert!(Sgd::<2>::new(0, 0.1, 0.0).is_err());
        assert!(Sgd::<2>::new(2, -0.1, 0.0).is_err());
        assert!(Sgd::<2>::new(2, 0.1, 1.0).is_err());
        assert!(Adam::<2>::with_moments(2, 0.1, 1.0, 0.9, 1e-8).is_err());
        assert!(Adam::<2>::with_moments(2, 0.1, 0.9, 0.9, 0.0).is_err());
        assert!(Adam::<2>::new(2, f32::NAN).is_err());
        assert!(Adam::<2>::new(2, 0.1).unwrap().with_clip_norm(0.0).is_err());
        assert!(
            Adam::<2>::new(2, 0.1)
                .unwrap()
                .with_weight_decay(-1.0)
                .is_err()
        );
        let mut a = AnyOptimizer::Adam(Adam::<2>::new(2, 0.1).unwrap());
        assert!(a.set_learning_rate(f32::INFINITY).is_err());
        assert_eq!(a.learning_rate(), 0.1);
    }
}
