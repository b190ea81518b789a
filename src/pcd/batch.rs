//! The positive phase in fixed memory: the gradient sum of the batch
//! being collected and the most recent data points.

use crate::energy::all_finite;
use crate::error::Error;

/// The positive phase collected so far: Σ (1 + 2λU)·∂θU and Σ U.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Batch<const P: usize> {
    pub(super) grad: [f32; P],
    pub(super) u_sum: f32,
    pub(super) count: usize,
}

/// The last N data points, newest last.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Recent<const N: usize, const D: usize> {
    pub(super) points: [[f32; D]; N],
    pub(super) next: usize,
    pub(super) len: usize,
}

impl<const N: usize, const D: usize> Recent<N, D> {
    pub(super) fn push(&mut self, x: &[f32]) {
        self.points[self.next][..x.len()].copy_from_slice(x);
        self.next = (self.next + 1) % N;
        self.len = (self.len + 1).min(N);
    }

    /// The `k`-th most recent point (k < len).
    pub(super) fn get(&self, k: usize) -> &[f32; D] {
        &self.points[(self.next + N - 1 - k % self.len.max(1)) % N]
    }
}

/// Adds one point's `g` = ∂θU (and U) to the batch, scaled by 1 + 2λU, and
/// records the point; all-or-nothing (nothing changes unless every value
/// stays finite).
pub(super) fn commit_point<const N: usize, const D: usize, const P: usize>(
    batch: &mut Batch<P>,
    recent: &mut Recent<N, D>,
    energy_l2: f32,
    u: f32,
    g: &[f32],
    x: &[f32],
) -> Result<(), Error> {
    let c = 1.0 + 2.0 * energy_l2 * u;
    let sum = &mut batch.grad[..g.len()];
    let fits = all_finite(sum.iter().zip(g).map(|(s, gj)| s + c * gj));
    if !(u.is_finite() && (batch.u_sum + u).is_finite() && fits) {
        return Err(Error::NotFinite("data energy or its parameter gradient"));
    }
    for (s, gj) in sum.iter_mut().zip(g) {
        *s += c * gj;
    }
    batch.u_sum += u;
    batch.count += 1;
    recent.push(x);
    Ok(())
}
