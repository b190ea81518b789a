//! The positive phase in fixed memory: the gradient sum of the batch
//! being collected and the most recent data points.

use crate::energy::all_finite;
use crate::error::Error;

/// Points a batch sums in f32 as they arrive; from the next point on it
/// keeps running means instead (see [`Batch`]).
pub(super) const SUM_LIMIT: usize = 1 << 12;

/// The positive phase collected so far: Σ (1 + 2λU)·∂θU and Σ U over the
/// `count` points while `count ≤ SUM_LIMIT`, their means once it is above.
///
/// An f32 sum of many similar values stops growing (2²⁵ points of U = 0.5
/// summed to 2²³, a mean of 0.25). Sums of up to [`SUM_LIMIT`] points keep
/// the bits of every batch that small; beyond it each point updates a
/// running mean m ← m + (v·r − m·r), r = 1/(k + 1), which is exact for
/// identical values and cannot stall, whatever the count. No memory beyond
/// the one array is needed.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Batch<const P: usize> {
    pub(super) grad: [f32; P],
    pub(super) u_sum: f32,
    pub(super) count: usize,
}

impl<const P: usize> Batch<P> {
    /// The factor that turns `grad` and `u_sum` into means: 1/count while
    /// they are sums, 1 once they are means.
    pub(super) fn to_mean(&self) -> f32 {
        if self.count <= SUM_LIMIT {
            1.0 / self.count as f32
        } else {
            1.0
        }
    }
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
    let k = batch.count;
    // What a stored value becomes with this point's value v: a sum up to
    // SUM_LIMIT points, then a running mean (the sum of SUM_LIMIT points
    // scaled to a mean first; a power of two, exact).
    let (to_mean, r) = match k {
        k if k < SUM_LIMIT => (f32::NAN, f32::NAN),
        SUM_LIMIT => (1.0 / SUM_LIMIT as f32, 1.0 / (SUM_LIMIT as f32 + 1.0)),
        k => (1.0, 1.0 / (k as f32 + 1.0)),
    };
    let add = |s: f32, v: f32| {
        if k < SUM_LIMIT {
            s + v
        } else {
            let m = s * to_mean;
            m + (v * r - m * r)
        }
    };
    let sum = &mut batch.grad[..g.len()];
    let fits = all_finite(sum.iter().zip(g).map(|(&s, gj)| add(s, c * gj)));
    if !(u.is_finite() && add(batch.u_sum, u).is_finite() && fits) {
        return Err(Error::NotFinite("data energy or its parameter gradient"));
    }
    for (s, gj) in sum.iter_mut().zip(g) {
        *s = add(*s, c * gj);
    }
    batch.u_sum = add(batch.u_sum, u);
    batch.count += 1;
    recent.push(x);
    Ok(())
}
