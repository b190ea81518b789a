//! The energy-discrepancy loss of one data point and the weights of its
//! θ-gradient, computed stably in f64.

use crate::energy::{Soa, Trainable};
use crate::error::{Error, check_dim};
use crate::walkers::eval_error;

/// Loss and gradient weights of one data point x with energies `u_x` at x
/// and `u_neg[..m]` at its negatives, stabiliser `w`.
///
/// With aⱼ = U(x) − U(x′ⱼ) and c = max(maxⱼ aⱼ, ln w) (ln 0 = −∞), the
/// loss is c + ln(w·e^(−c) + Σⱼ e^(aⱼ − c)) − ln M and its θ-gradient is
/// Σⱼ sⱼ·(∂θU(x) − ∂θU(x′ⱼ)) with sⱼ = e^(aⱼ − c) / (w·e^(−c) + Σₖ e^(aₖ − c)):
/// every exponent is ≤ 0 and the denominator is ≥ 1, so nothing overflows
/// whatever the energies. Returns (loss, Σⱼ sⱼ) and writes sⱼ into
/// `s[..m]`; `None` when an energy is not finite.
pub(crate) fn point_weights(u_x: f32, u_neg: &[f32], w: f64, s: &mut [f64]) -> Option<(f64, f64)> {
    if !u_x.is_finite() || !u_neg.iter().all(|u| u.is_finite()) {
        return None;
    }
    let m = u_neg.len();
    let ux = u_x as f64;
    let mut c = if w > 0.0 {
        libm::log(w)
    } else {
        f64::NEG_INFINITY
    };
    for (sj, &un) in s.iter_mut().zip(u_neg) {
        *sj = ux - un as f64;
        c = c.max(*sj);
    }
    let mut z = if w > 0.0 { w * libm::exp(-c) } else { 0.0 };
    for sj in s[..m].iter_mut() {
        *sj = libm::exp(*sj - c);
        z += *sj;
    }
    let mut total = 0.0;
    for sj in s[..m].iter_mut() {
        *sj /= z;
        total += *sj;
    }
    let loss = c + libm::log(z) - libm::log(m as f64);
    Some((loss, total))
}

/// The energy-discrepancy loss of one data point `x` whose `m` negatives
/// are columns `0..m` of `negatives` (structure of arrays), with stabiliser
/// `w`:
///
/// L = ln( w/M + (1/M)·Σⱼ exp(U(x) − U(x′ⱼ)) ),
///
/// and, when `grad` is given, its θ-gradient added to `grad[..num_params()]`.
/// A reference implementation, one point at a time: [`crate::Ed`] computes
/// the same quantities for blocks of points. On error `grad` may hold a
/// partial sum.
pub fn point_loss<E: Trainable, const K: usize, const D: usize>(
    energy: &E,
    x: &[f32],
    negatives: &Soa<K, D>,
    m: usize,
    w: f32,
    grad: Option<&mut [f32]>,
) -> Result<f64, Error> {
    let d = energy.dim();
    check_dim(d, x.len())?;
    if m == 0 || m > K || d > D {
        return Err(Error::InvalidConfig("negatives: 1 ≤ m ≤ K, d ≤ D"));
    }
    let u_x = energy.value(x).map_err(|e| eval_error(0, e, d))?;
    let mut u_neg = [0f32; K];
    let mut xi = [0f32; D];
    for j in 0..m {
        for i in 0..d {
            xi[i] = negatives[i][j];
        }
        u_neg[j] = energy.value(&xi[..d]).map_err(|e| eval_error(j, e, d))?;
    }
    let mut s = [0f64; K];
    let (loss, total) = point_weights(u_x, &u_neg[..m], w as f64, &mut s)
        .ok_or(Error::NotFinite("energy at a data point or a negative"))?;
    if let Some(g) = grad {
        energy
            .accumulate_param_grad(x, total as f32, g)
            .map_err(|e| eval_error(0, e, d))?;
        let mut coef = [0f32; K];
        for j in 0..m {
            coef[j] = -(s[j] as f32);
        }
        energy
            .accumulate_param_grad_batch(negatives, m, &coef, g)
            .map_err(|(j, e)| eval_error(j, e, d))?;
    }
    Ok(loss)
}
