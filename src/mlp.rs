//! MLP energy U(x) = w₃·σ(W₂ σ(W₁x + b₁) + b₂) + b₃ + ½α|x|², sizes d → h → h → 1.
//!
//! The quadratic confinement ½α|x|² (α > 0, fixed, not trained) makes exp(−U)
//! normalisable whatever the weights: the network part has bounded gradient
//! (σ' bounded, weights finite), so x·∇U ≥ α|x|²/2 far out (Assumption 2.1).
//!
//! Parameters, flat: W₁ (h×d, row j = hidden unit j), b₁ (h), W₂ (h×h, row k
//! = unit k of layer 2), b₂ (h), w₃ (h), b₃ (1): `h·(d + h + 3) + 1` values.
//!
//! One function body serves a single point and a chunk of walkers: every
//! layer works on `L` lanes (`[f32; L]` per unit), with `L = 1` for
//! [`Energy::value_grad`] and `L = LANES` for [`Energy::eval_batch`], where the
//! lane loops are what the compiler vectorises.

use crate::activation::{Act, Activation, SiluAct, SoftplusAct, TanhAct};
use crate::energy::{Energy, EvalError, Evals, Soa, Trainable, check_finite, check_len};
use crate::error::{Error, check_positive, check_size};
use crate::rng::Stream;

/// Walkers evaluated together in a batched pass.
pub const LANES: usize = 8;

/// Parameter count of a `d → h → h → 1` MLP.
pub const fn mlp_param_count(d: usize, h: usize) -> usize {
    h * (d + h + 3) + 1
}

/// An MLP energy with input dimension `d ≤ D` and hidden width `h ≤ H`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp<const D: usize, const H: usize> {
    d: usize,
    h: usize,
    act: Activation,
    alpha: f32,
    w1: [[f32; D]; H],
    b1: [f32; H],
    w2: [[f32; H]; H],
    b2: [f32; H],
    w3: [f32; H],
    b3: f32,
}

/// Per-lane intermediate values of one forward/backward pass.
struct Tape<const L: usize, const H: usize> {
    z1: [[f32; L]; H],
    /// σ'(a₁), then δ₁ = ∂f/∂a₁ after the backward pass.
    d1: [[f32; L]; H],
    z2: [[f32; L]; H],
    /// σ'(a₂), then δ₂ = ∂f/∂a₂.
    d2: [[f32; L]; H],
}

impl<const D: usize, const H: usize> Mlp<D, H> {
    /// Parameter capacity at full size: `mlp_param_count(D, H)`.
    pub const PARAM_CAP: usize = mlp_param_count(D, H);

    /// All-zero weights (U = ½α|x|²).
    pub fn zeros(d: usize, h: usize, act: Activation, alpha: f32) -> Result<Self, Error> {
        check_size(d, D)?;
        check_size(h, H)?;
        check_positive(alpha, "confinement alpha must be > 0")?;
        Ok(Mlp {
            d,
            h,
            act,
            alpha,
            w1: [[0.0; D]; H],
            b1: [0.0; H],
            w2: [[0.0; H]; H],
            b2: [0.0; H],
            w3: [0.0; H],
            b3: 0.0,
        })
    }

    /// Weights drawn N(0, 1/fan_in) from `seed`, biases zero.
    pub fn init(d: usize, h: usize, act: Activation, alpha: f32, seed: u64) -> Result<Self, Error> {
        let mut m = Self::zeros(d, h, act, alpha)?;
        let mut s = Stream::new(seed, 0x004d_4c50);
        let (s1, s2) = (
            1.0 / crate::math::sqrt(d as f32),
            1.0 / crate::math::sqrt(h as f32),
        );
        for row in m.w1[..h].iter_mut() {
            s.fill_normal(&mut row[..d]);
            row[..d].iter_mut().for_each(|w| *w *= s1);
        }
        for row in m.w2[..h].iter_mut() {
            s.fill_normal(&mut row[..h]);
            row[..h].iter_mut().for_each(|w| *w *= s2);
        }
        s.fill_normal(&mut m.w3[..h]);
        m.w3[..h].iter_mut().for_each(|w| *w *= s2);
        Ok(m)
    }

    /// From a flat parameter vector in the documented order.
    pub fn from_params(
        d: usize,
        h: usize,
        act: Activation,
        alpha: f32,
        theta: &[f32],
    ) -> Result<Self, Error> {
        let mut m = Self::zeros(d, h, act, alpha)?;
        m.set_params(theta)?;
        Ok(m)
    }

    /// Hidden width h.
    pub fn hidden(&self) -> usize {
        self.h
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// The confinement strength α.
    pub fn alpha(&self) -> f32 {
        self.alpha
    }

    /// Forward and backward pass over `L` lanes: returns U per lane, writes
    /// ∇ₓU into `gx` when given, and leaves δ₁, δ₂ in the tape.
    #[inline(always)]
    fn pass<A: Act, const L: usize>(
        &self,
        x: &[[f32; L]; D],
        t: &mut Tape<L, H>,
        gx: Option<&mut [[f32; L]; D]>,
        backward: bool,
    ) -> [f32; L] {
        let (d, h) = (self.d, self.h);
        for j in 0..h {
            let mut a = [self.b1[j]; L];
            for i in 0..d {
                let w = self.w1[j][i];
                for l in 0..L {
                    a[l] += w * x[i][l];
                }
            }
            for l in 0..L {
                (t.z1[j][l], t.d1[j][l]) = A::f_df(a[l]);
            }
        }
        for k in 0..h {
            let mut a = [self.b2[k]; L];
            for j in 0..h {
                let w = self.w2[k][j];
                for l in 0..L {
                    a[l] += w * t.z1[j][l];
                }
            }
            for l in 0..L {
                (t.z2[k][l], t.d2[k][l]) = A::f_df(a[l]);
            }
        }
        let mut u = [self.b3; L];
        for k in 0..h {
            for l in 0..L {
                u[l] += self.w3[k] * t.z2[k][l];
            }
        }
        for i in 0..d {
            for l in 0..L {
                u[l] += 0.5 * self.alpha * x[i][l] * x[i][l];
            }
        }
        if !backward {
            return u;
        }
        for k in 0..h {
            for l in 0..L {
                t.d2[k][l] *= self.w3[k];
            }
        }
        for j in 0..h {
            let mut s = [0f32; L];
            for k in 0..h {
                let w = self.w2[k][j];
                for l in 0..L {
                    s[l] += w * t.d2[k][l];
                }
            }
            for l in 0..L {
                t.d1[j][l] *= s[l];
            }
        }
        if let Some(g) = gx {
            for i in 0..d {
                let mut s = [0f32; L];
                for l in 0..L {
                    s[l] = self.alpha * x[i][l];
                }
                for j in 0..h {
                    let w = self.w1[j][i];
                    for l in 0..L {
                        s[l] += w * t.d1[j][l];
                    }
                }
                g[i] = s;
            }
        }
        u
    }

    /// Dispatches on the activation once, outside every loop.
    #[inline]
    fn run<const L: usize>(
        &self,
        x: &[[f32; L]; D],
        t: &mut Tape<L, H>,
        gx: Option<&mut [[f32; L]; D]>,
        backward: bool,
    ) -> [f32; L] {
        match self.act {
            Activation::Tanh => self.pass::<TanhAct, L>(x, t, gx, backward),
            Activation::Silu => self.pass::<SiluAct, L>(x, t, gx, backward),
            Activation::Softplus => self.pass::<SoftplusAct, L>(x, t, gx, backward),
        }
    }

    /// Adds Σ_l scale[l]·∂θU(x_l) to `grad`, from a tape after a backward pass.
    #[inline]
    fn param_grad<const L: usize>(
        &self,
        x: &[[f32; L]; D],
        t: &Tape<L, H>,
        scale: &[f32; L],
        grad: &mut [f32],
    ) {
        let (d, h) = (self.d, self.h);
        let (w1, rest) = grad.split_at_mut(h * d);
        let (b1, rest) = rest.split_at_mut(h);
        let (w2, rest) = rest.split_at_mut(h * h);
        let (b2, rest) = rest.split_at_mut(h);
        let (w3, b3) = rest.split_at_mut(h);
        for j in 0..h {
            let mut sd = [0f32; L];
            for l in 0..L {
                sd[l] = scale[l] * t.d1[j][l];
            }
            b1[j] += sd.iter().sum::<f32>();
            for i in 0..d {
                w1[j * d + i] += (0..L).map(|l| sd[l] * x[i][l]).sum::<f32>();
            }
        }
        for k in 0..h {
            let mut sd = [0f32; L];
            for l in 0..L {
                sd[l] = scale[l] * t.d2[k][l];
            }
            b2[k] += sd.iter().sum::<f32>();
            for j in 0..h {
                w2[k * h + j] += (0..L).map(|l| sd[l] * t.z1[j][l]).sum::<f32>();
            }
            w3[k] += (0..L).map(|l| scale[l] * t.z2[k][l]).sum::<f32>();
        }
        b3[0] += scale.iter().sum::<f32>();
    }

    fn tape<const L: usize>() -> Tape<L, H> {
        Tape {
            z1: [[0.0; L]; H],
            d1: [[0.0; L]; H],
            z2: [[0.0; L]; H],
            d2: [[0.0; L]; H],
        }
    }

    /// Copies walkers `w0..w0+L` (clamped to `n`; missing lanes repeat walker `w0`).
    #[inline]
    fn gather<const N: usize, const DW: usize, const L: usize>(
        &self,
        x: &Soa<N, DW>,
        w0: usize,
        n: usize,
    ) -> [[f32; L]; D] {
        let mut xl = [[0f32; L]; D];
        for i in 0..self.d {
            for l in 0..L {
                let w = if w0 + l < n { w0 + l } else { w0 };
                xl[i][l] = x[i][w];
            }
        }
        xl
    }
}

impl<const D: usize, const H: usize> Energy for Mlp<D, H> {
    fn dim(&self) -> usize {
        self.d
    }

    fn value(&self, x: &[f32]) -> Result<f32, EvalError> {
        if x.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let xl: [[f32; 1]; D] = core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }]);
        let mut t = Self::tape::<1>();
        Ok(self.run(&xl, &mut t, None, false)[0])
    }

    fn value_grad(&self, x: &[f32], grad: &mut [f32]) -> Result<f32, EvalError> {
        if x.len() != self.d || grad.len() != self.d {
            return Err(EvalError::WrongLength);
        }
        let xl: [[f32; 1]; D] = core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }]);
        let mut t = Self::tape::<1>();
        let mut g = [[0f32; 1]; D];
        let u = self.run(&xl, &mut t, Some(&mut g), true)[0];
        for (i, gi) in grad.iter_mut().enumerate() {
            *gi = g[i][0];
        }
        Ok(u)
    }

    fn eval_batch<const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        with_grad: bool,
        out: &mut Evals<N, DW>,
    ) {
        let n = n.min(N);
        if self.d > DW {
            out.code[..n].iter_mut().for_each(|c| *c = i32::MIN);
            return;
        }
        let mut t = Self::tape::<LANES>();
        let mut w0 = 0;
        while w0 < n {
            let xl = self.gather::<N, DW, LANES>(x, w0, n);
            let mut g = [[0f32; LANES]; D];
            let u = self.run(&xl, &mut t, with_grad.then_some(&mut g), with_grad);
            let m = LANES.min(n - w0);
            for l in 0..m {
                out.u[w0 + l] = u[l];
                out.code[w0 + l] = 0;
            }
            if with_grad {
                for i in 0..self.d {
                    out.grad[i][w0..w0 + m].copy_from_slice(&g[i][..m]);
                }
            }
            w0 += LANES;
        }
    }
}

impl<const D: usize, const H: usize> Trainable for Mlp<D, H> {
    fn num_params(&self) -> usize {
        mlp_param_count(self.d, self.h)
    }

    fn params(&self, out: &mut [f32]) -> Result<(), Error> {
        let (d, h, p) = (self.d, self.h, self.num_params());
        if out.len() < p {
            return Err(Error::CapacityExceeded {
                requested: p,
                capacity: out.len(),
            });
        }
        let mut o = 0;
        for row in &self.w1[..h] {
            out[o..o + d].copy_from_slice(&row[..d]);
            o += d;
        }
        out[o..o + h].copy_from_slice(&self.b1[..h]);
        o += h;
        for row in &self.w2[..h] {
            out[o..o + h].copy_from_slice(&row[..h]);
            o += h;
        }
        out[o..o + h].copy_from_slice(&self.b2[..h]);
        o += h;
        out[o..o + h].copy_from_slice(&self.w3[..h]);
        out[o + h] = self.b3;
        Ok(())
    }

    fn set_params(&mut self, theta: &[f32]) -> Result<(), Error> {
        check_len(self.num_params(), theta.len())?;
        check_finite(theta, "MLP weights")?;
        let (d, h) = (self.d, self.h);
        let mut o = 0;
        for row in self.w1[..h].iter_mut() {
            row[..d].copy_from_slice(&theta[o..o + d]);
            o += d;
        }
        self.b1[..h].copy_from_slice(&theta[o..o + h]);
        o += h;
        for row in self.w2[..h].iter_mut() {
            row[..h].copy_from_slice(&theta[o..o + h]);
            o += h;
        }
        self.b2[..h].copy_from_slice(&theta[o..o + h]);
        o += h;
        self.w3[..h].copy_from_slice(&theta[o..o + h]);
        self.b3 = theta[o + h];
        Ok(())
    }

    fn accumulate_param_grad(
        &self,
        x: &[f32],
        scale: f32,
        grad: &mut [f32],
    ) -> Result<f32, EvalError> {
        if x.len() != self.d || grad.len() < self.num_params() {
            return Err(EvalError::WrongLength);
        }
        let xl: [[f32; 1]; D] = core::array::from_fn(|i| [if i < self.d { x[i] } else { 0.0 }]);
        let mut t = Self::tape::<1>();
        let u = self.run(&xl, &mut t, None, true)[0];
        self.param_grad(&xl, &t, &[scale], grad);
        Ok(u)
    }

    fn accumulate_param_grad_batch<const N: usize, const DW: usize>(
        &self,
        x: &Soa<N, DW>,
        n: usize,
        weight: &[f32; N],
        grad: &mut [f32],
    ) -> Result<(), (usize, EvalError)> {
        let n = n.min(N);
        if self.d > DW || grad.len() < self.num_params() {
            return Err((0, EvalError::WrongLength));
        }
        let mut t = Self::tape::<LANES>();
        let mut w0 = 0;
        while w0 < n {
            let xl = self.gather::<N, DW, LANES>(x, w0, n);
            self.run(&xl, &mut t, None, true);
            // Padding lanes carry zero weight.
            let scale: [f32; LANES] =
                core::array::from_fn(|l| if w0 + l < n { weight[w0 + l] } else { 0.0 });
            self.param_grad(&xl, &t, &scale, grad);
            w0 += LANES;
        }
        Ok(())
    }
}
